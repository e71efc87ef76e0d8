# SPDX-License-Identifier: GPL-2.0
"""The real-server rows of `make bench` (run.py --only server).

Debian's redis-server (jemalloc, no frame pointers) on a loopback port under
its own benchmark client, pipelined (`redis-benchmark -P 16`) so that the
server is the bottleneck: requests per second of SET, GET and LPUSH,
untraced, under memvigil exact and sampled through the allocator's uprobes,
under memvigil sampled through the sampler (`--preload`), and under heaptrack, in
interleaved rounds; the table gives each configuration's throughput as a
ratio of the untraced one within the run. Beside it, the stacks each tracer
gave the server's top live allocations at its end: how deep they are and
how many reach main (memvigil's JSON report, heaptrack_print's leaked-bytes
flame-graph stacks).
"""

import glob
import json

import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time

SERVER = "redis-server"
CLIENT = "redis-benchmark"
TESTS = "set,get,lpush"
PIPELINE = 16
PORT = 16379
START_TIMEOUT_S = 60
# The stacks compared: this many with the most live bytes at the end.
TOP_STACKS = 5
# A client run that lasts longer has hung (seen once under heavy host load).
CLIENT_TIMEOUT_S = 180
# Requests per test: configurations that keep the server near native speed
# need many to last a second; one that traps on every call needs few.
REQUESTS = {"fast": 300000, "slow": 20000}

UNTRACED = "untraced"
UPROBES_EXACT = "memvigil-exact-uprobes"
UPROBES = "memvigil-sampled-uprobes"
SAMPLER = "memvigil-sampled-sampler"
HEAPTRACK = "heaptrack"
CONFIGS = [UNTRACED, UPROBES_EXACT, UPROBES, SAMPLER, HEAPTRACK]
LABELS = {UNTRACED: "untraced", UPROBES_EXACT: "memvigil exact (uprobes)",
          UPROBES: "memvigil --sample-bytes=512K (uprobes)",
          SAMPLER: "memvigil --preload --sample-bytes=512K", HEAPTRACK: "heaptrack"}


def missing():
    """Why the rows cannot run here, or None."""
    for tool in (SERVER, CLIENT):
        if not shutil.which(tool):
            return "%s not installed (apt-get install redis-server redis-tools)" % tool
    return None


def wait_port(port, timeout_s):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return True
        except OSError:
            time.sleep(0.1)
    return False


def server_argv(config, memvigil, heaptrack, tmp, port):
    server = [shutil.which(SERVER), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
              "--appendonly", "no", "--daemonize", "no"]
    mv = [memvigil, "-i", "0", "-j", os.path.join(tmp, "server.json")]
    if config == UNTRACED:
        return server
    if config == UPROBES_EXACT:
        return mv + ["--"] + server
    mv.append("--sample-bytes=524288")
    if config == UPROBES:
        return mv + ["--"] + server
    if config == SAMPLER:
        return mv + ["--preload", "--"] + server
    return [heaptrack, "-o", os.path.join(tmp, "heaptrack")] + server


