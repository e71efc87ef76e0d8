#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Write a large memvigil JSON report, to load the HTML report at scale.

    gen_report.py [--processes N] [--stacks M] [--depth D] [--seed S] OUT.json

N processes (default 100) with M stacks each (default 100: 10,000 stacks in
all), D frames per stack (default 24) drawn from a pool of shared call paths
so the flame graph has a real tree to merge, a full timeline (240 points) per
process, and an alert every tenth process. The shape of every object comes
from the writers' golden report (tests/unit/data/golden/report_exact.json),
so the output follows docs/report.schema.json as the real writer does.
Pure standard library; deterministic for a given seed.
"""

import argparse
import copy
import json
import os
import random

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMPLATE = os.path.join(ROOT, "tests", "unit", "data", "golden", "report_exact.json")
POINTS = 240
VERDICTS = ["leak", "growing", "stable", "stable", "stable", "freed", "too_early"]


def load_template():
    with open(TEMPLATE) as f:
        return json.loads(f.read().replace("@MV_VERSION@", "0.0.0"))


def frame(rng, name, module):
    return {"addr": "0x%x" % rng.randrange(0x400000, 0x7fffffffffff), "symbol": name,
            "offset": rng.randrange(0, 0x400), "module": module, "inlined": False}


def make_stacks(rng, template, count, depth):
    """count stacks, largest first: paths share outer frames, differ near the leaf."""
    mods = ["/usr/bin/server", "/usr/lib/x86_64-linux-gnu/libc.so.6",
            "/usr/lib/x86_64-linux-gnu/libssl.so.3", "/opt/app/lib/libcache.so"]
    roots = [[frame(rng, f"layer{d}_{r}", mods[d % len(mods)]) for d in range(depth)]
             for r in range(8)]
    stacks = []
    for i in range(count):
        path = copy.deepcopy(rng.choice(roots))
        cut = rng.randrange(depth // 3, depth)
        for d in range(cut, depth):
            path[d] = frame(rng, f"fn_{rng.randrange(400)}_{d}", mods[rng.randrange(len(mods))])
        s = copy.deepcopy(template)
        size = rng.choice([16, 32, 64, 256, 1024, 4096, 65536])
        allocs = rng.randrange(1, 5000)
        s.update(outstanding_bytes=size * allocs, outstanding_allocs=allocs,
                 total_allocs=allocs * rng.randrange(1, 10), oldest_age_s=rng.uniform(0, 600),
                 verdict=rng.choice(VERDICTS), leak_score=round(rng.random(), 3),
                 growth_bytes_per_s=rng.uniform(-1e4, 1e5))
        s["total_bytes"] = s["total_allocs"] * size
        s["frames"] = list(reversed(path))   # innermost first
        stacks.append(s)
    stacks.sort(key=lambda s: -s["outstanding_bytes"])
    return stacks


def make_timeline(rng, duration_s, heap_end):
    t = [round(duration_s * (i + 1) / POINTS, 3) for i in range(POINTS)]
    base = rng.randrange(8 << 20, 64 << 20)
    heap = [round(heap_end * (i + 1) / POINTS) for i in range(POINTS)]
    levels = ["low"] * (POINTS - 30) + ["medium"] * 20 + ["high"] * 10
    return {"samples_per_point": 4, "t_s": t, "heap_bytes": heap,
            "rss_bytes": [base + h + rng.randrange(0, 1 << 20) for h in heap],
            "mapped_bytes": [rng.randrange(0, 4 << 20) for _ in t],
            "minor_faults_per_s": [rng.uniform(0, 500) for _ in t],
            "major_faults_per_s": [rng.uniform(0, 3) for _ in t],
            "psi_some_avg10": [rng.uniform(0, 20) for _ in t],
            "limit_bytes": [2 << 30] * POINTS, "pressure": levels}


def make_report(nprocs, nstacks, depth, seed):
    rng = random.Random(seed)
    r = load_template()
    proc_t, stack_t = r["processes"][0], r["processes"][0]["stacks"][0]
    duration = 960.0
    r["duration_s"] = duration
    r["processes"], r["alerts"] = [], []
    for i in range(nprocs):
        p = copy.deepcopy(proc_t)
        p.update(pid=1000 + i, comm=f"worker-{i}", exe="/usr/bin/server")
        p["stacks"] = make_stacks(rng, stack_t, nstacks, depth)
        out = sum(s["outstanding_bytes"] for s in p["stacks"])
        allocs = sum(s["outstanding_allocs"] for s in p["stacks"])
        p["heap"].update(outstanding_bytes=out, outstanding_allocs=allocs,
                         total_allocs=allocs * 3, total_frees=allocs * 2,
                         peak_outstanding_bytes=out, total_bytes=out * 3)
        p["timeline"] = make_timeline(rng, duration, out)
        if i % 10 == 0:
            r["alerts"].append({"time": "2026-01-02T03:12:05Z", "t_s": duration / 2,
                                "pid": p["pid"], "comm": p["comm"], "alert": "heap>1G",
                                "metric": "heap", "value": 1.5e9, "threshold": 1 << 30,
                                "command_run": False})
        r["processes"].append(p)
    r["cgroups"][0]["pids"] = [p["pid"] for p in r["processes"]]
    r["cgroups"] = r["cgroups"][:1]
    for p in r["processes"]:
        p["cgroup"] = r["cgroups"][0]["path"]
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--processes", type=int, default=100)
    ap.add_argument("--stacks", type=int, default=100, help="per process")
    ap.add_argument("--depth", type=int, default=24)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("out")
    a = ap.parse_args()
    report = make_report(a.processes, a.stacks, a.depth, a.seed)
    with open(a.out, "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
