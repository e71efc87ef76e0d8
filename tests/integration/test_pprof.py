# SPDX-License-Identifier: GPL-2.0
"""Integration tests: --pprof and --folded, read by their consumers.

go tool pprof (Debian's golang-go, installed by scripts/deps.sh; missing go is
a failure, not a skip) reads every profile written here: -top shows each leak
site of a launched command, a process traced by -p and the processes of a
cgroup with the workload's exact bytes, -raw the objects; a sampled profile
carries its period and the JSON report's estimates, within the sampling
tolerance of the truth; -base of two
of our profiles gives their difference. The collapsed stacks end at the same
leak sites with the same bytes. Bad destinations and --kernel-only are refused
with one line before anything is attached.
"""

import gzip
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import harness as h

SAMPLE_TOLERANCE = 0.15  # as test_sampling.py
_cache = {}


def go_pprof(ctx, *args):
    """go tool pprof ARGS: its standard output (a failure unless it exits 0)."""
    go = shutil.which("go")
    h.check(go, "go is missing: scripts/deps.sh installs golang-go for go tool pprof")
    env = dict(os.environ, HOME=ctx.tmp, PPROF_TMPDIR=ctx.tmp, GOCACHE=ctx.path("gocache"),
               GOFLAGS="-mod=mod", GOTOOLCHAIN="local")
    r = subprocess.run([go, "tool", "pprof"] + [str(a) for a in args], capture_output=True,
                       text=True, timeout=120, env=env)
    h.check(r.returncode == 0, f"go tool pprof {' '.join(map(str, args))} exited "
            f"{r.returncode}: {(r.stderr or r.stdout).strip()[-600:]}")
    return r.stdout


def top_bytes(ctx, profile, *extra):
    """{function: flat bytes} from go tool pprof -top (inuse_space, exact units)."""
    out = go_pprof(ctx, "-top", "-unit=byte", "-nodefraction=0", "-nodecount=1000000",
                   *extra, profile)
    flat = {}
    for line in out.splitlines():
        m = re.match(r"^\s*(-?\d+)B\s+\S+%\s+\S+%\s+-?\d+B\s+\S+%\s+(.+?)\s*$", line)
        if m:
            flat[m[2]] = flat.get(m[2], 0) + int(m[1])
    h.check(flat or "Total samples = 0" in out, f"no -top rows read from: {out[:800]!r}")
    return flat, out


def raw_leaves(ctx, profile):
    """From go tool pprof -raw: {leaf function: [4 values summed]}, and the header lines."""
    out = go_pprof(ctx, "-raw", profile)
    samples, locations, section, last = [], {}, None, None
    for line in out.splitlines():
        if line in ("Samples:", "Locations", "Mappings"):
            section = line
        elif section == "Samples:":
            m = re.match(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+):\s+([\d ]+)$", line)
            if m:
                samples.append(([int(m[i]) for i in range(1, 5)], m[5].split()))
        elif section == "Locations":
            m = re.match(r"^\s*(\d+): 0x[0-9a-f]+ M=\d+ (.+?) \S*:\d+ s=\d+", line)
            if m:
                last = m[1]
                locations[last] = m[2]
            # a further line of the location: the function the ones above were inlined
            # into; the last one is the location's own function
            m = m or re.match(r"^\s+(\S.*?) \S*:\d+ s=\d+$", line)
            if m and m.re.groups == 1:
                locations[last] = m[1]
    leaves = {}
    for values, locs in samples:
        acc = leaves.setdefault(locations.get(locs[0], "?"), [0, 0, 0, 0])
        for i in range(4):
            acc[i] += values[i]
    h.check(samples, f"no samples in go tool pprof -raw: {out[:800]!r}")
    return leaves, out


def folded_leaves(path):
    """{leaf frame: bytes} from collapsed stacks, checking each line's shape."""
    leaves = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"^([^;\n]+ \(\d+\))((?:;[^;\n]+)+) (\d+)\n$", line)
            h.check(m, f"malformed collapsed-stack line: {line!r}")
            leaf = m[2].rsplit(";", 1)[1]
            leaves[leaf] = leaves.get(leaf, 0) + int(m[3])
    return leaves


def check_leaks_in_top(ctx, profile, truth, *extra):
    flat, out = top_bytes(ctx, profile, *extra)
    bad = [f"{func}: pprof shows {flat.get(func, 0)} bytes, the workload leaked {nbytes}"
           for func, (nbytes, _) in sorted(truth.items()) if flat.get(func, 0) != nbytes]
    h.check(not bad, "; ".join(bad) + f"; go tool pprof -top:\n{out[:1500]}")


