# SPDX-License-Identifier: GPL-2.0
"""Integration tests: the sampler path (libmemvigil-sampler.so preloaded).

A process that preloads the sampler is traced through its two probe functions
instead of the allocator's uprobes: exact bytes per site equal the workload's
truth, stacks start at the allocation site, sampled estimates are within 15 %;
in one cgroup a process with the sampler and one without are each on their
path; the library goes dormant -> attached -> dormant (no probe left) ->
attached again with a new generation; a tracer attaching and detaching in a
loop leaves a forking, self-checking program's answer as it is untraced;
--preload keeps what LD_PRELOAD held; bad inputs give one line and a
non-zero exit.
"""

import os
import shutil
import signal
import struct
import subprocess
import time

import harness as h


SAMPLE_BYTES = 65536
SAMPLE_TOLERANCE = 0.15
LIB_NAME = "libmemvigil-sampler.so"
CTL_SYMBOL = "memvigil_sampler_ctl"
# struct memvigil_sampler_ctl (include/memvigil/sampler.h), up to lease_end_ns
CTL_FORMAT = "<QIIIIQQQ"
CTL_ABI_OFFSET = 8
MODE_NAMES = {0: "dormant", 1: "sampled", 2: "exact"}


def library():
    path = os.path.join(h.BUILD, "lib", "memvigil", LIB_NAME)
    h.check(os.path.exists(path), f"{path} is missing (make builds it)")
    return path


def dynsym_value(path, name):
    r = subprocess.run(["nm", "-D", "--defined-only", path], capture_output=True, text=True,
                       timeout=20)
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16)
    raise h.Failure(f"{name} is not in the .dynsym of {path}")


def read_ctl(pid):
    """The sampler's control object in pid, read as memvigil does: {field: value}."""
    base = lib = None
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and parts[5].endswith("/" + LIB_NAME) and int(parts[2], 16) == 0:
                base, lib = int(parts[0].split("-")[0], 16), parts[5]
                break
    h.check(base is not None, f"PID {pid} does not map {LIB_NAME}")
    with open(f"/proc/{pid}/mem", "rb") as m:
        m.seek(base + dynsym_value(lib, CTL_SYMBOL))
        data = m.read(struct.calcsize(CTL_FORMAT))
    magic, abi, size, mode, flags, period, gen, lease = struct.unpack(CTL_FORMAT, data)
    return {"abi": abi, "mode": MODE_NAMES.get(mode, mode), "flags": flags, "period": period,
            "generation": gen, "lease_end_ns": lease}


def preloaded_env(extra=None):
    env = dict(os.environ)
    env["LD_PRELOAD"] = library() + (" " + extra if extra else "")
    return env


def wait_on_sampler(mv, pid, timeout=20):
    mv.wait_line(rf"PID {pid}: heap through \S*{LIB_NAME} \(generation \d+, ", timeout,
                 stream="err")


def path_of(proc):
    a = proc["allocator"]
    return a["path"], a["sample_period_bytes"]


def sampler_links():
    """Links of memvigil's sampler programs that still exist (bpftool link list)."""
    r = subprocess.run(["bpftool", "-j", "link", "list"], capture_output=True, text=True,
                       timeout=20)
    h.check(r.returncode == 0, f"bpftool link list failed: {r.stderr.strip()[:200]}")
    import json
    progs = {i: n for i, n in h.bpf_trace_progs().items() if n.startswith("sampler_")}
    return [l for l in json.loads(r.stdout or "[]") if l.get("prog_id") in progs]


def wait_no_sampler_links(timeout=10):
    deadline = time.monotonic() + timeout
    while sampler_links() and time.monotonic() < deadline:
        time.sleep(0.1)
    return sampler_links()


def run_preloaded(ctx, name, args, extra=()):
    """memvigil --preload -v on a workload to its end: (memvigil, report, its process)."""
    json_path = ctx.path(name + ".json")
    p, rc = h.run_to_end(ctx, ["-v", "-i", "0", "--json", json_path, "--preload"] +
                         list(extra) + ["--", h.workload(name)] + list(args), timeout=90)
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = h.load_report(json_path)
    (proc,) = h.select_procs(report, exe_name=name)
    return p, report, proc


