#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The layering rule of user/, checked: includes point down, never in a circle,
and no source file grows past its size.

    check-layers.py [ROOT]

user/ holds one folder per stage, ordered below from the top (main.c) to the
bottom (lib/). A file may include headers of its own folder and of the
folders below it; include/memvigil/ (the kernel/user contract) and the
generated skeleton are below everything. Prints each offending include as
"FILE:LINE: includes FOLDER/HEADER from a folder above its own", each include
circle among user/ files, each file under user/ (sources, and the HTML
report's page and script) over MAX_LINES lines (main.c: MAIN_MAX_LINES, as
it only parses and starts the session), and ends with one
line "N passed, N failed" (one check each for the rule, for circles and for
sizes). Exit status 1 on a failure. docs/ARCHITECTURE.md explains the order.
"""

import os
import re
import sys

# Top first. A folder may include only from itself and those after it.
ORDER = ["session", "serve", "output", "analysis", "target", "ingest", "probes", "sites", "model",
         "symbolize", "unwind", "binary", "procfs", "lib"]
MAX_LINES = 600
MAIN_MAX_LINES = 249
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def rank_of(path):
    """The folder's place in ORDER (main.c: -1, above all), or None outside user/."""
    parts = path.split("/")
    if parts[0] != "user":
        return None
    if len(parts) == 2:
        return -1
    return ORDER.index(parts[1]) if parts[1] in ORDER else len(ORDER)


def files(root, endings):
    for dirpath, _, names in os.walk(os.path.join(root, "user")):
        for n in sorted(names):
            if n.endswith(endings):
                yield os.path.relpath(os.path.join(dirpath, n), root)


def sources(root):
    return files(root, (".c", ".h"))


def check(root):
    bad, edges, unknown = [], {}, []
    for src in sources(root):
        rank = rank_of(src)
        if rank == len(ORDER):
            unknown.append(f"{src}: folder {src.split('/')[1]}/ is not in the layer order")
        with open(os.path.join(root, src), encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m or m[1].startswith("memvigil/") or m[1].endswith(".skel.h"):
                    continue
                target = "user/" + m[1]
                if not os.path.exists(os.path.join(root, target)):
                    bad.append(f"{src}:{lineno}: includes \"{m[1]}\", which is not a "
                               f"path under user/ (write \"folder/header.h\")")
                    continue
                edges.setdefault(src, set()).add(target)
                trank = rank_of(target)
                if trank < rank or trank == -1:
                    bad.append(f"{src}:{lineno}: includes {m[1]} from a folder above its own")
    return bad + unknown, circles(edges)


def too_long(root):
    """Each user/ file over its line limit, as a line saying so."""
    said = []
    for src in files(root, (".c", ".h", ".html", ".js", ".css")):
        limit = MAIN_MAX_LINES if src == "user/main.c" else MAX_LINES
        with open(os.path.join(root, src), encoding="utf-8") as f:
            n = sum(1 for _ in f)
        if n > limit:
            said.append(f"{src}: {n} lines, over {limit}: split it where its functions "
                        f"serve different callers")
    return said


def circles(edges):
    """Each include circle once, as a list of files."""
    found, state, stack = [], {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if state.get(m) == 1:
                found.append(stack[stack.index(m):] + [m])
            elif not state.get(m):
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(edges):
        if not state.get(n):
            visit(n)
    return found


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))
    bad, loops = check(root)
    long = too_long(root)
    for b in bad + long:
        print(b)
    for c in loops:
        print("include circle: " + " -> ".join(c))
    failed = (1 if bad else 0) + (1 if loops else 0) + (1 if long else 0)
    print(f"{3 - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
