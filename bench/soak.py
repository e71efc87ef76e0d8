#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""memvigil soak (`make soak`): hours of production in minutes.

    soak.py --memvigil BIN --workloads DIR --sampler SO [--minutes M | --seconds S]
            [--out FILE]

memvigil (an ASan build: its exit is checked by LeakSanitizer) traces a
memory cgroup exactly (--cgroup, -i 30, --jsonl) while, inside that cgroup,
processes come and go: the bench's mix workload run after run, forks (fork
churn: children that allocate and live until their parent ends them), every
other run of each with libmemvigil-sampler.so preloaded (so on the sampler
path), and short-lived commands. Every SAMPLE_S seconds memvigil's RSS, open
descriptors and CPU time are read from /proc, and its live HTTP server
(--listen, when this memvigil has one) is asked for /metrics, the process
list and the pprof heap. At the end memvigil gets
SIGTERM and writes its final JSON report; its events and losses come from it.

Figures go to FILE (default bench/soak.json): RSS and open fds at start (the
first sample, after attaching) and end, their peak, CPU (seconds and percent
of one CPU), events and losses by reason, LeakSanitizer's verdict, memvigil's
exit status, and the host (CPU model, kernel). Exit status 1 when memvigil
failed, leaked, or did not end in time, or a workload run failed while
traced; growth is reported, not judged.
"""

import argparse
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

SAMPLE_S = 10           # memvigil's figures are read this often
SETTLE_S = 10           # the start figures are taken this long after the banner
MIX_OPS = 100000        # ops per mix run (2 threads)
MIX_GAP_S = 1.0         # pause between mix runs
FORKS = ["20", "100"]   # forks N INTERVAL_MS: fork churn, one run after another
SHORT = ["sh", "-c", "ls /usr/lib | sort | head -c 64 >/dev/null"]
SHORT_GAP_S = 0.5
EXIT_TIMEOUT_S = 120


def cgroup_memory_mount():
    """The cgroup v1 memory hierarchy's mount point, else cgroup2's, else None."""
    v2 = None
    with open("/proc/mounts") as f:
        for line in f:
            mnt, fstype, opts = line.split()[1:4]
            if fstype == "cgroup" and "memory" in opts.split(","):
                return mnt
            if fstype == "cgroup2" and not v2:
                v2 = mnt
    return v2


def join_cgroup(cg):
    """In a child before exec: move into cgroup cg."""
    with open(os.path.join(cg, "cgroup.procs"), "w") as f:
        f.write(str(os.getpid()))


def cgroup_pids(cg):
    try:
        with open(os.path.join(cg, "cgroup.procs")) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def remove_cgroup(cg):
    for _ in range(200):
        pids = cgroup_pids(cg)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    try:
        os.rmdir(cg)
    except OSError as e:
        print(f"soak: cannot remove {cg}: {e}", file=sys.stderr)


class Figures:
    """What /proc says of one process, sampled over time."""

    def __init__(self, pid):
        self.pid = pid
        self.tick = os.sysconf("SC_CLK_TCK")
        self.samples = []

    def sample(self, t):
        try:
            with open(f"/proc/{self.pid}/status") as f:
                rss_kib = int(re.search(r"^VmRSS:\s+(\d+)", f.read(), re.M)[1])
            with open(f"/proc/{self.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            cpu_s = (int(fields[11]) + int(fields[12])) / self.tick
            fds = len(os.listdir(f"/proc/{self.pid}/fd"))
        except (OSError, TypeError):
            return None
        s = {"t_s": round(t, 1), "rss_kib": rss_kib, "fds": fds, "cpu_s": round(cpu_s, 2)}
        self.samples.append(s)
        return s

    def fd_kinds(self):
        """What memvigil's descriptors are, counted: BPF objects by kind, files by path."""
        kinds = {}
        try:
            fds = os.listdir(f"/proc/{self.pid}/fd")
        except OSError:
            return kinds
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{self.pid}/fd/{fd}")
            except OSError:
                continue
            kind = re.sub(r"\[\d+\]|:\d+$", "", target)
            kinds[kind] = kinds.get(kind, 0) + 1
        return dict(sorted(kinds.items(), key=lambda kv: -kv[1]))


