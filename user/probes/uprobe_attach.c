// SPDX-License-Identifier: GPL-2.0
/* Per-process uprobe links: the allocator and mmap-family sites of one process. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "memvigil/call_state.h"
#include "lib/grow.h"
#include "lib/log.h"
#include "probes/probes_state.h"
#include "probes/uprobe_session.h"
#include "memvigil.skel.h"

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
void probes__destroy_links(struct probes *pr, struct pid_links *pl)
{
	size_t i;

	for (i = 0; i < MV_ALLOCATOR_MAX_OBJECTS; i++) {
		if (pl->session_fd[i] >= 0)
			close(pl->session_fd[i]);
		pl->session_fd[i] = -1;
	}
	/* Entries were attached after returns: detach them first. */
	pid_links_truncate(pr, pl, 0);
	if (pl->entry)
		link_reaper__push(pr->reaper, &pl->entry, 1);
	pl->entry = NULL;
}

/* pid's links, created empty when it has none. */
static struct pid_links *pid_links_get(struct probes *pr, pid_t pid)
{
	struct pid_links *pl;
	size_t i;

	for (i = 0; i < pr->pid_cnt; i++)
		if (pr->pids[i].pid == pid)
			return &pr->pids[i];
	pl = grow__array(pr->pids, &pr->pids_cap, pr->pid_cnt + 1, sizeof(*pl), 4);
	if (!pl)
		return NULL;
	pr->pids = pl;
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

int probes__attach_sampler(struct probes *pr, pid_t pid, const char *path,
			   uint64_t alloc_offset, uint64_t free_offset, char *err, size_t err_len)
{
	unsigned long alloc_off = alloc_offset, free_off = free_offset;
	struct pid_links *pl = pid_links_get(pr, pid);
	__u64 cookie = 0;
	int ret;

	if (!pl) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	ret = attach_sites(pl, pr->multi, pr->skel->progs.sampler_alloc, path, &alloc_off,
			   &cookie, 1, false);
	if (!ret)
		ret = attach_sites(pl, pr->multi, pr->skel->progs.sampler_free, path, &free_off,
				   &cookie, 1, false);
	if (ret) {
		snprintf(err, err_len, "cannot attach uprobes to the sampler's probe functions "
			 "in PID %d: %s", pid, strerror(-ret));
		probes__detach_heap(pr, pid);
	}
	return ret;
}

int probes__set_sampler_generation(struct probes *pr, pid_t pid, uint64_t generation)
{
	__u32 key = pid;
	__u64 value = generation;
	int ret;

	if (!generation)
		ret = bpf_map__delete_elem(pr->skel->maps.sampler_generation, &key, sizeof(key), 0);
	else
		ret = bpf_map__update_elem(pr->skel->maps.sampler_generation, &key, sizeof(key),
					   &value, sizeof(value), BPF_ANY);
	return ret == -ENOENT && !generation ? 0 : ret;
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

int probes__watch_entry(struct probes *pr, pid_t pid, const char *path, uint64_t offset)
{
	unsigned long off = offset;
	LIBBPF_OPTS(bpf_uprobe_multi_opts, mopts, .offsets = &off, .cnt = 1);
	LIBBPF_OPTS(bpf_uprobe_opts, opts);
	struct pid_links *pl = pid_links_get(pr, pid);
	struct bpf_program *prog = pr->skel->progs.image_entry;
	struct bpf_link *link;

	if (!pl)
		return -ENOMEM;
	probes__unwatch_entry(pr, pid);
	/* A perf-event uprobe takes tens of ms to create, a uprobe_multi link far less. */
	if (pr->multi)
		link = bpf_program__attach_uprobe_multi(prog, pid, path, NULL, &mopts);
	else
		link = bpf_program__attach_uprobe_opts(prog, pid, path, offset, &opts);
	if (!link)
		return -errno;
	pl->entry = link;
	return 0;
}

void probes__unwatch_entry(struct probes *pr, pid_t pid)
{
	size_t i;

	for (i = 0; i < pr->pid_cnt; i++) {
		if (pr->pids[i].pid != pid || !pr->pids[i].entry)
			continue;
		link_reaper__push(pr->reaper, &pr->pids[i].entry, 1);
		pr->pids[i].entry = NULL;
	}
}

void probes__detach_heap(struct probes *pr, pid_t pid)
{
	size_t i;

	for (i = 0; i < pr->pid_cnt; i++) {
		if (pr->pids[i].pid != pid)
			continue;
		probes__destroy_links(pr, &pr->pids[i]);
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
	bpf_map__delete_elem(pr->skel->maps.sampler_generation, &key, sizeof(key), 0);
	unwind_maps__forget(pr, pid);
	probes__detach_heap(pr, pid);
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
