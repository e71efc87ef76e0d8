# SPDX-License-Identifier: GPL-2.0
"""Integration tests: a process in a chroot jail controls the names memvigil reads.

The jail holds copies of the workload, its C library and its loader, and the
workload runs in it as nobody in a mount namespace of its own (no PID
namespace: the PID it prints is the host's). /proc/PID/maps shows the jail's
files by their host paths (JAIL/lib/...); seen from the process's own root that
name is JAIL/JAIL/lib/..., a place the jailed process can fill. The tests plant
there, for the C library or for every file the process maps, what a hostile
process would (a symlink to a root-only host file or to the host's C
library, a FIFO, a device node), or swap the C library after
exec, and check that memvigil, running as root, never opens what was planted,
never hangs on it, and still traces the process exactly: what it probes is the
file the process really mapped.

Opens are watched with inotify (IN_OPEN | IN_ACCESS); an O_PATH descriptor
makes no event, a real open does.
"""

import ctypes
import os
import shutil
import signal
import stat
import struct
import subprocess
import time

import harness as h

NOBODY = 65534
WORKLOAD = "alloc_family"
LIBC_NAME = "libc.so.6"
DURATION_S = 4          # -d: long enough for the workload to leak after the banner
EXIT_MARGIN_S = 6       # memvigil ends at most this long after -d from its banner


# --- a chroot jail ---------------------------------------------------------------

def shared_objects(exe):
    """The absolute paths of the shared objects exe loads, its loader included (ldd)."""
    r = subprocess.run(["ldd", exe], capture_output=True, text=True, timeout=30)
    h.check(r.returncode == 0, f"ldd {exe}: {r.stderr.strip()}")
    paths = []
    for line in r.stdout.splitlines():
        for tok in line.split():
            if tok.startswith("/") and os.path.exists(tok):
                paths.append(tok)
    h.check(any(os.path.basename(p) == LIBC_NAME for p in paths),
            f"ldd {exe} lists no {LIBC_NAME}: {r.stdout!r}")
    return paths


def makedirs_owned(path, uid):
    """mkdir -p path (mode 0755), the directories it creates owned by uid."""
    missing = []
    d = path
    while not os.path.isdir(d):
        missing.append(d)
        d = os.path.dirname(d)
    for d in reversed(missing):
        os.mkdir(d, 0o755)
        os.chown(d, uid, uid)


