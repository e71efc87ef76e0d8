#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""memvigil overhead benchmarks: the driver behind `make bench`.

Runs each workload under each configuration in interleaved rounds, takes
medians of ns/op, prints a fixed-width table and the tracked goals, and
writes every raw sample to results.json. Nothing here asserts on times: the
numbers are information. See README.md for what each row means.
"""

import argparse
import datetime
import json
import os
import platform
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import server

SAMPLE_BYTES = 524288
HOLD_LIVE = 1000000
HOLD_REPORT_AT = 500000
RUN_TIMEOUT_S = 300
# heaptrack's reader loads libc's debug info while the workload blocks on the
# full pipe to it, for up to a second after start: warm up past that.
HEAPTRACK_WARMUP_MS = 2000
MIN_EVENTS_FOR_CPU = 10000

# Configurations, in the order the table lists them.
UNTRACED = "untraced"
FLOOR_ENTRY = "floor-entry"
FLOOR_MV = "floor-memvigil"
FLOOR_SESSION = "floor-session"
MV_EXACT = "memvigil"
MV_ENTRY = "memvigil-entry"
MV_SAMPLED = "memvigil-sampled"
MV_KERNEL = "memvigil-kernel-only"
MV_UNWIND_FP = "memvigil-unwind-fp"
MV_UNWIND_DWARF = "memvigil-unwind-dwarf"
HEAPTRACK = "heaptrack"
# libmemvigil-sampler.so preloaded (memvigil --preload): its heap seen through the sampler
SAMPLER_DORMANT = "sampler-dormant"
SAMPLER_SAMPLED = "memvigil-sampler-sampled"
SAMPLER_EXACT = "memvigil-sampler-exact"
SAMPLER_CONFIGS = (SAMPLER_DORMANT, SAMPLER_SAMPLED, SAMPLER_EXACT)
SAMPLER_LIB = "libmemvigil-sampler.so"

LABELS = {
    UNTRACED: "untraced",
    FLOOR_ENTRY: "floor: empty probes at entries",
    FLOOR_MV: "floor: empty probes, memvigil sites",
    FLOOR_SESSION: "floor: empty sessions, no return",
    MV_EXACT: "memvigil (exact)",
    MV_ENTRY: "memvigil --entry-probes",
    MV_SAMPLED: "memvigil --sample-bytes=%d" % SAMPLE_BYTES,
    MV_KERNEL: "memvigil --kernel-only",
    MV_UNWIND_FP: "memvigil --unwind=fp",
    MV_UNWIND_DWARF: "memvigil --unwind=dwarf",
    HEAPTRACK: "heaptrack (LD_PRELOAD)",
    SAMPLER_DORMANT: "sampler preloaded, dormant, no tracer",
    SAMPLER_SAMPLED: "memvigil --preload, sampled %d KiB" % (SAMPLE_BYTES // 1024),
    SAMPLER_EXACT: "memvigil --preload (exact)",
}

# Per workload: what an op is, the configurations compared, the first
# (calibration) N per kind of configuration, and the loop time aimed at.
WORKLOADS = {
    "tight": {
        "op": "malloc+free pair, 16..256 B",
        "configs": [UNTRACED, FLOOR_ENTRY, FLOOR_MV, FLOOR_SESSION, MV_EXACT, MV_ENTRY, MV_SAMPLED,
                    HEAPTRACK, SAMPLER_DORMANT, SAMPLER_SAMPLED, SAMPLER_EXACT],
        "cal_n": {"untraced": 2000000, "traced": 20000},
        "max_n": 200000000,
    },
    "mix": {
        "op": "mixed op, 2 threads, 10% kept",
        "configs": [UNTRACED, FLOOR_ENTRY, FLOOR_MV, FLOOR_SESSION, MV_EXACT, MV_ENTRY, MV_SAMPLED,
                    HEAPTRACK, SAMPLER_DORMANT, SAMPLER_SAMPLED, SAMPLER_EXACT],
        "cal_n": {"untraced": 1000000, "traced": 20000},
        "max_n": 100000000,
    },
    # The unwinding rows: the same loops built as distributions build (no frame
    # pointers), and a chain 24 calls deep walked by frame pointers or by tables.
    "tight_nofp": {
        "op": "the tight loop built without frame pointers",
        "configs": [UNTRACED, MV_EXACT, MV_SAMPLED],
        "cal_n": {"untraced": 2000000, "traced": 20000},
        "max_n": 200000000,
    },
    "deep": {
        "op": "malloc+free pair 24 calls below main, frame pointers",
        "configs": [UNTRACED, MV_UNWIND_FP, MV_EXACT],
        "cal_n": {"untraced": 200000, "traced": 20000},
        "max_n": 100000000,
    },
    "deep_nofp": {
        "op": "the same chain built without frame pointers",
        "configs": [UNTRACED, MV_UNWIND_DWARF, MV_EXACT, MV_UNWIND_FP],
        "cal_n": {"untraced": 200000, "traced": 20000},
        "max_n": 100000000,
    },
    "faults": {
        "op": "page touched (mmap/munmap)",
        "configs": [UNTRACED, MV_EXACT, MV_KERNEL],
        "cal_n": {"untraced": 20480, "traced": 20480},
        "max_n": 10000000,
    },
}
TARGET_S = {"untraced": 0.5, "traced": 1.0}
SYSCALL_HOOKS = "cgroup traced, --mappings=syscalls"
# Workloads run only untraced, outside a traced cgroup (the `cgroup` rows).
OUTSIDE_ONLY = {
    "syscalls": {
        "op": "getppid system call",
        "cal_n": {"untraced": 2000000, "traced": 2000000},
        "max_n": 500000000,
    },
}


def workload_spec(wl):
    return WORKLOADS.get(wl) or OUTSIDE_ONLY[wl]


def loop_kind(config):
    """Configurations that run at native speed calibrate like the untraced one."""
    return "untraced" if config in (UNTRACED, SAMPLER_DORMANT) else "traced"


# The cgroup rows: idle processes in the traced cgroup while `tight` runs outside
# it, and the size of the cgroup whose attach time is measured.
CGROUP_IDLE_PROCS = 5
CGROUP_ATTACH_PROCS = 100
CGROUP_ATTACH_RUNS = 3
# Objects whose unwind tables are built and measured (the `tables` rows).
UNWIND_TABLE_OBJECTS = ("/lib/x86_64-linux-gnu/libc.so.6",
                        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6")
# The follow rows: forks per run of `forks`, and the gaps between them.
FOLLOW_FORKS = 20
FOLLOW_GAPS_MS = (50, 5)
QUICK_TARGET_S = {"untraced": 0.1, "traced": 0.2}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Run:
    """A child process whose stdout and stderr lines are read as they come."""

    def __init__(self, argv, env=None):
        self.argv = argv
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env, text=True,
                                     errors="replace", start_new_session=True)
        self.lines = {"stdout": [], "stderr": []}
        self.queues = {"stdout": queue.Queue(), "stderr": queue.Queue()}
        self.readers = [threading.Thread(target=self._read, args=(name, pipe), daemon=True)
                        for name, pipe in (("stdout", self.proc.stdout),
                                           ("stderr", self.proc.stderr))]
        for t in self.readers:
            t.start()
        self.killer = threading.Timer(RUN_TIMEOUT_S, self._timeout)
        self.killer.start()
        self.timed_out = False

    def _read(self, name, pipe):
        for line in pipe:
            line = line.rstrip("\n")
            self.lines[name].append(line)
            self.queues[name].put(line)
        self.queues[name].put(None)

    def _timeout(self):
        self.timed_out = True
        self.kill()

    def kill(self):
        """Kill the child and whatever it started (it leads its own process group)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def expect(self, name, pattern, timeout_s=120):
        """The first match of pattern in the next lines of stream name, or None."""
        deadline = time.monotonic() + timeout_s
        regex = re.compile(pattern)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                line = self.queues[name].get(timeout=left)
            except queue.Empty:
                return None
            if line is None:
                self.queues[name].put(None)
                return None
            m = regex.search(line)
            if m:
                return m

    def finish(self):
        """Reap the child with wait4 and return (exit code, CPU seconds, wall seconds)."""
        _, status, ru = os.wait4(self.proc.pid, 0)
        wall = time.monotonic() - self.t0
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        self.killer.cancel()
        self.kill()     # anything the child left behind in its group still holds the pipes
        for t in self.readers:
            t.join()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode, ru.ru_utime + ru.ru_stime, wall


