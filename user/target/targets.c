// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include "lib/clock.h"
#include "lib/grow.h"
#include "lib/log.h"
#include "procfs/mapped_file.h"
#include "procfs/proc_info.h"
#include "procfs/procmaps.h"
#include "sites/allocator.h"
#include "sites/map_wrappers.h"
#include "target/alloc_cache.h"
#include "target/file_refusals.h"
#include "target/launch.h"
#include "target/targets.h"
#include "target/targets_state.h"

struct targets *targets__new(struct probes *pr, struct model *m, struct symbolizer *sym,
			     bool at_entry)
{
	struct targets *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->pr = pr;
	t->model = m;
	t->sym = sym;
	t->at_entry = at_entry;
	t->wrappers = map_wrappers_cache__new();	/* NULL: resolved each time */
	t->cache = alloc_cache__new();
	t->refusals = file_refusals__new();
	if (!t->cache || !t->refusals) {
		targets__free(t);
		return NULL;
	}
	return t;
}

void targets__free(struct targets *t)
{
	if (!t)
		return;
	alloc_cache__free(t->cache);
	file_refusals__free(t->refusals);
	map_wrappers_cache__free(t->wrappers);
	free(t->items);
	free(t);
}

struct target *targets__find(const struct targets *t, pid_t pid)
{
	size_t i;

	for (i = t->cnt; i-- > 0;)
		if (t->items[i].pid == pid && !t->items[i].retired)
			return &t->items[i];
	return NULL;
}

size_t targets__cnt(const struct targets *t)
{
	return t->cnt;
}

const struct target *targets__at(const struct targets *t, size_t i)
{
	return i < t->cnt ? &t->items[i] : NULL;
}

size_t targets__count_state(const struct targets *t, enum target_state state)
{
	size_t i, n = 0;

	for (i = 0; i < t->cnt; i++)
		n += t->items[i].state == state;
	return n;
}

bool targets__reused_by(const struct target *tg, uint64_t start_ticks)
{
	bool differs = start_ticks && tg->start_ticks && start_ticks != tg->start_ticks;

	switch (tg->state) {
	case TARGET_ATTACHED:
		return false;
	case TARGET_EXITED:
		/*
		 * Gone (a zombie is in no cgroup.procs and forks nothing): its PID
		 * names another process, even one started within the same clock
		 * tick (start times count 10 ms ticks).
		 */
		return true;
	default:		/* may still run: another process only if proven */
		return differs;
	}
}

bool targets__pid_reused(const struct targets *t, pid_t pid)
{
	const struct target *tg = targets__find(t, pid);
	uint64_t ticks = 0;
	char buf[1024];

	if (!tg || tg->state == TARGET_ATTACHED)
		return false;
	if (proc_info__read(pid, "stat", buf, sizeof(buf))) {
		ticks = proc_info__parse_start_ticks(buf);
		/*
		 * The exit record comes before the kernel takes the process out
		 * of its cgroup: until then a scan still lists the exited one.
		 */
		if (tg->state == TARGET_EXITED && ticks == tg->start_ticks &&
		    proc_info__parse_exiting(buf))
			return false;
	}
	return targets__reused_by(tg, ticks);
}

pid_t targets__retire(struct targets *t, pid_t pid)
{
	struct target *tg = targets__find(t, pid);
	pid_t key;

	if (!tg)
		return 0;
	if (tg->state == TARGET_ATTACHED) {
		targets__end_sampler(t, tg);
		probes__detach_pid(t->pr, pid);
		tg->sampler_dev = tg->sampler_ino = 0;
		tg->has_heap = false;
		tg->state = TARGET_EXITED;
	}
	tg->retired = true;
	key = model__retire(t->model, pid);
	if (key)
		symbolizer__rekey(t->sym, pid, key);
	return key;
}

void targets__read_image(pid_t pid, char *comm, size_t comm_len, char *exe, size_t exe_len)
{
	proc_info__comm(pid, comm, comm_len);
	proc_info__exe(pid, exe, exe_len);
}