def test_exact_bytes_per_site_through_the_sampler_equal_the_truth(ctx):
    for name, suffix in (("alloc_leak", ""), ("cxx_leak_glibc", "()")):
        p, report, proc = run_preloaded(ctx, name, [])
        h.check(path_of(proc) == ("sampler", 0), f"{name}: path {path_of(proc)}")
        h.check(proc["allocator"]["library"].endswith("/" + LIB_NAME),
                f"{name}: library {proc['allocator']['library']!r}")
        truth, clean, _ = h.parse_truth(p.out())
        # check_truth keys stacks by their first frame: the allocation site itself,
        # never a frame of the library (C++ names are demangled: "leak_x()")
        h.check_truth(report, [proc], {f + suffix: t for f, t in truth.items()})
        h.check_holds_nothing([proc], {f + suffix for f in clean})
        h.check(proc["heap"]["unmatched_frees"] == 0,
                f"{name}: {proc['heap']['unmatched_frees']} unmatched frees; {h.health(report)}")
        h.check(report["health"]["lost_events"] == 0, h.health(report))
        h.check("(sampler path)" in p.out() and "via sampler, exact" in p.out(),
                f"{name}: the text report does not say the sampler path: {p.out()[-500:]!r}")
    kinds = {s["frames"][0]["symbol"]: s["allocator"] for s in proc["stacks"] if s["frames"]}
    h.check(kinds.get("leak_sessions()") == "operator new" and
            kinds.get("leak_buffers()") == "operator new[]",
            f"C++ leaks not attributed to operator new / new[]: {kinds}")


@h.clock_bound
@h.alone
def test_sampled_estimate_through_the_sampler_is_within_15_percent(ctx):
    p, report, proc = run_preloaded(ctx, "sample_mix", ["5"],
                                    [f"--sample-bytes={SAMPLE_BYTES}"])
    h.check(path_of(proc) == ("sampler", SAMPLE_BYTES), f"path {path_of(proc)}")
    truth, clean, _ = h.parse_truth(p.out())
    want, allocs = truth["leak_mixed"]
    got = h.by_first_frame([proc]).get("leak_mixed", [0, 0])
    samples = sum(s["samples"]["outstanding"] for s in proc["stacks"]
                  if s["frames"] and s["frames"][0].get("symbol") == "leak_mixed")
    err = abs(got[0] - want) / want
    h.check(samples >= 100, f"only {samples} samples behind the leak_mixed estimate")
    h.check(err <= SAMPLE_TOLERANCE,
            f"leak_mixed estimated at {got[0]} bytes from {samples} samples; truth {want} "
            f"bytes in {allocs} allocs: off by {100 * err:.1f}%")
    h.check_holds_nothing([proc], clean)
    h.check(report["health"]["lost_events"] == 0, h.health(report))


def test_cgroup_process_with_the_sampler_and_one_without_each_on_its_path(ctx):
    cg = h.make_cgroup(ctx)
    with_s = h.spawn_in_cgroup(ctx, cg, [h.workload("alloc_family"), "--wait"],
                               env=preloaded_env())
    with_s.wait_line(r"^READY ", 10)
    without = h.spawn_waiting_in_cgroup(ctx, cg, "alloc_family")
    h.check(read_ctl(with_s.pid)["mode"] == "dormant", "the preloaded library is not dormant")
    json_path = ctx.path("cgroup.json")
    mv = h.memvigil(ctx, ["--cgroup", cg, "-v", "-i", "0", "--json", json_path])
    h.wait_banner(mv)
    wait_on_sampler(mv, with_s.pid)
    h.wait_attached(mv, without.pid)
    h.check(read_ctl(with_s.pid)["mode"] == "exact", f"mode {read_ctl(with_s.pid)}")
    for p in (with_s, without):
        os.kill(p.pid, signal.SIGUSR1)
    for p in (with_s, without):
        p.wait_line(r"^TRUTH done$", 30)
    time.sleep(0.3)
    rc = h.stop(mv)
    h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    h.check(read_ctl(with_s.pid)["mode"] == "dormant",
            f"the library is left {read_ctl(with_s.pid)['mode']} after memvigil ended")
    report = h.load_report(json_path)
    for p, want in ((with_s, "sampler"), (without, "uprobes")):
        (proc,) = h.select_procs(report, pid=p.pid)
        h.check(path_of(proc) == (want, 0), f"PID {p.pid}: path {path_of(proc)}, expected {want}")
        truth, clean, _ = h.parse_truth(p.out())
        if want == "sampler":
            # The library reports a realloc's old block freed before the call (its
            # address may be reused at once); when the call fails the block stays
            # live untracked, counted in the library's realloc_fail_cnt.
            truth.pop("leak_kept_by_failed_realloc", None)
        h.check_truth(report, [proc], truth)
        h.check_holds_nothing([proc], clean)


