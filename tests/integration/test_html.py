# SPDX-License-Identifier: GPL-2.0
"""The HTML report (--html, `memvigil html`), read in headless Chromium.

Real workloads are traced (launched, -p, --cgroup) with --html and -j at
once. The page must load with nothing on the browser console, draw every
part (process table, figures, timelines with alert markers and the cgroup
limit, flame graph with zoom and search, top stacks, recommendations,
health), show the numbers of the JSON report of the same run (it embeds that
document, compact), and a screenshot of it must not be blank. Names a
traced process controls must stay text: crafted_names --wait-html has a comm
and a symbol name made of markup that would close the data's script element
and run a script. Chromium missing is a failure: scripts/deps.sh installs it.
"""

import json
import os
import re
import subprocess
import sys
import time

import browser
import harness as h

# The page draws this many stacks before "show all".
STACKS_SHOWN = 50


def fmt_bytes(b):
    """The page's (and the text report's) byte format."""
    if b < 1024:
        return f"{round(b)} B"
    v, u = float(b), -1
    while v >= 1024 and u < 4:
        v /= 1024
        u += 1
    return f"{v:.1f} {['KiB', 'MiB', 'GiB', 'TiB', 'PiB'][u]}"


def open_browser():
    try:
        return browser.Browser()
    except browser.BrowserMissing as e:
        raise h.Failure(str(e))


def embedded_json(path):
    """The data of the page at path, with the page's escapes undone (report_html.h)."""
    with open(path, encoding="utf-8") as f:
        page = f.read()
    m = re.search(r'<script id="report-data" type="application/json">(.*?)</script>', page, re.S)
    h.check(m, f"{path}: no report-data script element")
    return page, m[1]


UNESCAPE = {"\\u003c": "<", "\\u003e": ">", "\\u0026": "&"}


def check_page_embeds(html_path, json_path):
    """The page carries the -j document of the same run: compact, escaped, the same data."""
    page, data = embedded_json(html_path)
    with open(json_path, encoding="utf-8") as f:
        want = f.read()
    h.check(not re.search(r"[<>&]", data), "the embedded data holds a raw '<', '>' or '&'")
    h.check("\n" not in data, "the embedded data is not compact")
    # a name may hold a backslash before "u003c": escaped pairs are consumed first
    unescaped = re.sub(r"\\\\|\\u003c|\\u003e|\\u0026",
                       lambda m: UNESCAPE.get(m[0], m[0]), data)
    h.check(json.loads(unescaped) == json.loads(want) == json.loads(data),
            "the page's data is another report than the -j one")
    return page


DOM_FACTS = """
const q = (s) => Array.from(document.querySelectorAll(s));
const txt = (e) => e ? e.textContent : null;
return {
  title: document.title,
  scripts: q("script").length, imgs: q("img").length,
  procs: q("tr.proc").map((r) => ({ index: +r.dataset.index, pid: +r.dataset.pid,
    bytes: r.cells[3].getAttribute("data-value"), bytesText: txt(r.cells[3]),
    comm: txt(r.cells[1]), allocs: txt(r.cells[4]) })),
  detail: txt(document.getElementById("detail-title")),
  detailIndex: document.getElementById("detail-title").getAttribute("data-index"),
  figures: Object.fromEntries(q("#figures > div").map((d) => [d.dataset.key,
    [txt(d.querySelector(".v")), d.querySelector(".v").getAttribute("data-value")]])),
  health: Object.fromEntries(q("#health > div").map((d) => [d.dataset.key,
    d.querySelector(".v").getAttribute("data-value")])),
  recs: q("#recommendations li").map(txt),
  charts: q("svg.chart").map((c) => ({ key: c.dataset.chart,
    paths: Object.fromEntries(Array.from(c.querySelectorAll("path[data-series]")).map((p) =>
      [p.dataset.series, (p.getAttribute("d").match(/[ML]/g) || []).length])),
    alerts: c.querySelectorAll(".alert-marker").length,
    limit: c.querySelector(".limit-line") ? +c.querySelector(".limit-line").dataset.value : null })),
  stacks: q("tr.stack").map((r) => ({ bytes: r.cells[1].getAttribute("data-value"),
    bytesText: txt(r.cells[1]), allocs: txt(r.cells[2]), verdict: txt(r.cells[3]),
    site: txt(r.querySelector("summary")), frames: r.querySelectorAll("ol.frames li").length })),
  moreHidden: document.getElementById("stacks-more").hidden,
  flameRoot: +document.querySelector("#flame rect[data-name='all']").dataset.bytes,
  flameRects: q("#flame rect").length,
};
"""


