# SPDX-License-Identifier: GPL-2.0
"""Integration tests: allocators other than glibc's malloc.

alloc_leak linked with jemalloc, tcmalloc, mimalloc and statically with glibc,
and cxx_leak's operator new with libstdc++ and each allocator: exact leaks per
function, and the allocator's own entry points probed; a static program and an
LD_PRELOADed allocator attached by PID; --allocator overrides the detection.
"""

import os
import re

import harness as h


# Variant of alloc_leak / cxx_leak -> what the report's allocator library must contain.
ALLOCATOR_LIBS = {"jemalloc": "libjemalloc.so", "tcmalloc": "libtcmalloc.so",
                  "mimalloc": "libmimalloc.so", "glibc": "libc.so", "static": None}


# Functions each allocator's own entry points add to the probed list.
ALLOCATOR_OWN = {"jemalloc": {"mallocx", "rallocx", "sdallocx", "dallocx", "operator new",
                              "operator delete"},
                 "tcmalloc": {"operator new", "operator delete", "free_sized"},
                 "mimalloc": {"zalloc", "malloc_aligned", "free_sized", "reallocf",
                              "operator new"},
                 "glibc": {"operator new", "operator new[]"},
                 "static": set()}


def traced_run(ctx, name, extra=()):
    """Launch workload name under memvigil -v; (memvigil proc, report, its process)."""
    path = h.workload(name)
    json_path = ctx.path(name + ".json")
    p, rc = h.run_to_end(ctx, ["-v", "-i", "0", "--json", json_path] + list(extra)
                         + ["--", path])
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = h.load_report(json_path)
    (proc,) = h.select_procs(report, exe_name=name)
    return p, report, proc


def check_allocator(proc, variant, exe):
    lib = (proc.get("allocator") or {}).get("library") or ""
    want = ALLOCATOR_LIBS[variant] or exe
    h.check(want in lib, f"allocator library is {lib!r}, expected one containing {want!r}")
    funcs = set(proc["allocator"]["functions"])
    missing = ALLOCATOR_OWN[variant] - funcs
    h.check(not missing, f"{variant}: functions {sorted(missing)} not probed; probed "
            f"{sorted(funcs)}")


def check_alloc_leak(ctx, variant, extra=()):
    name = f"alloc_leak_{variant}"
    p, report, proc = traced_run(ctx, name, extra)
    truth, clean, _ = h.parse_truth(p.out())
    check_allocator(proc, variant, name)
    h.check_truth(report, [proc], truth)
    h.check_holds_nothing([proc], clean)
    unmatched = proc["heap"]["unmatched_frees"]
    h.check(unmatched == 0, f"{unmatched} frees of unknown blocks (a free seen twice?); "
            f"{h.health(report)}")
    return p


def test_jemalloc_known_leaks_exact_bytes_and_counts(ctx):
    p = check_alloc_leak(ctx, "jemalloc")
    h.check(any("libjemalloc.so.2:mallocx" in l for l in p.err_lines()),
            "-v does not list the probed jemalloc functions")


def test_tcmalloc_known_leaks_exact_bytes_and_counts(ctx):
    check_alloc_leak(ctx, "tcmalloc")


def test_mimalloc_known_leaks_exact_bytes_and_counts(ctx):
    p = check_alloc_leak(ctx, "mimalloc", ["-n", "100"])
    # The text names the function called as mimalloc spells it: no allocator has a "zalloc".
    for func, via in (("leak_mi_zalloc", "mi_zalloc"),
                      ("leak_mi_malloc_aligned", "mi_malloc_aligned")):
        m = re.search(r"^  .*, via (\S+)\n +" + func + r"\+0x", p.out(), re.M)
        h.check(m and m[1] == via, f"the stack of {func} is said to be via "
                f"{m and m[1]!r}, not {via!r}: {p.out()[-2000:]}")


def test_static_glibc_known_leaks_exact_bytes_and_counts(ctx):
    p = check_alloc_leak(ctx, "static")
    h.check(any("the executable defines malloc itself" in l for l in p.err_lines()),
            f"-v does not say why the executable was chosen: {p.err_lines()[:3]}")


def test_attach_pid_of_a_static_program_leaks_exact_bytes(ctx):
    wl = h.spawn_workload(ctx, "alloc_leak_static", "--wait")
    json_path = ctx.path("static.json")
    _, report = h.trace_signalled(ctx, wl, json_path)
    (proc,) = h.select_procs(report, pid=wl.pid)
    truth, clean, _ = h.parse_truth(wl.out())
    check_allocator(proc, "static", "alloc_leak_static")
    h.check_truth(report, [proc], truth)
    h.check_holds_nothing([proc], clean)


