// SPDX-License-Identifier: GPL-2.0
/*
 * smoke: memvigil's BPF objects end to end on the running kernel, for the
 * kernel matrix (tools/run-kernel-matrix.sh boots Debian's 6.1 and 6.12 with
 * it; -H runs it here). Loads the skeleton through the probe loader, traces
 * a forked child that leaks 7 heap blocks, maps and touches 1 MiB and never
 * unmaps it, then a child held inside posix_memalign while it is detached
 * and attached again (its threads' call state must start over), then an OOM kill of a traced hog in a memory-limited cgroup
 * (cgroup2 when it has the memory controller, else the v1 controller).
 * Inside a kernel-matrix guest only (squeeze.h), a traced child is also
 * driven into global direct reclaim, and memvigil itself (when the matrix
 * put it next to this binary) reports such a stall end to end; elsewhere
 * both say SKIP. memvigil -f also traces a child that execs this program
 * from the new image's entry point on (the exec held; see bpf/proc.bpf.c),
 * and memvigil --unwind=dwarf names every level of the no-frame-pointer
 * chain workload (nofp_chain, also carried next to this binary).
 * Prints "PASS what", "FAIL what: why" or "SKIP what: why" per check; exit
 * 0 only if none failed.
 *
 * "smoke --squeeze" only runs the direct-reclaim workload (memvigil's
 * traced command); "smoke --exec-leak" forks a child that execs
 * "smoke --leak", which leaks LEAKS blocks (memvigil's traced command).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "ingest/consumer.h"
#include "ingest/kernel_sampler.h"
#include "lib/log.h"
#include "model/model.h"
#include "probes/probes.h"
#include "procfs/cgroup_mem.h"
#include "procfs/procmem.h"
#include "sites/allocator.h"
#include "sites/map_wrappers.h"
#include "squeeze.h"

#define LEAKS 7
#define LEAK_BYTES 1000
#define LEAK_TOTAL 7000		/* LEAKS * LEAK_BYTES, as it appears in a report */
#define STR(x) #x
#define XSTR(x) STR(x)
#define MAP_BYTES (1 << 20)
#define OOM_LIMIT (32ull << 20)
#define MEMVIGIL_TIMEOUT_S 120

static int failures;
/* Where the children keep what they leak, so nothing is optimized away. */
void *volatile kept_blocks[LEAKS];
volatile char *volatile kept_mapping;
void *volatile kept_hog[4096];

