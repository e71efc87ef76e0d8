#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Run libmemvigil-sampler.so's stress programs and checks; builds nothing.

    run.py --build BUILD_DIR

`make test-sampler` builds first. Each case runs one program from
BUILD_DIR/tests/sampler with a time limit (its process group killed at the
limit), with the installed build of the library, its test build (whose probe
functions call the program's hooks: STRESS_HOOKS=1), its TSan build
(STRESS_TSAN=1, a TSan report fails the case) or its ASan build (an ASan or
LeakSanitizer report fails the case), alone or in front of another
allocator. A case whose allocator is not installed is skipped, never passed.
Prints PASS, FAIL or SKIP per case, then one line "N passed, N failed"
(", N skipped" when something was skipped). Exit status 1 on any failure.
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import time

TIMEOUT_S = 180
LIBDIR = "/usr/lib/x86_64-linux-gnu"
ALLOCATORS = {
    "jemalloc": f"{LIBDIR}/libjemalloc.so.2",
    "tcmalloc": f"{LIBDIR}/libtcmalloc.so.4",
    "mimalloc": f"{LIBDIR}/libmimalloc.so.2",
}
TSAN_OPTIONS = "halt_on_error=1 exitcode=66 allocator_may_return_null=1 die_after_fork=0"
# The library comes before libasan in the programs' symbol lookup, which ASan
# checks for and refuses unless told; leaks are checked at every exit.
ASAN_OPTIONS = ("verify_asan_link_order=0:detect_leaks=1:exitcode=67:"
                "allocator_may_return_null=1")
NOP5 = "0f 1f 44 00 00"
EXPORTS = """memvigil_sampler_ctl memvigil_sampler_alloc memvigil_sampler_free malloc free calloc
realloc reallocarray posix_memalign aligned_alloc memalign valloc pvalloc malloc_usable_size
_Znwm _ZnwmRKSt9nothrow_t _ZnwmSt11align_val_t _ZnwmSt11align_val_tRKSt9nothrow_t _Znam
_ZnamRKSt9nothrow_t _ZnamSt11align_val_t _ZnamSt11align_val_tRKSt9nothrow_t _ZdlPv _ZdlPvm
_ZdlPvRKSt9nothrow_t _ZdlPvSt11align_val_t _ZdlPvmSt11align_val_t
_ZdlPvSt11align_val_tRKSt9nothrow_t _ZdaPv _ZdaPvm _ZdaPvRKSt9nothrow_t _ZdaPvSt11align_val_t
_ZdaPvmSt11align_val_t _ZdaPvSt11align_val_tRKSt9nothrow_t""".split()


class Skip(Exception):
    """The case cannot run here (an allocator is not installed)."""


class Runner:
    def __init__(self, build):
        self.build = os.path.abspath(build)
        self.bins = os.path.join(self.build, "tests", "sampler")
        self.libs = {
            "installed": os.path.join(self.build, "lib/memvigil/libmemvigil-sampler.so"),
            "test": os.path.join(self.build, "sampler/test/libmemvigil-sampler.so"),
            "tsan": os.path.join(self.build, "sampler/tsan/libmemvigil-sampler.so"),
            "asan": os.path.join(self.build, "sampler/asan/libmemvigil-sampler.so"),
        }
        self.results = {"PASS": 0, "FAIL": 0, "SKIP": 0}

    def env(self, lib, after=None):
        """Environment for a program under build lib, with allocator after it if given."""
        env = dict(os.environ)
        for k in ("LD_PRELOAD", "STRESS_HOOKS", "STRESS_TSAN", "TSAN_OPTIONS",
                  "MEMVIGIL_SAMPLER_MODE"):
            env.pop(k, None)
        preload = [self.libs[lib]]
        if after:
            path = ALLOCATORS.get(after, os.path.join(self.bins, after))
            if not os.path.exists(path):
                raise Skip(f"{path} is not installed")
            preload.append(path)
        env["LD_PRELOAD"] = " ".join(preload)
        if lib in ("test", "tsan", "asan"):
            env["STRESS_HOOKS"] = "1"
        if lib == "tsan":
            env["STRESS_TSAN"] = "1"
            env["TSAN_OPTIONS"] = TSAN_OPTIONS
        if lib == "asan":
            env["ASAN_OPTIONS"] = ASAN_OPTIONS
        return env

    def program(self, name, lib):
        return os.path.join(self.bins, "tsan" if lib == "tsan" else "", name)

    def argv(self, name, lib, args=()):
        """The command line; TSan programs without address randomization (GCC 12's TSan
        refuses the mappings of a kernel with vm.mmap_rnd_bits above 28)."""
        argv = [self.program(name, lib)] + list(args)
        if lib == "tsan":
            argv = ["setarch", os.uname().machine, "-R"] + argv
        return argv

    def run(self, argv, env):
        """(exit status, output) of argv, killed with its process group at TIMEOUT_S."""
        p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, start_new_session=True)
        try:
            out, _ = p.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, _ = p.communicate()
            return None, out.decode(errors="replace")
        return p.returncode, out.decode(errors="replace")

    def case(self, title, fn):
        t0 = time.monotonic()
        try:
            problem, detail = fn()
        except Skip as e:
            self.results["SKIP"] += 1
            print(f"SKIP {title}: {e}", flush=True)
            return
        status = "FAIL" if problem else "PASS"
        self.results[status] += 1
        took = f"{time.monotonic() - t0:.1f}s"
        if problem:
            sys.stdout.write(detail if detail.endswith("\n") or not detail else detail + "\n")
            print(f"FAIL {title} ({took}): {problem}", flush=True)
        else:
            last = detail.strip().splitlines()[-1] if detail.strip() else ""
            print(f"PASS {title} ({took}){': ' + last if last else ''}", flush=True)

    def stress(self, name, lib, args=(), after=None, tsan_options=""):
        def fn():
            env = self.env(lib, after)
            if lib == "tsan" and tsan_options:
                env["TSAN_OPTIONS"] += " " + tsan_options
            rc, out = self.run(self.argv(name, lib, args), env)
            if rc is None:
                return f"did not end within {TIMEOUT_S}s", out
            for san in ("ThreadSanitizer", "AddressSanitizer", "LeakSanitizer"):
                if san in out:
                    return f"{san} reported", out
            if rc:
                return f"exit status {rc}", out
            return None, out
        where = lib + (f" + {after}" if after else "")
        self.case(f"{' '.join([name] + list(args))} [{where}]", fn)

    def check_probe_entries(self, lib):
        def fn():
            out = ""
            for sym in ("memvigil_sampler_alloc", "memvigil_sampler_free"):
                nm = subprocess.run(["nm", "-D", "--defined-only", self.libs[lib]],
                                    capture_output=True, text=True).stdout
                m = re.search(rf"^([0-9a-f]+) T {sym}$", nm, re.M)
                if not m:
                    return f"{sym} not in .dynsym", nm
                start = int(m[1], 16)
                dis = subprocess.run(["objdump", "-d", f"--start-address={start:#x}",
                                      f"--stop-address={start + 5:#x}", self.libs[lib]],
                                     capture_output=True, text=True).stdout
                out += dis
                insn = re.findall(rf"^\s*{start:x}:\s+((?:[0-9a-f]{{2}} )+)", dis, re.M)
                if not insn or insn[0].strip() != NOP5:
                    return f"{sym} does not start with {NOP5}", dis
            return None, f"both probe functions start with {NOP5}"
        self.case(f"probe functions start with a 5-byte nop [{lib}]", fn)

    def check_exports(self):
        def fn():
            lib = self.libs["installed"]
            nm = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True,
                                text=True).stdout
            names = {line.split()[-1] for line in nm.splitlines() if line.strip()}
            if names != set(EXPORTS):
                return (f"exports differ: extra {sorted(names - set(EXPORTS))}, missing "
                        f"{sorted(set(EXPORTS) - names)}"), nm
            needed = subprocess.run(["readelf", "-d", lib], capture_output=True,
                                    text=True).stdout
            libs = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+)\]", needed)
            if libs != ["libc.so.6"]:
                return f"needs {libs}, not only libc.so.6", needed
            return None, f"{len(names)} symbols exported, needs only libc.so.6"
        self.case("exports and dependencies [installed]", fn)

    def attach_from_outside(self):
        """st_attach attached, read and detached by sampler_ctl from another process."""
        def fn():
            env = self.env("installed")
            ctl = os.path.join(self.bins, "sampler_ctl")
            p = subprocess.Popen([self.program("st_attach", "installed")], env=env,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, start_new_session=True)
            log = []
            try:
                def expect(prefix):
                    line = p.stdout.readline()
                    log.append(line)
                    if not line.startswith(prefix):
                        raise RuntimeError(f"expected '{prefix}', got '{line.strip()}'")
                    return line
                pid = expect("READY").split()[1]
                steps = [[ctl, pid, "exact", "4096", "9"], [ctl, pid]]
                outs = [subprocess.run(s, capture_output=True, text=True, timeout=30)
                        for s in steps]
                log += [o.stdout + o.stderr for o in outs]
                if any(o.returncode for o in outs) or "mode 2 " not in outs[1].stdout:
                    raise RuntimeError("sampler_ctl failed or did not read mode 2")
                expect("SEEN exact generation 9")
                o = subprocess.run([ctl, pid, "dormant"], capture_output=True, text=True,
                                   timeout=30)
                log.append(o.stdout + o.stderr)
                expect("SEEN dormant")
                rc = p.wait(timeout=60)
                return (f"exit status {rc}" if rc else None), "".join(log)
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                return str(e), "".join(log)
            finally:
                if p.poll() is None:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
        self.case("attach, read, detach from another process (sampler_ctl) [installed]", fn)

    def real_programs(self):
        """Programs that were not written for the test, in each mode."""
        progs = [["python3", "-c", "import json; print(len(json.dumps(list(range(99999)))))"],
                 ["sh", "-c", "ls / | sort | wc -l"],
                 ["g++", "-x", "c++", "-o", "/dev/null", "-"]]
        for mode in ("dormant", "sampled", "exact"):
            for argv in progs:
                def fn(argv=argv, mode=mode):
                    env = self.env("installed")
                    env["MEMVIGIL_SAMPLER_MODE"] = mode
                    env["MEMVIGIL_SAMPLER_PERIOD"] = "64k"
                    src = "#include <map>\nint main(){std::map<int,int> m; return m.size();}\n"
                    p = subprocess.run(argv, env=env, input=src if argv[0] == "g++" else "",
                                       capture_output=True, text=True, timeout=TIMEOUT_S)
                    if p.returncode:
                        return f"exit status {p.returncode}", p.stdout + p.stderr
                    return None, ""
                self.case(f"{argv[0]} ({' '.join(argv[1:])[:30]}...) [{mode}]", fn)

    def all(self):
        for lib in ("installed", "test", "tsan"):
            self.check_probe_entries(lib)
        self.check_exports()
        for lib in ("installed", "test", "tsan"):
            self.stress("st_exact", lib)
        for a in ("jemalloc", "tcmalloc", "mimalloc", "bump_alloc.so"):
            self.stress("st_exact", "test", after=a)
        for lib in ("installed", "test", "tsan"):
            self.stress("st_cxx", lib)
        for a in ("jemalloc", "tcmalloc", "mimalloc"):
            self.stress("st_cxx", "test", after=a)
        for lib in ("installed", "test", "tsan"):
            self.stress("st_sampled", lib)
        self.stress("st_sampled", "test", ["full"])
        for lib in ("installed", "test", "tsan"):
            for mode in ("sampled", "exact"):
                self.stress("st_fork", lib, [mode])
        for lib in ("installed", "test", "tsan"):
            for mode in ("sampled", "exact"):
                self.stress("st_raw_fork", lib, [mode])
        for lib in ("installed", "test"):
            self.stress("st_signal", lib, after="bump_alloc.so")
        # TSan runs handlers at its own safe points, where its allocator may be called
        self.stress("st_signal", "tsan", tsan_options="report_signal_unsafe=0")
        for lib in ("installed", "test", "tsan"):
            self.stress("st_dlopen", lib, [os.path.join(self.bins, "plugin.so")])
        for lib in ("installed", "test", "tsan"):
            self.stress("st_modes", lib)
        self.stress("st_shadowed", "installed")
        for lib in ("installed", "test"):
            self.stress("st_boot", lib, after="dlsym_alloc.so")
        for lib in ("installed", "tsan"):
            self.case(f"st_set_race [{'tsan' if lib == 'tsan' else 'plain'}]",
                      lambda lib=lib: self.set_race(lib))
        self.attach_from_outside()
        self.real_programs()
        self.under_asan()

    def under_asan(self):
        """The stress programs with the library's ASan build. st_dlopen with libstdc++
        preloaded after the library: ASan's __cxa_throw interceptor needs it loaded at
        start-up (the C++ operators are then global, not only the plugin's)."""
        self.stress("st_dlopen", "asan", [os.path.join(self.bins, "plugin.so")],
                    after=f"{LIBDIR}/libstdc++.so.6")
        self.stress("st_exact", "asan")
        self.stress("st_cxx", "asan")
        self.stress("st_sampled", "asan")
        self.stress("st_sampled", "asan", ["full"])
        for mode in ("sampled", "exact"):
            self.stress("st_fork", "asan", [mode])
            self.stress("st_raw_fork", "asan", [mode])
        self.stress("st_signal", "asan", after="bump_alloc.so")
        self.stress("st_modes", "asan")
        self.stress("st_boot", "asan", after="dlsym_alloc.so")

    def set_race(self, lib):
        env = dict(os.environ, TSAN_OPTIONS=TSAN_OPTIONS)
        env.pop("LD_PRELOAD", None)
        rc, out = self.run(self.argv("st_set_race", lib), env)
        if rc is None:
            return f"did not end within {TIMEOUT_S}s", out
        if "ThreadSanitizer" in out:
            return "ThreadSanitizer reported", out
        return (f"exit status {rc}" if rc else None), out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True, help="the build directory (make's BUILD)")
    args = ap.parse_args()
    r = Runner(args.build)
    r.all()
    summary = f"{r.results['PASS']} passed, {r.results['FAIL']} failed"
    if r.results["SKIP"]:
        summary += f", {r.results['SKIP']} skipped"
    print(summary, flush=True)
    return 1 if r.results["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