class Jail:
    """A chroot directory under ctx.tmp with copies of a workload and what it loads."""

    def __init__(self, ctx, name="jail", workload=WORKLOAD):
        for tool in ("unshare", "chroot", "ldd"):
            h.check(shutil.which(tool), f"{tool} is not installed (util-linux, coreutils, "
                    f"libc-bin)")
        h.check(os.stat(ctx.tmp).st_mode & 0o005 == 0o005,
                f"{ctx.tmp} is not traversable by others")
        self.root = os.path.realpath(ctx.path(name))
        os.mkdir(self.root, 0o755)
        exe = h.workload(workload)
        for so in shared_objects(exe):
            if os.path.basename(so) == LIBC_NAME:
                self.host_libc = so
            dst = self.root + so
            makedirs_owned(os.path.dirname(dst), 0)
            shutil.copyfile(so, dst)        # a copy, symlinks followed: its own inode
            os.chmod(dst, 0o755)
        shutil.copyfile(exe, os.path.join(self.root, "wl"))
        os.chmod(os.path.join(self.root, "wl"), 0o755)
        # a /tmp the jailed user may write to, as jails have
        os.mkdir(os.path.join(self.root, "tmp"))
        os.chmod(os.path.join(self.root, "tmp"), 0o1777)
        self.libc = self.root + self.host_libc
        h.check(os.path.isfile(self.libc) and not os.path.islink(self.libc),
                f"the jail has no copy of {LIBC_NAME} at {self.libc}")

    def argv(self, *args):
        return ["unshare", "--mount", "--propagation", "private", "chroot",
                f"--userspec={NOBODY}:{NOBODY}", self.root, "/wl"] + [str(a) for a in args]

    def spawn(self, ctx, *args, cgroup=None):
        """The workload run in the jail as nobody; its READY line read."""
        argv = self.argv(*args)
        if cgroup:
            p = h.spawn_in_cgroup(ctx, cgroup, argv)
        else:
            p = ctx.spawn(argv)
        m = p.wait_line(r"^READY (\d+)$", 10)
        h.check(int(m[1]) == p.pid, f"the jailed workload says PID {m[1]}, spawned as {p.pid}")
        st = os.stat(f"/proc/{p.pid}")
        h.check(st.st_uid == NOBODY, f"the jailed workload runs as uid {st.st_uid}")
        h.check(os.readlink(f"/proc/{p.pid}/root") == self.root,
                f"the jailed workload's root is {os.readlink(f'/proc/{p.pid}/root')}")
        return p

    def libc_mapping(self, pid):
        """(maps path, device, inode) of the C library the jailed process mapped."""
        with open(f"/proc/{pid}/maps") as f:
            for line in f:
                fields = line.split(None, 5)
                if len(fields) < 6:
                    continue
                path = fields[5].rstrip("\n")
                name = path[:-len(" (deleted)")] if path.endswith(" (deleted)") else path
                if os.path.basename(name) == LIBC_NAME:
                    return path, fields[3], int(fields[4])
        raise h.Failure(f"PID {pid} maps no {LIBC_NAME}")

    def in_root(self, maps_path):
        """Where maps_path leads when resolved from inside the jail's root."""
        h.check(maps_path.startswith(self.root + "/"),
                f"maps path {maps_path} is not under the jail {self.root}")
        return self.root + maps_path

    def plant_place(self, pid):
        """The name the jailed process controls: its libc's maps path inside its root."""
        path, _, ino = self.libc_mapping(pid)
        h.check(ino == os.stat(self.libc).st_ino,
                f"PID {pid} maps {path} (inode {ino}), not the jail's copy {self.libc}")
        place = self.in_root(path)
        makedirs_owned(os.path.dirname(place), NOBODY)
        return place

    def plant_places(self, pid):
        """Those names for every file the jailed process maps (program, loader, libc)."""
        paths = set()
        with open(f"/proc/{pid}/maps") as f:
            for line in f:
                fields = line.split(None, 5)
                if len(fields) == 6 and fields[5].startswith(self.root + "/"):
                    paths.add(fields[5].rstrip("\n"))
        h.check(len(paths) >= 3, f"PID {pid} maps only {sorted(paths)} from the jail")
        places = sorted(self.in_root(p) for p in paths)
        for place in places:
            makedirs_owned(os.path.dirname(place), NOBODY)
        return places


def host_secret(ctx):
    """A root-only file outside the jail."""
    path = os.path.realpath(ctx.path("host-secret.txt"))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, b"host secret: no process in the jail may read this\n")
    os.close(fd)
    os.chown(path, 0, 0)
    return path


def plant_symlink(place, target):
    os.symlink(target, place)
    os.lchown(place, NOBODY, NOBODY)


def plant_fifo(place):
    os.mkfifo(place, 0o666)
    os.chown(place, NOBODY, NOBODY)


def plant_device(place):
    """A character device with /dev/null's numbers."""
    os.mknod(place, 0o666 | stat.S_IFCHR, os.makedev(1, 3))


def swap_libc(jail):
    """Rename another file (a copy of the host's C library) over the jail's C library
    the running process mapped; the maps line then says (deleted)."""
    other = os.path.join(os.path.dirname(jail.libc), ".libc.new")
    shutil.copyfile(jail.host_libc, other)
    os.chmod(other, 0o755)
    os.rename(other, jail.libc)
    return jail.libc


# --- watching opens --------------------------------------------------------------

IN_ACCESS = 0x1
IN_OPEN = 0x20
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000


