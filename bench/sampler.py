#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Overhead of libmemvigil-sampler.so with nothing attached to its probes.

    sampler.py [--build BUILD] [--rounds N] [--tight-ops N] [--mix-ops N]
               [--uprobes]

Runs bench/workloads tight (one thread, malloc/free pairs of 16..256 B) and
mix (2 threads, mixed sizes, calloc/realloc, 10% kept) untraced and with the
library preloaded: dormant, sampled (512 KiB) and exact, each started by
MEMVIGIL_SAMPLER_MODE. Two figures per configuration: wall ns/op as the
workload reports it, and CPU ns/op (the workload's own CPU seconds, all
threads, kernel time included, per op), which a loaded machine disturbs
far less. With --uprobes also sampled and exact with uprobes
on the two probe functions, counted by perf (needs root and perf; mounts
tracefs at /sys/kernel/tracing if it is not, adds the uprobes to its
uprobe_events and deletes them afterwards), and, for comparison, exact with
the uprobes one instruction later (the ret, which the kernel cannot turn
into a call). Configurations are interleaved, the order rotated each round;
the table shows median ns/op and the ratio to untraced. Build first: make
all bench-build.
"""

import argparse
import contextlib
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROBES = ("memvigil_sampler_alloc", "memvigil_sampler_free")


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def configs(lib, uprobes):
    """(name, environment, uprobe set or None, share of the ops to run)."""
    rows = [("untraced", {}, None, 1),
            ("preloaded, dormant", {"LD_PRELOAD": lib}, None, 1),
            ("preloaded, sampled 512 KiB", {"LD_PRELOAD": lib, "MEMVIGIL_SAMPLER_MODE": "sampled",
                                            "MEMVIGIL_SAMPLER_PERIOD": "512k"}, None, 1),
            ("preloaded, exact", {"LD_PRELOAD": lib, "MEMVIGIL_SAMPLER_MODE": "exact"}, None, 1)]
    if uprobes:
        rows += [(rows[2][0] + " + uprobes", rows[2][1], "nop5", 1),
                 (rows[3][0] + " + uprobes", rows[3][1], "nop5", 0.02),
                 (rows[3][0] + " + uprobes after the nop", rows[3][1], "ret", 0.02)]
    return rows


def run_once(workload, env, perf_events):
    """ns/op and probe hits of one run. No warm-up (BENCH_WARMUP_MS=0): the
    library has no start-up stall to keep out, and probe hits then count the
    timed loop only (plus the few calls of start-up and exit)."""
    argv = list(workload)
    if perf_events:
        argv = ["perf", "stat", "-x,", "-e", ",".join(perf_events), "--"] + argv
    env = dict(os.environ, BENCH_WARMUP_MS="0", **env)
    p = subprocess.run(argv, env=env, capture_output=True, text=True)
    if p.returncode:
        sys.exit(f"{' '.join(argv)}: exit status {p.returncode}\n{p.stdout}{p.stderr}")
    ns = float(re.search(r"^NS_PER_OP ([0-9.]+)", p.stdout, re.M)[1])
    ops = int(re.search(r"^OPS (\d+)", p.stdout, re.M)[1])
    cpu_ns = float(re.search(r"^CPU_S ([0-9.]+)", p.stdout, re.M)[1]) * 1e9 / ops
    hits = sum(int(x) for x in re.findall(r"^(\d+),", p.stderr, re.M)) if perf_events else 0
    return ns, cpu_ns, hits


TRACEFS = "/sys/kernel/tracing"


def file_offset(lib, sym):
    """File offset of a .dynsym function, for uprobe_events."""
    nm = subprocess.run(["nm", "-D", lib], capture_output=True, text=True, check=True).stdout
    value = int(re.search(rf"^([0-9a-f]+) T {sym}$", nm, re.M)[1], 16)
    sections = subprocess.run(["readelf", "-SW", lib], capture_output=True, text=True,
                              check=True).stdout
    for m in re.finditer(r"\]\s+\S+\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)",
                         sections):
        addr, off, size = (int(m[i], 16) for i in (1, 2, 3))
        if addr <= value < addr + size:
            return value - addr + off
    sys.exit(f"{sym}: no section holds it")


def uprobe_events(line):
    """One line to uprobe_events (os.write: tracefs refuses the seek of a Python append)."""
    fd = os.open(f"{TRACEFS}/uprobe_events", os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


@contextlib.contextmanager
def uprobes(lib):
    """Uprobe events mvsbench:{alloc,free} at the probe functions (nop5) and
    mvsbench:{alloc,free}_ret one instruction later; deleted on the way out."""
    if not os.path.isdir(f"{TRACEFS}/events"):
        subprocess.run(["mount", "-t", "tracefs", "nodev", TRACEFS], check=True)
    names = []
    try:
        for sym, short in zip(PROBES, ("alloc", "free")):
            off = file_offset(lib, sym)
            for name, at in ((short, off), (short + "_ret", off + 5)):
                uprobe_events(f"p:mvsbench/{name} {lib}:{at:#x}")
                names.append(name)
        yield {"nop5": ["mvsbench:alloc", "mvsbench:free"],
               "ret": ["mvsbench:alloc_ret", "mvsbench:free_ret"]}
    finally:
        for name in names:
            uprobe_events(f"-:mvsbench/{name}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--tight-ops", type=int, default=5000000)
    ap.add_argument("--mix-ops", type=int, default=2000000)
    ap.add_argument("--uprobes", action="store_true")
    args = ap.parse_args()
    lib = os.path.join(args.build, "lib/memvigil/libmemvigil-sampler.so")
    wl = os.path.join(args.build, "bench/workloads")
    workloads = [("tight", [os.path.join(wl, "tight")], args.tight_ops, []),
                 ("mix", [os.path.join(wl, "mix")], args.mix_ops, ["2"])]
    rows = configs(lib, args.uprobes)
    print(f"CPU: {cpu_model()}, {os.cpu_count()} CPUs, kernel {os.uname().release}; "
          f"{args.rounds} rounds, medians")
    with (uprobes(lib) if args.uprobes else contextlib.nullcontext({})) as events:
        for wname, cmd, ops, extra in workloads:
            samples = {r[0]: [] for r in rows}
            cpu = {r[0]: [] for r in rows}
            hits = {r[0]: 0 for r in rows}
            for rnd in range(args.rounds):
                for name, env, probes, share in rows[rnd % len(rows):] + rows[:rnd % len(rows)]:
                    argv = cmd + [str(max(1000, int(ops * share)))] + extra
                    ns, cpu_ns, n = run_once(argv, env, events.get(probes))
                    samples[name].append(ns)
                    cpu[name].append(cpu_ns)
                    hits[name] += n
            base = statistics.median(samples["untraced"])
            cpu_base = statistics.median(cpu["untraced"])
            print(f"\n{wname}: {os.path.basename(cmd[0])} N {' '.join(extra)}")
            print(f"{'configuration':46} {'ns/op':>9} {'x':>7} {'min..max':>19} "
                  f"{'CPU ns/op':>10} {'x':>7}{'  probe hits/op' if args.uprobes else ''}")
            for name, _, probes, share in rows:
                s, c = samples[name], statistics.median(cpu[name])
                med = statistics.median(s)
                n_ops = max(1000, int(ops * share)) * args.rounds
                extra_col = f"  {hits[name] / n_ops:14.4f}" if probes else ""
                print(f"{name:46} {med:9.2f} {med / base:7.2f} {min(s):9.2f}..{max(s):<9.2f} "
                      f"{c:10.2f} {c / cpu_base:7.2f}{extra_col}")

if __name__ == "__main__":
    sys.exit(main())
