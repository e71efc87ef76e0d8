// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "memvigil.skel.h"
#include "memvigil/call_state.h"
#include "link_reaper.h"
#include "log.h"
#include "probes.h"
#include "sampling.h"
#include "text_escape.h"
#include "uprobe_session.h"

struct pid_links {
	pid_t pid;
	size_t cnt;
	int session_fd[MV_ALLOCATOR_MAX_OBJECTS];	/* uprobe session links, -1 if none */
	/* two per site at most */
	struct bpf_link *links[2 * (MV_ALLOCATOR_MAX_FUNCS + MAP_WRAPPERS_MAX_FUNCS)];
};

/* Threads destroying uprobe links at once (each waits for a grace period). */
#define REAPER_THREADS 64

struct probes {
	struct link_reaper *reaper;
	struct memvigil_bpf *skel;
	bool multi;			/* uprobe_multi links (kernel >= 6.6) */
	bool session;			/* uprobe sessions for allocating functions */
	struct ring_buffer *rb;
	struct pid_links *pids;
	size_t pid_cnt, pids_cap;
	uint32_t kfeatures;		/* enum probes_kernel_feature */
	enum mv_mappings mappings;
	struct bpf_link *klinks[16];
	size_t klink_cnt;
	struct bpf_link *task_iter;
};

static const char *const kfeature_names[] = { "faults", "reclaim", "mappings", "oom",
					      "task_iter" };

/*
 * libbpf's messages name the traced process's files and symbols: each line
 * is escaped (text_escape.h), the line breaks of a multi-line message kept.
 */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *msg, *line, *nl;
	int len;

	(void)level;
	/* Errors are reported once, with context, by the caller; -vv shows libbpf's own. */
	if (log_get_level() < LOG_DEBUG)
		return 0;
	len = vasprintf(&msg, fmt, ap);
	if (len < 0)
		return -ENOMEM;
	for (line = msg; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		text_escape__fputs(stderr, line);
		if (!nl)
			break;
		fputc('\n', stderr);
	}
	free(msg);
	return len;
}

/* uprobe_multi links exist from kernel 6.6 on; their BTF type says so. */
static bool kernel_has_uprobe_multi(void)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	bool found;

	if (!vmlinux)
		return false;
	found = btf__find_by_name_kind(vmlinux, "bpf_uprobe_multi_link", BTF_KIND_STRUCT) > 0;
	btf__free(vmlinux);
	return found;
}

/* Attach progs (all or none) for one feature; a kernel without it loses only it. */
static void attach_feature(struct probes *pr, uint32_t bit, struct bpf_program **progs, size_t n)
{
	size_t first = pr->klink_cnt, i;
	struct bpf_link *link;

	for (i = 0; i < n; i++) {
		link = bpf_program__attach(progs[i]);
		if (!link) {
			log_warn("kernel signal '%s' unavailable: cannot attach %s: %s",
				 probes__kernel_feature_name(bit), bpf_program__name(progs[i]),
				 strerror(errno));
			while (pr->klink_cnt > first)
				bpf_link__destroy(pr->klinks[--pr->klink_cnt]);
			return;
		}
		pr->klinks[pr->klink_cnt++] = link;
	}
	pr->kfeatures |= bit;
}

static void attach_kernel(struct probes *pr)
{
	struct memvigil_bpf *sk = pr->skel;
	struct bpf_program *faults[] = { sk->progs.handle_fault_user, sk->progs.handle_fault_kernel,
					 sk->progs.handle_exit_counters };
	struct bpf_program *reclaim[] = {
		sk->progs.handle_direct_reclaim_begin, sk->progs.handle_direct_reclaim_end,
		sk->progs.handle_memcg_reclaim_begin, sk->progs.handle_memcg_reclaim_end,
	};
	struct bpf_program *maps[] = { sk->progs.handle_sys_exit, sk->progs.handle_sys_enter };
	struct bpf_program *oom[] = { sk->progs.handle_signal_generate,
				      sk->progs.handle_mark_victim };

	attach_feature(pr, PROBES_K_FAULTS, faults, 3);
	attach_feature(pr, PROBES_K_RECLAIM, reclaim, 4);
	if (pr->mappings == MV_MAPPINGS_OFF)
		log_info("kernel signal 'mappings' off (--mappings=off): mmap, munmap, mremap "
			 "and brk are not followed");
	else if (pr->mappings == MV_MAPPINGS_SYSCALLS)
		attach_feature(pr, PROBES_K_MAPS, maps, 2);
	else
		pr->kfeatures |= PROBES_K_MAPS;	/* per process, by probes__attach_maps */
	attach_feature(pr, PROBES_K_OOM, oom, 2);
	pr->task_iter = bpf_program__attach_iter(sk->progs.dump_task, NULL);
	if (pr->task_iter)
		pr->kfeatures |= PROBES_K_TASK_ITER;
	else
		log_warn("kernel signal 'task_iter' unavailable (no RSS or fault counters): %s",
			 strerror(errno));
}

