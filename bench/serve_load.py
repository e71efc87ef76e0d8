#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The live server under load: requests per second and latency of /metrics and /api/v1/report.

    serve_load.py [--memvigil BIN] [--build DIR] [--stacks N] [--clients C]
                  [--seconds S] [--out FILE]

memvigil --listen traces, with -f, a shell that starts `stacks N` (N live
blocks, each from a stack of its own; default 10,000) and then becomes `mix`
(2 threads allocating and freeing at full rate, as in run.py). Once the N
stacks are live, each phase runs S seconds (default 10): first no client (the
control), then C loopback clients (default 4, one keep-alive connection each)
requesting one endpoint back to back. Per phase: requests per second, median
and p99 latency, the traced events per second, and the events lost (ring
buffer full and the other losses of memvigil_events_lost_total; cut stacks
aside) during the phase. A bench row, not a test: nothing is asserted. Needs
root (BPF); run by `make bench` after run.py, alone with `make -C bench serve`.
"""

import argparse
import http.client
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ENDPOINTS = ["/metrics", "/api/v1/report"]
LOSSES = ("ringbuf_full", "inflight_full", "kstats_full", "syscall_state_full", "sampled_full")
READY_TIMEOUT_S = 300
REQUEST_TIMEOUT_S = 120


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(conn, path, busy=None):
    """The body of a 200; a 503 (answers not yet read hold too much) counted in busy[0]."""
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    if resp.status == 503 and busy is not None:
        busy[0] += 1
        return None
    if resp.status != 200:
        raise RuntimeError(f"GET {path}: {resp.status} {body[:200]!r}")
    return body


def counters(port):
    """(events, events lost) from /metrics."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    try:
        text = get(conn, "/metrics").decode()
    finally:
        conn.close()
    events = float(re.search(r"^memvigil_events_total (\S+)$", text, re.M)[1])
    lost = sum(float(m[2]) for m in re.finditer(
        r'^memvigil_events_lost_total\{reason="(\w+)"\} (\S+)$', text, re.M) if m[1] in LOSSES)
    return events, lost


def client(port, path, deadline, latencies, sizes, busy):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    try:
        while time.monotonic() < deadline:
            t0 = time.monotonic()
            body = get(conn, path, busy)
            if body is None:
                time.sleep(1)      # Retry-After: 1
                continue
            latencies.append(time.monotonic() - t0)
            sizes.append(len(body))
    finally:
        conn.close()


def phase(port, path, clients, seconds):
    """One phase's row: path None runs no client."""
    ev0, lost0 = counters(port)
    t0 = time.monotonic()
    latencies, sizes, busy = [], [], [0]
    threads = [threading.Thread(target=client,
                                args=(port, path, t0 + seconds, latencies, sizes, busy))
               for _ in range(clients if path else 0)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if not path:
        time.sleep(max(0, t0 + seconds - time.monotonic()))
    wall = time.monotonic() - t0
    ev1, lost1 = counters(port)
    lat = sorted(latencies)
    row = {"endpoint": path or "(no client)", "clients": len(threads), "wall_s": wall,
           "requests": len(lat), "rps": len(lat) / wall,
           "p50_ms": statistics.median(lat) * 1e3 if lat else None,
           "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3 if lat else None,
           "bytes": statistics.median(sizes) if sizes else None,
           "busy_503": busy[0], "events_per_s": (ev1 - ev0) / wall,
           "events_lost": lost1 - lost0}
    return row


def wait_stacks(port, n, mv):
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if mv.poll() is not None:
            raise RuntimeError(f"memvigil exited {mv.returncode} before the stacks were live")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
            try:
                procs = json.loads(get(conn, "/api/v1/processes"))["processes"]
            finally:
                conn.close()
            if any(p["comm"] == "stacks" and p["outstanding_allocs"] >= n for p in procs):
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"no process held {n} stacks within {READY_TIMEOUT_S} s")


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def run(a):
    port = free_port()
    wl = os.path.join(a.build, "workloads")
    shell = f"{wl}/stacks {a.stacks} & exec {wl}/mix 2000000000 2"
    mv = subprocess.Popen([a.memvigil, f"--listen={port}", "-i", "0", "-f", "--",
                           "/bin/sh", "-c", shell], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    ready = {}

    def read_stdout():
        for line in mv.stdout:
            m = re.match(r"^READY (\d+) \d+$", line)
            if m:
                ready["pid"] = int(m[1])
    threading.Thread(target=read_stdout, daemon=True).start()
    rows = []
    try:
        wait_stacks(port, a.stacks, mv)
        for path in [None] + ENDPOINTS:
            rows.append(phase(port, path, a.clients, a.seconds))
            r = rows[-1]
            print(f"{r['endpoint']:<16} {r['clients']:>7} {r['rps']:9.1f} "
                  f"{fmt(r['p50_ms'], '9.1f')} {fmt(r['p99_ms'], '9.1f')} "
                  f"{fmt(r['bytes'] and r['bytes'] / 1048576, '9.2f')} "
                  f"{r['events_per_s']:9.0f} {r['events_lost']:7.0f}", flush=True)
    finally:
        mv.send_signal(signal.SIGTERM)
        try:
            mv.wait(60)
        except subprocess.TimeoutExpired:
            mv.kill()
            mv.wait()
        if "pid" in ready:     # stacks outlives mix, the command memvigil ends
            try:
                os.kill(ready["pid"], signal.SIGKILL)
            except ProcessLookupError:
                pass
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--memvigil", default=os.path.join(ROOT, "build", "memvigil"))
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "bench"))
    ap.add_argument("--stacks", type=int, default=10000)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--out", help="also write the rows to this JSON file")
    a = ap.parse_args()
    print(f"live server under load: {a.stacks} live stacks, mix at full rate, {a.clients} "
          f"clients x {a.seconds:g} s per endpoint; {cpu_model()}, {os.cpu_count()} CPUs, "
          f"kernel {platform.release()}")
    print(f"{'endpoint':<16} {'clients':>7} {'req/s':>9} {'p50_ms':>9} {'p99_ms':>9} "
          f"{'MiB':>9} {'events/s':>9} {'lost':>7}")
    rows = run(a)
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"cpu": cpu_model(), "kernel": platform.release(), "stacks": a.stacks,
                       "clients": a.clients, "seconds": a.seconds, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
