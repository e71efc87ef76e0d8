# SPDX-License-Identifier: GPL-2.0
"""Integration tests: stacks through code built without frame pointers (--unwind).

The workload nofp_chain is built like a distribution's binaries (-O2, no
frame pointers) and leaks at the bottom of a 26-deep chain; it prints the
chain it took ("CHAIN chain_26 ... chain_01 main"). With unwind tables
(the default, --unwind=auto) the report's stack must name every level in
order up to main; with --unwind=fp the frame-pointer walk must lose it,
which shows the first test can fail.

nofp_mixed is C++ with frame pointers that calls back through a shared
library built without them (libnofp_mid.so) and allocates with operator
new: tables name the library's three frames between the callback and its
caller; the frame-pointer walk skips them.
"""

import os
import re
import shutil

import harness as h


def chain_of(text):
    m = re.search(r"^CHAIN (.+)$", text, re.M)
    h.check(m, f"nofp_chain printed no CHAIN line: {text[-300:]!r}")
    return m[1].split()


def leak_stack(report, proc, first):
    """The symbols of proc's stacks whose first frame is first, and their bytes."""
    stacks = [s for s in proc.get("stacks", [])
              if (s.get("frames") or [{}])[0].get("symbol") == first]
    h.check(stacks, f"no stack starts at {first}; first frames: "
            f"{sorted(h.by_first_frame([proc]), key=str)}; {h.health(report)}")
    return [[f.get("symbol") for f in s["frames"]] for s in stacks]


def run_chain(ctx, extra, name, workload="nofp_chain"):
    """workload traced to its end with memvigil's extra options: memvigil, the report,
    the workload's process in it."""
    json_path = ctx.path(name)
    p, rc = h.run_to_end(ctx, ["-i", "0", "--json", json_path] + extra +
                         ["--", h.workload(workload)])
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = h.load_report(json_path)
    (proc,) = h.select_procs(report, exe_name=workload)
    return p, report, proc


def check_whole_chain(report, proc, out):
    truth, _, _ = h.parse_truth(out)
    h.check_truth(report, [proc], truth)
    chain = chain_of(out)
    for syms in leak_stack(report, proc, chain[0]):
        h.check(syms[:len(chain)] == chain,
                f"stack is {syms}, expected it to begin with the whole chain {chain}; "
                f"{h.health(report)}")
    u = report["health"]["unwind"]
    h.check(u["method"] == "tables" and u["walks"]["end"] >= 7,
            f"expected whole walks through tables: {u}")


def test_unwind_auto_names_every_frame_of_a_chain_without_frame_pointers(ctx):
    p, report, proc = run_chain(ctx, [], "chain-auto.json")
    h.check(report["options"]["unwind"] == "auto", f"options {report['options']}")
    check_whole_chain(report, proc, p.out())


def test_unwind_fp_loses_the_chain_without_frame_pointers(ctx):
    p, report, proc = run_chain(ctx, ["--unwind=fp"], "chain-fp.json")
    h.check(report["options"]["unwind"] == "fp" and
            report["health"]["unwind"]["method"] == "frame_pointers",
            f"options {report['options']}, unwind {report['health']['unwind']}")
    chain = chain_of(p.out())
    for syms in leak_stack(report, proc, chain[0]):
        h.check(syms[:len(chain)] != chain and "chain_01" not in syms,
                f"the frame-pointer walk found the whole chain without frame pointers "
                f"({syms}): the workload is not built as intended")


def test_unwind_fp_walk_cut_short_is_marked_truncated_and_shows_no_garbage_frame(ctx):
    p, report, proc = run_chain(ctx, ["--unwind=fp"], "chain-fp-cut.json")
    chain = chain_of(p.out())
    cut = [s for s in proc["stacks"] if s["frames"] and s["frames"][0]["symbol"] == chain[0]]
    h.check(cut and all(s["truncated"] for s in cut),
            f"stacks the frame-pointer walk lost are not marked truncated: "
            f"{[(s['truncated'], len(s['frames'])) for s in cut]}")
    for s in proc["stacks"]:
        for f in s["frames"]:
            module = os.path.basename(f.get("module") or "")
            h.check(module and not module.startswith("["),
                    f"a frame outside the program's code: {f} in {s['frames']}")
    h.check(report["health"]["truncated_stacks"] >= len(cut),
            f"health counts {report['health']['truncated_stacks']} stacks cut short, "
            f"{len(cut)} shown")
    text = p.out()
    block = text[text.index(chain[0] + "+0x"):].splitlines()
    h.check(any(l.strip() == "\u2026" for l in block[:3]),
            f"no \u2026 line ends the cut stack in text: {block[:3]}")


