# SPDX-License-Identifier: GPL-2.0
"""Integration tests: following children (-f).

fork_leak's children, grandchildren and exec'd images are traced and reported
under their own PIDs, exactly, whether memvigil launched the parent or attached
to it; without -f only the parent is; a fork that gets an exited child's PID
is a new entry.
"""

import os
import re
import signal

import harness as h


def test_follow_reports_leaks_of_forked_children_grandchildren_and_exec(ctx):
    json_path = ctx.path("follow.json")
    mv = h.memvigil(ctx, ["-f", "-v", "-i", "0", "--json", json_path, "--",
                          h.workload("fork_leak")])
    released = h.release_children(mv, 5)
    rc = mv.wait(h.EXIT_TIMEOUT_S)
    h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    h.check(re.search(r"^TRUTH done$", mv.out(), re.M), f"fork_leak did not finish: "
            f"{mv.out()[-300:]!r}")
    report = h.load_report(json_path)
    truth, clean = h.parse_pid_truth(mv.out())
    h.check(len(truth) == 4 and len(clean) == 1, f"expected leaks in 4 processes and one clean "
            f"one, got {sorted(truth)} and {sorted(clean)}")
    h.check_pid_truth(report, truth, clean)
    procs = {p["pid"]: p for p in report["processes"]}
    h.check(released <= set(procs), f"children missing from the report: {released - set(procs)}")
    for pid in released:
        h.check(procs[pid]["exited"] is True and procs[pid]["exit_code"] == 0,
                f"child {pid} not reported as exited with 0: {procs[pid]['exited']!r} "
                f"{procs[pid]['exit_code']!r}")
        h.check(procs[pid].get("parent_pid") in procs,
                f"child {pid} names parent {procs[pid].get('parent_pid')!r}, not a traced pid")
    # A child's baseline is what it had when tracing of it began: nothing.
    for pid in truth:
        heap = procs[pid]["metrics"]["heap"]
        h.check(heap["baseline_bytes"] == 0 and heap["delta_bytes"] == heap["current_bytes"] > 0,
                f"PID {pid} leaked {truth[pid]} but its heap metrics say {heap}")


def test_follow_with_pid_traces_the_children_forked_after_attach(ctx):
    wl = h.spawn_workload(ctx, "fork_leak", "--wait")
    json_path = ctx.path("follow-pid.json")
    mv = h.memvigil(ctx, ["-p", wl.pid, "-f", "-v", "-i", "0", "--json", json_path])
    h.wait_banner(mv)
    os.kill(wl.pid, signal.SIGUSR1)
    h.release_children(mv, 5, out=wl)
    h.check(wl.wait(30) == 0, "fork_leak failed")
    rc = mv.wait(h.EXIT_TIMEOUT_S)       # every traced process has exited
    h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    report = h.load_report(json_path)
    h.check(report["target"] == {"pid": wl.pid, "follow": True}, f"target {report['target']!r}")
    truth, clean = h.parse_pid_truth(wl.out())
    h.check(len(truth) == 4, f"fork_leak truth from {sorted(truth)}, expected 4 processes")
    h.check_pid_truth(report, truth, clean)
    attach = report["health"]["attach"]
    h.check(attach["forks_followed"] == 4 and attach["fork_to_attach_max_ms"] is not None,
            f"health.attach {attach!r}: expected 4 forks followed with their delays")


def test_without_follow_children_are_not_traced(ctx):
    json_path = ctx.path("nofollow.json")
    p, rc = h.run_to_end(ctx, ["-i", "0", "--json", json_path, "--", h.workload("fork_leak"),
                               "--sleep", "50"])
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = h.load_report(json_path)
    h.check(len(report["processes"]) == 1, f"without -f only the command is traced; report has "
            f"{[(x['pid'], x['comm']) for x in report['processes']]}")
    truth, _ = h.parse_pid_truth(p.out())
    (pid,) = [q for q, f in truth.items() if "leak_in_parent" in f]
    h.check_pid_truth(report, {pid: truth[pid]}, {})


def test_follow_fork_that_reuses_an_exited_childs_pid_is_a_new_entry(ctx):
    json_path = ctx.path("follow-reuse.json")
    mv = h.memvigil(ctx, ["-v", "-f", "-i", "0", "--json", json_path, "--",
                          h.workload("pid_reuse")])
    m = mv.wait_line(r"^CHILD (\d+)$", 20)
    pid = int(m[1])
    mv.wait_line(rf"PID {pid} \(forked by \d+\) attached", 20, stream="err")
    os.kill(pid, signal.SIGUSR1)
    # the second child: the same PID, attached as a new process
    mv.wait_line(rf"PID {pid} is a new process", 20, stream="err")
    h.wait_count(mv, rf"PID {pid} \(forked by \d+\) attached", 2, 20)
    os.kill(pid, signal.SIGUSR1)
    rc = mv.wait(h.EXIT_TIMEOUT_S)
    h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    h.check("TRUTH done" in mv.out(), f"pid_reuse did not finish: {mv.out()[-300:]!r}")
    report = h.load_report(json_path)
    procs = [p for p in report["processes"] if p["pid"] == pid]
    h.check(len(procs) == 2, f"{len(procs)} report entries for PID {pid}, expected 2")
    for p, func, nbytes, allocs in ((procs[0], "leak_first", 5 * 333, 5),
                                    (procs[1], "leak_second", 7 * 111, 7)):
        h.check(p["exited"] and p["exit_code"] == 0, f"{func}'s process exited {p['exited']} "
                f"(code {p['exit_code']})")
        got = h.by_first_frame([p])
        h.check(got == {func: [nbytes, allocs]}, f"the process that leaked in {func} shows "
                f"{got}, expected only {func}: {nbytes} bytes in {allocs} allocs")
