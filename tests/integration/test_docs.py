# SPDX-License-Identifier: GPL-2.0
"""Integration tests: --help, --usage and --version exit 0; --help, the man
page (docs/memvigil.8) and the README's Usage block list the same long
options; --usage reads right; the README's demo output is what `make demo`
prints, figures aside (and the man page's demo stack, frame for frame), and so
is its Output section's example of one process;
its live /metrics example shows metric lines in the order a scrape has them;
the --mode presets the man page and the README list are the options the program
sets; and make install puts what the README's Install table says where it says.
"""

import os
import re
import signal
import subprocess
import time

import harness as h
from test_serve import scrape, serve


MAN_PAGE = os.path.join(h.ROOT, "docs", "memvigil.8")
README = os.path.join(h.ROOT, "README.md")
DEMO_TIMEOUT_S = 180


def read(path):
    h.check(os.path.exists(path), f"{path} is missing")
    with open(path) as f:
        return f.read()


def readme_block_after(heading, opening):
    """The first ``` block after the README's line `heading` whose first line starts with
    `opening`, as a list of lines."""
    text = read(README)
    at = text.find("\n" + heading + "\n")
    h.check(at >= 0, f"README.md has no {heading!r} section")
    for m in re.finditer(r"^```\n(.*?)^```$", text[at:], re.M | re.S):
        if m[1].startswith(opening):
            return m[1].splitlines()
    h.check(False, f"README.md's {heading!r} has no block opening with {opening!r}")


def long_options_of_option_list(lines):
    """Long options of an option list laid out as --help lays it out: an indented
    line that starts with '-' names options up to the first gap of two spaces."""
    opts = set()
    for line in lines:
        m = re.match(r"^\s+(-\S.*?)(\s{2,}|$)", line)
        if m:
            opts.update(re.findall(r"--([a-z][a-z0-9-]*)", m[1]))
    return opts


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


def test_help_man_page_and_readme_usage_list_the_same_long_options(ctx):
    p, rc = h.run_to_end(ctx, ["--help"])
    h.check(rc == 0, f"--help exited {rc}")
    help_opts = long_options_of_option_list(p.out().splitlines())
    h.check({"pid", "duration", "interval", "top", "min-age", "json", "verbose", "help",
             "usage", "version"} <= help_opts, f"--help lacks options: it lists {sorted(help_opts)}")
    man_opts = long_options_of_man(read(MAN_PAGE))
    readme_opts = long_options_of_option_list(readme_block_after("## Usage", "memvigil "))
    for name, opts in (("the man page", man_opts), ("README.md's Usage", readme_opts)):
        h.check(help_opts == opts,
                f"only in --help: {sorted(help_opts - opts)}; "
                f"only in {name}: {sorted(opts - help_opts)}")


def test_usage_lists_each_option_once(ctx):
    p, rc = h.run_to_end(ctx, ["--usage"])
    h.check(rc == 0, f"--usage exited {rc}")
    first = p.out().split("\n  or:")[0]
    listed = set(re.findall(r"\[(-[^]\s=]+)", first))
    listed |= {"-" + c for m in re.findall(r"\[-([A-Za-z?]+)\]", first) for c in m}
    tail = first[first.rindex("]") + 1:].split()
    again = [t for t in tail if t.startswith("-") and t != "--" and t.split("=")[0] in listed]
    h.check(not again, f"--usage's first line lists {again} as an option and again after the "
            f"options: {first!r}")