class OpenWatch:
    """inotify IN_OPEN | IN_ACCESS on some files; proven live before use."""

    def __init__(self, ctx, paths):
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        h.check(self.fd >= 0, f"inotify_init1: {os.strerror(ctypes.get_errno())}")
        ctx.procs.append(self)      # ctx.cleanup() closes it through kill_group()
        self.paths = {}
        for p in paths:
            wd = self.libc.inotify_add_watch(self.fd, os.fsencode(p), IN_OPEN | IN_ACCESS)
            h.check(wd >= 0, f"inotify_add_watch {p}: {os.strerror(ctypes.get_errno())}")
            self.paths[wd] = p
        for p in paths:         # an open of our own must be seen, then forgotten
            fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
            os.close(fd)
        seen = {p for p, _ in self.events()}
        h.check(seen == set(paths), f"inotify saw opens of {sorted(seen)}, made of {paths}")

    def events(self):
        """[(path, mask)] since the last call."""
        out = []
        while True:
            try:
                buf = os.read(self.fd, 65536)
            except BlockingIOError:
                return out
            i = 0
            while i + 16 <= len(buf):
                wd, mask, _, name_len = struct.unpack_from("iIII", buf, i)
                out.append((self.paths.get(wd, f"wd {wd}"), mask))
                i += 16 + name_len

    def check_never_opened(self, who):
        seen = {}
        for p, mask in self.events():
            n = seen.setdefault(p, {"IN_OPEN": 0, "IN_ACCESS": 0})
            n["IN_OPEN"] += bool(mask & IN_OPEN)
            n["IN_ACCESS"] += bool(mask & IN_ACCESS)
        h.check(not seen, f"{who} opened or read what the jailed process planted: " + "; ".join(
            f"{p} ({', '.join(f'{k} x{v}' for k, v in n.items() if v)})"
            for p, n in sorted(seen.items())))

    def kill_group(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


# --- memvigil on the jailed process --------------------------------------------

def blocked_in(p):
    """Where the threads of p wait in the kernel, for a failure message."""
    where = set()
    try:
        for tid in os.listdir(f"/proc/{p.pid}/task"):
            try:
                with open(f"/proc/{p.pid}/task/{tid}/stack") as f:
                    frames = [l.split()[1].split("+")[0] for l in f if len(l.split()) > 1]
                where.add(" < ".join(frames[:4]))
            except OSError:
                pass
    except OSError:
        return "(gone)"
    return "; ".join(sorted(where)) or "(unknown)"


def wait_banner_or_hang(mv):
    try:
        h.wait_banner(mv)
    except h.Failure as e:
        raise h.Failure(f"{e}; memvigil blocked in: {blocked_in(mv)}" if mv.alive() else str(e))
    return time.monotonic()


def wait_exit_or_hang(mv, timeout):
    if mv.alive():
        try:
            mv.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            raise h.Failure(f"memvigil hung: still running {timeout}s after it should have "
                            f"ended by itself, blocked in: {blocked_in(mv)}; {mv.describe()}")
    return mv.wait(5)


def check_skipped_count(report):
    skipped = report.get("health", {}).get("files_skipped")
    h.check(skipped is None or (isinstance(skipped, int) and not isinstance(skipped, bool)
                                and skipped >= 0),
            f"health.files_skipped is {skipped!r}, not a count")


def check_not_named(mv, json_path, path):
    with open(json_path) as f:
        report = f.read()
    for what, text in (("stdout", mv.out()), ("stderr", "\n".join(mv.err_lines())),
                       ("the JSON report", report)):
        h.check(path not in text, f"{what} of memvigil names {path}: "
                f"{[l for l in text.splitlines() if path in l][:3]}")


def traced_in_jail(ctx, plant, duration=DURATION_S):
    """A jailed alloc_family with plant(jail, pid) done after it started, traced with
    memvigil -p -d; memvigil must end by itself, exit 0, and report the process's
    exact leaks, while no file plant(jail, pid) returns is opened. Returns
    (memvigil, JSON path, report)."""
    jail = Jail(ctx)
    wl = jail.spawn(ctx, "--wait")
    watched = plant(jail, wl.pid) or []
    watch = OpenWatch(ctx, watched)
    json_path = ctx.path("jail.json")
    mv = h.memvigil(ctx, ["-p", wl.pid, "-i", "0", "-d", duration, "--json", json_path])
    try:
        t_banner = wait_banner_or_hang(mv)
    except h.Failure:
        watch.check_never_opened("memvigil")
        raise
    os.kill(wl.pid, signal.SIGUSR1)
    wl.wait_line(r"^TRUTH done$", 20)
    watch.check_never_opened("memvigil")
    rc = wait_exit_or_hang(mv, duration + 30)
    took = time.monotonic() - t_banner
    watch.check_never_opened("memvigil")
    h.check(rc == 0, f"memvigil -p {wl.pid} -d {duration} exited {rc}; {mv.describe()}")
    h.check(took <= duration + EXIT_MARGIN_S,
            f"memvigil -d {duration} ended {took:.1f}s after its banner")
    report = h.load_report(json_path)
    check_skipped_count(report)
    (proc,) = h.select_procs(report, pid=wl.pid)
    truth, clean, _ = h.parse_truth(wl.out())
    h.check_truth(report, [proc], truth)
    h.check_holds_nothing([proc], clean)
    h.check(wl.alive(), "the jailed process died while memvigil traced it")
    return mv, json_path, report


# --- the tests -----------------------------------------------------------------

def test_jail_runs_its_workload_untraced_with_its_own_copies_of_the_c_library(ctx):
    jail = Jail(ctx)
    wl = jail.spawn(ctx, "--wait")
    path, _, ino = jail.libc_mapping(wl.pid)
    h.check(path == jail.libc and ino == os.stat(jail.libc).st_ino,
            f"the jailed process maps {path} inode {ino}, not the jail's copy {jail.libc}")
    h.check(ino != os.stat(jail.host_libc).st_ino, "the jail's C library is the host's inode")
    os.kill(wl.pid, signal.SIGUSR1)
    wl.wait_line(r"^TRUTH done$", 20)
    truth, _, _ = h.parse_truth(wl.out())
    h.check(truth, "no ground truth")
    h.check(h.stop(wl) == 0, "the jailed workload did not exit 0 on SIGTERM")


def test_jail_symlink_to_a_root_only_host_file_is_never_opened_and_the_process_is_traced_exactly(
        ctx):
    secret = host_secret(ctx)

    def plant(jail, pid):
        h.check(not secret.startswith(jail.root + "/"), "the secret is inside the jail")
        for place in jail.plant_places(pid):
            plant_symlink(place, secret)
        return [secret]

    mv, json_path, _ = traced_in_jail(ctx, plant)
    check_not_named(mv, json_path, secret)


def test_jail_symlink_to_the_host_c_library_does_not_divert_the_probes(ctx):
    def plant(jail, pid):
        plant_symlink(jail.plant_place(pid), jail.host_libc)
        return []

    traced_in_jail(ctx, plant)


def test_jail_fifos_in_place_of_its_mapped_files_neither_hang_nor_hide_the_process(ctx):
    def plant(jail, pid):
        for place in jail.plant_places(pid):
            plant_fifo(place)
        return []

    traced_in_jail(ctx, plant, duration=3)


def test_jail_device_nodes_in_place_of_its_mapped_files_are_never_opened(ctx):
    def plant(jail, pid):
        places = jail.plant_places(pid)
        for place in places:
            plant_device(place)
        return places

    traced_in_jail(ctx, plant)


def test_jail_c_library_swapped_after_exec_the_mapped_one_is_probed_not_the_new_file(ctx):
    def plant(jail, pid):
        new = swap_libc(jail)
        path, _, ino = jail.libc_mapping(pid)
        h.check(path == jail.libc + " (deleted)",
                f"after the swap PID {pid} maps {path!r}, expected '{jail.libc} (deleted)'")
        h.check(os.stat(new).st_ino != ino, "the new file has the mapped inode")
        return [new]

    traced_in_jail(ctx, plant)


def traced_cgroup_with_a_jailed_fifo(ctx, enters_later):
    """A cgroup with alloc_family and a jailed alloc_family whose mapped files' names
    are FIFOs, the jailed one there from the start or moved in while memvigil runs;
    memvigil --cgroup -i 1 -d 8 must keep reporting every second, end on time, exit 0
    and report both processes' exact leaks."""
    interval, duration = 1, 8
    cg = h.make_cgroup(ctx)
    jail = Jail(ctx)
    jailed = jail.spawn(ctx, "--wait", cgroup=None if enters_later else cg)
    for place in jail.plant_places(jailed.pid):
        plant_fifo(place)
    free = h.spawn_waiting_in_cgroup(ctx, cg, WORKLOAD)
    json_path = ctx.path("cgroup.json")
    mv = h.memvigil(ctx, ["--cgroup", cg, "-v", "-i", interval, "-d", duration,
                          "--json", json_path])
    t_banner = wait_banner_or_hang(mv)
    for p in (free, jailed):
        if p is jailed and enters_later:
            h.move_to_cgroup(jailed.pid, cg)
        try:
            h.wait_attached(mv, p.pid)
        except h.Failure as e:
            raise h.Failure(f"{e}; {mv.out().count('--- report at')} interval reports in "
                            f"{time.monotonic() - t_banner:.1f}s since the banner; "
                            f"memvigil blocked in: {blocked_in(mv)}")
        os.kill(p.pid, signal.SIGUSR1)
        p.wait_line(r"^TRUTH done$", 20)
    rc = wait_exit_or_hang(mv, duration + 30)
    took = time.monotonic() - t_banner
    reports = mv.out().count("--- report at")
    h.check(rc == 0, f"memvigil --cgroup -d {duration} exited {rc}; {mv.describe()}")
    h.check(took <= duration + EXIT_MARGIN_S,
            f"memvigil -d {duration} ended {took:.1f}s after its banner")
    h.check(reports >= 5, f"{reports} interval reports in {duration}s at -i {interval}, "
            f"expected at least 5; stdout {mv.out()[-400:]!r}")
    report = h.load_report(json_path)
    check_skipped_count(report)
    for p in (free, jailed):
        truth, clean, _ = h.parse_truth(p.out())
        (proc,) = h.select_procs(report, pid=p.pid)
        h.check_truth(report, [proc], truth)
        h.check_holds_nothing([proc], clean)


def test_jail_fifo_under_cgroup_keeps_the_interval_reports_and_every_process_exact(ctx):
    traced_cgroup_with_a_jailed_fifo(ctx, enters_later=False)


def test_jail_fifo_entering_the_cgroup_does_not_stop_the_reports_of_the_others(ctx):
    traced_cgroup_with_a_jailed_fifo(ctx, enters_later=True)


# --- without map_files: the names are resolved inside the process's root -------------

NO_MAP_FILES = ["setpriv", "--inh-caps=-sys_admin,-checkpoint_restore",
                "--bounding-set=-sys_admin,-checkpoint_restore"]


def memvigil_without_map_files(ctx, pid, args):
    """memvigil as root without CAP_SYS_ADMIN and CAP_CHECKPOINT_RESTORE, which
    /proc/PID/map_files needs; checked on pid's mappings first."""
    h.check(shutil.which("setpriv"), "setpriv is not installed (util-linux)")
    entry = sorted(os.listdir(f"/proc/{pid}/map_files"))[0]
    r = subprocess.run(NO_MAP_FILES + ["cat", f"/proc/{pid}/map_files/{entry}"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=30)
    h.check(r.returncode != 0, f"{' '.join(NO_MAP_FILES)} can still read /proc/{pid}/map_files")
    e = dict(os.environ)
    e.pop("MEMVIGIL_TEST_ATTACH_DELAY_MS", None)
    return ctx.spawn(NO_MAP_FILES + [h.BIN] + [str(a) for a in args], env=e)


def test_jail_without_map_files_planted_files_are_refused_counted_said_once_never_opened(ctx):
    interval, duration = 1, 8
    secret = host_secret(ctx)
    cg = h.make_cgroup(ctx)
    jail = Jail(ctx)
    jailed = jail.spawn(ctx, "--wait")
    planted, watched = {}, []
    # Both names the process controls: its maps paths inside its root (what a
    # lookup that forgets the chroot finds), and the chroot-relative names of
    # its files, which it replaces once it has mapped them.
    for place in jail.plant_places(jailed.pid):
        real = place[len(jail.root):]
        os.unlink(real)     # still mapped: its maps line now says (deleted)
        for where in (place, real):
            if os.path.basename(where) == LIBC_NAME:
                plant_symlink(where, secret)
                watched.append(secret)
            elif os.path.basename(where) == "wl":
                plant_device(where)
                watched.append(where)
            else:
                plant_fifo(where)
        planted[real] = place
    free = h.spawn_waiting_in_cgroup(ctx, cg, WORKLOAD)
    watch = OpenWatch(ctx, watched)
    json_path = ctx.path("no-map-files.json")
    mv = memvigil_without_map_files(ctx, jailed.pid, [
        "--cgroup", cg, "-v", "-i", interval, "-d", duration, "--json", json_path])
    t_banner = wait_banner_or_hang(mv)
    h.move_to_cgroup(jailed.pid, cg)
    for p in (free, jailed):
        os.kill(p.pid, signal.SIGUSR1)
        p.wait_line(r"^TRUTH done$", 20)
    rc = wait_exit_or_hang(mv, duration + 30)
    took = time.monotonic() - t_banner
    watch.check_never_opened("memvigil")
    h.check(rc == 0, f"memvigil --cgroup -d {duration} exited {rc}; {mv.describe()}")
    h.check(took <= duration + EXIT_MARGIN_S,
            f"memvigil -d {duration} ended {took:.1f}s after its banner")
    reports = mv.out().count("--- report at")
    h.check(reports >= 5, f"{reports} interval reports in {duration}s at -i {interval}, "
            f"expected at least 5; stdout {mv.out()[-400:]!r}")
    err = mv.err_lines()
    for maps_path in sorted(planted):
        said = [l for l in err if maps_path in l]
        h.check(len(said) == 1, f"stderr names the refused {maps_path} {len(said)} times, "
                f"expected once: {said}")
    report = h.load_report(json_path)
    check_not_named(mv, json_path, secret)
    skipped = report["health"].get("files_skipped")
    h.check(isinstance(skipped, int) and skipped >= len(planted),
            f"health.files_skipped is {skipped!r}, expected at least the {len(planted)} "
            f"planted files; {h.health(report)}")
    truth, clean, _ = h.parse_truth(free.out())
    h.check_truth(report, h.select_procs(report, pid=free.pid), truth)
    # the jailed process's own files are out of reach: it is untraced, or traced exactly
    (proc,) = h.select_procs(report, pid=jailed.pid)
    if any(f"PID {jailed.pid}" in l and "not traced" in l for l in err):
        h.check(proc["heap"]["outstanding_allocs"] == 0,
                f"PID {jailed.pid} said not traced, reported with {proc['heap']!r}")
    else:
        truth, clean, _ = h.parse_truth(jailed.out())
        h.check_truth(report, [proc], truth)


def test_jail_without_map_files_a_chrooted_process_is_found_inside_its_root_and_traced_exactly(
        ctx):
    """Its maps lines name its files from memvigil's root (JAIL/lib/...); looked up inside
    its root, that name must lose the jail's own path first."""
    jail = Jail(ctx)
    wl = jail.spawn(ctx, "--wait")
    json_path = ctx.path("no-map-files-honest.json")
    mv = memvigil_without_map_files(ctx, wl.pid, ["-p", wl.pid, "-i", "0", "-d", DURATION_S,
                                                  "--json", json_path])
    wait_banner_or_hang(mv)
    os.kill(wl.pid, signal.SIGUSR1)
    wl.wait_line(r"^TRUTH done$", 20)
    rc = wait_exit_or_hang(mv, DURATION_S + 30)
    h.check(rc == 0, f"memvigil exited {rc}; {mv.describe()}")
    report = h.load_report(json_path)
    h.check(report["health"]["files_skipped"] == 0,
            f"files refused: {report['health']['files_skipped']}; {mv.describe()}")
    (proc,) = h.select_procs(report, pid=wl.pid)
    truth, clean, _ = h.parse_truth(wl.out())
    h.check_truth(report, [proc], truth)
    h.check_holds_nothing([proc], clean)