static void result(int ok, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void result(int ok, const char *what, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("PASS %s\n", what);
	} else {
		failures++;
		printf("FAIL %s: ", what);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
	fflush(stdout);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* --- the traced children (no stdio, no allocation but the counted ones) --- */

static void wait_go(int fd)
{
	char c;

	if (read(fd, &c, 1) != 1)
		_exit(2);
}

__attribute__((noinline)) static void leak_blocks(void)
{
	int i;

	for (i = 0; i < LEAKS; i++)
		kept_blocks[i] = malloc(LEAK_BYTES);
}

__attribute__((noinline)) static void leak_mapping(void)
{
	char *p = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int i;

	if (p == MAP_FAILED)
		_exit(2);
	for (i = 0; i < MAP_BYTES; i += 4096)
		p[i] = 1;
	kept_mapping = p;
}

static void worker(int go, int done)
{
	wait_go(go);
	leak_blocks();
	leak_mapping();
	if (write(done, "d", 1) != 1)
		_exit(2);
	for (;;)
		pause();
}

/*
 * The holder: posix_memalign into a page it cannot write, so the call faults
 * inside the allocator and the SIGSEGV handler waits there until the tracer
 * says "r"; the page then becomes writable and the call completes. After
 * the next byte from the tracer, malloc and free in a loop.
 */
#define HOLD_BYTES 4096

static int holder_go = -1, holder_done = -1;
static void *hold_page;
void *volatile held_block;	/* volatile: the compiler may not drop the malloc/free */

static void on_hold_fault(int sig, siginfo_t *si, void *uc)
{
	char c;

	(void)sig;
	(void)uc;
	if (si->si_addr != hold_page)
		_exit(3);
	if (write(holder_done, "h", 1) != 1 || read(holder_go, &c, 1) != 1)
		_exit(2);
	if (mprotect(hold_page, 4096, PROT_READ | PROT_WRITE))
		_exit(2);
}

static void holder(int go, int done)
{
	struct sigaction sa = { .sa_sigaction = on_hold_fault, .sa_flags = SA_SIGINFO };

	holder_go = go;
	holder_done = done;
	hold_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (hold_page == MAP_FAILED || sigaction(SIGSEGV, &sa, NULL))
		_exit(2);
	wait_go(go);
	if (posix_memalign(hold_page, 64, HOLD_BYTES))
		_exit(2);
	wait_go(go);
	for (;;) {
		held_block = malloc(HOLD_BYTES);
		free(held_block);
	}
}

__attribute__((noinline)) static void hog_memory(void)
{
	int i;

	for (i = 0;; i = (i + 1) % 4096) {
		char *p = malloc(1 << 20);

		if (p)
			memset(p, 1, 1 << 20);
		kept_hog[i] = p;
	}
}

static void hog(const char *procs_path, int go)
{
	char buf[32];
	int fd = open(procs_path, O_WRONLY), n;

	n = snprintf(buf, sizeof(buf), "%d\n", getpid());
	if (fd < 0 || write(fd, buf, n) != n)
		_exit(3);
	close(fd);
	wait_go(go);
	hog_memory();
}

/* --- the tracer ------------------------------------------------------------ */

struct tracer {
	struct model *m;
	struct probes *pr;
	struct consumer c;
	char err[512];
};

static pid_t spawn(void (*fn)(int, int), const char *arg, int *go_w, int *done_r)
{
	int go[2], done[2];
	pid_t pid;

	if (pipe(go) || pipe(done))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(go[1]);
		close(done[0]);
		if (fn)
			fn(go[0], done[1]);
		else
			hog(arg, go[0]);
		_exit(0);
	}
	close(go[0]);
	close(done[1]);
	*go_w = go[1];
	*done_r = done[0];
	return pid;
}

/* The mmap-family wrapper probes, when mappings are followed that way. */
static int trace_maps(struct tracer *t, pid_t pid)
{
	const char *via = probes__mappings_via(t->pr);
	struct map_wrappers *w;
	int ret;

	if (!via || strcmp(via, "wrappers"))
		return 0;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	ret = map_wrappers__resolve(pid, NULL, NULL, w, t->err, sizeof(t->err));
	if (!ret)
		ret = probes__attach_maps(t->pr, pid, w, t->err, sizeof(t->err));
	map_wrappers__release(w);
	free(w);
	return ret;
}

static int trace(struct tracer *t, pid_t pid)
{
	struct allocator *a = calloc(1, sizeof(*a));
	int ret;

	if (!a)
		return -ENOMEM;
	ret = probes__trace_pid(t->pr, pid);
	if (!ret)
		ret = allocator__resolve(pid, NULL, a, false, t->err, sizeof(t->err));
	if (!ret)
		ret = probes__attach_heap(t->pr, pid, a, t->err, sizeof(t->err));
	if (!ret)
		ret = trace_maps(t, pid);
	if (!ret && !model__proc(t->m, pid))
		ret = -ENOMEM;
	allocator__release(a);
	free(a);
	return ret;
}

/* Kill a traced child, stop following it and close its pipes (-1: none). */
static void end_child(struct tracer *t, pid_t pid, int go, int done)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		probes__detach_pid(t->pr, pid);
	}
	if (go >= 0)
		close(go);
	if (done >= 0)
		close(done);
}

static void poll_for(struct tracer *t, int ms)
{
	uint64_t end = mono_ns() + ms * 1000000ull;

	while (mono_ns() < end)
		probes__poll(t->pr, 50);
}

/*
 * Older kernels give mark_victim only the victim's pid: run the program
 * with a pid as its argument and check that the traced victim is still
 * reported with its top heap stack (its task details are then unknown).
 */
static void check_oom_pid_only(struct tracer *t, pid_t pid)
{
	const struct oom_kill *k = NULL;
	uint64_t bytes = 0;
	size_t i;
	int ret;

	ret = probes__test_mark_victim(t->pr, (uint64_t)pid);
	poll_for(t, 100);
	for (i = 0; i < t->m->oom_cnt; i++)
		if (t->m->ooms[i].ev.pid == (uint32_t)pid)
			k = &t->m->ooms[i];
	for (i = 0; k && i < k->stack_cnt; i++)
		bytes += k->stacks[i].bytes;	/* the compiler may split the loop's call site */
	result(!ret && k && k->victim_traced && bytes == LEAKS * LEAK_BYTES,
	       "OOM kill with a pid-only mark_victim (older kernels, run by BPF_PROG_TEST_RUN)",
	       "run: %s; reported %d, %u stacks holding %llu bytes", strerror(-ret), k != NULL,
	       k ? k->stack_cnt : 0, (unsigned long long)bytes);
}

