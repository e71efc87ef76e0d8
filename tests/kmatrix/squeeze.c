// SPDX-License-Identifier: GPL-2.0
/* squeeze: push a guest into direct reclaim with MADV_FREE'd pages (see squeeze.h). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "procfs/procmem.h"
#include "squeeze.h"

#define MIB (1ull << 20)
#define PAGE_BYTES 4096ull
#define SLACK_BYTES (64 * MIB)

int squeeze__in_guest(void)
{
	const char *v = getenv(SQUEEZE_GUEST_ENV);

	return v && !strcmp(v, "1");
}

/* The value of "key" (with its colon) in a "key value" file, or -errno. */
static int64_t file_value(const char *path, const char *key)
{
	char buf[8192], *p;
	long n = procmem__read_file(path, buf, sizeof(buf));

	if (n < 0)
		return n;
	if (!key)
		return strtoll(buf, NULL, 10);
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, strlen(key)))
			return strtoll(p + strlen(key), NULL, 10);
	return -ENOENT;
}

int64_t squeeze__vmstat(const char *prefix)
{
	char buf[16384], *p, *sp;
	long n = procmem__read_file("/proc/vmstat", buf, sizeof(buf));
	int64_t sum = 0;
	int found = 0;

	if (n < 0)
		return n;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		sp = strchr(p, ' ');
		if (sp && !strncmp(p, prefix, strlen(prefix))) {
			sum += strtoll(sp + 1, NULL, 10);
			found = 1;
		}
	}
	return found ? sum : -ENOENT;
}

/*
 * The lazy pages leave free a margin of twice the min watermark plus 64 MiB.
 * Touching twice that margin cannot come out of free memory: at least the
 * margin plus the watermark must be reclaimed, and only the lazy pages can
 * give it (there is no swap and no page cache worth the name).
 */
int squeeze__plan(struct squeeze_plan *plan)
{
	int64_t free_kb = file_value("/proc/meminfo", "MemFree:");
	int64_t min_kb = file_value("/proc/sys/vm/min_free_kbytes", NULL);
	uint64_t margin;

	if (free_kb < 0)
		return (int)free_kb;
	if (min_kb < 0)
		return (int)min_kb;
	margin = 2 * (uint64_t)min_kb * 1024 + SLACK_BYTES;
	if ((uint64_t)free_kb * 1024 < 3 * margin)
		return -ENOMEM;
	plan->lazy_bytes = ((uint64_t)free_kb * 1024 - margin) & ~(PAGE_BYTES - 1);
	plan->touch_bytes = 2 * margin;
	return 0;
}

static char *touched(uint64_t bytes)
{
	char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t i;

	if (p == MAP_FAILED)
		return NULL;
	for (i = 0; i < bytes; i += PAGE_BYTES)
		((volatile char *)p)[i] = 1;
	return p;
}

/*
 * What would reclaim in the task's stead: RT throttling (sched_rt_runtime_us)
 * and, from 6.8 on, the fair deadline server (debugfs sched/fair_server) each
 * give normal tasks such as kswapd 5% of every second, enough for kswapd to
 * do most of the reclaim; khugepaged (THP "always", Debian's default)
 * allocates huge pages and reclaims for them whenever the task sleeps.
 * With these off, the touching task is alone on the CPU and reclaims for
 * itself. Knobs a kernel lacks are left alone.
 */
static const struct knob {
	const char *path, *value;
} knobs[] = {
	{ "/proc/sys/kernel/sched_rt_runtime_us", "-1" },
	{ "/sys/kernel/debug/sched/fair_server/cpu0/runtime", "0" },
	{ "/sys/kernel/mm/transparent_hugepage/enabled", "never" },
};

#define KNOBS (sizeof(knobs) / sizeof(knobs[0]))

/* Write val to a /proc/sys, sysfs or debugfs knob: 0 or -errno. */
static int knob_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Set each knob, keeping its old value in saved[i] ("" if it could not be set). */
static void knobs_set(char saved[][64])
{
	char *open_br, *close_br;
	size_t i;

	for (i = 0; i < KNOBS; i++) {
		if (procmem__read_file(knobs[i].path, saved[i], 64) <= 0) {
			saved[i][0] = '\0';
			continue;
		}
		open_br = strchr(saved[i], '[');	/* "[always] madvise never" */
		close_br = open_br ? strchr(open_br, ']') : NULL;
		if (close_br) {
			*close_br = '\0';
			memmove(saved[i], open_br + 1, strlen(open_br + 1) + 1);
		}
		if (knob_write(knobs[i].path, knobs[i].value))
			saved[i][0] = '\0';
	}
}

static void knobs_restore(char saved[][64])
{
	size_t i;

	for (i = KNOBS; i-- > 0;)
		if (saved[i][0])
			knob_write(knobs[i].path, saved[i]);
}

int squeeze__run(const struct squeeze_plan *plan)
{
	struct sched_param rt = { .sched_priority = 1 }, normal = { 0 };
	char *lazy, saved[KNOBS][64];
	int ret = 0;

	knobs_set(saved);
	lazy = touched(plan->lazy_bytes);
	if (!lazy) {
		ret = 1;
		goto out;
	}
	if (madvise(lazy, plan->lazy_bytes, MADV_FREE)) {
		ret = 2;
		goto out;
	}
	sched_setscheduler(0, SCHED_FIFO, &rt);
	if (!touched(plan->touch_bytes))
		ret = 1;
	sched_setscheduler(0, SCHED_OTHER, &normal);
out:
	knobs_restore(saved);
	return ret;
}
