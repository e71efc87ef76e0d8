# SPDX-License-Identifier: GPL-2.0
"""Integration tests: attaching to a running process (-p PID).

Exact leaks of a process traced from the middle of its run; memvigil ends when
the process exits or after -d and leaves it running; SIGUSR1 prints a report
more; SIGKILL leaves no BPF program behind and the process runs on.
"""

import os
import signal
import time

import harness as h


def test_attach_pid_alloc_family_leaks_exact_bytes_and_counts(ctx):
    wl = h.spawn_workload(ctx, "alloc_family", "--wait")
    pid = wl.pid
    json_path = ctx.path("attach.json")
    mv = h.memvigil(ctx, ["-p", pid, "--json", json_path, "-i", "0"])
    h.wait_banner(mv)
    os.kill(pid, signal.SIGUSR1)
    wl.wait_line(r"^TRUTH done$", 20)
    time.sleep(0.3)
    rc = h.stop(mv)
    h.check(rc == 0, f"memvigil exited {rc} after SIGTERM; {mv.describe()}")
    report = h.load_report(json_path)
    (proc,) = h.select_procs(report, pid=pid)
    h.check(proc.get("exited") is False, f"running process reported exited={proc.get('exited')!r}")
    truth, clean, _ = h.parse_truth(wl.out())
    h.check_truth(report, [proc], truth)
    h.check_holds_nothing([proc], clean)
    h.check(wl.alive(), "the traced process died while memvigil detached")
    wrc = h.stop(wl)
    h.check(wrc == 0, f"alloc_family exited {wrc} after memvigil detached, expected 0")


def test_attach_stops_by_itself_when_the_process_exits(ctx):
    # long enough that memvigil, slow to load on a busy machine, attaches before the exit
    wl = h.spawn_workload(ctx, "spin", "4")
    mv = h.memvigil(ctx, ["-p", wl.pid, "-i", "0"])
    h.wait_banner(mv)
    h.check(wl.wait(10) == 0, "spin did not exit 0")
    rc = mv.wait(10)
    h.check(rc == 0, f"memvigil exited {rc} when the traced process exited; {mv.describe()}")
    h.check("=== final report" in mv.out(), f"no final report: {mv.out()[-300:]!r}")


def test_duration_ends_tracing_and_leaves_the_process_running(ctx):
    wl = h.spawn_workload(ctx, "spin", "60")
    mv = h.memvigil(ctx, ["-p", wl.pid, "-i", "0", "-d", "1"])
    h.wait_banner(mv)
    rc = mv.wait(15)
    h.check(rc == 0, f"memvigil -d 1 exited {rc}; {mv.describe()}")
    time.sleep(0.2)
    h.check(wl.alive(), "the traced process died when memvigil's duration ended")


def test_sigusr1_prints_an_extra_report_while_tracing(ctx):
    wl = h.spawn_workload(ctx, "spin", "60")
    mv = h.memvigil(ctx, ["-p", wl.pid, "-i", "0"])
    h.wait_banner(mv)
    for n in (1, 2):
        mv.signal(signal.SIGUSR1)
        deadline = time.monotonic() + 10
        while mv.out().count("--- report at") < n:
            h.check(time.monotonic() < deadline and mv.alive(),
                    f"no report #{n} after SIGUSR1; stdout {mv.out()[-300:]!r}")
            time.sleep(0.05)
    rc = h.stop(mv)
    h.check(rc == 0, f"memvigil exited {rc} after SIGTERM; {mv.describe()}")
    out = mv.out()
    h.check(out.count("--- report at") == 2 and out.count("=== final report") == 1,
            f"expected 2 reports on SIGUSR1 and 1 final report, stdout: {out[-600:]!r}")
    h.check(wl.alive(), "the traced process died")


@h.alone
def test_sigkill_leaves_nothing_attached_and_the_target_runs_on(ctx):
    before = set(h.bpf_trace_progs())
    wl = h.spawn_workload(ctx, "spin", "3")
    mv = h.memvigil(ctx, ["-p", wl.pid, "-i", "0"])
    h.wait_banner(mv)
    h.check(h.leftover_progs(before) == {} and len(set(h.bpf_trace_progs()) - before) > 0,
            "memvigil printed its banner but holds no BPF program")
    mv.signal(signal.SIGKILL)
    mv.wait(10)
    left = h.wait_progs_gone(before, 5)
    h.check(not left, f"BPF programs still loaded 5 s after SIGKILL: {left}")
    h.check(wl.alive(), "the traced process died with memvigil")
    h.check(wl.wait(15) == 0, "the traced process did not exit normally after memvigil was killed")
