# SPDX-License-Identifier: GPL-2.0
"""Integration tests: what memvigil refuses, with one line on stderr.

Usage errors (no target or two, malformed values and alert expressions,
unknown metrics, bad MEMVIGIL_* variables, options that need another) exit 64;
bad input (a PID that does not exist or is a kernel thread, a command that
cannot run, a stripped static program, an output file that cannot be written,
an allocator the process does not map, a path that is not a usable cgroup, a
user who is not root) exits non-zero. Each says so in one line starting with
"memvigil: ", before attaching anything and without harming the target.
"""

import os
import shutil
import time

import harness as h


EX_USAGE = 64


def test_usage_error_follow_without_a_target(ctx):
    p, rc = h.run_to_end(ctx, ["-f", "-i", "1"])
    line = h.assert_one_line_error(p, rc, EX_USAGE)
    h.check("follow" in line, f"error does not mention --follow: {line!r}")


def test_usage_errors_for_bad_sample_bytes(ctx):
    wl = h.spawn_workload(ctx, "spin", "30")
    for bad in (["--sample-bytes=abc"], ["--sample-bytes=-1"], ["--sample-bytes=2G"],
                ["--sample-bytes=1.5M"], ["--sample-bytes="], ["--sample-max-live=0"]):
        p, rc = h.run_to_end(ctx, bad + ["-p", wl.pid])
        try:
            line = h.assert_one_line_error(p, rc, EX_USAGE)
        except h.Failure as e:
            raise h.Failure(f"{' '.join(bad)}: {e}")
        h.check(bad[0].split("=")[0] in line, f"{bad[0]}: error does not name the option: {line!r}")
    h.check(wl.alive(), "target harmed")


def test_error_cgroup_path_that_is_not_a_cgroup(ctx):
    p, rc = h.run_to_end(ctx, ["--cgroup", ctx.tmp, "-d", "1"])
    line = h.assert_one_line_error(p, rc, 1)
    h.check("not a cgroup" in line, f"error does not say it is not a cgroup: {line!r}")
    h.check("Tracing " not in p.out(), "memvigil attached to something")


def test_error_cgroup_that_does_not_exist(ctx):
    mount = h.cgroup_mount("memory") or h.cgroup_mount("cgroup2")
    if not mount:
        raise h.Skip("no cgroup hierarchy is mounted")
    path = os.path.join(mount, "memvigil-no-such-cgroup-%d" % os.getpid())
    p, rc = h.run_to_end(ctx, ["--cgroup", path, "-d", "1"])
    line = h.assert_one_line_error(p, rc, 1)
    h.check("does not exist" in line, f"error does not say the cgroup does not exist: {line!r}")


def test_error_cgroup_mounted_from_outside_our_cgroup_namespace(ctx):
    if not shutil.which("unshare"):
        raise h.Skip("unshare (util-linux) is not installed")
    cg = h.make_cgroup(ctx)
    bind = ctx.bind_mount(cg, "bind")
    elsewhere = h.make_cgroup(ctx)
    # memvigil in a cgroup namespace rooted at a sibling: the bind mount's
    # root lies outside it ("/../memvigil-test-...")
    e = dict(os.environ)
    e.pop("MEMVIGIL_TEST_ATTACH_DELAY_MS", None)
    p = ctx.spawn(["unshare", "--cgroup", h.BIN, "--cgroup", bind, "-d", "1"], env=e,
                  preexec_fn=lambda: h.move_to_cgroup(os.getpid(), elsewhere))
    rc = p.wait(h.EXIT_TIMEOUT_S)
    line = h.assert_one_line_error(p, rc, 1)
    h.check("outside memvigil's cgroup namespace" in line and "/.." in line,
            f"error does not say the mount is outside the cgroup namespace: {line!r}")
    h.check("Tracing " not in p.out(), "memvigil attached to something")


def test_usage_error_cgroup_with_a_pid_or_a_command(ctx):
    wl = h.spawn_workload(ctx, "spin", "30")
    for extra in (["-p", wl.pid], ["--", h.workload("spin"), "1"]):
        p, rc = h.run_to_end(ctx, ["--cgroup", "/sys/fs/cgroup/memory"] + extra)
        line = h.assert_one_line_error(p, rc, EX_USAGE)
        h.check("--cgroup" in line, f"error does not name --cgroup: {line!r}")
    h.check(wl.alive(), "target harmed")


