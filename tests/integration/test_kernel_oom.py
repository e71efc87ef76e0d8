# SPDX-License-Identifier: GPL-2.0
"""Integration tests: memory pressure (PSI) and OOM kills.

OOM kills in a memory-limited cgroup are reported with the victim's top stack,
in the report, as --jsonl lines and as oom alerts; RSS growth, mapped growth
and pressure feed their alerts; an absent pressure file is reported as
unavailable, not as an error.
"""

import json
import os
import re
import signal
import time

import harness as h


def test_absent_pressure_file_is_reported_unavailable_not_an_error(ctx):
    out = ctx.path("nopsi.json")
    wl = h.spawn_workload(ctx, "spin", "60")
    mv = h.memvigil(ctx, ["-p", wl.pid, "-i", "0", "-d", "1.5", "-j", out],
                    env={"MEMVIGIL_PSI_PATH": "/nonexistent/pressure/memory"})
    rc = mv.wait(20)
    h.check(rc == 0, f"memvigil exited {rc} without PSI; {mv.describe()}")
    h.check(not [l for l in mv.err_lines() if l.strip()], f"stderr not empty: {mv.err_lines()}")
    report = h.load_report(out)
    h.check(report["system"]["psi"] == {"available": False}, f"psi: {report['system']['psi']}")
    h.check("system memory PSI: unavailable" in mv.out(), "the text report does not say PSI is unavailable")


