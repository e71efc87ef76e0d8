#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Run Criterion unit test binaries and sum their results.

    run_unit.py BUILD_DIR BIN...

Each binary runs from the repository root with MV_BUILD_DIR=BUILD_DIR in its
environment. Its "Synthesis: Tested: N | Passing: N | Failing: N | Crashing:
N" line gives its counts (Failing includes Crashing); a binary that prints no
synthesis line, exits non-zero or times out counts as one more failure. The
last line is "N passed, N failed"; exit status 1 on any failure.
"""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT_S = 300
SYNTHESIS = re.compile(r"Synthesis: Tested: (\d+) \| Passing: (\d+) \| Failing: (\d+) "
                       r"\| Crashing: (\d+)")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run_one(path, env):
    """(passed, failed, problem or None, output) of one binary."""
    try:
        r = subprocess.run([path], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        return 0, 1, f"timed out after {TIMEOUT_S}s", out
    except OSError as e:
        return 0, 1, f"cannot run: {e.strerror}", ""
    out = ANSI.sub("", r.stdout.decode(errors="replace"))
    m = None
    for m in SYNTHESIS.finditer(out):
        pass
    if not m:
        why = (f"killed by signal {-r.returncode}" if r.returncode < 0
               else f"exit status {r.returncode}")
        return 0, 1, f"printed no Criterion synthesis ({why})", out
    tested, passing, failing, crashing = (int(g) for g in m.groups())
    failed = max(failing, crashing, tested - passing)
    problem = None
    if r.returncode and not failed:
        problem = f"exit status {r.returncode} although every test passed"
        failed = 1
    return passing, failed, problem, out


def main():
    if len(sys.argv) < 2:
        print("usage: run_unit.py BUILD_DIR BIN...", file=sys.stderr)
        return 64
    build, bins = sys.argv[1], sys.argv[2:]
    env = dict(os.environ, MV_BUILD_DIR=build)
    total_passed = total_failed = 0
    for path in bins:
        name = os.path.basename(path)
        passed, failed, problem, out = run_one(os.path.abspath(path), env)
        total_passed += passed
        total_failed += failed
        if failed:
            # Show what the binary said, so the failure can be read in the log.
            sys.stdout.write(out if out.endswith("\n") or not out else out + "\n")
        status = "FAIL" if failed else "PASS"
        detail = f": {problem}" if problem else ""
        print(f"{status} {name}: {passed} of {passed + failed} tests passed{detail}",
              flush=True)
    if not bins:
        print("no unit test binaries given")
    print(f"{total_passed} passed, {total_failed} failed", flush=True)
    return 1 if total_failed or not bins else 0


if __name__ == "__main__":
    sys.exit(main())