def check_leak_objects_in_raw(ctx, profile, truth):
    leaves, out = raw_leaves(ctx, profile)
    for func, (nbytes, allocs) in sorted(truth.items()):
        got = leaves.get(func, [0, 0, 0, 0])
        h.check(got[2:] == [allocs, nbytes],
                f"{func}: -raw inuse {got[2]} objects / {got[3]} bytes, truth {allocs} / "
                f"{nbytes}; alloc {got[0]} / {got[1]}")
        h.check(got[0] >= allocs and got[1] >= nbytes,
                f"{func}: allocated {got[0]} objects / {got[1]} bytes, less than it holds")
    h.check(re.search(r"^Mappings\n1: 0x[0-9a-f]+/0x[0-9a-f]+/0x[0-9a-f]+ /\S+ [0-9a-f]{40} "
                      r"\[FN\](?:\[FL\])?(?:\[LN\])?$", out, re.M), f"no mapping with a build-id: {out[-800:]!r}")
    return out


def launched(ctx, name="alloc_leak"):
    """One traced run of workload name with --pprof, --folded and -j, shared by tests."""
    if name not in _cache:
        d = tempfile.mkdtemp(prefix=f"memvigil-it-pprof-{name}-")  # outlives one test's ctx
        h.cache_dirs.append(d)
        paths = {k: os.path.join(d, f"{name}.{k}") for k in ("pb.gz", "folded", "json")}
        p, rc = h.run_to_end(ctx, ["-i", "0", "--pprof", paths["pb.gz"], "--folded",
                                   paths["folded"], "-j", paths["json"], "--",
                                   h.workload(name)])
        h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
        _cache[name] = (paths, h.parse_truth(p.out())[0])
    return _cache[name]


def test_pprof_of_a_launched_command_shows_each_leak_site_with_its_exact_bytes(ctx):
    paths, truth = launched(ctx)
    with open(paths["pb.gz"], "rb") as f:
        raw = f.read()
    h.check(raw[:2] == b"\x1f\x8b", f"--pprof file is not gzip: {raw[:8]!r}")
    gzip.decompress(raw)
    mode = os.stat(paths["pb.gz"]).st_mode & 0o777
    h.check(mode == 0o600, f"--pprof file has mode {mode:o}, expected 600")
    check_leaks_in_top(ctx, paths["pb.gz"], truth)
    out = check_leak_objects_in_raw(ctx, paths["pb.gz"], truth)
    h.check(re.search(r"^alloc_objects/count alloc_space/bytes inuse_objects/count "
                      r"inuse_space/bytes\[dflt\]$", out, re.M),
            f"sample types are not alloc/inuse objects/space: {out[:600]!r}")


def test_folded_stacks_of_a_launched_command_end_at_each_leak_with_its_bytes(ctx):
    paths, truth = launched(ctx)
    leaves = folded_leaves(paths["folded"])
    bad = [f"{func}: {leaves.get(func, 0)} bytes, truth {nbytes}"
           for func, (nbytes, _) in sorted(truth.items()) if leaves.get(func, 0) != nbytes]
    h.check(not bad, "; ".join(bad) + f"; leaves {leaves}")
    with open(paths["folded"]) as f:
        first = f.readline()
    h.check(re.match(r"^alloc_leak \(\d+\);_start;", first),
            f"a stack does not start at the process and its root frame: {first!r}")


def test_pprof_of_an_attached_pid_shows_its_leaks_and_its_pid_label(ctx):
    wl = h.spawn_workload(ctx, "alloc_family", "--wait")
    prof = ctx.path("attach.pb.gz")
    mv = h.memvigil(ctx, ["-p", wl.pid, "-i", "0", "--pprof", prof])
    h.wait_banner(mv)
    os.kill(wl.pid, signal.SIGUSR1)
    wl.wait_line(r"^TRUTH done$", 20)
    time.sleep(0.3)
    rc = h.stop(mv)
    h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    truth, _, _ = h.parse_truth(wl.out())
    check_leaks_in_top(ctx, prof, truth)
    check_leak_objects_in_raw(ctx, prof, truth)
    tags = go_pprof(ctx, "-tags", prof)
    h.check(re.search(rf"^\s*pid: Total \d+\n\s+\d+ \(100%\): {wl.pid}$", tags, re.M)
            or re.search(rf"\b{wl.pid}\b", tags.split("pid:", 1)[-1]),
            f"no pid label {wl.pid} in -tags: {tags[:800]!r}")
    h.check(re.search(r"comm: Total", tags), f"no comm label in -tags: {tags[:800]!r}")


