# SPDX-License-Identifier: GPL-2.0
"""Integration tests: memvigil under faults it cannot prevent.

A ring buffer too small for a burst, memvigil itself stopped (SIGSTOP) while
its target runs, the target killed while memvigil attaches, kernel memory for
the BPF maps refused by a memory cgroup, a debuginfod server that accepts and
never answers, and a disk that fills while a report, the live JSON lines or a
recording are written. Each ends in a counted, reported outcome (losses in the report's
health, one line on stderr, a non-zero exit) and nothing left attached (run.py
checks for BPF programs left behind after every test; the tests here also check
after each run of a loop). (The sampled-block table full is
test_sampling.py's, the unwind table full test_unwind_stacks.py's, an
unreachable debuginfod test_debug_files.py's.)
"""

import os
import re
import signal
import socket
import subprocess
import time

import harness as h


def text_lost(out):
    """The lost count of each text report's process line, in order."""
    return [int(n) for n in re.findall(r"\| lost (\d+) \|", out)]


def check_losses_add_up(report):
    hl = report["health"]
    h.check(hl["lost_events"] == sum(hl["lost"].values()),
            f"lost_events is not the sum of the reasons; {h.health(report)}")


def test_faults_ring_buffer_too_small_loses_records_counted_by_reason_in_text_and_json(ctx):
    """A 4 KiB ring buffer (the smallest) and memvigil stopped while
    leak_cache_churn churns thousands of blocks a second: the buffer fills,
    records are dropped in the kernel, and both reports say how many, the JSON
    one by reason."""
    json_path = ctx.path("small_ring.json")
    mv = h.memvigil(ctx, ["--ring-buffer=4K", "-i", "0", "--json", json_path,
                          "--", h.workload("leak_cache_churn"), "2"])
    h.wait_banner(mv)
    mv.signal(signal.SIGSTOP)
    try:
        time.sleep(1.5)             # leak_cache_churn allocates meanwhile
    finally:
        mv.signal(signal.SIGCONT)
    rc = mv.wait(120)
    h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    report = h.load_report(json_path)
    lost = report["health"]["lost"]["ringbuf_full"]
    h.check(lost > 0, f"a 4 KiB ring buffer lost nothing while memvigil was stopped; "
            f"{h.health(report)}")
    check_losses_add_up(report)
    shown = text_lost(mv.out())
    h.check(shown and shown[-1] >= lost, f"the text report does not show the {lost} records "
            f"lost: {shown}; {mv.out()[-400:]!r}")


def test_faults_ring_buffer_size_is_checked_before_attaching(ctx):
    wl = h.spawn_workload(ctx, "spin", "30")
    for bad in ("--ring-buffer=2G", "--ring-buffer=-4K", "--ring-buffer=lots"):
        p, rc = h.run_to_end(ctx, [bad, "-p", wl.pid, "-i", "0"])
        line = h.assert_one_line_error(p, rc, 64)
        h.check("--ring-buffer" in line, f"{bad}: the error does not name the option: {line!r}")
    h.check(wl.alive(), "target harmed")


def test_faults_memvigil_stopped_5s_goes_on_and_its_report_is_exact_or_says_what_was_lost(ctx):
    """SIGSTOP for 5 s while alloc_leak makes all its allocations, then
    SIGCONT: the trace goes on (more interval lines come), and the final report
    gives the workload's truth exactly, unless it counts losses."""
    wl = h.spawn_workload(ctx, "alloc_leak", "--wait", ready=r"^READY (\d+)$")
    json_path, jsonl_path = ctx.path("stopped.json"), ctx.path("stopped.jsonl")
    mv = h.memvigil(ctx, ["-p", wl.pid, "-i", "1", "--jsonl", jsonl_path, "--json", json_path])
    h.wait_banner(mv)
    mv.signal(signal.SIGSTOP)
    try:
        os.kill(wl.pid, signal.SIGUSR1)
        wl.wait_line(r"^TRUTH done$", 20)
        time.sleep(5)
        lines_stopped = len(h.read_jsonl(jsonl_path)) if os.path.exists(jsonl_path) else 0
    finally:
        mv.signal(signal.SIGCONT)
    deadline = time.monotonic() + 30
    while len(h.read_jsonl(jsonl_path)) < lines_stopped + 2:
        h.check(time.monotonic() < deadline and mv.alive(),
                f"no interval line came after SIGCONT ({lines_stopped} before); {mv.describe()}")
        time.sleep(0.2)
    rc = h.stop(mv)
    h.check(rc == 0, f"memvigil exited {rc} after SIGTERM; {mv.describe()}")
    report = h.load_report(json_path)
    check_losses_add_up(report)
    truth, clean, _ = h.parse_truth(wl.out())
    procs = h.select_procs(report, pid=wl.pid)
    if report["health"]["lost_events"] == 0:
        h.check_truth(report, procs, truth)
        h.check_holds_nothing(procs, clean)
    else:
        h.check(text_lost(mv.out())[-1] > 0, "losses counted in JSON but not in text")


