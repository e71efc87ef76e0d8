# SPDX-License-Identifier: GPL-2.0
"""Integration tests: commands memvigil launches (-- COMMAND).

The workloads traced from their first instruction: exact bytes and counts per
leaking function, nothing held by the functions that free everything, threads,
exec, a leak without a frame pointer, stacks deeper than the recorded depth
(--stack-depth, --frames, --mode=debug), the probe sites chosen past an
allocator's entry against --entry-probes, the exit status memvigil passes on,
and --json - on stdout.
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile

import harness as h


_cache = {}


def launched_alloc_family(ctx):
    """One traced run of alloc_family, shared by the tests that read it."""
    if "alloc_family" not in _cache:
        keep_dir = tempfile.mkdtemp(prefix="memvigil-it-af-")
        json_path = os.path.join(keep_dir, "report.json")
        p, rc = h.run_to_end(ctx, ["-i", "0", "--json", json_path, "--",
                                   h.workload("alloc_family")])
        _cache["alloc_family"] = (rc, p.out(), p.err_lines(), json_path)
        h.cache_dirs.append(keep_dir)
    rc, out, err, json_path = _cache["alloc_family"]
    h.check(os.path.exists(json_path),
            f"memvigil (exit {rc}) wrote no JSON report; stderr {err[-5:]}")
    return rc, out, err, h.load_report(json_path)


def test_launched_alloc_family_leaks_exact_bytes_and_counts_per_function(ctx):
    rc, out, err, report = launched_alloc_family(ctx)
    truth, _, _ = h.parse_truth(out)
    h.check(len(truth) == 11, f"alloc_family printed {len(truth)} TRUTH lines, expected 11")
    h.check_truth(report, h.select_procs(report, exe_name="alloc_family"), truth)


def test_launched_alloc_family_non_leaking_functions_hold_nothing(ctx):
    rc, out, err, report = launched_alloc_family(ctx)
    _, clean, _ = h.parse_truth(out)
    h.check({"churn_all", "realloc_zero_frees"} <= clean, f"CLEAN lines missing: {clean}")
    h.check_holds_nothing(h.select_procs(report, exe_name="alloc_family"), clean)


def traced_alloc_family_verbose(ctx, extra, name="alloc_family"):
    """name (alloc_family) traced with -v plus extra options: (sites, report, truth)."""
    d = tempfile.mkdtemp(prefix="memvigil-it-sites-")
    try:
        json_path = os.path.join(d, "report.json")
        p, rc = h.run_to_end(ctx, ["-v", "-i", "0", "--json", json_path] + extra
                             + ["--", h.workload(name)])
        h.check(rc == 0, f"memvigil exited {rc}; stderr {p.err_lines()[-5:]}")
        sites = {}
        for line in p.err_lines():
            # "  libc.so.6:malloc (malloc) probe at +0: why"
            m = re.search(r"^\s+\S+:(\w+) \((?!mmap family).*?\) probe at \+(\d+):",
                          line.replace("memvigil: ", ""))
            if m:
                sites[m[1]] = int(m[2])
        truth, _, _ = h.parse_truth(p.out())
        return sites, h.load_report(json_path), truth
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_chosen_probe_sites_see_exactly_what_entry_probes_see(ctx):
    chosen, rep_c, truth = traced_alloc_family_verbose(ctx, [])
    entry, rep_e, _ = traced_alloc_family_verbose(ctx, ["--entry-probes"])
    h.check(chosen and set(chosen) == set(entry),
            f"-v listed different probed functions: chosen {chosen}, entry {entry}")
    h.check(all(off == 0 for off in entry.values()),
            f"--entry-probes placed a probe past an entry: {entry}")
    moved = {f: off for f, off in chosen.items() if off}
    h.check(moved, f"no probe site was moved off its entry on this libc: {chosen}")
    (pc,) = h.select_procs(rep_c, exe_name="alloc_family")
    (pe,) = h.select_procs(rep_e, exe_name="alloc_family")
    keys = ["total_allocs", "total_frees", "total_bytes", "outstanding_bytes",
            "outstanding_allocs", "peak_outstanding_bytes"]
    diff = {k: (pc["heap"][k], pe["heap"][k]) for k in keys if pc["heap"][k] != pe["heap"][k]}
    h.check(not diff, f"heap totals differ (chosen sites {moved}, entry): {diff}")
    h.check(h.by_first_frame([pc]) == h.by_first_frame([pe]),
            f"per-function outstanding differs: chosen {h.by_first_frame([pc])}, "
            f"entry {h.by_first_frame([pe])}")
    h.check_truth(rep_e, [pe], truth)
    for r in (rep_c, rep_e):
        h.check(r["health"]["lost_events"] == 0, f"events were lost: {h.health(r)}")


@h.alone
def test_chosen_sites_in_every_allocator_see_what_entry_probes_see(ctx):
    moved_any = {}
    for variant in ("jemalloc", "tcmalloc", "mimalloc", "static"):
        name = f"alloc_leak_{variant}"
        chosen, rep_c, truth = traced_alloc_family_verbose(ctx, [], name)
        entry, rep_e, _ = traced_alloc_family_verbose(ctx, ["--entry-probes"], name)
        h.check(chosen and set(chosen) == set(entry),
                f"{variant}: -v listed different probed functions: chosen {chosen}, "
                f"entry {entry}")
        h.check(all(off == 0 for off in entry.values()),
                f"{variant}: --entry-probes placed a probe past an entry: {entry}")
        moved_any.update({f"{variant}:{f}": o for f, o in chosen.items() if o})
        for r in (rep_c, rep_e):
            (proc,) = h.select_procs(r, exe_name=name)
            h.check_truth(r, [proc], truth)
            h.check(proc["heap"]["unmatched_frees"] == 0,
                    f"{variant}: unmatched frees; {h.health(r)}")
        (pc,) = h.select_procs(rep_c, exe_name=name)
        (pe,) = h.select_procs(rep_e, exe_name=name)
        for k in ("total_allocs", "total_frees", "total_bytes"):
            h.check(pc["heap"][k] == pe["heap"][k],
                    f"{variant}: {k} differs: chosen {pc['heap'][k]}, entry {pe['heap'][k]}")
    h.check(moved_any, "no probe site was moved off its entry in any allocator")


def test_exited_process_is_symbolized_with_its_exit_code(ctx):
    rc, out, err, report = launched_alloc_family(ctx)
    truth, _, _ = h.parse_truth(out)
    (p,) = h.select_procs(report, exe_name="alloc_family")
    h.check(p.get("exited") is True, f"exited is {p.get('exited')!r}, expected true")
    h.check(p.get("exit_code") == 0 and p.get("exit_signal") is None,
            f"exit_code {p.get('exit_code')!r} exit_signal {p.get('exit_signal')!r}, "
            f"expected 0 and null")
    firsts = {}
    for s in p["stacks"]:
        if s["frames"]:
            firsts.setdefault(s["frames"][0].get("symbol"), s["frames"][0])
    for func in truth:
        h.check(func in firsts, f"no stack starts at {func}: first frames {sorted(firsts, key=str)}")
        module = firsts[func].get("module") or ""
        h.check(os.path.basename(module) == "alloc_family",
                f"{func}'s frame is in module {module!r}, expected .../alloc_family")


def test_exit_status_of_a_successful_command_is_0(ctx):
    rc, out, err, report = launched_alloc_family(ctx)
    h.check(rc == 0, f"memvigil exited {rc} for a command that exited 0; stderr {err[-5:]}")


def test_exit_status_is_the_commands_own_status_3(ctx):
    p, rc = h.run_to_end(ctx, ["-i", "0", "--", "/bin/sh", "-c", "exit 3"])
    h.check(rc == 3, f"memvigil exited {rc}, the command exited 3; {p.describe()}")


def test_exit_status_of_a_command_killed_by_sigkill_is_137(ctx):
    p, rc = h.run_to_end(ctx, ["-i", "0", "--", "/bin/sh", "-c", "kill -9 $$"])
    h.check(rc == 137, f"memvigil exited {rc}, expected 128+9 = 137; {p.describe()}")


def test_exit_status_is_0_when_duration_ends_the_command(ctx):
    # memvigil ends spin with SIGTERM at -d 1: the trace succeeded.
    p, rc = h.run_to_end(ctx, ["-i", "0", "-d", "1", "--", h.workload("spin"), "60"])
    h.check(rc == 0, f"memvigil exited {rc} after -d 1 ended its command; {p.describe()}")


def test_exit_status_is_0_when_sigint_or_sigterm_to_memvigil_ends_the_command(ctx):
    for sig in (signal.SIGINT, signal.SIGTERM):
        p = h.memvigil(ctx, ["-i", "0", "--", h.workload("spin"), "60"])
        h.wait_banner(p)
        rc = h.stop(p, sig)
        h.check(rc == 0, f"memvigil exited {rc} after {sig.name} to memvigil ended its "
                f"command; {p.describe()}")


def test_exit_status_of_a_command_killed_by_a_sigterm_memvigil_did_not_send_is_143(ctx):
    p, rc = h.run_to_end(ctx, ["-i", "0", "--", "/bin/sh", "-c", "kill -TERM $$"])
    h.check(rc == 143, f"memvigil exited {rc}, expected 128+15 = 143; {p.describe()}")


def test_exit_status_of_a_failing_command_ended_by_duration_is_its_own(ctx):
    # The command fails on its own before -d would end it: its status shows.
    p, rc = h.run_to_end(ctx, ["-i", "0", "-d", "30", "--", "/bin/sh", "-c", "sleep 0.5; exit 5"])
    h.check(rc == 5, f"memvigil exited {rc}, the command exited 5; {p.describe()}")


def test_launched_commands_heap_and_mapped_baselines_are_0_where_tracing_began(ctx):
    # kmem maps 256 KiB every 100 ms from its start, before the first second's
    # sample; held at its entry point, it had mapped and allocated nothing.
    json_path = ctx.path("baseline.json")
    p, rc = h.run_to_end(ctx, ["-i", "0", "-d", "4", "--json", json_path, "--",
                               h.workload("kmem"), "grow", "3"])
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    (proc,) = h.select_procs(h.load_report(json_path), exe_name="kmem")
    met = proc["metrics"]
    for name in ("heap", "mapped"):
        q = met[name]
        h.check(q and q["baseline_bytes"] == 0 and q["delta_bytes"] == q["current_bytes"] > 0,
                f"{name} of a command traced from its entry: {q}")


def test_threads_leak_exactly_and_cross_thread_frees_leave_nothing(ctx):
    json_path = ctx.path("threads.json")
    p, rc = h.run_to_end(ctx, ["-i", "0", "--json", json_path, "--", h.workload("threads")])
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = h.load_report(json_path)
    truth, clean, _ = h.parse_truth(p.out())
    procs = h.select_procs(report, exe_name="threads")
    h.check_truth(report, procs, truth)
    h.check("produce_blocks" in clean, f"CLEAN lines missing produce_blocks: {clean}")
    h.check_holds_nothing(procs, clean)
    heap = procs[0]["heap"]
    h.check(heap["total_frees"] >= 2 * 1501,
            f"only {heap['total_frees']} frees seen, the consumer freed 3002 blocks")


def test_exec_drops_the_live_set_of_the_old_image(ctx):
    json_path = ctx.path("exec.json")
    p, rc = h.run_to_end(ctx, ["-i", "0", "--json", json_path, "--", h.workload("exec_leak")])
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = h.load_report(json_path)
    truth, _, gone = h.parse_truth(p.out())
    h.check("leak_before_exec" in gone, "exec_leak printed no GONE line for leak_before_exec")
    procs = h.select_procs(report, exe_name="exec_leak")
    h.check_truth(report, procs, truth)
    h.check_holds_nothing(procs, set(gone))


def test_process_gone_before_its_exec_is_read_is_symbolized_from_the_exec_record(ctx):
    # Only an exec that is not held (MEMVIGIL_TEST_NO_HOLD: as for a process that
    # leads its own process group) can end before memvigil reads it.
    json_path = ctx.path("exec-gone.json")
    p, rc = h.run_to_end(ctx, ["-v", "-i", "0", "--json", json_path, "--", h.workload("exec_leak")],
                         env={"MEMVIGIL_TEST_EXEC_DELAY_MS": "700", "EXEC_LEAK_NO_LINGER": "1",
                              "MEMVIGIL_TEST_NO_HOLD": "1"})
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    h.check(any("symbolized from the exec record" in l for l in p.err_lines()),
            f"the exec'd image was still there when its exec was read (the test delays that "
            f"by 700 ms); {p.describe()}")
    report = h.load_report(json_path)
    truth, _, gone = h.parse_truth(p.out())
    procs = h.select_procs(report, exe_name="exec_leak")
    h.check_truth(report, procs, truth)
    h.check_holds_nothing(procs, set(gone))


def test_leak_without_frame_pointer_is_the_first_frame(ctx):
    path = h.workload("nofp_leak")
    dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn",
                          "--disassemble=leak_without_frame_pointer", path],
                         capture_output=True, text=True, timeout=30).stdout
    h.check("leak_without_frame_pointer>:" in dis, "objdump cannot find leak_without_frame_pointer")
    h.check(not re.search(r"mov\s+%rsp,%rbp", dis),
            "workload bug: leak_without_frame_pointer sets up a frame pointer")
    json_path = ctx.path("nofp.json")
    p, rc = h.run_to_end(ctx, ["-i", "0", "--json", json_path, "--", path])
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = h.load_report(json_path)
    truth, _, _ = h.parse_truth(p.out())
    h.check_truth(report, h.select_procs(report, exe_name="nofp_leak"), truth)


def test_stack_deeper_than_64_frames_is_cut_and_counted(ctx):
    json_path = ctx.path("deep.json")
    p, rc = h.run_to_end(ctx, ["-i", "0", "--json", json_path, "--", h.workload("deep_stack")])
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = h.load_report(json_path)
    truth, _, _ = h.parse_truth(p.out())
    (proc,) = h.select_procs(report, exe_name="deep_stack")
    h.check_truth(report, [proc], truth)
    depth = deep_stack_symbols(report)
    h.check(len(depth["leak_deep"]) == 64 and set(depth["leak_deep"][1:]) == {"descend"},
            f"deep stack has {len(depth['leak_deep'])} frames, expected 64 "
            f"(leak_deep then descend only): {depth['leak_deep'][:4]}...{depth['leak_deep'][-2:]}")
    h.check(depth["leak_shallow"][:2] == ["leak_shallow", "main"],
            f"shallow stack is {depth['leak_shallow']}")
    h.check(report["health"]["truncated_stacks"] == 1 and report["health"]["stack_errors"] == 0,
            f"truncated_stacks {report['health']['truncated_stacks']}, expected 1 (the deep "
            f"leak), as no stack error; {h.health(report)}")
    cut = {s["frames"][0]["symbol"]: s["truncated"] for s in proc["stacks"] if s["frames"]}
    h.check(cut.get("leak_deep") is True and cut.get("leak_shallow") is False,
            f"truncated marks: {cut}")


def deep_stack_symbols(report):
    """The symbols of the deep_stack workload's two leaking stacks, keyed by the first."""
    (proc,) = h.select_procs(report, exe_name="deep_stack")
    depth = {}
    for s in proc["stacks"]:
        frames = s.get("frames") or []
        if frames and frames[0].get("symbol") in ("leak_deep", "leak_shallow"):
            depth[frames[0]["symbol"]] = [f.get("symbol") for f in frames]
    return depth


