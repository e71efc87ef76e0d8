# SPDX-License-Identifier: GPL-2.0
"""Leak verdicts on real processes: quick, and honest about what they know.

The metrics are sampled once a second whatever --interval is, so a steady
leak (heap or mappings, exact or sampled) is called `leak` within 10 s of its
first allocation, and --alert=leak_score>... can fire between minute-long
reports. A cache that fills for a few seconds and then churns at a flat
level, and a sawtooth, exact or sampled, are never called `leak`. A stack sampled fewer than 3
times is `too_early` (`early` in text), never `stable`; a window too short
for 3 samples says so once on stderr.

A buffer grown by realloc rises like a leak but holds one young block: it is
`growing`, never `leak` nor `stable`. A process that leaked and exited keeps
its verdict of the end in the final report, however long tracing goes on.

The workloads are tests/workloads/leak_shapes.c (steady at any rate, cache,
mapping, realloc) and sawtooth.c. Observation time is counted from a stack's first
allocation (the final report's duration minus its oldest block's age), so a
slow start of the workload on a loaded machine does not count against the
verdict; nothing here measures how fast memvigil itself runs. The runs last
RUN_S from the banner, which leaves LEAK_WITHIN_S of observation and some
to spare for the workload's start.
"""

import re
import signal

import harness as h

SHAPES = "leak_shapes"
LEAK_WITHIN_S = 10
RUN_S = "12"           # -d counts from the banner, after the probes are loaded
CLOCK_SLACK_S = 0.05    # the report's clock and the stacks' ages are read apart
WHILE_LEAKING = {"too_early", "growing", "leak"}


def traced(ctx, name, workload_argv, extra):
    """memvigil EXTRA --jsonl --json -- WORKLOAD, to its end: (memvigil, process, lines, report)."""
    jsonl, report = ctx.path(f"{name}.jsonl"), ctx.path(f"{name}.json")
    p, rc = h.run_to_end(ctx, extra + ["--jsonl", jsonl, "--json", report, "--"]
                         + workload_argv, timeout=60)
    h.check(rc in (0, 128 + signal.SIGTERM), f"memvigil exited {rc}; {p.describe()}")
    lines = h.read_jsonl(jsonl)
    h.check_jsonl_metrics_match_the_schema(lines)
    rep = h.load_report(report)
    (proc,) = h.select_procs(rep, exe_name=workload_argv[0].rsplit("/", 1)[-1])
    return p, proc, lines, rep


def shape(mode, *args, seconds=30):
    return [h.workload(SHAPES), mode, str(seconds)] + [str(a) for a in args]


def first_alloc_s(rep, stack):
    """When the stack's oldest live block was allocated, in seconds since tracing began."""
    return rep["duration_s"] - stack["oldest_age_s"]


def check_leak_within(timeline, first_s, what, sampled_from_start=True):
    """timeline [(t_s, verdict, score, ...)]: a leak from LEAK_WITHIN_S after first_s on,
    never stable or anything but WHILE_LEAKING; too_early at its first sample when the
    timeline has every sample (the lines are written each second without reports)."""
    seen = [(t, v) for t, v, *_ in timeline]
    h.check(timeline, f"{what}: in no sample")
    due = [(t, v, s) for t, v, s, *_ in timeline
           if t >= first_s + LEAK_WITHIN_S + CLOCK_SLACK_S]
    h.check(due, f"{what}: no sample {LEAK_WITHIN_S} s after its first allocation at "
            f"{first_s:.2f} s: {seen}")
    late = [(t, v, s) for t, v, s in due if v != "leak"]
    h.check(not late, f"{what}: not a leak {LEAK_WITHIN_S} s after its first allocation "
            f"at {first_s:.2f} s: {late}; all: {seen}")
    odd = [(t, v) for t, v in seen if v not in WHILE_LEAKING]
    h.check(not odd, f"{what}: verdicts other than {sorted(WHILE_LEAKING)} while it leaked: "
            f"{odd}")
    h.check(not sampled_from_start or timeline[0][1] == "too_early",
            f"{what}: its first sample says {timeline[0][1]}")


