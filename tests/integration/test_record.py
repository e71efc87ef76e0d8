# SPDX-License-Identifier: GPL-2.0
"""Integration tests: --record FILE and memvigil replay FILE.

A launched command, a -p PID trace and a --cgroup trace are each recorded
while memvigil writes its JSON report, text and collapsed stacks; the replay of
the recording writes the same JSON report (IGNORED names the members the
comparison leaves out, none today: the recording keeps the start time and the
final report's moment), the same final text and the same collapsed stacks; for
the launched command also the same pprof profile and HTML page, and the same
--jsonl lines but for when each was written (JSONL_IGNORED).
A recording that is cut short, a file that is not one and one of a newer
format version each get one line and exit status 1; an object deleted since
the recording leaves its frames as module+offset, said once; a bad --record
destination is refused before anything is attached, and a full disk while
recording is said once while tracing goes on.
"""

import gzip
import json
import os
import shutil
import signal
import subprocess
import time

import harness as h

# JSON members (dotted paths) that may differ between a live report and its replay.
IGNORED = ()
# Members of the --jsonl lines that may differ: when the line was written (wall clock).
JSONL_IGNORED = ("time",)


def replay(ctx, args, timeout=60):
    """memvigil replay ARGS: (the Proc, exit status)."""
    p = h.memvigil(ctx, ["replay"] + [str(a) for a in args])
    return p, p.wait(timeout)


def strip_ignored(report):
    for dotted in IGNORED:
        node, *path = [report] + dotted.split(".")
        for key in path[:-1]:
            node = node.get(key, {})
        node.pop(path[-1], None)
    return report