def test_usage_error_without_a_target(ctx):
    p, rc = h.run_to_end(ctx, ["-i", "1"])
    h.assert_one_line_error(p, rc, EX_USAGE)


def test_usage_error_with_both_pid_and_command(ctx):
    wl = h.spawn_workload(ctx, "spin", "30")
    p, rc = h.run_to_end(ctx, ["-p", wl.pid, "--", h.workload("spin"), "1"])
    h.assert_one_line_error(p, rc, EX_USAGE)
    h.check(wl.alive(), "target harmed")


def test_usage_errors_for_negative_and_non_numeric_duration_and_interval(ctx):
    wl = h.spawn_workload(ctx, "spin", "30")
    for bad in (["-d", "-1"], ["-d", "abc"], ["-i", "x"], ["-i", "-2"], ["--duration=1x"]):
        p, rc = h.run_to_end(ctx, bad + ["-p", wl.pid])
        try:
            h.assert_one_line_error(p, rc, EX_USAGE)
        except h.Failure as e:
            raise h.Failure(f"{' '.join(bad)}: {e}")
    h.check(wl.alive(), "target harmed")


def test_error_pid_that_does_not_exist(ctx):
    pid_max = int(open("/proc/sys/kernel/pid_max").read())
    pid = next(p for p in range(pid_max - 1, 1, -1) if not os.path.exists(f"/proc/{p}"))
    p, rc = h.run_to_end(ctx, ["-p", pid])
    line = h.assert_one_line_error(p, rc)
    h.check(str(pid) in line, f"error does not name PID {pid}: {line!r}")


def kernel_thread_pid():
    for pid in ["2"] + sorted((d for d in os.listdir("/proc") if d.isdigit()), key=int):
        try:
            stat = open(f"/proc/{pid}/stat").read()
        except OSError:
            continue
        flags = int(stat[stat.rindex(")") + 2:].split()[6])    # field 9
        if flags & 0x00200000:          # PF_KTHREAD
            return int(pid)
    raise h.Skip("no kernel thread visible in /proc (a PID namespace?)")


def test_error_pid_of_a_kernel_thread(ctx):
    pid = kernel_thread_pid()
    p, rc = h.run_to_end(ctx, ["-p", pid])
    h.assert_one_line_error(p, rc)


def test_error_pid_that_exits_during_attach(ctx):
    wl = ctx.spawn([h.workload("spin"), "30"])
    wl.wait_line(r"^SPIN ", 10)
    mv = h.memvigil(ctx, ["-p", wl.pid, "-i", "0"],
                    env={"MEMVIGIL_TEST_ATTACH_DELAY_MS": "2000"})
    time.sleep(0.6)
    h.check(mv.alive(), f"memvigil ended before the attach delay: {mv.describe()}")
    wl.popen.kill()
    wl.wait(10)                         # reaped: the PID is really gone
    rc = mv.wait(h.EXIT_TIMEOUT_S)
    h.assert_one_line_error(mv, rc)
    h.check("Tracing " not in mv.out(), "memvigil printed its banner for a process that exited")


def test_error_command_that_does_not_exist(ctx):
    p, rc = h.run_to_end(ctx, ["-i", "0", "--", ctx.path("no-such-command")])
    h.assert_one_line_error(p, rc, 127)


def test_error_command_that_is_not_executable(ctx):
    path = ctx.path("not-executable")
    with open(path, "w") as f:
        f.write("#!/bin/sh\nexit 0\n")
    os.chmod(path, 0o644)
    p, rc = h.run_to_end(ctx, ["-i", "0", "--", path])
    h.assert_one_line_error(p, rc, 126)


def test_error_not_root(ctx):
    if not shutil.which("setpriv"):
        raise h.Skip("setpriv (util-linux) is not installed")
    wl = h.spawn_workload(ctx, "spin", "30")
    copy = ctx.path("memvigil")
    shutil.copy(h.BIN, copy)
    os.chmod(copy, 0o755)
    env = dict(os.environ)
    env.pop("MEMVIGIL_TEST_ATTACH_DELAY_MS", None)
    p = ctx.spawn(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", copy,
                   "-p", wl.pid], env=env)
    rc = p.wait(h.EXIT_TIMEOUT_S)
    h.assert_one_line_error(p, rc)
    h.check(wl.alive(), "target harmed")