# Lines of -v at which a run kills its target: before the attach, choosing the
# probe sites, creating the links.
ATTACH_STEPS = (r"uprobe attach:", r"PID \d+: allocator ", r"PID \d+: probing ")


@h.alone
@h.timeout_s(400)
def test_faults_target_killed_while_attaching_ends_each_run_cleanly(ctx):
    """The target SIGKILLed while memvigil starts and attaches, 12 runs: with
    -v, at each step of the attach it prints; without, after delays spread
    over its start. Each run ends by itself, with exit 0 (it attached, then saw
    the process go) or exit 1 and an error line last (the only line without
    -v); nothing attached is left after any run, no process is left stopped."""
    before = set(h.bpf_trace_progs())
    outcomes = []
    for i in range(12):
        wl = ctx.spawn([h.workload("spin"), "60"])
        wl.wait_line(r"^SPIN ", 10)
        verbose = i < 6
        mv = h.memvigil(ctx, ["-v"] * verbose + ["-p", wl.pid, "-i", "0"])
        if verbose:
            mv.wait_line(ATTACH_STEPS[i % 3], 30, stream="err")
            time.sleep(0.005 * (i // 3))
        else:
            time.sleep(0.15 * (i - 6))
        wl.popen.kill()
        wl.wait(10)
        rc = mv.wait(h.EXIT_TIMEOUT_S)
        outcomes.append(check_run_end(mv, rc, verbose, i))
        left = h.wait_progs_gone(before, 10)
        h.check(not left, f"run {i} ({outcomes[-1]}): BPF programs left attached: {left}")
        stopped = [p for p in h.our_children() if proc_state(p) == "T"]
        h.check(not stopped, f"run {i}: processes left stopped: {stopped}")


def check_run_end(mv, rc, verbose, i):
    """How run i ended ("traced" or "refused"), failing unless it was clean."""
    err = [l for l in mv.err_lines() if l.strip()]
    h.check(rc in (0, 1), f"run {i}: exit status {rc}; stderr {err[-3:]}")
    if rc == 0:
        return "traced"
    if verbose:
        h.check(err and err[-1].startswith("memvigil: ") and "exited" in err[-1],
                f"run {i}: the last line does not say the target exited: {err[-3:]}")
    else:
        line = h.assert_one_line_error(mv, rc, 1)
        h.check("exited" in line or "no process" in line,
                f"run {i}: the error does not say the target is gone: {line!r}")
    h.check("Tracing " not in mv.out(), f"run {i}: a banner and then an error")
    return "refused"


def proc_state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "?"


def test_faults_memory_cgroup_too_small_for_the_maps_one_line_and_nothing_attached(ctx):
    """memvigil with a 1 GiB ring buffer in a memory cgroup (v1) of 256 MiB:
    BPF map memory is charged to the cgroup, so creating the ring buffer
    fails (maps are created before any program is loaded; memvigil's own
    memory, even an ASan build's, fits). One line saying so and what to do,
    exit 1, nothing attached, target unharmed."""
    cg = h.make_cgroup(ctx, "memory")
    with open(os.path.join(cg, "memory.limit_in_bytes"), "w") as f:
        f.write(str(256 << 20))
    wl = h.spawn_workload(ctx, "spin", "30")
    mv = h.memvigil(ctx, ["--ring-buffer=1G", "-p", wl.pid, "-i", "0"],
                    preexec_fn=lambda: h.move_to_cgroup(os.getpid(), cg))
    rc = mv.wait(h.EXIT_TIMEOUT_S)
    h.check(rc != -signal.SIGKILL, f"memvigil was killed by the cgroup's OOM killer "
            f"instead of failing; {mv.describe()}")
    line = h.assert_one_line_error(mv, rc, 1)
    h.check("memory cgroup" in line and "--ring-buffer" in line,
            f"the error does not say where the memory went and what to do: {line!r}")
    h.check("Tracing " not in mv.out(), "memvigil printed its banner")
    h.check(wl.alive(), "target harmed")
    with open(os.path.join(cg, "memory.failcnt")) as f:
        h.check(int(f.read()) > 0, "the cgroup's limit was never hit: the test proves nothing")


def test_faults_debuginfod_that_never_answers_costs_one_warning_and_no_hang(ctx):
    """A debuginfod URL on a local socket that accepts connections (the
    kernel's backlog) and never answers, for a stripped program whose debug
    file only debuginfod could give: memvigil gives up after its timeout (5 s
    a try; libdebuginfod tries 3 times), warns once, and writes the report."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    try:
        cache = ctx.path("debuginfod-cache")
        os.mkdir(cache)
        env = {"DEBUGINFOD_URLS": f"http://127.0.0.1:{srv.getsockname()[1]}",
               "DEBUGINFOD_CACHE_PATH": cache}
        json_path = ctx.path("silent.json")
        p, rc = h.run_to_end(ctx, ["-i", "0", "--json", json_path, "--",
                                   h.workload("debug_leak_buildid")], env=env, timeout=120)
    finally:
        srv.close()
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    said = [l for l in p.err_lines() if "debuginfod" in l]
    h.check(len(said) == 1 and "DEBUGINFOD_URLS" in said[0],
            f"expected one debuginfod warning naming DEBUGINFOD_URLS: {said}")
    report = h.load_report(json_path)
    truth, _, _ = h.parse_truth(p.out())
    procs = h.select_procs(report, exe_name="debug_leak_buildid")
    h.check(procs and sum(s["outstanding_bytes"] for s in procs[0]["stacks"])
            >= truth["dl_middle"][0], f"the report lost the leak: {h.health(report)}")


# --- the disk full -----------------------------------------------------------

def tiny_tmpfs(ctx, name, size="8k", free=None):
    """A tmpfs of size mounted on a new directory name, unmounted by cleanup();
    with free, a file FILL takes all but that many bytes of it."""
    d = ctx.path(name)
    os.mkdir(d)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", d],
                       capture_output=True, text=True, timeout=30)
    h.check(r.returncode == 0, f"mount -t tmpfs {d}: {r.stderr.strip()}")
    ctx.mounts.append(d)
    if free is not None:
        st = os.statvfs(d)
        with open(os.path.join(d, FILL), "wb") as f:
            f.write(b"\0" * max(st.f_bavail * st.f_frsize - free, 0))
    return d


FILL = "fill"


def test_faults_disk_full_while_writing_reports_says_so_and_leaves_no_partial_file(ctx):
    """-j, --pprof and --html to a tmpfs too small for them: memvigil says
    which file could not be written and why in one line, exits 1, and leaves
    neither a partial file nor its temporary file there."""
    for opt, name in (("--json", "r.json"), ("--pprof", "r.pb.gz"), ("--html", "r.html")):
        d = tiny_tmpfs(ctx, f"full-{name}", "64k", free=0)
        path = os.path.join(d, name)
        p, rc = h.run_to_end(ctx, ["-i", "0", f"{opt}={path}", "--",
                                   h.workload("alloc_leak")], timeout=60)
        err = [l for l in p.err_lines() if l.strip()]
        h.check(rc == 1, f"{opt}: exit status {rc} with the disk full; stderr {err}")
        said = [l for l in err if name in l]
        h.check(len(said) == 1 and ("space" in said[0].lower()),
                f"{opt}: expected one line naming {name} and the lack of space: {err}")
        h.check(os.listdir(d) == [FILL], f"{opt}: left behind on the full disk: {os.listdir(d)}")


def test_faults_disk_full_under_jsonl_warns_and_the_live_trace_goes_on(ctx):
    """--jsonl to a tmpfs that fills after a few lines: memvigil says so (once),
    keeps tracing, and its final JSON report (on another disk) is whole."""
    d = tiny_tmpfs(ctx, "full-jsonl", "8k")
    jsonl_path = os.path.join(d, "lines.jsonl")
    json_path = ctx.path("final.json")
    wl = h.spawn_workload(ctx, "alloc_leak", "--wait", ready=r"^READY (\d+)$")
    mv = h.memvigil(ctx, ["-p", wl.pid, "-i", "0.2", "--jsonl", jsonl_path,
                          "--json", json_path])
    h.wait_banner(mv)
    deadline = time.monotonic() + 60
    while not [l for l in mv.err_lines() if "lines.jsonl" in l]:
        h.check(time.monotonic() < deadline and mv.alive(),
                f"no word of the full disk under --jsonl; {mv.describe()}")
        time.sleep(0.2)
    os.kill(wl.pid, signal.SIGUSR1)
    wl.wait_line(r"^TRUTH done$", 20)
    time.sleep(1)                   # more intervals on the full disk
    h.check(mv.alive(), f"memvigil ended on a full --jsonl disk; {mv.describe()}")
    rc = h.stop(mv)
    said = [l for l in mv.err_lines() if "lines.jsonl" in l]
    h.check(len(said) == 1, f"the full --jsonl disk was said {len(said)} times: {said}")
    h.check(rc in (0, 1), f"exit status {rc}; {mv.describe()}")
    report = h.load_report(json_path)
    truth, _, _ = h.parse_truth(wl.out())
    h.check_truth(report, h.select_procs(report, pid=wl.pid), truth)
    # the lines that fit are whole: the one that did not was cut off again
    with open(jsonl_path, "rb") as f:
        raw = f.read()
    h.check(raw.endswith(b"\n"), f"the --jsonl file ends in a cut line: {raw[-200:]!r}")
    h.check(h.read_jsonl(jsonl_path), "no --jsonl line fit on the disk")


def test_faults_disk_full_under_record_is_said_the_trace_goes_on_and_nothing_is_left(ctx):
    """--record to a disk that is already full, while leak_cache_churn churns
    for 3 s: the failed write is said while tracing (naming the file, the
    reason, and that tracing goes on), the trace goes on to a whole JSON report
    elsewhere, the partial recording is removed, and the end says the
    recording was not written, with exit status 1."""
    d = tiny_tmpfs(ctx, "full-record", "64k", free=0)
    rec_path = os.path.join(d, "trace.mvrec")
    json_path = ctx.path("final.json")
    mv = h.memvigil(ctx, ["-i", "0", "--record", rec_path, "--json", json_path, "--",
                          h.workload("leak_cache_churn"), "3"])
    m = mv.wait_line(r"writing the recording \S*trace.mvrec failed: No space left on device;"
                     r".* tracing goes on", 60, stream="err")
    h.check(mv.alive() or "Tracing " in mv.out(), f"memvigil ended at the failed write; "
            f"{mv.describe()}")
    rc = mv.wait(h.EXIT_TIMEOUT_S)
    said = [l for l in mv.err_lines() if "trace.mvrec" in l]
    h.check(len(said) == 2 and said[0] == m.string and "was not written" in said[1],
            f"expected the failure said while tracing and once at the end: {said}")
    h.check(rc == 1, f"exit status {rc}, expected 1 (the recording was not written)")
    h.check(os.listdir(d) == [FILL], f"left behind on the full disk: {os.listdir(d)}")
    report = h.load_report(json_path)
    (proc,) = h.select_procs(report, exe_name="leak_cache_churn")
    h.check(proc["heap"]["total_allocs"] > 5000, f"the trace did not go on: {h.health(report)}")


def test_faults_loading_fits_a_160_mib_memory_cgroup_and_traces_exactly(ctx):
    """The verifier's work while memvigil loads is charged to memvigil's memory cgroup.
    It peaked above 250 MiB (OOM-killed there) while the stack walk was inlined into
    every allocator program; now memvigil loads and traces in a v1 memory cgroup of
    160 MiB (an ASan build included), exactly, and the limit is the cgroup's own."""
    cg = h.make_cgroup(ctx, "memory")
    with open(os.path.join(cg, "memory.limit_in_bytes"), "w") as f:
        f.write(str(160 << 20))
    json_path = ctx.path("small.json")
    mv = h.memvigil(ctx, ["-i", "0", "--json", json_path, "--", h.workload("alloc_leak")],
                    preexec_fn=lambda: h.move_to_cgroup(os.getpid(), cg))
    rc = mv.wait(h.EXIT_TIMEOUT_S)
    h.check(rc != -signal.SIGKILL, f"memvigil was OOM-killed in 160 MiB; {mv.describe()}")
    h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    report = h.load_report(json_path)
    truth, _, _ = h.parse_truth(mv.out())
    h.check_truth(report, h.select_procs(report, exe_name="alloc_leak"), truth)
    with open(os.path.join(cg, "memory.max_usage_in_bytes")) as f:
        peak = int(f.read())
    h.check(0 < peak <= 160 << 20, f"peak usage {peak} B is not the cgroup's own")
