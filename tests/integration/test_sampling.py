# SPDX-License-Identifier: GPL-2.0
"""Integration tests: sampled mode (--sample-bytes).

The estimate of sample_mix's leak is within 15 % of the truth through uprobe
sessions and through uretprobes; a period of 1 byte is exact; exact mode on
the same workload is byte-exact; the text report says it shows estimates;
a full table of sampled blocks is counted as lost and shown.
"""

import re
import subprocess

import harness as h


SAMPLE_BYTES = 65536


SAMPLE_TOLERANCE = 0.15


def kernel_has_uprobe_sessions():
    """True if the running kernel's BTF knows the uprobe session attach type (6.13+)."""
    r = subprocess.run(["bpftool", "btf", "dump", "file", "/sys/kernel/btf/vmlinux"],
                       capture_output=True, text=True, timeout=60)
    h.check(r.returncode == 0, f"bpftool btf dump failed: {r.stderr.strip()[:200]}")
    return "'BPF_TRACE_UPROBE_SESSION'" in r.stdout


def run_sample_mix(ctx, name, seconds, extra, env=None):
    """memvigil (extra options) on sample_mix for SECONDS: (report, workload truth, stdout)."""
    json_path = ctx.path(name + ".json")
    p, rc = h.run_to_end(ctx, ["-i", "0", "--json", json_path] + extra +
                         ["--", h.workload("sample_mix"), seconds], timeout=seconds + 40, env=env)
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = h.load_report(json_path)
    truth, clean, _ = h.parse_truth(p.out())
    return report, truth, clean, p.out()


def check_sampled_estimate(report, truth, clean):
    procs = h.select_procs(report, exe_name="sample_mix")
    h.check(report["sampling"] == {"mode": "bytes", "period_bytes": SAMPLE_BYTES},
            f"sampling is {report['sampling']}, expected bytes at {SAMPLE_BYTES}")
    lost = report["health"]["lost_events"]
    h.check(lost == 0, f"{lost} events lost; {h.health(report)}")
    want, allocs = truth["leak_mixed"]
    got = h.by_first_frame(procs).get("leak_mixed", [0, 0])
    err = abs(got[0] - want) / want
    samples = sum(s["samples"]["outstanding"] for p in procs for s in p["stacks"]
                  if s["frames"] and s["frames"][0].get("symbol") == "leak_mixed")
    h.check(err <= SAMPLE_TOLERANCE,
            f"leak_mixed estimated at {got[0]} bytes in {got[1]} allocs from {samples} samples; "
            f"truth {want} bytes in {allocs} allocs: off by {100 * err:.1f}% "
            f"(> {100 * SAMPLE_TOLERANCE:.0f}%)")
    h.check(samples > 100, f"only {samples} samples behind the leak_mixed estimate")
    h.check_holds_nothing(procs, clean)
    # Nothing else holds much: an allocation counted twice (a nested call sampled on
    # its own) would show up here as memory held by no stack of the workload.
    total = sum(p["heap"]["outstanding_bytes"] for p in procs)
    h.check(abs(total - want) / want <= SAMPLE_TOLERANCE,
            f"the process is estimated to hold {total} bytes, the workload leaked {want}")
    return err


@h.clock_bound
@h.alone
def test_sampled_estimate_of_the_leak_is_within_15_percent_over_10s_with_sessions(ctx):
    report, truth, clean, out = run_sample_mix(ctx, "sessions", 10,
                                               ["--sample-bytes=%d" % SAMPLE_BYTES])
    sessions = kernel_has_uprobe_sessions()
    want = "session" if sessions else "uretprobe"
    h.check(report["health"]["return_probe"] == want,
            f"return_probe is {report['health']['return_probe']!r}, expected {want!r} on a kernel "
            f"{'with' if sessions else 'without'} uprobe sessions")
    check_sampled_estimate(report, truth, clean)
    h.check(re.search(r"^Tracing .*sampled every 64\.0 KiB \(figures are estimates\)", out, re.M),
            f"the banner does not say figures are estimates: {out[:300]!r}")


@h.clock_bound
@h.alone
def test_sampled_estimate_through_uretprobes_is_within_15_percent(ctx):
    report, truth, clean, _ = run_sample_mix(ctx, "uretprobes", 5,
                                             ["--sample-bytes=64K"],
                                             env={"MEMVIGIL_TEST_NO_SESSIONS": "1"})
    h.check(report["health"]["return_probe"] == "uretprobe",
            f"return_probe is {report['health']['return_probe']!r} with sessions turned off")
    check_sampled_estimate(report, truth, clean)


@h.alone
def test_exact_mode_on_the_sampling_workload_is_byte_exact(ctx):
    report, truth, clean, out = run_sample_mix(ctx, "exact", 3, [])
    h.check(report["sampling"] == {"mode": "exact", "period_bytes": None},
            f"sampling is {report['sampling']} without --sample-bytes")
    h.check(report["health"]["return_probe"] == "uretprobe", h.health(report))
    procs = h.select_procs(report, exe_name="sample_mix")
    h.check_truth(report, procs, truth)
    h.check_holds_nothing(procs, clean)
    h.check(all("samples" not in s for p in procs for s in p["stacks"]),
            "an exact report carries sample counts")
    h.check("estimate" not in out, "an exact text report speaks of estimates")