def flame_action(b, script, *args):
    """Run script in the page, then the flame graph's status text and matched bytes."""
    return b.run(script + """
        const s = document.getElementById("flame-status");
        return [s.textContent, +s.getAttribute("data-matched")];""", *args)


def search_flame(b, text):
    return flame_action(b, """const i = document.getElementById("flame-search");
        i.value = arguments[0]; i.dispatchEvent(new Event("input"));""", text)


def zoom_flame(b, name):
    return flame_action(b, """const r = Array.from(document.querySelectorAll("#flame rect"))
        .find((e) => e.dataset.name === arguments[0] && !e.classList.contains("ancestor"));
        r.dispatchEvent(new MouseEvent("click"));""", name)


def check_no_console_errors(b, what):
    bad = [e for e in b.console() if e.get("level") in ("SEVERE", "WARNING")]
    h.check(not bad, f"{what}: the browser console says {bad[:5]}")


def check_process(b, report, i, facts):
    """The detail of process i against its JSON."""
    p = report["processes"][i]
    h.check(facts["detailIndex"] == str(i), f"process {i} is not the one shown "
            f"({facts['detailIndex']})")
    h.check(f"PID {p['pid']}" in facts["detail"] and f"({p['comm']})" in facts["detail"],
            f"detail title {facts['detail']!r} lacks PID {p['pid']} ({p['comm']!r})")
    heap = p["heap"]
    fig = facts["figures"]
    h.check(fig["outstanding"] == [fmt_bytes(heap["outstanding_bytes"]),
                                   str(heap["outstanding_bytes"])],
            f"figure outstanding {fig['outstanding']}, JSON {heap['outstanding_bytes']}")
    h.check(fig["outstanding allocs"][1] == str(heap["outstanding_allocs"]),
            f"figure outstanding allocs {fig['outstanding allocs']}, JSON "
            f"{heap['outstanding_allocs']}")
    recs = p.get("recommendations")
    if recs is None:
        h.check(facts["recs"] == ["not in this report"], f"recommendations {facts['recs']}")
    else:
        h.check(len(facts["recs"]) == max(1, len(recs)), f"{len(facts['recs'])} "
                f"recommendations shown, JSON has {len(recs)}")
        for shown, rec in zip(facts["recs"], recs):
            h.check(rec["text"] in shown, f"recommendation {rec['text']!r} shown as {shown!r}")
    stacks = p["stacks"]
    h.check(len(facts["stacks"]) == min(STACKS_SHOWN, len(stacks)) or
            (not stacks and not facts["stacks"]),
            f"{len(facts['stacks'])} stack rows, JSON has {len(stacks)}")
    for row, s in zip(facts["stacks"], stacks):
        h.check(row["bytes"] == str(s["outstanding_bytes"]) and
                row["bytesText"] == fmt_bytes(s["outstanding_bytes"]) and
                row["allocs"] == str(s["outstanding_allocs"]) and
                row["verdict"] == (s["verdict"] or "\u2013") and
                row["frames"] == len(s["frames"]),
                f"stack row {row} does not show {s}"[:1500])
        if s["frames"] and s["frames"][0]["symbol"]:
            h.check(row["site"].startswith(s["frames"][0]["symbol"]),
                    f"stack site {row['site']!r} lacks {s['frames'][0]['symbol']!r}")
    total = sum(s["outstanding_bytes"] for s in stacks)
    h.check(facts["flameRoot"] == total, f"flame graph root {facts['flameRoot']} bytes, "
            f"the stacks hold {total}")
    check_timelines(report, p, facts["charts"])


def check_timelines(report, p, charts):
    tl = p["timeline"]
    h.check(tl and tl["t_s"], f"PID {p['pid']}: no timeline in the JSON")
    keys = [c["key"] for c in charts]
    h.check(keys == ["memory", "faults", "pressure"], f"charts {keys}")
    known = {name: sum(v is not None for v in tl[col]) for name, col in
             (("heap", "heap_bytes"), ("rss", "rss_bytes"))}
    for name, n in known.items():
        drawn = charts[0]["paths"].get(name)
        h.check(drawn == n, f"the memory chart draws {drawn} points of {name}, the JSON "
                f"timeline has {n}")
    alerts = [a for a in report["alerts"] if a["pid"] == p["pid"]]
    for c in charts:
        h.check(c["alerts"] == len(alerts), f"chart {c['key']} marks {c['alerts']} alerts, "
                f"PID {p['pid']} fired {len(alerts)}")
    limits = [v for v in tl["limit_bytes"] if v is not None]
    h.check(charts[0]["limit"] == (min(limits) if limits else None),
            f"memory chart limit line {charts[0]['limit']}, JSON limits {set(limits)}")