uint32_t probes__kernel_features(const struct probes *pr)
{
	return pr->kfeatures;
}

const char *probes__kernel_feature_name(uint32_t bit)
{
	unsigned int i;

	for (i = 0; i < sizeof(kfeature_names) / sizeof(kfeature_names[0]); i++)
		if (bit == 1u << i)
			return kfeature_names[i];
	return "?";
}

int probes__sample_tasks(struct probes *pr, probes_task_fn fn, void *ctx)
{
	struct mv_task_sample recs[64];
	size_t got = 0, i;
	ssize_t n;
	int fd, err = 0;

	if (!pr->task_iter)
		return -ENOTSUP;
	fd = bpf_iter_create(bpf_link__fd(pr->task_iter));
	if (fd < 0)
		return -errno;
	for (;;) {
		n = read(fd, (char *)recs + got, sizeof(recs) - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		got += n;
		for (i = 0; i < got / sizeof(recs[0]); i++)
			fn(ctx, &recs[i]);
		/* a record split across reads: keep its start */
		memmove(recs, (char *)recs + i * sizeof(recs[0]), got - i * sizeof(recs[0]));
		got -= i * sizeof(recs[0]);
	}
	close(fd);
	return err;
}

int probes__test_mark_victim(struct probes *pr, uint64_t arg)
{
	__u64 args[1] = { arg };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));

	if (bpf_prog_test_run_opts(bpf_program__fd(pr->skel->progs.handle_mark_victim), &opts))
		return -errno;
	return 0;
}

int probes__call_depth(struct probes *pr, pid_t pid)
{
	struct inflight_call call;
	int fd = syscall(SYS_pidfd_open, pid, 0), ret;

	if (fd < 0)
		return -errno;
	ret = bpf_map_lookup_elem(bpf_map__fd(pr->skel->maps.inflight), &fd, &call);
	ret = ret ? -errno : (int)call.depth;
	close(fd);
	return ret;
}

int probes__reset_calls(struct probes *pr, pid_t pid)
{
	union bpf_iter_link_info linfo = { .task.pid = pid };
	LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &linfo,
		    .link_info_len = sizeof(linfo));
	struct bpf_link *link;
	char buf[64];
	int fd, ret = 0;

	link = bpf_program__attach_iter(pr->skel->progs.reset_calls, &opts);
	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0)
		ret = -errno;
	while (fd >= 0 && (ret = read(fd, buf, sizeof(buf))) != 0) {
		if (ret < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
	}
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(link);
	return ret < 0 ? ret : 0;
}

int probes__kstat(struct probes *pr, pid_t pid, struct mv_kstat *out)
{
	__u32 key = pid;

	if (bpf_map__lookup_elem(pr->skel->maps.kstats, &key, sizeof(key), out, sizeof(*out), 0))
		return -errno;
	return 0;
}

/* Sampling knobs and map sizes, set before load. */
static int configure_sampling(struct probes *pr, const struct probes_opts *o)
{
	struct memvigil_bpf *skel = pr->skel;

	skel->rodata->sample_bytes = o->sample_bytes;
	skel->rodata->stack_depth = o->stack_depth ? o->stack_depth : MV_DEFAULT_STACK_DEPTH;
	sampling__fill_log2_table((uint32_t *)skel->rodata->log2_tab);
	pr->session = pr->multi && o->sample_bytes && !o->no_sessions && uprobe_session__supported();
	if (pr->session)
		bpf_program__set_expected_attach_type(skel->progs.alloc_session,
						      MV_BPF_TRACE_UPROBE_SESSION);
	else
		bpf_program__set_autoload(skel->progs.alloc_session, false);
	if (o->sample_bytes)
		log_info("sampling: one sample per %llu bytes on average; returns seen through %s%s",
			 (unsigned long long)o->sample_bytes,
			 pr->session ? "uprobe sessions (only sampled calls pay the return)"
				     : "uretprobes",
			 !pr->session && o->no_sessions ? " (sessions turned off)" :
			 !pr->session ? " (this kernel has no uprobe sessions)" : "");
	return bpf_map__set_max_entries(skel->maps.sampled_live,
					o->sample_bytes ? o->sample_max_live : 1);
}