def trace_for(ctx, pid, name, seconds, extra=()):
    """memvigil -p pid for a while, stopped with SIGINT: its JSON report."""
    json_path = ctx.path(name + ".json")
    mv = h.memvigil(ctx, ["-p", pid, "-v", "-i", "0", "--json", json_path] + list(extra))
    h.wait_banner(mv)
    wait_on_sampler(mv, pid)
    ctl = read_ctl(pid)
    time.sleep(seconds)
    rc = h.stop(mv, signal.SIGINT)
    h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    (proc,) = h.select_procs(h.load_report(json_path), pid=pid)
    return ctl, proc


@h.alone
def test_dormant_attached_detached_attached_again(ctx):
    w = ctx.spawn([h.workload("leak_cache_churn"), "60"], env=preloaded_env())
    w.wait_line(r"^READY ", 10)
    before = read_ctl(w.pid)
    h.check(before["mode"] == "dormant" and before["generation"] == 0, f"at start {before}")
    ctl, proc = trace_for(ctx, w.pid, "first", 1.5)
    h.check(ctl["mode"] == "exact" and ctl["generation"] == 1 and ctl["lease_end_ns"] > 0,
            f"while traced: {ctl}")
    h.check(path_of(proc) == ("sampler", 0), f"first session: path {path_of(proc)}")
    h.check(proc["heap"]["total_allocs"] > 0, "no allocation seen in the first session")
    after = read_ctl(w.pid)
    h.check(after["mode"] == "dormant", f"after detach: {after}")
    left = wait_no_sampler_links()
    h.check(not left, f"sampler links left after detach: {left}")
    ctl, proc = trace_for(ctx, w.pid, "second", 1.5, [f"--sample-bytes={SAMPLE_BYTES}"])
    h.check(ctl["mode"] == "sampled" and ctl["generation"] == 2 and
            ctl["period"] == SAMPLE_BYTES, f"second session: {ctl}")
    h.check(path_of(proc) == ("sampler", SAMPLE_BYTES), f"second session: {path_of(proc)}")
    h.check(proc["heap"]["total_allocs"] > 0, "no sample seen in the second session")
    h.check(read_ctl(w.pid)["mode"] == "dormant", "dormant again after the second session")
    h.check(w.alive(), "the workload died while traced")


def paced_result(p):
    """paced_churn's RESULT line."""
    return p.wait_line(r"^RESULT ", 120).string


@h.alone
@h.timeout_s(300)
def test_tracer_attaching_and_detaching_in_a_loop_leaves_the_targets_results_unchanged(ctx):
    """memvigil attaches to a preloaded paced_churn (4 threads allocating,
    checking every block's contents, forking from each thread), traces it
    for a moment and detaches, exactly and sampled in turn, again and again
    until it ends: each session ends cleanly and leaves the library dormant,
    and the program's answer (a sum over every block's contents, blocks found
    corrupt, children that failed) is the untraced run's."""
    rounds = "400"                      # 10 s and more: several sessions, even of an ASan build
    alone = ctx.spawn([h.workload("paced_churn"), rounds], env=preloaded_env())
    w = ctx.spawn([h.workload("paced_churn"), rounds], env=preloaded_env())
    w.wait_line(r"^READY ", 10)
    cycles = 0
    while w.alive():
        extra = [f"--sample-bytes={SAMPLE_BYTES}"] if cycles % 2 else []
        mv = h.memvigil(ctx, ["-p", w.pid, "-i", "0"] + extra)
        try:
            h.wait_banner(mv)
        except h.Failure:
            h.check(not w.alive(), f"cycle {cycles}: no banner; {mv.describe()}")
            break
        time.sleep(0.3)
        rc = h.stop(mv, signal.SIGINT)
        h.check(rc == 0, f"cycle {cycles}: memvigil exited {rc}; {mv.describe()}")
        try:
            ctl = read_ctl(w.pid) if w.alive() else None
        except (OSError, h.Failure):
            if w.alive():
                raise
            ctl = None      # it ended between the two looks
        if ctl:
            h.check(ctl["mode"] == "dormant", f"cycle {cycles}: after detaching {ctl}")
        cycles += 1
    got = paced_result(w)
    want = paced_result(alone)          # the same program beside it, never traced
    h.check(alone.wait(60) == 0, f"untraced paced_churn failed: {want}")
    h.check(w.wait(60) == 0 and got == want,
            f"traced {cycles} times, the program said {got!r}; untraced {want!r}")
    h.check(cycles >= 2, f"only {cycles} sessions while the program ran: the test proves little")
    left = wait_no_sampler_links()
    h.check(not left, f"sampler links left: {left}")


