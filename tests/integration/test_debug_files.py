# SPDX-License-Identifier: GPL-2.0
"""Integration tests: names and lines from separate debug information.

debug_leak is built -O2 -g without frame pointers and stripped three ways
(tests/workloads/split_debug.sh): with a debug file found by build-id, with a
.gnu_debuglink, with MiniDebugInfo only. Its leak runs main -> dl_outer ->
dl_middle -> dl_fill (inlined) -> malloc, and it prints the lines of those
calls ("LINES fill=L1 middle=L2 outer=L3"). Stripped, nothing names those
functions but the debug information, so a name or a line in the report is the
debug file's doing. The build-id file is installed under a test-owned root
(a chroot jail, test_jail.Jail): memvigil must find it inside the traced
process's root. A corrupt file and one of another build at that place are
skipped and counted; debuginfod at an unreachable URL costs one warning, a
server that serves the debug file names the frames, and one that never answers
holds up no report.
"""

import os
import re
import shutil
import signal
import subprocess

import harness as h
from test_jail import Jail

DURATION_S = 4
BUILDID = "debug_leak_buildid"


def lines_of(out):
    m = re.search(r"^LINES fill=(\d+) middle=(\d+) outer=(\d+)$", out, re.M)
    h.check(m, f"debug_leak printed no LINES line: {out[-300:]!r}")
    return int(m[1]), int(m[2]), int(m[3])


def leak_frames(proc):
    """The frames of proc's biggest stack (the leak: 5 x 2731 bytes)."""
    stacks = sorted(proc.get("stacks", []), key=lambda s: -s["outstanding_bytes"])
    h.check(stacks and stacks[0]["outstanding_bytes"] == 5 * 2731,
            f"no stack holds the 13655 leaked bytes: "
            f"{[(s['outstanding_bytes'], s['frames'][:1]) for s in stacks]}")
    return stacks[0]["frames"]


def check_named(proc, out, text, with_lines):
    """The leak's frames named from debug information; with lines and inlining if DWARF."""
    fill, middle, outer = lines_of(out)
    frames = leak_frames(proc)
    own = [f for f in frames if not f["inlined"]]
    h.check([f["symbol"] for f in own[:3]] == ["dl_middle", "dl_outer", "main"],
            f"leak stack is {[f['symbol'] for f in own[:4]]}, expected dl_middle, dl_outer, "
            f"main first")
    if not with_lines:
        h.check(not any("file" in f for f in own[:3]) and not any(f["inlined"] for f in frames),
                f"file or inlined frames without DWARF: {frames[:4]}")
        h.check(re.search(r"^\s+dl_middle\+0x[0-9a-f]+ \(\w+\)$", text, re.M),
                f"no text frame 'dl_middle+0x... (module)': {text[-1200:]}")
        return
    h.check(frames[0]["inlined"] and frames[0]["symbol"] == "dl_fill"
            and frames[0]["line"] == fill and frames[0]["file"].endswith("debug_leak.c"),
            f"first frame is not dl_fill inlined at debug_leak.c:{fill}: {frames[0]}")
    want = [("dl_middle", middle), ("dl_outer", outer)]
    got = [(f["symbol"], f.get("line")) for f in own[:2]]
    h.check(got == want, f"frames and lines {got}, expected {want}")
    for want_line in (rf"^\s+dl_fill \(debug_leak\.c:{fill}\) \[inlined\]$",
                      rf"^\s+dl_middle\+0x[0-9a-f]+ \(debug_leak\.c:{middle}\) \(\w+\)$",
                      rf"^\s+dl_outer\+0x[0-9a-f]+ \(debug_leak\.c:{outer}\) \(\w+\)$"):
        h.check(re.search(want_line, text, re.M), f"text report lacks /{want_line}/: "
                f"{text[-1500:]}")


def debug_file(name):
    path = h.workload(name) + ".debug"
    h.check(os.path.isfile(path), f"{path} is missing (make builds it)")
    return path


def build_id_place(root, exe):
    """ROOT/usr/lib/debug/.build-id/xx/rest.debug for exe's build-id."""
    r = subprocess.run(["readelf", "-n", exe], capture_output=True, text=True, timeout=30)
    m = re.search(r"Build ID: ([0-9a-f]+)", r.stdout)
    h.check(m, f"{exe} has no build-id: {r.stdout[-300:]!r}")
    place = os.path.join(root, "usr/lib/debug/.build-id", m[1][:2], m[1][2:] + ".debug")
    os.makedirs(os.path.dirname(place), exist_ok=True)
    return place


def trace_in_jail(ctx, jail, name):
    """debug_leak_buildid run in jail, traced with -p (-v): (memvigil, workload, report)."""
    wl = jail.spawn(ctx, "--wait")
    json_path = ctx.path(name)
    mv = h.memvigil(ctx, ["-p", wl.pid, "-i", "0", "-d", DURATION_S, "--json", json_path,
                          "-v"])
    h.wait_banner(mv)
    os.kill(wl.pid, signal.SIGUSR1)
    wl.wait_line(r"^TRUTH done$", 20)
    rc = mv.wait(DURATION_S + 60)
    h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    report = h.load_report(json_path)
    (proc,) = h.select_procs(report, pid=wl.pid)
    return mv, wl, report, proc


