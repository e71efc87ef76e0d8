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
#include "allocator.h"
#include "log.h"
#include "map_wrappers.h"
#include "mapped_file.h"
#include "procmaps.h"
#include "target.h"
#include "targets.h"

/*
 * After an exec the dynamic linker maps the new image's libraries. memvigil
 * looks at its allocator once that has had time (20 ms; the probes in place
 * keep working meanwhile when the library stays the same), then every
 * 200 ms while none is mapped, up to 2 s after the exec.
 */
#define EXEC_FIRST_LOOK_NS (20ull * 1000000)
#define EXEC_RETRY_NS (200ull * 1000000)
#define EXEC_SETTLE_NS (2000ull * 1000000)

/*
 * Resolving an allocator reads its library and chooses probe sites by
 * decoding its code: milliseconds per process. Processes that map the same
 * files (every process of one program) resolve alike, so the result is kept
 * per set of mapped files, with the library held open: probes attach to it
 * through /proc/self/fd, whichever process first showed it.
 */
struct alloc_cache_entry {
	uint64_t *files;	/* sorted (device, inode) pairs of the mapped files */
	size_t file_cnt;
	struct allocator a;	/* its objects' files held open */
};

/* Files refused (mapped_file.h), said once each: (device, inode) pairs. */
struct skipped_set {
	uint64_t *ids;
	size_t cnt, cap;
};

struct targets {
	struct alloc_cache_entry **cache;
	size_t cache_cnt;
	struct map_wrappers_cache *wrappers;	/* mmap-family wrappers per object file */
	struct probes *pr;
	struct model *model;
	struct symbolizer *sym;
	bool at_entry;
	bool kernel_only;	/* no heap probes: kernel signals only */
	const char *allocator;	/* --allocator, NULL to detect */
	struct target *items;
	size_t cnt, cap;
	struct skipped_set skipped;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

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
	return t;
}

void targets__free(struct targets *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->cache_cnt; i++) {
		allocator__release(&t->cache[i]->a);
		free(t->cache[i]->files);
		free(t->cache[i]);
	}
	free(t->cache);
	free(t->skipped.ids);
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

pid_t targets__parse_ns_pid(const char *status)
{
	const char *line = strstr(status, "\nNSpid:");
	long first = 0, last = 0, v;
	char *end;
	int n;

	if (!line)
		return 0;
	line += strlen("\nNSpid:");
	for (n = 0; n < 64; n++, line = end) {
		while (*line == ' ' || *line == '\t')
			line++;
		v = strtol(line, &end, 10);
		if (end == line)
			break;
		if (!n)
			first = v;
		last = v;
	}
	return n > 1 && last != first && last > 0 ? (pid_t)last : 0;
}

/* The start of /proc/PID/name into buf (len bytes with its NUL); false if unreadable. */
static bool read_proc_file(pid_t pid, const char *name, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return true;
}

static pid_t read_ns_pid(pid_t pid)
{
	char buf[4096];

	buf[0] = '\n';	/* targets__parse_ns_pid looks for "\nNSpid:" */
	if (!read_proc_file(pid, "status", buf + 1, sizeof(buf) - 1))
		return 0;
	return targets__parse_ns_pid(buf);
}

/* Field n (n >= 3) of a /proc/PID/stat text, or NULL if it is cut short. */
static const char *stat_field(const char *stat, int n)
{
	/* comm (field 2) may hold spaces and parentheses: count from the last ')' */
	const char *p = strrchr(stat, ')');
	int field;

	if (!p)
		return NULL;
	p++;
	for (field = 3; field < n; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return NULL;
	}
	return p + 1;
}

static bool stat_number(const char *stat, int n, unsigned long long *out)
{
	const char *p = stat_field(stat, n);
	char *end;

	if (!p)
		return false;
	errno = 0;
	*out = strtoull(p, &end, 10);
	return end != p && !errno && (*end == ' ' || *end == '\n' || !*end);
}

uint64_t targets__parse_start_ticks(const char *stat)
{
	unsigned long long v;

	return stat_number(stat, 22, &v) ? v : 0;
}

#define PF_EXITING_FLAG 0x4	/* include/linux/sched.h */

bool targets__parse_exiting(const char *stat)
{
	unsigned long long flags;

	return stat_number(stat, 9, &flags) && (flags & PF_EXITING_FLAG);
}

