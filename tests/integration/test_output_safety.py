# SPDX-License-Identifier: GPL-2.0
"""What memvigil writes as root: its output files and its --on-alert commands.

-j and --jsonl never write through a symbolic link, never block on a FIFO,
never write another user's file, and create files 0600 whatever the umask.
An --on-alert command gets PATH and the MEMVIGIL_ALERT_* variables as its
whole environment, fds 0-2 only, default signal dispositions and no mask.
"""

import os
import re
import signal
import stat
import time

import harness as h

SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def secret_file(ctx, name="secret"):
    """A root-only file with known contents: what a planted link points at."""
    path = ctx.path(name)
    with open(path, "w") as f:
        f.write("root only\n")
    os.chmod(path, 0o600)
    return path


def read(path):
    with open(path) as f:
        return f.read()


def expect_refusal(ctx, wl, option, path, want):
    """memvigil OPTION PATH -p WL: one line naming path and want, nothing attached."""
    t0 = time.monotonic()
    p, rc = h.run_to_end(ctx, ["-p", wl.pid, "-i", "0", option, path], timeout=10)
    took = time.monotonic() - t0
    try:
        line = h.assert_one_line_error(p, rc)
    except h.Failure as e:
        raise h.Failure(f"{option} {path}: {e}")
    h.check(path in line and want in line,
            f"{option} {path}: error line lacks the path or {want!r}: {line!r}")
    h.check("Tracing " not in p.out(), f"{option} {path}: memvigil attached anyway")
    h.check(took < 5, f"{option} {path}: the refusal took {took:.1f}s")
    return line


def leftovers(ctx, keep):
    return sorted(set(os.listdir(ctx.tmp)) - set(keep))


def test_output_safety_json_at_a_symlink_leaves_the_root_only_target_unchanged(ctx):
    wl = h.spawn_workload(ctx, "spin", "30")
    secret = secret_file(ctx)
    link = ctx.path("report.json")
    os.symlink(secret, link)
    line = expect_refusal(ctx, wl, "-j", link, "it is a symbolic link")
    h.check("give a path that is not a link" in line, f"no advice in {line!r}")
    h.check(read(secret) == "root only\n", f"the link's target changed: {read(secret)!r}")
    h.check(os.path.islink(link), "the link itself was replaced by a refused run")
    h.check(not leftovers(ctx, ["secret", "report.json"]),
            f"files left behind: {leftovers(ctx, ['secret', 'report.json'])}")
    h.check(wl.alive(), "target harmed")


def test_output_safety_jsonl_at_a_symlink_does_not_append_to_its_target(ctx):
    wl = h.spawn_workload(ctx, "spin", "30")
    secret = secret_file(ctx)
    link = ctx.path("lines.jsonl")
    os.symlink(secret, link)
    expect_refusal(ctx, wl, "--jsonl", link, "it is a symbolic link")
    h.check(read(secret) == "root only\n", f"appended through the link: {read(secret)!r}")
    dangling = ctx.path("dangling.jsonl")
    os.symlink(ctx.path("created-through-link"), dangling)
    expect_refusal(ctx, wl, "--jsonl", dangling, "it is a symbolic link")
    h.check(not os.path.exists(ctx.path("created-through-link")),
            "a file was created through a dangling link")
    h.check(wl.alive(), "target harmed")