def test_preload_keeps_what_ld_preload_held(ctx):
    libm = next((p for p in ("/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6")
                 if os.path.exists(p)), None)
    if not libm:
        raise h.Skip("no libm.so.6 to preload")
    env = dict(os.environ, LD_PRELOAD=libm)
    # memvigil gets that LD_PRELOAD too: an ASan build would refuse a preload before its runtime
    env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0").lstrip(":")
    json_path = ctx.path("sh.json")
    p, rc = h.run_to_end(ctx, ["-i", "0", "--json", json_path, "--preload", "--", "/bin/sh", "-c",
                               'echo "LDP=$LD_PRELOAD"'], env=env)
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    line = next((l for l in p.out().splitlines() if l.startswith("LDP=")), "")
    h.check(line == f"LDP={library()} {libm}" or
            line == f"LDP={os.path.realpath(library())} {libm}",
            f"the command's LD_PRELOAD is {line!r}, expected the sampler then {libm}")
    (proc,) = h.select_procs(h.load_report(json_path), exe_name="sh")
    h.check(path_of(proc)[0] == "sampler", f"path {path_of(proc)}")


def abi_patched_tree(ctx):
    """A copy of memvigil beside a sampler library that says ABI version 99."""
    tree = ctx.path("tree")
    os.makedirs(os.path.join(tree, "lib", "memvigil"))
    shutil.copy(h.BIN, os.path.join(tree, "memvigil"))
    lib = os.path.join(tree, "lib", "memvigil", LIB_NAME)
    shutil.copy(library(), lib)
    vaddr = dynsym_value(lib, CTL_SYMBOL)
    r = subprocess.run(["readelf", "-lW", lib], capture_output=True, text=True, timeout=20)
    for line in r.stdout.splitlines():
        parts = line.split()
        if parts[:1] == ["LOAD"]:
            off, va, filesz = int(parts[1], 16), int(parts[2], 16), int(parts[4], 16)
            if va <= vaddr < va + filesz:
                with open(lib, "r+b") as f:
                    f.seek(vaddr - va + off + CTL_ABI_OFFSET)
                    f.write(struct.pack("<I", 99))
                return tree, lib
    raise h.Failure(f"{CTL_SYMBOL} is in no loaded segment of {lib}")


@h.alone
def test_bad_inputs_give_one_line_and_a_failure(ctx):
    before = h.bpf_trace_progs()
    p, rc = h.run_to_end(ctx, ["--preload", "-p", str(os.getpid())])
    line = h.assert_one_line_error(p, rc, 64)
    h.check("--preload" in line and "COMMAND" in line, line)
    p, rc = h.run_to_end(ctx, ["--preload", "--", h.workload("alloc_leak_static")])
    line = h.assert_one_line_error(p, rc)
    h.check("statically linked" in line, line)
    tree, lib = abi_patched_tree(ctx)
    p = ctx.spawn([os.path.join(tree, "memvigil"), "--preload", "-i", "0", "--",
                   h.workload("alloc_leak")])
    rc = p.wait(h.EXIT_TIMEOUT_S)
    line = h.assert_one_line_error(p, rc)
    h.check("ABI version is 99" in line and "--preload" in line, line)
    h.check("TRUTH" not in p.out(), "the command ran although it could not be traced")
    left = h.wait_progs_gone(before, 10)
    h.check(not left, f"BPF programs left behind: {left}")


def test_a_library_of_another_abi_falls_back_to_uprobes_with_a_warning(ctx):
    _, lib = abi_patched_tree(ctx)
    env = dict(os.environ, LD_PRELOAD=lib)
    w = ctx.spawn([h.workload("alloc_leak"), "--wait"], env=env)
    w.wait_line(r"^READY ", 10)
    json_path = ctx.path("abi.json")
    mv = h.memvigil(ctx, ["-p", w.pid, "-i", "0", "--json", json_path])
    h.wait_banner(mv)
    os.kill(w.pid, signal.SIGUSR1)
    w.wait_line(r"^TRUTH done$", 30)
    rc = h.stop(mv)
    h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    warn = [l for l in mv.err_lines() if "ABI version is 99" in l]
    h.check(len(warn) == 1 and "uprobes" in warn[0], f"stderr {mv.err_lines()}")
    (proc,) = h.select_procs(h.load_report(json_path), pid=w.pid)
    h.check(path_of(proc)[0] == "uprobes", f"path {path_of(proc)}")
    truth, clean, _ = h.parse_truth(w.out())
    h.check_truth(h.load_report(json_path), [proc], truth)