class MemCgroup:
    """A memory-limited cgroup (v1 memory controller here, v2 where it has memory); removed on exit."""

    def __init__(self, limit_bytes):
        mounts = open("/proc/mounts").read().splitlines()
        v1 = [l.split()[1] for l in mounts if l.split()[2] == "cgroup"
              and "memory" in l.split()[3].split(",")]
        v2 = [l.split()[1] for l in mounts if l.split()[2] == "cgroup2"]
        self.path = None
        name = f"memvigil-test-{os.getpid()}-{time.monotonic_ns()}"
        if v2 and "memory" in open(os.path.join(v2[0], "cgroup.controllers")).read().split():
            self.path, self.limit, self.procs = os.path.join(v2[0], name), "memory.max", "cgroup.procs"
        elif v1:
            self.path, self.limit, self.procs = (os.path.join(v1[0], name), "memory.limit_in_bytes",
                                                 "cgroup.procs")
        else:
            raise h.Failure("no memory cgroup controller is mounted (v1 or v2)")
        os.mkdir(self.path)
        try:
            with open(os.path.join(self.path, self.limit), "w") as f:
                f.write(str(limit_bytes))
            swap = os.path.join(self.path, "memory.swap.max")
            if os.path.exists(swap):
                with open(swap, "w") as f:
                    f.write("0")
        except Exception:
            self.remove()
            raise

    def preexec(self):
        path = os.path.join(self.path, self.procs)

        def enter():
            with open(path, "w") as f:
                f.write(str(os.getpid()))
        return enter

    def remove(self):
        if not self.path:
            return
        for _ in range(100):
            try:
                pids = open(os.path.join(self.path, self.procs)).read().split()
            except OSError:
                pids = []
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                os.rmdir(self.path)
                self.path = None
                return
            except OSError:
                time.sleep(0.05)
        raise h.Failure(f"could not remove the test cgroup {self.path}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def test_oom_kills_in_a_limited_cgroup_are_reported_with_the_victims_top_stack(ctx):
    limit = 64 << 20
    with MemCgroup(limit) as cg:
        traced = ctx.spawn([h.workload("kmem"), "hog"], preexec_fn=cg.preexec())
        tpid = int(traced.wait_line(r"^READY (\d+)", 10)[1])
        other = ctx.spawn([h.workload("kmem"), "hog"], preexec_fn=cg.preexec())
        opid = int(other.wait_line(r"^READY (\d+)", 10)[1])
        out = ctx.path("oom.json")
        mv = h.memvigil(ctx, ["-p", tpid, "-i", "0", "-j", out])
        h.wait_banner(mv)
        time.sleep(1.2)                   # a kernel sample: the traced process's memcg is known
        os.kill(opid, signal.SIGUSR1)     # the untraced hog is killed first
        h.check(other.wait(30) is not None, "the untraced hog was not killed")
        mv.wait_line(rf"^OOM kill at \+\S+: PID {opid} ", 10)
        os.kill(tpid, signal.SIGUSR1)
        rc = mv.wait(40)
        h.check(rc == 0, f"memvigil exited {rc} after its target was OOM-killed; {mv.describe()}")
    report = h.load_report(out)
    kills = {k["pid"]: k for k in report["system"]["oom_kills"]}
    h.check(opid in kills and tpid in kills, f"OOM kills reported: {list(kills)}, want {opid}, {tpid}")
    o, t = kills[opid], kills[tpid]
    h.check(not o["victim_traced"] and o["cgroup_peer_pid"] == tpid, f"untraced victim: {o}")
    h.check(t["victim_traced"] and t["comm"] == "kmem", f"traced victim: {t}")
    h.check(t["memcg"]["limit_bytes"] == limit, f"limit at the kill: {t['memcg']}")
    h.check(t["rss"]["anon_bytes"] > limit // 2, f"victim RSS at the kill: {t['rss']}")
    h.check(t["stacks"] and any(f["symbol"] == "hog_memory" for f in t["stacks"][0]["frames"][:4]),
            f"the victim's top stack is not hog_memory: {t['stacks'][:1]}")
    h.check(t["stacks"][0]["outstanding_bytes"] >= limit // 2,
            f"top stack holds {t['stacks'][0]['outstanding_bytes']} bytes")
    text = mv.out()
    h.check(re.search(rf"^OOM kill at \+\S+: PID {tpid} \(kmem\) \[traced\]", text, re.M),
            f"no OOM event line for the traced victim: {text[-1200:]}")
    h.check(re.search(r"^\s+hog_memory\+0x", text, re.M), "the OOM event line has no hog_memory frame")
    proc = report["processes"][0]
    h.check(proc["kernel"]["oom_kills"] == 1 and proc["exit_signal"] == signal.SIGKILL,
            f"process: oom_kills {proc['kernel']['oom_kills']}, exit_signal {proc['exit_signal']}")
    h.check(proc["kernel"]["reclaim"]["stalls"] > 0,
            f"no reclaim stall before the OOM kill: {proc['kernel']['reclaim']}")


def last_sample_before(lines, t_s):
    samples = [o for o in lines if o["type"] == "sample" and o["t_s"] <= t_s]
    h.check(samples, f"no --jsonl sample before {t_s} s")
    return samples[-1]


@h.clock_bound
@h.alone
def test_kernel_signals_feed_rss_and_mapped_growth_pressure_and_their_alerts(ctx):
    json_path, jsonl_path = ctx.path("kmem.json"), ctx.path("kmem.jsonl")
    p, rc = h.run_to_end(ctx, ["-i", "1", "-d", "9", "--alert", "rss_growth>1MB/s",
                               "--alert", "mapped>4M", "--alert", "pressure>=low",
                               "--alert", "major_faults>1000000", "--json", json_path,
                               "--jsonl", jsonl_path, "--", h.workload("kmem"), "grow", "6"])
    h.check(rc in (0, 128 + signal.SIGTERM), f"memvigil exited {rc}; {p.describe()}")
    out = p.out()
    m = re.search(r"^TRUTH rss_growth_bytes=(\d+) seconds=([\d.]+)$", out, re.M)
    h.check(m, f"kmem printed no rss_growth TRUTH line: {out[-400:]!r}")
    rss_rate, grow_s = int(m[1]) / float(m[2]), float(m[2])
    mapped_rate = 256 * 1024 * 10          # leak_mapping: 256 KiB every 100 ms
    fired = [l for l in p.err_lines() if l.startswith("memvigil: alert ")]
    names = [re.match(r"memvigil: alert (\S+) fired", l)[1] for l in fired]
    psi = os.path.exists("/proc/pressure/memory")
    want = ["rss_growth>1MB/s", "mapped>4M"] + (["pressure>=low"] if psi else [])
    h.check(sorted(names) == sorted(want), f"alerts fired {names}, expected each of {want} once")
    lines = h.read_jsonl(jsonl_path)
    h.check_jsonl_metrics_match_the_schema(lines)
    met = last_sample_before(lines, grow_s)["metrics"]
    rss, mapped = met["rss"], met["mapped"]
    h.check(rss and mapped, f"no rss/mapped metrics from the kernel signals: {json.dumps(met)[:300]}")
    h.check(abs(mapped["growth_bytes_per_s"] - mapped_rate) <= 0.1 * mapped_rate,
            f"mapped grows {mapped['growth_bytes_per_s']:.0f} B/s, kmem maps {mapped_rate} B/s")
    # The window starts at attach, so the fit also sees kmem's start (its 1 MiB
    # block, libraries paged in): RSS growth is checked loosely; the kernel
    # signals' own tests check RSS accuracy. Mappings are exact events.
    h.check(abs(rss["growth_bytes_per_s"] - rss_rate) <= 0.3 * rss_rate,
            f"RSS grows {rss['growth_bytes_per_s']:.0f} B/s, kmem touched {rss_rate:.0f} B/s")
    h.check(rss["trend"] == "increasing" and mapped["trend"] == "increasing",
            f"trends: rss {rss['trend']}, mapped {mapped['trend']}")
    h.check(met["values"]["minor_faults"] is not None and met["values"]["minor_faults"] > 100,
            f"minor fault rate {met['values']['minor_faults']} while kmem writes 640 pages/s")
    if psi:
        h.check(met["pressure"]["level"] in ("low", "medium", "high", "critical"),
                f"no pressure level although /proc/pressure/memory exists: {met['pressure']}")
    report = h.load_report(json_path)
    (proc,) = h.select_procs(report, exe_name="kmem")
    h.check(proc["metrics"]["rss"]["peak_bytes"] >= rss["current_bytes"],
            f"final RSS peak {proc['metrics']['rss']['peak_bytes']} below a sampled value")


def test_oom_alert_fires_and_jsonl_has_a_line_per_kill_with_the_victims_top_stack(ctx):
    limit = 64 << 20
    jsonl_path = ctx.path("oom.jsonl")
    with MemCgroup(limit) as cg:
        traced = ctx.spawn([h.workload("kmem"), "hog"], preexec_fn=cg.preexec())
        tpid = int(traced.wait_line(r"^READY (\d+)", 10)[1])
        other = ctx.spawn([h.workload("kmem"), "hog"], preexec_fn=cg.preexec())
        opid = int(other.wait_line(r"^READY (\d+)", 10)[1])
        mv = h.memvigil(ctx, ["-p", tpid, "-i", "0", "--alert", "oom", "--jsonl", jsonl_path])
        h.wait_banner(mv)
        time.sleep(2.2)                   # kernel samples: the traced process's memcg is known
        os.kill(opid, signal.SIGUSR1)     # the untraced hog in the same cgroup dies first
        h.check(other.wait(30) is not None, "the untraced hog was not killed")
        mv.wait_line(rf"^memvigil: alert oom fired for PID {tpid} ", 10, stream="err")
        time.sleep(1.5)                   # a sample without a new kill clears the alert
        os.kill(tpid, signal.SIGUSR1)
        rc = mv.wait(40)
        h.check(rc == 0, f"memvigil exited {rc} after its target was OOM-killed; {mv.describe()}")
    lines = h.read_jsonl(jsonl_path)
    ooms = {o["pid"]: o for o in lines if o["type"] == "oom"}
    h.check(set(ooms) == {opid, tpid}, f"--jsonl OOM lines for {sorted(ooms)}, want {opid}, {tpid}")
    h.check(ooms[opid]["cgroup_peer"] == tpid and not ooms[opid]["victim_traced"],
            f"untraced victim's line: {ooms[opid]}")
    t = ooms[tpid]
    h.check(t["victim_traced"] and t["stacks"] and t["stacks"][0]["function"] == "hog_memory",
            f"the traced victim's line lacks its top stack hog_memory: {t}")
    fired = [l for l in mv.err_lines() if l.startswith("memvigil: alert oom fired")]
    h.check(len(fired) == 2, f"expected the oom alert once per kill (2), got {fired}")
    limits = {o["metrics"]["pressure"]["limit_bytes"] for o in lines if o["type"] == "sample"}
    h.check(limit in limits, f"the cgroup limit {limit} never reached the metrics: {limits}")
