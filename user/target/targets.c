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

/*
 * After an exec the dynamic linker maps the new image's libraries. memvigil
 * looks at its allocator once that has had time (20 ms; the probes in place
 * keep working meanwhile when the library stays the same), then every
 * 200 ms while none is mapped, up to 2 s after the exec.
 */
#define EXEC_FIRST_LOOK_NS (20ull * 1000000)
#define EXEC_RETRY_NS (200ull * 1000000)
#define EXEC_SETTLE_NS (2000ull * 1000000)

struct targets {
	struct alloc_cache *cache;		/* allocators per set of mapped files */
	struct file_refusals *refusals;		/* files of traced processes refused */
	struct map_wrappers_cache *wrappers;	/* mmap-family wrappers per object file */
	struct probes *pr;
	struct model *model;
	struct symbolizer *sym;
	bool at_entry;
	bool kernel_only;	/* no heap probes: kernel signals only */
	const char *allocator;	/* --allocator, NULL to detect */
	struct target *items;
	size_t cnt, cap;
};


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
		probes__detach_pid(t->pr, pid);
		tg->has_heap = false;
		tg->state = TARGET_EXITED;
	}
	tg->retired = true;
	key = model__retire(t->model, pid);
	if (key)
		symbolizer__rekey(t->sym, pid, key);
	return key;
}

static void read_image(pid_t pid, char *comm, size_t comm_len, char *exe, size_t exe_len)
{
	char path[64];
	ssize_t n;

	proc_info__comm(pid, comm, comm_len);
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, exe, exe_len - 1);
	exe[n > 0 ? n : 0] = '\0';
}

/* pid's allocator, through the cache; the files it refused said once. */
static int resolve_allocator(struct targets *t, pid_t pid, struct allocator *a,
			     char *err, size_t err_len)
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
	return tg;
}