def differences(a, b, path=""):
    """Where two JSON values differ, as 'path: live != replay' lines (at most 10)."""
    if type(a) is not type(b):
        return [f"{path}: {str(a)[:80]} != {str(b)[:80]}"]
    if isinstance(a, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}.{k}: only in {'the live report' if k in a else 'the replay'}")
            else:
                out += differences(a[k], b[k], f"{path}.{k}")
        return out[:10]
    if isinstance(a, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")][:10]
    return [] if a == b else [f"{path}: {str(a)[:80]} != {str(b)[:80]}"]


def final_text(text):
    """The final text report: from its heading to the end."""
    i = text.find("=== final report")
    h.check(i >= 0, f"no final text report in: {text[-800:]!r}")
    return text[i:]


def check_replay_matches(ctx, live_out, rec, live_json, live_folded, funcs):
    """Replay rec: its JSON, final text and collapsed stacks are the live run's."""
    rjson, rfolded = ctx.path("replay.json"), ctx.path("replay.folded")
    p, rc = replay(ctx, [rec, "-j", rjson, "--folded", rfolded])
    h.check(rc == 0, f"replay exited {rc}; {p.describe()}")
    h.validate_json(rjson)
    live, again = h.load_report(live_json), h.load_report(rjson)
    diff = differences(strip_ignored(live), strip_ignored(again))
    h.check(not diff, "the replay's JSON differs from the live run's: " + "; ".join(diff))
    shown = {f for proc in live["processes"] for f in h.by_first_frame([proc])}
    h.check(set(funcs) <= shown, f"the report lacks {set(funcs) - shown}: nothing compared")
    h.check(final_text(live_out) == final_text(p.out()),
            f"the replay's final text differs:\n{final_text(p.out())[:1500]}\n--- live:\n"
            f"{final_text(live_out)[:1500]}")
    with open(live_folded) as a, open(rfolded) as b:
        h.check(a.read() == b.read(), "the replay's collapsed stacks differ from the live run's")


def outputs(ctx):
    return ctx.path("live.json"), ctx.path("live.folded"), ctx.path("trace.mvr")


def jsonl_lines(path):
    with open(path) as f:
        lines = [json.loads(line) for line in f]
    for line in lines:
        for key in JSONL_IGNORED:
            line.pop(key, None)
    return lines


def check_other_outputs_match(ctx, rec, live):
    """The replay's --pprof, --html and --jsonl are the live run's (live: their paths)."""
    again = {k: ctx.path("replay." + k) for k in live}
    p, rc = replay(ctx, [rec, "--pprof", again["pb.gz"], "--html", again["html"], "--jsonl",
                         again["jsonl"]])
    h.check(rc == 0, f"replay exited {rc}; {p.describe()}")
    with gzip.open(live["pb.gz"]) as a, gzip.open(again["pb.gz"]) as b:
        h.check(a.read() == b.read(), "the replay's pprof profile differs from the live one")
    with open(live["html"], "rb") as a, open(again["html"], "rb") as b:
        h.check(a.read() == b.read(), "the replay's HTML page differs from the live one")
    want, got = jsonl_lines(live["jsonl"]), jsonl_lines(again["jsonl"])
    h.check(len(want) >= 3 and want == got,
            f"the replay's --jsonl lines differ: {len(want)} live, {len(got)} replayed; "
            + "; ".join(d for a, b in zip(want, got) for d in differences(a, b))[:1500])


def test_replay_of_a_launched_command_gives_the_live_reports(ctx):
    js, folded, rec = outputs(ctx)
    other = {k: ctx.path("live." + k) for k in ("pb.gz", "html", "jsonl")}
    p, rc = h.run_to_end(ctx, ["-i", "0", "--window=4", "-j", js, "--folded", folded,
                               "--pprof", other["pb.gz"], "--html", other["html"], "--jsonl",
                               other["jsonl"], "--record", rec, "--", h.workload("demo_leak")])
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    check_other_outputs_match(ctx, rec, other)
    mode = os.stat(rec).st_mode & 0o777
    h.check(mode == 0o600, f"--record file has mode {mode:o}, expected 600")
    with gzip.open(rec, "rb") as f:
        h.check(f.read(8) == b"MVRECRD\n", "the recording does not start with its magic")
    check_replay_matches(ctx, p.out(), rec, js, folded, ["leak_sessions"])


def test_replay_of_a_pid_trace_gives_the_live_reports(ctx):
    js, folded, rec = outputs(ctx)
    wl = h.spawn_workload(ctx, "alloc_family", "--wait")
    mv = h.memvigil(ctx, ["-p", wl.pid, "-i", "1", "-j", js, "--folded", folded,
                          "--record", rec])
    h.wait_banner(mv)
    os.kill(wl.pid, signal.SIGUSR1)
    wl.wait_line(r"^TRUTH done$", 20)
    time.sleep(1.5)  # an interval report in between: the replay keeps its interval
    rc = h.stop(mv)
    h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    truth, _, _ = h.parse_truth(wl.out())
    check_replay_matches(ctx, mv.out(), rec, js, folded, truth)


def test_replay_of_a_cgroup_trace_gives_the_live_reports(ctx):
    js, folded, rec = outputs(ctx)
    cg = h.make_cgroup(ctx)
    family = h.spawn_waiting_in_cgroup(ctx, cg, "alloc_family")
    leak = h.spawn_waiting_in_cgroup(ctx, cg, "alloc_leak")
    mv = h.memvigil(ctx, ["--cgroup", cg, "-v", "-i", "0", "-j", js, "--folded", folded,
                          "--record", rec])
    h.wait_banner(mv)
    for p in (family, leak):
        h.wait_attached(mv, p.pid)
        os.kill(p.pid, signal.SIGUSR1)
    for p in (family, leak):
        p.wait_line(r"^TRUTH done$", 30)
    time.sleep(0.3)
    rc = h.stop(mv)
    h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    funcs = set(h.parse_truth(family.out())[0]) | set(h.parse_truth(leak.out())[0])
    check_replay_matches(ctx, mv.out(), rec, js, folded, funcs)


def recorded_demo(ctx, exe=None):
    """A recording of demo_leak (or of exe, a copy of it): its path."""
    rec = ctx.path("demo.mvr")
    p, rc = h.run_to_end(ctx, ["-i", "0", "--window=4", "--record", rec, "--",
                               exe or h.workload("demo_leak")])
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    return rec


def test_replay_refuses_a_cut_short_foreign_or_newer_recording_in_one_line(ctx):
    rec = recorded_demo(ctx)
    with gzip.open(rec, "rb") as f:
        data = f.read()
    cases = {
        "cut short": (data[: len(data) // 2], "is cut short"),
        "foreign gzip": (b"hello, this is not a recording at all\n" * 4, "is not a memvigil recording"),
        "newer version": (data[:8] + (99).to_bytes(4, "little") + data[12:], "format version 99"),
    }
    for name, (payload, want) in cases.items():
        path = ctx.path(name.replace(" ", "_") + ".mvr")
        with gzip.open(path, "wb") as f:
            f.write(payload)
        p, rc = replay(ctx, [path, "-j", ctx.path("x.json")])
        line = h.assert_one_line_error(p, rc, 1)
        h.check(want in line and path in line, f"{name}: the line lacks {want!r}: {line!r}")
        h.check(not os.path.exists(ctx.path("x.json")), f"{name}: a report was written anyway")
    plain = ctx.path("plain.txt")
    with open(plain, "w") as f:
        f.write("not gzip\n")
    p, rc = replay(ctx, [plain])
    line = h.assert_one_line_error(p, rc, 1)
    h.check("not a memvigil recording" in line, f"a text file: {line!r}")
    with open(ctx.path("cut.mvr"), "wb") as f, open(rec, "rb") as src:
        f.write(src.read()[:-40])  # the compressed stream itself cut
    p, rc = replay(ctx, [ctx.path("cut.mvr")])
    line = h.assert_one_line_error(p, rc, 1)
    h.check("cut short" in line or "damaged" in line, f"a cut gzip stream: {line!r}")
    p, rc = replay(ctx, [])
    h.assert_one_line_error(p, rc, 64)


def test_replay_of_a_deleted_object_keeps_module_and_offset_and_says_so_once(ctx):
    exe = ctx.path("demo_copy")
    shutil.copy(h.workload("demo_leak"), exe)
    rec = recorded_demo(ctx, exe)
    os.unlink(exe)
    js = ctx.path("gone.json")
    p, rc = replay(ctx, [rec, "-j", js])
    h.check(rc == 0, f"replay exited {rc}; {p.describe()}")
    said = [l for l in p.err_lines() if "gone or changed" in l]
    h.check(len(said) == 1 and exe in said[0], f"expected one line naming {exe}: {p.err_lines()}")
    frames = [f for proc in h.load_report(js)["processes"] for s in proc["stacks"]
              for f in s["frames"] if f.get("module") == exe]
    h.check(frames, "no frame of the deleted object in the replay")
    h.check(all(not f.get("symbol") and "offset" in f for f in frames),
            f"a frame of the deleted object has a name: {frames[:2]}")


def test_record_bad_destinations_are_refused_before_attaching(ctx):
    wl = h.spawn_workload(ctx, "spin", "30")
    secret, link = h.planted_link(ctx, "planted.mvr")
    for dest, want, code in ((link, "symbolic link", 1), (ctx.tmp, "directory", 1),
                             ("-", "expected a file name", 64)):
        p, rc = h.run_to_end(ctx, ["-p", wl.pid, "-i", "0", "--record", dest], timeout=15)
        line = h.assert_one_line_error(p, rc, code)
        h.check(want in line, f"--record {dest}: {line!r} lacks {want!r}")
        h.check("Tracing " not in p.out(), f"--record {dest}: memvigil attached anyway")
    with open(secret) as f:
        h.check(f.read() == "root only\n", "the planted link's target was written")


def test_record_write_error_is_said_once_and_tracing_goes_on(ctx):
    small = ctx.path("small")
    os.mkdir(small)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", small], check=True)
    try:
        rec, js = os.path.join(small, "full.mvr"), ctx.path("full.json")
        p, rc = h.run_to_end(ctx, ["-i", "0", "-j", js, "--record", rec, "--",
                                   h.workload("leak_shapes"), "steady", "2", "64", "40000"], timeout=120)
        said = [l for l in p.err_lines() if "recording" in l]
        h.check(len(said) == 1 and "No space left on device" in said[0] and
                "tracing goes on" in said[0], f"expected one line on the write error: {said}")
        h.check(rc == 1, f"memvigil exited {rc} without the recording it was asked for")
        h.check(not os.listdir(small), f"a partial recording was left: {os.listdir(small)}")
        report = h.load_report(js)
        h.check(h.select_procs(report, exe_name="leak_shapes"), "no final report of the trace")
        h.check("=== final report" in p.out(), "no final text report")
    finally:
        subprocess.run(["umount", small], check=False)