def show_process(b, i):
    """Click process i's row and wait until the page shows it."""
    b.run('document.querySelector(`tr.proc[data-index="${arguments[0]}"]`).click();', i)
    deadline = time.monotonic() + 20
    while b.run('return document.getElementById("detail-title").dataset.index;') != str(i):
        h.check(time.monotonic() < deadline, f"a click on process {i} did not show it")
        time.sleep(0.05)


def check_report_page(ctx, html_path, json_path, shot):
    """Everything of the page at html_path against the JSON at json_path; the facts."""
    check_page_embeds(html_path, json_path)
    report = h.load_report(json_path)
    b = open_browser()
    try:
        b.open(html_path)
        check_no_console_errors(b, html_path)
        facts = b.run(DOM_FACTS)
        h.check(len(facts["procs"]) == len(report["processes"]),
                f"{len(facts['procs'])} process rows, JSON has {len(report['processes'])}")
        for row in facts["procs"]:
            p = report["processes"][row["index"]]
            h.check(row["pid"] == p["pid"] and row["comm"] == p["comm"] and
                    row["bytes"] == str(p["heap"]["outstanding_bytes"]) and
                    row["bytesText"] == fmt_bytes(p["heap"]["outstanding_bytes"]) and
                    row["allocs"] == str(p["heap"]["outstanding_allocs"]),
                    f"process row {row} does not show {p['pid']}: {p['heap']}")
        for key, value in h_flat(report["health"]):
            shown = facts["health"].get(key)
            h.check(shown == ("" if value is None else json_text(value)),
                    f"health {key}: page {shown!r}, JSON {value!r}")
        for i in range(len(report["processes"])):
            if i:       # as a click on its row does
                show_process(b, i)
                facts = b.run(DOM_FACTS)
            check_process(b, report, i, facts)
        png = b.screenshot(ctx.path(shot))
        width, height, colors = browser.png_colors(png)
        h.check(colors >= 50, f"the screenshot ({width}x{height}) has only {colors} colours")
        check_no_console_errors(b, html_path + " after every process")
        return b, report, facts
    except BaseException:
        b.close()
        raise


def h_flat(obj, prefix=""):
    for k, v in obj.items():
        key = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict):
            yield from h_flat(v, key)
        elif not isinstance(v, list):
            yield key, v