int targets__resolve(struct targets *t, pid_t pid, struct allocator *a, char *err,
		     size_t err_len)
{
	int ret = alloc_cache__resolve(t->cache, pid, t->allocator, t->at_entry, a, err, err_len);

	file_refusals__note(t->refusals, pid, a->skipped, a->skipped_cnt);
	return ret;
}

size_t targets__files_skipped(const struct targets *t)
{
	return file_refusals__cnt(t->refusals);
}

static struct target *target_add(struct targets *t, pid_t pid)
{
	struct target *tg = targets__find(t, pid);

	if (tg)
		return tg;
	tg = grow__array(t->items, &t->cap, t->cnt + 1, sizeof(*tg), 8);
	if (!tg)
		return NULL;
	t->items = tg;
	tg = &t->items[t->cnt++];
	memset(tg, 0, sizeof(*tg));
	tg->pid = pid;
	tg->state = TARGET_FAILED;
	tg->sampler.mem_fd = -1;
	return tg;
}

int targets__attach_heap(struct targets *t, struct target *tg, const struct allocator *a,
			 char *err, size_t err_len)
{
	char comm[16], exe[PATH_MAX];
	struct proc *p;
	int ret;

	ret = probes__attach_heap(t->pr, tg->pid, a, err, err_len);
	if (ret)
		return ret;
	tg->has_heap = true;
	allocator__identity(a, tg->lib_dev, tg->lib_ino);
	allocator__log_sites(tg->pid, a);
	targets__read_image(tg->pid, comm, sizeof(comm), exe, sizeof(exe));
	p = model__proc(t->model, tg->pid);
	if (!p || model__set_image(p, comm, exe[0] ? exe : NULL, a->objects[0].path,
				   allocator__kinds(a))) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	p->via_sampler = false;
	tg->sampler_dev = tg->sampler_ino = 0;	/* its links went before these were attached */
	return 0;
}

int targets__attach_maps(struct targets *t, pid_t pid, const struct allocator *a, bool quiet)
{
	const char *via = probes__mappings_via(t->pr);
	struct proc *p = model__find(t->model, pid);
	struct map_wrappers *w;
	char err[512];
	int ret = -ENOMEM;

	if (!via || strcmp(via, "wrappers"))
		return 0;
	snprintf(err, sizeof(err), "out of memory");
	w = calloc(1, sizeof(*w));
	if (w)
		ret = map_wrappers__resolve(pid, a ? a->objects[0].path : NULL, t->wrappers, w,
					    err, sizeof(err));
	if (w)
		file_refusals__note(t->refusals, pid, w->skipped, w->skipped_cnt);
	if (!ret)
		ret = probes__attach_maps(t->pr, pid, w, err, sizeof(err));
	if (!ret)
		map_wrappers__log_sites(pid, w);
	else if (!quiet && !(kill(pid, 0) && errno == ESRCH))
		log_warn("%s: mmap, munmap, mremap and brk of PID %d are not followed "
			 "(--mappings=syscalls sees them)", err, pid);
	if (p)
		p->kernel.maps_unfollowed = ret != 0;
	map_wrappers__release(w);
	free(w);
	return ret;
}

/* pid is gone, or exiting (a zombie maps nothing, and forks and execs no more). */
static bool gone(pid_t pid)
{
	char buf[1024];

	if (kill(pid, 0) && errno == ESRCH)
		return true;
	return proc_info__read(pid, "stat", buf, sizeof(buf)) && proc_info__parse_exiting(buf);
}

int targets__gone_error(pid_t pid, int ret, char *err, size_t err_len)
{
	if (gone(pid)) {
		snprintf(err, err_len, "PID %d exited while memvigil was attaching", pid);
		return -ESRCH;
	}
	return ret;
}

/*
 * Register tg and attach its probes; with held (tg is stopped at an exec)
 * only register it: its new image's allocator is not mapped yet, and
 * targets__exec and targets__entry attach it.
 */
