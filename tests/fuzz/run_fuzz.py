#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Run the libFuzzer targets one after the other (`make fuzz`).

    run_fuzz.py FUZZ_DIR SECONDS NAME...

Each FUZZ_DIR/fuzz_NAME runs for SECONDS at the lowest priority (nice 19),
from the seed corpus tests/fuzz/corpus/NAME/ (read only) and the inputs it
found before (FUZZ_DIR/corpus/NAME/, where new ones go). A crash, leak,
time-out or out-of-memory input is written to tests/fuzz/crashes/NAME/, to be
fixed and kept as a regression input that `make test` replays. Prints
libFuzzer's final statistics (executions, coverage) per target, its whole log
on a failure (the rest is in FUZZ_DIR/NAME.log). Exit status 1 if a target
found something.
"""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# "#1234567  DONE   cov: 311 ft: 1203 corp: 201/9130b lim: 4096 exec/s: 20576 rss: 61Mb"
DONE = re.compile(r"^#(\d+)\s+DONE\s+cov: (\d+) ft: (\d+) corp: (\d+)/")
STAT = re.compile(r"^stat::(\S+):\s+(\d+)")
# Leaks of the libraries the parsers call (libdw), not of memvigil.
ENV = dict(os.environ, LSAN_OPTIONS=f"suppressions={os.path.join(HERE, 'lsan.supp')}:"
           "print_suppressions=0")


def fuzz(fuzz_dir, seconds, name):
    """Run target name; a one-line summary, and whether it stayed clean."""
    work = os.path.join(fuzz_dir, "corpus", name)
    crashes = os.path.join(HERE, "crashes", name)
    os.makedirs(work, exist_ok=True)
    os.makedirs(crashes, exist_ok=True)
    log_path = os.path.join(fuzz_dir, f"{name}.log")
    argv = ["nice", "-n", "19", os.path.join(fuzz_dir, f"fuzz_{name}"),
            f"-max_total_time={seconds}", "-print_final_stats=1", "-timeout=10",
            "-rss_limit_mb=2048", f"-artifact_prefix={crashes}/", work,
            os.path.join(HERE, "corpus", name)]
    with open(log_path, "w") as log:
        rc = subprocess.run(argv, env=ENV, stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT).returncode
    with open(log_path, errors="replace") as log:
        lines = log.read().splitlines()
    stats = dict(m.groups() for m in map(STAT.match, lines) if m)
    done = [m for m in map(DONE.match, lines) if m]
    summary = f"fuzz_{name}: {stats.get('number_of_executed_units', '?')} executions"
    if done:
        summary += f", cov {done[-1][2]}, ft {done[-1][3]}, corpus {done[-1][4]}"
    summary += f", {stats.get('average_exec_per_sec', '?')} exec/s, " \
               f"peak RSS {stats.get('peak_rss_mb', '?')} MB"
    if rc:
        print("\n".join(lines))
        summary += f": FOUND A BUG (exit status {rc}), input in tests/fuzz/crashes/{name}/"
    return summary, rc == 0


def main():
    if len(sys.argv) < 4:
        print("usage: run_fuzz.py FUZZ_DIR SECONDS NAME...", file=sys.stderr)
        return 64
    fuzz_dir, seconds, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    clean = True
    for name in names:
        print(f"fuzzing {name} for {seconds} s", flush=True)
        summary, ok = fuzz(fuzz_dir, seconds, name)
        print(summary, flush=True)
        clean &= ok
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