def json_text(v):
    """A JSON scalar as the page's String(v) writes it into data-value."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def test_html_launched_command_page_shows_the_json_of_the_same_run(ctx):
    html_path, json_path = ctx.path("report.html"), ctx.path("report.json")
    p, rc = h.run_to_end(ctx, ["-i", "0", "--window=4", "-j", json_path, "--html", html_path,
                               "--", h.workload("demo_leak")])
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    m = re.search(r"leaked (\d+) bytes in (\d+) blocks from leak_sessions", "\n".join(p.err_lines()))
    h.check(m, f"demo_leak printed no truth; {p.describe()}")
    h.check(os.stat(html_path).st_mode & 0o777 == 0o600, "the page is not mode 0600")
    b, report, facts = check_report_page(ctx, html_path, json_path, "launch.png")
    try:
        leaked = int(m[1])
        text, matched = search_flame(b, "leak_sessions")
        h.check(matched == leaked, f"searching leak_sessions matches {matched} bytes, the "
                f"demo leaked {leaked}: {text!r}")
        text, _ = zoom_flame(b, "leak_sessions")
        h.check(text.startswith(f"{fmt_bytes(leaked)} in view ({leaked} bytes)"),
                f"zoomed on leak_sessions the flame graph says {text!r}")
        text, _ = flame_action(b, 'document.getElementById("flame-reset").click();')
        h.check(f"({facts['flameRoot']} bytes)" in text, f"after reset: {text!r}")
        check_no_console_errors(b, "after search and zoom")
    finally:
        b.close()


@h.clock_bound
def test_html_traced_pid_marks_its_alerts_on_every_timeline(ctx):
    wl = h.spawn_workload(ctx, "leak_shapes", "steady", "60", "4096", "16")
    html_path, json_path = ctx.path("pid.html"), ctx.path("pid.json")
    mv = h.memvigil(ctx, ["-p", wl.pid, "-i", "0", "-d", "5", "--window=4", "--alert=heap>32K",
                          "-j", json_path, "--html", html_path])
    h.wait_banner(mv)
    rc = mv.wait(h.EXIT_TIMEOUT_S)
    h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    report = h.load_report(json_path)
    h.check([a for a in report["alerts"] if a["pid"] == wl.pid],
            f"no alert for PID {wl.pid} in the JSON: {report['alerts']}")
    b, _, facts = check_report_page(ctx, html_path, json_path, "pid.png")
    b.close()
    h.check(facts["charts"][0]["alerts"] >= 1, "no alert marker drawn")


@h.clock_bound
def test_html_cgroup_page_draws_the_memory_limit(ctx):
    cg = h.make_cgroup(ctx, "memory")
    limit = 256 << 20
    with open(os.path.join(cg, "memory.limit_in_bytes"), "w") as f:
        f.write(str(limit))
    html_path, json_path = ctx.path("cg.html"), ctx.path("cg.json")
    mv = h.memvigil(ctx, ["--cgroup", cg, "-i", "0", "-d", "5", "--window=4",
                          "-j", json_path, "--html", html_path])
    h.wait_banner(mv)
    for shape in ("steady", "cache"):
        h.spawn_in_cgroup(ctx, cg, [h.workload("leak_shapes"), shape, "3"])
    rc = mv.wait(h.EXIT_TIMEOUT_S)
    h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    report = h.load_report(json_path)
    h.check(len(report["processes"]) >= 2, f"{len(report['processes'])} processes traced")
    b, _, facts = check_report_page(ctx, html_path, json_path, "cgroup.png")
    b.close()
    h.check(facts["charts"][0]["limit"] == limit, f"limit line at {facts['charts'][0]['limit']}, "
            f"the cgroup's limit is {limit}")


def test_html_crafted_names_stay_text(ctx):
    wl = ctx.spawn([h.workload("crafted_names"), "--wait-html"])
    wl.wait_line(r"^READY \d+$", 10)
    html_path, json_path = ctx.path("crafted.html"), ctx.path("crafted.json")
    h.trace_signalled(ctx, wl, json_path, ["--html", html_path])
    comm = symbol = None
    for line in wl.out().splitlines():
        if line.startswith("COMM "):
            comm = bytes.fromhex(line[5:]).decode()
        m = re.match(r"^TRUTH symbol=([0-9a-f]+) ", line)
        if m:
            symbol = bytes.fromhex(m[1]).decode()
    h.check(comm and symbol and "</script>" in symbol, f"no crafted truth: {wl.out()!r}")
    page = check_page_embeds(html_path, json_path)
    h.check(page.count("</script") == 2, f"{page.count('</script')} '</script' in the page, "
            f"expected the page's own 2")
    b, report, facts = check_report_page(ctx, html_path, json_path, "crafted.png")
    try:
        h.check(facts["title"] == "memvigil report", f"the page's title became {facts['title']!r}")
        h.check(facts["scripts"] == 2 and facts["imgs"] == 0,
                f"{facts['scripts']} script and {facts['imgs']} img elements in the DOM")
        h.check(f"({comm})" in facts["detail"], f"comm {comm!r} not shown as text: "
                f"{facts['detail']!r}")
        h.check(any(s["site"].startswith(symbol) for s in facts["stacks"]),
                f"symbol {symbol!r} not shown as text: {[s['site'] for s in facts['stacks']]}")
        text, matched = search_flame(b, "</script>")
        want = sum(s["outstanding_bytes"] for s in report["processes"][0]["stacks"]
                   if s["frames"] and s["frames"][0]["symbol"] == symbol)
        h.check(matched == want and want > 0, f"searching '</script>' matched {matched} bytes, "
                f"the crafted function holds {want}")
        check_no_console_errors(b, "crafted names")
    finally:
        b.close()


def test_html_command_renders_a_json_report_as_the_trace_did(ctx):
    html_path, json_path = ctx.path("run.html"), ctx.path("run.json")
    p, rc = h.run_to_end(ctx, ["-i", "0", "-j", json_path, "--html", html_path, "--",
                               h.workload("demo_leak")])
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    again = ctx.path("again.html")
    p, rc = h.run_to_end(ctx, ["html", json_path, "-o", again])
    h.check(rc == 0 and not p.err_lines(), f"memvigil html exited {rc}; {p.describe()}")
    with open(html_path, "rb") as a, open(again, "rb") as b:
        h.check(a.read() == b.read(), "memvigil html wrote another page than --html")


def test_html_bad_destinations_give_one_line_and_attach_nothing(ctx):
    wl = h.spawn_workload(ctx, "spin", "30")
    secret, link = h.planted_link(ctx, "link.html")
    os.mkdir(ctx.path("dir.html"))
    cases = [(link, "symbolic link", 1), (ctx.path("dir.html"), "directory", 1),
             (ctx.path("no/such/dir.html"), "directory exists", 1), ("-", "expected a file", 64),
             ("", "expected a file", 64)]
    for path, want, status in cases:
        p, rc = h.run_to_end(ctx, ["-p", wl.pid, "-i", "0", f"--html={path}"], timeout=10)
        line = h.assert_one_line_error(p, rc, status)
        h.check(want in line, f"--html={path}: {line!r} lacks {want!r}")
        h.check("Tracing " not in p.out(), f"--html={path}: memvigil attached anyway")
    with open(secret) as f:
        h.check(f.read() == "root only\n", "the link's target was written")
    h.check(sorted(os.listdir(ctx.tmp)) == ["dir.html", "link.html", "secret"],
            f"files left behind: {os.listdir(ctx.tmp)}")


def test_html_command_refuses_what_is_not_a_json_report(ctx):
    not_json = ctx.path("notes.txt")
    with open(not_json, "w") as f:
        f.write("<html>not a report</html>\n")
    binary = ctx.path("binary.json")
    with open(binary, "wb") as f:
        f.write(b'{"a": "\xff\xfe"}')
    empty = ctx.path("empty.json")
    with open(empty, "w") as f:
        f.write("{}\n")
    out = ctx.path("out.html")
    cases = [([not_json, "-o", out], "not a JSON object", 1),
             ([binary, "-o", out], "not UTF-8", 1),
             ([ctx.path("missing.json"), "-o", out], "No such file", 1),
             ([not_json], "usage: memvigil html", 64),
             ([empty, "-o", ctx.tmp], "directory", 1)]
    for args, want, status in cases:
        p, rc = h.run_to_end(ctx, ["html"] + args, timeout=10)
        line = h.assert_one_line_error(p, rc, status)
        h.check(want in line, f"memvigil html {args}: {line!r} lacks {want!r}")
    h.check(not os.path.exists(out), "a page was written from bad input")


def test_html_command_shows_many_processes_file_lines_and_recommendations(ctx):
    """bench/gen_report.py's report (schema-valid), plus the fields other writers add."""
    gen = os.path.join(h.ROOT, "bench", "gen_report.py")
    json_path, html_path = ctx.path("many.json"), ctx.path("many.html")
    r = subprocess.run([sys.executable, gen, "--processes", "20", "--stacks", "60", "--depth", "12",
                        json_path],
                       capture_output=True, text=True, timeout=120)
    h.check(r.returncode == 0, f"gen_report.py failed: {r.stderr[-500:]}")
    report = h.load_report(json_path)      # validated against the schema
    p0 = report["processes"][0]
    p0["stacks"][0]["frames"][0].update(file="src/req.c", line=88)
    p0["recommendations"] = [
        {"rule": "leak", "severity": "high", "text": "leak at parse_request <b>(src/req.c:88)</b>"},
        {"rule": "limit", "severity": "medium", "text": "RSS at 92% of the cgroup limit"}]
    with open(json_path, "w") as f:
        json.dump(report, f)
    p, rc = h.run_to_end(ctx, ["html", json_path, "-o", html_path])
    h.check(rc == 0, f"memvigil html exited {rc}; {p.describe()}")
    b = open_browser()
    try:
        b.open(html_path, "#proc=0")
        check_no_console_errors(b, html_path)
        facts = b.run(DOM_FACTS)
        h.check(len(facts["procs"]) == 20, f"{len(facts['procs'])} process rows, expected 20")
        check_process(b, report, 0, facts)
        site = facts["stacks"][0]["site"]
        h.check(site.endswith("(src/req.c:88)"), f"the top stack's site {site!r} lacks its "
                f"file:line")
        h.check(facts["recs"][0] == "high: leak at parse_request <b>(src/req.c:88)</b>",
                f"recommendation shown as {facts['recs'][0]!r}")
        h.check(not facts["moreHidden"], "no 'show all' button for 60 stacks")
        shown, count = b.run("""
            document.getElementById("stacks-more").click();
            const f = document.getElementById("proc-filter");
            f.value = "worker-2"; f.dispatchEvent(new Event("input"));
            return [document.querySelectorAll("tr.stack").length,
                    document.getElementById("proc-count").textContent];""")
        h.check(shown == 60, f"{shown} stack rows after 'show all', expected 60")
        want = sum("worker-2" in q["comm"] for q in report["processes"])
        h.check(count == f"{want} of 20 processes", f"the filter says {count!r}, expected {want}")
        check_no_console_errors(b, "after show all and filter")
    finally:
        b.close()
