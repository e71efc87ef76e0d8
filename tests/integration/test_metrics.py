# SPDX-License-Identifier: GPL-2.0
"""Integration tests: metrics, verdicts, alerts and --jsonl.

leak_cache_churn's steady leak is called a leak within 60 s while its cache,
once full, is stable and its churn is neither; --alert fires once per
crossing and runs the --on-alert command rate-limited; --jsonl lines follow
docs/report.schema.json; --mode and the MEMVIGIL_* variables give the defaults
the command line overrides.
"""

import json
import os
import re

import harness as h


@h.clock_bound
def test_steady_leak_under_churn_is_leak_within_60s_and_plateaued_cache_stable(ctx):
    json_path, jsonl_path = ctx.path("lcc.json"), ctx.path("lcc.jsonl")
    p, rc = h.run_to_end(ctx, ["-i", "1", "--json", json_path, "--jsonl", jsonl_path, "--",
                               h.workload("leak_cache_churn"), "40"], timeout=55)
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    out = p.out()
    rate = int(re.search(r"^RATE func=leak_steadily bytes_per_s=(\d+)$", out, re.M)[1])
    m = re.search(r"^CACHE func=cache_fill bytes=(\d+) allocs=(\d+) full_after_s=(\d+)$",
                  out, re.M)
    h.check(m, f"leak_cache_churn printed no CACHE line: {out[-300:]!r}")
    cache_bytes, cache_full_s = int(m[1]), int(m[3])
    truth, clean, _ = h.parse_truth(out)
    report = h.load_report(json_path)
    (proc,) = h.select_procs(report, exe_name="leak_cache_churn")
    h.check_truth(report, [proc], truth)
    h.check_holds_nothing([proc], clean)
    lines = h.read_jsonl(jsonl_path)
    h.check_jsonl_metrics_match_the_schema(lines)
    leak = h.stack_timeline(lines, "leak_steadily")
    first_leak = next((t for t, v, *_ in leak if v == "leak"), None)
    h.check(first_leak is not None and first_leak <= 60,
            f"leak_steadily never reached 'leak' within 60 s: {[(t, v, s) for t, v, s, *_ in leak]}")
    fs = h.final_stack(proc, "leak_steadily")
    h.check(fs["verdict"] == "leak", f"final verdict of leak_steadily is {fs['verdict']}")
    h.check(abs(fs["growth_bytes_per_s"] - rate) <= 0.1 * rate,
            f"leak_steadily grows {fs['growth_bytes_per_s']:.0f} B/s, the workload leaks {rate}")
    cache = h.stack_timeline(lines, "cache_fill")
    h.check(not [c for c in cache if c[1] == "leak"],
            f"the cache was called a leak: {[(t, v, s) for t, v, s, *_ in cache if v == 'leak']}")
    fc = h.final_stack(proc, "cache_fill")
    h.check(fc["verdict"] == "stable" and fc["outstanding_bytes"] == cache_bytes,
            f"cache_fill ends {fc['verdict']} holding {fc['outstanding_bytes']} bytes, expected "
            f"stable holding {cache_bytes}")
    late = [c for c in cache if c[0] >= cache_full_s + 30 / 2 + 2]
    h.check(late and all(c[1] == "stable" for c in late),
            f"cache_fill is not stable half a window after it filled: {late}")
    churn = h.stack_timeline(lines, "churn")
    h.check(churn and not [c for c in churn if c[1] == "leak"],
            f"the churn stack was called a leak: {[c for c in churn if c[1] == 'leak'][:5]}")
    growing = [c for c in churn if c[1] == "growing"]
    h.check(len(growing) <= 2, f"the churn stack was 'growing' {len(growing)} times: {growing[:5]}")
    samples = [o for o in lines if o["type"] == "sample"]
    h.check(len(samples) >= 35, f"only {len(samples)} --jsonl samples in 40 s at -i 1")
    metrics = proc["metrics"]
    h.check(metrics and metrics["stack_verdicts"]["leak"] >= 1 and metrics["leak_score"] > 0.7,
            f"process metrics do not show the leak: {json.dumps(metrics)[:400]}")
    h.check("leak " in out and re.search(r"^\s+leak\s+\d\.\d\d\s+40\.0 KiB", out, re.M),
            f"the text report has no 'leak' verdict column for leak_steadily: {out[-900:]!r}")


HOOK = """#!/bin/sh
env | grep '^MEMVIGIL_ALERT_' | sort > "$1.$$"
mv "$1.$$" "$1.done.$$"
"""


