# SPDX-License-Identifier: GPL-2.0
"""Integration tests: tracing a cgroup (--cgroup).

Every process of a cgroup (v1 or v2) and of its subcgroups, and those that
enter it later, is traced and reported under its PID and cgroup; processes that
leave are detached; a reused PID is a new entry; a bind mount of a v1
directory, a binary visible only in a container's namespaces, a process
without an allocator, a cgroup removed while traced and an empty one.
"""

import os
import re
import shutil
import signal
import time

import harness as h


def own_cgroup(mount, kind):
    """The directory of this process's own cgroup in that hierarchy."""
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if (kind == "cgroup2" and ctrls == "") or kind in ctrls.split(","):
                return mount + path
    raise h.Failure(f"this process is in no {kind} cgroup")


def test_cgroup_reports_each_leak_under_its_process_and_cgroup(ctx):
    cg = h.make_cgroup(ctx, subdirs=["inner"])
    inner = os.path.join(cg, "inner")
    af = h.spawn_waiting_in_cgroup(ctx, cg, "alloc_family")
    idle = h.spawn_in_cgroup(ctx, inner, [h.workload("spin"), "60"])
    idle.wait_line(r"^SPIN ", 10)
    fl = h.spawn_waiting_in_cgroup(ctx, inner, "fork_leak")
    json_path = ctx.path("cgroup.json")
    mv = h.memvigil(ctx, ["--cgroup", cg, "-v", "-i", "0", "--json", json_path])
    h.wait_banner(mv)
    for p in (af, fl):
        h.wait_attached(mv, p.pid)
        os.kill(p.pid, signal.SIGUSR1)
    h.release_children(mv, 5, out=fl)
    fl.wait_line(r"^TRUTH done$", 30)
    af.wait_line(r"^TRUTH done$", 30)
    h.check(fl.wait(10) == 0, "fork_leak failed")
    time.sleep(0.3)
    rc = h.stop(mv)
    h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    report = h.load_report(json_path)
    h.check(report["target"] == {"cgroup": cg, "follow": True},
            f"target is {report['target']!r}")
    truth, clean = h.parse_pid_truth(fl.out())
    h.check(len(truth) == 4, f"fork_leak truth from {sorted(truth)}, expected 4 processes")
    h.check_pid_truth(report, truth, clean)
    af_truth, af_clean, _ = h.parse_truth(af.out())
    (af_proc,) = h.select_procs(report, pid=af.pid)
    h.check_truth(report, [af_proc], af_truth)
    h.check_holds_nothing([af_proc], af_clean)
    procs = {p["pid"]: p for p in report["processes"]}
    want_cg = {af.pid: "/", idle.pid: "/inner", fl.pid: "/inner"}
    want_cg.update({pid: "/inner" for pid in truth})
    for pid, path in want_cg.items():
        h.check(pid in procs, f"PID {pid} missing from the report")
        h.check(procs[pid]["cgroup"] == path, f"PID {pid} reported in cgroup "
                f"{procs[pid]['cgroup']!r}, expected {path!r}")
    groups = {g["path"]: g for g in report["cgroups"]}
    h.check(set(groups) == {"/", "/inner"}, f"cgroups {sorted(groups, key=str)}")
    for path, g in groups.items():
        members = [p for p in report["processes"] if p["cgroup"] == path]
        h.check(sorted(g["pids"]) == sorted(p["pid"] for p in members),
                f"cgroup {path} lists {g['pids']}")
        total = sum(p["heap"]["outstanding_bytes"] for p in members)
        h.check(g["heap"]["outstanding_bytes"] == total,
                f"cgroup {path} totals {g['heap']['outstanding_bytes']} bytes, its processes {total}")
    for path, d in (("/", cg), ("/inner", inner)):
        k = groups[path]["kernel"]
        h.check(k["sampled_processes"] >= 1 and k["rss_bytes"] > 0,
                f"cgroup {path} has no kernel totals: {k!r}")
        memcg = k["memory_cgroup"]
        h.check(memcg is None or memcg["path"] == d,
                f"cgroup {path} reports memory cgroup {memcg and memcg['path']!r}, expected {d}")
    h.check(groups["/inner"]["exited"] == 5, f"/inner counts {groups['/inner']['exited']} "
            f"exited processes, expected 5 (fork_leak, its 3 children and a grandchild)")
    out = mv.out()
    h.check(re.search(r"^cgroup /: 1 process ", out, re.M) and
            re.search(r"^cgroup /inner: \d+ process(es)? ", out, re.M),
            f"text report has no per-cgroup lines: {out[-600:]!r}")
    wide = [l for l in out.splitlines() if len(l) > 100]
    h.check(not wide, f"text report lines exceed 100 columns: {wide[:3]}")


