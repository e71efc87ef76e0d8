# SPDX-License-Identifier: GPL-2.0
"""Integration tests: --help, --usage and --version exit 0, and --help and
the man page (docs/memvigil.8) list the same long options.
"""

import os
import re

import harness as h


MAN_PAGE = os.path.join(h.ROOT, "docs", "memvigil.8")


def long_options_of_man(text):
    """Long options the man page's OPTIONS section lists as items (.TP tags, .IP)."""
    m = re.search(r"^\.SH \"?OPTIONS\"?\s*$(.*?)(?=^\.SH |\Z)", text, re.M | re.S)
    h.check(m, "the man page has no OPTIONS section")
    lines = m[1].splitlines()
    tags = [lines[i + 1] for i, l in enumerate(lines[:-1]) if l.startswith(".TP")]
    tags += [l for l in lines if l.startswith(".IP ")]
    tag_text = "\n".join(tags)
    tag_text = re.sub(r"\\f[BIRP]|\\f\(..|\\f\[[^]]*\]", "", tag_text)
    tag_text = tag_text.replace("\\-", "-")
    return set(re.findall(r"(?<![\w-])--([a-z][a-z0-9-]*)", tag_text))


def test_help_and_man_page_list_the_same_long_options(ctx):
    p, rc = h.run_to_end(ctx, ["--help"])
    h.check(rc == 0, f"--help exited {rc}")
    help_opts = set()
    for line in p.out().splitlines():
        m = re.match(r"^\s+(-\S.*?)(\s{2,}|$)", line)
        if m:
            help_opts.update(re.findall(r"--([a-z][a-z0-9-]*)", m[1]))
    h.check({"pid", "duration", "interval", "top", "min-age", "json", "verbose", "help",
             "usage", "version"} <= help_opts, f"--help lacks options: it lists {sorted(help_opts)}")
    h.check(os.path.exists(MAN_PAGE), f"{MAN_PAGE} is missing")
    with open(MAN_PAGE) as f:
        man_opts = long_options_of_man(f.read())
    h.check(help_opts == man_opts,
            f"only in --help: {sorted(help_opts - man_opts)}; "
            f"only in the man page: {sorted(man_opts - help_opts)}")


def test_help_usage_and_version_exit_0(ctx):
    for arg, want in (("--help", "--pid"), ("--usage", "--pid"), ("-V", "memvigil"),
                      ("--version", "memvigil")):
        p, rc = h.run_to_end(ctx, [arg])
        h.check(rc == 0, f"{arg} exited {rc}")
        h.check(want in p.out(), f"{arg} output lacks {want!r}: {p.out()[:200]!r}")