@h.clock_bound
def test_alert_fires_exactly_once_per_crossing_and_runs_the_hook_rate_limited(ctx):
    hook, hook_out = ctx.path("hook.sh"), ctx.path("hook-env")
    with open(hook, "w") as f:
        f.write(HOOK)
    os.chmod(hook, 0o755)
    json_path, jsonl_path = ctx.path("saw.json"), ctx.path("saw.jsonl")
    p = h.memvigil(ctx, ["-i", "0.5", "--alert", "heap>1M", "--alert", "leak_score>0.99",
                         "--on-alert", f"{hook} {hook_out}", "--json", json_path,
                         "--jsonl", jsonl_path, "--", h.workload("sawtooth"), "3", "2", "2"])
    p.wait_line(r"^memvigil: alert heap>1M fired", 20, stream="err")
    # Flushed as written: the alert's line is in the file while memvigil still runs.
    h.check(p.alive() and any(o["type"] == "alert" for o in h.read_jsonl(jsonl_path)),
            "the first alert is not in the --jsonl file while memvigil runs (not flushed)")
    rc = p.wait(h.EXIT_TIMEOUT_S)
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    h.check(re.search(r"^CYCLES 3$", p.out(), re.M), f"sawtooth did not finish: {p.out()[-200:]!r}")
    fired = [l for l in p.err_lines() if l.startswith("memvigil: alert ")]
    h.check(len(fired) == 3 and all("heap>1M fired" in l for l in fired),
            f"expected 3 'alert heap>1M fired' lines for 3 crossings, got {fired}")
    report = h.load_report(json_path)
    alerts = report["alerts"]
    h.check([a["alert"] for a in alerts] == ["heap>1M"] * 3,
            f"JSON alerts: {[a['alert'] for a in alerts]}, expected heap>1M 3 times")
    h.check(all(a["value"] >= 2 << 20 and a["threshold"] == 1 << 20 for a in alerts),
            f"alert values/thresholds wrong: {alerts}")
    h.check([a["command_run"] for a in alerts] == [True, False, False]
            and report["health"]["on_alert_skipped"] == 2,
            f"--on-alert ran {[a['command_run'] for a in alerts]}, skipped "
            f"{report['health']['on_alert_skipped']}: expected one run, 2 rate-limited")
    h.check_jsonl_metrics_match_the_schema(h.read_jsonl(jsonl_path))
    jl = [o for o in h.read_jsonl(jsonl_path) if o["type"] == "alert"]
    h.check(len(jl) == 3, f"{len(jl)} alert lines in --jsonl, expected 3")
    done = [f for f in os.listdir(ctx.tmp) if f.startswith("hook-env.done.")]
    h.check(len(done) == 1, f"the hook ran {len(done)} times, expected once: {os.listdir(ctx.tmp)}")
    with open(os.path.join(ctx.tmp, done[0])) as f:
        env = dict(l.rstrip("\n").split("=", 1) for l in f if "=" in l)
    pid = alerts[0]["pid"]
    want = {"MEMVIGIL_ALERT_EXPR": "heap>1M", "MEMVIGIL_ALERT_METRIC": "heap",
            "MEMVIGIL_ALERT_PID": str(pid), "MEMVIGIL_ALERT_COMM": "sawtooth",
            "MEMVIGIL_ALERT_THRESHOLD": str(1 << 20)}
    bad = {k: (env.get(k), v) for k, v in want.items() if env.get(k) != v}
    h.check(not bad, f"hook environment differs (got, expected): {bad}")
    h.check(float(env.get("MEMVIGIL_ALERT_VALUE", 0)) >= 2 << 20,
            f"MEMVIGIL_ALERT_VALUE {env.get('MEMVIGIL_ALERT_VALUE')!r}")


def test_mode_and_environment_defaults_reach_the_report_and_the_command_line_wins(ctx):
    json_path = ctx.path("mode.json")
    p, rc = h.run_to_end(ctx, ["-i", "0", "--json", json_path, "--", h.workload("spin"), "0.2"],
                         env={"MEMVIGIL_MODE": "production", "MEMVIGIL_WINDOW": "120",
                              "MEMVIGIL_INTERVAL": "7", "MEMVIGIL_ALERT": "heap>1G;oom"})
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = h.load_report(json_path)
    o = report["options"]
    h.check(report["sampling"]["period_bytes"] == 512 << 10,
            f"production mode does not sample the heap: {report['sampling']}")
    got = (o["mode"], o["window_s"], o["interval_s"], o["top"], o["alerts"])
    h.check(got == ("production", 120, 0, 5, ["heap>1G", "oom"]),
            f"(mode, window_s, interval_s, top, alerts) = {got}, expected "
            f"('production', 120, 0, 5, ['heap>1G', 'oom'])")