def test_cgroup_attaches_processes_that_enter_and_detaches_those_that_leave(ctx):
    cg = h.make_cgroup(ctx)
    home = own_cgroup(h.cgroup_mount("memory"), "memory")
    json_path = ctx.path("migrate.json")
    mv = h.memvigil(ctx, ["--cgroup", cg, "-v", "-i", "0", "--json", json_path])
    h.wait_banner(mv)
    mv.wait_line(r"has no processes yet", 10, stream="err")
    af = h.spawn_workload(ctx, "alloc_family", "--wait")
    h.move_to_cgroup(af.pid, cg)
    h.wait_attached(mv, af.pid)
    os.kill(af.pid, signal.SIGUSR1)
    af.wait_line(r"^TRUTH done$", 20)
    time.sleep(0.3)
    h.move_to_cgroup(af.pid, home)
    mv.wait_line(rf"PID {af.pid} left cgroup", 10, stream="err")
    rc = h.stop(mv)
    h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    report = h.load_report(json_path)
    (proc,) = h.select_procs(report, pid=af.pid)
    h.check(proc["detached"] is True and proc["exited"] is False,
            f"detached {proc['detached']!r} exited {proc['exited']!r}, expected true/false")
    truth, clean, _ = h.parse_truth(af.out())
    h.check_truth(report, [proc], truth)
    h.check(af.alive(), "the process died when it was detached")


def test_thread_whose_malloc_returned_while_detached_is_traced_again_after_it(ctx):
    """The process leaves the traced cgroup while a thread is inside malloc, the call
    returns unseen, the process comes back and leaks: its later calls must not be
    taken for calls nested in the one whose return was missed."""
    cg = h.make_cgroup(ctx)
    home = own_cgroup(h.cgroup_mount("memory"), "memory")
    json_path = ctx.path("held.json")
    mv = h.memvigil(ctx, ["--cgroup", cg, "-v", "-i", "0", "--json", json_path])
    h.wait_banner(mv)
    mv.wait_line(r"has no processes yet", 10, stream="err")
    wl = h.spawn_workload(ctx, "own_malloc")
    h.move_to_cgroup(wl.pid, cg)
    h.wait_attached(mv, wl.pid)
    os.kill(wl.pid, signal.SIGUSR1)
    wl.wait_line(r"^HELD$", 10)
    h.move_to_cgroup(wl.pid, home)
    mv.wait_line(rf"PID {wl.pid} left cgroup", 10, stream="err")
    time.sleep(1.0)     # the old links are destroyed in the background
    os.kill(wl.pid, signal.SIGUSR2)
    wl.wait_line(r"^RETURNED$", 10)
    h.move_to_cgroup(wl.pid, cg)
    h.wait_count(mv, rf"PID {wl.pid}: probing \d+ allocator functions", 2, 20)
    os.kill(wl.pid, signal.SIGUSR1)
    wl.wait_line(r"^TRUTH done$", 10)
    time.sleep(0.3)
    rc = h.stop(mv)
    h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    truth = h.truth_values(wl.out())["leak_func"]
    (proc,) = h.select_procs(h.load_report(json_path), pid=wl.pid)
    found = [s for s in proc["stacks"] if any(f["symbol"] == "leak_after" for f in s["frames"])]
    allocs = sum(s["outstanding_allocs"] for s in found)
    got = sum(s["outstanding_bytes"] for s in found)
    h.check(allocs == int(truth["allocs"]) and got == int(truth["bytes"]),
            f"leak_after after the re-attach: {allocs} allocs, {got} bytes; truth {truth}; "
            f"stacks {[[f['symbol'] for f in s['frames'][:3]] for s in proc['stacks']]}")


