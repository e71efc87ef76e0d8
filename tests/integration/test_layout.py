# SPDX-License-Identifier: GPL-2.0
"""Integration tests: the house's layout. scripts/check-layers.py (make
test-layers) passes on the tree and names what breaks each of its rules in a
tree made to break them (an upward include, an include circle, a long file,
an include that is no path under user/); the README's Layout block and
docs/ARCHITECTURE.md's table list user/'s folders in the checker's order, and
no other; the BPF programs reach the traced PIDs and the ring buffer only
through maps.bpf.h's is_traced() and event_reserve().
"""

import importlib.util
import os
import re
import subprocess
import sys

import harness as h


CHECKER = os.path.join(h.ROOT, "scripts", "check-layers.py")


def checker_order():
    """check-layers.py's ORDER: user/'s folders from the top."""
    spec = importlib.util.spec_from_file_location("check_layers", CHECKER)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.ORDER


def run_checker(root):
    r = subprocess.run([sys.executable, CHECKER, root], capture_output=True, text=True,
                       timeout=60)
    return r.returncode, r.stdout


def write(root, rel, lines):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("".join(line + "\n" for line in lines))


def test_layers_check_passes_on_the_tree(ctx):
    rc, out = run_checker(h.ROOT)
    h.check(rc == 0 and out.splitlines()[-1:] == ["3 passed, 0 failed"],
            f"check-layers.py exited {rc} on the tree:\n{out}")


def test_layers_check_names_each_broken_rule_and_fails(ctx):
    root = ctx.path("tree")
    write(root, "user/session/run.h", ["int run(void);"])
    write(root, "user/lib/log.c", ["#include <stdio.h>", '#include "session/run.h"'])
    write(root, "user/model/a.h", ['#include "model/b.h"'])
    write(root, "user/model/b.h", ['#include "model/a.h"'])
    write(root, "user/model/big.c", ["int x;"] * 601)
    write(root, "user/main.c", ['#include "run.h"'] + ["int y;"] * 249)
    rc, out = run_checker(root)
    lines = out.splitlines()
    for want in ("user/lib/log.c:2: includes session/run.h from a folder above its own",
                 'user/main.c:1: includes "run.h", which is not a path under user/ '
                 '(write "folder/header.h")',
                 "user/model/big.c: 601 lines, over 600: split it where its functions serve "
                 "different callers",
                 "user/main.c: 250 lines, over 249: split it where its functions serve "
                 "different callers",
                 "0 passed, 3 failed"):
        h.check(want in lines, f"check-layers.py did not say {want!r}:\n{out}")
    h.check(any(l.startswith("include circle: user/model/a.h -> user/model/b.h -> ")
                for l in lines), f"check-layers.py did not name the circle:\n{out}")
    h.check(rc == 1, f"check-layers.py exited {rc} on a broken tree")


def test_readme_and_architecture_list_user_folders_in_the_checkers_order(ctx):
    order = checker_order()
    on_disk = sorted(d for d in os.listdir(os.path.join(h.ROOT, "user"))
                     if os.path.isdir(os.path.join(h.ROOT, "user", d)))
    h.check(sorted(order) == on_disk,
            f"user/ holds {on_disk}; check-layers.py orders {order}")
    with open(os.path.join(h.ROOT, "README.md")) as f:
        readme = f.read()
    m = re.search(r"^## Layout\n.*?^```\n(.*?)^```$", readme, re.M | re.S)
    h.check(m, "README.md has no Layout block")
    block = m[1].split("\nuser/", 1)[-1].split("\n")
    readme_order = [re.match(r"  (\w+)/", l)[1] for l in block if re.match(r"  \w+/", l)]
    h.check(readme_order == order,
            f"README.md's Layout lists {readme_order}; check-layers.py orders {order}")
    with open(os.path.join(h.ROOT, "docs", "ARCHITECTURE.md")) as f:
        arch = f.read()
    arch_order = re.findall(r"^\| `(\w+)/` \|", arch, re.M)
    h.check(arch_order == order,
            f"docs/ARCHITECTURE.md's table lists {arch_order}; check-layers.py orders {order}")


def test_bpf_reaches_traced_pids_and_the_ring_buffer_through_maps_bpf_h(ctx):
    bpf = os.path.join(h.ROOT, "bpf")
    said = []
    for name in sorted(os.listdir(bpf)):
        if name == "maps.bpf.h" or not name.endswith((".bpf.c", ".bpf.h")):
            continue
        with open(os.path.join(bpf, name)) as f:
            for n, line in enumerate(f, 1):
                if re.search(r"bpf_map_lookup_elem\(&traced_pids|bpf_ringbuf_reserve\(", line):
                    said.append(f"bpf/{name}:{n}: {line.strip()}")
    h.check(not said, "open-coded where maps.bpf.h's is_traced() or event_reserve() serves:\n"
            + "\n".join(said))