static void check_worker(struct tracer *t)
{
	int go, done, ret;
	char c;
	pid_t pid = spawn(worker, NULL, &go, &done);
	struct proc *p;
	struct mapping_totals mt;

	ret = pid > 0 ? trace(t, pid) : -errno;
	result(!ret, "attach heap probes and kernel hooks to a child", "%s (%s)", strerror(-ret),
	       t->err);
	if (ret)
		goto out;
	kernel_sampler__run(t->pr, t->m, NULL, mono_ns());
	if (write(go, "g", 1) != 1 || read(done, &c, 1) != 1) {
		result(0, "child ran", "pipe failed");
		goto out;
	}
	poll_for(t, 300);
	kernel_sampler__run(t->pr, t->m, NULL, mono_ns());
	p = model__find(t->m, pid);
	result(p && p->heap.outstanding_allocs == LEAKS &&
	       p->heap.outstanding_bytes == LEAKS * LEAK_BYTES, "heap events (uprobes)",
	       "outstanding %llu bytes in %llu allocs, want %d in %d",
	       p ? (unsigned long long)p->heap.outstanding_bytes : 0,
	       p ? (unsigned long long)p->heap.outstanding_allocs : 0, LEAKS * LEAK_BYTES, LEAKS);
	if (!p)
		goto out;
	mappings__totals(&p->kernel.maps, &mt);
	result(mt.anon_bytes == MAP_BYTES, probes__mappings_via(t->pr) &&
	       !strcmp(probes__mappings_via(t->pr), "syscalls") ? "mmap seen (raw_syscalls)" :
	       "mmap seen (uprobe after the C library's syscall)", "anon mappings %llu, want %d",
	       (unsigned long long)mt.anon_bytes, MAP_BYTES);
	result(p->kernel.faults_user >= MAP_BYTES / 4096, "page faults counted (page_fault_user)",
	       "%llu user faults, want >= %d", (unsigned long long)p->kernel.faults_user,
	       MAP_BYTES / 4096);
	result(p->kernel.samples >= 2 && p->kernel.rss_bytes[MV_RSS_ANON] >= MAP_BYTES &&
	       p->kernel.min_flt - p->kernel.min_flt_first >= MAP_BYTES / 4096,
	       "RSS and fault counters (task iterator, CO-RE rss_stat)",
	       "%u samples, anon RSS %llu, minor faults %llu", p->kernel.samples,
	       (unsigned long long)p->kernel.rss_bytes[MV_RSS_ANON],
	       (unsigned long long)(p->kernel.min_flt - p->kernel.min_flt_first));
	check_oom_pid_only(t, pid);
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		probes__detach_pid(t->pr, pid);
	}
}

/*
 * A thread inside an allocator call when its process is detached, whose call
 * returns before the process is attached again, never has that return seen:
 * once attached again, its later calls would all look nested and go
 * unreported unless the call state is cleared (probes__reset_calls, a task
 * iterator with a pid filter).
 */
static void check_held_call(struct tracer *t)
{
	int go = -1, done = -1, ret, depth;
	pid_t pid = spawn(holder, NULL, &go, &done);
	uint64_t before = 0, after = 0;
	struct proc *p;
	char c = 0;

	ret = pid > 0 ? trace(t, pid) : -errno;
	if (!ret && write(go, "g", 1) != 1)
		ret = -EPIPE;
	if (!ret && read(done, &c, 1) != 1)
		ret = -EPIPE;
	result(!ret && c == 'h', "a traced child held inside posix_memalign (a fault it waits in)",
	       "%s", strerror(-ret));
	if (ret || c != 'h')
		goto out;
	probes__detach_pid(t->pr, pid);
	probes__wait_detached(t->pr);	/* its links are destroyed in the background */
	if (write(go, "r", 1) != 1)	/* the call returns while nothing is attached */
		ret = -EPIPE;
	usleep(100000);
	depth = probes__call_depth(t->pr, pid);
	if (!ret)
		ret = probes__trace_pid(t->pr, pid);
	if (!ret)
		ret = probes__reset_calls(t->pr, pid);
	/* 6.1 still runs the departing return probe for it; 6.12 and later do not */
	printf("the held call's return while detached: %s\n", depth == 1 ?
	       "unseen, depth 1 left to clear" : "seen by the departing probes, nothing to clear");
	result(!ret && depth >= 0 && probes__call_depth(t->pr, pid) == 0,
	       "the call state of a process's threads cleared on re-attach (task iterator, pid filter)",
	       "%s; depth %d left by the return while detached, %d after", strerror(-ret), depth,
	       probes__call_depth(t->pr, pid));
	if (!ret)
		ret = trace(t, pid);
	p = model__find(t->m, pid);
	if (p)
		before = p->heap.total_allocs;
	if (!ret && write(go, "g", 1) != 1)	/* now allocate */
		ret = -EPIPE;
	if (!ret)
		poll_for(t, 500);
	p = model__find(t->m, pid);
	if (p)
		after = p->heap.total_allocs;
	result(!ret && after > before + 10, "allocations after a call left unseen across a detach",
	       "%s; %llu allocations counted before it allocated again, %llu after", strerror(-ret),
	       (unsigned long long)before, (unsigned long long)after);
out:
	end_child(t, pid, go, done);
}

