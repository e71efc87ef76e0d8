#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Run the kernel smoke test on Debian's 6.1 and 6.12 kernels (QEMU) and on this host.

    run.py MATRIX_SCRIPT SMOKE_BINARY MEMVIGIL_BINARY

MATRIX_SCRIPT is the shared tools/run-kernel-matrix.sh. memvigil and the
nofp_chain workload (BUILD/tests/workloads/) go into the guests next to the
smoke binary, and the guests' kernel command line
carries MEMVIGIL_KMATRIX_GUEST=1 (init's environment): only there does the
smoke test push memory into global direct reclaim, never on the shared host.

Prints the matrix's output (every console), its "KMATRIX PASS|FAIL kernel"
lines, and per kernel what the direct-reclaim checks measured. Counts one
test per kernel, plus per kernel the two direct-reclaim checks (BPF
counters; memvigil's report): a guest must pass them, the host reports
them skipped (not counted as passed). Ends "N passed, N failed[, N skipped]";
exit status 1 if anything failed or the matrix could not run.
"""

import os
import re
import subprocess
import sys
import tempfile

TIMEOUT_S = 900
GUEST_FLAG = "MEMVIGIL_KMATRIX_GUEST=1"
# The smoke test's direct-reclaim checks: (short name, what its PASS/FAIL/SKIP line says).
RECLAIM_CHECKS = [
    ("BPF", "direct reclaim stalls of a traced child"),
    ("memvigil", "memvigil reports the direct reclaim stall"),
]


def nofp_chain(smoke):
    """The no-frame-pointer workload the smoke test's unwinding check traces."""
    return os.path.join(os.path.dirname(os.path.abspath(smoke)), "..", "workloads", "nofp_chain")


def run_matrix(script, smoke, memvigil, logdir):
    """The matrix script's output (stdout and stderr), with its exit status.

    Each guest's whole console goes to LOGDIR/PACKAGE.log (the output shows
    only its last lines)."""
    env = dict(os.environ)
    env["KMATRIX_APPEND"] = (env.get("KMATRIX_APPEND", "") + " " + GUEST_FLAG).strip()
    try:
        r = subprocess.run([script, "-H", "-v", "-t", "300", "-l", logdir, "-f", memvigil,
                            "-f", nofp_chain(smoke),
                            "--", smoke],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT_S, env=env)
        return r.stdout + f"(run-kernel-matrix.sh exit status {r.returncode})\n"
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) \
            else (e.stdout or "")
        return out + f"\nKMATRIX FAIL matrix timed out after {TIMEOUT_S}s\n"


def sections(out, logdir):
    """{kernel name: (release, its console or host output)}: a guest's whole console
    from its log in logdir, the host's output from the verbose output."""
    found, lines = {}, []
    for line in out.splitlines():
        if line.startswith("----- console: ") or line == "----- host":
            lines = []
            continue
        m = re.match(r"^KMATRIX (?:PASS|FAIL) +(\S+) +(\S+)", line)
        if m:
            text = "\n".join(lines)
            try:
                with open(os.path.join(logdir, m[1] + ".log"), errors="replace") as f:
                    text = f.read().replace("\r", "")
            except OSError:
                pass
            found[m[1]] = (m[2], text)
            lines = []
        else:
            lines.append(line)
    return found


def reclaim_results(out, logdir):
    """Per kernel and direct-reclaim check: 'PASS', 'FAIL' or 'SKIP', with what it printed."""
    results = []
    for name, (release, text) in sections(out, logdir).items():
        host = name == "host"
        measured = re.findall(r"((?:direct reclaim|memvigil): \d.*)", text)
        for short, what in RECLAIM_CHECKS:
            m = re.search(r"(PASS|FAIL|SKIP) " + re.escape(what) + r"[^\n]*", text)
            status = m[1] if m else "FAIL"
            why = m[0] if m else "no result line (the smoke test did not get that far)"
            if status == "SKIP" and not host:
                status, why = "FAIL", "skipped inside a guest: " + why
            results.append((name, release, short, status, why, measured))
    return results


def report_reclaim(out, logdir):
    """Print the direct-reclaim outcome per kernel; (passed, failed, skipped)."""
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    for name, release, short, status, why, measured in reclaim_results(out, logdir):
        counts[status] += 1
        where = f"{name} ({release})"
        if status == "PASS":
            got = [x for x in measured if x.startswith("direct reclaim" if short == "BPF"
                                                       else "memvigil")]
            print(f"RECLAIM PASS {short:8} {where}: {got[0] if got else why}")
        elif status == "SKIP":
            print(f"RECLAIM SKIP {short:8} {where}: not counted as a pass; global direct "
                  "reclaim is provoked only inside the QEMU guests, never on the shared host")
        else:
            print(f"RECLAIM FAIL {short:8} {where}: {why}")
    return counts["PASS"], counts["FAIL"], counts["SKIP"]


def main():
    if len(sys.argv) != 4:
        print("usage: run.py MATRIX_SCRIPT SMOKE_BINARY MEMVIGIL_BINARY", file=sys.stderr)
        return 64
    script, smoke, memvigil = sys.argv[1], sys.argv[2], sys.argv[3]
    if not script or not os.access(script, os.X_OK):
        print(f"FAIL kernel matrix: run-kernel-matrix.sh not found ({script!r}); "
              "set KMATRIX=/path/to/shared/tools/run-kernel-matrix.sh")
        print("0 passed, 1 failed")
        return 1
    if os.geteuid() != 0:
        print("FAIL kernel matrix: needs root (QEMU boots, BPF on the host); run as root")
        print("0 passed, 1 failed")
        return 1
    logs = tempfile.TemporaryDirectory(prefix="memvigil-kmatrix.")
    out = run_matrix(script, smoke, memvigil, logs.name)
    if not re.search(r"^KMATRIX (PASS|FAIL) ", out, re.M):
        # The script itself gave no verdict for any kernel (nothing booted):
        # a harness hiccup, not a kernel's result. Say so and run it once more.
        sys.stdout.write(out)
        print("kernel matrix: the script reported no kernel at all; running it again")
        out = run_matrix(script, smoke, memvigil, logs.name)
    elif re.search(r"^KMATRIX FAIL +\S+ +\? .*rc=none", out, re.M):
        # A guest kernel died before it ran the smoke binary (no release, no exit
        # status: e.g. an early-boot panic under software emulation). That says
        # nothing of memvigil; one more run decides, and its result is the one counted.
        sys.stdout.write(out)
        print("kernel matrix: a guest never reached the smoke test; running the matrix again")
        out = run_matrix(script, smoke, memvigil, logs.name)
    sys.stdout.write(out)
    results = re.findall(r"^KMATRIX (PASS|FAIL) ", out, re.M)
    passed = results.count("PASS")
    failed = results.count("FAIL")
    if not results or (failed == 0 and "KMATRIX total" not in out):
        failed += 1
        print("FAIL kernel matrix: no per-kernel result line")
    r_passed, r_failed, skipped = report_reclaim(out, logs.name)
    logs.cleanup()
    passed, failed = passed + r_passed, failed + r_failed
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