def test_pprof_of_a_cgroup_separates_its_processes_by_their_pid_label(ctx):
    cg = h.make_cgroup(ctx)
    family = h.spawn_waiting_in_cgroup(ctx, cg, "alloc_family")
    leak = h.spawn_waiting_in_cgroup(ctx, cg, "alloc_leak")
    prof = ctx.path("cgroup.pb.gz")
    mv = h.memvigil(ctx, ["--cgroup", cg, "-v", "-i", "0", "--pprof", prof])
    h.wait_banner(mv)
    for p in (family, leak):
        h.wait_attached(mv, p.pid)
        os.kill(p.pid, signal.SIGUSR1)
    for p in (family, leak):
        p.wait_line(r"^TRUTH done$", 30)
    time.sleep(0.3)
    rc = h.stop(mv)
    h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    for p in (family, leak):
        truth, _, _ = h.parse_truth(p.out())
        check_leaks_in_top(ctx, prof, truth, f"-tagfocus=pid={p.pid}")
    tags = go_pprof(ctx, "-tags", prof)
    h.check(re.search(r"cgroup: Total", tags) and "/" in tags.split("cgroup:", 1)[-1],
            f"no cgroup label in -tags: {tags[:800]!r}")


def test_pprof_in_sampled_mode_has_its_period_and_the_json_reports_estimates(ctx):
    # 24 MiB leaked in 4 KiB blocks: about 375 samples at 64 KiB
    prof, json_path = ctx.path("sampled.pb.gz"), ctx.path("sampled.json")
    p, rc = h.run_to_end(ctx, ["-i", "0", "--sample-bytes=65536", "--pprof", prof, "-j",
                               json_path, "--", h.workload("leak_shapes"), "steady", "3",
                               "4096", "2000"])
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    truth, _, _ = h.parse_truth(p.out())
    want = truth["leak_steadily"][0]
    leaves, out = raw_leaves(ctx, prof)
    h.check(re.search(r"^PeriodType: space bytes\nPeriod: 65536$", out, re.M),
            f"no sampling period in the profile: {out[:400]!r}")
    flat, top = top_bytes(ctx, prof, "-noinlines")  # the functions inlined into it count too
    got = flat.get("leak_steadily", 0)
    h.check(abs(got - want) / want <= SAMPLE_TOLERANCE,
            f"pprof estimates leak_steadily at {got} bytes, truth {want} "
            f"(> {100 * SAMPLE_TOLERANCE:.0f}% off); -top:\n{top[:1200]}")
    report = h.load_report(json_path)
    est = h.by_first_frame(h.select_procs(report, exe_name="leak_shapes"))["leak_steadily"]
    h.check(leaves.get("leak_steadily", [0] * 4)[2:] == [est[1], est[0]],
            f"pprof's inuse objects/bytes {leaves.get('leak_steadily')} are not the JSON "
            f"report's estimates {est[1]} / {est[0]}")


def test_pprof_base_subtracts_one_of_our_profiles_from_another(ctx):
    base, base_truth = launched(ctx, "alloc_leak")
    new, new_truth = launched(ctx, "alloc_family")
    flat, out = top_bytes(ctx, new["pb.gz"], f"-base={base['pb.gz']}")
    for func, (nbytes, _) in sorted(new_truth.items()):
        h.check(flat.get(func, 0) == nbytes - base_truth.get(func, (0, 0))[0],
                f"{func}: -base shows {flat.get(func, 0)} bytes, expected {nbytes} minus "
                f"the base's; -top:\n{out[:1500]}")
    for func, (nbytes, _) in sorted(base_truth.items()):
        if func not in new_truth:
            h.check(flat.get(func, 0) == -nbytes,
                    f"{func} (only in the base): {flat.get(func, 0)}, expected {-nbytes}")
    same, out = top_bytes(ctx, base["pb.gz"], f"-base={base['pb.gz']}")
    h.check("Total samples = 0" in out or not any(same.values()),
            f"a profile minus itself is not empty: {out[:800]}")


def refuse(ctx, wl, args, path, want):
    """memvigil -p WL ARGS: one line (naming path and want when given), nothing attached."""
    p, rc = h.run_to_end(ctx, ["-p", wl.pid, "-i", "0"] + args, timeout=15)
    line = h.assert_one_line_error(p, rc)
    h.check((path is None or path in line) and want in line,
            f"{args}: the error line lacks {path!r} or {want!r}: {line!r}")
    h.check("Tracing " not in p.out(), f"{args}: memvigil attached anyway")
    return rc