def test_debug_mode_records_and_prints_the_whole_deep_stack(ctx):
    # deep_stack recurses 101 times (descend(100) .. descend(0)) before leaking.
    json_path = ctx.path("deep-debug.json")
    p, rc = h.run_to_end(ctx, ["--mode=debug", "-i", "0", "--json", json_path, "--",
                               h.workload("deep_stack")])
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = h.load_report(json_path)
    h.check(report["options"]["stack_depth"] == 128 and report["options"]["frames"] == 0,
            f"debug options {report['options']}")
    deep = deep_stack_symbols(report)["leak_deep"]
    h.check(deep[0] == "leak_deep" and deep.count("descend") == 101 and
            deep[102] == "main", f"debug stack has {len(deep)} frames: {deep[:3]}...{deep[-3:]}")
    h.check(report["health"]["stack_errors"] == 0,
            f"stack_errors {report['health']['stack_errors']} with room for the whole stack")
    text = p.out()
    h.check(len(re.findall(r"^\s+descend\+0x[0-9a-f]+ (?:\(deep_stack\.c:\d+\) )?\(deep_stack\)$", text, re.M)) == 101
            and not re.search(r"more frames?$", text, re.M),
            f"debug text does not print every frame: {text[-1500:]}")


def test_stack_depth_and_frames_cut_what_is_recorded_and_printed(ctx):
    json_path = ctx.path("deep-16.json")
    p, rc = h.run_to_end(ctx, ["--stack-depth=16", "--frames=4", "-i", "0", "--json", json_path,
                               "--", h.workload("deep_stack")])
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = h.load_report(json_path)
    depth = deep_stack_symbols(report)
    h.check(len(depth["leak_deep"]) == 16, f"deep stack has {len(depth['leak_deep'])} frames, "
            "expected --stack-depth=16")
    h.check(depth["leak_shallow"][:2] == ["leak_shallow", "main"],
            f"shallow stack is {depth['leak_shallow']}")
    h.check(report["health"]["truncated_stacks"] == 1,
            f"truncated_stacks {report['health']['truncated_stacks']}, expected 1 (the deep "
            f"leak); {h.health(report)}")
    h.check(report["health"]["stack_errors"] == 0,
            f"a stack cut at --stack-depth is not a stack error: {h.health(report)}")
    text = p.out()
    block = text[text.index("(4099 bytes)"):]
    lines = block.splitlines()[1:7]
    h.check(all("descend" in l or "leak_deep" in l for l in lines[:4]) and
            lines[4].strip() == "... 12 more frames" and lines[5].strip() == "\u2026",
            f"--frames=4 text block of a stack cut at --stack-depth=16: {lines}")