static uint64_t read_start_ticks(pid_t pid)
{
	char buf[1024];

	if (!read_proc_file(pid, "stat", buf, sizeof(buf)))
		return 0;
	return targets__parse_start_ticks(buf);
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
	if (read_proc_file(pid, "stat", buf, sizeof(buf))) {
		ticks = targets__parse_start_ticks(buf);
		/*
		 * The exit record comes before the kernel takes the process out
		 * of its cgroup: until then a scan still lists the exited one.
		 */
		if (tg->state == TARGET_EXITED && ticks == tg->start_ticks &&
		    targets__parse_exiting(buf))
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

	target__comm(pid, comm, comm_len);
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, exe, exe_len - 1);
	exe[n > 0 ? n : 0] = '\0';
}

static int cmp_file(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* The sorted, distinct (device, inode) pairs of pid's mapped files; NULL on failure. */
static uint64_t *mapped_files(pid_t pid, size_t *cnt)
{
	struct procmaps *pm = procmaps__read(pid);
	uint64_t *files;
	size_t i, n = 0;

	if (!pm)
		return NULL;
	files = calloc(2 * (pm->cnt + 1), sizeof(*files));
	for (i = 0; files && i < pm->cnt; i++) {
		const struct mv_mapping *m = &pm->maps[i];

		if (!m->inode)
			continue;
		files[2 * n] = ((uint64_t)m->dev_major << 32) | m->dev_minor;
		files[2 * n + 1] = m->inode;
		n++;
	}
	procmaps__free(pm);
	if (!files || !n) {
		free(files);
		return NULL;
	}
	qsort(files, n, 2 * sizeof(*files), cmp_file);
	for (i = 1, *cnt = 1; i < n; i++)
		if (cmp_file(&files[2 * i], &files[2 * (*cnt - 1)]))
			memmove(&files[2 * (*cnt)++], &files[2 * i], 2 * sizeof(*files));
	return files;
}

static struct alloc_cache_entry *cache_find(const struct targets *t, const uint64_t *files,
					    size_t cnt)
{
	size_t i;

	for (i = 0; i < t->cache_cnt; i++)
		if (t->cache[i]->file_cnt == cnt &&
		    !memcmp(t->cache[i]->files, files, 2 * cnt * sizeof(*files)))
			return t->cache[i];
	return NULL;
}

/* Keep a for processes mapping files; takes files. Failure only costs speed. */
static void cache_add(struct targets *t, uint64_t *files, size_t cnt, const struct allocator *a)
{
	struct alloc_cache_entry **grown, *e = malloc(sizeof(*e));

	grown = e ? realloc(t->cache, (t->cache_cnt + 1) * sizeof(*grown)) : NULL;
	if (grown)
		t->cache = grown;
	if (!grown || allocator__copy(&e->a, a)) {
		free(e);
		free(files);
		return;
	}
	e->a.skipped_cnt = 0;	/* said when they were found */
	e->files = files;
	e->file_cnt = cnt;
	t->cache[t->cache_cnt++] = e;
}

/* Whether (dev, ino) was new to set (then added); false also without memory. */
static bool skipped_set__add(struct skipped_set *set, uint64_t dev, uint64_t ino)
{
	uint64_t *grown;
	size_t i;

	for (i = 0; i < set->cnt; i += 2)
		if (set->ids[i] == dev && set->ids[i + 1] == ino)
			return false;
	if (set->cnt + 2 > set->cap) {
		grown = realloc(set->ids, (set->cap ? set->cap * 2 : 16) * sizeof(*grown));
		if (!grown)
			return false;
		set->ids = grown;
		set->cap = set->cap ? set->cap * 2 : 16;
	}
	set->ids[set->cnt++] = dev;
	set->ids[set->cnt++] = ino;
	return true;
}

/* Say each file refused for pid once, and count it (health.files_skipped). */
static void note_skipped(struct targets *t, pid_t pid, const struct skipped_file *s, size_t cnt)
{
	size_t i;

	for (i = 0; i < cnt; i++)
		if (skipped_set__add(&t->skipped, makedev(s[i].dev_major, s[i].dev_minor),
				     s[i].inode))
			log_warn("PID %d: not reading %s: %s; nothing in it is probed or "
				 "symbolized", pid, s[i].path, mapped_file__strerror(s[i].err));
}

size_t targets__files_skipped(const struct targets *t)
{
	return t->skipped.cnt / 2;
}

/* allocator__resolve, answered from the cache when pid maps the same files. */
static int resolve_allocator(struct targets *t, pid_t pid, struct allocator *a,
			     char *err, size_t err_len)
{
	struct alloc_cache_entry *e;
	size_t cnt = 0;
	uint64_t *files = mapped_files(pid, &cnt);
	int ret;

	e = files ? cache_find(t, files, cnt) : NULL;
	if (e) {
		free(files);
		ret = allocator__copy(a, &e->a);
		if (ret)
			snprintf(err, err_len, "cannot hold the allocator's file open: %s",
				 strerror(-ret));
		return ret;
	}
	ret = allocator__resolve(pid, t->allocator, a, t->at_entry, err, err_len);
	note_skipped(t, pid, a->skipped, a->skipped_cnt);
	if (!ret && files)
		cache_add(t, files, cnt, a);
	else
		free(files);
	return ret;
}

static struct target *target_add(struct targets *t, pid_t pid)
{
	struct target *tg = targets__find(t, pid);

	if (tg)
		return tg;
	if (t->cnt == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;

		tg = realloc(t->items, cap * sizeof(*tg));
		if (!tg)
			return NULL;
		t->items = tg;
		t->cap = cap;
	}
	tg = &t->items[t->cnt++];
	memset(tg, 0, sizeof(*tg));
	tg->pid = pid;
	tg->state = TARGET_FAILED;
	return tg;
}

static void log_sites(pid_t pid, const struct allocator *a)
{
	size_t i;

	log_info("PID %d: allocator %s (%s)", pid, a->objects[0].path, a->why);
	for (i = 0; i < a->func_cnt; i++) {
		const struct alloc_func *f = &a->funcs[i];
		const char *obj = strrchr(a->objects[f->object].path, '/');

		obj = obj ? obj + 1 : a->objects[f->object].path;
		if (f->alias_of)
			log_info("  %s:%s (%s) same address as %s, probed once", obj, f->name,
				 allocator__kind_name(f->kind), f->alias_of);
		else
			log_info("  %s:%s (%s%s) probe at +%llu: %s", obj, f->name,
				 allocator__kind_name(f->kind), f->leaf_free ? ", entry only" : "",
				 (unsigned long long)(f->offset - f->entry), f->site_why);
	}
	log_info("PID %d: probing %zu allocator functions in %s%s%s", pid, a->func_cnt,
		 a->objects[0].path, a->object_cnt > 1 ? " and C++ operators in " : "",
		 a->object_cnt > 1 ? a->objects[1].path : "");
}

/* Identity (device, inode) of a's objects, 0 where there is none. */
static void objects_identity(const struct allocator *a, uint64_t dev[2], uint64_t ino[2])
{
	struct stat st;
	size_t i;

	for (i = 0; i < 2; i++) {
		dev[i] = ino[i] = 0;
		if (i < a->object_cnt && fstat(a->objects[i].fd, &st) == 0) {
			dev[i] = st.st_dev;
			ino[i] = st.st_ino;
		}
	}
}

static uint32_t kinds_of(const struct allocator *a)
{
	uint32_t kinds = 0;
	size_t i;

	for (i = 0; i < a->func_cnt; i++)
		kinds |= 1u << a->funcs[i].kind;
	return kinds;
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
	objects_identity(a, tg->lib_dev, tg->lib_ino);
	log_sites(tg->pid, a);
	read_image(tg->pid, comm, sizeof(comm), exe, sizeof(exe));
	p = model__proc(t->model, tg->pid);
	if (!p || model__set_image(p, comm, exe[0] ? exe : NULL, a->objects[0].path,
				   kinds_of(a))) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static void log_map_sites(pid_t pid, const struct map_wrappers *w)
{
	size_t i;

	for (i = 0; i < w->func_cnt; i++) {
		const struct map_wrapper *f = &w->funcs[i];
		const char *obj = strrchr(w->objects[f->object].path, '/');

		log_info("  %s:%s (mmap family) probe at +%llu: %s",
			 obj ? obj + 1 : w->objects[f->object].path, f->name,
			 (unsigned long long)(f->offset - f->entry), f->why);
	}
	log_info("PID %d: following mmap, munmap, mremap and brk through %zu wrappers", pid,
		 w->func_cnt);
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
		note_skipped(t, pid, w->skipped, w->skipped_cnt);
	if (!ret)
		ret = probes__attach_maps(t->pr, pid, w, err, sizeof(err));
	if (!ret)
		log_map_sites(pid, w);
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
	tg->tried_ns = mono_ns();
	tg->attach_tries++;
	tg->ns_pid = read_ns_pid(pid);
	tg->start_ticks = read_start_ticks(pid);
	ret = attach_one(t, tg, cgroup, err, err_len);
	if (ret)
		inherit_comm(t, pid, parent_pid);
	if (ret) {
		probes__detach_pid(t->pr, pid);
		tg->has_heap = false;
		return gone_error(pid, ret, err, err_len);
	}
	tg->state = TARGET_ATTACHED;
	tg->attached_ns = mono_ns();
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
	objects_identity(a, dev, ino);
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
	tg->exec_ns = mono_ns();
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