/* --- global direct reclaim (kernel-matrix guests only) --------------------- */

static struct squeeze_plan plan;	/* sized by the tracer, run by the forked child */

static void reclaimer(int go, int done)
{
	wait_go(go);
	if (squeeze__run(&plan) || write(done, "d", 1) != 1)
		_exit(2);
	for (;;)
		pause();
}

/* Should reclaim fail after all, the OOM killer takes pid rather than the tracer. */
static void oom_first(pid_t pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", pid);
	fd = open(path, O_WRONLY);
	if (fd < 0 || dprintf(fd, "1000\n") < 0)
		fprintf(stderr, "note: %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

static int skip_outside_guest(const char *what)
{
	if (squeeze__in_guest())
		return 0;
	printf("SKIP %s: not inside a kernel-matrix guest (%s=1 is not on its command line); "
	       "global memory pressure is provoked only there, never on a shared host\n",
	       what, SQUEEZE_GUEST_ENV);
	fflush(stdout);
	return 1;
}

/*
 * The kernel counts every global direct reclaim in /proc/vmstat allocstall_*
 * (memcg reclaim is not counted there), once per mm_vmscan_direct_reclaim_begin:
 * the child's stalls are at most the guest's new allocstalls.
 */
static void check_direct_reclaim(struct tracer *t)
{
	const char *what = "direct reclaim stalls of a traced child (mm_vmscan_direct_reclaim_*)";
	int64_t stalls0, steal0, kswapd0, stalls, steal, kswapd;
	int go = -1, done = -1, ret, status = 0;
	uint64_t t0, ms;
	pid_t pid = -1;
	struct proc *p;
	char c;

	if (skip_outside_guest(what))
		return;
	ret = squeeze__plan(&plan);
	if (ret) {
		result(0, what, "cannot size the pressure from /proc: %s", strerror(-ret));
		return;
	}
	pid = spawn(reclaimer, NULL, &go, &done);
	ret = pid > 0 ? trace(t, pid) : -errno;
	if (ret) {
		result(0, what, "attach: %s (%s)", strerror(-ret), t->err);
		goto out;
	}
	oom_first(pid);
	kernel_sampler__run(t->pr, t->m, NULL, mono_ns());
	stalls0 = squeeze__vmstat("allocstall_");
	steal0 = squeeze__vmstat("pgsteal_direct");
	kswapd0 = squeeze__vmstat("pgsteal_kswapd");
	t0 = mono_ns();
	if (write(go, "g", 1) != 1 || read(done, &c, 1) != 1) {
		waitpid(pid, &status, 0);
		pid = -1;
		result(0, what, "the child died under pressure (wait status 0x%x; killed by the OOM "
		       "killer when 9): nothing left to reclaim?", status);
		goto out;
	}
	ms = (mono_ns() - t0) / 1000000;
	stalls = squeeze__vmstat("allocstall_") - stalls0;
	steal = squeeze__vmstat("pgsteal_direct") - steal0;
	kswapd = squeeze__vmstat("pgsteal_kswapd") - kswapd0;
	poll_for(t, 100);
	kernel_sampler__run(t->pr, t->m, NULL, mono_ns());
	p = model__find(t->m, pid);
	printf("direct reclaim: %llu stalls, %.3f ms stalled (BPF, traced child); guest: "
	       "allocstall +%lld, pages reclaimed directly +%lld, by kswapd +%lld; %llu MiB "
	       "MADV_FREE'd, %llu MiB touched in %llu ms\n",
	       p ? (unsigned long long)p->kernel.reclaim_cnt : 0,
	       p ? p->kernel.reclaim_ns / 1e6 : 0.0, (long long)stalls, (long long)steal,
	       (long long)kswapd,
	       (unsigned long long)(plan.lazy_bytes >> 20),
	       (unsigned long long)(plan.touch_bytes >> 20), (unsigned long long)ms);
	result(p && p->kernel.reclaim_cnt > 0 && p->kernel.reclaim_ns > 0 &&
	       (int64_t)p->kernel.reclaim_cnt <= stalls, what,
	       "%llu stalls / %llu ns counted, guest allocstall +%lld (want 0 < stalls <= "
	       "allocstall, ns > 0)", p ? (unsigned long long)p->kernel.reclaim_cnt : 0,
	       p ? (unsigned long long)p->kernel.reclaim_ns : 0, (long long)stalls);
out:
	end_child(t, pid, go, done);
}

/* A memory cgroup limited to OOM_LIMIT: its cgroup.procs path in procs, dir in dir. */
static int make_memcg(char *dir, size_t len, char *procs, size_t plen)
{
	struct cgroup_mounts mnt;
	char buf[16384], path[4200], ctl[512] = "";
	const char *limit_file;
	int fd;

	if (procmem__read_file("/proc/mounts", buf, sizeof(buf)) < 0)
		return -errno;
	cgroup_mem__parse_mounts(buf, &mnt);
	if (snprintf(path, sizeof(path), "%s/cgroup.controllers", mnt.v2) < (int)sizeof(path) &&
	    mnt.v2[0] && procmem__read_file(path, ctl, sizeof(ctl)) > 0 && strstr(ctl, "memory")) {
		fd = -1;
		if (snprintf(path, sizeof(path), "%s/cgroup.subtree_control", mnt.v2) <
		    (int)sizeof(path))
			fd = open(path, O_WRONLY);
		if (fd >= 0) {
			if (write(fd, "+memory", 7) != 7)
				fprintf(stderr, "note: +memory in %s: %s\n", path, strerror(errno));
			close(fd);
		}
		if (snprintf(dir, len, "%s/memvigil-kmatrix-%d", mnt.v2, getpid()) >= (int)len)
			return -ENAMETOOLONG;
		limit_file = "memory.max";
	} else if (mnt.v1_memory[0]) {
		if (snprintf(dir, len, "%s/memvigil-kmatrix-%d", mnt.v1_memory, getpid()) >= (int)len)
			return -ENAMETOOLONG;
		limit_file = "memory.limit_in_bytes";
	} else {
		return -ENOENT;
	}
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	if (snprintf(path, sizeof(path), "%s/%s", dir, limit_file) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY);
	if (fd < 0 || dprintf(fd, "%llu\n", OOM_LIMIT) < 0) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	close(fd);
	fd = -1;
	if (snprintf(path, sizeof(path), "%s/memory.swap.max", dir) < (int)sizeof(path))
		fd = open(path, O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "0\n", 2) != 2)
			fprintf(stderr, "note: memory.swap.max: %s\n", strerror(errno));
		close(fd);
	}
	if (snprintf(procs, plen, "%s/cgroup.procs", dir) >= (int)plen)
		return -ENAMETOOLONG;
	return 0;
}