def demo_shape(lines, build):
    """The lines of a demo run with every figure, name and word that varies from run to
    run replaced, and the frames of a stack as one line."""
    shapes = []
    for line in lines:
        line = line.replace(build + "/", "build/")
        if line.startswith("          ") and shapes and shapes[-1] == "  advice: ...":
            continue  # advice wrapped to 100 columns goes on under its first word
        if line.startswith("        "):
            if shapes and shapes[-1] == "FRAMES":
                continue
            line = "FRAMES"
        line = re.sub(r"^  cgroup v\d .*", "  cgroup ...", line)
        line = re.sub(r"^  advice: .*", "  advice: ...", line)
        line = re.sub(r"^system memory PSI: .*", "system memory PSI: ...", line)
        line = re.sub(r"^  heap growth unknown: .*", "  heap growth +0 B/s = 0 MiB/min, R2 0, T",
                      line)
        line = re.sub(r" via \S+, command held", " via LIB, command held", line)
        line = re.sub(r"pressure \w+ \(\w+\)", "pressure L (S)", line)
        line = re.sub(r"^  verdict \w+,", "  verdict V,", line)
        line = re.sub(r"^  (?:leak|growing|stable|early|freed|-) +(?:\d\.\d\d)? +", "  V S  ", line)
        line = re.sub(r"\b(increasing|decreasing|stable|unknown)$", "T", line)
        line = re.sub(r"(\d+ \w+/s) (increasing|decreasing|stable|unknown)", r"\1 T", line)
        line = re.sub(r"[+-]?\d+(\.\d+)?( (B|KiB|MiB|GiB|TiB)\b)?", "N", line)
        line = re.sub(r"(^  rss N, N since attach)(, N/s T)?", r"\1, N/s T", line)
        line = re.sub(r"\bN (alloc|stall|range|process)(e?s)?\b", r"N \1s", line)
        shapes.append(line)
    return shapes


def check_same_shape(want_shape, got_shape, doc, program, printed):
    """The shapes of a documented example and of what the program printed are the same,
    but for the lines a run may leave out."""
    for optional in ("  cgroup ...",    # a process in no memory cgroup has none
                     "  advice: ..."):  # advice depends on the verdicts of the moment
        if optional not in got_shape:
            want_shape = [l for l in want_shape if l != optional]
    diff = [(w, g) for w, g in zip(want_shape, got_shape) if w != g]
    h.check(len(want_shape) == len(got_shape) and not diff,
            f"{doc} and what {program} printed differ: first pair {diff[:1]}, "
            f"{len(want_shape)} against {len(got_shape)} lines;\n{program} printed:\n{printed}")


def make(target, *args):
    """Run make target in the source tree with the tests' build directory; its output."""
    build = os.path.relpath(h.BUILD, h.ROOT)
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    r = subprocess.run(["make", "--no-print-directory", f"BUILD={build}", *args, target],
                       cwd=h.ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=DEMO_TIMEOUT_S)
    h.check(r.returncode == 0, f"make {target} exited {r.returncode}: {r.stdout[-800:]}")
    return r.stdout


def test_readme_install_table_is_what_make_install_puts_where(ctx):
    text = read(README)
    at = text.find("\n## Install\n")
    h.check(at >= 0, "README.md has no Install section")
    rows = re.findall(r"^\| `([^`]+)` \| `\$\(PREFIX\)/([^`]+)`", text[at:], re.M)
    h.check(len(rows) >= 2, f"README.md's Install table lists {rows}")
    stage = ctx.path("stage")
    make("install", f"DESTDIR={stage}", "PREFIX=/usr/local")
    build = os.path.relpath(h.BUILD, h.ROOT)
    want = set()
    for src, dst in rows:
        if dst.endswith("/"):
            dst += os.path.basename(src)
        src = os.path.join(h.ROOT, re.sub(r"^build/", build + "/", src))
        got = os.path.join(stage, "usr/local", dst)
        h.check(os.path.isfile(got), f"make install put no {dst} under DESTDIR/PREFIX")
        with open(src, "rb") as a, open(got, "rb") as b:
            h.check(a.read() == b.read(), f"the installed {dst} is not {src}")
        want.add(got)
    installed = {os.path.join(d, f) for d, _, fs in os.walk(stage) for f in fs}
    h.check(installed == want, f"make install also put {sorted(installed - want)}, which the "
            f"README's Install table does not list")