const char *probes__mappings_via(const struct probes *pr)
{
	if (!(pr->kfeatures & PROBES_K_MAPS))
		return NULL;
	return pr->mappings == MV_MAPPINGS_SYSCALLS ? "syscalls" : "wrappers";
}

/* Load only the programs of the chosen way to follow the mmap family. */
static void configure_mappings(struct probes *pr)
{
	struct memvigil_bpf *sk = pr->skel;
	bool wrappers = pr->mappings == MV_MAPPINGS_WRAPPERS;
	bool syscalls = pr->mappings == MV_MAPPINGS_SYSCALLS;

	bpf_program__set_autoload(sk->progs.handle_sys_enter, syscalls);
	bpf_program__set_autoload(sk->progs.handle_sys_exit, syscalls);
	bpf_program__set_autoload(sk->progs.map_syscall_return, wrappers);
	bpf_program__set_autoload(sk->progs.map_enter, wrappers);
	bpf_program__set_autoload(sk->progs.map_exit, wrappers);
	if (wrappers && pr->multi) {
		bpf_program__set_expected_attach_type(sk->progs.map_syscall_return,
						      BPF_TRACE_UPROBE_MULTI);
		bpf_program__set_expected_attach_type(sk->progs.map_enter, BPF_TRACE_UPROBE_MULTI);
		bpf_program__set_expected_attach_type(sk->progs.map_exit, BPF_TRACE_UPROBE_MULTI);
	}
}

const char *probes__return_probe(const struct probes *pr)
{
	return pr->session ? "session" : "uretprobe";
}

struct probes *probes__open(const struct probes_opts *opts, probes_record_fn fn, void *ctx,
			    char *err, size_t err_len)
{
	struct probes *pr = calloc(1, sizeof(*pr));
	int ret;

	if (!pr) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	libbpf_set_print(libbpf_print);
	pr->reaper = link_reaper__new(REAPER_THREADS);	/* NULL: links destroyed in place */
	pr->skel = memvigil_bpf__open();
	if (!pr->skel) {
		snprintf(err, err_len, "cannot open the BPF objects: %s", strerror(errno));
		goto fail;
	}
	pr->multi = kernel_has_uprobe_multi();
	if (pr->multi) {
		bpf_program__set_expected_attach_type(pr->skel->progs.alloc_enter,
						      BPF_TRACE_UPROBE_MULTI);
		bpf_program__set_expected_attach_type(pr->skel->progs.free_enter,
						      BPF_TRACE_UPROBE_MULTI);
		bpf_program__set_expected_attach_type(pr->skel->progs.alloc_exit,
						      BPF_TRACE_UPROBE_MULTI);
	}
	log_info("uprobe attach: %s", pr->multi ? "uprobe_multi links (one per program)"
						: "one perf event per probe site (no uprobe_multi)");
	pr->mappings = opts->mappings;
	configure_mappings(pr);
	ret = configure_sampling(pr, opts);
	if (ret) {
		snprintf(err, err_len, "cannot size the BPF maps: %s", strerror(-ret));
		goto fail;
	}
	ret = memvigil_bpf__load(pr->skel);
	if (ret) {
		snprintf(err, err_len, "cannot load the BPF programs: %s (run with -vv for the verifier log)",
			 strerror(-ret));
		goto fail;
	}
	pr->skel->links.handle_exec = bpf_program__attach(pr->skel->progs.handle_exec);
	pr->skel->links.handle_exit = bpf_program__attach(pr->skel->progs.handle_exit);
	if (!pr->skel->links.handle_exec || !pr->skel->links.handle_exit) {
		snprintf(err, err_len, "cannot attach the sched_process_exec/exit tracepoints: %s",
			 strerror(errno));
		goto fail;
	}
	attach_kernel(pr);
	pr->rb = ring_buffer__new(bpf_map__fd(pr->skel->maps.events), fn, ctx, NULL);
	if (!pr->rb) {
		snprintf(err, err_len, "cannot set up the ring buffer: %s", strerror(errno));
		goto fail;
	}
	return pr;

fail:
	probes__free(pr);
	return NULL;
}

