#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""memvigil integration tests: the real binary, real BPF, real processes.

    run.py --build BUILD [-k SUBSTRING]

Runs every test_* function below and in the area files test_*.py beside it (those whose name contains SUBSTRING with
-k), one at a time, each under a timeout. Prints "PASS name", "FAIL name:
reason" or "SKIP name: why" per test and ends with exactly one line
"N passed, N failed" (", N skipped" is added only when a test could not run).
Exit status 1 if anything failed. Needs root: without it every test fails.

Every test kills what it started on every path, and afterwards no BPF
program memvigil loaded may remain: any new kprobe/tracing/raw_tracepoint
program that no live process holds 3 s after the test is a failure.

The workloads (tests/workloads/*.c) print their own ground truth:
"TRUTH func=F bytes=N allocs=K" per leaking function F, "CLEAN func=F" for
functions that must hold nothing, "TRUTH done" last. memvigil's JSON report
must agree byte for byte and count for count, summing the stacks whose
frames[0].symbol is F.
"""

import argparse
import ctypes
import importlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMA = os.path.join(ROOT, "docs", "report.schema.json")
VALIDATOR = os.path.join(ROOT, "tests", "integration", "validate_json.py")
MAN_PAGE = os.path.join(ROOT, "docs", "memvigil.8")

BUILD = None            # set by main()
BIN = None              # BUILD/memvigil
WORKLOADS = None        # BUILD/tests/workloads

DEFAULT_TIMEOUT_S = 60
BANNER_TIMEOUT_S = 30
EXIT_TIMEOUT_S = 30
PROG_GONE_S = 3.0
# Program types memvigil's uprobes (kprobe) and tp_btf/raw_tp programs have.
TRACE_PROG_TYPES = {"kprobe", "tracing", "raw_tracepoint", "raw_tracepoint_writable",
                    "tracepoint", "perf_event"}
EX_USAGE = 64


class Failure(Exception):
    pass


class Skip(Exception):
    pass


class TestTimeout(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


# --- processes -------------------------------------------------------------

class Proc:
    """A child process whose stdout and stderr are collected line by line."""

    def __init__(self, argv, env=None, stdout=True, preexec_fn=None):
        self.argv = [str(a) for a in argv]
        self.lines = {"out": [], "err": []}
        self.cond = threading.Condition()
        self.closed = {"out": not stdout, "err": False}
        self.popen = subprocess.Popen(
            self.argv, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdout else subprocess.DEVNULL,
            stderr=subprocess.PIPE, env=env, start_new_session=True,
            preexec_fn=preexec_fn)
        self.pid = self.popen.pid
        self.readers = []
        if stdout:
            self._read("out", self.popen.stdout)
        self._read("err", self.popen.stderr)

    def _read(self, name, pipe):
        def loop():
            for raw in iter(pipe.readline, b""):
                with self.cond:
                    self.lines[name].append(raw.decode(errors="replace").rstrip("\n"))
                    self.cond.notify_all()
            with self.cond:
                self.closed[name] = True
                self.cond.notify_all()
        t = threading.Thread(target=loop, daemon=True)
        t.start()
        self.readers.append(t)

    def wait_line(self, pattern, timeout, stream="out"):
        """The first match of pattern in a line of stream, waiting for it."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines[stream]:
                    m = rx.search(line)
                    if m:
                        return m
                left = deadline - time.monotonic()
                if left <= 0 or self.closed[stream]:
                    raise Failure(f"{os.path.basename(self.argv[0])} printed no line matching "
                                  f"{pattern!r} on std{stream} within {timeout}s "
                                  f"(exit {self.popen.poll()}); {self.describe()}")
                self.cond.wait(min(left, 0.2))

    def wait(self, timeout):
        try:
            rc = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            raise Failure(f"{' '.join(self.argv)} still running after {timeout}s; "
                          f"{self.describe()}")
        for t in self.readers:
            t.join(5)
        return rc

    def alive(self):
        return self.popen.poll() is None

    def signal(self, sig):
        if self.popen.poll() is None:
            self.popen.send_signal(sig)

    def out(self):
        with self.cond:
            return "\n".join(self.lines["out"])

    def err_lines(self):
        with self.cond:
            return list(self.lines["err"])

    def describe(self):
        with self.cond:
            err = self.lines["err"][-6:]
        return "stderr tail: " + (" | ".join(err) if err else "(empty)")

    def kill_group(self):
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.popen.kill()
        except ProcessLookupError:
            pass
        try:
            self.popen.wait(10)
        except subprocess.TimeoutExpired:
            pass


def set_child_subreaper():
    """Orphans of our children (a command memvigil launched, when memvigil
    dies first) become our children, so cleanup can find and reap them."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)      # PR_SET_CHILD_SUBREAPER
    except OSError:
        pass


def our_children():
    pids = set()
    try:
        for tid in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{tid}/children") as f:
                pids.update(int(p) for p in f.read().split())
    except OSError:
        pass
    return pids


class Context:
    """What one test started; cleanup() ends all of it."""

    def __init__(self, name):
        self.name = name
        self.procs = []
        self.cgroups = []
        self.mounts = []
        self.tmp = tempfile.mkdtemp(prefix="memvigil-it-")
        os.chmod(self.tmp, 0o755)

    def spawn(self, argv, **kw):
        p = Proc(argv, **kw)
        self.procs.append(p)
        return p

    def path(self, name):
        return os.path.join(self.tmp, name)

    def bind_mount(self, src, name):
        """Bind-mount src on a new directory name in tmp; unmounted by cleanup()."""
        dst = self.path(name)
        os.mkdir(dst)
        r = subprocess.run(["mount", "--bind", src, dst], capture_output=True, text=True,
                           timeout=30)
        check(r.returncode == 0, f"mount --bind {src} {dst}: {r.stderr.strip()}")
        self.mounts.append(dst)
        return dst

    def cleanup(self):
        for p in reversed(self.procs):
            p.kill_group()
        for _ in range(50):
            kids = our_children()
            if not kids:
                break
            for pid in kids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            for pid in kids:
                try:
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    pass
        mounted = []
        for m in reversed(self.mounts):
            # lazily: detached even while busy, before anything under tmp is removed
            subprocess.run(["umount", "-l", m], capture_output=True, timeout=30)
            if os.path.ismount(m):
                mounted.append(m)
        for cg in reversed(self.cgroups):
            remove_cgroup(cg)
        if mounted:     # never remove files through a mount that is still there
            raise Failure(f"cannot unmount {mounted}")
        shutil.rmtree(self.tmp, ignore_errors=True)


# --- BPF programs ----------------------------------------------------------

def bpf_trace_progs():
    """{id: name} of the loaded programs of the types memvigil uses."""
    r = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, text=True,
                       timeout=20)
    if r.returncode:
        raise Failure(f"bpftool -j prog show failed: {r.stderr.strip()}")
    progs = json.loads(r.stdout or "[]")
    return {p["id"]: p.get("name", "?") for p in progs if p.get("type") in TRACE_PROG_TYPES}


def held_prog_ids():
    """Program ids some live process holds through a program or link fd."""
    held = set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        fd_dir = f"/proc/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                link = os.readlink(f"{fd_dir}/{fd}")
            except OSError:
                continue
            if link not in ("anon_inode:bpf-prog", "anon_inode:bpf_link"):
                continue
            try:
                with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                    for line in f:
                        if line.startswith("prog_id:"):
                            held.add(int(line.split()[1]))
            except (OSError, ValueError):
                continue
    return held


def leftover_progs(before):
    new = {i: n for i, n in bpf_trace_progs().items() if i not in before}
    if not new:
        return {}
    held = held_prog_ids()
    return {i: n for i, n in new.items() if i not in held}


def wait_progs_gone(before, timeout):
    deadline = time.monotonic() + timeout
    while True:
        left = leftover_progs(before)
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.1)


# --- memvigil and its reports ----------------------------------------------

def memvigil(ctx, args, env=None, **kw):
    check(os.access(BIN, os.X_OK), f"{BIN} is missing (make builds it)")
    e = dict(os.environ)
    e.pop("MEMVIGIL_TEST_ATTACH_DELAY_MS", None)
    if env:
        e.update(env)
    return ctx.spawn([BIN] + [str(a) for a in args], env=e, **kw)


def workload(name):
    path = os.path.join(WORKLOADS, name)
    check(os.access(path, os.X_OK), f"workload {path} is missing (make builds it)")
    return path


def spawn_workload(ctx, name, *args, ready=r"^(READY|SPIN) (\d+)$"):
    p = ctx.spawn([workload(name)] + list(args))
    p.wait_line(ready, 10)
    return p


def run_to_end(ctx, args, timeout=EXIT_TIMEOUT_S, **kw):
    p = memvigil(ctx, args, **kw)
    rc = p.wait(timeout)
    return p, rc


def validate_json(path):
    check(os.path.exists(VALIDATOR), f"{VALIDATOR} is missing")
    check(os.path.exists(SCHEMA), f"{SCHEMA} is missing")
    r = subprocess.run([sys.executable, VALIDATOR, SCHEMA, path], capture_output=True,
                       text=True, timeout=60)
    check(r.returncode == 0, f"JSON report does not validate against docs/report.schema.json: "
          f"{(r.stdout + r.stderr).strip()[:600]}")


def load_report(path):
    check(os.path.exists(path), f"no JSON report written to {path}")
    with open(path) as f:
        text = f.read()
    try:
        report = json.loads(text)
    except ValueError as e:
        raise Failure(f"JSON report is not JSON ({e}): {text[:200]!r}")
    validate_json(path)
    return report


def parse_truth(text):
    """TRUTH/CLEAN/GONE lines a workload printed: ({func: (bytes, allocs)}, {clean}, {gone})."""
    truth, clean, gone, done = {}, set(), {}, False
    for line in text.splitlines():
        m = re.match(r"^(TRUTH|GONE) func=(\w+) bytes=(\d+) allocs=(\d+)$", line)
        if m:
            (truth if m[1] == "TRUTH" else gone)[m[2]] = (int(m[3]), int(m[4]))
        elif re.match(r"^CLEAN func=\w+$", line):
            clean.add(line.split("=", 1)[1])
        elif line == "TRUTH done":
            done = True
    check(done and truth, f"workload printed no complete ground truth: {text[-300:]!r}")
    return truth, clean, gone


def select_procs(report, pid=None, exe_name=None):
    procs = report.get("processes", [])
    if pid is not None:
        sel = [p for p in procs if p.get("pid") == pid]
    elif exe_name is not None:
        sel = [p for p in procs if os.path.basename(p.get("exe") or "") == exe_name
               or p.get("comm") == exe_name[:15]]
    else:
        sel = procs
    check(sel, f"report has no process {pid if pid is not None else exe_name}; has "
          f"{[(p.get('pid'), p.get('comm')) for p in procs]}")
    return sel


def by_first_frame(procs):
    """{frames[0].symbol: [outstanding bytes, outstanding allocs]} over all stacks."""
    acc = {}
    for p in procs:
        for s in p.get("stacks", []):
            frames = s.get("frames") or []
            sym = frames[0].get("symbol") if frames else None
            a = acc.setdefault(sym, [0, 0])
            a[0] += s["outstanding_bytes"]
            a[1] += s["outstanding_allocs"]
    return acc


def health(report):
    return f"health {json.dumps(report.get('health'))}"


def check_truth(report, procs, truth):
    got = by_first_frame(procs)
    bad = []
    for func, (nbytes, allocs) in sorted(truth.items()):
        g = got.get(func, [0, 0])
        if g != [nbytes, allocs]:
            bad.append(f"{func}: expected {nbytes} bytes in {allocs} allocs, "
                       f"got {g[0]} in {g[1]}")
    check(not bad, "; ".join(bad) + f"; {health(report)}; first frames seen: "
          + ", ".join(f"{k}={v[0]}/{v[1]}" for k, v in sorted(got.items(), key=str))[:900])


def check_holds_nothing(procs, funcs):
    bad = []
    for p in procs:
        for s in p.get("stacks", []):
            if s["outstanding_bytes"] <= 0:
                continue
            names = {f.get("symbol") for f in s.get("frames") or []}
            for func in sorted(funcs & names):
                bad.append(f"{func} holds {s['outstanding_bytes']} bytes in "
                           f"{s['outstanding_allocs']} allocs")
    check(not bad, "functions that free everything show outstanding memory: " + "; ".join(bad))


def assert_one_line_error(p, rc, expect_rc=None):
    err = [l for l in p.err_lines() if l.strip()]
    check(rc != 0, f"exit status 0, expected a failure; stderr {err}")
    if expect_rc is not None:
        check(rc == expect_rc, f"exit status {rc}, expected {expect_rc}; stderr {err}")
    check(len(err) == 1, f"expected exactly one line on stderr, got {len(err)}: {err}")
    check(err[0].startswith("memvigil: "), f"error line does not start with 'memvigil: ': "
          f"{err[0]!r}")
    return err[0]


def wait_banner(p):
    return p.wait_line(r"^Tracing ", BANNER_TIMEOUT_S)


def stop(p, sig=signal.SIGTERM, timeout=EXIT_TIMEOUT_S):
    p.signal(sig)
    return p.wait(timeout)


_cache = {}
_cache_dirs = []


def launched_alloc_family(ctx):
    """One traced run of alloc_family, shared by the tests that read it."""
    if "alloc_family" not in _cache:
        keep_dir = tempfile.mkdtemp(prefix="memvigil-it-af-")
        json_path = os.path.join(keep_dir, "report.json")
        p, rc = run_to_end(ctx, ["-i", "0", "--json", json_path, "--",
                                 workload("alloc_family")])
        _cache["alloc_family"] = (rc, p.out(), p.err_lines(), json_path)
        _cache_dirs.append(keep_dir)
    rc, out, err, json_path = _cache["alloc_family"]
    check(os.path.exists(json_path),
          f"memvigil (exit {rc}) wrote no JSON report; stderr {err[-5:]}")
    return rc, out, err, load_report(json_path)


# --- launched commands -----------------------------------------------------

def test_launched_alloc_family_leaks_exact_bytes_and_counts_per_function(ctx):
    rc, out, err, report = launched_alloc_family(ctx)
    truth, _, _ = parse_truth(out)
    check(len(truth) == 11, f"alloc_family printed {len(truth)} TRUTH lines, expected 11")
    check_truth(report, select_procs(report, exe_name="alloc_family"), truth)


def test_launched_alloc_family_non_leaking_functions_hold_nothing(ctx):
    rc, out, err, report = launched_alloc_family(ctx)
    _, clean, _ = parse_truth(out)
    check({"churn_all", "realloc_zero_frees"} <= clean, f"CLEAN lines missing: {clean}")
    check_holds_nothing(select_procs(report, exe_name="alloc_family"), clean)


def traced_alloc_family_verbose(ctx, extra, name="alloc_family"):
    """name (alloc_family) traced with -v plus extra options: (sites, report, truth)."""
    d = tempfile.mkdtemp(prefix="memvigil-it-sites-")
    try:
        json_path = os.path.join(d, "report.json")
        p, rc = run_to_end(ctx, ["-v", "-i", "0", "--json", json_path] + extra
                           + ["--", workload(name)])
        check(rc == 0, f"memvigil exited {rc}; stderr {p.err_lines()[-5:]}")
        sites = {}
        for line in p.err_lines():
            # "  libc.so.6:malloc (malloc) probe at +0: why"
            m = re.search(r"^\s+\S+:(\w+) \((?!mmap family).*?\) probe at \+(\d+):",
                          line.replace("memvigil: ", ""))
            if m:
                sites[m[1]] = int(m[2])
        truth, _, _ = parse_truth(p.out())
        return sites, load_report(json_path), truth
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_chosen_probe_sites_see_exactly_what_entry_probes_see(ctx):
    chosen, rep_c, truth = traced_alloc_family_verbose(ctx, [])
    entry, rep_e, _ = traced_alloc_family_verbose(ctx, ["--entry-probes"])
    check(chosen and set(chosen) == set(entry),
          f"-v listed different probed functions: chosen {chosen}, entry {entry}")
    check(all(off == 0 for off in entry.values()),
          f"--entry-probes placed a probe past an entry: {entry}")
    moved = {f: off for f, off in chosen.items() if off}
    check(moved, f"no probe site was moved off its entry on this libc: {chosen}")
    (pc,) = select_procs(rep_c, exe_name="alloc_family")
    (pe,) = select_procs(rep_e, exe_name="alloc_family")
    keys = ["total_allocs", "total_frees", "total_bytes", "outstanding_bytes",
            "outstanding_allocs", "peak_outstanding_bytes"]
    diff = {k: (pc["heap"][k], pe["heap"][k]) for k in keys if pc["heap"][k] != pe["heap"][k]}
    check(not diff, f"heap totals differ (chosen sites {moved}, entry): {diff}")
    check(by_first_frame([pc]) == by_first_frame([pe]),
          f"per-function outstanding differs: chosen {by_first_frame([pc])}, "
          f"entry {by_first_frame([pe])}")
    check_truth(rep_e, [pe], truth)
    for r in (rep_c, rep_e):
        check(r["health"]["lost_events"] == 0, f"events were lost: {health(r)}")


def test_chosen_sites_in_every_allocator_see_what_entry_probes_see(ctx):
    moved_any = {}
    for variant in ("jemalloc", "tcmalloc", "mimalloc", "static"):
        name = f"alloc_leak_{variant}"
        chosen, rep_c, truth = traced_alloc_family_verbose(ctx, [], name)
        entry, rep_e, _ = traced_alloc_family_verbose(ctx, ["--entry-probes"], name)
        check(chosen and set(chosen) == set(entry),
              f"{variant}: -v listed different probed functions: chosen {chosen}, "
              f"entry {entry}")
        check(all(off == 0 for off in entry.values()),
              f"{variant}: --entry-probes placed a probe past an entry: {entry}")
        moved_any.update({f"{variant}:{f}": o for f, o in chosen.items() if o})
        for r in (rep_c, rep_e):
            (proc,) = select_procs(r, exe_name=name)
            check_truth(r, [proc], truth)
            check(proc["heap"]["unmatched_frees"] == 0,
                  f"{variant}: unmatched frees; {health(r)}")
        (pc,) = select_procs(rep_c, exe_name=name)
        (pe,) = select_procs(rep_e, exe_name=name)
        for k in ("total_allocs", "total_frees", "total_bytes"):
            check(pc["heap"][k] == pe["heap"][k],
                  f"{variant}: {k} differs: chosen {pc['heap'][k]}, entry {pe['heap'][k]}")
    check(moved_any, "no probe site was moved off its entry in any allocator")


def test_exited_process_is_symbolized_with_its_exit_code(ctx):
    rc, out, err, report = launched_alloc_family(ctx)
    truth, _, _ = parse_truth(out)
    (p,) = select_procs(report, exe_name="alloc_family")
    check(p.get("exited") is True, f"exited is {p.get('exited')!r}, expected true")
    check(p.get("exit_code") == 0 and p.get("exit_signal") is None,
          f"exit_code {p.get('exit_code')!r} exit_signal {p.get('exit_signal')!r}, "
          f"expected 0 and null")
    firsts = {}
    for s in p["stacks"]:
        if s["frames"]:
            firsts.setdefault(s["frames"][0].get("symbol"), s["frames"][0])
    for func in truth:
        check(func in firsts, f"no stack starts at {func}: first frames {sorted(firsts, key=str)}")
        module = firsts[func].get("module") or ""
        check(os.path.basename(module) == "alloc_family",
              f"{func}'s frame is in module {module!r}, expected .../alloc_family")


def test_exit_status_of_a_successful_command_is_0(ctx):
    rc, out, err, report = launched_alloc_family(ctx)
    check(rc == 0, f"memvigil exited {rc} for a command that exited 0; stderr {err[-5:]}")


def test_exit_status_is_the_commands_own_status_3(ctx):
    p, rc = run_to_end(ctx, ["-i", "0", "--", "/bin/sh", "-c", "exit 3"])
    check(rc == 3, f"memvigil exited {rc}, the command exited 3; {p.describe()}")


def test_exit_status_of_a_command_killed_by_sigkill_is_137(ctx):
    p, rc = run_to_end(ctx, ["-i", "0", "--", "/bin/sh", "-c", "kill -9 $$"])
    check(rc == 137, f"memvigil exited {rc}, expected 128+9 = 137; {p.describe()}")


def test_threads_leak_exactly_and_cross_thread_frees_leave_nothing(ctx):
    json_path = ctx.path("threads.json")
    p, rc = run_to_end(ctx, ["-i", "0", "--json", json_path, "--", workload("threads")])
    check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = load_report(json_path)
    truth, clean, _ = parse_truth(p.out())
    procs = select_procs(report, exe_name="threads")
    check_truth(report, procs, truth)
    check("produce_blocks" in clean, f"CLEAN lines missing produce_blocks: {clean}")
    check_holds_nothing(procs, clean)
    heap = procs[0]["heap"]
    check(heap["total_frees"] >= 2 * 1501,
          f"only {heap['total_frees']} frees seen, the consumer freed 3002 blocks")


def test_exec_drops_the_live_set_of_the_old_image(ctx):
    json_path = ctx.path("exec.json")
    p, rc = run_to_end(ctx, ["-i", "0", "--json", json_path, "--", workload("exec_leak")])
    check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = load_report(json_path)
    truth, _, gone = parse_truth(p.out())
    check("leak_before_exec" in gone, "exec_leak printed no GONE line for leak_before_exec")
    procs = select_procs(report, exe_name="exec_leak")
    check_truth(report, procs, truth)
    check_holds_nothing(procs, set(gone))


def test_process_gone_before_its_exec_is_read_is_symbolized_from_the_exec_record(ctx):
    # Only an exec that is not held (MEMVIGIL_TEST_NO_HOLD: as for a process that
    # leads its own process group) can end before memvigil reads it.
    json_path = ctx.path("exec-gone.json")
    p, rc = run_to_end(ctx, ["-v", "-i", "0", "--json", json_path, "--", workload("exec_leak")],
                       env={"MEMVIGIL_TEST_EXEC_DELAY_MS": "700", "EXEC_LEAK_NO_LINGER": "1",
                            "MEMVIGIL_TEST_NO_HOLD": "1"})
    check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    check(any("symbolized from the exec record" in l for l in p.err_lines()),
          f"the exec'd image was still there when its exec was read (the test delays that "
          f"by 700 ms); {p.describe()}")
    report = load_report(json_path)
    truth, _, gone = parse_truth(p.out())
    procs = select_procs(report, exe_name="exec_leak")
    check_truth(report, procs, truth)
    check_holds_nothing(procs, set(gone))


def test_leak_without_frame_pointer_is_the_first_frame(ctx):
    path = workload("nofp_leak")
    dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn",
                          "--disassemble=leak_without_frame_pointer", path],
                         capture_output=True, text=True, timeout=30).stdout
    check("leak_without_frame_pointer>:" in dis, "objdump cannot find leak_without_frame_pointer")
    check(not re.search(r"mov\s+%rsp,%rbp", dis),
          "workload bug: leak_without_frame_pointer sets up a frame pointer")
    json_path = ctx.path("nofp.json")
    p, rc = run_to_end(ctx, ["-i", "0", "--json", json_path, "--", path])
    check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = load_report(json_path)
    truth, _, _ = parse_truth(p.out())
    check_truth(report, select_procs(report, exe_name="nofp_leak"), truth)


def test_stack_deeper_than_64_frames_is_cut_and_counted(ctx):
    json_path = ctx.path("deep.json")
    p, rc = run_to_end(ctx, ["-i", "0", "--json", json_path, "--", workload("deep_stack")])
    check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = load_report(json_path)
    truth, _, _ = parse_truth(p.out())
    (proc,) = select_procs(report, exe_name="deep_stack")
    check_truth(report, [proc], truth)
    depth = deep_stack_symbols(report)
    check(len(depth["leak_deep"]) == 64 and set(depth["leak_deep"][1:]) == {"descend"},
          f"deep stack has {len(depth['leak_deep'])} frames, expected 64 "
          f"(leak_deep then descend only): {depth['leak_deep'][:4]}...{depth['leak_deep'][-2:]}")
    check(depth["leak_shallow"][:2] == ["leak_shallow", "main"],
          f"shallow stack is {depth['leak_shallow']}")
    check(report["health"]["stack_errors"] == 1,
          f"stack_errors {report['health']['stack_errors']}, expected 1 (the deep leak); "
          f"{health(report)}")


def deep_stack_symbols(report):
    """The symbols of the deep_stack workload's two leaking stacks, keyed by the first."""
    (proc,) = select_procs(report, exe_name="deep_stack")
    depth = {}
    for s in proc["stacks"]:
        frames = s.get("frames") or []
        if frames and frames[0].get("symbol") in ("leak_deep", "leak_shallow"):
            depth[frames[0]["symbol"]] = [f.get("symbol") for f in frames]
    return depth


def test_debug_mode_records_and_prints_the_whole_deep_stack(ctx):
    # deep_stack recurses 101 times (descend(100) .. descend(0)) before leaking.
    json_path = ctx.path("deep-debug.json")
    p, rc = run_to_end(ctx, ["--mode=debug", "-i", "0", "--json", json_path, "--",
                             workload("deep_stack")])
    check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = load_report(json_path)
    check(report["options"]["stack_depth"] == 128 and report["options"]["frames"] == 0,
          f"debug options {report['options']}")
    deep = deep_stack_symbols(report)["leak_deep"]
    check(deep[0] == "leak_deep" and deep.count("descend") == 101 and
          deep[102] == "main", f"debug stack has {len(deep)} frames: {deep[:3]}...{deep[-3:]}")
    check(report["health"]["stack_errors"] == 0,
          f"stack_errors {report['health']['stack_errors']} with room for the whole stack")
    text = p.out()
    check(len(re.findall(r"^\s+descend\+0x[0-9a-f]+ \(deep_stack\)$", text, re.M)) == 101
          and "more frames" not in text,
          f"debug text does not print every frame: {text[-1500:]}")


def test_stack_depth_and_frames_cut_what_is_recorded_and_printed(ctx):
    json_path = ctx.path("deep-16.json")
    p, rc = run_to_end(ctx, ["--stack-depth=16", "--frames=4", "-i", "0", "--json", json_path,
                             "--", workload("deep_stack")])
    check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = load_report(json_path)
    depth = deep_stack_symbols(report)
    check(len(depth["leak_deep"]) == 16, f"deep stack has {len(depth['leak_deep'])} frames, "
          "expected --stack-depth=16")
    check(depth["leak_shallow"][:2] == ["leak_shallow", "main"],
          f"shallow stack is {depth['leak_shallow']}")
    check(report["health"]["stack_errors"] == 1,
          f"stack_errors {report['health']['stack_errors']}, expected 1 (the deep leak)")
    text = p.out()
    block = text[text.index("(4099 bytes)"):]
    lines = block.splitlines()[1:6]
    check(all("descend" in l or "leak_deep" in l for l in lines[:4]) and
          lines[4].strip() == "... 12 more frames",
          f"--frames=4 text block: {lines}")


def test_json_dash_writes_only_the_report_to_stdout_demo_leak_exact(ctx):
    # demo_leak writes only to stderr, so stdout must be exactly the JSON report.
    p, rc = run_to_end(ctx, ["-i", "0", "--json", "-", "--", workload("demo_leak")])
    check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    out = p.out()
    # Check the report itself even when something else got onto stdout too.
    start = 0 if out.startswith("{") else out.find("\n{") + 1
    check(start > 0 or out.startswith("{"), f"no JSON on stdout: {out[:300]!r}")
    path = ctx.path("stdout.json")
    with open(path, "w") as f:
        f.write(out[start:])
    report = load_report(path)
    m = p.wait_line(r"^demo_leak: leaked (\d+) bytes in (\d+) blocks from leak_sessions$", 1,
                    stream="err")
    procs = select_procs(report, exe_name="demo_leak")
    check_truth(report, procs, {"leak_sessions": (int(m[1]), int(m[2]))})
    check_holds_nothing(procs, {"cache_put", "handle_request"})
    check(start == 0, f"stdout with --json - is not only the JSON report; before it: "
          f"{out[:start]!r}")


# --- attaching to a running process ----------------------------------------

def test_attach_pid_alloc_family_leaks_exact_bytes_and_counts(ctx):
    wl = spawn_workload(ctx, "alloc_family", "--wait")
    pid = wl.pid
    json_path = ctx.path("attach.json")
    mv = memvigil(ctx, ["-p", pid, "--json", json_path, "-i", "0"])
    wait_banner(mv)
    os.kill(pid, signal.SIGUSR1)
    wl.wait_line(r"^TRUTH done$", 20)
    time.sleep(0.3)
    rc = stop(mv)
    check(rc == 0, f"memvigil exited {rc} after SIGTERM; {mv.describe()}")
    report = load_report(json_path)
    (proc,) = select_procs(report, pid=pid)
    check(proc.get("exited") is False, f"running process reported exited={proc.get('exited')!r}")
    truth, clean, _ = parse_truth(wl.out())
    check_truth(report, [proc], truth)
    check_holds_nothing([proc], clean)
    check(wl.alive(), "the traced process died while memvigil detached")
    wrc = stop(wl)
    check(wrc == 0, f"alloc_family exited {wrc} after memvigil detached, expected 0")


def test_attach_stops_by_itself_when_the_process_exits(ctx):
    # long enough that memvigil, slow to load on a busy machine, attaches before the exit
    wl = spawn_workload(ctx, "spin", "4")
    mv = memvigil(ctx, ["-p", wl.pid, "-i", "0"])
    wait_banner(mv)
    check(wl.wait(10) == 0, "spin did not exit 0")
    rc = mv.wait(10)
    check(rc == 0, f"memvigil exited {rc} when the traced process exited; {mv.describe()}")
    check("=== final report" in mv.out(), f"no final report: {mv.out()[-300:]!r}")


def test_duration_ends_tracing_and_leaves_the_process_running(ctx):
    wl = spawn_workload(ctx, "spin", "60")
    mv = memvigil(ctx, ["-p", wl.pid, "-i", "0", "-d", "1"])
    wait_banner(mv)
    rc = mv.wait(15)
    check(rc == 0, f"memvigil -d 1 exited {rc}; {mv.describe()}")
    time.sleep(0.2)
    check(wl.alive(), "the traced process died when memvigil's duration ended")


def test_text_report_has_banner_and_leak_malloc_frame(ctx):
    rc, out, err, report = launched_alloc_family(ctx)
    lines = out.splitlines()
    check(any(l.startswith("Tracing ") for l in lines), f"no 'Tracing ' banner: {out[:300]!r}")
    check(any(re.match(r"^\s+leak_malloc\+0x[0-9a-f]+", l) for l in lines),
          f"no frame line 'leak_malloc+0x...' in the text report: {out[-800:]!r}")


def test_sigusr1_prints_an_extra_report_while_tracing(ctx):
    wl = spawn_workload(ctx, "spin", "60")
    mv = memvigil(ctx, ["-p", wl.pid, "-i", "0"])
    wait_banner(mv)
    for n in (1, 2):
        mv.signal(signal.SIGUSR1)
        deadline = time.monotonic() + 10
        while mv.out().count("--- report at") < n:
            check(time.monotonic() < deadline and mv.alive(),
                  f"no report #{n} after SIGUSR1; stdout {mv.out()[-300:]!r}")
            time.sleep(0.05)
    rc = stop(mv)
    check(rc == 0, f"memvigil exited {rc} after SIGTERM; {mv.describe()}")
    out = mv.out()
    check(out.count("--- report at") == 2 and out.count("=== final report") == 1,
          f"expected 2 reports on SIGUSR1 and 1 final report, stdout: {out[-600:]!r}")
    check(wl.alive(), "the traced process died")


def test_sigkill_leaves_nothing_attached_and_the_target_runs_on(ctx):
    before = set(bpf_trace_progs())
    wl = spawn_workload(ctx, "spin", "3")
    mv = memvigil(ctx, ["-p", wl.pid, "-i", "0"])
    wait_banner(mv)
    check(leftover_progs(before) == {} and len(set(bpf_trace_progs()) - before) > 0,
          "memvigil printed its banner but holds no BPF program")
    mv.signal(signal.SIGKILL)
    mv.wait(10)
    left = wait_progs_gone(before, 5)
    check(not left, f"BPF programs still loaded 5 s after SIGKILL: {left}")
    check(wl.alive(), "the traced process died with memvigil")
    check(wl.wait(15) == 0, "the traced process did not exit normally after memvigil was killed")


# --- following children ------------------------------------------------------

def parse_pid_truth(text):
    """Per-process ground truth: ({pid: {func: (bytes, allocs)}}, {pid: {clean funcs}})."""
    truth, clean = {}, {}
    for line in text.splitlines():
        m = re.match(r"^TRUTH pid=(\d+) func=(\w+) bytes=(\d+) allocs=(\d+)$", line)
        if m:
            truth.setdefault(int(m[1]), {})[m[2]] = (int(m[3]), int(m[4]))
        m = re.match(r"^CLEAN pid=(\d+) func=(\w+)$", line)
        if m:
            clean.setdefault(int(m[1]), set()).add(m[2])
    return truth, clean


def release_children(mv, count, timeout=30, out=None):
    """Send SIGUSR1 to each "CHILD pid" line the workload printed once memvigil
    (-v) says it attached that pid (the first time) or saw its exec (the
    second time); returns the pids released."""
    released = {}
    deadline = time.monotonic() + timeout
    while sum(released.values()) < count:
        check(time.monotonic() < deadline, f"only {sum(released.values())} of {count} children "
              f"were attached in {timeout}s; {mv.describe()}")
        waiting = {}
        for x in re.findall(r"^CHILD (\d+)$", (out or mv).out(), re.M):
            waiting[int(x)] = waiting.get(int(x), 0) + 1
        err = "\n".join(mv.err_lines())
        for pid, n in waiting.items():
            if released.get(pid, 0) >= n:
                continue
            ready = (rf"PID {pid} \(forked by \d+\) attached" if n == 1
                     else rf"PID {pid} exec'd ")
            if re.search(ready, err):
                os.kill(pid, signal.SIGUSR1)
                released[pid] = n
        time.sleep(0.05)
    return set(released)


def check_pid_truth(report, truth, clean):
    for pid, funcs in sorted(truth.items()):
        (proc,) = select_procs(report, pid=pid)
        check_truth(report, [proc], funcs)
        check_holds_nothing([proc], clean.get(pid, set()))
    for pid, funcs in sorted(clean.items()):
        check_holds_nothing(select_procs(report, pid=pid), funcs)


def test_follow_reports_leaks_of_forked_children_grandchildren_and_exec(ctx):
    json_path = ctx.path("follow.json")
    mv = memvigil(ctx, ["-f", "-v", "-i", "0", "--json", json_path, "--",
                        workload("fork_leak")])
    released = release_children(mv, 5)
    rc = mv.wait(EXIT_TIMEOUT_S)
    check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    check(re.search(r"^TRUTH done$", mv.out(), re.M), f"fork_leak did not finish: "
          f"{mv.out()[-300:]!r}")
    report = load_report(json_path)
    truth, clean = parse_pid_truth(mv.out())
    check(len(truth) == 4 and len(clean) == 1, f"expected leaks in 4 processes and one clean "
          f"one, got {sorted(truth)} and {sorted(clean)}")
    check_pid_truth(report, truth, clean)
    procs = {p["pid"]: p for p in report["processes"]}
    check(released <= set(procs), f"children missing from the report: {released - set(procs)}")
    for pid in released:
        check(procs[pid]["exited"] is True and procs[pid]["exit_code"] == 0,
              f"child {pid} not reported as exited with 0: {procs[pid]['exited']!r} "
              f"{procs[pid]['exit_code']!r}")
        check(procs[pid].get("parent_pid") in procs,
              f"child {pid} names parent {procs[pid].get('parent_pid')!r}, not a traced pid")


def test_follow_with_pid_traces_the_children_forked_after_attach(ctx):
    wl = spawn_workload(ctx, "fork_leak", "--wait")
    json_path = ctx.path("follow-pid.json")
    mv = memvigil(ctx, ["-p", wl.pid, "-f", "-v", "-i", "0", "--json", json_path])
    wait_banner(mv)
    os.kill(wl.pid, signal.SIGUSR1)
    release_children(mv, 5, out=wl)
    check(wl.wait(30) == 0, "fork_leak failed")
    rc = mv.wait(EXIT_TIMEOUT_S)       # every traced process has exited
    check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    report = load_report(json_path)
    check(report["target"] == {"pid": wl.pid, "follow": True}, f"target {report['target']!r}")
    truth, clean = parse_pid_truth(wl.out())
    check(len(truth) == 4, f"fork_leak truth from {sorted(truth)}, expected 4 processes")
    check_pid_truth(report, truth, clean)
    attach = report["health"]["attach"]
    check(attach["forks_followed"] == 4 and attach["fork_to_attach_max_ms"] is not None,
          f"health.attach {attach!r}: expected 4 forks followed with their delays")


def test_without_follow_children_are_not_traced(ctx):
    json_path = ctx.path("nofollow.json")
    p, rc = run_to_end(ctx, ["-i", "0", "--json", json_path, "--", workload("fork_leak"),
                             "--sleep", "50"])
    check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = load_report(json_path)
    check(len(report["processes"]) == 1, f"without -f only the command is traced; report has "
          f"{[(x['pid'], x['comm']) for x in report['processes']]}")
    truth, _ = parse_pid_truth(p.out())
    (pid,) = [q for q, f in truth.items() if "leak_in_parent" in f]
    check_pid_truth(report, {pid: truth[pid]}, {})


def test_usage_error_follow_without_a_target(ctx):
    p, rc = run_to_end(ctx, ["-f", "-i", "1"])
    line = assert_one_line_error(p, rc, EX_USAGE)
    check("follow" in line, f"error does not mention --follow: {line!r}")
# --- sampled mode --------------------------------------------------------------

SAMPLE_BYTES = 65536
SAMPLE_TOLERANCE = 0.15


def kernel_has_uprobe_sessions():
    """True if the running kernel's BTF knows the uprobe session attach type (6.13+)."""
    r = subprocess.run(["bpftool", "btf", "dump", "file", "/sys/kernel/btf/vmlinux"],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, f"bpftool btf dump failed: {r.stderr.strip()[:200]}")
    return "'BPF_TRACE_UPROBE_SESSION'" in r.stdout


def run_sample_mix(ctx, name, seconds, extra, env=None):
    """memvigil (extra options) on sample_mix for SECONDS: (report, workload truth, stdout)."""
    json_path = ctx.path(name + ".json")
    p, rc = run_to_end(ctx, ["-i", "0", "--json", json_path] + extra +
                       ["--", workload("sample_mix"), seconds], timeout=seconds + 40, env=env)
    check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = load_report(json_path)
    truth, clean, _ = parse_truth(p.out())
    return report, truth, clean, p.out()


def check_sampled_estimate(report, truth, clean):
    procs = select_procs(report, exe_name="sample_mix")
    check(report["sampling"] == {"mode": "bytes", "period_bytes": SAMPLE_BYTES},
          f"sampling is {report['sampling']}, expected bytes at {SAMPLE_BYTES}")
    lost = report["health"]["lost_events"]
    check(lost == 0, f"{lost} events lost; {health(report)}")
    want, allocs = truth["leak_mixed"]
    got = by_first_frame(procs).get("leak_mixed", [0, 0])
    err = abs(got[0] - want) / want
    samples = sum(s["samples"]["outstanding"] for p in procs for s in p["stacks"]
                  if s["frames"] and s["frames"][0].get("symbol") == "leak_mixed")
    check(err <= SAMPLE_TOLERANCE,
          f"leak_mixed estimated at {got[0]} bytes in {got[1]} allocs from {samples} samples; "
          f"truth {want} bytes in {allocs} allocs: off by {100 * err:.1f}% "
          f"(> {100 * SAMPLE_TOLERANCE:.0f}%)")
    check(samples > 100, f"only {samples} samples behind the leak_mixed estimate")
    check_holds_nothing(procs, clean)
    # Nothing else holds much: an allocation counted twice (a nested call sampled on
    # its own) would show up here as memory held by no stack of the workload.
    total = sum(p["heap"]["outstanding_bytes"] for p in procs)
    check(abs(total - want) / want <= SAMPLE_TOLERANCE,
          f"the process is estimated to hold {total} bytes, the workload leaked {want}")
    return err


def test_sampled_estimate_of_the_leak_is_within_15_percent_over_10s_with_sessions(ctx):
    report, truth, clean, out = run_sample_mix(ctx, "sessions", 10,
                                               ["--sample-bytes=%d" % SAMPLE_BYTES])
    sessions = kernel_has_uprobe_sessions()
    want = "session" if sessions else "uretprobe"
    check(report["health"]["return_probe"] == want,
          f"return_probe is {report['health']['return_probe']!r}, expected {want!r} on a kernel "
          f"{'with' if sessions else 'without'} uprobe sessions")
    check_sampled_estimate(report, truth, clean)
    check(re.search(r"^Tracing .*sampled every 64\.0 KiB \(figures are estimates\)", out, re.M),
          f"the banner does not say figures are estimates: {out[:300]!r}")


def test_sampled_estimate_through_uretprobes_is_within_15_percent(ctx):
    report, truth, clean, _ = run_sample_mix(ctx, "uretprobes", 5,
                                             ["--sample-bytes=64K"],
                                             env={"MEMVIGIL_TEST_NO_SESSIONS": "1"})
    check(report["health"]["return_probe"] == "uretprobe",
          f"return_probe is {report['health']['return_probe']!r} with sessions turned off")
    check_sampled_estimate(report, truth, clean)


def test_exact_mode_on_the_sampling_workload_is_byte_exact(ctx):
    report, truth, clean, out = run_sample_mix(ctx, "exact", 3, [])
    check(report["sampling"] == {"mode": "exact", "period_bytes": None},
          f"sampling is {report['sampling']} without --sample-bytes")
    check(report["health"]["return_probe"] == "uretprobe", health(report))
    procs = select_procs(report, exe_name="sample_mix")
    check_truth(report, procs, truth)
    check_holds_nothing(procs, clean)
    check(all("samples" not in s for p in procs for s in p["stacks"]),
          "an exact report carries sample counts")
    check("estimate" not in out, "an exact text report speaks of estimates")


def test_sampled_text_report_says_it_shows_estimates_and_the_period(ctx):
    p, rc = run_to_end(ctx, ["-i", "0", "--sample-bytes=4K", "--", workload("demo_leak")])
    check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    out = p.out()
    check(re.search(r"^=== final report at \+\S+ \(estimates from samples, one per 4\.0 KiB "
                    r"allocated on average\)$", out, re.M), f"no estimate header: {out[-600:]!r}")
    check(re.search(r"^PID \d+ \(demo_leak\) \[exited\]: ~", out, re.M),
          f"summary does not mark estimates with ~: {out[-600:]!r}")


def check_period_1_is_exact(ctx, name, env):
    """At --sample-bytes=1 every block of 23 bytes or more is sampled with weight 1: the
    nested-call guard, realloc's old blocks and the kernel's free matching must then
    give alloc_family's exact truth."""
    json_path = ctx.path(name + ".json")
    p, rc = run_to_end(ctx, ["-i", "0", "--json", json_path, "--sample-bytes=1", "--",
                             workload("alloc_family")], env=env)
    check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = load_report(json_path)
    truth, clean, _ = parse_truth(p.out())
    procs = select_procs(report, exe_name="alloc_family")
    check_truth(report, procs, truth)
    check_holds_nothing(procs, clean)
    return report


def test_sampling_every_byte_gives_alloc_familys_exact_truth_through_sessions(ctx):
    report = check_period_1_is_exact(ctx, "sessions", None)
    want = "session" if kernel_has_uprobe_sessions() else "uretprobe"
    check(report["health"]["return_probe"] == want, health(report))


def test_sampling_every_byte_gives_alloc_familys_exact_truth_through_uretprobes(ctx):
    report = check_period_1_is_exact(ctx, "uretprobes", {"MEMVIGIL_TEST_NO_SESSIONS": "1"})
    check(report["health"]["return_probe"] == "uretprobe", health(report))


def test_full_table_of_sampled_blocks_is_counted_as_lost_and_shown(ctx):
    json_path = ctx.path("full.json")
    p, rc = run_to_end(ctx, ["-i", "0", "--json", json_path, "--sample-bytes=4K",
                             "--sample-max-live=16", "--", workload("sample_mix"), "1"],
                       timeout=60)
    check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = load_report(json_path)
    h = report["health"]
    full = h["lost"]["sampled_full"]
    check(full > 0, f"a 16-entry table held every sampled leak block; {health(report)}")
    check(h["lost_events"] == sum(h["lost"].values()), f"lost_events is not the sum; {health(report)}")
    m = re.search(r"\| lost (\d+)$", p.out(), re.M)
    check(m and int(m[1]) >= full, f"the text report does not show the losses: {p.out()[-400:]!r}")


def test_usage_errors_for_bad_sample_bytes(ctx):
    wl = spawn_workload(ctx, "spin", "30")
    for bad in (["--sample-bytes=abc"], ["--sample-bytes=-1"], ["--sample-bytes=2G"],
                ["--sample-bytes=1.5M"], ["--sample-bytes="], ["--sample-max-live=0"]):
        p, rc = run_to_end(ctx, bad + ["-p", wl.pid])
        try:
            line = assert_one_line_error(p, rc, EX_USAGE)
        except Failure as e:
            raise Failure(f"{' '.join(bad)}: {e}")
        check(bad[0].split("=")[0] in line, f"{bad[0]}: error does not name the option: {line!r}")
    check(wl.alive(), "target harmed")


# --- cgroups -------------------------------------------------------------------

def cgroup_mount(kind):
    """Mount point of the cgroup v1 hierarchy with controller kind ("memory"), or of
    cgroup2 (kind "cgroup2"), from /proc/mounts; None if there is none."""
    with open("/proc/mounts") as f:
        for line in f:
            dev, mnt, fstype, opts = line.split()[:4]
            if kind == "cgroup2" and fstype == "cgroup2":
                return mnt
            if fstype == "cgroup" and kind in opts.split(","):
                return mnt
    return None


def own_cgroup(mount, kind):
    """The directory of this process's own cgroup in that hierarchy."""
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if (kind == "cgroup2" and ctrls == "") or kind in ctrls.split(","):
                return mount + path
    raise Failure(f"this process is in no {kind} cgroup")


def make_cgroup(ctx, kind="memory", subdirs=()):
    mount = cgroup_mount(kind)
    if not mount:
        raise Skip(f"no {kind} cgroup hierarchy is mounted (/proc/mounts)")
    path = tempfile.mkdtemp(prefix="memvigil-test-", dir=mount)
    ctx.cgroups.append(path)
    for sub in subdirs:
        os.mkdir(os.path.join(path, sub))
    return path


def move_to_cgroup(pid, cg):
    with open(os.path.join(cg, "cgroup.procs"), "w") as f:
        f.write(str(pid))


def cgroup_pids(cg):
    pids = set()
    for d, subdirs, _ in os.walk(cg):
        try:
            with open(os.path.join(d, "cgroup.procs")) as f:
                pids.update(int(x) for x in f.read().split())
        except OSError:
            pass
    return pids


def remove_cgroup(path):
    """Kill what is left in the cgroup tree and remove it, deepest first."""
    for _ in range(100):
        pids = cgroup_pids(path) if os.path.isdir(path) else set()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if not pids:
            break
        time.sleep(0.05)
    if not os.path.isdir(path):
        return
    for d, _, _ in sorted(os.walk(path), key=lambda w: -w[0].count("/")):
        try:
            os.rmdir(d)
        except OSError:
            pass
    check(not os.path.exists(path), f"cannot remove cgroup {path}")


def spawn_in_cgroup(ctx, cg, argv, **kw):
    return ctx.spawn(argv, preexec_fn=lambda: move_to_cgroup(os.getpid(), cg), **kw)


def wait_attached(mv, pid, timeout=20):
    mv.wait_line(rf"PID {pid}: probing \d+ allocator functions", timeout, stream="err")


def test_cgroup_reports_each_leak_under_its_process_and_cgroup(ctx):
    cg = make_cgroup(ctx, subdirs=["inner"])
    inner = os.path.join(cg, "inner")
    af = spawn_in_cgroup(ctx, cg, [workload("alloc_family"), "--wait"])
    af.wait_line(r"^READY ", 10)
    idle = spawn_in_cgroup(ctx, inner, [workload("spin"), "60"])
    idle.wait_line(r"^SPIN ", 10)
    fl = spawn_in_cgroup(ctx, inner, [workload("fork_leak"), "--wait"])
    fl.wait_line(r"^READY ", 10)
    json_path = ctx.path("cgroup.json")
    mv = memvigil(ctx, ["--cgroup", cg, "-v", "-i", "0", "--json", json_path])
    wait_banner(mv)
    for p in (af, fl):
        wait_attached(mv, p.pid)
        os.kill(p.pid, signal.SIGUSR1)
    release_children(mv, 5, out=fl)
    fl.wait_line(r"^TRUTH done$", 30)
    af.wait_line(r"^TRUTH done$", 30)
    check(fl.wait(10) == 0, "fork_leak failed")
    time.sleep(0.3)
    rc = stop(mv)
    check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    report = load_report(json_path)
    check(report["target"] == {"cgroup": cg, "follow": True},
          f"target is {report['target']!r}")
    truth, clean = parse_pid_truth(fl.out())
    check(len(truth) == 4, f"fork_leak truth from {sorted(truth)}, expected 4 processes")
    check_pid_truth(report, truth, clean)
    af_truth, af_clean, _ = parse_truth(af.out())
    (af_proc,) = select_procs(report, pid=af.pid)
    check_truth(report, [af_proc], af_truth)
    check_holds_nothing([af_proc], af_clean)
    procs = {p["pid"]: p for p in report["processes"]}
    want_cg = {af.pid: "/", idle.pid: "/inner", fl.pid: "/inner"}
    want_cg.update({pid: "/inner" for pid in truth})
    for pid, path in want_cg.items():
        check(pid in procs, f"PID {pid} missing from the report")
        check(procs[pid]["cgroup"] == path, f"PID {pid} reported in cgroup "
              f"{procs[pid]['cgroup']!r}, expected {path!r}")
    groups = {g["path"]: g for g in report["cgroups"]}
    check(set(groups) == {"/", "/inner"}, f"cgroups {sorted(groups, key=str)}")
    for path, g in groups.items():
        members = [p for p in report["processes"] if p["cgroup"] == path]
        check(sorted(g["pids"]) == sorted(p["pid"] for p in members),
              f"cgroup {path} lists {g['pids']}")
        total = sum(p["heap"]["outstanding_bytes"] for p in members)
        check(g["heap"]["outstanding_bytes"] == total,
              f"cgroup {path} totals {g['heap']['outstanding_bytes']} bytes, its processes {total}")
    for path, d in (("/", cg), ("/inner", inner)):
        k = groups[path]["kernel"]
        check(k["sampled_processes"] >= 1 and k["rss_bytes"] > 0,
              f"cgroup {path} has no kernel totals: {k!r}")
        memcg = k["memory_cgroup"]
        check(memcg is None or memcg["path"] == d,
              f"cgroup {path} reports memory cgroup {memcg and memcg['path']!r}, expected {d}")
    check(groups["/inner"]["exited"] == 5, f"/inner counts {groups['/inner']['exited']} "
          f"exited processes, expected 5 (fork_leak, its 3 children and a grandchild)")
    out = mv.out()
    check(re.search(r"^cgroup /: 1 processes", out, re.M) and
          re.search(r"^cgroup /inner: \d+ processes", out, re.M),
          f"text report has no per-cgroup lines: {out[-600:]!r}")
    wide = [l for l in out.splitlines() if len(l) > 100]
    check(not wide, f"text report lines exceed 100 columns: {wide[:3]}")


def test_cgroup_attaches_processes_that_enter_and_detaches_those_that_leave(ctx):
    cg = make_cgroup(ctx)
    home = own_cgroup(cgroup_mount("memory"), "memory")
    json_path = ctx.path("migrate.json")
    mv = memvigil(ctx, ["--cgroup", cg, "-v", "-i", "0", "--json", json_path])
    wait_banner(mv)
    mv.wait_line(r"has no processes yet", 10, stream="err")
    af = spawn_workload(ctx, "alloc_family", "--wait")
    move_to_cgroup(af.pid, cg)
    wait_attached(mv, af.pid)
    os.kill(af.pid, signal.SIGUSR1)
    af.wait_line(r"^TRUTH done$", 20)
    time.sleep(0.3)
    move_to_cgroup(af.pid, home)
    mv.wait_line(rf"PID {af.pid} left cgroup", 10, stream="err")
    rc = stop(mv)
    check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    report = load_report(json_path)
    (proc,) = select_procs(report, pid=af.pid)
    check(proc["detached"] is True and proc["exited"] is False,
          f"detached {proc['detached']!r} exited {proc['exited']!r}, expected true/false")
    truth, clean, _ = parse_truth(af.out())
    check_truth(report, [proc], truth)
    check(af.alive(), "the process died when it was detached")


def test_thread_whose_malloc_returned_while_detached_is_traced_again_after_it(ctx):
    """The process leaves the traced cgroup while a thread is inside malloc, the call
    returns unseen, the process comes back and leaks: its later calls must not be
    taken for calls nested in the one whose return was missed."""
    cg = make_cgroup(ctx)
    home = own_cgroup(cgroup_mount("memory"), "memory")
    json_path = ctx.path("held.json")
    mv = memvigil(ctx, ["--cgroup", cg, "-v", "-i", "0", "--json", json_path])
    wait_banner(mv)
    mv.wait_line(r"has no processes yet", 10, stream="err")
    wl = spawn_workload(ctx, "own_malloc")
    move_to_cgroup(wl.pid, cg)
    wait_attached(mv, wl.pid)
    os.kill(wl.pid, signal.SIGUSR1)
    wl.wait_line(r"^HELD$", 10)
    move_to_cgroup(wl.pid, home)
    mv.wait_line(rf"PID {wl.pid} left cgroup", 10, stream="err")
    time.sleep(1.0)     # the old links are destroyed in the background
    os.kill(wl.pid, signal.SIGUSR2)
    wl.wait_line(r"^RETURNED$", 10)
    move_to_cgroup(wl.pid, cg)
    wait_count(mv, rf"PID {wl.pid}: probing \d+ allocator functions", 2, 20)
    os.kill(wl.pid, signal.SIGUSR1)
    wl.wait_line(r"^TRUTH done$", 10)
    time.sleep(0.3)
    rc = stop(mv)
    check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    truth = truth_values(wl.out())["leak_func"]
    (proc,) = select_procs(load_report(json_path), pid=wl.pid)
    found = [s for s in proc["stacks"] if any(f["symbol"] == "leak_after" for f in s["frames"])]
    allocs = sum(s["outstanding_allocs"] for s in found)
    got = sum(s["outstanding_bytes"] for s in found)
    check(allocs == int(truth["allocs"]) and got == int(truth["bytes"]),
          f"leak_after after the re-attach: {allocs} allocs, {got} bytes; truth {truth}; "
          f"stacks {[[f['symbol'] for f in s['frames'][:3]] for s in proc['stacks']]}")


def wait_count(p, pattern, count, timeout, stream="err"):
    """Wait until count lines of stream match pattern."""
    rx = re.compile(pattern)
    deadline = time.monotonic() + timeout
    while True:
        n = sum(1 for l in (p.err_lines() if stream == "err" else p.out().splitlines())
                if rx.search(l))
        if n >= count:
            return
        check(time.monotonic() < deadline and p.alive(),
              f"{n} lines match {pattern!r}, expected {count}; {p.describe()}")
        time.sleep(0.05)


def test_cgroup_pid_reused_by_a_new_process_is_traced_as_a_new_entry(ctx):
    cg = make_cgroup(ctx)
    json_path = ctx.path("reuse.json")
    mv = memvigil(ctx, ["--cgroup", cg, "-v", "-i", "0", "--json", json_path])
    wait_banner(mv)
    first = spawn_in_cgroup(ctx, cg, [workload("alloc_family"), "--wait"])
    first.wait_line(r"^READY ", 10)
    pid = first.pid
    wait_attached(mv, pid)
    os.kill(pid, signal.SIGUSR1)
    first.wait_line(r"^TRUTH done$", 20)
    first.signal(signal.SIGTERM)
    check(first.wait(10) == 0, "the first alloc_family failed")
    time.sleep(0.5)     # a few scans see the PID gone
    # The same PID again, for a new process (clone3 with set_tid).
    second = spawn_in_cgroup(ctx, cg, [workload("spawn_with_pid"), pid,
                                       workload("alloc_family"), "--wait"])
    m = second.wait_line(r"^READY (\d+)$", 10)
    check(int(m[1]) == pid, f"the second process got PID {m[1]}, not {pid}; "
          f"{second.describe()}")
    mv.wait_line(rf"PID {pid} is a new process", 10, stream="err")
    wait_count(mv, rf"PID {pid}: probing \d+ allocator functions", 2, 20)
    os.kill(pid, signal.SIGUSR1)
    second.wait_line(r"^TRUTH done$", 20)
    time.sleep(0.3)
    rc = stop(mv)
    check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    report = load_report(json_path)
    procs = [p for p in report["processes"] if p["pid"] == pid]
    check(len(procs) == 2, f"{len(procs)} report entries for PID {pid}, expected 2 (the "
          f"exited process and the new one)")
    old, new = procs
    check(old["exited"] and old["exit_code"] == 0 and not new["exited"],
          f"exited: old {old['exited']} (code {old['exit_code']}), new {new['exited']}")
    for p, wl in ((old, first), (new, second)):
        truth, clean, _ = parse_truth(wl.out())
        check_truth(report, [p], truth)
        check_holds_nothing([p], clean)


def test_cgroup_process_is_reported_in_the_subcgroup_it_moved_to_and_exited_in(ctx):
    cg = make_cgroup(ctx, subdirs=["a", "b"])
    home = own_cgroup(cgroup_mount("memory"), "memory")
    af = spawn_in_cgroup(ctx, os.path.join(cg, "a"), [workload("alloc_family"), "--wait"])
    af.wait_line(r"^READY ", 10)
    json_path = ctx.path("moves.json")
    mv = memvigil(ctx, ["--cgroup", cg, "-v", "-i", "0", "--json", json_path])
    wait_banner(mv)
    wait_attached(mv, af.pid)
    move_to_cgroup(af.pid, os.path.join(cg, "b"))
    mv.wait_line(rf"PID {af.pid} moved from cgroup /a to /b", 10, stream="err")
    os.kill(af.pid, signal.SIGUSR1)
    af.wait_line(r"^TRUTH done$", 20)
    # out of the tree and back in, into b: attached again, no longer "left"
    move_to_cgroup(af.pid, home)
    mv.wait_line(rf"PID {af.pid} left cgroup", 10, stream="err")
    move_to_cgroup(af.pid, os.path.join(cg, "b"))
    mv.wait_line(rf"PID {af.pid} came back into cgroup /b", 10, stream="err")
    af.signal(signal.SIGTERM)
    check(af.wait(10) == 0, "alloc_family failed")
    time.sleep(0.5)
    rc = stop(mv)
    check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    report = load_report(json_path)
    (proc,) = select_procs(report, pid=af.pid)
    check(proc["cgroup"] == "/b" and proc["exited"] and not proc["detached"],
          f"reported in cgroup {proc['cgroup']!r}, exited {proc['exited']}, "
          f"detached {proc['detached']}; expected /b, exited, not detached")
    groups = {g["path"]: g for g in report["cgroups"]}
    check(af.pid in groups.get("/b", {}).get("pids", []) and "/a" not in groups,
          f"cgroup groups {[(g['path'], g['pids']) for g in report['cgroups']]}")
    truth, clean, _ = parse_truth(af.out())
    check_truth(report, [proc], truth)
    check(re.search(r"^cgroup /b: 1 processes", mv.out(), re.M),
          f"the text report does not group the process under /b: {mv.out()[-800:]!r}")


def test_cgroup_under_a_bind_mount_of_a_v1_directory_is_mapped_through_its_root(ctx):
    cg = make_cgroup(ctx, subdirs=["inner"])
    bind = ctx.bind_mount(cg, "bind")
    with open("/proc/self/mountinfo") as f:
        roots = [l.split()[3] for l in f if l.split()[4] == bind]
    check(roots == [cg[len(cgroup_mount("memory")):]], f"bind mount root {roots}, expected "
          f"the cgroup's own directory")
    home = own_cgroup(cgroup_mount("memory"), "memory")
    af = spawn_in_cgroup(ctx, os.path.join(cg, "inner"), [workload("alloc_family"), "--wait"])
    af.wait_line(r"^READY ", 10)
    json_path = ctx.path("bind.json")
    mv = memvigil(ctx, ["--cgroup", bind, "-v", "-i", "0", "--json", json_path])
    wait_banner(mv)
    wait_attached(mv, af.pid)
    os.kill(af.pid, signal.SIGUSR1)
    af.wait_line(r"^TRUTH done$", 20)
    # /proc/PID/cgroup names the hierarchy's path: leaving the bind-mounted
    # directory shows only when that path is mapped through the mount root
    move_to_cgroup(af.pid, home)
    mv.wait_line(rf"PID {af.pid} left cgroup", 10, stream="err")
    rc = stop(mv)
    check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    report = load_report(json_path)
    (proc,) = select_procs(report, pid=af.pid)
    check(proc["cgroup"] == "/inner" and proc["detached"],
          f"cgroup {proc['cgroup']!r}, detached {proc['detached']}; expected /inner, detached")
    truth, clean, _ = parse_truth(af.out())
    check_truth(report, [proc], truth)
    check_holds_nothing([proc], clean)


def test_follow_fork_that_reuses_an_exited_childs_pid_is_a_new_entry(ctx):
    json_path = ctx.path("follow-reuse.json")
    mv = memvigil(ctx, ["-v", "-f", "-i", "0", "--json", json_path, "--",
                        workload("pid_reuse")])
    m = mv.wait_line(r"^CHILD (\d+)$", 20)
    pid = int(m[1])
    mv.wait_line(rf"PID {pid} \(forked by \d+\) attached", 20, stream="err")
    os.kill(pid, signal.SIGUSR1)
    # the second child: the same PID, attached as a new process
    mv.wait_line(rf"PID {pid} is a new process", 20, stream="err")
    wait_count(mv, rf"PID {pid} \(forked by \d+\) attached", 2, 20)
    os.kill(pid, signal.SIGUSR1)
    rc = mv.wait(EXIT_TIMEOUT_S)
    check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    check("TRUTH done" in mv.out(), f"pid_reuse did not finish: {mv.out()[-300:]!r}")
    report = load_report(json_path)
    procs = [p for p in report["processes"] if p["pid"] == pid]
    check(len(procs) == 2, f"{len(procs)} report entries for PID {pid}, expected 2")
    for p, func, nbytes, allocs in ((procs[0], "leak_first", 5 * 333, 5),
                                    (procs[1], "leak_second", 7 * 111, 7)):
        check(p["exited"] and p["exit_code"] == 0, f"{func}'s process exited {p['exited']} "
              f"(code {p['exit_code']})")
        got = by_first_frame([p])
        check(got == {func: [nbytes, allocs]}, f"the process that leaked in {func} shows "
              f"{got}, expected only {func}: {nbytes} bytes in {allocs} allocs")


def test_cgroup2_path_is_traced_too(ctx):
    cg = make_cgroup(ctx, kind="cgroup2")
    af = spawn_in_cgroup(ctx, cg, [workload("alloc_family"), "--wait"])
    af.wait_line(r"^READY ", 10)
    json_path = ctx.path("v2.json")
    mv = memvigil(ctx, ["--cgroup", cg, "-v", "-i", "0", "--json", json_path])
    wait_banner(mv)
    check("(v2, " in mv.out(), f"banner does not say cgroup v2: {mv.out()[:200]!r}")
    wait_attached(mv, af.pid)
    os.kill(af.pid, signal.SIGUSR1)
    af.wait_line(r"^TRUTH done$", 20)
    time.sleep(0.3)
    check(stop(mv) == 0, f"memvigil failed; {mv.describe()}")
    report = load_report(json_path)
    truth, _, _ = parse_truth(af.out())
    check_truth(report, select_procs(report, pid=af.pid), truth)


def test_container_binary_visible_only_inside_its_namespaces_is_symbolized(ctx):
    if not shutil.which("unshare"):
        raise Skip("unshare (util-linux) is not installed")
    cg = make_cgroup(ctx)
    hidden = ctx.path("ns-only")
    os.mkdir(hidden)
    script = (f"mount -t tmpfs ns-only {hidden} && cp {workload('alloc_family')} {hidden}/ && "
              f"exec {hidden}/alloc_family --wait")
    wl = spawn_in_cgroup(ctx, cg, ["unshare", "--mount", "--pid", "--fork", "--propagation",
                                   "private", "sh", "-c", script])
    m = wl.wait_line(r"^READY (\d+)$", 10)
    ns_pid = int(m[1])
    host = [p for p in cgroup_pids(cg) if open(f"/proc/{p}/comm").read().strip() == "alloc_family"]
    check(len(host) == 1, f"cannot find alloc_family in the cgroup: {host}")
    host_pid = host[0]
    check(host_pid != ns_pid, f"host PID {host_pid} equals namespace PID {ns_pid}")
    check(not os.path.exists(os.path.join(hidden, "alloc_family")),
          "the workload binary is visible outside its mount namespace")
    json_path = ctx.path("ns.json")
    mv = memvigil(ctx, ["--cgroup", cg, "-v", "-i", "0", "--json", json_path])
    wait_banner(mv)
    wait_attached(mv, host_pid)
    os.kill(host_pid, signal.SIGUSR1)
    wl.wait_line(r"^TRUTH done$", 20)
    time.sleep(0.3)
    check(stop(mv) == 0, f"memvigil failed; {mv.describe()}")
    report = load_report(json_path)
    (proc,) = select_procs(report, pid=host_pid)
    check(proc["ns_pid"] == ns_pid, f"ns_pid {proc['ns_pid']!r}, expected {ns_pid}")
    truth, _, _ = parse_truth(wl.out())
    check_truth(report, [proc], truth)
    check(re.search(rf"^PID {host_pid} \[ns {ns_pid}\] \(alloc_family\)", mv.out(), re.M),
          f"text report does not give both PIDs: {mv.out()[-400:]!r}")


def test_cgroup_process_without_allocator_is_warned_once_and_the_rest_traced(ctx):
    exe = stripped_static_program(ctx)   # an unstripped one has its own malloc
    cg = make_cgroup(ctx)
    st = spawn_in_cgroup(ctx, cg, [exe, "30"])
    st.wait_line(r"^STATIC ", 10)
    af = spawn_in_cgroup(ctx, cg, [workload("alloc_family"), "--wait"])
    af.wait_line(r"^READY ", 10)
    json_path = ctx.path("static.json")
    mv = memvigil(ctx, ["--cgroup", cg, "-d", "3.5", "-i", "0", "--json", json_path])
    wait_banner(mv)
    os.kill(af.pid, signal.SIGUSR1)
    af.wait_line(r"^TRUTH done$", 20)
    rc = mv.wait(EXIT_TIMEOUT_S)
    check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    err = [l for l in mv.err_lines() if l.strip()]
    check(len(err) == 1 and f"PID {st.pid}" in err[0] and "not traced" in err[0],
          f"expected one warning that PID {st.pid} is not traced (after its retries), "
          f"got {err}")
    report = load_report(json_path)
    truth, _, _ = parse_truth(af.out())
    check_truth(report, select_procs(report, pid=af.pid), truth)
    check(report["health"]["attach"]["failed"] == 1,
          f"health.attach {report['health']['attach']!r}, expected 1 failed")


def test_error_cgroup_path_that_is_not_a_cgroup(ctx):
    p, rc = run_to_end(ctx, ["--cgroup", ctx.tmp, "-d", "1"])
    line = assert_one_line_error(p, rc, 1)
    check("not a cgroup" in line, f"error does not say it is not a cgroup: {line!r}")
    check("Tracing " not in p.out(), "memvigil attached to something")


def test_error_cgroup_that_does_not_exist(ctx):
    mount = cgroup_mount("memory") or cgroup_mount("cgroup2")
    if not mount:
        raise Skip("no cgroup hierarchy is mounted")
    path = os.path.join(mount, "memvigil-no-such-cgroup-%d" % os.getpid())
    p, rc = run_to_end(ctx, ["--cgroup", path, "-d", "1"])
    line = assert_one_line_error(p, rc, 1)
    check("does not exist" in line, f"error does not say the cgroup does not exist: {line!r}")


def test_error_cgroup_mounted_from_outside_our_cgroup_namespace(ctx):
    if not shutil.which("unshare"):
        raise Skip("unshare (util-linux) is not installed")
    cg = make_cgroup(ctx)
    bind = ctx.bind_mount(cg, "bind")
    elsewhere = make_cgroup(ctx)
    # memvigil in a cgroup namespace rooted at a sibling: the bind mount's
    # root lies outside it ("/../memvigil-test-...")
    e = dict(os.environ)
    e.pop("MEMVIGIL_TEST_ATTACH_DELAY_MS", None)
    p = ctx.spawn(["unshare", "--cgroup", BIN, "--cgroup", bind, "-d", "1"], env=e,
                  preexec_fn=lambda: move_to_cgroup(os.getpid(), elsewhere))
    rc = p.wait(EXIT_TIMEOUT_S)
    line = assert_one_line_error(p, rc, 1)
    check("outside memvigil's cgroup namespace" in line and "/.." in line,
          f"error does not say the mount is outside the cgroup namespace: {line!r}")
    check("Tracing " not in p.out(), "memvigil attached to something")


def test_cgroup_removed_while_traced_ends_with_a_final_report(ctx):
    cg = make_cgroup(ctx)
    wl = spawn_in_cgroup(ctx, cg, [workload("spin"), "1"])
    wl.wait_line(r"^SPIN ", 10)
    json_path = ctx.path("removed.json")
    mv = memvigil(ctx, ["--cgroup", cg, "-i", "0", "--json", json_path])
    wait_banner(mv)
    check(wl.wait(10) == 0, "spin failed")
    deadline = time.monotonic() + 10
    while os.path.exists(cg):
        try:
            os.rmdir(cg)
        except OSError:
            check(time.monotonic() < deadline, "cannot remove the emptied cgroup")
            time.sleep(0.05)
    rc = mv.wait(EXIT_TIMEOUT_S)
    check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    err = [l for l in mv.err_lines() if l.strip()]
    check(len(err) == 1 and "was removed" in err[0], f"stderr {err}, expected one line "
          f"saying the cgroup was removed")
    check("=== final report" in mv.out(), f"no final report: {mv.out()[-300:]!r}")
    report = load_report(json_path)
    (proc,) = select_procs(report, pid=wl.pid)
    check(proc["exited"] is True, f"spin not reported exited: {proc['exited']!r}")


def test_empty_cgroup_waits_says_so_and_ends_with_a_valid_empty_report(ctx):
    cg = make_cgroup(ctx)
    json_path = ctx.path("empty.json")
    p, rc = run_to_end(ctx, ["--cgroup", cg, "-d", "1", "-i", "0", "--json", json_path])
    check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    err = [l for l in p.err_lines() if l.strip()]
    check(len(err) == 1 and "no processes yet" in err[0], f"stderr {err}, expected one line "
          f"saying the cgroup has no processes yet")
    report = load_report(json_path)
    check(report["processes"] == [] and report["cgroups"] == [],
          f"empty cgroup gave processes {report['processes']!r}")


def test_usage_error_cgroup_with_a_pid_or_a_command(ctx):
    wl = spawn_workload(ctx, "spin", "30")
    for extra in (["-p", wl.pid], ["--", workload("spin"), "1"]):
        p, rc = run_to_end(ctx, ["--cgroup", "/sys/fs/cgroup/memory"] + extra)
        line = assert_one_line_error(p, rc, EX_USAGE)
        check("--cgroup" in line, f"error does not name --cgroup: {line!r}")
    check(wl.alive(), "target harmed")


# --- bad inputs --------------------------------------------------------------

def test_usage_error_without_a_target(ctx):
    p, rc = run_to_end(ctx, ["-i", "1"])
    assert_one_line_error(p, rc, EX_USAGE)


def test_usage_error_with_both_pid_and_command(ctx):
    wl = spawn_workload(ctx, "spin", "30")
    p, rc = run_to_end(ctx, ["-p", wl.pid, "--", workload("spin"), "1"])
    assert_one_line_error(p, rc, EX_USAGE)
    check(wl.alive(), "target harmed")


def test_usage_errors_for_negative_and_non_numeric_duration_and_interval(ctx):
    wl = spawn_workload(ctx, "spin", "30")
    for bad in (["-d", "-1"], ["-d", "abc"], ["-i", "x"], ["-i", "-2"], ["--duration=1x"]):
        p, rc = run_to_end(ctx, bad + ["-p", wl.pid])
        try:
            assert_one_line_error(p, rc, EX_USAGE)
        except Failure as e:
            raise Failure(f"{' '.join(bad)}: {e}")
    check(wl.alive(), "target harmed")


def test_error_pid_that_does_not_exist(ctx):
    pid_max = int(open("/proc/sys/kernel/pid_max").read())
    pid = next(p for p in range(pid_max - 1, 1, -1) if not os.path.exists(f"/proc/{p}"))
    p, rc = run_to_end(ctx, ["-p", pid])
    line = assert_one_line_error(p, rc)
    check(str(pid) in line, f"error does not name PID {pid}: {line!r}")


def kernel_thread_pid():
    for pid in ["2"] + sorted((d for d in os.listdir("/proc") if d.isdigit()), key=int):
        try:
            stat = open(f"/proc/{pid}/stat").read()
        except OSError:
            continue
        flags = int(stat[stat.rindex(")") + 2:].split()[6])    # field 9
        if flags & 0x00200000:          # PF_KTHREAD
            return int(pid)
    raise Skip("no kernel thread visible in /proc (a PID namespace?)")


def test_error_pid_of_a_kernel_thread(ctx):
    pid = kernel_thread_pid()
    p, rc = run_to_end(ctx, ["-p", pid])
    assert_one_line_error(p, rc)


def test_error_pid_that_exits_during_attach(ctx):
    wl = ctx.spawn([workload("spin"), "30"])
    wl.wait_line(r"^SPIN ", 10)
    mv = memvigil(ctx, ["-p", wl.pid, "-i", "0"],
                  env={"MEMVIGIL_TEST_ATTACH_DELAY_MS": "2000"})
    time.sleep(0.6)
    check(mv.alive(), f"memvigil ended before the attach delay: {mv.describe()}")
    wl.popen.kill()
    wl.wait(10)                         # reaped: the PID is really gone
    rc = mv.wait(EXIT_TIMEOUT_S)
    assert_one_line_error(mv, rc)
    check("Tracing " not in mv.out(), "memvigil printed its banner for a process that exited")


def test_error_command_that_does_not_exist(ctx):
    p, rc = run_to_end(ctx, ["-i", "0", "--", ctx.path("no-such-command")])
    assert_one_line_error(p, rc, 127)


def test_error_command_that_is_not_executable(ctx):
    path = ctx.path("not-executable")
    with open(path, "w") as f:
        f.write("#!/bin/sh\nexit 0\n")
    os.chmod(path, 0o644)
    p, rc = run_to_end(ctx, ["-i", "0", "--", path])
    assert_one_line_error(p, rc, 126)


def test_error_not_root(ctx):
    if not shutil.which("setpriv"):
        raise Skip("setpriv (util-linux) is not installed")
    wl = spawn_workload(ctx, "spin", "30")
    copy = ctx.path("memvigil")
    shutil.copy(BIN, copy)
    os.chmod(copy, 0o755)
    env = dict(os.environ)
    env.pop("MEMVIGIL_TEST_ATTACH_DELAY_MS", None)
    p = ctx.spawn(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", copy,
                   "-p", wl.pid], env=env)
    rc = p.wait(EXIT_TIMEOUT_S)
    assert_one_line_error(p, rc)
    check(wl.alive(), "target harmed")


def test_error_json_path_unwritable_checked_before_attaching(ctx):
    wl = spawn_workload(ctx, "spin", "30")
    p, rc = run_to_end(ctx, ["-p", wl.pid, "-i", "0", "--json", "/nonexistent/dir/x.json"])
    assert_one_line_error(p, rc)
    check("Tracing " not in p.out(), "memvigil attached before checking the JSON path")
    check(wl.alive(), "target harmed")


STATIC_SRC = r"""
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	printf("STATIC %d\n", getpid());
	fflush(stdout);
	sleep(argc > 1 ? atoi(argv[1]) : 0);
	return 0;
}
"""


def stripped_static_program(ctx):
    src, exe = ctx.path("static.c"), ctx.path("static")
    with open(src, "w") as f:
        f.write(STATIC_SRC)
    r = subprocess.run(["gcc", "-static", "-s", "-O1", "-o", exe, src], capture_output=True,
                       text=True, timeout=120)
    if r.returncode:
        if "cannot find -lc" in r.stderr:
            raise Skip("gcc -static cannot link: libc.a (libc6-dev) is missing")
        raise Failure(f"gcc -static failed: {r.stderr.strip()[:300]}")
    syms = subprocess.run(["nm", exe], capture_output=True, text=True, timeout=30)
    check("no symbols" in syms.stderr, f"test bug: {exe} still has symbols")
    return exe


def check_stripped_static_message(line):
    for word in ("static", "malloc", "symbol"):
        check(word in line, f"error does not say {word!r} (what was looked for): {line!r}")


def test_error_pid_of_a_stripped_static_program(ctx):
    exe = stripped_static_program(ctx)
    wl = ctx.spawn([exe, "30"])
    wl.wait_line(r"^STATIC ", 10)
    p, rc = run_to_end(ctx, ["-p", wl.pid, "-i", "0"])
    check_stripped_static_message(assert_one_line_error(p, rc, 1))
    check("Tracing " not in p.out(), "memvigil printed its banner")
    check(wl.alive(), "target harmed")


def test_error_command_that_is_a_stripped_static_program(ctx):
    exe = stripped_static_program(ctx)
    p, rc = run_to_end(ctx, ["-i", "0", "--", exe, "0"])
    check_stripped_static_message(assert_one_line_error(p, rc, 1))


# --- allocators ----------------------------------------------------------------

# Variant of alloc_leak / cxx_leak -> what the report's allocator library must contain.
ALLOCATOR_LIBS = {"jemalloc": "libjemalloc.so", "tcmalloc": "libtcmalloc.so",
                  "mimalloc": "libmimalloc.so", "glibc": "libc.so", "static": None}
# Functions each allocator's own entry points add to the probed list.
ALLOCATOR_OWN = {"jemalloc": {"mallocx", "rallocx", "sdallocx", "dallocx", "operator new",
                              "operator delete"},
                 "tcmalloc": {"operator new", "operator delete", "free_sized"},
                 "mimalloc": {"zalloc", "malloc_aligned", "free_sized", "reallocf",
                              "operator new"},
                 "glibc": {"operator new", "operator new[]"},
                 "static": set()}


def traced_run(ctx, name, extra=()):
    """Launch workload name under memvigil -v; (memvigil proc, report, its process)."""
    path = workload(name)
    json_path = ctx.path(name + ".json")
    p, rc = run_to_end(ctx, ["-v", "-i", "0", "--json", json_path] + list(extra)
                       + ["--", path])
    check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = load_report(json_path)
    (proc,) = select_procs(report, exe_name=name)
    return p, report, proc


def check_allocator(proc, variant, exe):
    lib = (proc.get("allocator") or {}).get("library") or ""
    want = ALLOCATOR_LIBS[variant] or exe
    check(want in lib, f"allocator library is {lib!r}, expected one containing {want!r}")
    funcs = set(proc["allocator"]["functions"])
    missing = ALLOCATOR_OWN[variant] - funcs
    check(not missing, f"{variant}: functions {sorted(missing)} not probed; probed "
          f"{sorted(funcs)}")


def check_alloc_leak(ctx, variant):
    name = f"alloc_leak_{variant}"
    p, report, proc = traced_run(ctx, name)
    truth, clean, _ = parse_truth(p.out())
    check_allocator(proc, variant, name)
    check_truth(report, [proc], truth)
    check_holds_nothing([proc], clean)
    unmatched = proc["heap"]["unmatched_frees"]
    check(unmatched == 0, f"{unmatched} frees of unknown blocks (a free seen twice?); "
          f"{health(report)}")
    return p


def test_jemalloc_known_leaks_exact_bytes_and_counts(ctx):
    p = check_alloc_leak(ctx, "jemalloc")
    check(any("libjemalloc.so.2:mallocx" in l for l in p.err_lines()),
          "-v does not list the probed jemalloc functions")


def test_tcmalloc_known_leaks_exact_bytes_and_counts(ctx):
    check_alloc_leak(ctx, "tcmalloc")


def test_mimalloc_known_leaks_exact_bytes_and_counts(ctx):
    check_alloc_leak(ctx, "mimalloc")


def test_static_glibc_known_leaks_exact_bytes_and_counts(ctx):
    p = check_alloc_leak(ctx, "static")
    check(any("the executable defines malloc itself" in l for l in p.err_lines()),
          f"-v does not say why the executable was chosen: {p.err_lines()[:3]}")


def test_attach_pid_of_a_static_program_leaks_exact_bytes(ctx):
    wl = spawn_workload(ctx, "alloc_leak_static", "--wait")
    json_path = ctx.path("static.json")
    mv = memvigil(ctx, ["-p", wl.pid, "--json", json_path, "-i", "0"])
    wait_banner(mv)
    os.kill(wl.pid, signal.SIGUSR1)
    wl.wait_line(r"^TRUTH done$", 20)
    time.sleep(0.3)
    rc = stop(mv)
    check(rc == 0, f"memvigil exited {rc} after SIGTERM; {mv.describe()}")
    report = load_report(json_path)
    (proc,) = select_procs(report, pid=wl.pid)
    truth, clean, _ = parse_truth(wl.out())
    check_allocator(proc, "static", "alloc_leak_static")
    check_truth(report, [proc], truth)
    check_holds_nothing([proc], clean)


def test_attach_pid_with_ld_preloaded_allocator_leaks_exact_bytes(ctx):
    lib = "/usr/lib/x86_64-linux-gnu/libtcmalloc.so.4"
    check(os.path.exists(lib), f"{lib} is missing (make deps installs libgoogle-perftools-dev)")
    env = dict(os.environ, LD_PRELOAD=lib)
    wl = ctx.spawn([workload("alloc_leak_jemalloc"), "--wait"], env=env)
    wl.wait_line(r"^READY \d+$", 10)
    json_path = ctx.path("preload.json")
    mv = memvigil(ctx, ["-v", "-p", wl.pid, "--json", json_path, "-i", "0"])
    wait_banner(mv)
    os.kill(wl.pid, signal.SIGUSR1)
    wl.wait_line(r"^TRUTH done$", 20)
    time.sleep(0.3)
    rc = stop(mv)
    check(rc == 0, f"memvigil exited {rc} after SIGTERM; {mv.describe()}")
    check(any("order (link map)" in l for l in mv.err_lines()),
          f"-v does not say the order came from the link map: {mv.err_lines()[:3]}")
    report = load_report(json_path)
    (proc,) = select_procs(report, pid=wl.pid)
    got_lib = proc["allocator"]["library"] or ""
    check("libtcmalloc" in got_lib, f"LD_PRELOAD'ed tcmalloc comes before the linked "
          f"jemalloc in search order, but {got_lib!r} was probed")
    truth, _, _ = parse_truth(wl.out())
    # mallocx and rallocx still bind to jemalloc, which is not the allocator here
    check_truth(report, [proc], {f: v for f, v in truth.items()
                                 if f not in ("leak_mallocx", "leak_rallocx")})


def check_cxx_leak(ctx, variant):
    name = f"cxx_leak_{variant}"
    p, report, proc = traced_run(ctx, name)
    truth, clean, _ = parse_truth(p.out())
    check_allocator(proc, variant, name)
    # memvigil demangles: each leaking function is "leak_x()", its mangled name kept
    got = by_first_frame([proc])
    bad = [f"{f}(): expected {b} bytes in {n} allocs, got {got.get(f + '()', [0, 0])}"
           for f, (b, n) in sorted(truth.items()) if got.get(f + "()", [0, 0]) != [b, n]]
    check(not bad, "; ".join(bad) + f"; first frames: {sorted(got.items(), key=str)}"[:900])
    firsts = {s["frames"][0]["symbol"]: s["frames"][0] for s in proc["stacks"] if s["frames"]}
    for f in truth:
        want = f"_Z{len(f)}{f}v"
        got_mangled = firsts[f + "()"].get("mangled")
        check(got_mangled == want, f"{f}() carries mangled name {got_mangled!r}, "
              f"expected {want!r}")
    odd = [fr for s in proc["stacks"] for fr in s["frames"]
           if "mangled" in fr and (fr["mangled"] == fr["symbol"]
                                   or not fr["mangled"].startswith("_Z"))]
    check(not odd, f"frames whose mangled field is not a differing C++ name: {odd[:3]}")
    text = p.out()
    for f in truth:
        check(re.search(rf"^ +{f}\(\)\+0x[0-9a-f]+ \({name}\)$", text, re.M),
              f"the text report has no demangled frame {f}()+0x... ({name}): "
              f"{text[-1500:]}")
    check(not re.search(r"^ +_Z\w+\+0x", text, re.M),
          f"the text report shows a mangled frame: {text[-1500:]}")
    # tcmalloc and mimalloc define new[] at new's address: probed once, reported as new
    kinds = {s["frames"][0]["symbol"]: s["allocator"] for s in proc["stacks"] if s["frames"]}
    check(kinds.get("leak_sessions()") == "operator new" and
          kinds.get("leak_buffers()") in ("operator new[]", "operator new"),
          f"leaks not attributed to operator new / new[]: {kinds}")
    check_holds_nothing([proc], {f + "()" for f in clean})
    unmatched = proc["heap"]["unmatched_frees"]
    check(unmatched == 0, f"{unmatched} frees of unknown blocks (a delete seen twice?)")


def test_cxx_operator_new_leaks_with_libstdcxx_and_glibc(ctx):
    check_cxx_leak(ctx, "glibc")


def test_cxx_operator_new_leaks_with_jemalloc(ctx):
    check_cxx_leak(ctx, "jemalloc")


def test_cxx_operator_new_leaks_with_tcmalloc(ctx):
    check_cxx_leak(ctx, "tcmalloc")


def test_cxx_operator_new_leaks_with_mimalloc(ctx):
    check_cxx_leak(ctx, "mimalloc")


def test_allocator_option_overrides_detection(ctx):
    p, report, proc = traced_run(ctx, "alloc_leak_jemalloc", ["--allocator=libc.so"])
    lib = proc["allocator"]["library"] or ""
    check("libc.so" in lib, f"--allocator=libc.so probed {lib!r}")
    check(any("--allocator=libc.so names" in l for l in p.err_lines()),
          f"-v does not say the allocator was chosen by --allocator: {p.err_lines()[:3]}")


def test_error_allocator_the_process_does_not_map(ctx):
    wl = spawn_workload(ctx, "alloc_leak_jemalloc", "--wait")
    p, rc = run_to_end(ctx, ["-p", wl.pid, "-i", "0", "--allocator=libnosuchalloc"])
    line = assert_one_line_error(p, rc, 1)
    check("libnosuchalloc" in line and "maps no" in line, f"unclear error: {line!r}")
    check("Tracing " not in p.out(), "memvigil printed its banner")
    check(wl.alive(), "target harmed")
    p, rc = run_to_end(ctx, ["-i", "0", "--allocator=libnosuchalloc", "--",
                             workload("alloc_leak")])
    assert_one_line_error(p, rc, 1)
    check("TRUTH" not in p.out(), "the command ran although nothing was attached")


def test_error_allocator_library_without_allocator_symbols(ctx):
    wl = spawn_workload(ctx, "alloc_leak_jemalloc", "--wait")
    p, rc = run_to_end(ctx, ["-p", wl.pid, "-i", "0", "--allocator=libm.so"])
    line = assert_one_line_error(p, rc, 1)
    check("libm.so" in line and "looked for malloc" in line,
          f"error does not say what was looked for: {line!r}")
    check(wl.alive(), "target harmed")


def test_usage_error_empty_allocator(ctx):
    p, rc = run_to_end(ctx, ["-i", "0", "--allocator=", "--", workload("alloc_leak")])
    assert_one_line_error(p, rc, EX_USAGE)


# --- metrics, verdicts and alerts ------------------------------------------------

def read_jsonl(path):
    """Every line of a --jsonl file, parsed; each must be one JSON object."""
    check(os.path.exists(path), f"no --jsonl file written to {path}")
    lines = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            try:
                obj = json.loads(line)
            except ValueError as e:
                raise Failure(f"--jsonl line {n} is not JSON ({e}): {line[:200]!r}")
            check(isinstance(obj, dict) and obj.get("type") in ("sample", "alert", "oom"),
                  f"--jsonl line {n} is not a sample, alert or oom object: {line[:200]!r}")
            lines.append(obj)
    return lines


def check_jsonl_metrics_match_the_schema(lines):
    """The metrics object of every sample line and every alert line's event follow
    docs/report.schema.json ($defs/metrics, $defs/alert_event)."""
    import jsonschema
    with open(SCHEMA) as f:
        schema = json.load(f)
    for o in lines:
        part, ref = ((o["metrics"], "metrics") if o["type"] == "sample" else
                     (o.get("event"), "alert_event") if o["type"] == "alert" else (None, None))
        if ref is None or part is None:
            continue
        try:
            jsonschema.validate(part, {"$ref": f"#/$defs/{ref}", "$defs": schema["$defs"]})
        except jsonschema.ValidationError as e:
            raise Failure(f"--jsonl {o['type']} line at {o.get('t_s')} s does not match "
                          f"$defs/{ref}: {e.message[:300]}")


def stack_timeline(lines, func):
    """[(t_s, verdict, score, growth, bytes)] of the stack whose first frame is func."""
    out = []
    for o in lines:
        if o["type"] != "sample":
            continue
        for s in o["stacks"]:
            if s["function"] == func:
                out.append((o["t_s"], s["verdict"], s["leak_score"], s["growth_bytes_per_s"],
                            s["outstanding_bytes"]))
    return out


def final_stack(proc, func):
    sel = [s for s in proc["stacks"] if s["frames"] and s["frames"][0].get("symbol") == func]
    check(len(sel) == 1, f"expected one stack starting at {func}, found {len(sel)}")
    return sel[0]


def test_steady_leak_under_churn_is_leak_within_60s_and_plateaued_cache_stable(ctx):
    json_path, jsonl_path = ctx.path("lcc.json"), ctx.path("lcc.jsonl")
    p, rc = run_to_end(ctx, ["-i", "1", "--json", json_path, "--jsonl", jsonl_path, "--",
                             workload("leak_cache_churn"), "40"], timeout=55)
    check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    out = p.out()
    rate = int(re.search(r"^RATE func=leak_steadily bytes_per_s=(\d+)$", out, re.M)[1])
    m = re.search(r"^CACHE func=cache_fill bytes=(\d+) allocs=(\d+) full_after_s=(\d+)$",
                  out, re.M)
    check(m, f"leak_cache_churn printed no CACHE line: {out[-300:]!r}")
    cache_bytes, cache_full_s = int(m[1]), int(m[3])
    truth, clean, _ = parse_truth(out)
    report = load_report(json_path)
    (proc,) = select_procs(report, exe_name="leak_cache_churn")
    check_truth(report, [proc], truth)
    check_holds_nothing([proc], clean)
    lines = read_jsonl(jsonl_path)
    check_jsonl_metrics_match_the_schema(lines)
    leak = stack_timeline(lines, "leak_steadily")
    first_leak = next((t for t, v, *_ in leak if v == "leak"), None)
    check(first_leak is not None and first_leak <= 60,
          f"leak_steadily never reached 'leak' within 60 s: {[(t, v, s) for t, v, s, *_ in leak]}")
    fs = final_stack(proc, "leak_steadily")
    check(fs["verdict"] == "leak", f"final verdict of leak_steadily is {fs['verdict']}")
    check(abs(fs["growth_bytes_per_s"] - rate) <= 0.1 * rate,
          f"leak_steadily grows {fs['growth_bytes_per_s']:.0f} B/s, the workload leaks {rate}")
    cache = stack_timeline(lines, "cache_fill")
    check(not [c for c in cache if c[1] == "leak"],
          f"the cache was called a leak: {[(t, v, s) for t, v, s, *_ in cache if v == 'leak']}")
    fc = final_stack(proc, "cache_fill")
    check(fc["verdict"] == "stable" and fc["outstanding_bytes"] == cache_bytes,
          f"cache_fill ends {fc['verdict']} holding {fc['outstanding_bytes']} bytes, expected "
          f"stable holding {cache_bytes}")
    late = [c for c in cache if c[0] >= cache_full_s + 30 / 2 + 2]
    check(late and all(c[1] == "stable" for c in late),
          f"cache_fill is not stable half a window after it filled: {late}")
    churn = stack_timeline(lines, "churn")
    check(churn and not [c for c in churn if c[1] == "leak"],
          f"the churn stack was called a leak: {[c for c in churn if c[1] == 'leak'][:5]}")
    growing = [c for c in churn if c[1] == "growing"]
    check(len(growing) <= 2, f"the churn stack was 'growing' {len(growing)} times: {growing[:5]}")
    samples = [o for o in lines if o["type"] == "sample"]
    check(len(samples) >= 35, f"only {len(samples)} --jsonl samples in 40 s at -i 1")
    metrics = proc["metrics"]
    check(metrics and metrics["stack_verdicts"]["leak"] >= 1 and metrics["leak_score"] > 0.7,
          f"process metrics do not show the leak: {json.dumps(metrics)[:400]}")
    check("leak " in out and re.search(r"^\s+leak\s+\d\.\d\d\s+40\.0 KiB", out, re.M),
          f"the text report has no 'leak' verdict column for leak_steadily: {out[-900:]!r}")


HOOK = """#!/bin/sh
env | grep '^MEMVIGIL_ALERT_' | sort > "$1.$$"
mv "$1.$$" "$1.done.$$"
"""


def test_alert_fires_exactly_once_per_crossing_and_runs_the_hook_rate_limited(ctx):
    hook, hook_out = ctx.path("hook.sh"), ctx.path("hook-env")
    with open(hook, "w") as f:
        f.write(HOOK)
    os.chmod(hook, 0o755)
    json_path, jsonl_path = ctx.path("saw.json"), ctx.path("saw.jsonl")
    p = memvigil(ctx, ["-i", "0.5", "--alert", "heap>1M", "--alert", "leak_score>0.99",
                       "--on-alert", f"{hook} {hook_out}", "--json", json_path,
                       "--jsonl", jsonl_path, "--", workload("sawtooth"), "3", "2", "2"])
    p.wait_line(r"^memvigil: alert heap>1M fired", 20, stream="err")
    # Flushed as written: the alert's line is in the file while memvigil still runs.
    check(p.alive() and any(o["type"] == "alert" for o in read_jsonl(jsonl_path)),
          "the first alert is not in the --jsonl file while memvigil runs (not flushed)")
    rc = p.wait(EXIT_TIMEOUT_S)
    check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    check(re.search(r"^CYCLES 3$", p.out(), re.M), f"sawtooth did not finish: {p.out()[-200:]!r}")
    fired = [l for l in p.err_lines() if l.startswith("memvigil: alert ")]
    check(len(fired) == 3 and all("heap>1M fired" in l for l in fired),
          f"expected 3 'alert heap>1M fired' lines for 3 crossings, got {fired}")
    report = load_report(json_path)
    alerts = report["alerts"]
    check([a["alert"] for a in alerts] == ["heap>1M"] * 3,
          f"JSON alerts: {[a['alert'] for a in alerts]}, expected heap>1M 3 times")
    check(all(a["value"] >= 2 << 20 and a["threshold"] == 1 << 20 for a in alerts),
          f"alert values/thresholds wrong: {alerts}")
    check([a["command_run"] for a in alerts] == [True, False, False]
          and report["health"]["on_alert_skipped"] == 2,
          f"--on-alert ran {[a['command_run'] for a in alerts]}, skipped "
          f"{report['health']['on_alert_skipped']}: expected one run, 2 rate-limited")
    check_jsonl_metrics_match_the_schema(read_jsonl(jsonl_path))
    jl = [o for o in read_jsonl(jsonl_path) if o["type"] == "alert"]
    check(len(jl) == 3, f"{len(jl)} alert lines in --jsonl, expected 3")
    done = [f for f in os.listdir(ctx.tmp) if f.startswith("hook-env.done.")]
    check(len(done) == 1, f"the hook ran {len(done)} times, expected once: {os.listdir(ctx.tmp)}")
    with open(os.path.join(ctx.tmp, done[0])) as f:
        env = dict(l.rstrip("\n").split("=", 1) for l in f if "=" in l)
    pid = alerts[0]["pid"]
    want = {"MEMVIGIL_ALERT_EXPR": "heap>1M", "MEMVIGIL_ALERT_METRIC": "heap",
            "MEMVIGIL_ALERT_PID": str(pid), "MEMVIGIL_ALERT_COMM": "sawtooth",
            "MEMVIGIL_ALERT_THRESHOLD": str(1 << 20)}
    bad = {k: (env.get(k), v) for k, v in want.items() if env.get(k) != v}
    check(not bad, f"hook environment differs (got, expected): {bad}")
    check(float(env.get("MEMVIGIL_ALERT_VALUE", 0)) >= 2 << 20,
          f"MEMVIGIL_ALERT_VALUE {env.get('MEMVIGIL_ALERT_VALUE')!r}")


def expect_usage_error(ctx, args, want, env=None, target=None):
    p, rc = run_to_end(ctx, args + ["-p", target.pid], env=env)
    try:
        line = assert_one_line_error(p, rc, EX_USAGE)
    except Failure as e:
        raise Failure(f"{' '.join(args)}: {e}")
    check(want in line, f"{' '.join(args)}: error line lacks {want!r}: {line!r}")
    check("Tracing " not in p.out(), f"{' '.join(args)}: memvigil attached anyway")


def test_usage_errors_for_malformed_alert_expressions_and_units(ctx):
    wl = spawn_workload(ctx, "spin", "30")
    for args, want in ((["--alert", "rss>"], "expected a number"),
                       (["--alert=rss>1Q"], "unknown size unit 'Q'"),
                       (["--alert=heap_growth>50MB"], "is a rate"),
                       (["--alert=heap_growth>50MB/fortnight"], "unknown time unit"),
                       (["--alert=rss=1G"], "use =="),
                       (["--alert=leak_score>2"], "from 0 to 1"),
                       (["--alert=pressure>=severe"], "unknown pressure level"),
                       (["--alert=rss>1.2.3G"], "malformed number"),
                       (["--alert", "heap>1M", "--alert", "rss"], "needs a comparison")):
        expect_usage_error(ctx, args, want, target=wl)
    check(wl.alive(), "target harmed")


def test_usage_error_for_unknown_metric_names(ctx):
    wl = spawn_workload(ctx, "spin", "30")
    for args, want in ((["--alert=rsss>1G"], "unknown metric 'rsss'"),
                       (["--alert=heap_rate>1K/s"], "unknown metric 'heap_rate'")):
        expect_usage_error(ctx, args, want, target=wl)
    check(wl.alive(), "target harmed")


def test_usage_error_window_smaller_than_interval_and_unknown_mode(ctx):
    wl = spawn_workload(ctx, "spin", "30")
    expect_usage_error(ctx, ["-i", "10", "--window", "5"], "shorter than --interval", target=wl)
    expect_usage_error(ctx, ["--mode=production", "--window=5"], "shorter than --interval",
                       target=wl)
    expect_usage_error(ctx, ["--window=0"], "--window", target=wl)
    expect_usage_error(ctx, ["--mode=fast"], "expected production, standard or debug", target=wl)
    check(wl.alive(), "target harmed")


def test_usage_error_bad_values_in_memvigil_environment_variables(ctx):
    wl = spawn_workload(ctx, "spin", "30")
    expect_usage_error(ctx, [], "MEMVIGIL_WINDOW", env={"MEMVIGIL_WINDOW": "abc"}, target=wl)
    expect_usage_error(ctx, [], "MEMVIGIL_ALERT", env={"MEMVIGIL_ALERT": "heap>1M;rss>1Q"},
                       target=wl)
    expect_usage_error(ctx, [], "MEMVIGIL_MODE", env={"MEMVIGIL_MODE": "turbo"}, target=wl)
    check(wl.alive(), "target harmed")


def test_usage_error_on_alert_command_that_does_not_exist(ctx):
    wl = spawn_workload(ctx, "spin", "30")
    missing = ctx.path("no-such-hook")
    expect_usage_error(ctx, ["--alert=oom", "--on-alert", missing + " --flag"],
                       "does not exist", target=wl)
    expect_usage_error(ctx, ["--alert=oom", "--on-alert", "memvigil-no-such-hook-cmd"],
                       "not found in PATH", target=wl)
    not_exec = ctx.path("not-exec")
    with open(not_exec, "w") as f:
        f.write("#!/bin/sh\n")
    os.chmod(not_exec, 0o644)
    expect_usage_error(ctx, ["--on-alert", not_exec], "not an executable file", target=wl)
    check(wl.alive(), "target harmed")


def test_error_jsonl_path_unwritable_checked_before_attaching(ctx):
    wl = spawn_workload(ctx, "spin", "30")
    p, rc = run_to_end(ctx, ["-p", wl.pid, "-i", "0", "--jsonl", "/nonexistent/dir/x.jsonl"])
    line = assert_one_line_error(p, rc, 1)
    check("/nonexistent/dir/x.jsonl" in line, f"error does not name the file: {line!r}")
    check("Tracing " not in p.out(), "memvigil attached before checking the --jsonl path")
    check(wl.alive(), "target harmed")


def test_mode_and_environment_defaults_reach_the_report_and_the_command_line_wins(ctx):
    json_path = ctx.path("mode.json")
    p, rc = run_to_end(ctx, ["-i", "0", "--json", json_path, "--", workload("spin"), "0.2"],
                       env={"MEMVIGIL_MODE": "production", "MEMVIGIL_WINDOW": "120",
                            "MEMVIGIL_INTERVAL": "7", "MEMVIGIL_ALERT": "heap>1G;oom"})
    check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = load_report(json_path)
    o = report["options"]
    check(report["sampling"]["period_bytes"] == 512 << 10,
          f"production mode does not sample the heap: {report['sampling']}")
    got = (o["mode"], o["window_s"], o["interval_s"], o["top"], o["alerts"])
    check(got == ("production", 120, 0, 5, ["heap>1G", "oom"]),
          f"(mode, window_s, interval_s, top, alerts) = {got}, expected "
          f"('production', 120, 0, 5, ['heap>1G', 'oom'])")


# --- documentation ------------------------------------------------------------

def long_options_of_man(text):
    """Long options the man page's OPTIONS section lists as items (.TP tags, .IP)."""
    m = re.search(r"^\.SH \"?OPTIONS\"?\s*$(.*?)(?=^\.SH |\Z)", text, re.M | re.S)
    check(m, "the man page has no OPTIONS section")
    lines = m[1].splitlines()
    tags = [lines[i + 1] for i, l in enumerate(lines[:-1]) if l.startswith(".TP")]
    tags += [l for l in lines if l.startswith(".IP ")]
    tag_text = "\n".join(tags)
    tag_text = re.sub(r"\\f[BIRP]|\\f\(..|\\f\[[^]]*\]", "", tag_text)
    tag_text = tag_text.replace("\\-", "-")
    return set(re.findall(r"(?<![\w-])--([a-z][a-z0-9-]*)", tag_text))


def test_help_and_man_page_list_the_same_long_options(ctx):
    p, rc = run_to_end(ctx, ["--help"])
    check(rc == 0, f"--help exited {rc}")
    help_opts = set()
    for line in p.out().splitlines():
        m = re.match(r"^\s+(-\S.*?)(\s{2,}|$)", line)
        if m:
            help_opts.update(re.findall(r"--([a-z][a-z0-9-]*)", m[1]))
    check({"pid", "duration", "interval", "top", "min-age", "json", "verbose", "help",
           "usage", "version"} <= help_opts, f"--help lacks options: it lists {sorted(help_opts)}")
    check(os.path.exists(MAN_PAGE), f"{MAN_PAGE} is missing")
    with open(MAN_PAGE) as f:
        man_opts = long_options_of_man(f.read())
    check(help_opts == man_opts,
          f"only in --help: {sorted(help_opts - man_opts)}; "
          f"only in the man page: {sorted(man_opts - help_opts)}")


def test_help_usage_and_version_exit_0(ctx):
    for arg, want in (("--help", "--pid"), ("--usage", "--pid"), ("-V", "memvigil"),
                      ("--version", "memvigil")):
        p, rc = run_to_end(ctx, [arg])
        check(rc == 0, f"{arg} exited {rc}")
        check(want in p.out(), f"{arg} output lacks {want!r}: {p.out()[:200]!r}")


# --- runner ------------------------------------------------------------------

_in_test = False


# --- kernel signals (bpf/kernel.bpf.c) --------------------------------------

KMEM_GROW_S = 3


def truth_values(text):
    """The 'TRUTH k=v k2=v2' lines a workload printed, as {k: {k: v, k2: v2}} by first key."""
    lines = {}
    for line in text.splitlines():
        if line.startswith("TRUTH "):
            kvs = dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
            if kvs:
                lines[line.split()[1].split("=", 1)[0]] = kvs
    return lines


def proc_status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise Failure(f"/proc/{pid}/status has no {key}")


_kmem = {}


def traced_kmem_grow(ctx):
    """kmem grow traced from launch; ground truth, /proc readings at the end, and the report."""
    if "report" in _kmem:
        return _kmem
    out = ctx.path("kmem.json")
    mv = memvigil(ctx, ["-i", "0", "-j", out, "--", workload("kmem"), "grow", KMEM_GROW_S])
    pid = int(mv.wait_line(r"^Tracing PID (\d+)", BANNER_TIMEOUT_S)[1])
    mv.wait_line(r"^TRUTH done", 30)
    time.sleep(1.5)                       # one more 1 s kernel sample while it holds still
    status = {k: proc_status_kb(pid, k) for k in ("RssAnon", "RssFile", "RssShmem", "VmRSS")}
    rc = stop(mv)
    check(rc in (0, 143, 128 + signal.SIGTERM), f"memvigil exited {rc}; {mv.describe()}")
    _kmem.update(report=load_report(out), truth=truth_values(mv.out()), status=status,
                 text=mv.out())
    return _kmem


def kernel_of(report):
    procs = report["processes"]
    check(len(procs) == 1, f"expected one process, got {len(procs)}")
    return procs[0]["kernel"]


def test_mapping_leak_is_found_by_its_stack_with_exact_bytes(ctx):
    k = traced_kmem_grow(ctx)
    want = int(k["truth"]["map_func"]["bytes"])
    maps = kernel_of(k["report"])["mappings"]
    found = [s for s in maps["stacks"]
             if any(f["symbol"] == "leak_mapping" for f in s["frames"][:4])]
    check(found, f"no mapping stack through leak_mapping: "
          f"{[[f['symbol'] for f in s['frames'][:4]] for s in maps['stacks']]}")
    check(sum(s["outstanding_bytes"] for s in found) == want,
          f"leak_mapping holds {sum(s['outstanding_bytes'] for s in found)} bytes, truth {want}")
    check(all(s["kind"] == "anon" for s in found), f"leak_mapping's kind: {found}")
    churn = [s for s in maps["stacks"]
             if any(f["symbol"] == "churn_mapping" for f in s["frames"][:4])]
    check(not churn, f"churn_mapping unmapped everything but is listed: {churn}")
    remap = int(k["truth"]["remap_func"]["bytes"])
    check(maps["anon_bytes"] == want + remap, f"anon_bytes {maps['anon_bytes']}, truth "
          f"{want} + {remap}: mappings the program made itself, without the allocator's")


def mapping_stacks_through(maps, func):
    return [s for s in maps["stacks"] if any(f["symbol"] == func for f in s["frames"][:4])]


def test_file_mapping_is_counted_as_file_by_its_stack(ctx):
    k = traced_kmem_grow(ctx)
    want = int(k["truth"]["file_map_func"]["bytes"])
    maps = kernel_of(k["report"])["mappings"]
    found = mapping_stacks_through(maps, "leak_file_mapping")
    check(found and all(s["kind"] == "file" for s in found),
          f"no file mapping through leak_file_mapping: {found}")
    check(sum(s["outstanding_bytes"] for s in found) == want,
          f"leak_file_mapping holds {sum(s['outstanding_bytes'] for s in found)}, truth {want}")
    check(maps["file_bytes"] >= want, f"file_bytes {maps['file_bytes']} < {want}")


def test_mremap_growth_stays_with_the_stack_that_mapped(ctx):
    k = traced_kmem_grow(ctx)
    want = int(k["truth"]["remap_func"]["bytes"])
    maps = kernel_of(k["report"])["mappings"]
    found = mapping_stacks_through(maps, "grow_by_mremap")
    check(sum(s["outstanding_bytes"] for s in found) == want,
          f"grow_by_mremap's mapping holds {sum(s['outstanding_bytes'] for s in found)} bytes "
          f"after mremap, truth {want}")
    check(maps["mremaps"] >= 1, f"no mremap counted: {maps['mremaps']}")


def test_allocator_mmap_of_a_large_block_is_counted_once(ctx):
    k = traced_kmem_grow(ctx)
    proc = k["report"]["processes"][0]
    maps = proc["kernel"]["mappings"]
    check(maps["allocator_bytes"] >= 1 << 20,
          f"the 1 MiB malloc block's mapping is not under allocator_bytes: {maps['allocator_bytes']}")
    big = [s for s in proc["stacks"] if s["outstanding_bytes"] == 1 << 20]
    check(big, "the heap does not show the held 1 MiB block")
    check(maps["anon_bytes"] == int(k["truth"]["map_func"]["bytes"]) +
          int(k["truth"]["remap_func"]["bytes"]),
          "the allocator's mapping was counted again under anon_bytes")


def test_rss_growth_matches_the_workload_within_10_percent(ctx):
    k = traced_kmem_grow(ctx)
    rss = kernel_of(k["report"])["rss"]
    # The workload's own figure: its VmRSS growth from main's start, which
    # besides the pages it wrote counts the library, stack and file pages
    # it touched. memvigil's baseline is taken at the entry point, just
    # before main; /proc/PID/status rounds to KiB.
    want = int(k["truth"]["rss_self_growth_bytes"]["rss_self_growth_bytes"])
    wrote = int(k["truth"]["rss_growth_bytes"]["rss_growth_bytes"]) + (1 << 20)
    check(want >= wrote, f"workload bug: VmRSS grew {want} bytes, less than the {wrote} "
          f"bytes it wrote")
    got = rss["anon_bytes"] - 0
    grown = rss["total_bytes"] - rss["first_bytes"]
    check(abs(grown - want) <= 0.10 * want,
          f"RSS grew {grown} bytes while traced, the workload's VmRSS grew {want} "
          f"(>10% apart; it wrote {wrote}); rss {rss}")
    secs = float(k["truth"]["rss_growth_bytes"]["seconds"])
    check(abs(grown / secs - want / secs) <= 0.10 * want / secs,
          f"growth rate {grown / secs:.0f} B/s vs workload's {want / secs:.0f} B/s")
    check(got > 0, "no anonymous RSS")


def test_rss_parts_agree_with_proc_status(ctx):
    k = traced_kmem_grow(ctx)
    rss, st = kernel_of(k["report"])["rss"], k["status"]
    # percpu counters on 6.2+ may lag by a batch per CPU: allow 1% or 512 KiB.
    for ours, theirs in (("anon_bytes", "RssAnon"), ("file_bytes", "RssFile"),
                         ("shmem_bytes", "RssShmem"), ("total_bytes", "VmRSS")):
        slack = max(0.01 * st[theirs], 512 * 1024)
        check(abs(rss[ours] - st[theirs]) <= slack,
              f"rss.{ours} {rss[ours]} vs /proc/PID/status {theirs} {st[theirs]}")


def test_page_fault_counts_within_5_percent_of_proc_stat(ctx):
    k = traced_kmem_grow(ctx)
    faults = kernel_of(k["report"])["faults"]
    want = int(k["truth"]["faults"]["faults"])
    hooks = faults["hook_user"] + faults["hook_kernel"]
    check(abs(hooks - want) <= 0.05 * want,
          f"page-fault tracepoints counted {hooks}, /proc/self/stat says {want} (>5% apart)")
    counters = faults["minor"] + faults["major"]
    check(abs(counters - want) <= 0.05 * want,
          f"task fault counters say {counters}, /proc/self/stat says {want}")


def test_text_report_shows_rss_faults_and_the_mapping_leak_frame(ctx):
    text = traced_kmem_grow(ctx)["text"]
    check(re.search(r"^  RSS [0-9.]+ \w?i?B: anon ", text, re.M), f"no RSS line: {text[-1500:]}")
    check(re.search(r"^  faults since attach: \d+ minor, \d+ major", text, re.M), "no faults line")
    check(re.search(r"^  mapped while traced: anon ", text, re.M), "no mappings line")
    long_lines = [l for l in text.splitlines() if len(l) > 100 and not l.startswith("Tracing ")]
    check(not long_lines, f"text report lines exceed 100 columns: {long_lines}")
    check(re.search(r"^\s+leak_mapping\+0x[0-9a-f]+", text, re.M),
          f"no leak_mapping frame under the mapping stacks: {text[-1500:]}")


def test_kernel_only_attaches_no_heap_probes_and_still_counts_faults(ctx):
    out = ctx.path("konly.json")
    mv = memvigil(ctx, ["--kernel-only", "-i", "0", "-j", out, "--", workload("kmem"), "grow", "1"])
    banner = wait_banner(mv).string
    check("kernel signals only" in banner, f"banner: {banner!r}")
    mv.wait_line(r"^TRUTH done", 30)
    links = bpf_link_types_of(mv.pid)
    check("raw_tracepoint" in links or "tracing" in links,
          f"memvigil holds no tracepoint links: {links}")
    progs = bpf_link_prog_names_of(mv.pid)
    heap = [n for n in progs if n.startswith(("alloc_", "free_"))]
    check(not heap, f"memvigil holds heap probes in --kernel-only mode: {progs}")
    check("map_syscall_return" in progs, f"no mmap-family wrapper probe: {progs}")
    time.sleep(1.2)
    stop(mv)
    report = load_report(out)
    proc = report["processes"][0]
    check(proc["allocator"]["library"] is None, f"allocator: {proc['allocator']}")
    check(proc["heap"]["total_allocs"] == 0, f"heap events in kernel-only mode: {proc['heap']}")
    k = proc["kernel"]
    check(k["faults"]["hook_user"] > 256, f"faults not counted: {k['faults']}")
    check(k["mappings"]["mmaps"] > 0, f"no mmaps seen: {k['mappings']}")


def bpf_links_of(pid):
    """(link_type, prog_id) of every BPF link fd process pid holds (/proc/PID/fdinfo)."""
    links = []
    for fd in os.listdir(f"/proc/{pid}/fdinfo"):
        try:
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                text = f.read()
        except OSError:
            continue
        m = re.search(r"^link_type:\s*(\S+)", text, re.M)
        if m:
            prog = re.search(r"^prog_id:\s*(\d+)", text, re.M)
            links.append((m[1], int(prog[1]) if prog else None))
    return links


def bpf_link_types_of(pid):
    """link_type of every BPF link fd process pid holds."""
    return [t for t, _ in bpf_links_of(pid)]


def bpf_link_prog_names_of(pid):
    """Names of the programs behind every BPF link fd process pid holds."""
    names = bpf_trace_progs()
    return [names.get(i, "?") for _, i in bpf_links_of(pid) if i is not None]


def test_mappings_off_hooks_nothing_and_says_mappings_are_not_followed(ctx):
    out = ctx.path("mapoff.json")
    mv = memvigil(ctx, ["--mappings=off", "-i", "0", "-j", out, "--", workload("kmem"),
                        "grow", "1"])
    wait_banner(mv)
    mv.wait_line(r"^TRUTH done", 30)
    progs = bpf_link_prog_names_of(mv.pid)
    check("handle_fault_user" in progs, f"memvigil's links lost the fault hook: {progs}")
    check(not [n for n in progs if n.startswith(("handle_sys_", "map_"))],
          f"--mappings=off still attached mmap-family hooks: {progs}")
    time.sleep(1.2)
    stop(mv)
    report = load_report(out)
    check("mappings" not in report["system"]["kernel_signals"] and
          "faults" in report["system"]["kernel_signals"],
          f"kernel_signals: {report['system']['kernel_signals']}")
    check(report["options"]["mappings"] == "off", f"options: {report['options']}")
    k = report["processes"][0]["kernel"]
    check(k["mappings"]["mmaps"] == 0, f"mmaps seen without the hooks: {k['mappings']}")
    check(k["mappings"]["followed"] is False, f"mappings: {k['mappings']}")
    check(k["faults"]["hook_user"] > 256, f"faults not counted: {k['faults']}")
    text = mv.out()
    check("mappings not followed (--mappings=off" in text and
          "mapped while traced" not in text, f"text report: {text[-800:]}")


def mapping_figures(report):
    m = kernel_of(report)["mappings"]
    return {k: m[k] for k in ("mmaps", "munmaps", "mremaps", "anon_bytes", "file_bytes",
                              "allocator_bytes")}


def test_default_mappings_hook_no_syscall_and_match_the_syscall_tracepoints(ctx):
    """The wrapper probes see what raw_syscalls sees for a program using the C library."""
    k = traced_kmem_grow(ctx)
    check(k["report"]["options"]["mappings"] == "wrappers", f"options: {k['report']['options']}")
    out = ctx.path("kmem-syscalls.json")
    mv = memvigil(ctx, ["--mappings=syscalls", "-i", "0", "-j", out, "--", workload("kmem"),
                        "grow", KMEM_GROW_S])
    wait_banner(mv)
    mv.wait_line(r"^TRUTH done", 30)
    progs = bpf_link_prog_names_of(mv.pid)
    check("handle_sys_enter" in progs and not [n for n in progs if n.startswith("map_")],
          f"--mappings=syscalls links: {progs}")
    stop(mv)
    tp = mapping_figures(load_report(out))
    wr = mapping_figures(k["report"])
    # kmem grow maps and unmaps once per round and the round count depends on
    # timing: compare what is left after taking the rounds out
    per_round = {"mmaps": 2, "munmaps": 1, "anon_bytes": 256 * 1024}
    rounds_tp = int(truth_values(mv.out())["map_func"]["bytes"]) // (256 * 1024)
    rounds_wr = int(k["truth"]["map_func"]["bytes"]) // (256 * 1024)
    for key in ("mmaps", "munmaps", "anon_bytes", "mremaps", "file_bytes", "allocator_bytes"):
        n = per_round.get(key, 0)
        check(wr[key] - n * rounds_wr == tp[key] - n * rounds_tp,
              f"{key}: wrappers {wr[key]} in {rounds_wr} rounds, syscalls {tp[key]} in "
              f"{rounds_tp} rounds; wrappers {wr}, syscalls {tp}")


def test_default_mappings_attach_no_syscall_tracepoint(ctx):
    mv = memvigil(ctx, ["-i", "0", "--", workload("kmem"), "grow", "1"])
    wait_banner(mv)
    mv.wait_line(r"^TRUTH done", 30)
    progs = bpf_link_prog_names_of(mv.pid)
    check(not [n for n in progs if n.startswith("handle_sys_")],
          f"the default mode hooks every syscall on the host: {progs}")
    check("map_syscall_return" in progs, f"no wrapper probe: {progs}")
    stop(mv)


def raw_mapping_report(ctx, mode):
    out = ctx.path(f"raw-{mode}.json")
    mv = memvigil(ctx, [f"--mappings={mode}", "-i", "0", "-j", out, "--", workload("kmem"),
                        "raw"])
    wait_banner(mv)
    mv.wait_line(r"^TRUTH done", 30)
    stop(mv)
    return load_report(out), truth_values(mv.out())


def test_raw_syscall_mappings_are_seen_by_the_syscall_hooks_only(ctx):
    for mode, sees_raw in (("syscalls", True), ("wrappers", False)):
        report, truth = raw_mapping_report(ctx, mode)
        maps = kernel_of(report)["mappings"]
        libc = mapping_stacks_through(maps, "leak_mapping")
        raw = mapping_stacks_through(maps, "leak_raw_mapping")
        want = int(truth["map_func"]["bytes"])
        check(sum(s["outstanding_bytes"] for s in libc) == want,
              f"--mappings={mode}: leak_mapping holds "
              f"{sum(s['outstanding_bytes'] for s in libc)}, truth {want}")
        got_raw = sum(s["outstanding_bytes"] for s in raw)
        want_raw = int(truth["raw_map_func"]["bytes"]) if sees_raw else 0
        check(got_raw == want_raw, f"--mappings={mode}: leak_raw_mapping holds {got_raw}, "
              f"expected {want_raw}")


def test_mappings_through_an_interposed_mmap_use_entry_and_return_probes(ctx):
    """tcmalloc exports its own mmap, which makes the syscall through syscall(2)."""
    lib = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"
    check(os.path.exists(lib), f"{lib} missing (libgoogle-perftools-dev)")
    out = ctx.path("raw-tcmalloc.json")
    # preloaded into the workload only: memvigil itself may run under ASan
    wl = ctx.spawn([workload("kmem"), "raw", "--wait"], env=dict(os.environ, LD_PRELOAD=lib))
    wl.wait_line(r"^READY ", 10)
    mv = memvigil(ctx, ["-v", "-i", "0", "-j", out, "-p", wl.pid])
    wait_banner(mv)
    os.kill(wl.pid, signal.SIGUSR1)
    wl.wait_line(r"^TRUTH done", 30)
    progs = bpf_link_prog_names_of(mv.pid)
    check("map_enter" in progs and "map_exit" in progs, f"no entry/return probes: {progs}")
    stop(mv)
    err = "\n".join(mv.err_lines())
    check(re.search(r"libtcmalloc_minimal\.so[\d.]*:mmap(64)? \(mmap family\) probe at \+\d+: "
                    r"entry and return", err), f"-v does not show tcmalloc's mmap: {err[-1500:]}")
    maps = kernel_of(load_report(out))["mappings"]
    want = int(truth_values(wl.out())["map_func"]["bytes"])
    got = sum(s["outstanding_bytes"] for s in mapping_stacks_through(maps, "leak_mapping"))
    check(got == want, f"leak_mapping through tcmalloc's mmap holds {got}, truth {want}; "
          f"{maps['stacks']}")


def test_process_without_mmap_wrappers_is_traced_with_mappings_marked_unfollowed(ctx):
    """A stripped static program has no symbol to probe: its mappings are not followed, said."""
    exe = stripped_static_program(ctx)
    wl = ctx.spawn([exe, "30"])
    wl.wait_line(r"^STATIC ", 10)
    out = ctx.path("nowrap.json")
    mv = memvigil(ctx, ["--kernel-only", "-p", wl.pid, "-i", "0", "-d", "1.5", "-j", out])
    wait_banner(mv)
    rc = mv.wait(20)
    check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    warn = [l for l in mv.err_lines() if "are not followed" in l]
    check(len(warn) == 1 and "--mappings=syscalls" in warn[0], f"stderr: {mv.err_lines()}")
    k = kernel_of(load_report(out))
    check(k["mappings"]["followed"] is False, f"mappings: {k['mappings']}")
    check(k["samples"] >= 1 and k["rss"]["total_bytes"] > 0,
          f"the other kernel signals stopped too: {k['samples']} samples, rss {k['rss']}")
    text = mv.out()
    check("mappings not followed (no mmap wrapper" in text and
          "mapped while traced" not in text, f"text report: {text[-800:]}")
    k = traced_kmem_grow(ctx)
    check(kernel_of(k["report"])["mappings"]["followed"] is True,
          "a glibc program's mappings are not marked followed")


def test_bad_mappings_value_is_refused_with_one_line(ctx):
    mv = memvigil(ctx, ["--mappings=tracepoints", "--", workload("spin"), "1"], stdout=True)
    rc = mv.wait(10)
    check(rc == 64, f"exit {rc}; {mv.describe()}")
    lines = [l for l in mv.err_lines() if l.strip()]
    check(len(lines) == 1 and "--mappings" in lines[0] and "wrappers, syscalls or off" in lines[0],
          f"stderr: {lines}")


def test_absent_pressure_file_is_reported_unavailable_not_an_error(ctx):
    out = ctx.path("nopsi.json")
    wl = spawn_workload(ctx, "spin", "60")
    mv = memvigil(ctx, ["-p", wl.pid, "-i", "0", "-d", "1.5", "-j", out],
                  env={"MEMVIGIL_PSI_PATH": "/nonexistent/pressure/memory"})
    rc = mv.wait(20)
    check(rc == 0, f"memvigil exited {rc} without PSI; {mv.describe()}")
    check(not [l for l in mv.err_lines() if l.strip()], f"stderr not empty: {mv.err_lines()}")
    report = load_report(out)
    check(report["system"]["psi"] == {"available": False}, f"psi: {report['system']['psi']}")
    check("system memory PSI: unavailable" in mv.out(), "the text report does not say PSI is unavailable")


class MemCgroup:
    """A memory-limited cgroup (v1 memory controller here, v2 where it has memory); removed on exit."""

    def __init__(self, limit_bytes):
        mounts = open("/proc/mounts").read().splitlines()
        v1 = [l.split()[1] for l in mounts if l.split()[2] == "cgroup"
              and "memory" in l.split()[3].split(",")]
        v2 = [l.split()[1] for l in mounts if l.split()[2] == "cgroup2"]
        self.path = None
        name = f"memvigil-test-{os.getpid()}-{time.monotonic_ns()}"
        if v2 and "memory" in open(os.path.join(v2[0], "cgroup.controllers")).read().split():
            self.path, self.limit, self.procs = os.path.join(v2[0], name), "memory.max", "cgroup.procs"
        elif v1:
            self.path, self.limit, self.procs = (os.path.join(v1[0], name), "memory.limit_in_bytes",
                                                 "cgroup.procs")
        else:
            raise Failure("no memory cgroup controller is mounted (v1 or v2)")
        os.mkdir(self.path)
        try:
            with open(os.path.join(self.path, self.limit), "w") as f:
                f.write(str(limit_bytes))
            swap = os.path.join(self.path, "memory.swap.max")
            if os.path.exists(swap):
                with open(swap, "w") as f:
                    f.write("0")
        except Exception:
            self.remove()
            raise

    def preexec(self):
        path = os.path.join(self.path, self.procs)

        def enter():
            with open(path, "w") as f:
                f.write(str(os.getpid()))
        return enter

    def remove(self):
        if not self.path:
            return
        for _ in range(100):
            try:
                pids = open(os.path.join(self.path, self.procs)).read().split()
            except OSError:
                pids = []
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                os.rmdir(self.path)
                self.path = None
                return
            except OSError:
                time.sleep(0.05)
        raise Failure(f"could not remove the test cgroup {self.path}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def test_oom_kills_in_a_limited_cgroup_are_reported_with_the_victims_top_stack(ctx):
    limit = 64 << 20
    with MemCgroup(limit) as cg:
        traced = ctx.spawn([workload("kmem"), "hog"], preexec_fn=cg.preexec())
        tpid = int(traced.wait_line(r"^READY (\d+)", 10)[1])
        other = ctx.spawn([workload("kmem"), "hog"], preexec_fn=cg.preexec())
        opid = int(other.wait_line(r"^READY (\d+)", 10)[1])
        out = ctx.path("oom.json")
        mv = memvigil(ctx, ["-p", tpid, "-i", "0", "-j", out])
        wait_banner(mv)
        time.sleep(1.2)                   # a kernel sample: the traced process's memcg is known
        os.kill(opid, signal.SIGUSR1)     # the untraced hog is killed first
        check(other.wait(30) is not None, "the untraced hog was not killed")
        mv.wait_line(rf"^OOM kill at \+\S+: PID {opid} ", 10)
        os.kill(tpid, signal.SIGUSR1)
        rc = mv.wait(40)
        check(rc == 0, f"memvigil exited {rc} after its target was OOM-killed; {mv.describe()}")
    report = load_report(out)
    kills = {k["pid"]: k for k in report["system"]["oom_kills"]}
    check(opid in kills and tpid in kills, f"OOM kills reported: {list(kills)}, want {opid}, {tpid}")
    o, t = kills[opid], kills[tpid]
    check(not o["victim_traced"] and o["cgroup_peer_pid"] == tpid, f"untraced victim: {o}")
    check(t["victim_traced"] and t["comm"] == "kmem", f"traced victim: {t}")
    check(t["memcg"]["limit_bytes"] == limit, f"limit at the kill: {t['memcg']}")
    check(t["rss"]["anon_bytes"] > limit // 2, f"victim RSS at the kill: {t['rss']}")
    check(t["stacks"] and any(f["symbol"] == "hog_memory" for f in t["stacks"][0]["frames"][:4]),
          f"the victim's top stack is not hog_memory: {t['stacks'][:1]}")
    check(t["stacks"][0]["outstanding_bytes"] >= limit // 2,
          f"top stack holds {t['stacks'][0]['outstanding_bytes']} bytes")
    text = mv.out()
    check(re.search(rf"^OOM kill at \+\S+: PID {tpid} \(kmem\) \[traced\]", text, re.M),
          f"no OOM event line for the traced victim: {text[-1200:]}")
    check(re.search(r"^\s+hog_memory\+0x", text, re.M), "the OOM event line has no hog_memory frame")
    proc = report["processes"][0]
    check(proc["kernel"]["oom_kills"] == 1 and proc["exit_signal"] == signal.SIGKILL,
          f"process: oom_kills {proc['kernel']['oom_kills']}, exit_signal {proc['exit_signal']}")
    check(proc["kernel"]["reclaim"]["stalls"] > 0,
          f"no reclaim stall before the OOM kill: {proc['kernel']['reclaim']}")


def last_sample_before(lines, t_s):
    samples = [o for o in lines if o["type"] == "sample" and o["t_s"] <= t_s]
    check(samples, f"no --jsonl sample before {t_s} s")
    return samples[-1]


def test_kernel_signals_feed_rss_and_mapped_growth_pressure_and_their_alerts(ctx):
    json_path, jsonl_path = ctx.path("kmem.json"), ctx.path("kmem.jsonl")
    p, rc = run_to_end(ctx, ["-i", "1", "-d", "9", "--alert", "rss_growth>1MB/s",
                             "--alert", "mapped>4M", "--alert", "pressure>=low",
                             "--alert", "major_faults>1000000", "--json", json_path,
                             "--jsonl", jsonl_path, "--", workload("kmem"), "grow", "6"])
    check(rc in (0, 128 + signal.SIGTERM), f"memvigil exited {rc}; {p.describe()}")
    out = p.out()
    m = re.search(r"^TRUTH rss_growth_bytes=(\d+) seconds=([\d.]+)$", out, re.M)
    check(m, f"kmem printed no rss_growth TRUTH line: {out[-400:]!r}")
    rss_rate, grow_s = int(m[1]) / float(m[2]), float(m[2])
    mapped_rate = 256 * 1024 * 10          # leak_mapping: 256 KiB every 100 ms
    fired = [l for l in p.err_lines() if l.startswith("memvigil: alert ")]
    names = [re.match(r"memvigil: alert (\S+) fired", l)[1] for l in fired]
    psi = os.path.exists("/proc/pressure/memory")
    want = ["rss_growth>1MB/s", "mapped>4M"] + (["pressure>=low"] if psi else [])
    check(sorted(names) == sorted(want), f"alerts fired {names}, expected each of {want} once")
    lines = read_jsonl(jsonl_path)
    check_jsonl_metrics_match_the_schema(lines)
    met = last_sample_before(lines, grow_s)["metrics"]
    rss, mapped = met["rss"], met["mapped"]
    check(rss and mapped, f"no rss/mapped metrics from the kernel signals: {json.dumps(met)[:300]}")
    check(abs(mapped["growth_bytes_per_s"] - mapped_rate) <= 0.1 * mapped_rate,
          f"mapped grows {mapped['growth_bytes_per_s']:.0f} B/s, kmem maps {mapped_rate} B/s")
    # The window starts at attach, so the fit also sees kmem's start (its 1 MiB
    # block, libraries paged in): RSS growth is checked loosely; the kernel
    # signals' own tests check RSS accuracy. Mappings are exact events.
    check(abs(rss["growth_bytes_per_s"] - rss_rate) <= 0.3 * rss_rate,
          f"RSS grows {rss['growth_bytes_per_s']:.0f} B/s, kmem touched {rss_rate:.0f} B/s")
    check(rss["trend"] == "increasing" and mapped["trend"] == "increasing",
          f"trends: rss {rss['trend']}, mapped {mapped['trend']}")
    check(met["values"]["minor_faults"] is not None and met["values"]["minor_faults"] > 100,
          f"minor fault rate {met['values']['minor_faults']} while kmem writes 640 pages/s")
    if psi:
        check(met["pressure"]["level"] in ("low", "medium", "high", "critical"),
              f"no pressure level although /proc/pressure/memory exists: {met['pressure']}")
    report = load_report(json_path)
    (proc,) = select_procs(report, exe_name="kmem")
    check(proc["metrics"]["rss"]["peak_bytes"] >= rss["current_bytes"],
          f"final RSS peak {proc['metrics']['rss']['peak_bytes']} below a sampled value")


def test_oom_alert_fires_and_jsonl_has_a_line_per_kill_with_the_victims_top_stack(ctx):
    limit = 64 << 20
    jsonl_path = ctx.path("oom.jsonl")
    with MemCgroup(limit) as cg:
        traced = ctx.spawn([workload("kmem"), "hog"], preexec_fn=cg.preexec())
        tpid = int(traced.wait_line(r"^READY (\d+)", 10)[1])
        other = ctx.spawn([workload("kmem"), "hog"], preexec_fn=cg.preexec())
        opid = int(other.wait_line(r"^READY (\d+)", 10)[1])
        mv = memvigil(ctx, ["-p", tpid, "-i", "0", "--alert", "oom", "--jsonl", jsonl_path])
        wait_banner(mv)
        time.sleep(2.2)                   # kernel samples: the traced process's memcg is known
        os.kill(opid, signal.SIGUSR1)     # the untraced hog in the same cgroup dies first
        check(other.wait(30) is not None, "the untraced hog was not killed")
        mv.wait_line(rf"^memvigil: alert oom fired for PID {tpid} ", 10, stream="err")
        time.sleep(1.5)                   # a sample without a new kill clears the alert
        os.kill(tpid, signal.SIGUSR1)
        rc = mv.wait(40)
        check(rc == 0, f"memvigil exited {rc} after its target was OOM-killed; {mv.describe()}")
    lines = read_jsonl(jsonl_path)
    ooms = {o["pid"]: o for o in lines if o["type"] == "oom"}
    check(set(ooms) == {opid, tpid}, f"--jsonl OOM lines for {sorted(ooms)}, want {opid}, {tpid}")
    check(ooms[opid]["cgroup_peer"] == tpid and not ooms[opid]["victim_traced"],
          f"untraced victim's line: {ooms[opid]}")
    t = ooms[tpid]
    check(t["victim_traced"] and t["stacks"] and t["stacks"][0]["function"] == "hog_memory",
          f"the traced victim's line lacks its top stack hog_memory: {t}")
    fired = [l for l in mv.err_lines() if l.startswith("memvigil: alert oom fired")]
    check(len(fired) == 2, f"expected the oom alert once per kill (2), got {fired}")
    limits = {o["metrics"]["pressure"]["limit_bytes"] for o in lines if o["type"] == "sample"}
    check(limit in limits, f"the cgroup limit {limit} never reached the metrics: {limits}")


def on_alarm(signum, frame):
    if _in_test:                # never interrupt the cleanup
        raise TestTimeout()


def run_test(name, fn, timeout):
    global _in_test
    ctx = Context(name)
    status, reason = "PASS", ""
    before = None
    signal.signal(signal.SIGALRM, on_alarm)
    try:
        before = set(bpf_trace_progs())
        _in_test = True
        signal.alarm(timeout)
        fn(ctx)
    except Failure as e:
        status, reason = "FAIL", str(e)
    except Skip as e:
        status, reason = "SKIP", str(e)
    except TestTimeout:
        status, reason = "FAIL", f"timed out after {timeout}s"
    except Exception:
        status, reason = "FAIL", "error in the test: " + traceback.format_exc().strip()
    finally:
        _in_test = False
        signal.alarm(0)
        try:
            ctx.cleanup()
            if before is not None:
                left = wait_progs_gone(before, PROG_GONE_S)
                if left and status != "FAIL":
                    status, reason = "FAIL", (f"BPF programs still loaded {PROG_GONE_S:.0f} s "
                                              f"after the test: {left}")
                elif left:
                    reason += f"; BPF programs still loaded after the test: {left}"
        except Exception as e:
            status, reason = "FAIL", f"{reason}; cleanup failed: {e}".lstrip("; ")
    return status, reason


def discover():
    """The test_* functions here and in the area files beside this one (test_*.py).

    An area file does `import run as h` and reaches the harness through h; run.py
    registers itself as the module `run` first, so h is this very module (BUILD, BIN
    and WORKLOADS set by main() included).
    """
    sys.modules.setdefault("run", sys.modules[__name__])
    here = os.path.dirname(os.path.abspath(__file__))
    if here not in sys.path:
        sys.path.insert(0, here)
    found = [(n, f) for n, f in globals().items() if n.startswith("test_") and callable(f)]
    for fname in sorted(os.listdir(here)):
        if fname.startswith("test_") and fname.endswith(".py"):
            mod = importlib.import_module(fname[:-3])
            found += [(n, f) for n, f in vars(mod).items()
                      if n.startswith("test_") and callable(f) and f.__module__ == mod.__name__]
    return found


def main():
    global BUILD, BIN, WORKLOADS
    ap = argparse.ArgumentParser(description="memvigil integration tests (root)")
    ap.add_argument("--build", default="build", help="build directory (default build)")
    ap.add_argument("-k", dest="pattern", default="", help="run tests whose name contains this")
    ap.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT_S, help="seconds per test")
    args = ap.parse_args()
    BUILD = os.path.abspath(args.build)
    BIN = os.path.join(BUILD, "memvigil")
    WORKLOADS = os.path.join(BUILD, "tests", "workloads")
    sys.stdout.reconfigure(line_buffering=True)

    tests = [(n, f) for n, f in discover() if args.pattern in n]
    why_not = None
    if os.geteuid() != 0:
        why_not = ("not root: the integration tests load BPF programs; "
                   "run them as root (sudo make test)")
    elif not os.access(BIN, os.X_OK):
        why_not = f"{BIN} is missing; run make first"
    elif not shutil.which("bpftool"):
        why_not = "bpftool is not installed (make deps installs it)"
    set_child_subreaper()

    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    t0 = time.monotonic()
    for name, fn in tests:
        reason_t = ""
        if why_not:
            status, reason = "FAIL", why_not
        else:
            t = time.monotonic()
            status, reason = run_test(name, fn, args.timeout)
            reason_t = f" ({time.monotonic() - t:.1f}s)" if status == "PASS" else ""
        counts[status] += 1
        if status == "PASS":
            print(f"PASS {name}{reason_t}")
        else:
            print(f"{status} {name}: {reason}")
    if not tests:
        print(f"no test matches {args.pattern!r}")
        counts["FAIL"] += 1
    for d in _cache_dirs:
        shutil.rmtree(d, ignore_errors=True)
    print(f"integration tests took {time.monotonic() - t0:.1f}s")
    summary = f"{counts['PASS']} passed, {counts['FAIL']} failed"
    if counts["SKIP"]:
        summary += f", {counts['SKIP']} skipped"
    print(summary)
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