def check_heap_leak(ctx, name, workload_argv, extra, func):
    """The heap stack func leaks: exact bytes at the end (exact mode), leak within 10 s."""
    p, proc, lines, rep = traced(ctx, name, workload_argv, extra)
    stack = h.final_stack(proc, func)
    h.check(stack["verdict"] == "leak", f"{func} ends {stack['verdict']}")
    check_leak_within(h.stack_timeline(lines, func), first_alloc_s(rep, stack), func,
                      sampled_from_start="-i" in extra and extra[extra.index("-i") + 1] == "0")
    return p, proc, rep, stack


def report_sections(text):
    """{report time in s: its text} of every periodic and final text report."""
    return {float(m[1]): m[0] for m in re.finditer(
        r"^(?:---|=== final) report at \+([\d.]+)s.*?(?=^---|^===|\Z)", text, re.M | re.S)}


def stack_verdict_in_text(section, func):
    """The verdict column of the stack whose first frame not inlined is func in one text
    report (lines of functions inlined at the call come first)."""
    m = re.search(r"^  (\S+)\s+(\S+)\s+~?[\d.]+ \w+ \(~?\d+ bytes.*\n"
                  r"(?:\s+\S+ \([^)\n]*\) \[inlined\]\n)*\s+" + func + r"\+",
                  section, re.M)
    h.check(m, f"no stack line for {func} in {section[:1200]!r}")
    return m[1]


@h.clock_bound
def test_verdict_steady_leak_is_leak_within_10s_at_the_default_5s_reports(ctx):
    p, _, rep, stack = check_heap_leak(ctx, "steady5", shape("steady"), ["-d", RUN_S],
                                       "leak_steadily")
    first = first_alloc_s(rep, stack)
    sections = report_sections(p.out())
    h.check(len(sections) >= 3 and min(sections) < 6,
            f"expected reports every 5 s and at the end (default -i 5): {sorted(sections)}")
    for t, text in sorted(sections.items()):
        v = stack_verdict_in_text(text, "leak_steadily")
        h.check(v in ("early", "growing", "leak"),
                f"the text report at +{t}s says {v} for the steady leak")
        h.check(t < first + LEAK_WITHIN_S + CLOCK_SLACK_S or v == "leak",
                f"the text report at +{t}s says {v} for a leak that began at +{first:.2f}s")
    h.check(stack_verdict_in_text(sections[max(sections)], "leak_steadily") == "leak",
            "the final text report does not call the steady leak a leak")


@h.clock_bound
def test_verdict_steady_leak_is_leak_within_10s_without_periodic_reports(ctx):
    _, proc, _, _ = check_heap_leak(ctx, "steady0", shape("steady"), ["-i", "0", "-d", RUN_S],
                                    "leak_steadily")
    h.check(proc["metrics"]["stack_verdicts"]["leak"] >= 1, "the process counts no leak")


@h.clock_bound
def test_verdict_slow_1kib_per_s_leak_is_leak_within_10s(ctx):
    # 128 bytes 8 times a second
    _, _, _, stack = check_heap_leak(ctx, "slow", shape("steady", 128, 8),
                                     ["-i", "0", "-d", RUN_S], "leak_steadily")
    h.check(abs(stack["growth_bytes_per_s"] - 1024) <= 0.1 * 1024,
            f"the leak grows {stack['growth_bytes_per_s']:.0f} B/s, the workload 1024 B/s")


@h.clock_bound
def test_verdict_sampled_steady_leak_is_leak_within_10s(ctx):
    # 2 MiB/s in 32 KiB blocks: at one sample per 64 KiB on average, about 25 samples a second
    check_heap_leak(ctx, "sampled", shape("steady", 32768, 64),
                    ["-i", "0", "-d", RUN_S, "--sample-bytes=64K"], "leak_steadily")