def run_launched(ctx, workload, name, env=None):
    json_path = ctx.path(name)
    p, rc = h.run_to_end(ctx, ["-i", "0", "--json", json_path, "-v", "--",
                               h.workload(workload)], env=env)
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = h.load_report(json_path)
    (proc,) = h.select_procs(report, exe_name=workload)
    return p, report, proc


def test_debug_files_build_id_file_inside_the_process_root_names_frames_and_lines(ctx):
    jail = Jail(ctx, workload=BUILDID)
    shutil.copyfile(debug_file(BUILDID), build_id_place(jail.root, h.workload(BUILDID)))
    mv, wl, report, proc = trace_in_jail(ctx, jail, "buildid.json")
    check_named(proc, wl.out(), mv.out(), with_lines=True)
    h.check(report["health"]["debug_files_skipped"] == 0, h.health(report))


def test_debug_files_debuglink_next_to_the_object_names_frames_and_lines(ctx):
    p, report, proc = run_launched(ctx, "debug_leak_link", "link.json")
    check_named(proc, p.out(), p.out(), with_lines=True)
    h.check(report["health"]["debug_files_skipped"] == 0, h.health(report))


def test_debug_files_minidebuginfo_alone_names_the_functions(ctx):
    p, report, proc = run_launched(ctx, "debug_leak_mini", "mini.json")
    check_named(proc, p.out(), p.out(), with_lines=False)


def check_skipped(mv, report, proc, words):
    """One file skipped, counted, said once (-v); the leak still counted, unnamed."""
    h.check(report["health"]["debug_files_skipped"] == 1, h.health(report))
    said = [l for l in mv.err_lines() if "debug file" in l and words in l]
    h.check(len(said) == 1, f"expected one line saying the debug file was skipped ({words}): "
            f"{mv.err_lines()[-10:]}")
    frames = leak_frames(proc)
    h.check(frames[0]["symbol"] is None and "file" not in frames[0],
            f"a skipped debug file still named the leak: {frames[0]}")


def test_debug_files_corrupt_build_id_file_is_skipped_counted_and_said_once(ctx):
    jail = Jail(ctx, workload=BUILDID)
    with open(build_id_place(jail.root, h.workload(BUILDID)), "wb") as f:
        f.write(b"\x7fELF" + os.urandom(4096))
    mv, _, report, proc = trace_in_jail(ctx, jail, "corrupt.json")
    check_skipped(mv, report, proc, "not a readable ELF file")


def test_debug_files_build_id_mismatch_is_skipped_counted_and_said_once(ctx):
    jail = Jail(ctx, workload=BUILDID)
    # another build's debug file (debug_leak_link's) where debug_leak_buildid's belongs
    shutil.copyfile(debug_file("debug_leak_link"), build_id_place(jail.root,
                                                                  h.workload(BUILDID)))
    mv, _, report, proc = trace_in_jail(ctx, jail, "mismatch.json")
    check_skipped(mv, report, proc, "build ID is not the object's")


def test_debug_files_unreachable_debuginfod_costs_one_warning_and_the_report_is_whole(ctx):
    cache = ctx.path("debuginfod-cache")
    os.mkdir(cache)
    # port 9 (discard) on the loopback: nothing listens, the connection is refused
    env = {"DEBUGINFOD_URLS": "http://127.0.0.1:9", "DEBUGINFOD_CACHE_PATH": cache}
    p, report, proc = run_launched(ctx, BUILDID, "debuginfod.json", env=env)
    said = [l for l in p.err_lines() if "debuginfod" in l]
    h.check(len(said) == 1 and "DEBUGINFOD_URLS" in said[0],
            f"expected one debuginfod warning naming DEBUGINFOD_URLS: {said}")
    truth, _, _ = h.parse_truth(p.out())
    h.check(sum(s["outstanding_bytes"] for s in proc["stacks"]) >= truth["dl_middle"][0],
            f"the report lost the leak: {h.health(report)}")
    leak_frames(proc)


class DebuginfodServer:
    """A debuginfod server on the loopback serving one debug file by its build-id
    (/buildid/ID/debuginfo), in a thread; answers 404 to anything else."""

    def __init__(self, build_id, path):
        import http.server
        import threading

        want = f"/buildid/{build_id}/debuginfo"

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path != want:
                    self.send_error(404)
                    return
                with open(path, "rb") as f:
                    body = f.read()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def build_id_of(exe):
    r = subprocess.run(["readelf", "-n", exe], capture_output=True, text=True, timeout=30)
    m = re.search(r"Build ID: ([0-9a-f]+)", r.stdout)
    h.check(m, f"{exe} has no build-id: {r.stdout[-300:]!r}")
    return m[1]