def client(port, requests):
    """{test: requests per second} from one run of the benchmark client ({} if it hung)."""
    try:
        r = subprocess.run([shutil.which(CLIENT), "-p", str(port), "-P", str(PIPELINE), "-t",
                            TESTS, "-n", str(requests), "-q", "--csv"], capture_output=True,
                           text=True, timeout=CLIENT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {}
    rps = {}
    for line in r.stdout.splitlines():
        cells = [c.strip('"') for c in line.split(",")]
        if len(cells) >= 2 and cells[0] != "test":
            try:
                rps[cells[0].split()[0].lower()] = float(cells[1])
            except ValueError:
                pass
    return rps


def memvigil_top_stacks(path):
    """[(live bytes, [symbols innermost first])] of the server's top stacks in a report."""
    with open(path) as f:
        report = json.load(f)
    stacks = [(s.get("outstanding_bytes", 0), [fr.get("symbol") for fr in s.get("frames", [])])
              for p in report.get("processes", []) for s in p.get("stacks", [])]
    return sorted(stacks, key=lambda x: -x[0])[:TOP_STACKS]


def heaptrack_top_stacks(tmp):
    """The same from heaptrack's recording: its leaked bytes per stack."""
    files = glob.glob(os.path.join(tmp, "heaptrack*"))
    if not files or not shutil.which("heaptrack_print"):
        return []
    folded = os.path.join(tmp, "leaked.txt")
    subprocess.run(["heaptrack_print", "-f", files[0], "--flamegraph-cost-type", "leaked",
                    "-F", folded], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=600)
    stacks = []
    with open(folded) as f:
        for line in f:
            path, _, cost = line.rstrip("\n").rpartition(" ")
            frames = [fr.split(" (")[0] for fr in path.rstrip(";").split(";") if fr]
            if cost.isdigit():
                stacks.append((int(cost), frames[::-1]))
    return sorted(stacks, key=lambda x: -x[0])[:TOP_STACKS]


def stack_facts(stacks):
    """What a configuration's top stacks show: depth of each, how many name main."""
    return {"depths": [len(fr) for _, fr in stacks],
            "reach_main": sum(1 for _, fr in stacks if "main" in fr), "of": len(stacks)}


def top_stacks(config, tmp):
    """The stack facts of one run, or None for the untraced server."""
    try:
        if config in (UPROBES_EXACT, UPROBES, SAMPLER):
            return stack_facts(memvigil_top_stacks(os.path.join(tmp, "server.json")))
        if config == HEAPTRACK:
            return stack_facts(heaptrack_top_stacks(tmp))
    except (OSError, ValueError, subprocess.SubprocessError) as e:
        return {"error": str(e)}
    return None


def run_once(config, memvigil, heaptrack, port):
    """One server start, one client run, one stop: a raw sample."""
    tmp = tempfile.mkdtemp(prefix="memvigil-server-")
    argv = server_argv(config, memvigil, heaptrack, tmp, port)
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True, cwd=tmp)
    s = {"config": config}
    try:
        if not wait_port(port, START_TIMEOUT_S):
            s["error"] = "the server did not answer on port %d" % port
            return s
        slow = config in (UPROBES, UPROBES_EXACT)
        s["requests"] = REQUESTS["slow" if slow else "fast"]
        s["rps"] = client(port, s["requests"])
        if not s["rps"]:
            s["error"] = "the client got no answer within %d s" % CLIENT_TIMEOUT_S
    finally:
        os.killpg(proc.pid, signal.SIGINT if config in (UPROBES_EXACT, UPROBES, SAMPLER)
                  else signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        stacks = top_stacks(config, tmp)
        if stacks is not None:
            s["stacks"] = stacks
        shutil.rmtree(tmp, ignore_errors=True)
    return s


def bench(memvigil, rounds, log):
    """The real-server rows: raw samples and per configuration the median ratio per test."""
    why = missing()
    if why:
        return {"skipped": why}
    heaptrack = shutil.which("heaptrack")
    configs = [c for c in CONFIGS if c != HEAPTRACK or heaptrack]
    samples = []
    for r in range(rounds):
        k = r % len(configs)
        for c in configs[k:] + configs[:k]:
            s = run_once(c, memvigil, heaptrack, PORT)
            s["round"] = r
            samples.append(s)
            log("  server round %d  %-26s %s" % (r + 1, c, s.get("rps") or s.get("error")))
    summary = {}
    for c in configs:
        per_test = {}
        for t in TESTS.split(","):
            v = [s["rps"][t] for s in samples if s["config"] == c and t in s.get("rps", {})]
            per_test[t] = statistics.median(v) if v else None
        summary[c] = per_test
        last = [s["stacks"] for s in samples if s["config"] == c and "depths" in
                s.get("stacks", {})]
        if last:
            summary[c]["stacks"] = last[-1]
    base = summary.get(UNTRACED, {})
    for c in configs:
        summary[c]["x_untraced"] = {t: (summary[c][t] / base[t] if summary[c].get(t) and
                                        base.get(t) else None) for t in TESTS.split(",")}
    return {"samples": samples, "summary": summary, "configs": configs}


def print_rows(res):
    print()
    if "skipped" in res:
        print("server  %s" % res["skipped"])
        return
    tests = TESTS.split(",")
    print("server  redis-server under redis-benchmark -P %d: requests/s (x untraced)" % PIPELINE)
    for c in res["configs"]:
        d = res["summary"][c]
        cells = ["%s %s (%s)" % (t.upper(), "-" if d.get(t) is None else "{:,.0f}".format(d[t]),
                                 "-" if d["x_untraced"][t] is None else
                                 "%.3f" % d["x_untraced"][t]) for t in tests]
        print("server  %-40s %s" % (LABELS[c], "  ".join(cells)))
    print("server  top %d stacks by live bytes at the end: how many reach main, their depths"
          % TOP_STACKS)
    for c in res["configs"]:
        st = res["summary"][c].get("stacks")
        if st:
            print("server  %-40s %d of %d reach main, depths %s" % (
                LABELS[c], st["reach_main"], st["of"], " ".join(map(str, st["depths"]))))
