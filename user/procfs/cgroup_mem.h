/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgroup_mem: the memory cgroup of a process and its limit and usage, on
 * cgroup v2 (memory.max, memory.current) or on the v1 memory controller
 * (memory.limit_in_bytes, memory.usage_in_bytes), with the cgroup2
 * memory.pressure file when there is one. Mounts come from /proc/mounts,
 * never from fixed paths. The parsers are pure; cgroup_mem__of reads files.
 */
#ifndef MV_CGROUP_MEM_H
#define MV_CGROUP_MEM_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define CGROUP_NO_LIMIT UINT64_MAX

struct cgroup_mounts {
	char v2[PATH_MAX];		/* cgroup2 mount point, "" if none */
	char v1_memory[PATH_MAX];	/* v1 hierarchy with the memory controller, "" if none */
};

struct cgroup_paths {
	char v2[PATH_MAX];		/* "0::" path, "" if none */
	char v1_memory[PATH_MAX];	/* path in the v1 memory hierarchy, "" if none */
};

struct cgroup_mem {
	int version;			/* 1 or 2: which controller the figures come from; 0 none */
	char dir[PATH_MAX];		/* the memory cgroup's directory */
	uint64_t ino;			/* its inode (the kernel's cgroup id) */
	uint64_t limit_bytes;		/* CGROUP_NO_LIMIT when unlimited */
	uint64_t usage_bytes;
	char pressure_path[PATH_MAX];	/* cgroup2 memory.pressure, "" if none or the root's */
};

/* Parse /proc/mounts text. 0 (mount points may be empty). */
int cgroup_mem__parse_mounts(const char *text, struct cgroup_mounts *out);
/* Parse /proc/PID/cgroup text. 0 (paths may be empty). */
int cgroup_mem__parse_proc_cgroup(const char *text, struct cgroup_paths *out);
/* A limit file's value: a number or "max". 0 or -EINVAL. */
int cgroup_mem__parse_limit(const char *text, uint64_t *out);

/* Read /proc/mounts into *out. 0 or a negative errno. */
int cgroup_mem__read_mounts(struct cgroup_mounts *out);
/*
 * Find pid's memory cgroup under the mounts mnt (cgroup_mem__read_mounts)
 * and read its limit and usage. 0, -ENOENT when no memory controller is
 * mounted, or another negative errno.
 */
int cgroup_mem__of(pid_t pid, const struct cgroup_mounts *mnt, struct cgroup_mem *out);

#endif
