#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The whole test suite, in order, with one total at the end.

    run_all.py MAKE BUILD_DIR

Runs `MAKE all`, `MAKE bench-build` (the benchmarks must keep building),
`MAKE test-layers` (user/'s include rule), `MAKE test-unit`, `MAKE test-fuzz`
(the fuzz corpora replayed), `MAKE test-sampler`,
`MAKE test-unwind`, `MAKE test-integration`, `MAKE
test-kmatrix`, `MAKE test-asan`, `MAKE test-tsan` and `MAKE test-soak` (20 s of
the soak) (each with BUILD=BUILD_DIR), streaming
their output as it comes (builds run as many jobs as there are CPUs; the
integration tests run side by side by themselves), and adds up the "N passed, N failed[, N skipped]" lines they print. Ends with
one line "N passed, N failed" (", N skipped" only if something was skipped).
Exit status 1 if a step failed or any test failed. When `all` fails
nothing else can run, so the remaining steps are not started.
"""

import os
import re
import shlex
import subprocess
import sys
import time

STEPS = ["all", "bench-build", "test-layers", "test-unit", "test-fuzz", "test-sampler",
         "test-unwind", "test-integration", "test-kmatrix", "test-asan", "test-tsan",
         "test-soak"]
BUILD_ONLY = {"all", "bench-build"}  # steps that print no test summary
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$")


def run_step(make, build, target, totals):
    """Run one make target, echoing its output; its exit status and summaries seen."""
    argv = make + ["--no-print-directory", f"-j{os.cpu_count() or 1}", f"BUILD={build}", target]
    print(f"==> {' '.join(argv)}", flush=True)
    t0 = time.monotonic()
    summaries = 0
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    for raw in iter(proc.stdout.readline, b""):
        line = raw.decode(errors="replace")
        sys.stdout.write(line)
        sys.stdout.flush()
        m = SUMMARY.match(line)
        if m:
            summaries += 1
            totals[0] += int(m[1])
            totals[1] += int(m[2])
            totals[2] += int(m[3] or 0)
    rc = proc.wait()
    print(f"==> {target}: exit status {rc} ({time.monotonic() - t0:.0f}s)", flush=True)
    return rc, summaries


def main():
    if len(sys.argv) != 3:
        print("usage: run_all.py MAKE BUILD_DIR", file=sys.stderr)
        return 64
    make, build = shlex.split(sys.argv[1]), sys.argv[2]
    totals = [0, 0, 0]
    failed_steps = []
    for target in STEPS:
        rc, summaries = run_step(make, build, target, totals)
        if rc:
            failed_steps.append(f"{target} (exit status {rc})")
        elif target not in BUILD_ONLY and not summaries:
            failed_steps.append(f"{target} (printed no 'N passed, N failed' line)")
        if rc and target == "all":
            break
    if failed_steps:
        print("failed steps: " + ", ".join(failed_steps), flush=True)
    summary = f"{totals[0]} passed, {totals[1]} failed"
    if totals[2]:
        summary += f", {totals[2]} skipped"
    print(summary, flush=True)
    return 1 if failed_steps or totals[1] else 0


if __name__ == "__main__":
    sys.exit(main())