def test_error_json_path_unwritable_checked_before_attaching(ctx):
    wl = h.spawn_workload(ctx, "spin", "30")
    p, rc = h.run_to_end(ctx, ["-p", wl.pid, "-i", "0", "--json", "/nonexistent/dir/x.json"])
    h.assert_one_line_error(p, rc)
    h.check("Tracing " not in p.out(), "memvigil attached before checking the JSON path")
    h.check(wl.alive(), "target harmed")


def check_stripped_static_message(line):
    for word in ("static", "malloc", "symbol"):
        h.check(word in line, f"error does not say {word!r} (what was looked for): {line!r}")


def test_error_pid_of_a_stripped_static_program(ctx):
    exe = h.stripped_static_program(ctx)
    wl = ctx.spawn([exe, "30"])
    wl.wait_line(r"^STATIC ", 10)
    p, rc = h.run_to_end(ctx, ["-p", wl.pid, "-i", "0"])
    check_stripped_static_message(h.assert_one_line_error(p, rc, 1))
    h.check("Tracing " not in p.out(), "memvigil printed its banner")
    h.check(wl.alive(), "target harmed")


def test_error_command_that_is_a_stripped_static_program(ctx):
    exe = h.stripped_static_program(ctx)
    p, rc = h.run_to_end(ctx, ["-i", "0", "--", exe, "0"])
    check_stripped_static_message(h.assert_one_line_error(p, rc, 1))


def test_error_allocator_the_process_does_not_map(ctx):
    wl = h.spawn_workload(ctx, "alloc_leak_jemalloc", "--wait")
    p, rc = h.run_to_end(ctx, ["-p", wl.pid, "-i", "0", "--allocator=libnosuchalloc"])
    line = h.assert_one_line_error(p, rc, 1)
    h.check("libnosuchalloc" in line and "maps no" in line, f"unclear error: {line!r}")
    h.check("Tracing " not in p.out(), "memvigil printed its banner")
    h.check(wl.alive(), "target harmed")
    p, rc = h.run_to_end(ctx, ["-i", "0", "--allocator=libnosuchalloc", "--",
                               h.workload("alloc_leak")])
    h.assert_one_line_error(p, rc, 1)
    h.check("TRUTH" not in p.out(), "the command ran although nothing was attached")


def test_error_allocator_library_without_allocator_symbols(ctx):
    wl = h.spawn_workload(ctx, "alloc_leak_jemalloc", "--wait")
    p, rc = h.run_to_end(ctx, ["-p", wl.pid, "-i", "0", "--allocator=libm.so"])
    line = h.assert_one_line_error(p, rc, 1)
    h.check("libm.so" in line and "looked for malloc" in line,
            f"error does not say what was looked for: {line!r}")
    h.check(wl.alive(), "target harmed")


def test_usage_error_empty_allocator(ctx):
    p, rc = h.run_to_end(ctx, ["-i", "0", "--allocator=", "--", h.workload("alloc_leak")])
    h.assert_one_line_error(p, rc, EX_USAGE)


def expect_usage_error(ctx, args, want, env=None, target=None):
    p, rc = h.run_to_end(ctx, args + ["-p", target.pid], env=env)
    try:
        line = h.assert_one_line_error(p, rc, EX_USAGE)
    except h.Failure as e:
        raise h.Failure(f"{' '.join(args)}: {e}")
    h.check(want in line, f"{' '.join(args)}: error line lacks {want!r}: {line!r}")
    h.check("Tracing " not in p.out(), f"{' '.join(args)}: memvigil attached anyway")


