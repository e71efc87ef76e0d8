// SPDX-License-Identifier: GPL-2.0
/*
 * targets_exec: a traced process's exec. The new image is held from its
 * exec to its entry point (bpf/proc.bpf.c stops it at both): at the exec a
 * one-shot uprobe is set at the entry point (AT_ENTRY), where every library
 * the program needs is mapped and none of its own code has run; there its
 * allocator is resolved and attached before it runs on. Execs that could
 * not be held fall back to looking at the allocator after a delay.
 */
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/clock.h"
#include "lib/log.h"
#include "procfs/mapped_file.h"
#include "procfs/proc_info.h"
#include "procfs/procmaps.h"
#include "target/targets.h"
#include "target/targets_state.h"

/*
 * Without a hold, the dynamic linker maps the new image's libraries while
 * memvigil reads the exec: it looks at the allocator 20 ms after the exec
 * (the probes in place keep working meanwhile when the library stays the
 * same), then every 200 ms while none is mapped, up to 2 s after the exec.
 */
#define EXEC_FIRST_LOOK_NS (20ull * 1000000)
#define EXEC_RETRY_NS (200ull * 1000000)
#define EXEC_SETTLE_NS (2000ull * 1000000)

void targets__refresh_image(struct targets *t, pid_t pid)
{
	struct proc *p = model__find(t->model, pid);
	char comm[16], exe[PATH_MAX];

	if (!p)
		return;
	targets__read_image(pid, comm, sizeof(comm), exe, sizeof(exe));
	/* Gone already (a zombie has no exe): keep what was known. */
	if (!exe[0])
		return;
	model__set_image(p, comm, exe, p->alloc_lib, p->alloc_kinds);
}