static void check_oom(struct tracer *t)
{
	char dir[4096], procs[4200];
	const struct oom_kill *k = NULL;
	int go, done, ret, status = 0;
	pid_t pid = -1;
	size_t i;

	ret = make_memcg(dir, sizeof(dir), procs, sizeof(procs));
	result(!ret, "memory cgroup with a 32 MiB limit", "%s", strerror(-ret));
	if (ret)
		return;
	pid = spawn(NULL, procs, &go, &done);
	ret = pid > 0 ? trace(t, pid) : -errno;
	if (ret) {
		result(0, "attach to the hog", "%s (%s)", strerror(-ret), t->err);
		goto out;
	}
	kernel_sampler__run(t->pr, t->m, NULL, mono_ns());
	if (write(go, "g", 1) != 1)
		goto out;
	waitpid(pid, &status, 0);
	poll_for(t, 500);
	for (i = 0; i < t->m->oom_cnt; i++)
		if (t->m->ooms[i].ev.pid == (uint32_t)pid)
			k = &t->m->ooms[i];
	result(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the hog was killed",
	       "wait status 0x%x", status);
	result(k != NULL, "OOM kill reported (oom:mark_victim)", "%zu kills, none of PID %d",
	       t->m->oom_cnt, pid);
	if (k) {
		result(k->victim_traced && k->stack_cnt > 0 && k->stacks[0].bytes >= OOM_LIMIT / 2,
		       "the victim's top heap stack at the kill", "traced %d, %u stacks, top %llu bytes",
		       k->victim_traced, k->stack_cnt,
		       k->stack_cnt ? (unsigned long long)k->stacks[0].bytes : 0);
		result(k->ev.memcg.limit_pages * 4096 == OOM_LIMIT && !strcmp(k->ev.comm, "smoke"),
		       "victim comm and memcg limit (CO-RE)", "comm '%s', limit %llu",
		       k->ev.comm, (unsigned long long)(k->ev.memcg.limit_pages * 4096));
	}
	pid = -1;
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	for (i = 0; i < 100 && rmdir(dir); i++)
		usleep(20000);
}

