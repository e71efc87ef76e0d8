// SPDX-License-Identifier: GPL-2.0
/*
 * smoke: memvigil's BPF objects end to end on the running kernel, for the
 * kernel matrix (tools/run-kernel-matrix.sh boots Debian's 6.1 and 6.12 with
 * it; -H runs it here). Loads the skeleton through the probe loader, traces
 * a forked child that leaks 7 heap blocks, maps and touches 1 MiB and never
 * unmaps it, then an OOM kill of a traced hog in a memory-limited cgroup
 * (cgroup2 when it has the memory controller, else the v1 controller).
 * Prints "PASS what" or "FAIL what: why" per check; exit 0 only if all pass.
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
#include "allocator.h"
#include "cgroup_mem.h"
#include "consumer.h"
#include "kernel_sampler.h"
#include "log.h"
#include "model.h"
#include "probes.h"
#include "procmem.h"

#define LEAKS 7
#define LEAK_BYTES 1000
#define MAP_BYTES (1 << 20)
#define OOM_LIMIT (32ull << 20)

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
	if (!ret && !model__proc(t->m, pid))
		ret = -ENOMEM;
	free(a);
	return ret;
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
	kernel_sampler__run(t->pr, t->m, mono_ns());
	if (write(go, "g", 1) != 1 || read(done, &c, 1) != 1) {
		result(0, "child ran", "pipe failed");
		goto out;
	}
	poll_for(t, 300);
	kernel_sampler__run(t->pr, t->m, mono_ns());
	p = model__find(t->m, pid);
	result(p && p->heap.outstanding_allocs == LEAKS &&
	       p->heap.outstanding_bytes == LEAKS * LEAK_BYTES, "heap events (uprobes)",
	       "outstanding %llu bytes in %llu allocs, want %d in %d",
	       p ? (unsigned long long)p->heap.outstanding_bytes : 0,
	       p ? (unsigned long long)p->heap.outstanding_allocs : 0, LEAKS * LEAK_BYTES, LEAKS);
	if (!p)
		goto out;
	mappings__totals(&p->kernel.maps, &mt);
	result(mt.anon_bytes == MAP_BYTES, "mmap seen (raw_syscalls)", "anon mappings %llu, want %d",
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
	kernel_sampler__run(t->pr, t->m, mono_ns());
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

int main(void)
{
	struct probes_opts popts = { 0 };	/* exact */
	struct tracer t = { 0 };
	struct utsname u;

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
		check_oom(&t);
	}
	probes__free(t.pr);
	model__free(t.m);
	check_sampled_load();
	printf("%s: %d check(s) failed\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