class Scraper:
    """memvigil's live HTTP server, when it has one (--listen): at each sample, GET each
    of PATHS."""

    PATHS = ("/metrics", "/api/v1/processes", "/debug/pprof/heap")
    TIMEOUT_S = 30      # an ASan build on a loaded machine: seconds, not milliseconds

    def __init__(self, memvigil):
        help_text = subprocess.run([memvigil, "--help"], capture_output=True, text=True).stdout
        self.enabled = "--listen" in help_text
        self.addr = "127.0.0.1:%d" % (20000 + os.getpid() % 20000)
        self.ok = self.failed = 0
        self.last_error = None
        self.slowest_s = {}

    def args(self):
        return [f"--listen={self.addr}"] if self.enabled else []

    def scrape(self):
        for path in self.PATHS if self.enabled else ():
            self.get(path)

    def get(self, path):
        t0 = time.monotonic()
        try:
            with urllib.request.urlopen(f"http://{self.addr}{path}",
                                        timeout=self.TIMEOUT_S) as r:
                body = r.read()
            took = round(time.monotonic() - t0, 2)
            self.slowest_s[path] = max(self.slowest_s.get(path, 0), took)
            if r.status == 200 and body:
                self.ok += 1
                return
            self.last_error = f"{path}: status {r.status}, {len(body)} bytes"
        except OSError as e:
            self.last_error = f"{path}: {e}"
        self.failed += 1

    def result(self):
        if not self.enabled:
            return {"enabled": False, "why": "this memvigil has no --listen"}
        return {"enabled": True, "paths": list(self.PATHS), "requests_ok": self.ok,
                "requests_failed": self.failed, "last_error": self.last_error,
                "slowest_s": self.slowest_s, "timeout_s": self.TIMEOUT_S}


class Churn:
    """The workloads, started into the cgroup one after another until stopped."""

    def __init__(self, cg, workloads, sampler):
        self.cg = cg
        self.workloads = workloads
        self.sampler = sampler
        self.stopping = threading.Event()
        self.counts = {"mix": 0, "mix_sampler": 0, "forks": 0, "forks_sampler": 0, "short": 0,
                       "failed": 0}
        self.runs = {"mix": 0, "forks": 0}
        self.lock = threading.Lock()
        self.threads = []

    def run_one(self, argv, env=None):
        cg = self.cg
        p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, preexec_fn=lambda: join_cgroup(cg))
        _, err = p.communicate()
        if p.returncode:
            with self.lock:
                self.counts["failed"] += 1
            print(f"soak: {argv[0]} exited {p.returncode}: {err.decode()[-200:]}",
                  file=sys.stderr)
        return p.returncode == 0

    def loop(self, fn, gap_s):
        while not self.stopping.is_set():
            kind = fn()
            with self.lock:
                self.counts[kind] += 1
            self.stopping.wait(gap_s)

    def env(self, kind):
        """The environment of run kind: every other run of each kind preloads the sampler."""
        self.runs[kind] += 1
        env = dict(os.environ)
        if self.runs[kind] % 2 == 0:
            env["LD_PRELOAD"] = self.sampler
        return env

    def mix(self):
        env = self.env("mix")
        self.run_one([os.path.join(self.workloads, "mix"), str(MIX_OPS), "2"], env)
        return "mix_sampler" if "LD_PRELOAD" in env else "mix"

    def forks(self):
        env = self.env("forks")
        self.run_one([os.path.join(self.workloads, "forks")] + FORKS, env)
        return "forks_sampler" if "LD_PRELOAD" in env else "forks"

    def short(self):
        self.run_one(SHORT)
        return "short"

    def start(self):
        for fn, gap in ((self.mix, MIX_GAP_S), (self.forks, 1.0), (self.short, SHORT_GAP_S)):
            t = threading.Thread(target=self.loop, args=(fn, gap), daemon=True)
            t.start()
            self.threads.append(t)

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(EXIT_TIMEOUT_S)


