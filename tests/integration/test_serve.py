# SPDX-License-Identifier: GPL-2.0
"""Integration tests: --listen, the live server, against real traced processes.

A scrape of /metrics passes `promtool check metrics` (Debian's prometheus,
installed by scripts/deps.sh; a missing promtool is a failure, not a skip)
and escapes a comm with quotes, a backslash and a newline; go tool pprof
reads /debug/pprof/heap over HTTP; /api/v1/report validates against the
report schema and the other endpoints answer with the traced figures;
unknown paths are 404, bad parameters 400, other methods 405, all with a
JSON error; the bearer token is required when given, and an unsafe token
file, a port in use or a bad address end memvigil with one line before
anything is attached; the connection and request-size limits hold; a
scrape loop during heavy tracing leaves the trace whole; the dashboard
draws in headless Chromium and its figures follow a growing leak.
"""

import http.client
import json
import os
import re
import select
import shutil
import socket
import subprocess
import time

import browser
import harness as h
from test_pprof import go_pprof

REQUEST_TIMEOUT_S = 30


def serve(ctx, args, port=None, wait=True):
    """memvigil --listen=PORT ARGS, its banner seen; (process, port)."""
    port = port or browser.free_port()
    mv = h.memvigil(ctx, [f"--listen={port}", *args])
    if wait:
        h.wait_banner(mv)
    return mv, port


def get(port, path, method="GET", headers=None, host="127.0.0.1"):
    """(status, headers as a dict, body bytes) of one request."""
    conn = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT_S)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def get_json(port, path, status=200, headers=None):
    st, hd, body = get(port, path, headers=headers)
    h.check(st == status, f"GET {path}: status {st}, expected {status}: {body[:300]!r}")
    h.check(hd.get("content-type") == "application/json",
            f"GET {path}: Content-Type {hd.get('content-type')!r}")
    try:
        return json.loads(body)
    except ValueError as e:
        raise h.Failure(f"GET {path}: not JSON ({e}): {body[:300]!r}")


def check_error(port, path, status, method="GET", headers=None):
    """path answers status with a JSON {"error", "status"} body; the error text."""
    st, hd, body = get(port, path, method=method, headers=headers)
    h.check(st == status, f"{method} {path}: status {st}, expected {status}")
    doc = json.loads(body)
    h.check(doc.get("status") == status and doc.get("error"),
            f"{method} {path}: error body {doc}")
    return doc["error"], hd


def promtool_check(ctx, text):
    promtool = shutil.which("promtool")
    h.check(promtool, "promtool is missing: scripts/deps.sh installs prometheus for it")
    r = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=60)
    h.check(r.returncode == 0, f"promtool check metrics exited {r.returncode}: "
            f"{(r.stdout + r.stderr).strip()[:800]}")


def scrape(port):
    st, hd, body = get(port, "/metrics")
    h.check(st == 200, f"/metrics answered {st}")
    h.check(hd.get("content-type", "").startswith("text/plain; version=0.0.4"),
            f"/metrics Content-Type {hd.get('content-type')!r}")
    return body.decode()


def sample_value(text, name, pid):
    m = re.search(rf'^{name}{{pid="{pid}",[^}}]*}} (\S+)$', text, re.M)
    h.check(m, f"no {name} series of PID {pid} in /metrics")
    return float(m[1])