def test_unwind_dwarf_from_the_environment_names_every_frame(ctx):
    json_path = ctx.path("chain-dwarf.json")
    p, rc = h.run_to_end(ctx, ["-i", "0", "--json", json_path, "--", h.workload("nofp_chain")],
                         env={"MEMVIGIL_UNWIND": "dwarf"})
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = h.load_report(json_path)
    (proc,) = h.select_procs(report, exe_name="nofp_chain")
    h.check(report["options"]["unwind"] == "dwarf", f"options {report['options']}")
    check_whole_chain(report, proc, p.out())


def test_unwind_attach_pid_names_every_frame_of_a_chain_without_frame_pointers(ctx):
    wl = h.spawn_workload(ctx, "nofp_chain", "--wait")
    json_path = ctx.path("chain-pid.json")
    _, report = h.trace_signalled(ctx, wl, json_path)
    (proc,) = h.select_procs(report, pid=wl.pid)
    check_whole_chain(report, proc, wl.out())
    h.check(h.stop(wl) == 0, "nofp_chain did not end cleanly after memvigil detached")


def test_unwind_usage_error_names_the_choices(ctx):
    p, rc = h.run_to_end(ctx, ["--unwind=tables", "--", "/bin/true"])
    h.check(rc == 64, f"memvigil exited {rc} on a bad --unwind, expected 64; {p.describe()}")
    h.check(any("auto, fp or dwarf" in l for l in p.err_lines()),
            f"the error does not name the choices: {p.err_lines()}")


def run_mixed(ctx, extra, name):
    """nofp_mixed traced to its end: its report's process, the chain it printed, its truth."""
    p, report, proc = run_chain(ctx, extra, name, "nofp_mixed")
    truth, _, _ = h.parse_truth(p.out())
    return report, proc, chain_of(p.out()), truth["leak_in_callback"]


def test_unwind_cxx_through_a_library_without_frame_pointers_and_back(ctx):
    report, proc, chain, (nbytes, nallocs) = run_mixed(ctx, [], "mixed-auto.json")
    stacks = [s for s in proc["stacks"] if s["frames"] and
              s["frames"][0].get("symbol") == chain[0]]
    h.check(len(stacks) == 1, f"expected one stack from {chain[0]}, got "
            f"{[[f.get('symbol') for f in s['frames']] for s in stacks]}; {h.health(report)}")
    (s,) = stacks
    syms = [f.get("symbol") for f in s["frames"]]
    h.check(syms[:len(chain)] == chain, f"stack is {syms}, expected it to begin with {chain}")
    h.check(s["allocator"] == "operator new" and
            [s["outstanding_bytes"], s["outstanding_allocs"]] == [nbytes, nallocs],
            f"expected {nbytes} B in {nallocs} blocks via operator new, got "
            f"{s['outstanding_bytes']} B in {s['outstanding_allocs']} via {s['allocator']}")
    lib = [f.get("module", "") for f in s["frames"][1:4]]
    h.check(all(m.endswith("/libnofp_mid.so") for m in lib),
            f"the library frames name the module {lib}")


def test_unwind_library_opened_while_running_gets_its_table_and_whole_stacks(ctx):
    p, report, proc = run_chain(ctx, [], "dlopen.json", "nofp_dlopen")
    truth, _, _ = h.parse_truth(p.out())
    nbytes, nallocs = truth["leak_in_callback"]
    chain = chain_of(p.out())
    stacks = [s for s in proc["stacks"] if s["frames"] and
              s["frames"][0].get("symbol") == chain[0]]
    h.check(sum(s["outstanding_bytes"] for s in stacks) == nbytes and
            sum(s["outstanding_allocs"] for s in stacks) == nallocs,
            f"expected {nbytes} B in {nallocs} blocks from {chain[0]}, got "
            f"{[(s['outstanding_bytes'], s['outstanding_allocs']) for s in stacks]}")
    whole = [s for s in stacks if [f.get("symbol") for f in s["frames"]][:len(chain)] == chain]
    h.check(len(whole) == 1, f"no stack names the whole chain {chain} through the library "
            f"opened with dlopen: {[[f.get('symbol') for f in s['frames']] for s in stacks]}; "
            f"{h.health(report)}")
    # The first walk to meet the library's code, before memvigil has read its table,
    # steps through it by frame pointers (as through code that has no table) and
    # marks the process for its tables to be read again; the walks after are whole
    # (the workload waits a second after its first call, most calls come after).
    h.check(whole[0]["outstanding_allocs"] >= nallocs // 2,
            f"only {whole[0]['outstanding_allocs']} of {nallocs} blocks have whole stacks")
    lib = [f.get("module", "") for f in whole[0]["frames"][1:4]]
    h.check(all(m.endswith("/libnofp_mid.so") for m in lib),
            f"the library frames name the module {lib} (its mapping came after the start)")