/* Attach a's probes in tg's process and record its image in the model. */
static int attach_heap(struct targets *t, struct target *tg, const struct allocator *a,
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
	read_image(tg->pid, comm, sizeof(comm), exe, sizeof(exe));
	p = model__proc(t->model, tg->pid);
	if (!p || model__set_image(p, comm, exe[0] ? exe : NULL, a->objects[0].path,
				   allocator__kinds(a))) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/*
 * Attach pid's mmap-family wrapper probes (--mappings=wrappers): the C
 * library's, and those of allocator a (NULL in kernel-only mode) when it
 * interposes its own. A process without any is traced all the same; its
 * mappings are not followed, and a warning says so.
 */
static void attach_maps(struct targets *t, pid_t pid, const struct allocator *a)
{
	const char *via = probes__mappings_via(t->pr);
	struct proc *p = model__find(t->model, pid);
	struct map_wrappers *w;
	char err[512];
	int ret = -ENOMEM;

	if (!via || strcmp(via, "wrappers"))
		return;
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
	else if (!(kill(pid, 0) && errno == ESRCH))
		log_warn("%s: mmap, munmap, mremap and brk of PID %d are not followed "
			 "(--mappings=syscalls sees them)", err, pid);
	if (p)
		p->kernel.maps_unfollowed = ret != 0;
	map_wrappers__release(w);
	free(w);
}

/* A process that exited before it could be attached gives ESRCH or ENOENT. */
static int gone_error(pid_t pid, int ret, char *err, size_t err_len)
{
	if (kill(pid, 0) && errno == ESRCH) {
		snprintf(err, err_len, "PID %d exited while memvigil was attaching", pid);
		return -ESRCH;
	}
	return ret;
}

static void refresh_image(struct targets *t, pid_t pid);

static int attach_one(struct targets *t, struct target *tg, const char *cgroup,
		      char *err, size_t err_len)
{
	struct allocator *a = calloc(1, sizeof(*a));
	struct proc *p;
	bool back;
	int ret;

	if (!a) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	p = model__proc(t->model, tg->pid);
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
	if (!t->kernel_only) {
		ret = resolve_allocator(t, tg->pid, a, err, err_len);
		if (ret)
			goto out;
	}
	ret = symbolizer__capture(t->sym, tg->pid);
	if (ret) {
		snprintf(err, err_len, "cannot read the mappings of PID %d: %s", tg->pid,
			 strerror(-ret));
		goto out;
	}
	if (t->kernel_only)
		refresh_image(t, tg->pid);
	else
		ret = attach_heap(t, tg, a, err, err_len);
	if (!ret)
		attach_maps(t, tg->pid, t->kernel_only ? NULL : a);
out:
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

int targets__attach(struct targets *t, pid_t pid, pid_t parent_pid, const char *cgroup,
		    uint64_t seen_ns, char *err, size_t err_len)
{
	struct target *tg = target_add(t, pid);
	int ret;

	if (!tg) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	if (tg->state == TARGET_ATTACHED)
		return 0;
	tg->state = TARGET_FAILED;
	tg->parent_pid = parent_pid;
	tg->seen_ns = seen_ns;
	tg->tried_ns = clock__mono_ns();
	tg->attach_tries++;
	tg->ns_pid = proc_info__ns_pid(pid);
	tg->start_ticks = proc_info__start_ticks(pid);
	ret = attach_one(t, tg, cgroup, err, err_len);
	if (ret)
		inherit_comm(t, pid, parent_pid);
	if (ret) {
		probes__detach_pid(t->pr, pid);
		tg->has_heap = false;
		return gone_error(pid, ret, err, err_len);
	}
	tg->state = TARGET_ATTACHED;
	tg->attached_ns = clock__mono_ns();
	return 0;
}

/* Keep tg's image in the model current after an exec. */
static void refresh_image(struct targets *t, pid_t pid)
{
	struct proc *p = model__find(t->model, pid);
	char comm[16], exe[PATH_MAX];

	if (!p)
		return;
	read_image(pid, comm, sizeof(comm), exe, sizeof(exe));
	/* Gone already (a zombie has no exe): keep what was known. */
	if (!exe[0])
		return;
	model__set_image(p, comm, exe, p->alloc_lib, p->alloc_kinds);
}

/* Re-resolve tg's allocator; re-attach only if the library changed. */
static int reresolve(struct targets *t, struct target *tg, char *err, size_t err_len)
{
	struct allocator *a = calloc(1, sizeof(*a));
	uint64_t dev[2], ino[2];
	int ret;

	if (!a) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	if (t->kernel_only) {
		tg->exec_pending = false;
		refresh_image(t, tg->pid);
		probes__detach_heap(t->pr, tg->pid);	/* the new image's C library */
		attach_maps(t, tg->pid, NULL);
		ret = 0;
		goto out;
	}
	ret = resolve_allocator(t, tg->pid, a, err, err_len);
	if (ret)
		goto out;
	tg->exec_pending = false;
	allocator__identity(a, dev, ino);
	if (tg->has_heap && dev[0] && !memcmp(dev, tg->lib_dev, sizeof(dev)) &&
	    !memcmp(ino, tg->lib_ino, sizeof(ino))) {
		/* Same libraries: the PID-filtered probes follow the new image. */
		refresh_image(t, tg->pid);
		goto out;
	}
	probes__detach_heap(t->pr, tg->pid);
	tg->has_heap = false;
	ret = attach_heap(t, tg, a, err, err_len);
	if (ret)
		ret = gone_error(tg->pid, ret, err, err_len);
	else
		attach_maps(t, tg->pid, a);
out:
	allocator__release(a);
	free(a);
	return ret;
}

/*
 * pid is gone already: symbolize its new image from the mapping the kernel
 * reported. Runs while the old image's capture still holds its binaries open
 * (a program that execs itself finds its file there). Returns 0 or -ENOENT.
 */
static int capture_exec_image(struct targets *t, pid_t pid, const struct mv_exec_image *img)
{
	char path[MV_EXEC_FILENAME_LEN];
	struct mv_mapping m = {
		.start = img->start, .end = img->end, .file_offset = img->file_offset,
		.inode = img->ino, .dev_major = img->dev_major, .dev_minor = img->dev_minor,
		.perms = "r-xp", .path = path,
	};

	if (!img->ino || img->end <= img->start)
		return -ENOENT;
	snprintf(path, sizeof(path), "%.*s", (int)sizeof(img->filename), img->filename);
	if (symbolizer__capture_mapping(t->sym, pid, &m))
		return -ENOENT;
	log_info("PID %d was gone when its exec was read: its code is symbolized from "
		 "the exec record (%s)", pid, path);
	return 0;
}

int targets__exec(struct targets *t, pid_t pid, const struct mv_exec_image *img,
		  char *err, size_t err_len)
{
	struct target *tg = targets__find(t, pid);

	(void)err;
	(void)err_len;
	/* A capture replaces the old image's; a failed one must not keep it. */
	if (symbolizer__capture(t->sym, pid) && (!img || capture_exec_image(t, pid, img)))
		symbolizer__forget(t->sym, pid);
	if (!tg || tg->state != TARGET_ATTACHED)
		return 0;
	refresh_image(t, pid);
	tg->exec_ns = clock__mono_ns();
	tg->exec_try_ns = 0;
	tg->exec_pending = true;	/* targets__recheck resolves it */
	return 0;
}

void targets__recheck(struct targets *t, uint64_t now_ns)
{
	char err[512];
	size_t i;
	int ret;

	for (i = 0; i < t->cnt; i++) {
		struct target *tg = &t->items[i];

		if (tg->state != TARGET_ATTACHED || !tg->exec_pending ||
		    now_ns - tg->exec_ns < EXEC_FIRST_LOOK_NS ||
		    (tg->exec_try_ns && now_ns - tg->exec_try_ns < EXEC_RETRY_NS))
			continue;
		tg->exec_try_ns = now_ns;
		ret = reresolve(t, tg, err, sizeof(err));
		if (ret == -ENOENT && now_ns - tg->exec_ns < EXEC_SETTLE_NS)
			continue;
		tg->exec_pending = false;
		if (ret)
			log_warn("after exec: %s", err);
	}
}

void targets__exited(struct targets *t, pid_t pid, int status)
{
	struct target *tg = targets__find(t, pid);

	(void)status;
	if (!tg || tg->state == TARGET_EXITED)
		return;
	probes__detach_pid(t->pr, pid);
	tg->has_heap = false;
	tg->state = TARGET_EXITED;
}

void targets__detach(struct targets *t, pid_t pid)
{
	struct target *tg = targets__find(t, pid);
	struct proc *p = model__find(t->model, pid);

	if (!tg || tg->state == TARGET_EXITED || tg->state == TARGET_DETACHED)
		return;
	probes__detach_pid(t->pr, pid);
	tg->has_heap = false;
	tg->state = TARGET_DETACHED;
	if (p)
		p->detached = true;
}

void targets__reap_gone(struct targets *t)
{
	struct proc *p;
	size_t i;

	for (i = 0; i < t->cnt; i++) {
		struct target *tg = &t->items[i];

		if (tg->state != TARGET_ATTACHED || kill(tg->pid, 0) == 0 || errno != ESRCH)
			continue;
		targets__exited(t, tg->pid, 0);
		p = model__find(t->model, tg->pid);
		if (p && !p->exited) {
			p->exited = true;
			p->exit_status = -1;	/* unknown: neither exit code nor signal */
		}
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