def test_attach_pid_with_ld_preloaded_allocator_leaks_exact_bytes(ctx):
    lib = "/usr/lib/x86_64-linux-gnu/libtcmalloc.so.4"
    h.check(os.path.exists(lib), f"{lib} is missing (make deps installs libgoogle-perftools-dev)")
    env = dict(os.environ, LD_PRELOAD=lib)
    wl = ctx.spawn([h.workload("alloc_leak_jemalloc"), "--wait"], env=env)
    wl.wait_line(r"^READY \d+$", 10)
    json_path = ctx.path("preload.json")
    mv, report = h.trace_signalled(ctx, wl, json_path, ["-v"])
    h.check(any("order (link map)" in l for l in mv.err_lines()),
            f"-v does not say the order came from the link map: {mv.err_lines()[:3]}")
    (proc,) = h.select_procs(report, pid=wl.pid)
    got_lib = proc["allocator"]["library"] or ""
    h.check("libtcmalloc" in got_lib, f"LD_PRELOAD'ed tcmalloc comes before the linked "
            f"jemalloc in search order, but {got_lib!r} was probed")
    truth, _, _ = h.parse_truth(wl.out())
    # mallocx and rallocx still bind to jemalloc, which is not the allocator here
    h.check_truth(report, [proc], {f: v for f, v in truth.items()
                                   if f not in ("leak_mallocx", "leak_rallocx")})


def check_cxx_leak(ctx, variant):
    name = f"cxx_leak_{variant}"
    p, report, proc = traced_run(ctx, name)
    truth, clean, _ = h.parse_truth(p.out())
    check_allocator(proc, variant, name)
    # memvigil demangles: each leaking function is "leak_x()", its mangled name kept
    got = h.by_first_frame([proc])
    bad = [f"{f}(): expected {b} bytes in {n} allocs, got {got.get(f + '()', [0, 0])}"
           for f, (b, n) in sorted(truth.items()) if got.get(f + "()", [0, 0]) != [b, n]]
    h.check(not bad, "; ".join(bad) + f"; first frames: {sorted(got.items(), key=str)}"[:900])
    firsts = {s["frames"][0]["symbol"]: s["frames"][0] for s in proc["stacks"] if s["frames"]}
    for f in truth:
        want = f"_Z{len(f)}{f}v"
        got_mangled = firsts[f + "()"].get("mangled")
        h.check(got_mangled == want, f"{f}() carries mangled name {got_mangled!r}, "
                f"expected {want!r}")
    odd = [fr for s in proc["stacks"] for fr in s["frames"]
           if "mangled" in fr and (fr["mangled"] == fr["symbol"]
                                   or not fr["mangled"].startswith("_Z"))]
    h.check(not odd, f"frames whose mangled field is not a differing C++ name: {odd[:3]}")
    text = p.out()
    for f in truth:
        h.check(re.search(rf"^ +{f}\(\)\+0x[0-9a-f]+ \({name}\)$", text, re.M),
                f"the text report has no demangled frame {f}()+0x... ({name}): "
                f"{text[-1500:]}")
    h.check(not re.search(r"^ +_Z\w+\+0x", text, re.M),
            f"the text report shows a mangled frame: {text[-1500:]}")
    # tcmalloc and mimalloc define new[] at new's address: probed once, reported as new
    kinds = {s["frames"][0]["symbol"]: s["allocator"] for s in proc["stacks"] if s["frames"]}
    h.check(kinds.get("leak_sessions()") == "operator new" and
            kinds.get("leak_buffers()") in ("operator new[]", "operator new"),
            f"leaks not attributed to operator new / new[]: {kinds}")
    h.check_holds_nothing([proc], {f + "()" for f in clean})
    unmatched = proc["heap"]["unmatched_frees"]
    h.check(unmatched == 0, f"{unmatched} frees of unknown blocks (a delete seen twice?)")


def test_cxx_operator_new_leaks_with_libstdcxx_and_glibc(ctx):
    check_cxx_leak(ctx, "glibc")


def test_cxx_operator_new_leaks_with_jemalloc(ctx):
    check_cxx_leak(ctx, "jemalloc")


def test_cxx_operator_new_leaks_with_tcmalloc(ctx):
    check_cxx_leak(ctx, "tcmalloc")


def test_cxx_operator_new_leaks_with_mimalloc(ctx):
    check_cxx_leak(ctx, "mimalloc")


def test_allocator_option_overrides_detection(ctx):
    p, report, proc = traced_run(ctx, "alloc_leak_jemalloc", ["--allocator=libc.so"])
    lib = proc["allocator"]["library"] or ""
    h.check("libc.so" in lib, f"--allocator=libc.so probed {lib!r}")
    h.check(any("--allocator=libc.so names" in l for l in p.err_lines()),
            f"-v does not say the allocator was chosen by --allocator: {p.err_lines()[:3]}")
