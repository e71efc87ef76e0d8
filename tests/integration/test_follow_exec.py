# SPDX-License-Identifier: GPL-2.0
"""Integration tests: -f across fork and exec.

A traced process that execs is held (stopped) from its exec to the entry
point of its new image, where its allocator is attached before any of the
program's own code runs. So a short-lived program that a traced process
forks and execs (a compiler under make, a command under sh -c) is traced
from its first allocation, under its own executable, with every frame in
its own module and every stack whole to _start (the stack walker gets the
libraries' tables at the entry point, not a second later); none fails to
attach, and none is left stopped.
"""

import os
import re
import subprocess

import harness as h

# A small C project: one compiler (cc1) and assembler (as) per source file,
# one linker (collect2, ld) for the program.
SOURCES = {
    "main.c": '#include <stdio.h>\nint f1(int), f2(int), f3(int);\n'
              'int main(void) { printf("%d\\n", f1(1) + f2(2) + f3(3)); return 0; }\n',
    "f1.c": "#include <string.h>\nint f1(int x) { return (int)strlen(\"one\") + x; }\n",
    "f2.c": "#include <stdlib.h>\nint f2(int x) { return abs(-x) * 2; }\n",
    "f3.c": "#include <ctype.h>\nint f3(int x) { return toupper('a') + x * 3; }\n",
}
MAKEFILE = ("prog: main.o f1.o f2.o f3.o\n\t$(CC) -o $@ $^\n"
            "%.o: %.c\n\t$(CC) -O1 -c -o $@ $<\n")
# Basenames of the executables make -j2 runs for that project, and how many of each.
BUILD_TOOLS = {
    "cc1": (re.compile(r"^cc1$"), len(SOURCES)),
    "as": (re.compile(r"^(.*-)?as$"), len(SOURCES)),
    "collect2": (re.compile(r"^collect2$"), 1),
    "ld": (re.compile(r"^(.*-)?ld(\.bfd|\.gold)?$"), 1),
}
SH_RUNS = 10
CXX_WORKLOAD = "cxx_leak_glibc"
RUN_TIMEOUT_S = 40


def project(ctx):
    d = ctx.path("project")
    os.mkdir(d)
    for name, text in list(SOURCES.items()) + [("Makefile", MAKEFILE)]:
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    return d


def traced(ctx, name, argv):
    """memvigil -f -j REPORT -- argv to its end: (memvigil proc, report)."""
    json_path = ctx.path(name + ".json")
    p, rc = h.run_to_end(ctx, ["-f", "-i", "0", "-j", json_path, "--"] + argv,
                         timeout=RUN_TIMEOUT_S)
    h.check(rc == 0, f"memvigil -f -- {' '.join(argv)} exited {rc}; {p.describe()}")
    return p, h.load_report(json_path)


def exe_name(proc):
    return os.path.basename(proc.get("exe") or "")


def procs_summary(report):
    return [(p["pid"], p["comm"], exe_name(p) or None, p["heap"]["total_allocs"])
            for p in report["processes"]]


def check_traced_fully(report, err_lines):
    """No failed attach, no warning, every process under its own exe with its allocator."""
    attach = report["health"]["attach"]
    h.check(attach["failed"] == 0, f"health.attach {attach}; processes "
            f"{procs_summary(report)}; warnings {[l for l in err_lines if 'warning' in l]}")
    warnings = [l for l in err_lines if "warning" in l]
    h.check(not warnings, f"memvigil warned: {warnings[:5]}")
    for p in report["processes"]:
        h.check(p.get("exe") and p["allocator"]["library"],
                f"PID {p['pid']} ({p['comm']}) reported without its exe or allocator: "
                f"exe {p.get('exe')!r}, allocator {p['allocator']}")
        h.check(p["kernel"]["mappings"]["followed"] is True,
                f"PID {p['pid']} ({p['comm']}): mappings.followed is "
                f"{p['kernel']['mappings']['followed']!r} though nothing warned")


def test_follow_exec_make_j2_traces_every_compiler_assembler_and_linker(ctx):
    d = project(ctx)
    p, report = traced(ctx, "make", ["make", "-s", "-j2", "-C", d])
    h.check(os.path.exists(os.path.join(d, "prog")), f"make built no program; {p.describe()}")
    check_traced_fully(report, p.err_lines())
    found = {tool: [] for tool in BUILD_TOOLS}
    for proc in report["processes"]:
        for tool, (rx, _) in BUILD_TOOLS.items():
            if rx.search(exe_name(proc)):
                found[tool].append(proc)
    for tool, (rx, want) in BUILD_TOOLS.items():
        got = found[tool]
        h.check(len(got) == want, f"{len(got)} {tool} processes traced, expected {want}; "
                f"processes {procs_summary(report)}")
        for proc in got:
            h.check(rx.search(proc["comm"]), f"{tool} PID {proc['pid']} ({proc['exe']}) is "
                    f"named {proc['comm']!r}")
            h.check(proc["heap"]["total_allocs"] > 0,
                    f"{tool} PID {proc['pid']} ({proc['exe']}) has no allocation traced: "
                    f"{proc['heap']}")


