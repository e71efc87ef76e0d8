#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""memvigil integration tests: the real binary, real BPF, real processes.

    run.py --build BUILD [-k SUBSTRING] [--list] [--timeout SECONDS]

Runs every test_* function of the area files test_*.py beside it (those
whose name contains SUBSTRING with -k), one at a time, each under a timeout.
Prints "PASS name", "FAIL name: reason" or "SKIP name: why" per test and
ends with exactly one line "N passed, N failed" (", N skipped" is added only
when a test could not run). Exit status 1 if anything failed. Needs root:
without it every test fails. --list prints the names of those tests, one a
line, and runs none.

Every test kills what it started on every path, and afterwards no BPF
program memvigil loaded may remain: any new kprobe/tracing/raw_tracepoint
program that no live process holds 3 s after the test is a failure.

The tests reach the harness (harness.py: processes, memvigil, its reports,
the workloads' ground truth) through `import harness as h`; main() sets
h.BUILD, h.BIN and h.WORKLOADS before the first test runs.
"""

import argparse
import importlib
import os
import shutil
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


class TestTimeout(Exception):
    pass


_in_test = False


def on_alarm(signum, frame):
    if _in_test:                # never interrupt the cleanup
        raise TestTimeout()


def run_test(name, fn, timeout):
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
                left = h.wait_progs_gone(before, PROG_GONE_S)
                if left and status != "FAIL":
                    status, reason = "FAIL", (f"BPF programs still loaded {PROG_GONE_S:.0f} s "
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


def main():
    ap = argparse.ArgumentParser(description="memvigil integration tests (root)")
    ap.add_argument("--build", default="build", help="build directory (default build)")
    ap.add_argument("-k", dest="pattern", default="", help="run tests whose name contains this")
    ap.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT_S, help="seconds per test")
    ap.add_argument("--list", action="store_true",
                    help="print the names of the tests (those -k selects) and run none")
    args = ap.parse_args()
    h.BUILD = os.path.abspath(args.build)
    h.BIN = os.path.join(h.BUILD, "memvigil")
    h.WORKLOADS = os.path.join(h.BUILD, "tests", "workloads")
    sys.stdout.reconfigure(line_buffering=True)

    tests = [(n, f) for n, f in discover() if args.pattern in n]
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
    for d in h.cache_dirs:
        shutil.rmtree(d, ignore_errors=True)
    print(f"integration tests took {time.monotonic() - t0:.1f}s")
    summary = f"{counts['PASS']} passed, {counts['FAIL']} failed"
    if counts["SKIP"]:
        summary += f", {counts['SKIP']} skipped"
    print(summary)
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
