#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Run the kernel smoke test on Debian's 6.1 and 6.12 kernels (QEMU) and on this host.

    run.py MATRIX_SCRIPT SMOKE_BINARY

MATRIX_SCRIPT is the shared tools/run-kernel-matrix.sh. Prints its
"KMATRIX PASS|FAIL kernel ..." lines (and the console of a kernel that
failed), then "N passed, N failed" counting one test per kernel. Exit
status 1 if any kernel failed or the matrix could not run.
"""

import os
import re
import subprocess
import sys

TIMEOUT_S = 900


def run_matrix(script, smoke):
    """The matrix script's output (stdout and stderr), with its exit status."""
    try:
        r = subprocess.run([script, "-H", "-t", "300", "--", smoke], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=TIMEOUT_S)
        return r.stdout + f"(run-kernel-matrix.sh exit status {r.returncode})\n"
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) \
            else (e.stdout or "")
        return out + f"\nKMATRIX FAIL matrix timed out after {TIMEOUT_S}s\n"


def main():
    if len(sys.argv) != 3:
        print("usage: run.py MATRIX_SCRIPT SMOKE_BINARY", file=sys.stderr)
        return 64
    script, smoke = sys.argv[1], sys.argv[2]
    if not script or not os.access(script, os.X_OK):
        print(f"FAIL kernel matrix: run-kernel-matrix.sh not found ({script!r}); "
              "set KMATRIX=/path/to/shared/tools/run-kernel-matrix.sh")
        print("0 passed, 1 failed")
        return 1
    if os.geteuid() != 0:
        print("FAIL kernel matrix: needs root (QEMU boots, BPF on the host); run as root")
        print("0 passed, 1 failed")
        return 1
    out = run_matrix(script, smoke)
    if not re.search(r"^KMATRIX (PASS|FAIL) ", out, re.M):
        # The script itself gave no verdict for any kernel (nothing booted):
        # a harness hiccup, not a kernel's result. Say so and run it once more.
        sys.stdout.write(out)
        print("kernel matrix: the script reported no kernel at all; running it again")
        out = run_matrix(script, smoke)
    sys.stdout.write(out)
    results = re.findall(r"^KMATRIX (PASS|FAIL) ", out, re.M)
    passed = results.count("PASS")
    failed = results.count("FAIL")
    if not results or (failed == 0 and "KMATRIX total" not in out):
        failed += 1
        print("FAIL kernel matrix: no per-kernel result line")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