@h.clock_bound
def test_verdict_mapping_leak_is_leak_within_10s_like_a_heap_leak(ctx):
    _, proc, lines, rep = traced(ctx, "mapping", shape("mapping"), ["-i", "0", "-d", RUN_S])
    maps = [s for s in proc["kernel"]["mappings"]["stacks"]
            if any(f.get("symbol") == "map_leak" for f in s["frames"][:4])]
    h.check(len(maps) == 1, f"expected one mapping stack through map_leak: {maps}")
    stack = maps[0]
    h.check(stack.get("verdict") == "leak" and stack["leak_score"] > 0.7,
            f"map_leak's mappings end {stack.get('verdict')} {stack.get('leak_score')}")
    rate = 256 * 1024 * 10
    h.check(abs(stack["growth_bytes_per_s"] - rate) <= 0.1 * rate,
            f"map_leak grows {stack['growth_bytes_per_s']:.0f} B/s, the workload {rate} B/s")
    first = first_alloc_s(rep, stack)
    # The sample lines list heap stacks only; the process's counts include mapping stacks.
    timeline = [(o["t_s"], "leak" if o["metrics"]["stack_verdicts"]["leak"] else "not",
                 o["metrics"]["leak_score"]) for o in lines if o["type"] == "sample"]
    late = [(t, v, s) for t, v, s in timeline if t >= first + LEAK_WITHIN_S + CLOCK_SLACK_S
            and v != "leak"]
    h.check(timeline[-1][0] >= first + LEAK_WITHIN_S and not late,
            f"no leak counted {LEAK_WITHIN_S} s after the first mapping at {first:.2f} s: "
            f"{timeline}")
    h.check(proc["metrics"]["stack_verdicts"]["leak"] == 1 and proc["metrics"]["leak_score"] > 0.7,
            f"process metrics: {proc['metrics']['stack_verdicts']} {proc['metrics']['leak_score']}")


@h.clock_bound
def test_verdict_cache_that_fills_for_6s_then_churns_is_never_leak(ctx):
    _, proc, lines, _ = traced(ctx, "cache", shape("cache"), ["-i", "1", "-d", "20"])
    timeline = h.stack_timeline(lines, "cache_put")
    h.check(len(timeline) >= 15, f"cache_put in only {len(timeline)} samples")
    leaks = [(t, v, s) for t, v, s, *_ in timeline if v == "leak"]
    h.check(not leaks, f"the cache was called a leak: {leaks}")
    h.check(timeline[0][1] == "too_early", f"cache_put's first sample says {timeline[0][1]}")
    stack = h.final_stack(proc, "cache_put")
    h.check(stack["verdict"] == "stable" and stack["outstanding_bytes"] == 48 * 4096,
            f"cache_put ends {stack['verdict']} holding {stack['outstanding_bytes']} bytes, "
            f"expected stable holding {48 * 4096}")
    h.check(proc["metrics"]["stack_verdicts"]["leak"] == 0, "the process counts a leak")


@h.clock_bound
def test_verdict_sampled_cache_that_fills_for_6s_then_churns_is_never_leak(ctx):
    # 4 KiB blocks at one sample per 4 KiB: about 63% of them sampled
    _, proc, lines, _ = traced(ctx, "cache_sampled", shape("cache"),
                               ["-i", "1", "-d", "20", "--sample-bytes=4K"])
    timeline = h.stack_timeline(lines, "cache_put")
    h.check(len(timeline) >= 15, f"cache_put in only {len(timeline)} samples")
    leaks = [(t, v, s) for t, v, s, *_ in timeline if v == "leak"]
    h.check(not leaks, f"the sampled cache was called a leak: {leaks}")
    h.check(proc["metrics"]["stack_verdicts"]["leak"] == 0, "the process counts a leak")


def check_sawtooth_never_leak(ctx, name, extra):
    """sawtooth's 2 MiB block, held 2 s and freed 4 times, is never called a leak."""
    _, proc, lines, _ = traced(ctx, name, [h.workload("sawtooth"), "4", "2", "1"],
                               ["-i", "1"] + extra)
    timeline = h.stack_timeline(lines, "hold_block")
    h.check(timeline, "hold_block is in no sample")
    leaks = [(t, v) for t, v, *_ in timeline if v == "leak"]
    h.check(not leaks, f"the sawtooth was called a leak: {leaks}")
    h.check(all(o["metrics"]["stack_verdicts"]["leak"] == 0 for o in lines
                if o["type"] == "sample"), "a sample counts a leak")


