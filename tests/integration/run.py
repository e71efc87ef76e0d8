#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""memvigil integration tests: the real binary, real BPF, real processes.

    run.py --build BUILD [-k SUBSTRING] [--list] [--timeout SECONDS]
           [--jobs N] [--no-clock-bound] [--workloads DIR]

Runs every test_* function of the area files test_*.py beside it (those
whose name contains SUBSTRING with -k), each under a timeout, N at a time
(--jobs, default the number of CPUs up to 4, or MV_TEST_JOBS): N worker
processes take the next test as they finish one, and the tests marked
h.alone (they read machine-wide BPF state, or keep the CPUs busy) run
afterwards one by one.
--no-clock-bound leaves out the tests marked h.clock_bound (their time is a
workload's clock; the ASan pass uses it) and says how many it left out.
Prints "PASS name", "FAIL name: reason" or "SKIP name: why" per test and
ends with exactly one line "N passed, N failed" (", N skipped" is added only
when a test could not run). Exit status 1 if anything failed. Needs root:
without it every test fails. --list prints the names of those tests, one a
line, and runs none.

Every test kills what it started on every path, and afterwards no BPF
program memvigil loaded may remain: any new kprobe/tracing/raw_tracepoint
program that no live process holds 3 s after the test (20 s when tests run
side by side, since another test's memvigil may be exiting) is a failure.

The tests reach the harness (harness.py: processes, memvigil, its reports,
the workloads' ground truth) through `import harness as h`; main() sets
h.BUILD, h.BIN and h.WORKLOADS before the first test runs.
"""

import argparse
import importlib
import json
import os
import selectors
import shutil
import subprocess
import signal
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
import harness as h     # noqa: E402  (the module the area files import too)

DEFAULT_TIMEOUT_S = 60
PROG_GONE_S = 3.0
PROG_GONE_SIDE_BY_SIDE_S = 20.0
MAX_DEFAULT_JOBS = 4
RESULT_TAG = "\x1eRESULT "    # a worker's result line, among whatever the tests print


class TestTimeout(Exception):
    pass


_in_test = False


def on_alarm(signum, frame):
    if _in_test:                # never interrupt the cleanup
        raise TestTimeout()


def run_test(name, fn, timeout, prog_gone_s=PROG_GONE_S):
    global _in_test
    ctx = h.Context(name)
    status, reason = "PASS", ""
    before = None
    signal.signal(signal.SIGALRM, on_alarm)
    try:
        before = set(h.bpf_trace_progs())
        _in_test = True
        signal.alarm(timeout)
        fn(ctx)
    except h.Failure as e:
        status, reason = "FAIL", str(e)
    except h.Skip as e:
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
                left = h.wait_progs_gone(before, prog_gone_s)
                if left and status != "FAIL":
                    status, reason = "FAIL", (f"BPF programs still loaded {prog_gone_s:.0f} s "
                                              f"after the test: {left}")
                elif left:
                    reason += f"; BPF programs still loaded after the test: {left}"
        except Exception as e:
            status, reason = "FAIL", f"{reason}; cleanup failed: {e}".lstrip("; ")
    return status, reason


def discover():
    """The test_* functions of the area files test_*.py here, by file name.

    An area file does `import harness as h` and reaches the harness through h,
    the one module whose BUILD, BIN and WORKLOADS main() sets; nothing imports
    run.py. Each test runs and is reported by its name, so a name that two files
    define is an error.
    """
    found = []
    for fname in sorted(os.listdir(HERE)):
        if fname.startswith("test_") and fname.endswith(".py"):
            mod = importlib.import_module(fname[:-3])
            found += [(n, f) for n, f in vars(mod).items()
                      if n.startswith("test_") and callable(f) and f.__module__ == mod.__name__]
    names = [n for n, _ in found]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise SystemExit("run.py: tests defined in more than one file: " + ", ".join(twice))
    return found


def timed_run(name, fn, timeout, prog_gone_s):
    """run_test (under the test's own timeout if it has one: h.timeout_s), with the
    test's time appended to a pass."""
    t = time.monotonic()
    status, reason = run_test(name, fn, max(timeout, getattr(fn, "timeout_s", 0)), prog_gone_s)
    return status, reason, f" ({time.monotonic() - t:.1f}s)" if status == "PASS" else ""


def worker_main(tests, timeout):
    """--worker: run the tests named on stdin, one a line, answering each with a
    RESULT_TAG line on stdout; end at EOF."""
    by_name = dict(tests)
    # The protocol keeps the pipes to itself: what the tests and their children
    # read gets /dev/null, what they print goes to stderr.
    names = os.fdopen(os.dup(0), "r")
    results = os.fdopen(os.dup(1), "w")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    while True:
        name = names.readline().strip()
        if not name:
            return 0
        if name in by_name:
            result = timed_run(name, by_name[name], timeout, PROG_GONE_SIDE_BY_SIDE_S)
        else:
            result = ("FAIL", f"the worker has no test {name!r}", "")
        results.write(RESULT_TAG + json.dumps([name, *result]) + "\n")
        results.flush()


class Worker:
    """A run.py --worker child and the test it runs."""

    def __init__(self, args):
        argv = [sys.executable, os.path.abspath(__file__), "--build", args.build,
                "--timeout", str(args.timeout), "--worker"]
        if args.workloads:
            argv += ["--workloads", args.workloads]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)
        self.current = None

    def give(self, name):
        self.current = name
        self.proc.stdin.write(name + "\n")
        self.proc.stdin.flush()

    def finish(self):
        self.proc.stdin.close()
        self.proc.wait()


def run_side_by_side(tests, jobs, args, report):
    """Run tests on jobs workers, each taking the next test when it finishes one;
    report(name, status, reason, took) for each as it ends."""
    queue = [n for n, _ in tests]
    sel = selectors.DefaultSelector()
    workers = [Worker(args) for _ in range(min(jobs, len(queue)))]
    for w in workers:
        w.give(queue.pop(0))
        sel.register(w.proc.stdout, selectors.EVENT_READ, w)
    busy = len(workers)
    while busy:
        for key, _ in sel.select():
            w = key.data
            line = w.proc.stdout.readline()
            if line and not line.startswith(RESULT_TAG):
                sys.stdout.write(line)
                continue
            if line:
                name, status, reason, took = json.loads(line[len(RESULT_TAG):])
                report(name, status, reason, took)
            else:       # the worker died: its test fails, the others go on
                report(w.current, "FAIL", f"the test worker exited "
                       f"{w.proc.wait()} while running it", "")
                sel.unregister(w.proc.stdout)
                busy -= 1
                continue
            if queue:
                w.give(queue.pop(0))
            else:
                sel.unregister(w.proc.stdout)
                w.finish()
                busy -= 1


def default_jobs():
    env = os.environ.get("MV_TEST_JOBS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_JOBS))


def main():
    ap = argparse.ArgumentParser(description="memvigil integration tests (root)")
    ap.add_argument("--build", default="build", help="build directory (default build)")
    ap.add_argument("-k", dest="pattern", default="", help="run tests whose name contains this")
    ap.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT_S, help="seconds per test")
    ap.add_argument("--list", action="store_true",
                    help="print the names of the tests (those -k selects) and run none")
    ap.add_argument("--jobs", type=int, default=default_jobs(),
                    help="tests run side by side (default: CPUs up to 4, or MV_TEST_JOBS)")
    ap.add_argument("--no-clock-bound", action="store_true",
                    help="leave out the tests marked h.clock_bound")
    ap.add_argument("--workloads", default="",
                    help="the workloads' directory (default BUILD/tests/workloads)")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    # Run from make (make test), the tests' own commands (make -j2 in a traced
    # build) must not join make's jobserver: they run as from a shell.
    for var in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL"):
        os.environ.pop(var, None)
    h.BUILD = os.path.abspath(args.build)
    h.BIN = os.path.join(h.BUILD, "memvigil")
    h.WORKLOADS = os.path.abspath(args.workloads or os.path.join(h.BUILD, "tests",
                                                                 "workloads"))
    sys.stdout.reconfigure(line_buffering=True)

    tests = [(n, f) for n, f in discover() if args.pattern in n]
    left_out = 0
    if args.no_clock_bound:
        kept = [(n, f) for n, f in tests if not getattr(f, "clock_bound", False)]
        left_out, tests = len(tests) - len(kept), kept
    if args.worker:
        h.set_child_subreaper()
        rc = worker_main(tests, args.timeout)
        for d in h.cache_dirs:
            shutil.rmtree(d, ignore_errors=True)
        return rc
    if args.list:
        for name, _ in tests:
            print(name)
        if not tests:
            print(f"no test matches {args.pattern!r}", file=sys.stderr)
        return 0 if tests else 1
    why_not = None
    if os.geteuid() != 0:
        why_not = ("not root: the integration tests load BPF programs; "
                   "run them as root (sudo make test)")
    elif not os.access(h.BIN, os.X_OK):
        why_not = f"{h.BIN} is missing; run make first"
    elif not shutil.which("bpftool"):
        why_not = "bpftool is not installed (make deps installs it)"
    h.set_child_subreaper()

    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}

    def report(name, status, reason, took):
        counts[status] += 1
        print(f"PASS {name}{took}" if status == "PASS" else f"{status} {name}: {reason}")

    t0 = time.monotonic()
    if why_not:
        for name, _ in tests:
            report(name, "FAIL", why_not, "")
    else:
        # The longest first, so that no worker is left with one at the end.
        side = sorted((t for t in tests if not getattr(t[1], "alone", False)),
                      key=lambda t: not getattr(t[1], "clock_bound", False))
        alone = [t for t in tests if getattr(t[1], "alone", False)]
        if args.jobs > 1 and len(side) > 1:
            run_side_by_side(side, args.jobs, args, report)
        else:
            alone = side + alone
        for name, fn in alone:
            report(name, *timed_run(name, fn, args.timeout, PROG_GONE_S))
    if not tests:
        print(f"no test matches {args.pattern!r}")
        counts["FAIL"] += 1
    for d in h.cache_dirs:
        shutil.rmtree(d, ignore_errors=True)
    print(f"integration tests took {time.monotonic() - t0:.1f}s"
          f"{f' on {args.jobs} workers' if args.jobs > 1 else ''}")
    if left_out:
        print(f"{left_out} clock-bound tests left out of this pass (--no-clock-bound): "
              f"neither passed nor skipped")
    summary = f"{counts['PASS']} passed, {counts['FAIL']} failed"
    if counts["SKIP"]:
        summary += f", {counts['SKIP']} skipped"
    print(summary)
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