/* The raw_syscalls tracepoints (--mappings=syscalls) on this kernel, on a fresh child. */
static void check_syscall_mappings(void)
{
	struct probes_opts o = { .mappings = MV_MAPPINGS_SYSCALLS };
	struct tracer t = { 0 };
	struct mapping_totals mt = { 0 };
	int go = -1, done = -1, ret;
	struct proc *p;
	pid_t pid;
	char c;

	t.m = model__new(mono_ns());
	t.c.model = t.m;
	t.pr = t.m ? probes__open(&o, consumer__handle, &t.c, t.err, sizeof(t.err)) : NULL;
	result(t.pr && (probes__kernel_features(t.pr) & PROBES_K_MAPS),
	       "raw_syscalls tracepoints attached (--mappings=syscalls)", "%s", t.err);
	if (!t.pr)
		goto out;
	pid = spawn(worker, NULL, &go, &done);
	ret = pid > 0 ? trace(&t, pid) : -errno;
	if (!ret && (write(go, "g", 1) != 1 || read(done, &c, 1) != 1))
		ret = -EPIPE;
	if (!ret) {
		poll_for(&t, 300);
		p = model__find(t.m, pid);
		if (p)
			mappings__totals(&p->kernel.maps, &mt);
	}
	result(!ret && mt.anon_bytes == MAP_BYTES, "mmap seen (raw_syscalls)",
	       "%s; anon mappings %llu, want %d", strerror(-ret), (unsigned long long)mt.anon_bytes,
	       MAP_BYTES);
	end_child(&t, pid, go, done);
out:
	probes__free(t.pr);
	model__free(t.m);
}

/* Sampled mode loads too: uprobe sessions where the kernel has them, else uretprobes. */
static void check_sampled_load(void)
{
	struct probes_opts o = { .sample_bytes = 65536, .sample_max_live = 1024 };
	struct model *m = model__new(mono_ns());
	struct consumer c = { .model = m };
	struct probes *pr;
	char err[512] = "";

	pr = m ? probes__open(&o, consumer__handle, &c, err, sizeof(err)) : NULL;
	result(pr != NULL, "load the BPF objects in sampled mode", "%s", err);
	if (pr)
		printf("sampled mode: returns through %s\n", probes__return_probe(pr));
	probes__free(pr);
	model__free(m);
}

/* --- memvigil itself on a direct-reclaim stall (guests only) ---------------- */

#define MV_JSON "/tmp/memvigil-reclaim.json"
#define MV_TEXT "/tmp/memvigil-reclaim.txt"
#define MV_EXEC_JSON "/tmp/memvigil-exec.json"
#define MV_EXEC_TEXT "/tmp/memvigil-exec.txt"
#define MV_UNWIND_JSON "/tmp/memvigil-unwind.json"
#define MV_UNWIND_TEXT "/tmp/memvigil-unwind.txt"
#define NOFP_DEPTH 26		/* tests/workloads/nofp_chain.c: chain_01 .. chain_26 */