def test_cgroup_pid_reused_by_a_new_process_is_traced_as_a_new_entry(ctx):
    cg = h.make_cgroup(ctx)
    json_path = ctx.path("reuse.json")
    mv = h.memvigil(ctx, ["--cgroup", cg, "-v", "-i", "0", "--json", json_path])
    h.wait_banner(mv)
    first = h.spawn_waiting_in_cgroup(ctx, cg, "alloc_family")
    pid = first.pid
    h.wait_attached(mv, pid)
    os.kill(pid, signal.SIGUSR1)
    first.wait_line(r"^TRUTH done$", 20)
    first.signal(signal.SIGTERM)
    h.check(first.wait(10) == 0, "the first alloc_family failed")
    time.sleep(0.5)     # a few scans see the PID gone
    # The same PID again, for a new process (clone3 with set_tid).
    second = h.spawn_in_cgroup(ctx, cg, [h.workload("spawn_with_pid"), pid,
                                         h.workload("alloc_family"), "--wait"])
    m = second.wait_line(r"^READY (\d+)$", 10)
    h.check(int(m[1]) == pid, f"the second process got PID {m[1]}, not {pid}; "
            f"{second.describe()}")
    mv.wait_line(rf"PID {pid} is a new process", 10, stream="err")
    h.wait_count(mv, rf"PID {pid}: probing \d+ allocator functions", 2, 20)
    os.kill(pid, signal.SIGUSR1)
    second.wait_line(r"^TRUTH done$", 20)
    time.sleep(0.3)
    rc = h.stop(mv)
    h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    report = h.load_report(json_path)
    procs = [p for p in report["processes"] if p["pid"] == pid]
    h.check(len(procs) == 2, f"{len(procs)} report entries for PID {pid}, expected 2 (the "
            f"exited process and the new one)")
    old, new = procs
    h.check(old["exited"] and old["exit_code"] == 0 and not new["exited"],
            f"exited: old {old['exited']} (code {old['exit_code']}), new {new['exited']}")
    for p, wl in ((old, first), (new, second)):
        truth, clean, _ = h.parse_truth(wl.out())
        h.check_truth(report, [p], truth)
        h.check_holds_nothing([p], clean)


def test_cgroup_process_is_reported_in_the_subcgroup_it_moved_to_and_exited_in(ctx):
    cg = h.make_cgroup(ctx, subdirs=["a", "b"])
    home = own_cgroup(h.cgroup_mount("memory"), "memory")
    af = h.spawn_waiting_in_cgroup(ctx, os.path.join(cg, "a"), "alloc_family")
    json_path = ctx.path("moves.json")
    mv = h.memvigil(ctx, ["--cgroup", cg, "-v", "-i", "0", "--json", json_path])
    h.wait_banner(mv)
    h.wait_attached(mv, af.pid)
    h.move_to_cgroup(af.pid, os.path.join(cg, "b"))
    mv.wait_line(rf"PID {af.pid} moved from cgroup /a to /b", 10, stream="err")
    os.kill(af.pid, signal.SIGUSR1)
    af.wait_line(r"^TRUTH done$", 20)
    # out of the tree and back in, into b: attached again, no longer "left"
    h.move_to_cgroup(af.pid, home)
    mv.wait_line(rf"PID {af.pid} left cgroup", 10, stream="err")
    h.move_to_cgroup(af.pid, os.path.join(cg, "b"))
    mv.wait_line(rf"PID {af.pid} came back into cgroup /b", 10, stream="err")
    af.signal(signal.SIGTERM)
    h.check(af.wait(10) == 0, "alloc_family failed")
    time.sleep(0.5)
    rc = h.stop(mv)
    h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    report = h.load_report(json_path)
    (proc,) = h.select_procs(report, pid=af.pid)
    h.check(proc["cgroup"] == "/b" and proc["exited"] and not proc["detached"],
            f"reported in cgroup {proc['cgroup']!r}, exited {proc['exited']}, "
            f"detached {proc['detached']}; expected /b, exited, not detached")
    groups = {g["path"]: g for g in report["cgroups"]}
    h.check(af.pid in groups.get("/b", {}).get("pids", []) and "/a" not in groups,
            f"cgroup groups {[(g['path'], g['pids']) for g in report['cgroups']]}")
    truth, clean, _ = h.parse_truth(af.out())
    h.check_truth(report, [proc], truth)
    h.check(re.search(r"^cgroup /b: 1 process ", mv.out(), re.M),
            f"the text report does not group the process under /b: {mv.out()[-800:]!r}")


def test_cgroup_under_a_bind_mount_of_a_v1_directory_is_mapped_through_its_root(ctx):
    cg = h.make_cgroup(ctx, subdirs=["inner"])
    bind = ctx.bind_mount(cg, "bind")
    with open("/proc/self/mountinfo") as f:
        roots = [l.split()[3] for l in f if l.split()[4] == bind]
    h.check(roots == [cg[len(h.cgroup_mount("memory")):]], f"bind mount root {roots}, expected "
            f"the cgroup's own directory")
    home = own_cgroup(h.cgroup_mount("memory"), "memory")
    af = h.spawn_waiting_in_cgroup(ctx, os.path.join(cg, "inner"), "alloc_family")
    json_path = ctx.path("bind.json")
    mv = h.memvigil(ctx, ["--cgroup", bind, "-v", "-i", "0", "--json", json_path])
    h.wait_banner(mv)
    h.wait_attached(mv, af.pid)
    os.kill(af.pid, signal.SIGUSR1)
    af.wait_line(r"^TRUTH done$", 20)
    # /proc/PID/cgroup names the hierarchy's path: leaving the bind-mounted
    # directory shows only when that path is mapped through the mount root
    h.move_to_cgroup(af.pid, home)
    mv.wait_line(rf"PID {af.pid} left cgroup", 10, stream="err")
    rc = h.stop(mv)
    h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    report = h.load_report(json_path)
    (proc,) = h.select_procs(report, pid=af.pid)
    h.check(proc["cgroup"] == "/inner" and proc["detached"],
            f"cgroup {proc['cgroup']!r}, detached {proc['detached']}; expected /inner, detached")
    truth, clean, _ = h.parse_truth(af.out())
    h.check_truth(report, [proc], truth)
    h.check_holds_nothing([proc], clean)