def test_exec_keeps_the_sampler_path_and_a_static_image_gets_uprobes(ctx):
    json_path = ctx.path("exec.json")
    script = f"{h.workload('alloc_leak')}; exec {h.workload('alloc_leak_static')}"
    p, rc = h.run_to_end(ctx, ["-f", "-v", "-i", "0", "--json", json_path, "--preload", "--",
                               "/bin/sh", "-c", script], timeout=90)
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = h.load_report(json_path)
    (dyn,) = h.select_procs(report, exe_name="alloc_leak")
    (static,) = h.select_procs(report, exe_name="alloc_leak_static")
    h.check(path_of(dyn)[0] == "sampler", f"alloc_leak (forked, exec'd): path {path_of(dyn)}")
    h.check(path_of(static)[0] == "uprobes", f"alloc_leak_static: path {path_of(static)}")
    # each probe call reported once: the links of the image before the exec are
    # kept (same library) or gone, never beside new ones
    for proc in (dyn, static):
        h.check(proc["heap"]["unmatched_frees"] == 0,
                f"{proc['comm']}: {proc['heap']['unmatched_frees']} unmatched frees; "
                f"{h.health(report)}")
    out = p.out()
    first = out[:out.index("TRUTH done") + len("TRUTH done")]
    truth, clean, _ = h.parse_truth(first)
    h.check_truth(report, [dyn], truth)
    h.check_holds_nothing([dyn], clean)


@h.alone
def test_children_of_every_kind_of_fork_survive_a_traced_parent(ctx):
    """On 6.18 the traced parent's probe functions start with a call to the
    kernel's uprobe trampoline, a page no child inherits. glibc's fork() runs
    the library's fork handler, which gives the child its nop back; _Fork()
    and raw clone/fork system calls run no handler, and each of their
    children died of SIGSEGV at its first probe call until the library also
    noticed a fork by a page the kernel wipes in every child. Exact, sampled,
    and exact with the children followed (-f attaches to each through its
    own copy of the library)."""
    for extra in ([], [f"--sample-bytes={SAMPLE_BYTES}"], ["-f"]):
        w = ctx.spawn([h.workload("raw_fork"), "--wait"], env=preloaded_env())
        w.wait_line(r"^READY ", 10)
        mv = h.memvigil(ctx, ["-p", w.pid, "-v", "-i", "0"] + extra)
        h.wait_banner(mv)
        wait_on_sampler(mv, w.pid)
        os.kill(w.pid, signal.SIGUSR1)
        w.wait_line(r"^TRUTH done$", 60)
        rc = h.stop(mv)
        h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
        out = w.out()
        first = w.wait_line(r"^PROBE first_byte=(\w+)$", 1)[1]
        if first != "e8":
            raise h.Skip(f"the kernel did not turn the traced probe into a call (it starts "
                         f"with {first}): no nop5 uprobe optimization, nothing to repair")
        children = dict(l.split()[1:3] for l in out.splitlines() if l.startswith("CHILD "))
        want = {f"how={how}": "status=exit:0" for how in ("fork", "_Fork", "sys_fork",
                                                          "sys_clone")}
        h.check(children == want, f"{extra or 'exact'}: children ended {children}")