/* Run memvigil with argv, its output to text; its wait status, or -1 if it did not end in time. */
static int run_memvigil(const char *mv, char *const argv[], const char *text)
{
	int status = -1, fd, i;
	pid_t pid = fork();

	if (pid == 0) {
		fd = open(text, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		execv(mv, argv);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	for (i = 0; i < MEMVIGIL_TIMEOUT_S * 10; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		usleep(100000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/* The number after "key" (JSON "key": or text "key ") at or after from, or -1. */
static double number_after(const char *from, const char *key)
{
	const char *p = from ? strstr(from, key) : NULL;

	return p ? strtod(p + strlen(key), NULL) : -1;
}

/*
 * memvigil traces "smoke --squeeze" kernel-only; its JSON and text reports
 * must carry the stalls and their time, and the stalls are again at most the
 * guest's new allocstalls. The time per second is the rate over memvigil's
 * last kernel sample, which may rightly be 0 when the stalls ended a sample
 * before the exit: it must be there, not positive.
 */
/* This binary and the memvigil the matrix put next to it (or the build's, on the host). */
static int find_memvigil(char *exe, size_t exe_len, char *mv, size_t mv_len)
{
	ssize_t n = readlink("/proc/self/exe", exe, exe_len - 1);
	int dir_len;

	exe[n > 0 ? n : 0] = '\0';
	dir_len = strrchr(exe, '/') ? (int)(strrchr(exe, '/') - exe) : 0;
	snprintf(mv, mv_len, "%.*s/memvigil", dir_len, exe);
	if (!access(mv, X_OK))
		return 0;
	snprintf(mv, mv_len, "%.*s/../../memvigil", dir_len, exe);	/* BUILD/tests/kmatrix */
	if (!access(mv, X_OK))
		return 0;
	snprintf(mv, mv_len, "%.*s/memvigil", dir_len, exe);
	return -errno;
}

static void check_memvigil_reclaim(void)
{
	const char *what = "memvigil reports the direct reclaim stall (JSON kernel.reclaim, text)";
	static char json[1 << 20], text[1 << 16];
	double stalls = -1, stall_s = -1, per_s = -1, text_stalls = -1, text_ms = -1;
	char exe[4096], mv[4200];
	char *argv[] = { "memvigil", "--kernel-only", "-i", "0", "-j", MV_JSON, "--", exe,
			 "--squeeze", NULL };
	int64_t allocstall;
	const char *r;
	int status, ret;

	if (skip_outside_guest(what))
		return;
	ret = find_memvigil(exe, sizeof(exe), mv, sizeof(mv));
	if (ret) {
		result(0, what, "%s: %s (the matrix carries it next to this binary with -f)", mv,
		       strerror(-ret));
		return;
	}
	allocstall = squeeze__vmstat("allocstall_");
	status = run_memvigil(mv, argv, MV_TEXT);
	allocstall = squeeze__vmstat("allocstall_") - allocstall;
	if (procmem__read_file(MV_JSON, json, sizeof(json)) > 0) {
		r = strstr(json, "\"reclaim\": {");
		stalls = number_after(r, "\"stalls\":");
		stall_s = number_after(r, "\"stall_s\":");
		per_s = number_after(r, "\"stall_ms_per_s\":");
	}
	if (procmem__read_file(MV_TEXT, text, sizeof(text)) > 0) {
		/* the compact kernel line: "faults ... | reclaim N stalls, X ms | ..." */
		r = strstr(text, "| reclaim ");
		text_stalls = number_after(r, "| reclaim ");
		text_ms = number_after(r ? strchr(r, ',') : NULL, ", ");
	}
	printf("memvigil: %.0f stalls, %.3f ms stalled, %.1f ms/s (JSON); text: %.0f stalls, "
	       "%.1f ms; guest: allocstall +%lld\n", stalls, stall_s * 1e3, per_s, text_stalls,
	       text_ms, (long long)allocstall);
	result(status == 0 && stalls > 0 && stall_s > 0 && per_s >= 0 && stalls <= allocstall &&
	       text_stalls == stalls && text_ms > 0, what,
	       "exit status 0x%x; JSON stalls %.0f, stall_s %g, stall_ms_per_s %g; text stalls "
	       "%.0f, %.1f ms; allocstall +%lld; its output:\n%s", status, stalls, stall_s, per_s,
	       text_stalls, text_ms, (long long)allocstall, text);
}

/*
 * memvigil -f traces "smoke --exec-leak", whose child execs "smoke --leak":
 * the exec is held (SIGSTOP from the exec tracepoint), the new image held
 * again at its entry point (a PID-filtered uprobe) until its allocator is
 * attached, so the LEAKS blocks it leaks from main on are all reported.
 */
static void check_memvigil_exec(void)
{
	const char *what = "memvigil -f attaches an exec'd child at its entry point";
	static char json[1 << 20], text[1 << 16];
	char exe[4096], mv[4200];
	char *argv[] = { "memvigil", "-f", "-v", "-i", "0", "-j", MV_EXEC_JSON, "--", exe,
			 "--exec-leak", NULL };
	double failed = -1, forks = -1, allocs = -1;
	const char *r;
	int status, ret;

	ret = find_memvigil(exe, sizeof(exe), mv, sizeof(mv));
	if (ret) {
		result(0, what, "%s: %s (the matrix carries it next to this binary with -f)", mv,
		       strerror(-ret));
		return;
	}
	status = run_memvigil(mv, argv, MV_EXEC_TEXT);
	text[0] = '\0';
	procmem__read_file(MV_EXEC_TEXT, text, sizeof(text));
	if (procmem__read_file(MV_EXEC_JSON, json, sizeof(json)) > 0) {
		r = strstr(json, "\"attach\": {");
		failed = number_after(r, "\"failed\":");
		forks = number_after(r, "\"forks_followed\":");
		r = strstr(json, "\"processes\":");
		r = r ? strstr(r, "\"outstanding_bytes\": " XSTR(LEAK_TOTAL) ",") : NULL;
		allocs = number_after(r, "\"outstanding_allocs\":");
	}
	result(status == 0 && failed == 0 && forks == 1 && allocs == LEAKS && strstr(text, "(held)"),
	       what, "exit status 0x%x; attach failed %g, forks followed %g; a process with %d "
	       "bytes outstanding in %g allocs (want %d); its output:\n%s", status, failed, forks,
	       LEAKS * LEAK_BYTES, allocs, LEAKS, text);
}

/* The nofp_chain workload the matrix put next to this binary (or the build's, on the host). */
static int find_nofp_chain(const char *exe, char *wl, size_t wl_len)
{
	int dir_len = strrchr(exe, '/') ? (int)(strrchr(exe, '/') - exe) : 0;

	snprintf(wl, wl_len, "%.*s/nofp_chain", dir_len, exe);
	if (!access(wl, X_OK))
		return 0;
	snprintf(wl, wl_len, "%.*s/../workloads/nofp_chain", dir_len, exe);	/* BUILD/tests/kmatrix */
	if (!access(wl, X_OK))
		return 0;
	return -errno;
}

/*
 * How many levels of nofp_chain's stack the JSON report names in order, from
 * chain_26 (the allocating function) down to main: NOFP_DEPTH + 1 when whole.
 */
static int chain_levels_named(const char *json)
{
	const char *at = json ? strstr(json, "\"stacks\":") : NULL;
	char sym[64];
	int level;

	for (level = NOFP_DEPTH; at && level >= 0; level--) {
		if (level)
			snprintf(sym, sizeof(sym), "\"symbol\": \"chain_%02d\"", level);
		else
			snprintf(sym, sizeof(sym), "\"symbol\": \"main\"");
		at = strstr(at, sym);
		if (!at)
			break;
	}
	return NOFP_DEPTH - level;
}

/*
 * memvigil --unwind=dwarf traces nofp_chain (-O2, no frame pointers): the
 * unwinder's BPF walk must pass this kernel's verifier and name all 26 levels
 * and main from its .eh_frame tables, where a frame-pointer walk loses the
 * chain at its first frame.
 */
static void check_memvigil_unwind(void)
{
	const char *what = "memvigil --unwind=dwarf names a 26-deep no-frame-pointer chain";
	static char json[1 << 20], text[1 << 16];
	char exe[4096], mv[4200], wl[4200];
	char *argv[] = { "memvigil", "--unwind=dwarf", "-i", "0", "-j", MV_UNWIND_JSON, "--", wl,
			 NULL };
	int status, ret, named;

	ret = find_memvigil(exe, sizeof(exe), mv, sizeof(mv));
	if (!ret)
		ret = find_nofp_chain(exe, wl, sizeof(wl));
	if (ret) {
		result(0, what, "memvigil or nofp_chain next to %s: %s (the matrix carries them "
		       "next to this binary with -f)", exe, strerror(-ret));
		return;
	}
	status = run_memvigil(mv, argv, MV_UNWIND_TEXT);
	text[0] = json[0] = '\0';
	procmem__read_file(MV_UNWIND_TEXT, text, sizeof(text));
	procmem__read_file(MV_UNWIND_JSON, json, sizeof(json));
	named = chain_levels_named(json);
	printf("memvigil --unwind=dwarf: %d of %d levels named in order\n", named, NOFP_DEPTH + 1);
	result(status == 0 && named == NOFP_DEPTH + 1, what, "exit status 0x%x; %d of %d levels "
	       "named in order; its output:\n%s", status, named, NOFP_DEPTH + 1, text);
}

/* "smoke --leak": LEAKS blocks of LEAK_BYTES, never freed. */
static int leak_and_exit(void)
{
	int i;

	for (i = 0; i < LEAKS; i++) {
		kept_blocks[i] = malloc(LEAK_BYTES);
		if (!kept_blocks[i])
			return 1;
		memset(kept_blocks[i], i, LEAK_BYTES);
	}
	return 0;
}

/* "smoke --exec-leak": a child that execs "smoke --leak"; 0 if it did. */
static int exec_leak(const char *self)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execl(self, self, "--leak", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct probes_opts popts = { 0 };	/* exact */
	struct tracer t = { 0 };
	struct utsname u;

	if (argc == 2 && !strcmp(argv[1], "--leak"))
		return leak_and_exit();
	if (argc == 2 && !strcmp(argv[1], "--exec-leak"))
		return exec_leak("/proc/self/exe");
	if (argc == 2 && !strcmp(argv[1], "--squeeze")) {
		if (!squeeze__in_guest()) {
			fprintf(stderr, "smoke: --squeeze runs only in a kernel-matrix guest (%s=1)\n",
				SQUEEZE_GUEST_ENV);
			return 64;
		}
		oom_first(getpid());
		if (squeeze__plan(&plan))
			return 3;
		return squeeze__run(&plan);
	}
	uname(&u);
	printf("memvigil kernel smoke test on %s\n", u.release);
	fflush(stdout);
	log_set_level(LOG_INFO);	/* says how the uprobes are attached */
	t.m = model__new(mono_ns());
	t.c.model = t.m;
	t.pr = t.m ? probes__open(&popts, consumer__handle, &t.c, t.err, sizeof(t.err)) : NULL;
	result(t.pr != NULL, "load and attach the BPF objects", "%s", t.err);
	if (t.pr) {
		uint32_t f = probes__kernel_features(t.pr);

		result(f == (1u << PROBES_K_FEATURE_CNT) - 1, "every kernel hook attached",
		       "features 0x%x", f);
		check_worker(&t);
		check_held_call(&t);
		check_direct_reclaim(&t);
		check_oom(&t);
	}
	probes__free(t.pr);
	model__free(t.m);
	check_syscall_mappings();
	check_sampled_load();
	check_memvigil_reclaim();
	check_memvigil_exec();
	check_memvigil_unwind();
	printf("%s: %d check(s) failed\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