/* Hand the links pl made after its first cnt to the reaper (a failed attach). */
static void pid_links_truncate(struct probes *pr, struct pid_links *pl, size_t cnt)
{
	struct bpf_link *rev[2 * (MV_ALLOCATOR_MAX_FUNCS + MAP_WRAPPERS_MAX_FUNCS)];
	size_t i, n = 0;

	for (i = pl->cnt; i > cnt; i--)
		rev[n++] = pl->links[i - 1];
	link_reaper__push(pr->reaper, rev, n);
	pl->cnt = cnt;
}

/* Hand pl's links to the reaper, which destroys them in the background. */
static void pid_links_destroy(struct probes *pr, struct pid_links *pl)
{
	size_t i;

	for (i = 0; i < MV_ALLOCATOR_MAX_OBJECTS; i++) {
		if (pl->session_fd[i] >= 0)
			close(pl->session_fd[i]);
		pl->session_fd[i] = -1;
	}
	/* Entries were attached after returns: detach them first. */
	pid_links_truncate(pr, pl, 0);
}

void probes__free(struct probes *pr)
{
	size_t i;

	if (!pr)
		return;
	for (i = 0; i < pr->pid_cnt; i++)
		pid_links_destroy(pr, &pr->pids[i]);
	link_reaper__free(pr->reaper);	/* waits until every link is gone */
	free(pr->pids);
	for (i = pr->klink_cnt; i > 0; i--)
		bpf_link__destroy(pr->klinks[i - 1]);
	bpf_link__destroy(pr->task_iter);
	ring_buffer__free(pr->rb);
	memvigil_bpf__destroy(pr->skel);
	free(pr);
}

int probes__follow_forks(struct probes *pr)
{
	if (pr->skel->links.handle_fork)
		return 0;
	pr->skel->links.handle_fork = bpf_program__attach(pr->skel->progs.handle_fork);
	return pr->skel->links.handle_fork ? 0 : -errno;
}

int probes__trace_pid(struct probes *pr, pid_t pid)
{
	__u32 key = pid;
	__u8 one = 1;

	if (bpf_map__update_elem(pr->skel->maps.traced_pids, &key, sizeof(key),
				 &one, sizeof(one), BPF_ANY))
		return -errno;
	return 0;
}

/* pid's links, created empty when it has none. */
static struct pid_links *pid_links_get(struct probes *pr, pid_t pid)
{
	struct pid_links *pl;
	size_t i;

	for (i = 0; i < pr->pid_cnt; i++)
		if (pr->pids[i].pid == pid)
			return &pr->pids[i];
	if (pr->pid_cnt == pr->pids_cap) {
		size_t cap = pr->pids_cap ? pr->pids_cap * 2 : 4;

		pl = realloc(pr->pids, cap * sizeof(*pl));
		if (!pl)
			return NULL;
		pr->pids = pl;
		pr->pids_cap = cap;
	}
	pl = &pr->pids[pr->pid_cnt++];
	memset(pl, 0, sizeof(*pl));
	pl->pid = pid;
	for (i = 0; i < MV_ALLOCATOR_MAX_OBJECTS; i++)
		pl->session_fd[i] = -1;
	return pl;
}

/*
 * Sites in object obj of functions entered with a return probe (leaf false:
 * allocating functions and free wrappers) or of the allocator's own free
 * (leaf true, entry only). Cookies carry kind and argument layout.
 */
static size_t collect_sites(const struct allocator *a, uint32_t obj, bool leaf,
			    unsigned long *offsets, __u64 *cookies)
{
	size_t i, n = 0;

	for (i = 0; i < a->func_cnt; i++) {
		const struct alloc_func *f = &a->funcs[i];

		if (f->alias_of || f->object != obj || f->leaf_free != leaf)
			continue;
		offsets[n] = f->offset;
		cookies[n] = f->kind | (__u64)f->layout << MV_COOKIE_LAYOUT_SHIFT;
		n++;
	}
	return n;
}