def test_pprof_and_folded_bad_destinations_are_refused_before_attaching(ctx):
    wl = h.spawn_workload(ctx, "spin", "30")
    secret, link = h.planted_link(ctx, "planted.pb.gz")
    for option in ("--pprof", "--folded"):
        refuse(ctx, wl, [option, "/nonexistent/dir/x"], "/nonexistent/dir/x",
               "No such file or directory")
        refuse(ctx, wl, [option, ctx.tmp], ctx.tmp, "it is a directory")
        refuse(ctx, wl, [option, link], link, "it is a symbolic link")
        rc = refuse(ctx, wl, [option, "-", "-j", "-"], None, "can write to stdout")
        h.check(rc == 64, f"{option} - with -j - exited {rc}, expected 64 (usage)")
        rc = refuse(ctx, wl, ["--kernel-only", option, ctx.path("k")], None, "--kernel-only")
        h.check(rc == 64, f"{option} with --kernel-only exited {rc}, expected 64 (usage)")
    with open(secret) as f:
        h.check(f.read() == "root only\n", "the planted link's target was written")
    h.check(os.path.islink(link), "the planted link was replaced by a refused run")
    h.check(not os.path.exists(ctx.path("k")), "a refused run created its file")
    h.check(wl.alive(), "target harmed")


def test_pprof_and_folded_to_stdout_carry_only_the_profile_and_the_command_writes_to_stderr(ctx):
    script = f"echo from-the-command; exec {h.workload('alloc_leak')}"
    for option in ("--pprof", "--folded"):
        r = subprocess.run([h.BIN, "-i", "0", f"{option}=-", "--", "/bin/sh", "-c", script],
                           capture_output=True, timeout=h.EXIT_TIMEOUT_S)
        h.check(r.returncode == 0, f"{option}=- exited {r.returncode}: {r.stderr[-600:]!r}")
        err = r.stderr.decode(errors="replace")
        h.check("from-the-command" in err.splitlines(),
                f"{option}=-: the command's stdout is not on stderr: {err[-600:]!r}")
        truth = h.parse_truth(err)[0]
        h.check(truth, f"{option}=-: no TRUTH lines from the workload on stderr: {err[-600:]!r}")
        path = ctx.path("stdout" + (".pb.gz" if option == "--pprof" else ".folded"))
        with open(path, "wb") as f:
            f.write(r.stdout)
        if option == "--pprof":
            h.check(r.stdout[:2] == b"\x1f\x8b", f"stdout is not only the profile: "
                    f"{r.stdout[:40]!r}")
            check_leaks_in_top(ctx, path, truth)
        else:
            leaves = folded_leaves(path)  # every line of stdout has the collapsed shape
            bad = {f: (leaves.get(f, 0), n) for f, (n, _) in truth.items()
                   if leaves.get(f, 0) != n}
            h.check(not bad, f"--folded=-: leaf bytes differ from the truth: {bad}")


def test_pprof_locations_carry_source_lines_and_inlined_functions(ctx):
    # debug_leak: dl_fill, always inlined into dl_middle, makes the leaking call
    prof = ctx.path("lines.pb.gz")
    p, rc = h.run_to_end(ctx, ["-i", "0", "--pprof", prof, "--", h.workload("debug_leak")])
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    m = re.search(r"^LINES fill=(\d+) middle=(\d+) outer=(\d+)$", p.out(), re.M)
    h.check(m, f"debug_leak printed no LINES line: {p.out()[-300:]!r}")
    fill, middle, outer = m[1], m[2], m[3]
    raw = go_pprof(ctx, "-raw", prof)
    loc = rf"^\s+\d+: 0x[0-9a-f]+ M=\d+ dl_fill \S*debug_leak\.c:{fill} s=\d+\n" \
          rf"\s+dl_middle \S*debug_leak\.c:{middle} s=\d+$"
    h.check(re.search(loc, raw, re.M), f"no location of dl_fill:{fill} inlined in "
            f"dl_middle:{middle} in -raw: {raw[raw.find('Locations'):][:1200]}")
    h.check(re.search(rf"M=\d+ dl_outer \S*debug_leak\.c:{outer} s=", raw),
            f"dl_outer's location lacks debug_leak.c:{outer}")
    top = go_pprof(ctx, "-top", "-lines", "-unit=byte", prof)
    h.check(re.search(rf"^\s*13655B .* dl_fill \S*debug_leak\.c:{fill} \(inline\)$", top, re.M),
            f"-lines does not show the leak at debug_leak.c:{fill}: {top[:1200]}")
    h.check(re.search(r"^\d+: \S+ \S*/debug_leak [0-9a-f]{40} \[FN\]\[FL\]\[LN\]$", raw, re.M),
            f"the mapping does not say it has file names and lines: {raw[-600:]}")