def test_serve_metrics_pass_promtool_and_escape_a_crafted_comm(ctx):
    crafted = ctx.path('q"b\\c\nl')
    shutil.copy(h.workload("leak_shapes"), crafted)
    mv, port = serve(ctx, ["-i", "0", "--", crafted, "steady", "30"])
    pid = int(mv.wait_line(r"^READY (\d+)$", 10)[1])
    time.sleep(1.5)
    text = scrape(port)
    promtool_check(ctx, text)
    comm = [p for p in get_json(port, "/api/v1/processes")["processes"] if p["pid"] == pid]
    h.check(comm and '"' in comm[0]["comm"] and "\\" in comm[0]["comm"],
            f"the crafted comm as memvigil knows it: {comm}")
    escaped = comm[0]["comm"].replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    h.check(f'memvigil_heap_outstanding_bytes{{pid="{pid}",comm="{escaped}"}} ' in text,
            f"the crafted comm is not escaped as {escaped!r}: "
            + "; ".join(l for l in text.splitlines() if "heap_outstanding_bytes{" in l))
    h.check(sample_value(text, "memvigil_heap_allocated_bytes_total", pid) > 0,
            "no allocation counted")
    for name in ("memvigil_rss_bytes", "memvigil_events_lost_total", "memvigil_self_cpu_seconds_total",
                 "memvigil_processes_attached"):
        h.check(re.search(rf"^{name}[{{ ]", text, re.M), f"/metrics lacks {name}")
    h.check(stop_ok(mv) == 0, "memvigil did not end cleanly")


def stop_ok(mv):
    rc = h.stop(mv)
    h.check(rc in (0, 143), f"memvigil exited {rc}; {mv.describe()}")
    return 0


def test_serve_api_endpoints_answer_with_the_traced_figures(ctx):
    wl = h.spawn_workload(ctx, "leak_shapes", "steady", "30")
    mv, port = serve(ctx, ["-i", "0", "-p", wl.pid])
    time.sleep(2)
    procs = get_json(port, "/api/v1/processes")["processes"]
    mine = [p for p in procs if p["pid"] == wl.pid]
    h.check(len(mine) == 1 and mine[0]["outstanding_bytes"] > 0,
            f"/api/v1/processes: {procs}")
    one = get_json(port, f"/api/v1/processes/{wl.pid}")
    h.check(one["pid"] == wl.pid and one["comm"] == "leak_shapes" and one["stacks"],
            f"/api/v1/processes/{wl.pid}: {str(one)[:300]}")
    st = get_json(port, f"/api/v1/processes/{wl.pid}/stacks?top=1")
    h.check(len(st["stacks"]) == 1, f"top=1 gave {len(st['stacks'])} stacks")
    h.check(h.caller_symbol(st["stacks"][0]) == "leak_steadily",
            f"top stack: {st['stacks'][0]['frames'][:2]}")
    st, hd, body = get(port, "/api/v1/report")
    h.check(st == 200, f"/api/v1/report answered {st}")
    path = ctx.path("live.json")
    with open(path, "wb") as f:
        f.write(body)
    report = h.load_report(path)    # validated against docs/report.schema.json
    h.check(any(p["pid"] == wl.pid for p in report["processes"]), "the report lacks the PID")
    health = get_json(port, "/healthz")
    h.check(health["status"] == "ok" and health["processes_attached"] == 1, f"/healthz: {health}")
    h.check(get_json(port, "/api/v1/alerts")["alerts"] == [], "alerts without --alert")
    st, hd, body = get(port, "/metrics", method="HEAD")
    h.check(st == 200 and body == b"", f"HEAD /metrics: {st}, {len(body)} bytes of body")
    check_error(port, "/api/v1/processes/1", 404)
    check_error(port, "/nope", 404)
    check_error(port, "/metrics/", 404)
    check_error(port, "/api/v1/processes/x1", 400)
    why, _ = check_error(port, f"/api/v1/processes/{wl.pid}/stacks?top=0", 400)
    h.check("from 1 to 10000" in why, f"the 400 says {why!r}")
    check_error(port, "/metrics?debug=1", 400)
    for method in ("POST", "PUT", "DELETE", "OPTIONS"):
        _, hd = check_error(port, "/metrics", 405, method=method)
        h.check(hd.get("allow") == "GET, HEAD", f"{method}: Allow {hd.get('allow')!r}")
    stop_ok(mv)