def test_cgroup2_path_is_traced_too(ctx):
    cg = h.make_cgroup(ctx, kind="cgroup2")
    af = h.spawn_waiting_in_cgroup(ctx, cg, "alloc_family")
    json_path = ctx.path("v2.json")
    mv = h.memvigil(ctx, ["--cgroup", cg, "-v", "-i", "0", "--json", json_path])
    h.wait_banner(mv)
    h.check("(v2, " in mv.out(), f"banner does not say cgroup v2: {mv.out()[:200]!r}")
    h.wait_attached(mv, af.pid)
    os.kill(af.pid, signal.SIGUSR1)
    af.wait_line(r"^TRUTH done$", 20)
    time.sleep(0.3)
    h.check(h.stop(mv) == 0, f"memvigil failed; {mv.describe()}")
    report = h.load_report(json_path)
    truth, _, _ = h.parse_truth(af.out())
    h.check_truth(report, h.select_procs(report, pid=af.pid), truth)


def test_container_binary_visible_only_inside_its_namespaces_is_symbolized(ctx):
    if not shutil.which("unshare"):
        raise h.Skip("unshare (util-linux) is not installed")
    cg = h.make_cgroup(ctx)
    hidden = ctx.path("ns-only")
    os.mkdir(hidden)
    script = (f"mount -t tmpfs ns-only {hidden} && cp {h.workload('alloc_family')} {hidden}/ && "
              f"exec {hidden}/alloc_family --wait")
    wl = h.spawn_in_cgroup(ctx, cg, ["unshare", "--mount", "--pid", "--fork", "--propagation",
                                     "private", "sh", "-c", script])
    m = wl.wait_line(r"^READY (\d+)$", 10)
    ns_pid = int(m[1])
    host = [p for p in h.cgroup_pids(cg) if open(f"/proc/{p}/comm").read().strip() == "alloc_family"]
    h.check(len(host) == 1, f"cannot find alloc_family in the cgroup: {host}")
    host_pid = host[0]
    h.check(host_pid != ns_pid, f"host PID {host_pid} equals namespace PID {ns_pid}")
    h.check(not os.path.exists(os.path.join(hidden, "alloc_family")),
            "the workload binary is visible outside its mount namespace")
    json_path = ctx.path("ns.json")
    mv = h.memvigil(ctx, ["--cgroup", cg, "-v", "-i", "0", "--json", json_path])
    h.wait_banner(mv)
    h.wait_attached(mv, host_pid)
    os.kill(host_pid, signal.SIGUSR1)
    wl.wait_line(r"^TRUTH done$", 20)
    time.sleep(0.3)
    h.check(h.stop(mv) == 0, f"memvigil failed; {mv.describe()}")
    report = h.load_report(json_path)
    (proc,) = h.select_procs(report, pid=host_pid)
    h.check(proc["ns_pid"] == ns_pid, f"ns_pid {proc['ns_pid']!r}, expected {ns_pid}")
    truth, _, _ = h.parse_truth(wl.out())
    h.check_truth(report, [proc], truth)
    h.check(re.search(rf"^PID {host_pid} \[ns {ns_pid}\] \(alloc_family\)", mv.out(), re.M),
            f"text report does not give both PIDs: {mv.out()[-400:]!r}")


