# SPDX-License-Identifier: GPL-2.0
"""Integration tests: kernel signals (bpf/task_stats, faults, mappings.bpf.c): RSS, faults,
mappings.

kmem grow maps, remaps, touches and leaks memory and prints its own ground
truth: mapping leaks are found by their stacks with exact bytes, file mappings
counted as file, mremap growth kept with the stack that mapped, RSS and page
faults agree with /proc; --kernel-only and the --mappings modes attach what
they say and no more.
"""

import os
import re
import signal
import time

import harness as h


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


def test_mapping_stacks_start_at_the_caller_of_mmap_as_heap_stacks_start_at_mallocs(ctx):
    k = traced_kmem_grow(ctx)
    maps = kernel_of(k["report"])["mappings"]
    firsts = {s["frames"][0]["symbol"] for s in maps["stacks"] if s["frames"]}
    for func in ("leak_mapping", "leak_file_mapping", "grow_by_mremap"):
        h.check(func in firsts, f"no mapping stack starts at {func}: first frames {firsts}")
    wrappers = {f for f in firsts if f and re.match(r"_*(mmap|mremap)(64)?$", f)}
    h.check(not wrappers, f"mapping stacks start in the wrapper: {wrappers}")


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


def test_text_report_shows_stacks_then_rss_and_faults_compactly_and_the_mapping_leak(ctx):
    text = traced_kmem_grow(ctx)["text"]
    final = text[text.index("=== final report"):]
    rss = re.search(r"^  rss [0-9.]+ \w?i?B, [+-][0-9.]+ \w?i?B since attach", final, re.M)
    h.check(rss, f"no compact rss line: {final[-1500:]}")
    faults = re.search(r"^  faults \d+ minor, \d+ major \| reclaim \d+ stalls?, ", final, re.M)
    h.check(faults, f"no compact faults line: {final[-1500:]}")
    mapped = re.search(r"^  mapped while traced: anon ", final, re.M)
    h.check(mapped, "no mappings line")
    h.check(mapped.start() < rss.start() < faults.start(),
            f"stacks and mappings do not come before the kernel figures: {final[-1500:]}")
    h.check(not re.search(r"^  (RSS peak|fault hooks|faults since attach)", final, re.M),
            f"kernel detail without -v: {final[-1500:]}")
    long_lines = [l for l in text.splitlines() if len(l) > 100 and not l.startswith("Tracing ")]
    h.check(not long_lines, f"text report lines exceed 100 columns: {long_lines}")
    h.check(re.search(r"^\s+leak_mapping\+0x[0-9a-f]+", text, re.M),
            f"no leak_mapping frame under the mapping stacks: {text[-1500:]}")


def test_text_report_with_v_has_the_kernel_detail_in_full(ctx):
    p, rc = h.run_to_end(ctx, ["-v", "-i", "0", "-d", "3", "--", h.workload("kmem"), "grow", "1"])
    h.check(rc in (0, 128 + signal.SIGTERM), f"memvigil exited {rc}; {p.describe()}")
    text = p.out()
    h.check(re.search(r"^  RSS [0-9.]+ \w?i?B: anon ", text, re.M), f"no RSS line: {text[-1500:]}")
    h.check(re.search(r"^  faults since attach: \d+ minor, \d+ major", text, re.M), "no faults line")
    h.check(re.search(r"^  fault hooks: \d+ user", text, re.M), "no fault hooks line")
    h.check(re.search(r"^  rss growth ", text, re.M), "no rss growth line")
    long_lines = [l for l in text.splitlines() if len(l) > 100 and not l.startswith("Tracing ")]
    h.check(not long_lines, f"text report lines exceed 100 columns: {long_lines}")


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