def test_serve_pprof_heap_is_read_by_go_tool_pprof(ctx):
    wl = h.spawn_workload(ctx, "leak_shapes", "steady", "30")
    mv, port = serve(ctx, ["-i", "0", "-p", wl.pid])
    time.sleep(1.5)
    out = go_pprof(ctx, "-raw", f"http://127.0.0.1:{port}/debug/pprof/heap")
    h.check("leak_steadily" in out, f"go tool pprof -raw over HTTP: {out[:600]!r}")
    h.check(f"pid:[{wl.pid}]" in out, "the samples lack the pid label")
    stop_ok(mv)


def write_token(ctx, text, mode):
    path = ctx.path("token")
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def test_serve_token_is_required_when_given(ctx):
    token = write_token(ctx, "Zm9vYmFy-s3cret\n", 0o600)
    wl = h.spawn_workload(ctx, "spin", "30", ready=r"^SPIN (\d+)$")
    mv, port = serve(ctx, ["-i", "0", "-p", wl.pid, f"--listen-token-file={token}"])
    _, hd = check_error(port, "/metrics", 401)
    h.check(hd.get("www-authenticate", "").startswith("Bearer"), f"401 headers {hd}")
    check_error(port, "/healthz", 401, headers={"Authorization": "Bearer Zm9vYmFy-s3cre"})
    check_error(port, "/healthz", 401, headers={"Authorization": "Basic Zm9vYmFy-s3cret"})
    check_error(port, "/nope", 401)     # nothing is said about paths without the token
    st, _, body = get(port, "/")
    h.check(st == 200 and b'{"live":"api/v1/report"}' in body,
            f"the dashboard's page (no data) answered {st} without the token")
    h.check(get_json(port, "/healthz", headers={"Authorization": "Bearer Zm9vYmFy-s3cret"})
            ["status"] == "ok", "the right token is refused")
    stop_ok(mv)


def check_refused(ctx, args, expect):
    """memvigil ARGS ends with one line containing expect, nothing attached."""
    before = h.bpf_trace_progs()
    wl = h.spawn_workload(ctx, "spin", "30", ready=r"^SPIN (\d+)$")
    p, rc = h.run_to_end(ctx, [*args, "-p", wl.pid])
    line = h.assert_one_line_error(p, rc)
    h.check(expect in line, f"the error says {line!r}, expected {expect!r}")
    h.check(not h.leftover_progs(before), "programs were loaded before the refusal")
    return line


def test_serve_bad_token_files_address_and_busy_port_are_one_line(ctx):
    token = write_token(ctx, "abc\n", 0o644)
    check_refused(ctx, ["--listen=0", f"--listen-token-file={token}"], "bad --listen")
    port = browser.free_port()
    check_refused(ctx, [f"--listen={port}", f"--listen-token-file={token}"],
                  "readable by any user")
    os.chmod(token, 0o600)
    link = ctx.path("link")
    os.symlink(token, link)
    check_refused(ctx, [f"--listen={port}", f"--listen-token-file={link}"], "symbolic link")
    check_refused(ctx, [f"--listen={port}", f"--listen-token-file={ctx.path('none')}"],
                  "cannot read --listen-token-file")
    check_refused(ctx, ["--listen=localhost:80"], "bad --listen")
    check_refused(ctx, ["--listen=192.0.2.1:9"], "give an address of this host")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        line = check_refused(ctx, [f"--listen={busy.getsockname()[1]}"], "cannot listen on")
        h.check("Address already in use" in line and "pick another port" in line, line)


def test_serve_non_loopback_address_warns_and_serves(ctx):
    wl = h.spawn_workload(ctx, "spin", "30", ready=r"^SPIN (\d+)$")
    port = browser.free_port()
    mv = h.memvigil(ctx, [f"--listen=0.0.0.0:{port}", "-i", "0", "-p", wl.pid])
    h.wait_banner(mv)
    warn = [l for l in mv.err_lines() if "not a loopback address" in l]
    h.check(len(warn) == 1 and "no --listen-token-file" in warn[0], f"stderr {mv.err_lines()}")
    h.check(get_json(port, "/healthz")["status"] == "ok", "/healthz")
    stop_ok(mv)


