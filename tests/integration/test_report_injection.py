# SPDX-License-Identifier: GPL-2.0
"""Report injection: names a traced process controls reach text output escaped.

crafted_names (tests/workloads) leaks through two functions whose symbol
names forge report lines ("\\n=== final report", "\\nPID 1 (sshd)") and carry
terminal escapes (ESC ] 0; retitles the terminal, ESC [ 31m, DEL, a C1 CSI,
invalid UTF-8); one of them is a mangled C++ name, so the demangler's output
is shown too. Its comm is "ev\\r ESC [2Kil", and it runs from an executable
whose file name holds ESC, BEL and \\r. memvigil's text output must show all of
these in the escaped form of user/lib/text_escape.h, and its JSON report must
still carry the names themselves, in JSON's own escaping.
"""

import os
import re
import shutil

import harness as h

# The executable's file name: /proc/PID/maps escapes only the newline.
EXE_NAME = "crafted\x1b]0;exe\x07\r"


def text_escape(raw):
    """The escaped form of the bytes raw, as user/lib/text_escape.h defines it."""
    out, i = [], 0
    while i < len(raw):
        c = raw[i]
        if c == 0x5c:
            out.append("\\\\")
            i += 1
            continue
        if 0x20 <= c < 0x7f:
            out.append(chr(c))
            i += 1
            continue
        n = 2 if 0xc2 <= c <= 0xdf else 3 if 0xe0 <= c <= 0xef else 4 if 0xf0 <= c <= 0xf4 else 0
        try:
            ch = raw[i:i + n].decode("utf-8") if n else ""
        except UnicodeDecodeError:
            ch = ""
        if len(ch) == 1 and ord(ch) >= 0xa0:
            out.append(ch)
            i += n
        else:
            out.append(f"\\x{c:02x}")
            i += 1
    return "".join(out)


def parse_crafted_truth(text):
    """(comm bytes, {symbol bytes: (bytes, allocs)}) from the workload's truth lines."""
    comm, truth, done = None, {}, False
    for line in text.splitlines():
        m = re.match(r"^TRUTH symbol=([0-9a-f]+) bytes=(\d+) allocs=(\d+)$", line)
        if m:
            truth[bytes.fromhex(m[1])] = (int(m[2]), int(m[3]))
        elif line.startswith("COMM "):
            comm = bytes.fromhex(line[5:])
        elif line == "TRUTH done":
            done = True
    h.check(done and comm and len(truth) == 2,
            f"crafted_names printed no complete ground truth: {text[-300:]!r}")
    return comm, truth


def traced_crafted_names(ctx):
    """crafted_names traced by PID with -v: (memvigil, workload, JSON report, exe path)."""
    exe = ctx.path(EXE_NAME)
    shutil.copy(h.workload("crafted_names"), exe)
    os.chmod(exe, 0o755)
    wl = ctx.spawn([exe, "--wait"])
    wl.wait_line(r"^READY \d+$", 10)
    json_path = ctx.path("report.json")
    mv, report = h.trace_signalled(ctx, wl, json_path, ["-v"])
    return mv, wl, report, exe


def bad_chars(text):
    """Characters of text that must not reach a terminal: controls but \\n and \\t,
    DEL, C1 controls, and U+FFFD (what an invalid UTF-8 byte was read as)."""
    return sorted({f"U+{ord(c):04X}" for c in text
                   if (ord(c) < 0x20 and c not in "\n\t") or 0x7f <= ord(c) <= 0x9f
                   or c == "\ufffd"})


def check_text(out, pid, comm, truth, exe):
    bad = bad_chars(out)
    h.check(not bad, f"the text report holds raw {bad}: {out[-1500:]!r}")
    headers = [l for l in out.splitlines() if l.startswith("=== final report")]
    h.check(len(headers) == 1, f"{len(headers)} lines start with '=== final report', "
            f"expected memvigil's own one: {headers}")
    h.check(not re.search(r"^PID 1 \(sshd\)", out, re.M), "a forged 'PID 1 (sshd)' line")
    h.check("\\x1b" in out, f"no escaped ESC (\\x1b) in the text report: {out[-1500:]!r}")
    want = [f"Tracing PID {pid} ({text_escape(comm)}) heap via ",
            f"\nPID {pid} ({text_escape(comm)}): "]
    module = text_escape(os.path.basename(exe).encode())
    for sym in truth:
        shown = sym if not sym.startswith(b"_Z") else sym[2:].lstrip(b"0123456789")[:-1] + b"()"
        h.check(re.search(re.escape(f"        {text_escape(shown)}+0x") + r"[0-9a-f]+ "
                          + re.escape(f"({module})") + "$", out, re.M),
                f"no escaped frame line for {shown!r} in ({module}): {out[-2000:]!r}")
    missing = [w for w in want if w not in out]
    h.check(not missing, f"the text report lacks {missing}: {out[-2000:]!r}")


def check_json(report, pid, comm, truth, exe):
    (proc,) = h.select_procs(report, pid=pid)
    h.check(proc.get("comm") == comm.decode(), f"JSON comm is {proc.get('comm')!r}, "
            f"expected {comm.decode()!r}")
    h.check(proc.get("exe") == exe, f"JSON exe is {proc.get('exe')!r}, expected {exe!r}")
    firsts = {}
    for s in proc.get("stacks", []):
        if s.get("frames"):
            f = s["frames"][0]
            got = firsts.setdefault(f.get("mangled") or f.get("symbol"), [f, 0, 0])
            got[1] += s["outstanding_bytes"]
            got[2] += s["outstanding_allocs"]
    for sym, (nbytes, allocs) in truth.items():
        # JSON strings are UTF-8: an invalid byte is U+FFFD, all else the name itself
        name = sym.decode("utf-8", errors="replace")
        h.check(name in firsts, f"no JSON stack starts at {name!r}; first frames "
                f"{sorted(firsts)!r}"[:1500])
        frame, got_bytes, got_allocs = firsts[name]
        h.check((got_bytes, got_allocs) == (nbytes, allocs),
                f"{name!r}: expected {nbytes} bytes in {allocs} allocs, got {got_bytes} "
                f"in {got_allocs}")
        if sym.startswith(b"_Z"):
            shown = name[2:].lstrip("0123456789")[:-1] + "()"
            h.check(frame.get("symbol") == shown, f"JSON symbol of {name!r} is "
                    f"{frame.get('symbol')!r}, expected the demangled {shown!r}")


def check_stderr(mv):
    err = "\n".join(mv.err_lines())
    bad = bad_chars(err)
    h.check(not bad, f"memvigil's stderr (-v) holds raw {bad}: {err[-1500:]!r}")
    h.check(not [l for l in mv.err_lines() if l and not l.startswith("memvigil: ")],
            f"a stderr line does not start with 'memvigil: ': {mv.err_lines()}")


def test_report_injection_names_are_escaped_in_text_and_kept_in_json(ctx):
    mv, wl, report, exe = traced_crafted_names(ctx)
    comm, truth = parse_crafted_truth(wl.out())
    check_text(mv.out(), wl.pid, comm, truth, exe)
    check_stderr(mv)
    check_json(report, wl.pid, comm, truth, exe)