def test_unwind_fp_names_the_frames_of_a_library_opened_while_running_from_its_mmap(ctx):
    # Frame pointers only: nothing walks into unknown code, but with --mappings=syscalls
    # the loader's mmap of the library is seen, and its code is named after the exit.
    p, report, proc = run_chain(ctx, ["--unwind=fp", "--mappings=syscalls"], "dlopen-fp.json",
                                "nofp_dlopen")
    chain = chain_of(p.out())
    named = [[(f.get("symbol"), f.get("module") or "") for f in s["frames"]]
             for s in proc["stacks"] if s["frames"] and s["frames"][0].get("symbol") == chain[0]]
    h.check(named and all(len(fr) > 1 and fr[1][0] == "nofp_mid_3" and
                          fr[1][1].endswith("/libnofp_mid.so") for fr in named),
            f"the library's frame is not named nofp_mid_3 in libnofp_mid.so: {named}")


def test_unwind_fp_skips_the_library_frames_without_frame_pointers(ctx):
    report, proc, chain, _ = run_mixed(ctx, ["--unwind=fp"], "mixed-fp.json")
    for s in proc["stacks"]:
        syms = [f.get("symbol") for f in s["frames"]]
        if syms and syms[0] == chain[0]:
            h.check("nofp_mid_2" not in syms,
                    f"the frame-pointer walk named nofp_mid_2 ({syms}): the library is not "
                    "built without frame pointers as intended")
            return
    raise h.Failure(f"no stack starts at {chain[0]}; {h.health(report)}")


def test_unwind_rows_too_few_for_the_c_library_walk_it_by_frame_pointers_and_say_so(ctx):
    # 1024 rows hold nofp_chain's own table (a few hundred), not the C library's (~28k)
    p, report, proc = run_chain(ctx, ["--unwind-rows=1024"], "chain-rows.json")
    u = report["health"]["unwind"]
    h.check(report["options"]["unwind_rows"] == 1024 and u["objects"]["rows_cap"] == 1024,
            f"options {report['options']}, unwind {u}")
    h.check(u["objects"]["refused"]["full"] >= 1,
            f"the C library's table cannot fit 1024 rows, yet none was refused: {u}")
    chain = chain_of(p.out())
    for syms in leak_stack(report, proc, chain[0]):
        h.check(syms[:len(chain)] == chain,
                f"the chain's own table fits, yet its stack is {syms}; {u}")


def test_unwind_rows_out_of_bounds_is_a_usage_error(ctx):
    for bad in ("5", "16777217", "many"):
        p, rc = h.run_to_end(ctx, [f"--unwind-rows={bad}", "--", "/bin/true"])
        h.check(rc == 64 and any("1024 to 16777216" in l for l in p.err_lines()),
                f"--unwind-rows={bad}: exit {rc}, {p.err_lines()}")


def test_unwind_copies_of_one_library_in_two_directories_share_one_table(ctx):
    """Two copies of nofp_mixed and its library (two inodes each, one build id), as two
    containers' image layers hold them: both stacks whole, the copies' tables built once."""
    script = []
    for d in ("a", "b"):
        os.mkdir(ctx.path(d))
        for f in ("nofp_mixed", "libnofp_mid.so"):
            shutil.copy2(os.path.join(os.path.dirname(h.workload("nofp_mixed")), f),
                         ctx.path(f"{d}/{f}"))
        script.append(f"{ctx.path(d)}/nofp_mixed > {ctx.path(d)}.out")
    json_path = ctx.path("copies.json")
    p, rc = h.run_to_end(ctx, ["-f", "-i", "0", "--json", json_path, "--",
                               "sh", "-c", "; ".join(script)])
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = h.load_report(json_path)
    procs = h.select_procs(report, exe_name="nofp_mixed")
    h.check(len(procs) == 2, f"expected both copies traced, got {len(procs)}")
    for d, proc in zip(("a", "b"), sorted(procs, key=lambda q: q["exe"])):
        h.check(proc["exe"].startswith(ctx.path(d) + "/"), f"{proc['exe']} is not in {d}/")
        with open(ctx.path(d) + ".out") as f:
            chain = chain_of(f.read())
        for syms in leak_stack(report, proc, chain[0]):
            h.check(syms[:len(chain)] == chain, f"{d}: stack is {syms}, expected {chain}")
    objects = report["health"]["unwind"]["objects"]
    h.check(objects["tables_shared"] == 2,
            f"expected the second copy's program and library to share the first's "
            f"tables: {objects}")