static int attach_sites(struct pid_links *pl, bool multi, struct bpf_program *prog,
			const char *path, const unsigned long *offsets, const __u64 *cookies,
			size_t n, bool ret_probe)
{
	LIBBPF_OPTS(bpf_uprobe_multi_opts, mopts, .offsets = offsets, .cookies = cookies,
		    .cnt = n, .retprobe = ret_probe);
	struct bpf_link *link;
	size_t i;

	if (!n)
		return 0;
	if (multi) {
		link = bpf_program__attach_uprobe_multi(prog, pl->pid, path, NULL, &mopts);
		if (!link)
			return -errno;
		pl->links[pl->cnt++] = link;
		return 0;
	}
	for (i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = ret_probe, .bpf_cookie = cookies[i]);

		link = bpf_program__attach_uprobe_opts(prog, pl->pid, path, offsets[i], &opts);
		if (!link)
			return -errno;
		pl->links[pl->cnt++] = link;
	}
	return 0;
}

/* One uprobe session link over the allocating functions of object obj. */
static int attach_session(struct pid_links *pl, uint32_t obj, struct bpf_program *prog,
			  const char *path, const unsigned long *offsets, const __u64 *cookies,
			  size_t n)
{
	int fd;

	if (!n)
		return 0;
	fd = uprobe_session__attach(bpf_program__fd(prog), pl->pid, path, offsets, cookies, n);
	if (fd < 0)
		return fd;
	pl->session_fd[obj] = fd;
	return 0;
}

/* Entries and returns of the allocating functions: a session, or uprobe + uretprobe. */
static int attach_alloc_sites(struct probes *pr, struct pid_links *pl, uint32_t obj,
			      const char *path, const unsigned long *offsets,
			      const __u64 *cookies, size_t n)
{
	struct memvigil_bpf *skel = pr->skel;
	int ret;

	if (pr->session) {
		ret = attach_session(pl, obj, skel->progs.alloc_session, path, offsets, cookies,
				     n);
		if (!ret || ret == -ESRCH || ret == -ENOENT)
			return ret;
		/* Programs for both ways are loaded: fall back for good. */
		log_warn("cannot create a uprobe session link (%s); using uretprobes instead",
			 strerror(-ret));
		pr->session = false;
	}
	/* Returns before entries: an entry seen is always matched by its return. */
	ret = attach_sites(pl, pr->multi, skel->progs.alloc_exit, path, offsets, cookies, n, true);
	if (!ret)
		ret = attach_sites(pl, pr->multi, skel->progs.alloc_enter, path, offsets, cookies,
				   n, false);
	return ret;
}

/* Attach the probes of one object of a; returns sites attached or a negative errno. */
static int attach_object(struct probes *pr, struct pid_links *pl, const struct allocator *a,
			 uint32_t obj)
{
	unsigned long offsets[MV_ALLOCATOR_MAX_FUNCS], free_offsets[MV_ALLOCATOR_MAX_FUNCS];
	__u64 cookies[MV_ALLOCATOR_MAX_FUNCS], free_cookies[MV_ALLOCATOR_MAX_FUNCS];
	const char *path = a->objects[obj].open_path;
	size_t n, nfree;
	int ret;

	n = collect_sites(a, obj, false, offsets, cookies);
	nfree = collect_sites(a, obj, true, free_offsets, free_cookies);
	ret = attach_alloc_sites(pr, pl, obj, path, offsets, cookies, n);
	if (!ret)
		ret = attach_sites(pl, pr->multi, pr->skel->progs.free_enter, path,
				   free_offsets, free_cookies, nfree, false);
	return ret ? ret : (int)(n + nfree);
}

int probes__attach_heap(struct probes *pr, pid_t pid, const struct allocator *a,
			char *err, size_t err_len)
{
	struct pid_links *pl = pid_links_get(pr, pid);
	size_t sites = 0;
	uint32_t obj;
	int ret = 0;

	if (!pl) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	for (obj = 0; obj < a->object_cnt && ret >= 0; obj++) {
		ret = attach_object(pr, pl, a, obj);
		if (ret >= 0)
			sites += ret;
	}
	if (ret < 0) {
		snprintf(err, err_len, "cannot attach uprobes to %s in PID %d: %s%s",
			 a->objects[obj - 1].path, pid, strerror(-ret),
			 ret == -ESRCH ? " (the process exited)" : "");
		probes__detach_heap(pr, pid);
		return ret;
	}
	log_debug("PID %d: %zu links%s for %zu allocator sites", pid, pl->cnt,
		  pl->session_fd[0] >= 0 ? " and session links" : "", sites);
	return 0;
}

