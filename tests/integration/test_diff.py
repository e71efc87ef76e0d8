# SPDX-License-Identifier: GPL-2.0
"""Integration tests: memvigil diff OLD.json NEW.json.

Two traced runs of leak_shapes leak the same number of blocks of different
sizes: the diff of their JSON reports says leak_steadily's stack grew by the
difference of the workload's own truth lines, in text and in JSON; a stack
only in one report appeared or disappeared. A file that is not a report gets
one line and status 1, bad usage status 64.
"""

import json
import os

import harness as h


def traced_report(ctx, name, block_bytes):
    path = ctx.path(name)
    p, rc = h.run_to_end(ctx, ["-i", "0", "-j", path, "--", h.workload("leak_shapes"), "steady",
                               "2", str(block_bytes), "400"])
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    truth, _, _ = h.parse_truth(p.out())
    h.check("leak_steadily" in truth, f"no truth for leak_steadily: {p.out()[-400:]!r}")
    return path, truth["leak_steadily"]


def diff(ctx, args):
    p = h.memvigil(ctx, ["diff"] + [str(a) for a in args])
    return p, p.wait(30)


def test_diff_of_two_runs_names_the_stack_that_grew_by_its_bytes(ctx):
    old, (old_bytes, old_blocks) = traced_report(ctx, "old.json", 4096)
    new, (new_bytes, new_blocks) = traced_report(ctx, "new.json", 12288)
    p, rc = diff(ctx, [old, new, "-j"])
    h.check(rc == 0, f"diff -j exited {rc}; {p.describe()}")
    doc = json.loads(p.out())
    path = ctx.path("diff.json")
    with open(path, "w") as f:
        f.write(p.out())
    h.validate_json(path, os.path.join(h.ROOT, "docs", "diff.schema.json"))
    grew = [s for s in doc["stacks"] if s["frames"] and any(
        f.startswith("leak_steadily ") for f in s["frames"][:3])]
    h.check(len(grew) == 1, f"expected one leak_steadily stack: {doc['stacks']}")
    s = grew[0]
    h.check(s["change"] == "grew" and s["bytes_delta"] == new_bytes - old_bytes and
            s["blocks_delta"] == new_blocks - old_blocks and s["old_bytes"] == old_bytes,
            f"leak_steadily: {s}, truth {old_bytes} -> {new_bytes} bytes")
    h.check(not any("0x" in f for st in doc["stacks"] for f in st["frames"]
                    if f.startswith("leak_shapes")), "frames matched by address")
    p, rc = diff(ctx, [old, new])
    h.check(rc == 0, f"diff exited {rc}; {p.describe()}")
    h.check("grew        +" in p.out() and f"(+{new_bytes - old_bytes} bytes)" in p.out(),
            f"the text lacks the grown stack: {p.out()[:1200]}")
    p, rc = diff(ctx, [new, old, "-j"])
    back = [x for x in json.loads(p.out())["stacks"] if x["frames"] == s["frames"]]
    h.check(back and back[0]["change"] == "shrank", f"reversed, not shrank: {back}")


def test_diff_says_appeared_and_disappeared_for_stacks_of_one_report(ctx):
    old, _ = traced_report(ctx, "old.json", 4096)
    with open(old) as f:
        doc = json.load(f)
    for proc in doc["processes"]:
        proc["stacks"] = [s for s in proc["stacks"] if not any(
            fr.get("symbol") == "leak_steadily" for fr in s["frames"])]
    trimmed = ctx.path("trimmed.json")
    with open(trimmed, "w") as f:
        json.dump(doc, f)
    p, rc = diff(ctx, [trimmed, old, "-j"])
    h.check(rc == 0, f"diff exited {rc}; {p.describe()}")
    kinds = [s["change"] for s in json.loads(p.out())["stacks"]
             if any(f.startswith("leak_steadily ") for f in s["frames"])]
    h.check(kinds == ["appeared"], f"leak_steadily's stack: {kinds}")
    p, rc = diff(ctx, [old, trimmed, "-j"])
    kinds = [s["change"] for s in json.loads(p.out())["stacks"]
             if any(f.startswith("leak_steadily ") for f in s["frames"])]
    h.check(kinds == ["disappeared"], f"leak_steadily's stack: {kinds}")


def test_diff_of_a_file_that_is_not_a_report_is_one_line(ctx):
    text = ctx.path("x.txt")
    with open(text, "w") as f:
        f.write("not json\n")
    p, rc = diff(ctx, [text, text])
    line = h.assert_one_line_error(p, rc, 1)
    h.check("is not a JSON report" in line and text in line, line)
    with open(text, "w") as f:
        f.write('{"version": 1}')
    p, rc = diff(ctx, [text, text])
    line = h.assert_one_line_error(p, rc, 1)
    h.check("no processes" in line, line)
    p, rc = diff(ctx, [text])
    h.assert_one_line_error(p, rc, 64)