def test_json_dash_writes_only_the_report_to_stdout_demo_leak_exact(ctx):
    # demo_leak writes only to stderr, so stdout must be exactly the JSON report.
    p, rc = h.run_to_end(ctx, ["-i", "0", "--json", "-", "--", h.workload("demo_leak")])
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    out = p.out()
    # Check the report itself even when something else got onto stdout too.
    start = 0 if out.startswith("{") else out.find("\n{") + 1
    h.check(start > 0 or out.startswith("{"), f"no JSON on stdout: {out[:300]!r}")
    path = ctx.path("stdout.json")
    with open(path, "w") as f:
        f.write(out[start:])
    report = h.load_report(path)
    m = p.wait_line(r"^demo_leak: leaked (\d+) bytes in (\d+) blocks from leak_sessions$", 1,
                    stream="err")
    procs = h.select_procs(report, exe_name="demo_leak")
    h.check_truth(report, procs, {"leak_sessions": (int(m[1]), int(m[2]))})
    h.check_holds_nothing(procs, {"cache_put", "handle_request"})
    h.check(start == 0, f"stdout with --json - is not only the JSON report; before it: "
            f"{out[:start]!r}")


def test_json_dash_sends_the_commands_stdout_to_stderr(ctx):
    # stdout promises only the document: the command's own stdout goes to stderr.
    p, rc = h.run_to_end(ctx, ["-i", "0", "-j", "-", "--", "/bin/sh", "-c",
                               "echo from-the-command; echo also-stderr >&2"])
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    out = p.out()
    h.check("from-the-command" not in out.splitlines(),
            f"the command's stdout is in the JSON: {out[:300]!r}")
    path = ctx.path("stdout.json")
    with open(path, "w") as f:
        f.write(out)
    h.load_report(path)
    err = p.err_lines()
    h.check("from-the-command" in err and "also-stderr" in err,
            f"the command's output is not on memvigil's stderr: {err[-6:]}")


def test_jsonl_dash_sends_the_commands_stdout_to_stderr(ctx):
    p, rc = h.run_to_end(ctx, ["-i", "1", "-d", "2", "--jsonl", "-", "--", "/bin/sh", "-c",
                               "echo from-the-command; sleep 5"])
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    path = ctx.path("stdout.jsonl")
    with open(path, "w") as f:
        f.write(p.out())
    lines = h.read_jsonl(path)
    h.check(lines, "no --jsonl lines on stdout")
    h.check("from-the-command" in p.err_lines(),
            f"the command's output is not on memvigil's stderr: {p.err_lines()[-6:]}")


def test_text_report_has_banner_and_leak_malloc_frame(ctx):
    rc, out, err, report = launched_alloc_family(ctx)
    lines = out.splitlines()
    h.check(any(l.startswith("Tracing ") for l in lines), f"no 'Tracing ' banner: {out[:300]!r}")
    h.check(any(re.match(r"^\s+leak_malloc\+0x[0-9a-f]+", l) for l in lines),
            f"no frame line 'leak_malloc+0x...' in the text report: {out[-800:]!r}")