def test_cgroup_process_without_allocator_is_warned_once_and_the_rest_traced(ctx):
    exe = h.stripped_static_program(ctx)   # an unstripped one has its own malloc
    cg = h.make_cgroup(ctx)
    st = h.spawn_in_cgroup(ctx, cg, [exe, "30"])
    st.wait_line(r"^STATIC ", 10)
    af = h.spawn_waiting_in_cgroup(ctx, cg, "alloc_family")
    json_path = ctx.path("static.json")
    mv = h.memvigil(ctx, ["--cgroup", cg, "-d", "3.5", "-i", "0", "--json", json_path])
    h.wait_banner(mv)
    os.kill(af.pid, signal.SIGUSR1)
    af.wait_line(r"^TRUTH done$", 20)
    rc = mv.wait(h.EXIT_TIMEOUT_S)
    h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    err = [l for l in mv.err_lines() if l.strip()]
    h.check(len(err) == 1 and f"PID {st.pid}" in err[0] and "not traced" in err[0],
            f"expected one warning that PID {st.pid} is not traced (after its retries), "
            f"got {err}")
    report = h.load_report(json_path)
    truth, _, _ = h.parse_truth(af.out())
    h.check_truth(report, h.select_procs(report, pid=af.pid), truth)
    h.check(report["health"]["attach"]["failed"] == 1,
            f"health.attach {report['health']['attach']!r}, expected 1 failed")


def test_cgroup_removed_while_traced_ends_with_a_final_report(ctx):
    cg = h.make_cgroup(ctx)
    wl = h.spawn_in_cgroup(ctx, cg, [h.workload("spin"), "4"])
    wl.wait_line(r"^SPIN ", 10)
    json_path = ctx.path("removed.json")
    mv = h.memvigil(ctx, ["--cgroup", cg, "-i", "0", "--json", json_path])
    h.wait_banner(mv)
    h.check(wl.wait(10) == 0, "spin failed")
    deadline = time.monotonic() + 10
    while os.path.exists(cg):
        try:
            os.rmdir(cg)
        except OSError:
            h.check(time.monotonic() < deadline, "cannot remove the emptied cgroup")
            time.sleep(0.05)
    rc = mv.wait(h.EXIT_TIMEOUT_S)
    h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    err = [l for l in mv.err_lines() if l.strip()]
    h.check(len(err) == 1 and "was removed" in err[0], f"stderr {err}, expected one line "
            f"saying the cgroup was removed")
    h.check("=== final report" in mv.out(), f"no final report: {mv.out()[-300:]!r}")
    report = h.load_report(json_path)
    (proc,) = h.select_procs(report, pid=wl.pid)
    h.check(proc["exited"] is True, f"spin not reported exited: {proc['exited']!r}")


def test_empty_cgroup_waits_says_so_and_ends_with_a_valid_empty_report(ctx):
    cg = h.make_cgroup(ctx)
    json_path = ctx.path("empty.json")
    p, rc = h.run_to_end(ctx, ["--cgroup", cg, "-d", "1", "-i", "0", "--json", json_path])
    h.check(rc == 0, f"memvigil exited {rc}; {p.describe()}")
    err = [l for l in p.err_lines() if l.strip()]
    h.check(len(err) == 1 and "no processes yet" in err[0], f"stderr {err}, expected one line "
            f"saying the cgroup has no processes yet")
    report = h.load_report(json_path)
    h.check(report["processes"] == [] and report["cgroups"] == [],
            f"empty cgroup gave processes {report['processes']!r}")


def test_follow_with_cgroup_is_accepted_and_documented_as_implied(ctx):
    help_p, rc = h.run_to_end(ctx, ["--help"])
    h.check(rc == 0, f"--help exited {rc}")
    text = help_p.out()
    follow = re.search(r"^\s+-f, --follow\b.*?(?=^ {1,8}-)", text, re.M | re.S)
    h.check(follow and "--cgroup" in follow[0],
            f"--help does not say -f is implied by --cgroup: {follow and follow[0]!r}")
    with open(os.path.join(h.ROOT, "docs", "memvigil.8")) as f:
        man = f.read()
    para = man[man.index('.BR \\-f ", " \\-\\-follow'):]
    para = para[:para.index(".TP")]
    h.check("cgroup" in para, f"the man page's -f does not mention --cgroup: {para[-300:]!r}")
    cg = h.make_cgroup(ctx)
    sp = h.spawn_in_cgroup(ctx, cg, [h.workload("spin"), "60"])
    sp.wait_line(r"^SPIN ", 10)
    json_path = ctx.path("follow-cgroup.json")
    mv = h.memvigil(ctx, ["-f", "--cgroup", cg, "-i", "0", "--json", json_path])
    h.wait_banner(mv)
    rc = h.stop(mv)
    h.check(rc == 0, f"memvigil -f --cgroup exited {rc}; {mv.describe()}")
    report = h.load_report(json_path)
    h.check(report["target"] == {"cgroup": cg, "follow": True}, f"target is {report['target']!r}")
    h.check(any(p["pid"] == sp.pid for p in report["processes"]),
            f"PID {sp.pid} of the cgroup is not in the report")