def test_usage_errors_for_malformed_alert_expressions_and_units(ctx):
    wl = h.spawn_workload(ctx, "spin", "30")
    for args, want in ((["--alert", "rss>"], "expected a number"),
                       (["--alert=rss>1Q"], "unknown size unit 'Q'"),
                       (["--alert=heap_growth>50MB"], "is a rate"),
                       (["--alert=heap_growth>50MB/fortnight"], "unknown time unit"),
                       (["--alert=rss=1G"], "use =="),
                       (["--alert=leak_score>2"], "from 0 to 1"),
                       (["--alert=pressure>=severe"], "unknown pressure level"),
                       (["--alert=rss>1.2.3G"], "malformed number"),
                       (["--alert", "heap>1M", "--alert", "rss"], "needs a comparison")):
        expect_usage_error(ctx, args, want, target=wl)
    h.check(wl.alive(), "target harmed")


def test_usage_error_for_unknown_metric_names(ctx):
    wl = h.spawn_workload(ctx, "spin", "30")
    for args, want in ((["--alert=rsss>1G"], "unknown metric 'rsss'"),
                       (["--alert=heap_rate>1K/s"], "unknown metric 'heap_rate'")):
        expect_usage_error(ctx, args, want, target=wl)
    h.check(wl.alive(), "target harmed")


def test_usage_error_window_smaller_than_interval_and_unknown_mode(ctx):
    wl = h.spawn_workload(ctx, "spin", "30")
    expect_usage_error(ctx, ["-i", "10", "--window", "5"], "shorter than --interval", target=wl)
    expect_usage_error(ctx, ["--mode=production", "--window=5"], "shorter than --interval",
                       target=wl)
    expect_usage_error(ctx, ["--window=0"], "--window", target=wl)
    expect_usage_error(ctx, ["--mode=fast"], "expected production, standard or debug", target=wl)
    h.check(wl.alive(), "target harmed")


def test_usage_error_bad_values_in_memvigil_environment_variables(ctx):
    wl = h.spawn_workload(ctx, "spin", "30")
    expect_usage_error(ctx, [], "MEMVIGIL_WINDOW", env={"MEMVIGIL_WINDOW": "abc"}, target=wl)
    expect_usage_error(ctx, [], "MEMVIGIL_ALERT", env={"MEMVIGIL_ALERT": "heap>1M;rss>1Q"},
                       target=wl)
    expect_usage_error(ctx, [], "MEMVIGIL_MODE", env={"MEMVIGIL_MODE": "turbo"}, target=wl)
    h.check(wl.alive(), "target harmed")


def test_usage_error_on_alert_command_that_does_not_exist(ctx):
    wl = h.spawn_workload(ctx, "spin", "30")
    missing = ctx.path("no-such-hook")
    expect_usage_error(ctx, ["--alert=oom", "--on-alert", missing + " --flag"],
                       "does not exist", target=wl)
    expect_usage_error(ctx, ["--alert=oom", "--on-alert", "memvigil-no-such-hook-cmd"],
                       "not found in PATH", target=wl)
    not_exec = ctx.path("not-exec")
    with open(not_exec, "w") as f:
        f.write("#!/bin/sh\n")
    os.chmod(not_exec, 0o644)
    expect_usage_error(ctx, ["--on-alert", not_exec], "not an executable file", target=wl)
    h.check(wl.alive(), "target harmed")


def test_error_jsonl_path_unwritable_checked_before_attaching(ctx):
    wl = h.spawn_workload(ctx, "spin", "30")
    p, rc = h.run_to_end(ctx, ["-p", wl.pid, "-i", "0", "--jsonl", "/nonexistent/dir/x.jsonl"])
    line = h.assert_one_line_error(p, rc, 1)
    h.check("/nonexistent/dir/x.jsonl" in line, f"error does not name the file: {line!r}")
    h.check("Tracing " not in p.out(), "memvigil attached before checking the --jsonl path")
    h.check(wl.alive(), "target harmed")


def test_bad_mappings_value_is_refused_with_one_line(ctx):
    mv = h.memvigil(ctx, ["--mappings=tracepoints", "--", h.workload("spin"), "1"], stdout=True)
    rc = mv.wait(10)
    h.check(rc == 64, f"exit {rc}; {mv.describe()}")
    lines = [l for l in mv.err_lines() if l.strip()]
    h.check(len(lines) == 1 and "--mappings" in lines[0] and "wrappers, syscalls or off" in lines[0],
            f"stderr: {lines}")