/* Re-resolve tg's allocator; re-attach only if the library changed. */
static int reresolve(struct targets *t, struct target *tg, char *err, size_t err_len)
{
	struct allocator *a = calloc(1, sizeof(*a));
	struct sampler_site site = { .object.fd = -1 };
	uint64_t dev[2], ino[2];
	struct proc *p;
	int ret;

	if (!a) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	if (t->kernel_only) {
		tg->exec_pending = false;
		targets__refresh_image(t, tg->pid);
		probes__detach_heap(t->pr, tg->pid);	/* the new image's C library */
		targets__attach_maps(t, tg->pid, NULL, false);
		ret = 0;
		goto out;
	}
	/* The old image's session went with it; the new one may preload the sampler. */
	targets__end_sampler(t, tg);
	if (targets__choose_sampler(t, tg, &site, &ret, err, err_len) || ret) {
		if (ret)
			goto out;
		tg->exec_pending = false;
		memcpy(dev, &tg->sampler_dev, sizeof(dev[0]));
		memcpy(ino, &tg->sampler_ino, sizeof(ino[0]));
		ret = targets__attach_sampler(t, tg, &site, err, err_len);
		/* links kept (the same library): the mmap-family ones stayed too */
		if (!ret && !(ino[0] && ino[0] == tg->sampler_ino && dev[0] == tg->sampler_dev))
			targets__attach_maps(t, tg->pid, NULL, false);
		goto out;
	}
	ret = targets__resolve(t, tg->pid, a, err, err_len);
	if (ret)
		goto out;
	tg->exec_pending = false;
	allocator__identity(a, dev, ino);
	if (tg->has_heap && dev[0] && !memcmp(dev, tg->lib_dev, sizeof(dev)) &&
	    !memcmp(ino, tg->lib_ino, sizeof(ino))) {
		/* Same libraries: the PID-filtered probes follow the new image. */
		targets__refresh_image(t, tg->pid);
		p = model__find(t->model, tg->pid);
		if (p && p->kernel.maps_unfollowed)	/* read while its image changed */
			targets__attach_maps(t, tg->pid, a, false);
		goto out;
	}
	probes__detach_heap(t->pr, tg->pid);
	tg->has_heap = false;
	ret = targets__attach_heap(t, tg, a, err, err_len);
	if (ret)
		ret = targets__gone_error(tg->pid, ret, err, err_len);
	else
		targets__attach_maps(t, tg->pid, a, false);
out:
	sampler_site__release(&site);
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

/*
 * Set the entry-point uprobe in pid's new image. Returns 0, 1 when the image
 * has no dynamic linker (AT_BASE 0: everything it runs is mapped already),
 * or a negative errno with a reason in err.
 */
static int watch_entry(struct targets *t, pid_t pid, char *err, size_t err_len)
{
	uint64_t entry = proc_info__auxv(pid, AT_ENTRY);
	const struct mv_mapping *m;
	struct procmaps *pm;
	char path[32];
	int fd, ret;

	if (!entry) {
		snprintf(err, err_len, "its auxiliary vector cannot be read");
		return -ESRCH;
	}
	if (!proc_info__auxv(pid, AT_BASE))
		return 1;
	pm = procmaps__read(pid);
	if (!pm) {
		ret = -errno;
		snprintf(err, err_len, "its mappings cannot be read: %s", strerror(errno));
		return ret;
	}
	m = procmaps__find(pm, entry);
	fd = m && m->inode ? mapped_file__open(pid, m) : -ENOENT;
	if (fd < 0) {
		snprintf(err, err_len, "the file of its entry point cannot be opened: %s",
			 mapped_file__strerror(fd));
		ret = fd;
		goto out;
	}
	mapped_file__fd_path(fd, path, sizeof(path));
	ret = probes__watch_entry(t->pr, pid, path, entry - m->start + m->file_offset);
	if (ret)
		snprintf(err, err_len, "cannot attach a uprobe at its entry point: %s",
			 strerror(-ret));
	close(fd);
out:
	procmaps__free(pm);
	return ret;
}

void targets__exec_pending(struct target *tg, bool held)
{
	tg->exec_ns = clock__mono_ns();
	tg->exec_try_ns = 0;
	tg->exec_pending = true;
	tg->exec_held = held;
	tg->entry_watched = false;
}

/* The new image's allocator, attached; a failure is warned of, each time. */
static void attach_new_image(struct targets *t, struct target *tg)
{
	char err[512];

	if (reresolve(t, tg, err, sizeof(err)))
		log_warn("after exec: %s", err);
	tg->exec_pending = false;
}

int targets__exec(struct targets *t, pid_t pid, const struct mv_exec_image *img, uint32_t flags,
		  char *err, size_t err_len)
{
	struct target *tg = targets__find(t, pid);
	int ret;

	/* A capture replaces the old image's; a failed one must not keep it. */
	if (symbolizer__capture(t->sym, pid) && (!img || capture_exec_image(t, pid, img)))
		symbolizer__forget(t->sym, pid);
	if (!tg || tg->state != TARGET_ATTACHED)
		goto release;
	targets__refresh_image(t, pid);
	probes__code_changed(t->pr, pid);
	targets__exec_pending(tg, flags & MV_PROC_HELD);
	ret = watch_entry(t, pid, err, err_len);
	if (ret == 1)
		attach_new_image(t, tg);
	else if (!ret)
		tg->entry_watched = true;
	else
		log_info("PID %d: %s; its new image's allocator is looked for after a delay", pid,
			 err);
release:
	probes__release(t->pr, pid);
	return 0;
}

void targets__entry(struct targets *t, pid_t pid, uint32_t flags)
{
	struct target *tg = targets__find(t, pid);
	int ret;

	(void)flags;
	probes__unwatch_entry(t->pr, pid);
	if (tg && tg->state == TARGET_ATTACHED && tg->exec_pending) {
		tg->entry_watched = false;
		/* Now with the libraries the dynamic linker mapped. */
		ret = symbolizer__capture(t->sym, pid);
		if (ret)
			log_warn("cannot read the mappings of PID %d: %s", pid, strerror(-ret));
		probes__code_changed(t->pr, pid);
		attach_new_image(t, tg);
	}
	probes__release(t->pr, pid);
}

void targets__recheck(struct targets *t, uint64_t now_ns)
{
	char err[512];
	size_t i;
	int ret;

	for (i = 0; i < targets__cnt(t); i++) {
		struct target *tg = &t->items[i];

		/* A held exec waits for its entry point, unless its record was lost. */
		if (tg->state != TARGET_ATTACHED || !tg->exec_pending ||
		    (tg->exec_held && tg->entry_watched && now_ns - tg->exec_ns < EXEC_SETTLE_NS) ||
		    now_ns - tg->exec_ns < EXEC_FIRST_LOOK_NS ||
		    (tg->exec_try_ns && now_ns - tg->exec_try_ns < EXEC_RETRY_NS))
			continue;
		tg->exec_try_ns = now_ns;
		probes__code_changed(t->pr, tg->pid);	/* the libraries mapped by now */
		ret = reresolve(t, tg, err, sizeof(err));
		if (ret == -ENOENT && now_ns - tg->exec_ns < EXEC_SETTLE_NS)
			continue;
		tg->exec_pending = false;
		if (ret)
			log_warn("after exec: %s", err);
	}
}