def find_value(lines, key):
    for line in lines:
        if line.startswith(key + " "):
            return float(line.split()[1])
    return None


def kernel_has_uprobe_session():
    """Whether the kernel's BTF names the uprobe session attach type (6.13+)."""
    try:
        with open("/sys/kernel/btf/vmlinux", "rb") as f:
            return b"BPF_TRACE_UPROBE_SESSION\0" in f.read()
    except OSError:
        return False


class Bench:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        self.memvigil = os.path.abspath(args.memvigil)
        self.floor = os.path.join(self.build, "floor")
        self.tmp = tempfile.mkdtemp(prefix="memvigil-bench-")
        self.targets = QUICK_TARGET_S if args.quick else TARGET_S
        self.heaptrack = shutil.which("heaptrack")
        self.sampled = self._memvigil_has("--sample-bytes")
        self.skipped = {}
        if not self.heaptrack:
            self.skipped[HEAPTRACK] = "heaptrack not installed (apt-get install heaptrack)"
        if not self.sampled:
            self.skipped[MV_SAMPLED] = "n/a (not implemented)"
        if not kernel_has_uprobe_session():
            self.skipped[FLOOR_SESSION] = "n/a (this kernel has no uprobe sessions; 6.13+)"
        self.sampler_lib = os.path.join(os.path.dirname(self.memvigil), "lib", "memvigil",
                                        SAMPLER_LIB)
        why = None if os.path.exists(self.sampler_lib) else "%s missing (make builds it)" % (
            self.sampler_lib)
        if not why and not self._memvigil_has("--preload"):
            why = "n/a (this memvigil has no --preload)"
        for c in SAMPLER_CONFIGS if why else ():
            self.skipped[c] = why
        if args.configs:
            wanted = set(args.configs.split(",")) | {UNTRACED}
            for c in LABELS:
                if c not in wanted:
                    self.skipped.setdefault(c, "not run (--configs)")

    def _memvigil_has(self, option):
        try:
            out = subprocess.run([self.memvigil, "--help"], capture_output=True, text=True,
                                 timeout=30)
        except OSError:
            return False
        return option in out.stdout + out.stderr

    def workload(self, name):
        return os.path.join(self.build, "workloads", name)

    def command(self, config, wl_argv):
        json_path = os.path.join(self.tmp, "memvigil.json")
        mv = [self.memvigil, "-i", "0", "-j", json_path]
        if config == UNTRACED:
            return wl_argv, None
        if config == FLOOR_ENTRY:
            return [self.floor, "--sites=entry", "--"] + wl_argv, None
        if config == FLOOR_MV:
            return [self.floor, "--sites=memvigil", "--"] + wl_argv, None
        if config == FLOOR_SESSION:
            return [self.floor, "--sites=session", "--"] + wl_argv, None
        if config == MV_EXACT:
            return mv + ["--"] + wl_argv, json_path
        if config == MV_ENTRY:
            return mv + ["--entry-probes", "--"] + wl_argv, json_path
        if config == MV_SAMPLED:
            return mv + ["--sample-bytes=%d" % SAMPLE_BYTES, "--"] + wl_argv, json_path
        if config == MV_KERNEL:
            return mv + ["--kernel-only", "--"] + wl_argv, json_path
        if config == MV_UNWIND_FP:
            return mv + ["--unwind=fp", "--"] + wl_argv, json_path
        if config == MV_UNWIND_DWARF:
            return mv + ["--unwind=dwarf", "--"] + wl_argv, json_path
        if config == HEAPTRACK:
            out = os.path.join(self.tmp, "heaptrack")
            return [self.heaptrack, "-o", out] + wl_argv, None
        if config == SAMPLER_DORMANT:
            return wl_argv, None	# LD_PRELOAD set by run_once
        if config == SAMPLER_SAMPLED:
            return mv + ["--preload", "--sample-bytes=%d" % SAMPLE_BYTES, "--"] + wl_argv, json_path
        if config == SAMPLER_EXACT:
            return mv + ["--preload", "--"] + wl_argv, json_path
        raise ValueError(config)

    def run_once(self, config, wl, n, warmup_ms=None):
        """One run of workload wl with N=n under config: a raw sample (dict)."""
        argv, json_path = self.command(config, [self.workload(wl), str(n)])
        env = dict(os.environ)
        if config == HEAPTRACK:
            env["BENCH_WARMUP_MS"] = str(HEAPTRACK_WARMUP_MS)
        if config == SAMPLER_DORMANT:
            env["LD_PRELOAD"] = self.sampler_lib
        if warmup_ms is not None:
            env["BENCH_WARMUP_MS"] = str(warmup_ms)
        if json_path and os.path.exists(json_path):
            os.unlink(json_path)
        r = Run(argv, env)
        rc, cpu_s, wall_s = r.finish()
        out = r.lines["stdout"]
        s = {"config": config, "workload": wl, "n": n, "warmup_ms": int(env.get(
                 "BENCH_WARMUP_MS", 250)), "rc": rc, "wall_s": round(wall_s, 4),
             "ns_per_op": find_value(out, "NS_PER_OP"), "ops": find_value(out, "OPS"),
             "workload_cpu_s": find_value(out, "CPU_S"), "process_tree_cpu_s": round(cpu_s, 6)}
        if r.timed_out:
            s["error"] = "timed out after %d s" % RUN_TIMEOUT_S
        elif rc != 0 or s["ns_per_op"] is None:
            s["error"] = "exit %d; stderr: %s" % (rc, " | ".join(r.lines["stderr"][-5:]))
        if json_path:
            self._add_memvigil_health(s, json_path)
        if config == HEAPTRACK:
            for f in os.listdir(self.tmp):
                if f.startswith("heaptrack"):
                    os.unlink(os.path.join(self.tmp, f))
        return s

    @staticmethod
    def _add_memvigil_health(s, json_path):
        try:
            with open(json_path) as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            s.setdefault("error", "no JSON report: %s" % e)
            return
        h = doc.get("health", {})
        s["events"] = h.get("events")
        s["lost_events"] = h.get("lost_events")
        s["stack_errors"] = h.get("stack_errors")
        s["unmatched_frees"] = h.get("unmatched_frees")
        # Table walks: how many user frames each walk named, on average.
        uw = h.get("unwind") or {}
        walks = sum((uw.get("walks") or {}).values())
        if walks:
            s["frames_per_walk"] = round((uw.get("frames_table", 0) + uw.get("frames_fp", 0)) /
                                         walks, 2)
        s["return_probe"] = h.get("return_probe")
        procs = doc.get("processes") or [{}]
        heap = procs[0].get("heap", {})
        s["total_allocs"] = heap.get("total_allocs")
        s["total_frees"] = heap.get("total_frees")
        # wait4's rusage covers memvigil and the workload it reaped: take the workload out.
        if s.get("workload_cpu_s") is not None:
            tracer = s["process_tree_cpu_s"] - s["workload_cpu_s"]
            s["tracer_cpu_s"] = round(tracer, 6)
            if s["events"] and s["events"] >= MIN_EVENTS_FOR_CPU:
                s["tracer_cpu_s_per_m_events"] = round(tracer / s["events"] * 1e6, 4)

    def n_for(self, wl, config, ns_per_op):
        kind = loop_kind(config)
        n = int(self.targets[kind] * 1e9 / max(ns_per_op, 0.1))
        digits = max(len(str(n)) - 2, 0)
        n = max(n // 10 ** digits * 10 ** digits, 1000)
        return min(n, workload_spec(wl)["max_n"])

    def calibrate(self, wl, config, log_to):
        """N for about the target loop time; runs again while a run was far too short."""
        kind = loop_kind(config)
        n = workload_spec(wl)["cal_n"][kind]
        for _ in range(3):
            s = self.run_once(config, wl, n)
            log_to.append(s)
            if s.get("error"):
                log("  %-6s calibration %-16s failed: %s" % (wl, config, s["error"]))
                return None
            new_n = self.n_for(wl, config, s["ns_per_op"])
            if new_n <= 2 * n:
                return new_n
            n = new_n
        return n

    def bench_fixed_cost(self):
        """memvigil's CPU for start-up, attach, final report, exit: `tight 1`, no warm-up."""
        runs = [self.run_once(MV_EXACT, "tight", 1, warmup_ms=0) for _ in range(3)]
        ok = [s["tracer_cpu_s"] for s in runs if "error" not in s and "tracer_cpu_s" in s]
        return {"runs": runs, "tracer_cpu_s": statistics.median(ok) if ok else None}

    def bench_workload(self, wl):
        spec = WORKLOADS[wl]
        configs = [c for c in spec["configs"] if c not in self.skipped]
        result = {"op": spec["op"], "n": {}, "calibration": [], "samples": []}
        for c in configs:
            n = self.calibrate(wl, c, result["calibration"])
            if n:
                result["n"][c] = n
        configs = [c for c in configs if c in result["n"]]
        log("  %-6s N per configuration: %s" % (wl, ", ".join(
            "%s %d" % (c, result["n"][c]) for c in configs)))
        for r in range(self.args.rounds):
            k = r % len(configs) if configs else 0
            for c in configs[k:] + configs[:k]:
                s = self.run_once(c, wl, result["n"][c])
                s["round"] = r
                result["samples"].append(s)
                log("  %-6s round %d  %-16s N=%-10d %s" % (
                    wl, r + 1, c, s["n"], "%.1f ns/op" % s["ns_per_op"]
                    if s["ns_per_op"] is not None else s.get("error", "?")))
        result["summary"] = summarize(result["samples"], configs)
        return result

    def bench_unwind_tables(self):
        """Table build time and size for the C library and the C++ library (cfi_stat)."""
        cfi_stat = os.path.join(self.build, "..", "unwind", "cfi_stat")
        out = []
        for obj in UNWIND_TABLE_OBJECTS:
            if not os.path.exists(obj):
                continue
            try:
                r = subprocess.run([cfi_stat, "-r", str(self.args.rounds), obj],
                                   capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
            except OSError as e:
                out.append({"object": obj, "error": str(e)})
                continue
            fields = dict(re.findall(r"(\w+)=([0-9.]+)", r.stdout))
            if r.returncode or "rows" not in fields:
                out.append({"object": obj, "error": "cfi_stat exit %d: %s" % (
                    r.returncode, r.stderr.strip()[-200:])})
                continue
            out.append({"object": obj, "fdes": int(fields["fdes"]), "rows": int(fields["rows"]),
                        "bytes": int(fields["bytes"]), "build_ms": float(fields["build_ms"]),
                        "runs": self.args.rounds})
        return out

    def bench_hold_once(self):
        """memvigil's RSS per live allocation at 1M, and one report's CPU at 500k."""
        json_path = os.path.join(self.tmp, "hold.json")
        argv = [self.memvigil, "-v", "-i", "0", "-j", json_path, "--",
                self.workload("hold"), str(HOLD_LIVE), str(HOLD_REPORT_AT)]
        r = Run(argv)
        mv = r.proc.pid
        s = {"config": MV_EXACT, "workload": "hold", "live": HOLD_LIVE}
        try:
            m = r.expect("stdout", r"^BASE (\d+)")
            if not m:
                raise RuntimeError("hold never printed BASE")
            hold = int(m.group(1))
            wait_idle(mv)
            s["base_vmrss_bytes"] = proc_status(mv, "VmRSS")
            s["base_vmhwm_bytes"] = proc_status(mv, "VmHWM")
            os.kill(hold, signal.SIGUSR1)
            if not r.expect("stdout", r"^READY %d " % HOLD_REPORT_AT):
                raise RuntimeError("hold never reached %d live allocations" % HOLD_REPORT_AT)
            s["report_at_%d" % HOLD_REPORT_AT] = self._report(r, mv)
            os.kill(hold, signal.SIGUSR1)
            if not r.expect("stdout", r"^READY %d " % HOLD_LIVE):
                raise RuntimeError("hold never reached %d live allocations" % HOLD_LIVE)
            wait_idle(mv)
            s["vmrss_bytes"] = proc_status(mv, "VmRSS")
            s["vmhwm_bytes"] = proc_status(mv, "VmHWM")
            s["peak_bytes_per_live"] = round(
                (s["vmhwm_bytes"] - s["base_vmrss_bytes"]) / HOLD_LIVE, 2)
            s["rss_bytes_per_live"] = round(
                (s["vmrss_bytes"] - s["base_vmrss_bytes"]) / HOLD_LIVE, 2)
            s["report_at_%d" % HOLD_LIVE] = self._report(r, mv)
            os.kill(hold, signal.SIGUSR1)
        except (RuntimeError, OSError) as e:
            s["error"] = str(e)
            r.kill()
        rc, cpu_s, wall_s = r.finish()
        s.update({"rc": rc, "wall_s": round(wall_s, 3), "process_tree_cpu_s": round(cpu_s, 6)})
        self._add_memvigil_health(s, json_path)
        s.pop("tracer_cpu_s_per_m_events", None)
        if rc != 0 and "error" not in s:
            s["error"] = "exit %d; stderr: %s" % (rc, " | ".join(r.lines["stderr"][-5:]))
        return s

    @staticmethod
    def _report(r, mv):
        """Ask memvigil for a report once it has caught up; its CPU ms and live count."""
        wait_idle(mv)
        os.kill(mv, signal.SIGUSR1)
        m = r.expect("stderr", r"report took ([0-9.]+) ms of CPU", 60)
        if not m:
            raise RuntimeError("memvigil printed no 'report took X ms of CPU' (needs -v)")
        live = r.expect("stdout", r"outstanding in (\d+) allocs", 10)
        live = int(live.group(1)) if live else None
        if live is None or live < HOLD_REPORT_AT:
            log("  hold   note: the report counted %s outstanding allocations" % live)
        return {"cpu_ms": float(m.group(1)), "live_in_report": live}

    def bench_hold(self):
        runs = []
        for i in range(self.args.hold_runs):
            s = self.bench_hold_once()
            runs.append(s)
            key = "report_at_%d" % HOLD_REPORT_AT
            log("  hold   run %d  %s" % (i + 1, s.get("error") or "%.1f B/live peak, report %.2f ms"
                                        % (s["peak_bytes_per_live"], s[key]["cpu_ms"])))
        ok = [s for s in runs if "error" not in s]
        summary = {}
        if ok:
            summary = {
                "peak_bytes_per_live": statistics.median(s["peak_bytes_per_live"] for s in ok),
                "rss_bytes_per_live": statistics.median(s["rss_bytes_per_live"] for s in ok),
                "report_cpu_ms_at_%d" % HOLD_REPORT_AT: statistics.median(
                    s["report_at_%d" % HOLD_REPORT_AT]["cpu_ms"] for s in ok),
                "report_cpu_ms_at_%d" % HOLD_LIVE: statistics.median(
                    s["report_at_%d" % HOLD_LIVE]["cpu_ms"] for s in ok),
                "lost_events": sum(s.get("lost_events") or 0 for s in ok),
            }
        return {"runs": runs, "summary": summary}

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _cgroup_with(self, nprocs):
        """A new cgroup (v1 memory, else cgroup2) holding nprocs idle `sleep` processes."""
        cg = tempfile.mkdtemp(prefix="memvigil-bench-", dir=cgroup_mount())
        procs = []
        for _ in range(nprocs):
            procs.append(subprocess.Popen(
                ["sleep", "3600"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                preexec_fn=lambda: move_to_cgroup(os.getpid(), cg)))
        return cg, procs

    @staticmethod
    def _cgroup_remove(cg, procs):
        for p in procs:
            p.kill()
            p.wait()
        for _ in range(100):
            try:
                os.rmdir(cg)
                return
            except OSError:
                time.sleep(0.05)

    def _trace_cgroup(self, cg, extra=()):
        """memvigil tracing cg, once its banner is out (all present processes attached)."""
        r = Run([self.memvigil, "-v", "-i", "0", "--cgroup", cg] + list(extra))
        if not r.expect("stdout", r"^Tracing cgroup ", 60):
            r.kill()
            raise RuntimeError("memvigil --cgroup printed no banner: %s"
                               % " | ".join(r.lines["stderr"][-5:]))
        return r

    def bench_cgroup_outside(self, wl="tight"):
        """wl outside a traced cgroup, against wl with nothing traced: `tight` for the
        uprobes (none may be installed outside), `faults` for the kernel hooks, which
        run for every process and must return at once for untraced ones."""
        configs = ["nothing traced", "cgroup traced"]
        if wl == "syscalls":
            configs.append(SYSCALL_HOOKS)
        n = self.calibrate(wl, UNTRACED, [])
        result = {"op": workload_spec(wl)["op"], "n": n, "cgroup_procs": CGROUP_IDLE_PROCS,
                  "samples": []}
        cg, procs = self._cgroup_with(CGROUP_IDLE_PROCS)
        try:
            for r in range(self.args.rounds):
                for c in (configs if r % 2 == 0 else configs[::-1]):
                    mv = None
                    if c == "cgroup traced":
                        mv = self._trace_cgroup(cg)
                    elif c == SYSCALL_HOOKS:
                        mv = self._trace_cgroup(cg, ["--mappings=syscalls"])
                    s = self.run_once(UNTRACED, wl, n)
                    s["config"], s["round"] = c, r
                    if mv:
                        mv.proc.send_signal(signal.SIGINT)
                        mv.finish()
                    result["samples"].append(s)
                    log("  cgroup round %d  %-6s %-16s N=%-10d %s" % (
                        r + 1, wl, c, n, "%.1f ns/op" % s["ns_per_op"]
                        if s["ns_per_op"] is not None else s.get("error", "?")))
        finally:
            self._cgroup_remove(cg, procs)
        med = {}
        for c in configs:
            ok = [x["ns_per_op"] for x in result["samples"]
                  if x["config"] == c and "error" not in x]
            med[c] = statistics.median(ok) if ok else None
        result["summary"] = {"ns_per_op": med, "ratio": (
            med["cgroup traced"] / med["nothing traced"]
            if med["cgroup traced"] and med["nothing traced"] else None)}
        if SYSCALL_HOOKS in med:
            result["summary"]["ratio_syscall_hooks"] = (
                med[SYSCALL_HOOKS] / med["nothing traced"]
                if med[SYSCALL_HOOKS] and med["nothing traced"] else None)
        return result

    def bench_cgroup_attach(self):
        """Time from memvigil's first scan of a 100-process cgroup to its last attach."""
        runs = []
        for i in range(CGROUP_ATTACH_RUNS):
            cg, procs = self._cgroup_with(CGROUP_ATTACH_PROCS)
            s = {"procs": CGROUP_ATTACH_PROCS}
            try:
                time.sleep(0.5)         # let the sleeps reach their own main()
                mv = self._trace_cgroup(cg)
                m = mv.expect("stderr", r"(\d+) processes attached in ([0-9.]+) ms", 5)
                mv.proc.send_signal(signal.SIGINT)
                mv.finish()
                if not m:
                    raise RuntimeError("memvigil -v printed no attach time")
                s["attached"] = int(m.group(1))
                s["attach_ms"] = float(m.group(2))
            except RuntimeError as e:
                s["error"] = str(e)
            finally:
                self._cgroup_remove(cg, procs)
            runs.append(s)
            log("  cgroup attach run %d  %s" % (i + 1, s.get("error") or
                "%d processes in %.0f ms" % (s["attached"], s["attach_ms"])))
        ok = [s["attach_ms"] for s in runs if "error" not in s]
        return {"runs": runs, "summary": {
            "attach_ms_median": statistics.median(ok) if ok else None,
            "attach_ms_max": max(ok) if ok else None,
            "attached_min": min((s["attached"] for s in runs if "error" not in s),
                                default=None)}}

    def bench_follow_once(self, gap_ms, i):
        """One run of `memvigil -f -- forks`: a sample with each child's fork-to-attach delay."""
        json_path = os.path.join(self.tmp, "follow.json")
        r = Run([self.memvigil, "-v", "-f", "-i", "0", "-j", json_path, "--",
                 self.workload("forks"), str(FOLLOW_FORKS), str(gap_ms)])
        rc, _, wall = r.finish()
        err = r.lines["stderr"]
        ms = [float(m.group(1)) for m in
              (re.search(r"\(forked by \d+\) attached ([0-9.]+) ms after its fork", l)
               for l in err) if m]
        s = {"gap_ms": gap_ms, "round": i, "rc": rc, "wall_s": round(wall, 3),
             "forks": FOLLOW_FORKS, "attached": len(ms), "delays_ms": ms,
             "missed": sum(1 for l in err if "exited before its probes were attached" in l)}
        try:
            with open(json_path) as f:
                att = json.load(f)["health"]["attach"]
            s["report"] = {k: att.get(k) for k in (
                "forks_followed", "fork_to_attach_median_ms", "fork_to_attach_max_ms")}
        except (OSError, ValueError, KeyError) as e:
            s["error"] = "no JSON report: %s" % e
        if rc != 0:
            s["error"] = "memvigil exited %d: %s" % (rc, " | ".join(err[-3:]))
        log("  follow round %d  gap %3d ms  %s" % (i + 1, gap_ms, s.get("error") or
            "%d/%d forks attached, median %.1f ms, worst %.1f ms" % (
                len(ms), FOLLOW_FORKS, statistics.median(ms) if ms else float("nan"),
                max(ms) if ms else float("nan"))))
        return s

    def bench_follow(self):
        """Fork-to-attach delay of `memvigil -f`, per spacing of the forks, over every child."""
        runs = []
        for i in range(self.args.rounds):
            for gap in (FOLLOW_GAPS_MS if i % 2 == 0 else FOLLOW_GAPS_MS[::-1]):
                runs.append(self.bench_follow_once(gap, i))
        summary = {}
        for gap in FOLLOW_GAPS_MS:
            delays = [d for s in runs if s["gap_ms"] == gap and "error" not in s
                      for d in s["delays_ms"]]
            summary[str(gap)] = {
                "forks": sum(s["forks"] for s in runs if s["gap_ms"] == gap),
                "attached": len(delays),
                "median_ms": statistics.median(delays) if delays else None,
                "worst_ms": max(delays) if delays else None}
        return {"runs": runs, "summary": summary}

def cgroup_mount():
    """Where to make the bench's cgroups: the v1 memory hierarchy, else cgroup2."""
    v2 = None
    with open("/proc/mounts") as f:
        for line in f:
            _, mnt, fstype, opts = line.split()[:4]
            if fstype == "cgroup" and "memory" in opts.split(","):
                return mnt
            if fstype == "cgroup2":
                v2 = mnt
    if not v2:
        raise RuntimeError("no cgroup hierarchy mounted")
    return v2


def move_to_cgroup(pid, cg):
    with open(os.path.join(cg, "cgroup.procs"), "w") as f:
        f.write(str(pid))


def proc_status(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no %s in /proc/%d/status" % (field, pid))


def proc_cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])     # utime + stime (fields 14, 15)


def wait_idle(pid, timeout_s=120):
    """Wait until pid has used (almost) no CPU for 0.4 s: it has drained its input."""
    deadline = time.monotonic() + timeout_s
    last = proc_cpu_ticks(pid)
    while time.monotonic() < deadline:
        time.sleep(0.4)
        now = proc_cpu_ticks(pid)
        if now - last <= 1:
            return
        last = now
    raise RuntimeError("PID %d stayed busy for %d s" % (pid, timeout_s))


def summarize(samples, configs):
    out = {}
    for c in configs:
        ok = [s for s in samples if s["config"] == c and "error" not in s]
        if not ok:
            out[c] = {"runs": 0}
            continue
        d = {"runs": len(ok), "ns_per_op": statistics.median(s["ns_per_op"] for s in ok),
             "n": ok[0]["n"]}
        lost = [s["lost_events"] for s in ok if s.get("lost_events") is not None]
        if lost:
            d["lost_events"] = sum(lost)
        cpu = [s["tracer_cpu_s_per_m_events"] for s in ok if "tracer_cpu_s_per_m_events" in s]
        if cpu:
            d["tracer_cpu_s_per_m_events"] = statistics.median(cpu)
        depth = [s["frames_per_walk"] for s in ok if "frames_per_walk" in s]
        if depth:
            d["frames_per_walk"] = statistics.median(depth)
        out[c] = d
    base = out.get(UNTRACED, {}).get("ns_per_op")
    floor = out.get(FLOOR_MV, {}).get("ns_per_op")
    for d in out.values():
        if "ns_per_op" in d:
            d["x_untraced"] = d["ns_per_op"] / base if base else None
            d["x_floor_memvigil"] = d["ns_per_op"] / floor if floor else None
    return out


def fmt(v, spec, none="-"):
    return none if v is None else format(v, spec)


def print_table(results, skipped):
    w = "%-10s %-36s %11s %11s %10s %10s %7s %12s %7s"
    print()
    print(w % ("load", "configuration", "N", "ns/op", "x untraced", "x floor@mv", "lost",
               "CPU s/M ev", "frames"))
    print("-" * 122)
    for wl, res in results["workloads"].items():
        for c in WORKLOADS[wl]["configs"]:
            label = LABELS[c]
            if c in skipped:
                print("%-10s %-36s %s" % (wl, label, skipped[c]))
                continue
            d = res["summary"].get(c, {})
            if not d.get("runs"):
                print("%-10s %-36s %s" % (wl, label, "failed (see results.json)"))
                continue
            x = d.get("x_untraced")
            print(w % (wl, label, d["n"], fmt(d["ns_per_op"], ",.1f"),
                       fmt(x, ".2f" if x is not None and x < 10 else ",.1f"),
                       fmt(d.get("x_floor_memvigil"), ".3g"),
                       fmt(d.get("lost_events"), "d"),
                       fmt(d.get("tracer_cpu_s_per_m_events"), ".3f"),
                       fmt(d.get("frames_per_walk"), ".1f", "")))
        print("%-10s   (one op = %s; median of %d rounds)" % ("", res["op"], results["rounds"]))
    hold = results.get("hold", {}).get("summary", {})
    print("-" * 111)
    if hold:
        print("hold    memvigil peak RSS per live allocation at %s live:    %.1f bytes "
              "(now %.1f; lost events %d)" % (format(HOLD_LIVE, ","), hold["peak_bytes_per_live"],
                                               hold["rss_bytes_per_live"], hold["lost_events"]))
        print("hold    memvigil CPU of one report at %s live:              %.2f ms "
              "(at %s: %.2f ms)" % (format(HOLD_REPORT_AT, ","),
                                    hold["report_cpu_ms_at_%d" % HOLD_REPORT_AT],
                                    format(HOLD_LIVE, ","),
                                    hold["report_cpu_ms_at_%d" % HOLD_LIVE]))
    elif "hold" in results:
        print("hold    failed (see results.json)")
    fixed = results.get("memvigil_fixed_cost", {}).get("tracer_cpu_s")
    if fixed is not None:
        print("fixed   memvigil CPU to start, attach, report and exit (`tight 1`):  %.3f s "
              "(in every run's CPU s/M ev)" % fixed)
    faults = results["workloads"].get("faults", {}).get("summary", {})
    if faults.get(MV_EXACT, {}).get("runs") and faults.get(UNTRACED, {}).get("runs"):
        print("faults  a workload with no allocator calls (kernel hooks on faults, mmap, munmap): "
              "untraced %.0f ns/page, memvigil %.0f ns/page (x%.3f)" % (
                  faults[UNTRACED]["ns_per_op"], faults[MV_EXACT]["ns_per_op"],
                  faults[MV_EXACT]["x_untraced"]))
    if faults.get(MV_KERNEL, {}).get("runs") and faults.get(UNTRACED, {}).get("runs"):
        print("faults  memvigil --kernel-only (no heap probes): %.0f ns/page (x%.3f untraced)" % (
            faults[MV_KERNEL]["ns_per_op"], faults[MV_KERNEL]["x_untraced"]))
    print_cgroup(results)
    print_follow(results)
    print_tables(results)


def print_tables(results):
    for t in results.get("unwind_tables", []):
        if "error" in t:
            print("tables  %s: %s" % (t["object"], t["error"]))
            continue
        print("tables  %s: %s FDEs -> %s rows, %s bytes, built in %.1f ms (median of %d)" % (
            t["object"], format(t["fdes"], ","), format(t["rows"], ","), format(t["bytes"], ","),
            t["build_ms"], t["runs"]))


def print_follow(results):
    f = results.get("follow")
    if not f:
        return
    for gap in FOLLOW_GAPS_MS:
        s = f["summary"][str(gap)]
        print("follow  memvigil -f, fork to attach, %d forks %2d ms apart x %d rounds: median %s ms, "
              "worst %s ms (%d/%d attached)" % (
                  FOLLOW_FORKS, gap, results["rounds"], fmt(s["median_ms"], ".1f"),
                  fmt(s["worst_ms"], ".1f"), s["attached"], s["forks"]))


def print_cgroup(results):
    cg = results.get("cgroup")
    if not cg:
        return
    out = cg["outside"]["summary"]
    med = out["ns_per_op"]
    print("cgroup  `tight` outside a traced cgroup of %d idle processes: %s ns/op, nothing "
          "traced %s ns/op (x%s)" % (CGROUP_IDLE_PROCS, fmt(med.get("cgroup traced"), ".1f"),
                                     fmt(med.get("nothing traced"), ".1f"),
                                     fmt(out.get("ratio"), ".3f")))
    out = cg.get("outside_faults", {}).get("summary")
    if out:
        med = out["ns_per_op"]
        print("cgroup  `faults` outside a traced cgroup (kernel hooks run, return at once): "
              "%s ns/page, nothing traced %s ns/page (x%s)" % (
                  fmt(med.get("cgroup traced"), ".1f"), fmt(med.get("nothing traced"), ".1f"),
                  fmt(out.get("ratio"), ".3f")))
    out = cg.get("outside_syscalls", {}).get("summary")
    if out:
        med = out["ns_per_op"]
        print("cgroup  `syscalls` outside a traced cgroup: %s ns/call, nothing traced %s ns/call "
              "(x%s); with --mappings=syscalls (hooks run for every syscall) %s ns/call "
              "(x%s)" % (
                  fmt(med.get("cgroup traced"), ".1f"), fmt(med.get("nothing traced"), ".1f"),
                  fmt(out.get("ratio"), ".3f"), fmt(med.get(SYSCALL_HOOKS), ".1f"),
                  fmt(out.get("ratio_syscall_hooks"), ".3f")))
    att = cg["attach"]["summary"]
    print("cgroup  %d-process cgroup, first scan to last attach: median %s ms, max %s ms "
          "(%d runs)" % (CGROUP_ATTACH_PROCS, fmt(att.get("attach_ms_median"), ".0f"),
                         fmt(att.get("attach_ms_max"), ".0f"), CGROUP_ATTACH_RUNS))


def server_stack_goals(summary):
    """The real server's top stacks reach main as heaptrack's do, on each memvigil path."""
    out = []
    ht = summary.get(server.HEAPTRACK, {}).get("stacks")
    for c in (server.UPROBES, server.SAMPLER):
        st = summary.get(c, {}).get("stacks")
        v = None if not st or not ht or not st["of"] or not ht["of"] else (st, ht)
        out.append(("real server: share of top %d stacks reaching main >= heaptrack's (%s)" % (
            server.TOP_STACKS, "sampler" if c == server.SAMPLER else "uprobes"),
            "n/a" if v is None else "%d/%d vs %d/%d" % (st["reach_main"], st["of"],
                                                       ht["reach_main"], ht["of"]),
            None if v is None else st["reach_main"] * ht["of"] >= ht["reach_main"] * st["of"]))
    return out


def goals(results):
    """The project's tracked goals: (text, measured text, met; None when unknown,
    a string for lines that are information rather than a goal)."""
    out = []
    tight = results["workloads"].get("tight", {}).get("summary", {})
    mix = results["workloads"].get("mix", {}).get("summary", {})
    hold = results.get("hold", {}).get("summary", {})

    def ns(summary, c):
        return summary.get(c, {}).get("ns_per_op")

    exact, floor_mv, floor_entry = ns(tight, MV_EXACT), ns(tight, FLOOR_MV), ns(tight, FLOOR_ENTRY)
    v = exact / floor_mv if exact and floor_mv else None
    out.append(("(a) memvigil exact / floor at memvigil's sites <= 1.3", fmt(v, ".2f", "n/a"),
                None if v is None else v <= 1.3))
    v = floor_mv / floor_entry if floor_mv and floor_entry else None
    out.append(("(a) floor at memvigil's sites <= 0.3 x floor at entries", fmt(v, ".2f", "n/a"),
                None if v is None else v <= 0.3))
    sampled = ns(tight, MV_SAMPLED)
    v = sampled / exact if sampled and exact else None
    out.append(("(a) sampled (%d KiB) <= 0.6 x exact" % (SAMPLE_BYTES // 1024),
                fmt(v, ".2f", "n/a (not implemented)") if MV_SAMPLED in results["skipped"]
                else fmt(v, ".2f", "n/a"), None if v is None else v <= 0.6))
    floor_session = ns(tight, FLOOR_SESSION)
    v = floor_session / exact if floor_session and exact else None
    out.append(("(a) the same bound for empty sessions: floor@session / exact", fmt(v, ".2f", "n/a"),
                "(bound)"))
    v = sampled / floor_session if sampled and floor_session else None
    out.append(("(a) sampled / floor@session (work over its own floor)", fmt(v, ".2f", "n/a"),
                "(information)"))
    wls = results["workloads"]
    v = ns(wls.get("tight_nofp", {}).get("summary", {}), MV_EXACT)
    v = v / exact if v and exact else None
    out.append(("(a) built without frame pointers <= 1.1 x with them (exact)",
                fmt(v, ".2f", "n/a"), None if v is None else v <= 1.1))
    deep, deep_nofp = wls.get("deep", {}).get("summary", {}), wls.get("deep_nofp", {}).get(
        "summary", {})
    fp_walk, table_walk = ns(deep, MV_UNWIND_FP), ns(deep_nofp, MV_UNWIND_DWARF)
    v = table_walk / fp_walk if table_walk and fp_walk else None
    out.append(("24-deep: table walk (no fp) <= 1.5 x frame-pointer walk", fmt(v, ".2f", "n/a"),
                None if v is None else v <= 1.5))
    out += sampler_goals(tight, mix, ns)
    srv = results.get("server", {}).get("summary", {}).get(server.SAMPLER, {}).get("x_untraced")
    v = min((x for x in (srv or {}).values() if x is not None), default=None)
    out.append(("real server sampled via the sampler >= 0.95 x untraced (worst test)",
                fmt(v, ".3f", "n/a"), None if v is None else v >= 0.95))
    out += server_stack_goals(results.get("server", {}).get("summary", {}))
    lost = mix.get(MV_EXACT, {}).get("lost_events")
    out.append(("(b) zero lost events in exact mode", fmt(lost, "d", "n/a") +
                (" (all rounds)" if lost is not None else ""),
                None if lost is None else lost == 0))
    v = hold.get("peak_bytes_per_live")
    out.append(("<= 64 bytes tracer RSS per live allocation at 1M", fmt(v, ".1f", "n/a"),
                None if v is None else v <= 64))
    v = hold.get("report_cpu_ms_at_%d" % HOLD_REPORT_AT)
    out.append(("one report at 500k live <= 0.05 s CPU",
                fmt(v / 1000 if v is not None else None, ".4f", "n/a") + " s" * (v is not None),
                None if v is None else v <= 50))
    cg = results.get("cgroup", {})
    if cg:
        v = cg["outside"]["summary"].get("ratio")
        out.append(("outside a traced cgroup: tight ns/op ratio ~1.0", fmt(v, ".3f", "n/a"),
                    None if v is None else v <= 1.05))
        for wl in ("faults", "syscalls"):
            v = cg.get("outside_" + wl, {}).get("summary", {}).get("ratio")
            out.append(("outside a traced cgroup: %s ns/op ratio ~1.0" % wl,
                        fmt(v, ".3f", "n/a"), None if v is None else v <= 1.05))
        v = cg.get("outside_syscalls", {}).get("summary", {}).get("ratio_syscall_hooks")
        out.append(("  the same with --mappings=syscalls (opt-in: every syscall pays)",
                    fmt(v, ".3f", "n/a"), None))
        v = cg["attach"]["summary"].get("attach_ms_max")
        out.append(("cgroup of %d processes attached within 2 s" % CGROUP_ATTACH_PROCS,
                    fmt(v / 1000 if v is not None else None, ".2f", "n/a") + " s" * (v is not None),
                    None if v is None else v <= 2000))
    return out


def sampler_goals(tight, mix, ns):
    """The sampler path's goals (issue 13): ratios within this run."""
    out = []

    def ratio(summary, c, bound, text):
        u, v = ns(summary, UNTRACED), ns(summary, c)
        r = v / u if u and v else None
        out.append((text, fmt(r, ".3f", "n/a"), None if r is None else r <= bound))

    ratio(tight, SAMPLER_SAMPLED, 3.0, "(a) sampled via the sampler <= 3 x untraced")
    ratio(mix, SAMPLER_SAMPLED, 1.10, "(b) sampled via the sampler <= 1.10 x untraced")
    ratio(mix, SAMPLER_DORMANT, 1.02, "(b) sampler preloaded, dormant <= 1.02 x untraced")
    u, se, ue = ns(tight, UNTRACED), ns(tight, SAMPLER_EXACT), ns(tight, MV_EXACT)
    r = (se - u) / (ue - u) if u and se and ue and ue > u else None
    out.append(("(a) exact via sampler: cost <= 0.3 x exact via uprobes",
                fmt(r, ".3f", "n/a"), None if r is None else r <= 0.3))
    return out


def print_goals(gs):
    print()
    print("goals (information, not a test):")
    for text, value, met in gs:
        state = met if isinstance(met, str) else "unknown" if met is None else (
            "met" if met else "NOT met")
        print("  %-58s %-24s %s" % (text, value, state))


def machine_info():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "kernel": platform.release(), "cpu_model": cpu, "nproc": os.cpu_count(),
            "glibc": " ".join(platform.libc_ver())}


def git_describe(path):
    try:
        rev = subprocess.run(["git", "-C", path, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", path, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except OSError:
        return None
    return rev + ("-dirty" if dirty else "") if rev else None


def parse_args():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build", default=os.path.join(here, "..", "build", "bench"),
                   help="where the bench workloads and floor were built")
    p.add_argument("--memvigil", default=os.path.join(here, "..", "build", "memvigil"))
    p.add_argument("--results", default=os.path.join(here, "results.json"))
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--hold-runs", type=int, default=3)
    p.add_argument("--only", default=",".join(list(WORKLOADS) + ["hold", "cgroup", "follow",
                                                                  "tables", "server"]),
                   help="comma-separated subset of %s" % ",".join(
                       list(WORKLOADS) + ["hold", "cgroup", "follow", "tables", "server"]))
    p.add_argument("--quick", action="store_true", help="short runs, for checking the driver")
    p.add_argument("--configs", default="",
                   help="comma-separated configurations to run (untraced always runs): "
                   + ",".join(LABELS))
    return p.parse_args()


def main():
    args = parse_args()
    if os.geteuid() != 0:
        log("run.py: must run as root (memvigil and the floor tool load BPF programs)")
        return 1
    for path in (args.memvigil, os.path.join(args.build, "floor")):
        if not os.access(path, os.X_OK):
            log("run.py: %s is missing; run `make bench` at the repository root" % path)
            return 1
    only = args.only.split(",")
    bench = Bench(args)
    results = {"machine": machine_info(), "memvigil": os.path.abspath(args.memvigil),
               "memvigil_git": git_describe(os.path.dirname(os.path.abspath(__file__))),
               "rounds": args.rounds, "quick": args.quick, "target_loop_s": bench.targets,
               "skipped": bench.skipped, "workloads": {}}
    log("memvigil bench: %s, %s, %d CPUs; %d interleaved rounds per workload" % (
        results["machine"]["kernel"], results["machine"]["cpu_model"],
        results["machine"]["nproc"], args.rounds))
    for c, why in bench.skipped.items():
        log("  skipping %s: %s" % (LABELS[c], why))
    t0 = time.monotonic()
    try:
        for wl in WORKLOADS:
            if wl in only:
                results["workloads"][wl] = bench.bench_workload(wl)
        if "hold" in only:
            results["hold"] = bench.bench_hold()
        if "cgroup" in only:
            results["cgroup"] = {"outside": bench.bench_cgroup_outside("tight"),
                                 "outside_faults": bench.bench_cgroup_outside("faults"),
                                 "outside_syscalls": bench.bench_cgroup_outside("syscalls"),
                                 "attach": bench.bench_cgroup_attach()}
        if "follow" in only:
            results["follow"] = bench.bench_follow()
        if "tables" in only:
            results["unwind_tables"] = bench.bench_unwind_tables()
        if "server" in only:
            results["server"] = server.bench(bench.memvigil, min(args.rounds, 3), log)
        results["memvigil_fixed_cost"] = bench.bench_fixed_cost()
    finally:
        bench.cleanup()
    results["bench_wall_s"] = round(time.monotonic() - t0, 1)
    results["goals"] = [{"goal": t, "measured": v, "met": m} for t, v, m in goals(results)]
    print_table(results, bench.skipped)
    if "server" in results:
        server.print_rows(results["server"])
    print_goals(goals(results))
    with open(args.results, "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    print("\nraw samples: %s (bench took %.0f s)" % (args.results, results["bench_wall_s"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