def test_output_safety_json_and_jsonl_at_a_fifo_exit_promptly_with_one_line(ctx):
    wl = h.spawn_workload(ctx, "spin", "30")
    fifo = ctx.path("fifo")
    os.mkfifo(fifo, 0o600)
    for option in ("-j", "--jsonl"):
        expect_refusal(ctx, wl, option, fifo, "it is a FIFO, not a regular file")
    h.check(stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO was replaced")
    h.check(wl.alive(), "target harmed")


def test_output_safety_files_of_another_user_and_devices_are_refused(ctx):
    wl = h.spawn_workload(ctx, "spin", "30")
    planted = ctx.path("planted.json")
    with open(planted, "w") as f:
        f.write("planted\n")
    os.chown(planted, 65534, 65534)
    for option in ("-j", "--jsonl"):
        expect_refusal(ctx, wl, option, planted, "it belongs to uid 65534")
        expect_refusal(ctx, wl, option, "/dev/null", "it is a character device")
        expect_refusal(ctx, wl, option, ctx.tmp, "it is a directory")
    h.check(read(planted) == "planted\n", f"the planted file changed: {read(planted)!r}")
    h.check(wl.alive(), "target harmed")


def test_output_safety_report_and_lines_written_under_umask_000_are_mode_0600(ctx):
    report, lines = ctx.path("report.json"), ctx.path("lines.jsonl")
    with open(report, "w") as f:
        f.write("an earlier report\n")
    os.chmod(report, 0o644)
    p, rc = h.run_to_end(ctx, ["-i", "0.5", "-j", report, "--jsonl", lines, "--",
                               h.workload("spin"), "1"], preexec_fn=lambda: os.umask(0))
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    for path in (report, lines):
        mode = stat.S_IMODE(os.lstat(path).st_mode)
        h.check(mode == 0o600, f"{path} has mode {mode:o} under umask 000, expected 600")
    h.load_report(report)
    h.check(h.read_jsonl(lines), "no --jsonl lines written")
    h.check(not leftovers(ctx, ["report.json", "lines.jsonl"]),
            f"temporary files left behind: {leftovers(ctx, ['report.json', 'lines.jsonl'])}")


HOOK = """#!/bin/sh
tr '\\0' '\\n' < /proc/$$/environ > "$1.env"
ls -l /proc/self/fd > "$1.fd"
grep -E '^Sig(Blk|Ign):' /proc/$$/status > "$1.sig"
touch "$1.done"
"""


def block_usr2_ignore_hup():
    """memvigil starts with SIGUSR2 blocked and SIGHUP ignored: its command must not."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2})
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


def test_output_safety_on_alert_command_gets_a_clean_environment_and_only_fds_0_to_2(ctx):
    hook, out = ctx.path("hook.sh"), ctx.path("hook-out")
    with open(hook, "w") as f:
        f.write(HOOK)
    os.chmod(hook, 0o755)
    env = dict(os.environ, MEMVIGIL_TEST_SECRET="1", LD_LIBRARY_PATH="/nonexistent")
    # fd 7 open without O_CLOEXEC when memvigil starts, as a careless parent leaves one
    argv = ["/bin/sh", "-c", 'exec 7</dev/null; exec "$0" "$@"', h.BIN, "-i", "0.5",
            "--alert", "rss>1K", "--on-alert", f"/bin/sh {hook} {out}", "--",
            h.workload("spin"), "2"]
    p = ctx.spawn(argv, env=env, preexec_fn=block_usr2_ignore_hup)
    rc = p.wait(h.EXIT_TIMEOUT_S)
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    h.check(os.path.exists(out + ".done"),
            f"the --on-alert command did not run; {p.describe()}")
    got = read(out + ".env").split("\n")
    names = sorted(l.split("=", 1)[0] for l in got if l)
    h.check("MEMVIGIL_TEST_SECRET" not in names, f"memvigil's environment leaked: {names}")
    extra = [n for n in names if n != "PATH" and not n.startswith("MEMVIGIL_ALERT_")]
    h.check(not extra, f"the command inherited {extra}; its environment: {names}")
    h.check(f"PATH={SAFE_PATH}" in got, f"PATH is not the fixed one: {got}")
    h.check("MEMVIGIL_ALERT_EXPR=rss>1K" in got, f"alert variables missing: {got}")
    fds = sorted(int(m[1]) for m in re.finditer(r" (\d+) -> (?!/proc/\d+/fd)",
                                                  read(out + ".fd")))
    h.check(fds == [0, 1, 2], f"the command has fds {fds}, expected 0, 1, 2: "
            f"{read(out + '.fd')!r}")
    sig = read(out + ".sig")
    h.check(sig == "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n",
            f"the command's signal mask or ignored set is not empty: {sig!r}")
