// SPDX-License-Identifier: GPL-2.0
/*
 * targets_exec: a traced process's exec. Its mappings are captured again
 * and its new image's allocator resolved once the dynamic linker has had
 * time to map it; the probes move if the library changed.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/clock.h"
#include "lib/log.h"
#include "target/targets.h"
#include "target/targets_state.h"

/*
 * After an exec the dynamic linker maps the new image's libraries. memvigil
 * looks at its allocator once that has had time (20 ms; the probes in place
 * keep working meanwhile when the library stays the same), then every
 * 200 ms while none is mapped, up to 2 s after the exec.
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
	uint64_t dev[2], ino[2];
	int ret;

	if (!a) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	if (t->kernel_only) {
		tg->exec_pending = false;
		targets__refresh_image(t, tg->pid);
		probes__detach_heap(t->pr, tg->pid);	/* the new image's C library */
		targets__attach_maps(t, tg->pid, NULL);
		ret = 0;
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
		goto out;
	}
	probes__detach_heap(t->pr, tg->pid);
	tg->has_heap = false;
	ret = targets__attach_heap(t, tg, a, err, err_len);
	if (ret)
		ret = targets__gone_error(tg->pid, ret, err, err_len);
	else
		targets__attach_maps(t, tg->pid, a);
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
	targets__refresh_image(t, pid);
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

	for (i = 0; i < targets__cnt(t); i++) {
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