def test_debug_files_from_a_debuginfod_server_name_frames_and_lines(ctx):
    exe = h.workload(BUILDID)
    server = DebuginfodServer(build_id_of(exe), debug_file(BUILDID))
    try:
        cache = ctx.path("debuginfod-cache")
        os.mkdir(cache)
        env = {"DEBUGINFOD_URLS": server.url, "DEBUGINFOD_CACHE_PATH": cache}
        p, report, proc = run_launched(ctx, BUILDID, "served.json", env=env)
    finally:
        server.close()
    h.check(not [l for l in p.err_lines() if "debuginfod" in l],
            f"warnings about a server that answered: {p.err_lines()}")
    check_named(proc, p.out(), p.out(), with_lines=True)


def test_debug_files_debuginfod_that_never_answers_does_not_hold_up_the_reports(ctx):
    import socket

    # A server that takes connections (the kernel completes them) and never answers.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        trace_beside_a_silent_server(ctx, silent.getsockname()[1])


def trace_beside_a_silent_server(ctx, port):
    cache = ctx.path("debuginfod-cache")
    os.mkdir(cache)
    # Each request may wait 8 s; the trace lasts 5 s with a report every second.
    # Asked from the session's own thread, the first report would hold the trace
    # until the request gave up, past the end of the run.
    env = {"DEBUGINFOD_URLS": f"http://127.0.0.1:{port}",
           "DEBUGINFOD_CACHE_PATH": cache, "DEBUGINFOD_TIMEOUT": "8"}
    json_path = ctx.path("silent.json")
    mv = h.memvigil(ctx, ["-i", "1", "-d", "5", "--json", json_path, "--",
                          h.workload(BUILDID), "--wait"], env=env)
    ready = mv.wait_line(r"^READY (\d+)$", 20)
    os.kill(int(ready[1]), signal.SIGUSR1)
    rc = mv.wait(60)
    h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    reports = mv.out().count("--- report at")
    h.check(reports >= 3, f"{reports} interval reports in a 5 s trace at -i 1: the "
            f"debuginfod request held them up; {mv.describe()}")
    said = [l for l in mv.err_lines() if "debuginfod" in l]
    h.check(len(said) == 1 and "DEBUGINFOD_URLS" in said[0],
            f"expected one debuginfod warning naming DEBUGINFOD_URLS: {said}")
    (proc,) = h.select_procs(h.load_report(json_path), exe_name=BUILDID)
    leak_frames(proc)


def dwz_debug_file(ctx, alt_name):
    """debug_leak_buildid's debug file with its DWARF shared through dwz, as Debian's debug
    packages ship theirs: (the debug file, the common file), the debug file's
    .gnu_debugaltlink naming the common file alt_name."""
    h.check(shutil.which("dwz"), "dwz is not installed (scripts/deps.sh installs it)")
    d = ctx.path("dwz")
    os.mkdir(d)
    a, b = os.path.join(d, "a.debug"), os.path.join(d, "b.debug")
    shutil.copyfile(debug_file(BUILDID), a)
    shutil.copyfile(debug_file("debug_leak_link"), b)
    common = os.path.join(d, "common.debug")
    r = subprocess.run(["dwz", "-m", common, "-M", alt_name, a, b], capture_output=True,
                       text=True, timeout=60)
    h.check(r.returncode == 0 and os.path.isfile(common), f"dwz failed: {r.stderr.strip()}")
    r = subprocess.run(["readelf", "-p", ".gnu_debugaltlink", a], capture_output=True,
                       timeout=30)
    h.check(alt_name.encode() in r.stdout, f"dwz left no .gnu_debugaltlink naming "
            f"{alt_name}: {r.stdout[-300:]!r}")
    return a, common


def test_debug_files_dwz_file_inside_the_root_names_the_inlined_frames(ctx):
    alt_name = "/usr/lib/debug/.dwz/x86_64-linux-gnu/debug-leak.debug"
    dbg, common = dwz_debug_file(ctx, alt_name)
    jail = Jail(ctx, workload=BUILDID)
    shutil.copyfile(dbg, build_id_place(jail.root, h.workload(BUILDID)))
    place = os.path.join(jail.root, alt_name.lstrip("/"))
    os.makedirs(os.path.dirname(place))
    shutil.copyfile(common, place)
    mv, wl, report, proc = trace_in_jail(ctx, jail, "dwz.json")
    check_named(proc, wl.out(), mv.out(), with_lines=True)
    h.check(report["health"]["debug_files_skipped"] == 0, h.health(report))


def test_jail_dwz_link_to_a_host_fifo_is_never_opened(ctx):
    # The common file's name is a path outside the process's root: a FIFO there would
    # hold whoever opens it for reading until a writer comes, so memvigil must not.
    fifo = ctx.path("trap.fifo")
    os.mkfifo(fifo)
    dbg, _ = dwz_debug_file(ctx, fifo)
    jail = Jail(ctx, workload=BUILDID)
    shutil.copyfile(dbg, build_id_place(jail.root, h.workload(BUILDID)))
    mv, wl, report, proc = trace_in_jail(ctx, jail, "fifo.json")
    own = [f for f in leak_frames(proc) if not f["inlined"]]
    h.check([f["symbol"] for f in own[:3]] == ["dl_middle", "dl_outer", "main"],
            f"leak stack is {[f['symbol'] for f in own[:4]]}, expected dl_middle, dl_outer, "
            f"main: the debug file was not used")