def test_sampled_text_report_says_it_shows_estimates_and_the_period(ctx):
    p, rc = h.run_to_end(ctx, ["-i", "0", "--sample-bytes=4K", "--", h.workload("demo_leak")])
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    out = p.out()
    h.check(re.search(r"^=== final report at \+\S+ \(estimates from samples, one per 4\.0 KiB "
                      r"allocated on average\)$", out, re.M), f"no estimate header: {out[-600:]!r}")
    h.check(re.search(r"^PID \d+ \(demo_leak\) \[exited\]: ~", out, re.M),
            f"summary does not mark estimates with ~: {out[-600:]!r}")
    h.check(re.search(r"^  heap ~[\d.]+ \w+, baseline ~[\d.]+ \w+, peak ~[\d.]+ \w+, "
                      r"delta ~[+-]", out, re.M), f"heap line without ~: {out[-900:]!r}")
    h.check(re.search(r"^  heap growth (~[+-][\d.]+ \w+/s = ~|unknown)", out, re.M),
            f"heap growth line without ~: {out[-900:]!r}")


def check_period_1_is_exact(ctx, name, env):
    """At --sample-bytes=1 every block of 23 bytes or more is sampled with weight 1: the
    nested-call guard, realloc's old blocks and the kernel's free matching must then
    give alloc_family's exact truth."""
    json_path = ctx.path(name + ".json")
    p, rc = h.run_to_end(ctx, ["-i", "0", "--json", json_path, "--sample-bytes=1", "--",
                               h.workload("alloc_family")], env=env)
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = h.load_report(json_path)
    truth, clean, _ = h.parse_truth(p.out())
    procs = h.select_procs(report, exe_name="alloc_family")
    h.check_truth(report, procs, truth)
    h.check_holds_nothing(procs, clean)
    return report


def test_sampling_every_byte_gives_alloc_familys_exact_truth_through_sessions(ctx):
    report = check_period_1_is_exact(ctx, "sessions", None)
    want = "session" if kernel_has_uprobe_sessions() else "uretprobe"
    h.check(report["health"]["return_probe"] == want, h.health(report))


def test_sampling_every_byte_gives_alloc_familys_exact_truth_through_uretprobes(ctx):
    report = check_period_1_is_exact(ctx, "uretprobes", {"MEMVIGIL_TEST_NO_SESSIONS": "1"})
    h.check(report["health"]["return_probe"] == "uretprobe", h.health(report))


@h.alone
def test_full_table_of_sampled_blocks_is_counted_as_lost_and_shown(ctx):
    json_path = ctx.path("full.json")
    p, rc = h.run_to_end(ctx, ["-i", "0", "--json", json_path, "--sample-bytes=4K",
                               "--sample-max-live=16", "--", h.workload("sample_mix"), "1"],
                         timeout=60)
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = h.load_report(json_path)
    hlth = report["health"]
    full = hlth["lost"]["sampled_full"]
    h.check(full > 0, f"a 16-entry table held every sampled leak block; {h.health(report)}")
    h.check(hlth["lost_events"] == sum(hlth["lost"].values()), f"lost_events is not the sum; {h.health(report)}")
    m = re.search(r"\| lost (\d+) \| via uprobes, sampled$", p.out(), re.M)
    h.check(m and int(m[1]) >= full, f"the text report does not show the losses: {p.out()[-400:]!r}")


@h.alone
def test_sampled_jsonl_gives_the_json_reports_estimates_as_integers(ctx):
    # The last --jsonl line of a process is written with the final report, from the
    # same model: its counts must be the report's estimates, not raw sample sums.
    jsonl_path, json_path = ctx.path("sampled.jsonl"), ctx.path("sampled.json")
    p, rc = h.run_to_end(ctx, ["-i", "0", "-d", "6", "--sample-bytes", str(SAMPLE_BYTES),
                               "--json", json_path, "--jsonl", jsonl_path, "--",
                               h.workload("sample_mix"), "60"])
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    (proc,) = h.select_procs(h.load_report(json_path), exe_name="sample_mix")
    last = [o for o in h.read_jsonl(jsonl_path) if o["type"] == "sample" and
            o["pid"] == proc["pid"]][-1]
    heap = proc["heap"]
    h.check(heap["samples"]["outstanding"] * 2 < heap["outstanding_allocs"],
            f"too few unsampled blocks to tell estimates from samples: {heap}")
    h.check(last["heap_outstanding_allocs"] == heap["outstanding_allocs"] and
            last["heap_total_allocs"] == heap["total_allocs"],
            f"--jsonl says {last['heap_outstanding_allocs']} outstanding of "
            f"{last['heap_total_allocs']} allocs, the report {heap['outstanding_allocs']} of "
            f"{heap['total_allocs']} (samples: {heap['samples']['outstanding']})")
    h.check(abs(last["metrics"]["heap"]["current_bytes"] - heap["outstanding_bytes"]) <= 1,
            f"--jsonl heap {last['metrics']['heap']['current_bytes']}, report "
            f"{heap['outstanding_bytes']}")
    in_report = {(s["outstanding_bytes"], s["outstanding_allocs"]) for s in proc["stacks"]}
    lines = [(s["outstanding_bytes"], s["outstanding_allocs"]) for s in last["stacks"]]
    h.check(lines and set(lines) <= in_report,
            f"--jsonl stacks {lines[:4]} are not the report's estimates "
            f"{sorted(in_report, reverse=True)[:4]}")
