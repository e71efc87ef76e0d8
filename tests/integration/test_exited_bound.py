# SPDX-License-Identifier: GPL-2.0
"""Integration tests: --keep-exited, the bound on exited processes kept.

exit_churn forks twelve short-lived children one after another, each leaking
a little but the last, which frees all it allocates; memvigil follows them
with --keep-exited=4. The report keeps the four exited processes most worth
keeping (the clean child goes first, then the oldest exits), health counts
the others as dropped, and what they leaked is still in the totals. A
recording of that trace replays to the same report, drops included. Bad
values of the option get one line and exit status 64.
"""

import re

import harness as h
import test_record as rec

CHILDREN = 12
KEEP = 4
EX_USAGE = 64


def trace_churn(ctx, extra=()):
    """memvigil -f --keep-exited=KEEP over exit_churn: (the Proc, its JSON report)."""
    json_path = ctx.path("churn.json")
    mv = h.memvigil(ctx, ["-f", "-v", "-i", "0", f"--keep-exited={KEEP}", "--json", json_path,
                          *extra, "--", h.workload("exit_churn"), CHILDREN])
    h.release_children(mv, CHILDREN)
    rc = mv.wait(h.EXIT_TIMEOUT_S)
    h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    h.check(re.search(r"^TRUTH done$", mv.out(), re.M), f"exit_churn did not finish: "
            f"{mv.out()[-300:]!r}")
    return mv, h.load_report(json_path)


def exit_order(text):
    """The children in the order they exited (forked, one at a time), then the parent."""
    children = [int(x) for x in re.findall(r"^CHILD (\d+)$", text, re.M)]
    (parent,) = [int(x) for x in re.findall(r"^TRUTH pid=(\d+) func=leak_in_parent", text, re.M)]
    return children + [parent]


def test_report_keeps_at_most_n_exited_the_most_worth_keeping(ctx):
    mv, report = trace_churn(ctx)
    order = exit_order(mv.out())
    truth, clean = h.parse_pid_truth(mv.out())
    h.check(len(order) == CHILDREN + 1 and len(truth) == CHILDREN and len(clean) == 1,
            f"exit_churn said {len(order)} processes, {len(truth)} leaking, {len(clean)} clean")
    procs = report["processes"]
    h.check(all(p["exited"] for p in procs), "a running process in the final report")
    h.check(len(procs) == KEEP, f"{len(procs)} exited processes reported, expected {KEEP}: "
            f"{[p['pid'] for p in procs]}")
    # The clean child went first though it exited last but one; then the oldest exits.
    want = [pid for pid in order if pid not in clean][-KEEP:]
    h.check(sorted(p["pid"] for p in procs) == sorted(want), f"kept {[p['pid'] for p in procs]}, expected "
            f"the last {KEEP} that exited holding heap: {want}")
    h.check_pid_truth(report, {pid: truth[pid] for pid in want}, {})
    health = report["health"]
    followed = health["attach"]["forks_followed"]
    h.check(followed == CHILDREN, f"{followed} forks followed, expected {CHILDREN}")
    h.check(health["exited_dropped"] == CHILDREN + 1 - KEEP,
            f"health.exited_dropped {health['exited_dropped']}, expected {CHILDREN + 1 - KEEP}")
    # What the dropped processes held is not lost from the totals.
    leaked = sum(b for funcs in truth.values() for b, _ in funcs.values())
    kept = sum(p["heap"]["outstanding_bytes"] for p in procs)
    dropped = health["dropped_heap"]["outstanding_bytes"]
    h.check(kept + dropped == leaked, f"outstanding {kept} kept + {dropped} dropped != "
            f"{leaked} leaked by all")
    line = re.search(r"^(\d+) exited processes dropped \(--keep-exited\), holding (.*) at exit$",
                     mv.out(), re.M)
    h.check(line and int(line[1]) == CHILDREN + 1 - KEEP,
            f"no text line saying {CHILDREN + 1 - KEEP} were dropped: {mv.out()[-800:]!r}")


def test_keep_none_reports_no_exited_process(ctx):
    json_path = ctx.path("none.json")
    p, rc = h.run_to_end(ctx, ["-i", "0", "--keep-exited=0", "--json", json_path, "--",
                               h.workload("exit_churn"), 2, "--no-wait"])
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = h.load_report(json_path)
    h.check(report["processes"] == [], f"--keep-exited=0 kept "
            f"{[x['pid'] for x in report['processes']]}")
    h.check(report["health"]["exited_dropped"] == 1, f"{report['health']['exited_dropped']} "
            f"dropped, expected the command alone (not followed)")
    h.check(report["options"]["keep_exited"] == 0, f"options {report['options']!r}")


def test_replay_of_a_trace_with_drops_drops_the_same(ctx):
    record = ctx.path("churn.mvr")
    folded = ctx.path("churn.folded")
    mv, _ = trace_churn(ctx, ["--record", record, "--folded", folded])
    rec.check_replay_matches(ctx, mv.out(), record, ctx.path("churn.json"), folded,
                             ["leak_in_child", "leak_in_parent"])


def test_bad_keep_exited_values_get_one_line(ctx):
    wl = h.spawn_workload(ctx, "spin", "30")
    for args, env in (([f"--keep-exited=-1"], None), (["--keep-exited=many"], None),
                      (["--keep-exited=1000001"], None), (["--keep-exited="], None),
                      ([], {"MEMVIGIL_KEEP_EXITED": "1.5"})):
        p, rc = h.run_to_end(ctx, args + ["-p", wl.pid], env=env)
        what = " ".join(args) or str(env)
        try:
            line = h.assert_one_line_error(p, rc, EX_USAGE)
        except h.Failure as e:
            raise h.Failure(f"{what}: {e}")
        h.check("keep-exited" in line.lower() or "KEEP_EXITED" in line,
                f"{what}: error does not name the option: {line!r}")
        h.check("Tracing " not in p.out(), f"{what}: memvigil attached anyway")
    h.check(wl.alive(), "target harmed")
