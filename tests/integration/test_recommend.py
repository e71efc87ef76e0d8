# SPDX-License-Identifier: GPL-2.0
"""Integration tests: recommendations (docs/recommendations.md) on real workloads.

A steady leak gets the leak recommendation naming its function, with the
blocks it never freed, in the JSON report and the text report; a cache that
fills and then churns at a flat level gets neither a leak nor a growth
recommendation.
"""

import re

import harness as h

SHAPES = "leak_shapes"


def traced(ctx, name, mode, seconds):
    """leak_shapes MODE SECONDS traced to its end: (its process in the JSON, text, truth)."""
    json_path = ctx.path(name + ".json")
    p, rc = h.run_to_end(ctx, ["-i", "0", "-j", json_path, "--", h.workload(SHAPES), mode,
                               str(seconds)])
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    report = h.load_report(json_path)
    (proc,) = h.select_procs(report, exe_name=SHAPES)
    truth, _, _ = h.parse_truth(p.out())
    return proc, p.out(), truth


@h.clock_bound
def test_recommend_a_steady_leak_names_its_site_and_the_blocks_never_freed(ctx):
    proc, text, truth = traced(ctx, "steady", "steady", 12)
    nbytes, allocs = truth["leak_steadily"]
    recs = proc["recommendations"]
    leaks = [r for r in recs if r["rule"] == "leak"]
    h.check(leaks, f"no leak recommendation: {recs}; verdicts {proc['metrics']}")
    want = "leak at leak_steadily: +"
    h.check(leaks[0]["text"].startswith(want) and leaks[0]["severity"] == "warning",
            f"the leak recommendation is {leaks[0]}, expected a warning starting {want!r}")
    h.check(f", {allocs:,} blocks never freed (" in leaks[0]["text"],
            f"{leaks[0]['text']!r} does not count the {allocs} blocks leak_steadily kept")
    h.check(re.search(r"^  advice: \[warning\] leak at leak_steadily: \+\S+ \S+/min for ",
                      text, re.M), f"the text report has no leak advice: {text[-1500:]!r}")


@h.clock_bound
def test_recommend_a_cache_that_plateaus_gets_no_leak_or_growth_advice(ctx):
    proc, text, _ = traced(ctx, "cache", "cache", 16)
    rules = [r["rule"] for r in proc["recommendations"]]
    h.check(not {"leak", "heap_growing"} & set(rules),
            f"a plateauing cache got {proc['recommendations']}")
    h.check(not re.search(r"^  advice: .*(leak|heap growing)", text, re.M),
            f"the text report advises about the cache: {text[-1500:]!r}")
