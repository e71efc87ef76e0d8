#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""memvigil integration tests: the real binary, real BPF, real processes.

    run.py --build BUILD [-k SUBSTRING] [--list] [--timeout SECONDS]

Runs every test_* function below and in the area files test_*.py beside it
(those whose name contains SUBSTRING with -k), one at a time, each under a
timeout. Prints "PASS name", "FAIL name:
reason" or "SKIP name: why" per test and ends with exactly one line
"N passed, N failed" (", N skipped" is added only when a test could not run).
Exit status 1 if anything failed. Needs root: without it every test fails.
--list prints the names of those tests, one a line, and runs none.

Every test kills what it started on every path, and afterwards no BPF
program memvigil loaded may remain: any new kprobe/tracing/raw_tracepoint
program that no live process holds 3 s after the test is a failure.

The tests reach the harness (harness.py: processes, memvigil, its reports,
the workloads' ground truth) through `import harness as h`; main() sets
h.BUILD, h.BIN and h.WORKLOADS before the first test runs.
"""

import argparse
import importlib
import json
import os
import re
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


# --- kernel signals (bpf/kernel.bpf.c) --------------------------------------

KMEM_GROW_S = 3


def proc_status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise h.Failure(f"/proc/{pid}/status has no {key}")


_kmem = {}


def traced_kmem_grow(ctx):
    """kmem grow traced from launch; ground truth, /proc readings at the end, and the report."""
    if "report" in _kmem:
        return _kmem
    out = ctx.path("kmem.json")
    mv = h.memvigil(ctx, ["-i", "0", "-j", out, "--", h.workload("kmem"), "grow", KMEM_GROW_S])
    pid = int(mv.wait_line(r"^Tracing PID (\d+)", h.BANNER_TIMEOUT_S)[1])
    mv.wait_line(r"^TRUTH done", 30)
    time.sleep(1.5)                       # one more 1 s kernel sample while it holds still
    status = {k: proc_status_kb(pid, k) for k in ("RssAnon", "RssFile", "RssShmem", "VmRSS")}
    rc = h.stop(mv)
    h.check(rc in (0, 143, 128 + signal.SIGTERM), f"memvigil exited {rc}; {mv.describe()}")
    _kmem.update(report=h.load_report(out), truth=h.truth_values(mv.out()), status=status,
                 text=mv.out())
    return _kmem


def kernel_of(report):
    procs = report["processes"]
    h.check(len(procs) == 1, f"expected one process, got {len(procs)}")
    return procs[0]["kernel"]


def test_mapping_leak_is_found_by_its_stack_with_exact_bytes(ctx):
    k = traced_kmem_grow(ctx)
    want = int(k["truth"]["map_func"]["bytes"])
    maps = kernel_of(k["report"])["mappings"]
    found = [s for s in maps["stacks"]
             if any(f["symbol"] == "leak_mapping" for f in s["frames"][:4])]
    h.check(found, f"no mapping stack through leak_mapping: "
            f"{[[f['symbol'] for f in s['frames'][:4]] for s in maps['stacks']]}")
    h.check(sum(s["outstanding_bytes"] for s in found) == want,
            f"leak_mapping holds {sum(s['outstanding_bytes'] for s in found)} bytes, truth {want}")
    h.check(all(s["kind"] == "anon" for s in found), f"leak_mapping's kind: {found}")
    churn = [s for s in maps["stacks"]
             if any(f["symbol"] == "churn_mapping" for f in s["frames"][:4])]
    h.check(not churn, f"churn_mapping unmapped everything but is listed: {churn}")
    remap = int(k["truth"]["remap_func"]["bytes"])
    h.check(maps["anon_bytes"] == want + remap, f"anon_bytes {maps['anon_bytes']}, truth "
            f"{want} + {remap}: mappings the program made itself, without the allocator's")


def mapping_stacks_through(maps, func):
    return [s for s in maps["stacks"] if any(f["symbol"] == func for f in s["frames"][:4])]


def test_file_mapping_is_counted_as_file_by_its_stack(ctx):
    k = traced_kmem_grow(ctx)
    want = int(k["truth"]["file_map_func"]["bytes"])
    maps = kernel_of(k["report"])["mappings"]
    found = mapping_stacks_through(maps, "leak_file_mapping")
    h.check(found and all(s["kind"] == "file" for s in found),
            f"no file mapping through leak_file_mapping: {found}")
    h.check(sum(s["outstanding_bytes"] for s in found) == want,
            f"leak_file_mapping holds {sum(s['outstanding_bytes'] for s in found)}, truth {want}")
    h.check(maps["file_bytes"] >= want, f"file_bytes {maps['file_bytes']} < {want}")


def test_mremap_growth_stays_with_the_stack_that_mapped(ctx):
    k = traced_kmem_grow(ctx)
    want = int(k["truth"]["remap_func"]["bytes"])
    maps = kernel_of(k["report"])["mappings"]
    found = mapping_stacks_through(maps, "grow_by_mremap")
    h.check(sum(s["outstanding_bytes"] for s in found) == want,
            f"grow_by_mremap's mapping holds {sum(s['outstanding_bytes'] for s in found)} bytes "
            f"after mremap, truth {want}")
    h.check(maps["mremaps"] >= 1, f"no mremap counted: {maps['mremaps']}")


def test_allocator_mmap_of_a_large_block_is_counted_once(ctx):
    k = traced_kmem_grow(ctx)
    proc = k["report"]["processes"][0]
    maps = proc["kernel"]["mappings"]
    h.check(maps["allocator_bytes"] >= 1 << 20,
            f"the 1 MiB malloc block's mapping is not under allocator_bytes: {maps['allocator_bytes']}")
    big = [s for s in proc["stacks"] if s["outstanding_bytes"] == 1 << 20]
    h.check(big, "the heap does not show the held 1 MiB block")
    h.check(maps["anon_bytes"] == int(k["truth"]["map_func"]["bytes"]) +
            int(k["truth"]["remap_func"]["bytes"]),
            "the allocator's mapping was counted again under anon_bytes")


def test_rss_growth_matches_the_workload_within_10_percent(ctx):
    k = traced_kmem_grow(ctx)
    rss = kernel_of(k["report"])["rss"]
    # The workload's own figure: its VmRSS growth from main's start, which
    # besides the pages it wrote counts the library, stack and file pages
    # it touched. memvigil's baseline is taken at the entry point, just
    # before main; /proc/PID/status rounds to KiB.
    want = int(k["truth"]["rss_self_growth_bytes"]["rss_self_growth_bytes"])
    wrote = int(k["truth"]["rss_growth_bytes"]["rss_growth_bytes"]) + (1 << 20)
    h.check(want >= wrote, f"workload bug: VmRSS grew {want} bytes, less than the {wrote} "
            f"bytes it wrote")
    got = rss["anon_bytes"] - 0
    grown = rss["total_bytes"] - rss["first_bytes"]
    h.check(abs(grown - want) <= 0.10 * want,
            f"RSS grew {grown} bytes while traced, the workload's VmRSS grew {want} "
            f"(>10% apart; it wrote {wrote}); rss {rss}")
    secs = float(k["truth"]["rss_growth_bytes"]["seconds"])
    h.check(abs(grown / secs - want / secs) <= 0.10 * want / secs,
            f"growth rate {grown / secs:.0f} B/s vs workload's {want / secs:.0f} B/s")
    h.check(got > 0, "no anonymous RSS")


def test_rss_parts_agree_with_proc_status(ctx):
    k = traced_kmem_grow(ctx)
    rss, st = kernel_of(k["report"])["rss"], k["status"]
    # percpu counters on 6.2+ may lag by a batch per CPU: allow 1% or 512 KiB.
    for ours, theirs in (("anon_bytes", "RssAnon"), ("file_bytes", "RssFile"),
                         ("shmem_bytes", "RssShmem"), ("total_bytes", "VmRSS")):
        slack = max(0.01 * st[theirs], 512 * 1024)
        h.check(abs(rss[ours] - st[theirs]) <= slack,
                f"rss.{ours} {rss[ours]} vs /proc/PID/status {theirs} {st[theirs]}")


def test_page_fault_counts_within_5_percent_of_proc_stat(ctx):
    k = traced_kmem_grow(ctx)
    faults = kernel_of(k["report"])["faults"]
    want = int(k["truth"]["faults"]["faults"])
    hooks = faults["hook_user"] + faults["hook_kernel"]
    h.check(abs(hooks - want) <= 0.05 * want,
            f"page-fault tracepoints counted {hooks}, /proc/self/stat says {want} (>5% apart)")
    counters = faults["minor"] + faults["major"]
    h.check(abs(counters - want) <= 0.05 * want,
            f"task fault counters say {counters}, /proc/self/stat says {want}")


def test_text_report_shows_rss_faults_and_the_mapping_leak_frame(ctx):
    text = traced_kmem_grow(ctx)["text"]
    h.check(re.search(r"^  RSS [0-9.]+ \w?i?B: anon ", text, re.M), f"no RSS line: {text[-1500:]}")
    h.check(re.search(r"^  faults since attach: \d+ minor, \d+ major", text, re.M), "no faults line")
    h.check(re.search(r"^  mapped while traced: anon ", text, re.M), "no mappings line")
    long_lines = [l for l in text.splitlines() if len(l) > 100 and not l.startswith("Tracing ")]
    h.check(not long_lines, f"text report lines exceed 100 columns: {long_lines}")
    h.check(re.search(r"^\s+leak_mapping\+0x[0-9a-f]+", text, re.M),
            f"no leak_mapping frame under the mapping stacks: {text[-1500:]}")


def test_kernel_only_attaches_no_heap_probes_and_still_counts_faults(ctx):
    out = ctx.path("konly.json")
    mv = h.memvigil(ctx, ["--kernel-only", "-i", "0", "-j", out, "--", h.workload("kmem"), "grow", "1"])
    banner = h.wait_banner(mv).string
    h.check("kernel signals only" in banner, f"banner: {banner!r}")
    mv.wait_line(r"^TRUTH done", 30)
    links = bpf_link_types_of(mv.pid)
    h.check("raw_tracepoint" in links or "tracing" in links,
            f"memvigil holds no tracepoint links: {links}")
    progs = bpf_link_prog_names_of(mv.pid)
    heap = [n for n in progs if n.startswith(("alloc_", "free_"))]
    h.check(not heap, f"memvigil holds heap probes in --kernel-only mode: {progs}")
    h.check("map_syscall_return" in progs, f"no mmap-family wrapper probe: {progs}")
    time.sleep(1.2)
    h.stop(mv)
    report = h.load_report(out)
    proc = report["processes"][0]
    h.check(proc["allocator"]["library"] is None, f"allocator: {proc['allocator']}")
    h.check(proc["heap"]["total_allocs"] == 0, f"heap events in kernel-only mode: {proc['heap']}")
    k = proc["kernel"]
    h.check(k["faults"]["hook_user"] > 256, f"faults not counted: {k['faults']}")
    h.check(k["mappings"]["mmaps"] > 0, f"no mmaps seen: {k['mappings']}")


def bpf_links_of(pid):
    """(link_type, prog_id) of every BPF link fd process pid holds (/proc/PID/fdinfo)."""
    links = []
    for fd in os.listdir(f"/proc/{pid}/fdinfo"):
        try:
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                text = f.read()
        except OSError:
            continue
        m = re.search(r"^link_type:\s*(\S+)", text, re.M)
        if m:
            prog = re.search(r"^prog_id:\s*(\d+)", text, re.M)
            links.append((m[1], int(prog[1]) if prog else None))
    return links


def bpf_link_types_of(pid):
    """link_type of every BPF link fd process pid holds."""
    return [t for t, _ in bpf_links_of(pid)]


def bpf_link_prog_names_of(pid):
    """Names of the programs behind every BPF link fd process pid holds."""
    names = h.bpf_trace_progs()
    return [names.get(i, "?") for _, i in bpf_links_of(pid) if i is not None]


def test_mappings_off_hooks_nothing_and_says_mappings_are_not_followed(ctx):
    out = ctx.path("mapoff.json")
    mv = h.memvigil(ctx, ["--mappings=off", "-i", "0", "-j", out, "--", h.workload("kmem"),
                          "grow", "1"])
    h.wait_banner(mv)
    mv.wait_line(r"^TRUTH done", 30)
    progs = bpf_link_prog_names_of(mv.pid)
    h.check("handle_fault_user" in progs, f"memvigil's links lost the fault hook: {progs}")
    h.check(not [n for n in progs if n.startswith(("handle_sys_", "map_"))],
            f"--mappings=off still attached mmap-family hooks: {progs}")
    time.sleep(1.2)
    h.stop(mv)
    report = h.load_report(out)
    h.check("mappings" not in report["system"]["kernel_signals"] and
            "faults" in report["system"]["kernel_signals"],
            f"kernel_signals: {report['system']['kernel_signals']}")
    h.check(report["options"]["mappings"] == "off", f"options: {report['options']}")
    k = report["processes"][0]["kernel"]
    h.check(k["mappings"]["mmaps"] == 0, f"mmaps seen without the hooks: {k['mappings']}")
    h.check(k["mappings"]["followed"] is False, f"mappings: {k['mappings']}")
    h.check(k["faults"]["hook_user"] > 256, f"faults not counted: {k['faults']}")
    text = mv.out()
    h.check("mappings not followed (--mappings=off" in text and
            "mapped while traced" not in text, f"text report: {text[-800:]}")


def mapping_figures(report):
    m = kernel_of(report)["mappings"]
    return {k: m[k] for k in ("mmaps", "munmaps", "mremaps", "anon_bytes", "file_bytes",
                              "allocator_bytes")}


def test_default_mappings_hook_no_syscall_and_match_the_syscall_tracepoints(ctx):
    """The wrapper probes see what raw_syscalls sees for a program using the C library."""
    k = traced_kmem_grow(ctx)
    h.check(k["report"]["options"]["mappings"] == "wrappers", f"options: {k['report']['options']}")
    out = ctx.path("kmem-syscalls.json")
    mv = h.memvigil(ctx, ["--mappings=syscalls", "-i", "0", "-j", out, "--", h.workload("kmem"),
                          "grow", KMEM_GROW_S])
    h.wait_banner(mv)
    mv.wait_line(r"^TRUTH done", 30)
    progs = bpf_link_prog_names_of(mv.pid)
    h.check("handle_sys_enter" in progs and not [n for n in progs if n.startswith("map_")],
            f"--mappings=syscalls links: {progs}")
    h.stop(mv)
    tp = mapping_figures(h.load_report(out))
    wr = mapping_figures(k["report"])
    # kmem grow maps and unmaps once per round and the round count depends on
    # timing: compare what is left after taking the rounds out
    per_round = {"mmaps": 2, "munmaps": 1, "anon_bytes": 256 * 1024}
    rounds_tp = int(h.truth_values(mv.out())["map_func"]["bytes"]) // (256 * 1024)
    rounds_wr = int(k["truth"]["map_func"]["bytes"]) // (256 * 1024)
    for key in ("mmaps", "munmaps", "anon_bytes", "mremaps", "file_bytes", "allocator_bytes"):
        n = per_round.get(key, 0)
        h.check(wr[key] - n * rounds_wr == tp[key] - n * rounds_tp,
                f"{key}: wrappers {wr[key]} in {rounds_wr} rounds, syscalls {tp[key]} in "
                f"{rounds_tp} rounds; wrappers {wr}, syscalls {tp}")


def test_default_mappings_attach_no_syscall_tracepoint(ctx):
    mv = h.memvigil(ctx, ["-i", "0", "--", h.workload("kmem"), "grow", "1"])
    h.wait_banner(mv)
    mv.wait_line(r"^TRUTH done", 30)
    progs = bpf_link_prog_names_of(mv.pid)
    h.check(not [n for n in progs if n.startswith("handle_sys_")],
            f"the default mode hooks every syscall on the host: {progs}")
    h.check("map_syscall_return" in progs, f"no wrapper probe: {progs}")
    h.stop(mv)


def raw_mapping_report(ctx, mode):
    out = ctx.path(f"raw-{mode}.json")
    mv = h.memvigil(ctx, [f"--mappings={mode}", "-i", "0", "-j", out, "--", h.workload("kmem"),
                          "raw"])
    h.wait_banner(mv)
    mv.wait_line(r"^TRUTH done", 30)
    h.stop(mv)
    return h.load_report(out), h.truth_values(mv.out())


def test_raw_syscall_mappings_are_seen_by_the_syscall_hooks_only(ctx):
    for mode, sees_raw in (("syscalls", True), ("wrappers", False)):
        report, truth = raw_mapping_report(ctx, mode)
        maps = kernel_of(report)["mappings"]
        libc = mapping_stacks_through(maps, "leak_mapping")
        raw = mapping_stacks_through(maps, "leak_raw_mapping")
        want = int(truth["map_func"]["bytes"])
        h.check(sum(s["outstanding_bytes"] for s in libc) == want,
                f"--mappings={mode}: leak_mapping holds "
                f"{sum(s['outstanding_bytes'] for s in libc)}, truth {want}")
        got_raw = sum(s["outstanding_bytes"] for s in raw)
        want_raw = int(truth["raw_map_func"]["bytes"]) if sees_raw else 0
        h.check(got_raw == want_raw, f"--mappings={mode}: leak_raw_mapping holds {got_raw}, "
                f"expected {want_raw}")


def test_mappings_through_an_interposed_mmap_use_entry_and_return_probes(ctx):
    """tcmalloc exports its own mmap, which makes the syscall through syscall(2)."""
    lib = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"
    h.check(os.path.exists(lib), f"{lib} missing (libgoogle-perftools-dev)")
    out = ctx.path("raw-tcmalloc.json")
    # preloaded into the workload only: memvigil itself may run under ASan
    wl = ctx.spawn([h.workload("kmem"), "raw", "--wait"], env=dict(os.environ, LD_PRELOAD=lib))
    wl.wait_line(r"^READY ", 10)
    mv = h.memvigil(ctx, ["-v", "-i", "0", "-j", out, "-p", wl.pid])
    h.wait_banner(mv)
    os.kill(wl.pid, signal.SIGUSR1)
    wl.wait_line(r"^TRUTH done", 30)
    progs = bpf_link_prog_names_of(mv.pid)
    h.check("map_enter" in progs and "map_exit" in progs, f"no entry/return probes: {progs}")
    h.stop(mv)
    err = "\n".join(mv.err_lines())
    h.check(re.search(r"libtcmalloc_minimal\.so[\d.]*:mmap(64)? \(mmap family\) probe at \+\d+: "
                      r"entry and return", err), f"-v does not show tcmalloc's mmap: {err[-1500:]}")
    maps = kernel_of(h.load_report(out))["mappings"]
    want = int(h.truth_values(wl.out())["map_func"]["bytes"])
    got = sum(s["outstanding_bytes"] for s in mapping_stacks_through(maps, "leak_mapping"))
    h.check(got == want, f"leak_mapping through tcmalloc's mmap holds {got}, truth {want}; "
            f"{maps['stacks']}")


def test_process_without_mmap_wrappers_is_traced_with_mappings_marked_unfollowed(ctx):
    """A stripped static program has no symbol to probe: its mappings are not followed, said."""
    exe = h.stripped_static_program(ctx)
    wl = ctx.spawn([exe, "30"])
    wl.wait_line(r"^STATIC ", 10)
    out = ctx.path("nowrap.json")
    mv = h.memvigil(ctx, ["--kernel-only", "-p", wl.pid, "-i", "0", "-d", "1.5", "-j", out])
    h.wait_banner(mv)
    rc = mv.wait(20)
    h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    warn = [l for l in mv.err_lines() if "are not followed" in l]
    h.check(len(warn) == 1 and "--mappings=syscalls" in warn[0], f"stderr: {mv.err_lines()}")
    k = kernel_of(h.load_report(out))
    h.check(k["mappings"]["followed"] is False, f"mappings: {k['mappings']}")
    h.check(k["samples"] >= 1 and k["rss"]["total_bytes"] > 0,
            f"the other kernel signals stopped too: {k['samples']} samples, rss {k['rss']}")
    text = mv.out()
    h.check("mappings not followed (no mmap wrapper" in text and
            "mapped while traced" not in text, f"text report: {text[-800:]}")
    k = traced_kmem_grow(ctx)
    h.check(kernel_of(k["report"])["mappings"]["followed"] is True,
            "a glibc program's mappings are not marked followed")


def test_absent_pressure_file_is_reported_unavailable_not_an_error(ctx):
    out = ctx.path("nopsi.json")
    wl = h.spawn_workload(ctx, "spin", "60")
    mv = h.memvigil(ctx, ["-p", wl.pid, "-i", "0", "-d", "1.5", "-j", out],
                    env={"MEMVIGIL_PSI_PATH": "/nonexistent/pressure/memory"})
    rc = mv.wait(20)
    h.check(rc == 0, f"memvigil exited {rc} without PSI; {mv.describe()}")
    h.check(not [l for l in mv.err_lines() if l.strip()], f"stderr not empty: {mv.err_lines()}")
    report = h.load_report(out)
    h.check(report["system"]["psi"] == {"available": False}, f"psi: {report['system']['psi']}")
    h.check("system memory PSI: unavailable" in mv.out(), "the text report does not say PSI is unavailable")


class MemCgroup:
    """A memory-limited cgroup (v1 memory controller here, v2 where it has memory); removed on exit."""

    def __init__(self, limit_bytes):
        mounts = open("/proc/mounts").read().splitlines()
        v1 = [l.split()[1] for l in mounts if l.split()[2] == "cgroup"
              and "memory" in l.split()[3].split(",")]
        v2 = [l.split()[1] for l in mounts if l.split()[2] == "cgroup2"]
        self.path = None
        name = f"memvigil-test-{os.getpid()}-{time.monotonic_ns()}"
        if v2 and "memory" in open(os.path.join(v2[0], "cgroup.controllers")).read().split():
            self.path, self.limit, self.procs = os.path.join(v2[0], name), "memory.max", "cgroup.procs"
        elif v1:
            self.path, self.limit, self.procs = (os.path.join(v1[0], name), "memory.limit_in_bytes",
                                                 "cgroup.procs")
        else:
            raise h.Failure("no memory cgroup controller is mounted (v1 or v2)")
        os.mkdir(self.path)
        try:
            with open(os.path.join(self.path, self.limit), "w") as f:
                f.write(str(limit_bytes))
            swap = os.path.join(self.path, "memory.swap.max")
            if os.path.exists(swap):
                with open(swap, "w") as f:
                    f.write("0")
        except Exception:
            self.remove()
            raise

    def preexec(self):
        path = os.path.join(self.path, self.procs)

        def enter():
            with open(path, "w") as f:
                f.write(str(os.getpid()))
        return enter

    def remove(self):
        if not self.path:
            return
        for _ in range(100):
            try:
                pids = open(os.path.join(self.path, self.procs)).read().split()
            except OSError:
                pids = []
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                os.rmdir(self.path)
                self.path = None
                return
            except OSError:
                time.sleep(0.05)
        raise h.Failure(f"could not remove the test cgroup {self.path}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def test_oom_kills_in_a_limited_cgroup_are_reported_with_the_victims_top_stack(ctx):
    limit = 64 << 20
    with MemCgroup(limit) as cg:
        traced = ctx.spawn([h.workload("kmem"), "hog"], preexec_fn=cg.preexec())
        tpid = int(traced.wait_line(r"^READY (\d+)", 10)[1])
        other = ctx.spawn([h.workload("kmem"), "hog"], preexec_fn=cg.preexec())
        opid = int(other.wait_line(r"^READY (\d+)", 10)[1])
        out = ctx.path("oom.json")
        mv = h.memvigil(ctx, ["-p", tpid, "-i", "0", "-j", out])
        h.wait_banner(mv)
        time.sleep(1.2)                   # a kernel sample: the traced process's memcg is known
        os.kill(opid, signal.SIGUSR1)     # the untraced hog is killed first
        h.check(other.wait(30) is not None, "the untraced hog was not killed")
        mv.wait_line(rf"^OOM kill at \+\S+: PID {opid} ", 10)
        os.kill(tpid, signal.SIGUSR1)
        rc = mv.wait(40)
        h.check(rc == 0, f"memvigil exited {rc} after its target was OOM-killed; {mv.describe()}")
    report = h.load_report(out)
    kills = {k["pid"]: k for k in report["system"]["oom_kills"]}
    h.check(opid in kills and tpid in kills, f"OOM kills reported: {list(kills)}, want {opid}, {tpid}")
    o, t = kills[opid], kills[tpid]
    h.check(not o["victim_traced"] and o["cgroup_peer_pid"] == tpid, f"untraced victim: {o}")
    h.check(t["victim_traced"] and t["comm"] == "kmem", f"traced victim: {t}")
    h.check(t["memcg"]["limit_bytes"] == limit, f"limit at the kill: {t['memcg']}")
    h.check(t["rss"]["anon_bytes"] > limit // 2, f"victim RSS at the kill: {t['rss']}")
    h.check(t["stacks"] and any(f["symbol"] == "hog_memory" for f in t["stacks"][0]["frames"][:4]),
            f"the victim's top stack is not hog_memory: {t['stacks'][:1]}")
    h.check(t["stacks"][0]["outstanding_bytes"] >= limit // 2,
            f"top stack holds {t['stacks'][0]['outstanding_bytes']} bytes")
    text = mv.out()
    h.check(re.search(rf"^OOM kill at \+\S+: PID {tpid} \(kmem\) \[traced\]", text, re.M),
            f"no OOM event line for the traced victim: {text[-1200:]}")
    h.check(re.search(r"^\s+hog_memory\+0x", text, re.M), "the OOM event line has no hog_memory frame")
    proc = report["processes"][0]
    h.check(proc["kernel"]["oom_kills"] == 1 and proc["exit_signal"] == signal.SIGKILL,
            f"process: oom_kills {proc['kernel']['oom_kills']}, exit_signal {proc['exit_signal']}")
    h.check(proc["kernel"]["reclaim"]["stalls"] > 0,
            f"no reclaim stall before the OOM kill: {proc['kernel']['reclaim']}")


def last_sample_before(lines, t_s):
    samples = [o for o in lines if o["type"] == "sample" and o["t_s"] <= t_s]
    h.check(samples, f"no --jsonl sample before {t_s} s")
    return samples[-1]


def test_kernel_signals_feed_rss_and_mapped_growth_pressure_and_their_alerts(ctx):
    json_path, jsonl_path = ctx.path("kmem.json"), ctx.path("kmem.jsonl")
    p, rc = h.run_to_end(ctx, ["-i", "1", "-d", "9", "--alert", "rss_growth>1MB/s",
                               "--alert", "mapped>4M", "--alert", "pressure>=low",
                               "--alert", "major_faults>1000000", "--json", json_path,
                               "--jsonl", jsonl_path, "--", h.workload("kmem"), "grow", "6"])
    h.check(rc in (0, 128 + signal.SIGTERM), f"memvigil exited {rc}; {p.describe()}")
    out = p.out()
    m = re.search(r"^TRUTH rss_growth_bytes=(\d+) seconds=([\d.]+)$", out, re.M)
    h.check(m, f"kmem printed no rss_growth TRUTH line: {out[-400:]!r}")
    rss_rate, grow_s = int(m[1]) / float(m[2]), float(m[2])
    mapped_rate = 256 * 1024 * 10          # leak_mapping: 256 KiB every 100 ms
    fired = [l for l in p.err_lines() if l.startswith("memvigil: alert ")]
    names = [re.match(r"memvigil: alert (\S+) fired", l)[1] for l in fired]
    psi = os.path.exists("/proc/pressure/memory")
    want = ["rss_growth>1MB/s", "mapped>4M"] + (["pressure>=low"] if psi else [])
    h.check(sorted(names) == sorted(want), f"alerts fired {names}, expected each of {want} once")
    lines = h.read_jsonl(jsonl_path)
    h.check_jsonl_metrics_match_the_schema(lines)
    met = last_sample_before(lines, grow_s)["metrics"]
    rss, mapped = met["rss"], met["mapped"]
    h.check(rss and mapped, f"no rss/mapped metrics from the kernel signals: {json.dumps(met)[:300]}")
    h.check(abs(mapped["growth_bytes_per_s"] - mapped_rate) <= 0.1 * mapped_rate,
            f"mapped grows {mapped['growth_bytes_per_s']:.0f} B/s, kmem maps {mapped_rate} B/s")
    # The window starts at attach, so the fit also sees kmem's start (its 1 MiB
    # block, libraries paged in): RSS growth is checked loosely; the kernel
    # signals' own tests check RSS accuracy. Mappings are exact events.
    h.check(abs(rss["growth_bytes_per_s"] - rss_rate) <= 0.3 * rss_rate,
            f"RSS grows {rss['growth_bytes_per_s']:.0f} B/s, kmem touched {rss_rate:.0f} B/s")
    h.check(rss["trend"] == "increasing" and mapped["trend"] == "increasing",
            f"trends: rss {rss['trend']}, mapped {mapped['trend']}")
    h.check(met["values"]["minor_faults"] is not None and met["values"]["minor_faults"] > 100,
            f"minor fault rate {met['values']['minor_faults']} while kmem writes 640 pages/s")
    if psi:
        h.check(met["pressure"]["level"] in ("low", "medium", "high", "critical"),
                f"no pressure level although /proc/pressure/memory exists: {met['pressure']}")
    report = h.load_report(json_path)
    (proc,) = h.select_procs(report, exe_name="kmem")
    h.check(proc["metrics"]["rss"]["peak_bytes"] >= rss["current_bytes"],
            f"final RSS peak {proc['metrics']['rss']['peak_bytes']} below a sampled value")


def test_oom_alert_fires_and_jsonl_has_a_line_per_kill_with_the_victims_top_stack(ctx):
    limit = 64 << 20
    jsonl_path = ctx.path("oom.jsonl")
    with MemCgroup(limit) as cg:
        traced = ctx.spawn([h.workload("kmem"), "hog"], preexec_fn=cg.preexec())
        tpid = int(traced.wait_line(r"^READY (\d+)", 10)[1])
        other = ctx.spawn([h.workload("kmem"), "hog"], preexec_fn=cg.preexec())
        opid = int(other.wait_line(r"^READY (\d+)", 10)[1])
        mv = h.memvigil(ctx, ["-p", tpid, "-i", "0", "--alert", "oom", "--jsonl", jsonl_path])
        h.wait_banner(mv)
        time.sleep(2.2)                   # kernel samples: the traced process's memcg is known
        os.kill(opid, signal.SIGUSR1)     # the untraced hog in the same cgroup dies first
        h.check(other.wait(30) is not None, "the untraced hog was not killed")
        mv.wait_line(rf"^memvigil: alert oom fired for PID {tpid} ", 10, stream="err")
        time.sleep(1.5)                   # a sample without a new kill clears the alert
        os.kill(tpid, signal.SIGUSR1)
        rc = mv.wait(40)
        h.check(rc == 0, f"memvigil exited {rc} after its target was OOM-killed; {mv.describe()}")
    lines = h.read_jsonl(jsonl_path)
    ooms = {o["pid"]: o for o in lines if o["type"] == "oom"}
    h.check(set(ooms) == {opid, tpid}, f"--jsonl OOM lines for {sorted(ooms)}, want {opid}, {tpid}")
    h.check(ooms[opid]["cgroup_peer"] == tpid and not ooms[opid]["victim_traced"],
            f"untraced victim's line: {ooms[opid]}")
    t = ooms[tpid]
    h.check(t["victim_traced"] and t["stacks"] and t["stacks"][0]["function"] == "hog_memory",
            f"the traced victim's line lacks its top stack hog_memory: {t}")
    fired = [l for l in mv.err_lines() if l.startswith("memvigil: alert oom fired")]
    h.check(len(fired) == 2, f"expected the oom alert once per kill (2), got {fired}")
    limits = {o["metrics"]["pressure"]["limit_bytes"] for o in lines if o["type"] == "sample"}
    h.check(limit in limits, f"the cgroup limit {limit} never reached the metrics: {limits}")


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
    """The test_* functions here and in the area files test_*.py beside this one, in file name order.

    An area file does `import harness as h` and reaches the harness through h,
    the one module whose BUILD, BIN and WORKLOADS main() sets; nothing imports
    run.py. Each test runs and is reported by its name, so a name that two files
    define is an error.
    """
    found = [(n, f) for n, f in globals().items() if n.startswith("test_") and callable(f)]
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
