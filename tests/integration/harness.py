# SPDX-License-Identifier: GPL-2.0
"""The harness of memvigil's integration tests: processes, memvigil, its reports.

run.py runs the tests; the area files beside it (test_*.py) hold them and
reach this module through `import harness as h`. run.py's main() sets BUILD,
BIN and WORKLOADS here before the first test runs.

The workloads (tests/workloads/*.c, most through truth.h) print their own
ground truth: "TRUTH func=F bytes=N allocs=K" per leaking function F,
"CLEAN func=F" for functions that must hold nothing, "GONE func=F bytes=N
allocs=K" for what an exec dropped, "TRUTH done" last. memvigil's JSON report
must agree byte for byte and count for count, summing the stacks whose
frames[0].symbol is F.
"""

import ctypes
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

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMA = os.path.join(ROOT, "docs", "report.schema.json")
JSONL_SCHEMA = os.path.join(ROOT, "docs", "jsonl.schema.json")
VALIDATOR = os.path.join(ROOT, "tests", "integration", "validate_json.py")

BUILD = None            # set by run.py's main()
BIN = None              # BUILD/memvigil
WORKLOADS = None        # BUILD/tests/workloads

BANNER_TIMEOUT_S = 30
EXIT_TIMEOUT_S = 30

# Program types memvigil's uprobes (kprobe) and tp_btf/raw_tp programs have.
TRACE_PROG_TYPES = {"kprobe", "tracing", "raw_tracepoint", "raw_tracepoint_writable",
                    "tracepoint", "perf_event"}


class Failure(Exception):
    pass


class Skip(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


# --- how run.py schedules a test ----------------------------------------------

def alone(fn):
    """Mark a test that needs the machine to itself: it reads machine-wide BPF state
    (every loaded program or link), traces a workload that keeps a CPU busy for seconds,
    or compares rates a workload keeps only while it is not starved of CPU. run.py runs
    it with no other test beside it."""
    fn.alone = True
    return fn


def timeout_s(seconds):
    """Mark a test that may take longer than run.py's timeout per test: it repeats a
    traced run many times (a race is looked for), which a loaded machine slows down."""
    def mark(fn):
        fn.timeout_s = seconds
        return fn
    return mark


def clock_bound(fn):
    """Mark a test whose time goes into waiting on a workload's clock (verdicts after
    seconds of growth, estimates over seconds of sampling). The ASan pass leaves it out:
    the userspace logic it waits on is pure and its unit tests run under ASan, while the
    code it shares with the other tests runs under ASan through them."""
    fn.clock_bound = True
    return fn


# --- processes ---------------------------------------------------------------

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


# --- BPF programs ------------------------------------------------------------

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


# --- memvigil and its reports ------------------------------------------------

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


def validate_json(path, schema=SCHEMA, lines=False):
    """path (JSON, or JSON Lines with lines) matches schema (docs/report.schema.json)."""
    check(os.path.exists(VALIDATOR), f"{VALIDATOR} is missing")
    check(os.path.exists(schema), f"{schema} is missing")
    r = subprocess.run([sys.executable, VALIDATOR] + (["--lines"] if lines else []) +
                       [schema, path], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, f"{'--jsonl lines do' if lines else 'JSON report does'} not "
          f"validate against docs/{os.path.basename(schema)}: "
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


def truth_values(text):
    """The 'TRUTH k=v k2=v2' lines a workload printed, as {k: {k: v, k2: v2}} by first key."""
    lines = {}
    for line in text.splitlines():
        if line.startswith("TRUTH "):
            kvs = dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
            if kvs:
                lines[line.split()[1].split("=", 1)[0]] = kvs
    return lines


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
    """{symbol of the first frame not inlined: [outstanding bytes, outstanding allocs]}
    over all stacks (functions inlined at the call come first, marked inlined)."""
    acc = {}
    for p in procs:
        for s in p.get("stacks", []):
            a = acc.setdefault(caller_symbol(s), [0, 0])
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


def trace_signalled(ctx, wl, json_path, args=()):
    """Trace the workload wl, waiting after READY (--wait), by PID with the
    extra memvigil args: once memvigil is tracing, SIGUSR1 tells wl to work;
    after its TRUTH done (and a moment for the last events), SIGTERM ends
    memvigil, which must exit 0. Returns (memvigil, its JSON report)."""
    mv = memvigil(ctx, [*args, "-p", wl.pid, "--json", json_path, "-i", "0"])
    wait_banner(mv)
    os.kill(wl.pid, signal.SIGUSR1)
    wl.wait_line(r"^TRUTH done$", 20)
    time.sleep(0.3)
    rc = stop(mv)
    check(rc == 0, f"memvigil exited {rc} after SIGTERM; {mv.describe()}")
    return mv, load_report(json_path)


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


# Directories of results several tests share; run.py removes them at the end.
cache_dirs = []


# --- several processes (--follow, --cgroup) ----------------------------------

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


# --- cgroups -----------------------------------------------------------------

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


def spawn_waiting_in_cgroup(ctx, cg, name):
    """Workload name started with --wait in cgroup cg, once it says READY (it then waits
    for SIGUSR1 to leak)."""
    p = spawn_in_cgroup(ctx, cg, [workload(name), "--wait"])
    p.wait_line(r"^READY ", 10)
    return p


def wait_attached(mv, pid, timeout=20):
    mv.wait_line(rf"PID {pid}: probing \d+ allocator functions", timeout, stream="err")


# --- --jsonl lines -----------------------------------------------------------

def read_jsonl(path):
    """Every line of a --jsonl file, parsed; each must be one JSON object matching
    docs/jsonl.schema.json."""
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
    validate_json(path, JSONL_SCHEMA, lines=True)
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


def caller_symbol(stack):
    """The symbol of a stack's first frame not inlined: the function that made the call
    (functions inlined into it at the call come first in frames, marked inlined)."""
    frames = [f for f in stack.get("frames") or [] if not f.get("inlined")]
    return frames[0].get("symbol") if frames else None


def final_stack(proc, func):
    sel = [s for s in proc["stacks"] if caller_symbol(s) == func]
    check(len(sel) == 1, f"expected one stack starting at {func}, found {len(sel)}")
    return sel[0]


# --- a stripped static program -----------------------------------------------

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


def planted_link(ctx, name):
    """(secret, link): a root-only file "secret" in ctx's directory holding "root only\\n",
    and a symbolic link name to it, as someone may plant where a report is written."""
    secret = ctx.path("secret")
    with open(secret, "w") as f:
        f.write("root only\n")
    os.chmod(secret, 0o600)
    link = ctx.path(name)
    os.symlink(secret, link)
    return secret, link


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