def check_cxx_workload(report, out_path, wl):
    """The workload's leaks exact, under its own exe, through operator new, frames in modules."""
    with open(out_path) as f:
        truth, clean, _ = h.parse_truth(f.read())
    (proc,) = h.select_procs(report, exe_name=CXX_WORKLOAD)
    h.check(proc["exe"] == wl, f"the workload is reported with exe {proc['exe']!r}")
    got = h.by_first_frame([proc])
    bad = [f"{f}(): expected {b} bytes in {n} allocs, got {got.get(f + '()', [0, 0])}"
           for f, (b, n) in sorted(truth.items()) if got.get(f + "()", [0, 0]) != [b, n]]
    h.check(not bad, "; ".join(bad) + f"; {h.health(report)}; first frames "
            f"{sorted(got.items(), key=str)}"[:900])
    h.check_holds_nothing([proc], {f + "()" for f in clean})
    kinds = {s["frames"][0]["symbol"]: s["allocator"] for s in proc["stacks"] if s["frames"]}
    h.check(kinds.get("leak_sessions()") == "operator new"
            and kinds.get("leak_buffers()") == "operator new[]",
            f"leaks not attributed to operator new / new[]: {kinds}")
    for s in proc["stacks"]:
        if not s["frames"] or s["frames"][0]["symbol"] not in ("leak_sessions()",
                                                                "leak_buffers()"):
            continue
        names = [(f["symbol"], f["module"]) for f in s["frames"]]
        h.check(all(m for _, m in names), f"a leak's frame has no module: {names}")
        h.check(not s["truncated"] and names[-1][0] == "_start",
                f"a leak's stack is cut short (the walker lacked the libraries the loader "
                f"mapped after the exec): {names}; {report['health']['unwind']['walks']}")
        h.check(any(sym == "__libc_start_call_main" and os.path.basename(m).startswith("libc")
                    for sym, m in names), f"the leak's stack has no C library frame: {names}")


@h.timeout_s(180)
def test_follow_exec_sh_c_workload_leak_is_exact_every_time(ctx):
    wl = h.workload(CXX_WORKLOAD)
    # a child sh forks and execs, one it execs in its own place, one after a command
    shapes = ["{wl} > {out}", "exec {wl} > {out}", "true; {wl} > {out}; true"]
    for i in range(SH_RUNS):
        out = ctx.path(f"sh{i}.out")
        script = shapes[i % len(shapes)].format(wl=wl, out=out)
        p, report = traced(ctx, f"sh{i}", ["sh", "-c", script])
        try:
            check_traced_fully(report, p.err_lines())
            check_cxx_workload(report, out, wl)
        except h.Failure as e:
            raise h.Failure(f"run {i + 1} of {SH_RUNS} (sh -c {script!r}): {e}")


def library_that_goes_missing(ctx):
    """A program linked to a library that is removed after the link: its loader fails."""
    d = ctx.path("missing")
    os.mkdir(d)
    with open(os.path.join(d, "lib.c"), "w") as f:
        f.write("int gone(void) { return 1; }\n")
    with open(os.path.join(d, "main.c"), "w") as f:
        f.write("int gone(void);\nint main(void) { return gone(); }\n")
    for argv in (["gcc", "-shared", "-fPIC", "-o", "libgone.so", "lib.c"],
                 ["gcc", "-o", "needs_gone", "main.c", "-L.", "-lgone"]):
        r = subprocess.run(argv, cwd=d, capture_output=True, text=True, timeout=60)
        h.check(r.returncode == 0, f"{' '.join(argv)}: {r.stderr.strip()}")
    os.unlink(os.path.join(d, "libgone.so"))
    return os.path.join(d, "needs_gone")


def test_follow_exec_of_static_script_failing_and_loader_failing_programs(ctx):
    static, wl = h.workload("alloc_leak_static"), h.workload(CXX_WORKLOAD)
    script = ctx.path("script.sh")
    with open(script, "w") as f:
        f.write(f"#!/bin/sh\n{wl} > {ctx.path('script.out')}\n")
    os.chmod(script, 0o755)
    needs_gone = library_that_goes_missing(ctx)
    cmd = (f"{ctx.path('no-such-program')} 2>/dev/null; {needs_gone} 2>/dev/null; "
           f"{static} > {ctx.path('static.out')}; {script}; echo ok > {ctx.path('done')}")
    p, report = traced(ctx, "kinds", ["sh", "-c", cmd])
    h.check(os.path.exists(ctx.path("done")), f"the shell did not get to its end; "
            f"{p.describe()}")
    with open(ctx.path("static.out")) as f:
        truth, _, _ = h.parse_truth(f.read())
    (proc,) = h.select_procs(report, exe_name="alloc_leak_static")
    h.check(proc["exe"] == static, f"the static program is reported as {proc['exe']!r}")
    h.check_truth(report, [proc], truth)
    check_cxx_workload(report, ctx.path("script.out"), wl)
    (gone,) = h.select_procs(report, exe_name="needs_gone")
    h.check(gone["exited"] and gone["exit_code"] == 127,
            f"the program whose library is missing: exited {gone['exited']!r}, "
            f"code {gone['exit_code']!r}")
    shells = [x for x in report["processes"] if exe_name(x) == "dash" or x["comm"] == "sh"]
    h.check(shells, f"the script's shell is not reported: {procs_summary(report)}")
    # The child whose exec fails exits at once, in the shell's image: it may be gone
    # before it is attached, and then a warning says so. Nothing else fails.
    attach = report["health"]["attach"]
    warned = [l for l in p.err_lines() if "exited before its probes were attached" in l]
    h.check(attach["failed"] <= 1 and attach["failed"] == len(warned),
            f"health.attach {attach}; warnings {warned}; {procs_summary(report)}")