/* The wrappers of object obj probed one way (after_syscall or not). */
static size_t collect_map_sites(const struct map_wrappers *w, uint32_t obj, bool after_syscall,
				unsigned long *offsets, __u64 *cookies)
{
	size_t i, n = 0;

	for (i = 0; i < w->func_cnt; i++) {
		const struct map_wrapper *f = &w->funcs[i];

		if (f->object != obj || f->after_syscall != after_syscall)
			continue;
		offsets[n] = f->offset;
		cookies[n] = map_wrappers__cookie(f);
		n++;
	}
	return n;
}

int probes__attach_maps(struct probes *pr, pid_t pid, const struct map_wrappers *w,
			char *err, size_t err_len)
{
	unsigned long offsets[MAP_WRAPPERS_MAX_FUNCS];
	__u64 cookies[MAP_WRAPPERS_MAX_FUNCS];
	struct memvigil_bpf *sk = pr->skel;
	struct pid_links *pl;
	size_t first, n;
	uint32_t obj;
	int ret = 0;

	if (pr->mappings != MV_MAPPINGS_WRAPPERS)
		return 0;
	pl = pid_links_get(pr, pid);
	if (!pl) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	first = pl->cnt;
	for (obj = 0; obj < w->object_cnt && !ret; obj++) {
		const char *path = w->objects[obj].open_path;

		n = collect_map_sites(w, obj, true, offsets, cookies);
		ret = attach_sites(pl, pr->multi, sk->progs.map_syscall_return, path, offsets,
				   cookies, n, false);
		n = collect_map_sites(w, obj, false, offsets, cookies);
		/* returns before entries: an entry seen is always matched by its return */
		if (!ret)
			ret = attach_sites(pl, pr->multi, sk->progs.map_exit, path, offsets, cookies,
					   n, true);
		if (!ret)
			ret = attach_sites(pl, pr->multi, sk->progs.map_enter, path, offsets,
					   cookies, n, false);
	}
	if (ret) {
		snprintf(err, err_len, "cannot attach the mmap-family uprobes to %s in PID %d: %s",
			 w->objects[obj - 1].path, pid, strerror(-ret));
		pid_links_truncate(pr, pl, first);
		return ret;
	}
	log_debug("PID %d: %zu links for %zu mmap-family wrappers", pid, pl->cnt - first,
		  w->func_cnt);
	return 0;
}

void probes__detach_heap(struct probes *pr, pid_t pid)
{
	size_t i;

	for (i = 0; i < pr->pid_cnt; i++) {
		if (pr->pids[i].pid != pid)
			continue;
		pid_links_destroy(pr, &pr->pids[i]);
		pr->pids[i] = pr->pids[--pr->pid_cnt];
		return;
	}
}

void probes__wait_detached(struct probes *pr)
{
	link_reaper__wait(pr->reaper);
}

void probes__detach_pid(struct probes *pr, pid_t pid)
{
	__u32 key = pid;

	bpf_map__delete_elem(pr->skel->maps.traced_pids, &key, sizeof(key), 0);
	bpf_map__delete_elem(pr->skel->maps.kstats, &key, sizeof(key), 0);
	probes__detach_heap(pr, pid);
}

int probes__poll(struct probes *pr, int timeout_ms)
{
	int ret = ring_buffer__poll(pr->rb, timeout_ms);

	if (ret < 0 && ret != -EINTR)
		return ret;
	/* Records below the wakeup threshold do not wake epoll: drain them too. */
	return probes__drain(pr);
}

int probes__drain(struct probes *pr)
{
	int ret = ring_buffer__consume(pr->rb);

	return ret < 0 ? ret : 0;
}

void probes__losses(struct probes *pr, uint64_t out[MV_LOSS_CNT])
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;
	__u32 key;
	int cpu;

	memset(out, 0, MV_LOSS_CNT * sizeof(*out));
	if (ncpu <= 0)
		return;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return;
	for (key = 0; key < MV_LOSS_CNT; key++) {
		if (bpf_map__lookup_elem(pr->skel->maps.losses, &key, sizeof(key), vals,
					 ncpu * sizeof(*vals), 0))
			continue;
		for (cpu = 0; cpu < ncpu; cpu++)
			out[key] += vals[cpu];
	}
	free(vals);
}