def answered(sockets, wait_s):
    """The sockets of sockets with a response to read after wait_s s (shorter than the
    server's idle timeout, so no connection was closed for idling meanwhile)."""
    time.sleep(wait_s)
    ready, _, _ = select.select(sockets, [], [], 0)
    return [s for s in sockets if s in ready and s.recv(12).startswith(b"HTTP/1.1 200")]


def test_serve_limits_on_connections_and_request_size(ctx):
    wl = h.spawn_workload(ctx, "spin", "30", ready=r"^SPIN (\d+)$")
    mv, port = serve(ctx, ["-i", "0", "-p", wl.pid])
    st, _, _ = get(port, "/healthz", headers={"X-Big": "a" * (40 * 1024)})
    h.check(st in (413, 414, 431), f"a 40 KiB header answered {st}")
    conns = []
    try:
        for _ in range(40):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            conns.append(s)
        first = answered(conns, 2)
        h.check(len(first) == 32, f"{len(first)} of 40 connections answered at once, "
                "expected the limit, 32 (the others wait)")
        rest = [s for s in conns if s not in first]
        for s in first:
            s.close()
        later = answered(rest, 3)
        h.check(len(later) == len(rest), f"{len(later)} of the {len(rest)} waiting "
                "connections answered once the others closed")
    finally:
        for s in conns:
            s.close()
    h.check(get_json(port, "/healthz")["status"] == "ok", "the server recovered")
    stop_ok(mv)


def test_serve_scrapes_during_heavy_tracing_leave_the_trace_whole(ctx):
    json_path = ctx.path("r.json")
    mv, port = serve(ctx, ["-i", "0", "--json", json_path, "--",
                           h.workload("leak_cache_churn"), "6"])
    scrapes, events = 0, []
    while mv.alive():
        try:
            text = scrape(port)
            get(port, "/api/v1/report")
        except (ConnectionError, OSError):
            break      # the command ended and memvigil with it
        m = re.search(r"^memvigil_events_total (\S+)$", text, re.M)
        h.check(m, "no memvigil_events_total")
        events.append(float(m[1]))
        scrapes += 1
    rc = mv.wait(h.EXIT_TIMEOUT_S)
    h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    h.check(scrapes >= 2 and events == sorted(events) and events[-1] > events[0],
            f"{scrapes} scrapes, events {events[:3]}...{events[-3:]}")
    report = h.load_report(json_path)
    truth, clean, _ = h.parse_truth(mv.out())
    procs = h.select_procs(report, exe_name="leak_cache_churn")
    h.check_truth(report, procs, truth)
    h.check_holds_nothing(procs, clean)


def test_serve_dashboard_follows_a_growing_leak(ctx):
    wl = h.spawn_workload(ctx, "leak_shapes", "steady", "40")
    mv, port = serve(ctx, ["-i", "0", "-p", wl.pid])
    try:
        b = browser.Browser()
    except browser.BrowserMissing as e:
        raise h.Failure(str(e))
    try:
        b._s("POST", "/url", {"url": f"http://127.0.0.1:{port}/"})
        b.wait_rendered()
        seen = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(set(seen)) < 3:
            v = b.run("const c = document.querySelector('#processes tr.proc td:nth-child(4)');"
                      "return [document.body.getAttribute('data-refreshes'),"
                      " c && c.getAttribute('data-value')]")
            if v[0] and v[1] is not None and (not seen or seen[-1] != float(v[1])):
                seen.append(float(v[1]))
            time.sleep(0.5)
        h.check(len(seen) >= 3 and seen == sorted(seen),
                f"the dashboard's outstanding bytes did not grow: {seen}")
        bad = [e for e in b.console() if e.get("level") in ("SEVERE", "WARNING")]
        h.check(not bad, f"the browser console says {bad[:5]}")
        title = b.run("return document.getElementById('detail-title').textContent")
        h.check(f"PID {wl.pid}" in title, f"detail title {title!r}")
    finally:
        b.close()
    stop_ok(mv)
