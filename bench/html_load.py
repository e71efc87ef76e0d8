#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""How long the HTML report takes to load and respond in headless Chromium, at scale.

    html_load.py [--memvigil BIN] [--rounds R] [--out DIR]

Writes two JSON reports with gen_report.py (100 processes x 100 stacks, and
1 process x 10,000 stacks; 24 frames each), turns each into a page with
`memvigil html`, and opens it R times (default 3) in headless Chromium
(tests/integration/browser.py). Per page, the median of:
  load_s     navigation until the page's script has drawn it (WebDriver
             round trips included)
  script_ms  the page's own drawing time (body[data-rendered])
  switch_ms  showing another process (hash change), in the page
  search_ms  one flame-graph search, in the page
A bench row, not a test: nothing is asserted. Needs chromium and
chromium-driver (scripts/deps.sh); no root.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import browser  # noqa: E402

# (name, gen_report.py arguments, the process to switch to)
PAGES = [("100 procs x 100 stacks", ["--processes", "100", "--stacks", "100"], 1),
         ("1 proc x 10,000 stacks", ["--processes", "1", "--stacks", "10000"], 0)]

IN_PAGE = """
const t0 = performance.now();
location.hash = "proc=" + arguments[0];
window.dispatchEvent(new HashChangeEvent("hashchange"));
const t1 = performance.now();
const i = document.getElementById("flame-search");
i.value = "fn_1"; i.dispatchEvent(new Event("input"));
const t2 = performance.now();
return [t1 - t0, t2 - t1, document.querySelectorAll("#flame rect").length];
"""


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def make_page(memvigil, tmp, name, args):
    js, page = os.path.join(tmp, name + ".json"), os.path.join(tmp, name + ".html")
    subprocess.run([sys.executable, os.path.join(HERE, "gen_report.py")] + args + [js],
                   check=True)
    subprocess.run([memvigil, "html", js, "-o", page], check=True)
    return page, os.path.getsize(page)


def measure(page, rounds, other):
    rows = {"load_s": [], "script_ms": [], "switch_ms": [], "search_ms": [], "rects": []}
    for _ in range(rounds):
        b = browser.Browser()
        try:
            rows["load_s"].append(b.open(page))
            rows["script_ms"].append(float(b.run(
                "return document.body.getAttribute('data-rendered')")))
            switch, search, rects = b.run(IN_PAGE, other)
            rows["switch_ms"].append(switch)
            rows["search_ms"].append(search)
            rows["rects"].append(rects)
            errors = [e for e in b.console() if e.get("level") == "SEVERE"]
            if errors:
                print(f"console errors: {errors[:3]}", file=sys.stderr)
        finally:
            b.close()
    return {k: statistics.median(v) for k, v in rows.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--memvigil", default=os.path.join(ROOT, "build", "memvigil"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", help="also write the rows to this JSON file")
    a = ap.parse_args()
    print(f"HTML report in headless Chromium, {cpu_model()}, {os.cpu_count()} CPUs; "
          f"median of {a.rounds}")
    print(f"{'page':<24} {'MiB':>6} {'load_s':>7} {'script_ms':>10} {'switch_ms':>10} "
          f"{'search_ms':>10} {'rects':>6}")
    results = []
    with tempfile.TemporaryDirectory(prefix="memvigil-bench-html-") as tmp:
        for i, (name, args, other) in enumerate(PAGES):
            page, size = make_page(a.memvigil, tmp, f"page{i}", args)
            m = measure(page, a.rounds, other)
            results.append(dict(m, page=name, bytes=size))
            print(f"{name:<24} {size / 1048576:6.1f} {m['load_s']:7.2f} {m['script_ms']:10.0f} "
                  f"{m['switch_ms']:10.0f} {m['search_ms']:10.0f} {m['rects']:6.0f}")
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"cpu": cpu_model(), "rows": results}, f, indent=1)


if __name__ == "__main__":
    main()