def test_readme_demo_output_is_what_make_demo_prints_in_shape(ctx):
    want = readme_block_after("## Two commands", "$ make demo")[1:]
    out = make("demo")
    check_same_shape(demo_shape(want, "build"),
                     demo_shape(out.splitlines(), os.path.relpath(h.BUILD, h.ROOT)),
                     "README.md's demo output", "make demo", out)
    # The man page's OUTPUT shows the demo's stack line and its first frames.
    man = re.search(r"^\.B make demo\n.*?^\.EX\n(.*?)^\.EE", read(MAN_PAGE), re.M | re.S)
    h.check(man, "the man page's OUTPUT shows no make demo stack")
    man_shape = demo_shape(man[1].replace("\\-", "-").splitlines(), "build")
    lines = out.splitlines()
    at = next((i for i, l in enumerate(lines) if " via malloc" in l), None)
    h.check(at is not None, f"make demo printed no stack line:\n{out}")
    got = lines[at:at + len(man[1].splitlines())]
    want_frames = [re.sub(r"\+0x[0-9a-f]+", "", l) for l in man[1].splitlines()[1:]]
    got_frames = [re.sub(r"\+0x[0-9a-f]+", "", l) for l in got[1:]]
    h.check(demo_shape(got[:1], "build") == man_shape[:1] and want_frames == got_frames,
            f"the man page's make demo stack {man[1].splitlines()} is not what make demo "
            f"printed: {got}")


def section_shape(lines, build):
    """demo_shape of lines with every duration (2m28s, 3.0s, 59ms) alike and a process's
    [exited] and its name left out."""
    lines = [re.sub(r"\b(\d+m)?\d+(\.\d+)?(ms|s)\b", "DUR", l.replace(" [exited]", ""))
             for l in lines]
    return [re.sub(r"^PID N \(.*?\):", "PID N (COMM):", l) for l in demo_shape(lines, build)]


def test_readme_output_example_is_what_a_process_section_prints_in_shape(ctx):
    want = readme_block_after("## Output", "PID ")
    p, rc = h.run_to_end(ctx, ["-i", "0", "--", h.workload("demo_leak")])
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    out = p.out().splitlines()
    start = next((i for i, l in enumerate(out) if l.startswith("PID ")), None)
    h.check(start is not None, f"no process in the report: {p.out()[-600:]!r}")
    end = next((i for i, l in enumerate(out) if i > start and not l.startswith(" ")), len(out))
    build = os.path.relpath(h.BUILD, h.ROOT)
    check_same_shape(section_shape(want, "build"), section_shape(out[start:end], build),
                     "README.md's Output example", "memvigil", "\n".join(out[start:end]))


def metric_key(line):
    """A /metrics sample line's name and labels, without the pid and comm values."""
    return re.sub(r'(pid|comm)="[^"]*"', r'\1=""', line.split(" ")[0])


def test_readme_live_metrics_example_is_a_scrape_in_order(ctx):
    block = readme_block_after("## Live: metrics, API and dashboard", "$ sudo memvigil --listen")
    at = next(i for i, l in enumerate(block) if l.startswith("$ curl") and "/metrics" in l)
    shown = []     # (key, whether "..." came before it)
    gap = False
    for line in block[at + 1:]:
        if line.startswith("$ "):
            break
        if line == "...":
            gap = True
            continue
        shown.append((metric_key(line), gap))
        gap = False
    h.check(len(shown) >= 5, f"the README's /metrics example shows only {shown}")
    mv, port = serve(ctx, ["-i", "0", "--", h.workload("leak_cache_churn"), "20"])
    keys = []
    for _ in range(30):    # until 3 samples have given a growth rate (one a second)
        keys = [metric_key(l) for l in scrape(port).splitlines() if l and l[0] != "#"]
        if all(k in keys for k, _ in shown):
            break
        time.sleep(0.5)
    mv.signal(signal.SIGINT)
    mv.wait(h.EXIT_TIMEOUT_S)
    prev = -1
    for key, after_gap in shown:
        h.check(key in keys, f"the README shows {key}, which /metrics does not have: {keys}")
        i = keys.index(key)
        h.check(i > prev and (after_gap or i == prev + 1),
                f"the README shows {key} {'after' if after_gap else 'right after'} the line "
                f"before it, /metrics has: {keys}")
        prev = i


MODES = ("standard", "production", "debug")
# How a preset's options show in the JSON report: option -> (where, key).
PRESET_KEYS = {"interval": "interval_s", "window": "window_s", "top": "top",
               "stack-depth": "stack_depth", "frames": "frames", "mappings": "mappings",
               "sample-bytes": "period_bytes"}
SHORT = {"-i": "interval", "-n": "top", "-v": "verbose"}