def test_installed_memvigil_preloads_the_installed_library(ctx):
    """make install puts the library in $(PREFIX)/lib/memvigil/ under DESTDIR, and
    the installed memvigil's --preload finds it there (../lib/memvigil/ from sbin/)."""
    import test_docs
    stage = ctx.path("stage")
    test_docs.make("install", f"DESTDIR={stage}", "PREFIX=/usr/local")
    lib = os.path.join(stage, "usr", "local", "lib", "memvigil", LIB_NAME)
    h.check(os.path.isfile(lib), f"make install put no {LIB_NAME} in lib/memvigil/")
    with open(lib, "rb") as a, open(library(), "rb") as b:
        h.check(a.read() == b.read(), f"the installed {LIB_NAME} is not the built one")
    json_path = ctx.path("installed.json")
    p = ctx.spawn([os.path.join(stage, "usr", "local", "sbin", "memvigil"), "-i", "0",
                   "--json", json_path, "--preload", "--", "/bin/sh", "-c",
                   'echo "LDP=$LD_PRELOAD"'])
    rc = p.wait(h.EXIT_TIMEOUT_S)
    h.check(rc == 0, f"the installed memvigil exited {rc}; {p.describe()}")
    line = next((l for l in p.out().splitlines() if l.startswith("LDP=")), "")
    h.check(os.path.realpath(line[len("LDP="):]) == os.path.realpath(lib),
            f"the command's LD_PRELOAD is {line!r}, expected the installed {lib}")
    (proc,) = h.select_procs(h.load_report(json_path), exe_name="sh")
    h.check(path_of(proc)[0] == "sampler", f"path {path_of(proc)}")


CTL_FLAGS_OFFSET = 20           # struct memvigil_sampler_ctl.flags
FLAG_FORK_GUARD = 1 << 3        # MV_SAMPLER_F_FORK_GUARD


def ctl_address(pid):
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and parts[5].endswith("/" + LIB_NAME) and int(parts[2], 16) == 0:
                return int(parts[0].split("-")[0], 16) + dynsym_value(parts[5], CTL_SYMBOL)
    raise h.Failure(f"PID {pid} does not map {LIB_NAME}")


def test_a_library_that_cannot_repair_raw_fork_children_is_said(ctx):
    """The library says in its flags that it repairs the children of every
    kind of fork; one that does not (a library older than the flag, or a
    kernel without MADV_WIPEONFORK) gets one warning naming the risk, and is
    still traced through the sampler."""
    for clear in (False, True):
        w = ctx.spawn([h.workload("alloc_leak"), "--wait"], env=preloaded_env())
        w.wait_line(r"^READY ", 10)
        h.check(read_ctl(w.pid)["flags"] & FLAG_FORK_GUARD,
                f"the library does not say it repairs raw fork children: {read_ctl(w.pid)}")
        if clear:
            addr = ctl_address(w.pid) + CTL_FLAGS_OFFSET
            with open(f"/proc/{w.pid}/mem", "r+b") as m:
                m.seek(addr)
                flags = struct.unpack("<I", m.read(4))[0]
                m.seek(addr)
                m.write(struct.pack("<I", flags & ~FLAG_FORK_GUARD))
        mv = h.memvigil(ctx, ["-p", w.pid, "-v", "-i", "0"])
        h.wait_banner(mv)
        wait_on_sampler(mv, w.pid)
        rc = h.stop(mv)
        h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
        warn = [l for l in mv.err_lines() if "raw clone/fork" in l]
        if clear:
            h.check(len(warn) == 1 and f"PID {w.pid}" in warn[0] and "SIGSEGV" in warn[0],
                    f"no one warning for a library without the fork guard: {mv.err_lines()}")
        else:
            h.check(not warn, f"a warning for a library with the fork guard: {warn}")


def test_the_sampler_path_walks_a_chain_without_frame_pointers_through_tables(ctx):
    """A sampled allocation's stack is taken at the probe function; for code
    built without frame pointers the BPF unwinder walks it from the entry
    point's frame with the unwind tables, as on the uprobe path: every level
    of nofp_chain's 26-deep chain is named, exactly and sampled."""
    import test_unwind_stacks as tu
    # 1 KiB: each of the 7 leaks of 3119 B is sampled with probability 0.95
    for extra in ([], ["--sample-bytes=1024"]):
        p, report, proc = tu.run_chain(ctx, ["-v", "--preload"] + extra,
                                       f"chain-sampler{len(extra)}.json")
        h.check(path_of(proc)[0] == "sampler", f"path {path_of(proc)}")
        if not extra:
            tu.check_whole_chain(report, proc, p.out())
            continue
        chain = tu.chain_of(p.out())
        stacks = [s for s in proc.get("stacks", [])
                  if (s.get("frames") or [{}])[0].get("symbol") == chain[0]]
        h.check(stacks, f"no sampled stack starts at {chain[0]}: {h.health(report)}")
        for s in stacks:
            syms = [f.get("symbol") for f in s["frames"]]
            h.check(syms[:len(chain)] == chain, f"sampled stack {syms}; chain {chain}")
