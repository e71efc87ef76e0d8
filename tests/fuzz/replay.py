#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Replay every seed and regression input of the fuzz targets: one test per target.

    replay.py BUILD_DIR NAME...

BUILD_DIR/tests/fuzz/fuzz_NAME-replay (the target built without libFuzzer,
under ASan and UBSan) runs on every file of tests/fuzz/corpus/NAME/ and
tests/fuzz/crashes/NAME/. A target passes when it ran them all; it fails on
a sanitizer report, a broken check, or an empty corpus; the failing input is
then named. The last line is "N passed, N failed"; exit status 1 on a failure.
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TIMEOUT_S = 300
# Sanitizer reports make the process fail, whichever sanitizer and however it was built.
ENV = dict(os.environ, ASAN_OPTIONS="abort_on_error=0:detect_leaks=1:exitcode=1",
           LSAN_OPTIONS=f"suppressions={os.path.join(HERE, 'lsan.supp')}:print_suppressions=0",
           UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=1")


def inputs_of(name):
    """The seed corpus and regression inputs of target name, sorted."""
    files = []
    for kind in ("corpus", "crashes"):
        d = os.path.join(HERE, kind, name)
        if os.path.isdir(d):
            files += sorted(os.path.join(d, f) for f in os.listdir(d)
                            if os.path.isfile(os.path.join(d, f)))
    return files


def run(binary, files):
    """(exit status or None on a time-out, output) of binary on files."""
    try:
        r = subprocess.run([binary] + files, cwd=ROOT, env=ENV, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {TIMEOUT_S}s"
    return r.returncode, r.stdout.decode(errors="replace")


def culprit(binary, files):
    """The first input that fails alone, with its output; (None, "") if none does."""
    for f in files:
        rc, out = run(binary, [f])
        if rc != 0:
            return f, out
    return None, ""


def replay(build, name):
    """True if target name ran every one of its inputs cleanly."""
    binary = os.path.join(build, "tests", "fuzz", f"fuzz_{name}-replay")
    files = inputs_of(name)
    if not files:
        print(f"FAIL fuzz_{name}: no input in tests/fuzz/corpus/{name}/")
        return False
    rc, out = run(binary, files)
    if rc == 0 and f"replayed {len(files)} inputs" in out:
        print(f"ok   fuzz_{name}: {len(files)} inputs")
        return True
    bad, bad_out = culprit(binary, files)
    print(f"FAIL fuzz_{name}: " +
          (f"{os.path.relpath(bad, ROOT)} fails" if bad else f"exit status {rc} on all inputs"))
    sys.stdout.write(bad_out or out)
    return False


def main():
    if len(sys.argv) < 3:
        print("usage: replay.py BUILD_DIR NAME...", file=sys.stderr)
        return 64
    build = sys.argv[1]
    results = [replay(build, name) for name in sys.argv[2:]]
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