def preset_options(text):
    """{long option: value} of a preset written as '-i 10 --window=300 ...' (commas or not);
    -v is left out (the report does not echo it)."""
    words = text.replace(",", " ").split()
    out, i = {}, 0
    while i < len(words):
        w = words[i]
        if w in SHORT:
            name = SHORT[w]
            value = None if name == "verbose" else words[i + 1]
            i += 1 if name == "verbose" else 2
        else:
            h.check(w.startswith("--"), f"cannot read {w!r} in the preset {text!r}")
            name, _, value = w[2:].partition("=")
            i += 1
        if name != "verbose":
            out[name] = value
    return out


def option_value(name, value):
    if name == "sample-bytes":
        m = re.fullmatch(r"(\d+)([KMG]?)", value)
        return int(m[1]) << {"": 0, "K": 10, "M": 20, "G": 30}[m[2]]
    return value if name == "mappings" else int(value)


def documented_presets():
    """{doc: {mode: {option: value}}} as the man page's --mode and the README say them."""
    man = read(MAN_PAGE).replace("\\-", "-")
    readme = read(README)
    docs = {"the man page": {}, "README.md": {}}
    for mode in MODES:
        m = re.search(r"^\.B " + mode + r"\n(?:[^.].*\n)*\.BR (--.*)$", man, re.M)
        h.check(m, f"the man page's --mode has no {mode} preset")
        docs["the man page"][mode] = preset_options(re.sub(r'"|\s:$|,$', "", m[1]))
        m = re.search(r"`" + mode + r"` \((?:default: )?`([^`]*)`", readme)
        h.check(m, f"README.md's --mode presets have no {mode}")
        docs["README.md"][mode] = preset_options(m[1])
    return docs


def test_mode_presets_of_the_man_page_and_readme_are_what_the_program_sets(ctx):
    docs = documented_presets()
    got = {}
    for mode in MODES:
        path = ctx.path(f"{mode}.json")
        p, rc = h.run_to_end(ctx, [f"--mode={mode}", "-j", path, "--", "true"])
        h.check(rc == 0, f"--mode={mode} exited {rc}; {p.describe()}")
        report = h.load_report(path)
        got[mode] = dict(report["options"], period_bytes=report["sampling"]["period_bytes"])
    base = got["standard"]
    for doc, presets in docs.items():
        for mode, opts in presets.items():
            for name, value in opts.items():
                h.check(name in PRESET_KEYS, f"{doc}'s {mode} preset sets --{name}, which "
                        f"no preset has")
                want = option_value(name, value)
                h.check(got[mode][PRESET_KEYS[name]] == want,
                        f"{doc}'s {mode} preset sets --{name}={value}; the program "
                        f"{got[mode][PRESET_KEYS[name]]!r}")
            named = {PRESET_KEYS[n] for n in opts}
            unsaid = [k for k in PRESET_KEYS.values() if k not in named and
                      got[mode][k] != base[k]]
            h.check(not unsaid, f"the {mode} preset sets {unsaid}, which {doc} does not say")


def test_help_usage_and_version_exit_0(ctx):
    for arg, want in (("--help", "--pid"), ("--usage", "--pid"), ("-V", "memvigil"),
                      ("--version", "memvigil")):
        p, rc = h.run_to_end(ctx, [arg])
        h.check(rc == 0, f"{arg} exited {rc}")
        h.check(want in p.out(), f"{arg} output lacks {want!r}: {p.out()[:200]!r}")


def test_the_writers_golden_reports_follow_the_documented_schema(ctx):
    # The unit tests hold the JSON writer to these files byte for byte; readers (the HTML
    # page, bench/gen_report.py) take them as the shape of a real report, so they must be one.
    golden = os.path.join(h.ROOT, "tests", "unit", "data", "golden")
    names = sorted(n for n in os.listdir(golden) if re.match(r"report_.*\.json$", n))
    h.check(len(names) >= 2, f"{golden} holds only {names}")
    for name in names:
        path = ctx.path(name)
        with open(os.path.join(golden, name)) as f, open(path, "w") as out:
            out.write(f.read().replace("@MV_VERSION@", "0.0.0"))
        h.validate_json(path)