def wait_banner(p, out_path, err_path, timeout=60):
    """Wait for memvigil's "Tracing ..." line; exit the soak if it ends or never says it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if p.poll() is not None:
            with open(err_path, errors="replace") as f:
                raise SystemExit(f"soak: memvigil exited {p.returncode} before tracing: "
                                 f"{f.read()[-600:]}")
        with open(out_path, errors="replace") as f:
            if "Tracing " in f.read():
                return
        time.sleep(0.2)
    raise SystemExit(f"soak: memvigil printed no banner in {timeout} s")


def host():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        m = re.search(r"^model name\s*:\s*(.+)$", f.read(), re.M)
        cpu = m[1].strip() if m else cpu
    return {"cpu": cpu, "vcpus": os.cpu_count(), "kernel": platform.release(),
            "loadavg_at_end": os.getloadavg()[0]}


def summarize(fig, report, rc, lsan, seconds, churn, scraper, args):
    s = fig.samples
    start = s[0] if s else {}
    end = s[-1] if s else {}
    hl = (report or {}).get("health", {})
    cpu_s = end.get("cpu_s", 0) - start.get("cpu_s", 0)
    span = end.get("t_s", 0) - start.get("t_s", 0)
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "host": host(),
        "memvigil": {"binary": args.memvigil, "exit_status": rc,
                     "leak_sanitizer": lsan},
        "duration_s": round(seconds, 1),
        "rss_kib": {"start": start.get("rss_kib"), "end": end.get("rss_kib"),
                    "peak": max((x["rss_kib"] for x in s), default=None)},
        "open_fds": {"start": start.get("fds"), "end": end.get("fds"),
                     "peak": max((x["fds"] for x in s), default=None)},
        "cpu": {"seconds_total": end.get("cpu_s"),
                "seconds_start_to_end": round(cpu_s, 2),
                "percent_of_one_cpu": round(100 * cpu_s / span, 1) if span > 0 else None},
        "events": hl.get("events"),
        "lost_events": hl.get("lost_events"),
        "lost": hl.get("lost"),
        "unmatched_frees": hl.get("unmatched_frees"),
        "processes_in_report": len((report or {}).get("processes", [])),
        "exited_dropped": hl.get("exited_dropped"),
        "workload_runs": churn.counts,
        "scrape": scraper.result(),
        "samples": s,
    }


def run(args):
    mount = cgroup_memory_mount()
    if not mount:
        raise SystemExit("soak: no memory cgroup hierarchy is mounted (/proc/mounts)")
    cg = tempfile.mkdtemp(prefix="memvigil-soak-", dir=mount)
    tmp = tempfile.mkdtemp(prefix="memvigil-soak-")
    json_path = os.path.join(tmp, "final.json")
    err_path = os.path.join(tmp, "stderr")
    out_path = os.path.join(tmp, "stdout")
    scraper = Scraper(args.memvigil)
    # A small quarantine, so that the RSS figures are memvigil's more than ASan's.
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:exitcode=23:abort_on_error=0:"
               "quarantine_size_mb=8")
    argv = [args.memvigil, "--cgroup", cg, "-i", "30", "--json", json_path,
            "--jsonl", os.path.join(tmp, "lines.jsonl")] + scraper.args()
    churn = Churn(cg, args.workloads, args.sampler)
    seconds = args.seconds if args.seconds else args.minutes * 60
    with open(err_path, "w") as err, open(out_path, "w") as out:
        p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
    fig = Figures(p.pid)
    rc = None
    fds_at_end = {}
    try:
        wait_banner(p, out_path, err_path)
        t0 = time.monotonic()
        churn.start()
        time.sleep(min(SETTLE_S, seconds / 4))
        while True:
            now = time.monotonic() - t0
            fig.sample(now)
            scraper.scrape()
            if now >= seconds or p.poll() is not None:
                break
            time.sleep(min(SAMPLE_S, max(seconds - now, 0.1)))
        churn.stop()
        fig.sample(time.monotonic() - t0)
        fds_at_end = fig.fd_kinds()
        p.send_signal(signal.SIGTERM)
        rc = p.wait(EXIT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = "did not end within %d s of SIGTERM" % EXIT_TIMEOUT_S
    finally:
        churn.stop()
        if p.poll() is None:
            p.kill()
            p.wait()
        remove_cgroup(cg)
    with open(err_path, errors="replace") as f:
        stderr = f.read()
    lsan = "leaks" if "LeakSanitizer" in stderr else (
        "clean" if "AddressSanitizer" not in stderr else "asan error")
    report = None
    if os.path.exists(json_path):
        with open(json_path) as f:
            report = json.load(f)
    result = summarize(fig, report, rc, lsan, seconds, churn, scraper, args)
    result["open_fds"]["at_end_by_kind"] = fds_at_end
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print_summary(result, args.out)
    if rc != 0 or lsan != "clean":
        print(f"soak: memvigil failed (exit {rc}, sanitizers {lsan}); its stderr ends:\n"
              f"{stderr[-3000:]}", file=sys.stderr)
        return 1
    if scraper.failed:
        print(f"soak: {scraper.failed} requests to --listen failed, the last: "
              f"{scraper.last_error}", file=sys.stderr)
        return 1
    if churn.counts["failed"]:
        print(f"soak: {churn.counts['failed']} workload runs failed while traced",
              file=sys.stderr)
        return 1
    return 0


def print_summary(r, out):
    print(f"soak: {r['duration_s']:.0f} s on {r['host']['cpu']} ({r['host']['vcpus']} vCPUs), "
          f"kernel {r['host']['kernel']}")
    print(f"  RSS {r['rss_kib']['start']} -> {r['rss_kib']['end']} KiB (peak "
          f"{r['rss_kib']['peak']}), fds {r['open_fds']['start']} -> {r['open_fds']['end']}, "
          f"CPU {r['cpu']['seconds_start_to_end']} s ({r['cpu']['percent_of_one_cpu']}% of one)")
    print(f"  processes in the final report {r['processes_in_report']}, exited ones dropped "
          f"{r['exited_dropped']} (--keep-exited)")
    print(f"  events {r['events']}, lost {r['lost_events']} {r['lost']}, "
          f"runs {r['workload_runs']}, scrape {r['scrape']}")
    print(f"  exit {r['memvigil']['exit_status']}, LeakSanitizer {r['memvigil']['leak_sanitizer']}"
          f"; figures in {out}")


def main():
    ap = argparse.ArgumentParser(description="memvigil soak (root)")
    ap.add_argument("--memvigil", required=True, help="memvigil binary (an ASan build)")
    ap.add_argument("--workloads", required=True, help="bench workloads directory (mix, forks)")
    ap.add_argument("--sampler", required=True, help="libmemvigil-sampler.so")
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--seconds", type=float, default=0, help="overrides --minutes")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "soak.json"))
    ap.add_argument("--summary", action="store_true",
                    help='end with "1 passed, 0 failed" (or "0 passed, 1 failed"), as a test')
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("soak: not root: memvigil loads BPF programs; run as root", file=sys.stderr)
        return 1
    for path in (args.memvigil, os.path.join(args.workloads, "mix"), args.sampler):
        if not os.path.exists(path):
            print(f"soak: {path} is missing (make soak builds it)", file=sys.stderr)
            return 1
    rc = run(args)
    if args.summary:
        print("1 passed, 0 failed" if rc == 0 else "0 passed, 1 failed")
    return rc


if __name__ == "__main__":
    sys.exit(main())