static int attach_one(struct targets *t, struct target *tg, const char *cgroup, bool held,
		      char *err, size_t err_len)
{
	bool heap = !t->kernel_only && !held, sampler = false;
	struct allocator *a = calloc(1, sizeof(*a));
	struct sampler_site site = { .object.fd = -1 };
	struct proc *p;
	bool back, fresh;
	int ret;

	if (!a) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	fresh = !model__find(t->model, tg->pid);
	p = model__proc(t->model, tg->pid);
	if (p && fresh)
		p->traced_ms = model__ms(t->model, clock__mono_ns());
	if (!p || model__set_origin(p, tg->ns_pid, tg->parent_pid, cgroup)) {
		snprintf(err, err_len, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	back = p->detached;
	p->detached = false;	/* back in the traced cgroup, if it had left */
	ret = probes__trace_pid(t->pr, tg->pid);
	if (ret) {
		snprintf(err, err_len, "cannot register PID %d: %s", tg->pid, strerror(-ret));
		goto out;
	}
	if (back && !t->kernel_only) {
		ret = probes__reset_calls(t->pr, tg->pid);
		if (ret)
			log_warn("PID %d: cannot clear its threads' call state (%s): a thread that "
				 "was inside an allocator call when it left may go unreported",
				 tg->pid, strerror(-ret));
		ret = 0;
	}
	if (heap) {
		sampler = targets__choose_sampler(t, tg, &site, &ret, err, err_len);
		if (ret)
			goto out;
	}
	if (heap && !sampler) {
		ret = targets__resolve(t, tg->pid, a, err, err_len);
		if (ret)
			goto out;
	}
	ret = symbolizer__capture(t->sym, tg->pid);
	if (ret) {
		snprintf(err, err_len, "cannot read the mappings of PID %d: %s", tg->pid,
			 strerror(-ret));
		goto out;
	}
	if (sampler)
		ret = targets__attach_sampler(t, tg, &site, err, err_len);
	else if (heap)
		ret = targets__attach_heap(t, tg, a, err, err_len);
	else
		targets__refresh_image(t, tg->pid);
	/*
	 * A forked child maps what its traced parent maps until it execs: if
	 * the wrappers are gone, so is that image (see targets__attach).
	 */
	if (!ret && !held &&
	    targets__attach_maps(t, tg->pid, heap && !sampler ? a : NULL, tg->parent_pid != 0) &&
	    tg->parent_pid) {
		snprintf(err, err_len, "PID %d: its mmap-family wrappers are gone", tg->pid);
		ret = -ENOENT;
	}
out:
	if (sampler && !tg->on_sampler)
		sampler_ctl__close(&tg->sampler);	/* kept open only while attached */
	sampler_site__release(&site);
	allocator__release(a);
	free(a);
	return ret;
}

/* A process gone before it could be read is named after its traced parent. */
static void inherit_comm(struct targets *t, pid_t pid, pid_t parent_pid)
{
	struct proc *p = model__find(t->model, pid);
	struct proc *pp = parent_pid ? model__find(t->model, parent_pid) : NULL;

	if (p && !p->comm[0])
		snprintf(p->comm, sizeof(p->comm), "%s", pp ? pp->comm : "?");
}

/*
 * A process that exited while it was being attached is known to the model
 * as exited (its status unknown: no exit record comes for it), so that the
 * report says so and --keep-exited may drop it.
 */
static void mark_gone(struct targets *t, pid_t pid)
{
	struct proc *p = model__find(t->model, pid);

	if (p)
		model__set_exited(t->model, p, -1);
}

int targets__attach(struct targets *t, pid_t pid, pid_t parent_pid, const char *cgroup,
		    uint64_t seen_ns, char *err, size_t err_len)
{
	struct target *tg = target_add(t, pid);
	bool held;
	int ret;

	if (!tg) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	if (tg->state == TARGET_ATTACHED)
		return 0;
	tg->state = TARGET_FAILED;
	tg->gone = false;
	tg->parent_pid = parent_pid;
	tg->seen_ns = seen_ns;
	tg->tried_ns = clock__mono_ns();
	tg->attach_tries++;
	tg->ns_pid = proc_info__ns_pid(pid);
	tg->start_ticks = proc_info__start_ticks(pid);
	held = probes__held(t->pr, pid);
	ret = attach_one(t, tg, cgroup, held, err, err_len);
	if (ret && !held &&
	    (probes__held(t->pr, pid) || (ret == -ENOENT && parent_pid && !gone(pid)))) {
		/*
		 * Its image changed while it was read: it exec'd, or is exec'ing
		 * (a forked child has its parent's allocator until then). The
		 * exec's record attaches it, or targets__recheck does.
		 */
		held = true;
		ret = attach_one(t, tg, cgroup, held, err, err_len);
	}
	if (ret)
		inherit_comm(t, pid, parent_pid);
	if (ret) {
		targets__end_sampler(t, tg);
		probes__detach_pid(t->pr, pid);
		tg->sampler_dev = tg->sampler_ino = 0;
		tg->has_heap = false;
		ret = targets__gone_error(pid, ret, err, err_len);
		if (ret == -ESRCH) {
			tg->gone = true;
			mark_gone(t, pid);
		}
		return ret;
	}
	tg->state = TARGET_ATTACHED;
	tg->attached_ns = clock__mono_ns();
	if (held)
		targets__exec_pending(tg, false);
	return 0;
}

void targets__exited(struct targets *t, pid_t pid, int status)
{
	struct target *tg = targets__find(t, pid);

	(void)status;
	if (!tg || tg->state == TARGET_EXITED)
		return;
	targets__end_sampler(t, tg);
	probes__detach_pid(t->pr, pid);
	tg->sampler_dev = tg->sampler_ino = 0;
	tg->has_heap = false;
	tg->state = TARGET_EXITED;
}

void targets__detach(struct targets *t, pid_t pid)
{
	struct target *tg = targets__find(t, pid);
	struct proc *p = model__find(t->model, pid);

	if (!tg || tg->state == TARGET_EXITED || tg->state == TARGET_DETACHED)
		return;
	targets__end_sampler(t, tg);
	probes__detach_pid(t->pr, pid);
	tg->sampler_dev = tg->sampler_ino = 0;
	tg->has_heap = false;
	tg->state = TARGET_DETACHED;
	if (p)
		p->detached = true;
}

void targets__reap_gone(struct targets *t)
{
	size_t i;

	for (i = 0; i < t->cnt; i++) {
		struct target *tg = &t->items[i];
		bool failed = tg->state == TARGET_FAILED && !tg->retired && !tg->gone;

		if ((tg->state != TARGET_ATTACHED && !failed) || kill(tg->pid, 0) == 0 ||
		    errno != ESRCH)
			continue;
		if (!failed)
			targets__exited(t, tg->pid, 0);
		tg->gone = true;
		mark_gone(t, tg->pid);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void targets__fork_delays(const struct targets *t, size_t *cnt, uint64_t *max_ns,
			  uint64_t *median_ns)
{
	uint64_t *d = calloc(t->cnt ? t->cnt : 1, sizeof(*d));
	size_t i, n = 0;

	*cnt = 0;
	*max_ns = *median_ns = 0;
	if (!d)
		return;
	for (i = 0; i < t->cnt; i++) {
		const struct target *tg = &t->items[i];

		if (tg->parent_pid && tg->attached_ns && tg->attached_ns > tg->seen_ns)
			d[n++] = tg->attached_ns - tg->seen_ns;
	}
	if (n) {
		qsort(d, n, sizeof(*d), cmp_u64);
		*cnt = n;
		*max_ns = d[n - 1];
		*median_ns = d[n / 2];
	}
	free(d);
}

void targets__set_allocator(struct targets *t, const char *allocator)
{
	t->allocator = allocator;
}

void targets__set_kernel_only(struct targets *t, bool kernel_only)
{
	t->kernel_only = kernel_only;
}