@h.clock_bound
def test_verdict_sawtooth_is_never_leak(ctx):
    check_sawtooth_never_leak(ctx, "saw", [])


@h.clock_bound
def test_verdict_sampled_sawtooth_is_never_leak(ctx):
    check_sawtooth_never_leak(ctx, "saw_sampled", ["--sample-bytes=64K"])


@h.clock_bound
def test_verdict_leak_score_alert_fires_within_10s_between_minute_long_reports(ctx):
    p, proc, _, rep = traced(ctx, "alert60", shape("steady"),
                             ["-i", "60", "-d", RUN_S, "--alert", "leak_score>0.8"])
    fired = [l for l in p.err_lines() if "alert leak_score>0.8 fired" in l]
    h.check(len(fired) == 1, f"expected the alert to fire once: {p.err_lines()}")
    first = first_alloc_s(rep, h.final_stack(proc, "leak_steadily"))
    (alert,) = rep["alerts"]
    h.check(alert["t_s"] <= first + LEAK_WITHIN_S + CLOCK_SLACK_S,
            f"leak_score>0.8 fired at {alert['t_s']} s for a leak that began at {first:.2f} s")


@h.clock_bound
def test_verdict_window_too_short_for_a_verdict_warns_once_and_stays_too_early(ctx):
    p, proc, lines, _ = traced(ctx, "short", shape("steady"),
                               ["-i", "0", "-d", "8", "--window", "1"])
    warned = [l for l in p.err_lines() if "--window" in l and "early" in l]
    h.check(len(warned) == 1, f"expected one warning about the window: {p.err_lines()}")
    timeline = h.stack_timeline(lines, "leak_steadily")
    h.check(len(timeline) >= 2 and all(v == "too_early" for _, v, *_ in timeline),
            f"with a 1 s window every verdict should be too_early: {timeline}")
    h.check(h.final_stack(proc, "leak_steadily")["verdict"] == "too_early",
            "the final report gives a verdict from a 1 s window")


@h.clock_bound
def test_verdict_buffer_grown_by_realloc_is_growing_never_leak_nor_stable(ctx):
    # 256 KiB/s like the steady leak, but each realloc frees the block before it
    _, proc, lines, _ = traced(ctx, "realloc", shape("realloc"), ["-i", "0", "-d", "14"])
    timeline = h.stack_timeline(lines, "grow_buffer")
    h.check(len(timeline) >= 10, f"grow_buffer in only {len(timeline)} samples")
    odd = [(t, v) for t, v, *_ in timeline if v not in ("too_early", "growing")]
    h.check(not odd, f"the growing buffer was called other than growing: {odd}")
    h.check(timeline[-1][1] == "growing" and timeline[0][1] == "too_early",
            f"grow_buffer's verdicts: {[(t, v) for t, v, *_ in timeline]}")
    stack = h.final_stack(proc, "grow_buffer")
    h.check(stack["verdict"] == "growing" and stack["outstanding_allocs"] == 1,
            f"grow_buffer ends {stack['verdict']} in {stack['outstanding_allocs']} blocks")


@h.clock_bound
def test_verdict_leak_that_exited_before_the_trace_ended_stays_leak(ctx):
    # The leak runs 12 s and exits; the shell tracing goes on for 8 s more.
    leak = " ".join(shape("steady", seconds=12))
    report = ctx.path("exited.json")
    p, rc = h.run_to_end(ctx, ["-f", "-i", "0", "--json", report, "--", "sh", "-c",
                               f"{leak} >/dev/null; sleep 8"], timeout=60)
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    (proc,) = h.select_procs(h.load_report(report), exe_name=SHAPES)
    stack = h.final_stack(proc, "leak_steadily")
    h.check(stack["verdict"] == "leak" and proc["metrics"]["stack_verdicts"]["leak"] == 1,
            f"a 12 s leak that exited 8 s before the end reads {stack['verdict']} "
            f"{stack['leak_score']}; the process counts {proc['metrics']['stack_verdicts']}")
