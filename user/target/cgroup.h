/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgroup: a cgroup directory memvigil traces, on cgroup2 or on a cgroup v1
 * hierarchy (such as the memory controller's): where its hierarchy is
 * mounted (from /proc/self/mountinfo, with the part of the hierarchy the
 * mount shows: a bind mount of a cgroup directory, or a mount made inside a
 * cgroup namespace, has a root other than "/"), which processes it and its
 * descendants hold
 * (cgroup.procs, recursively), and whether a process is inside it
 * (/proc/PID/cgroup).
 */
#ifndef MV_CGROUP_H
#define MV_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Deepest descendant cgroup scanned below the traced one. */
#define MV_CGROUP_MAX_DEPTH 32

struct cgroup_root {
	char path[PATH_MAX];	/* the directory, canonical absolute path */
	char mount[PATH_MAX];	/* mount point of its hierarchy */
	char root[PATH_MAX];	/* the hierarchy's directory shown at mount ("/": all) */
	char rel[PATH_MAX];	/* path inside the hierarchy ("/" for its root), as
				 * /proc/PID/cgroup names it: root + path below mount */
	bool v2;		/* cgroup2, else a v1 hierarchy */
	char options[256];	/* v1: the mount's options (they name its controllers) */
};

/*
 * Find, in the text of /proc/self/mountinfo, the cgroup or cgroup2 mount
 * holding the canonical absolute path, and fill out's mount, root, rel, v2
 * and options (path is copied). Returns 0, -ENOENT when no cgroup mount
 * holds path, or -EXDEV when that mount shows a cgroup outside the reader's
 * cgroup namespace (its root starts with "/..": processes' paths cannot be
 * mapped onto it). Pure.
 */
int cgroup__find_mount(const char *mounts, const char *path, struct cgroup_root *out);

/*
 * The path inside out's hierarchy that a /proc/PID/cgroup text gives for the
 * process, into buf. Returns 0, or -ENOENT if the text names no path in that
 * hierarchy. Pure.
 */
int cgroup__parse_membership(const struct cgroup_root *cg, const char *proc_cgroup,
			     char *buf, size_t len);

/*
 * cg's path relative to the traced cgroup of a path inside the hierarchy
 * ("/" for the cgroup itself, "/a/b" below it), or NULL when hier_path is
 * not in it. Points into hier_path. Pure.
 */
const char *cgroup__relative(const struct cgroup_root *cg, const char *hier_path);

/*
 * Resolve the directory a user gave (--cgroup=PATH) and check that it is a
 * cgroup. Returns 0, or a negative errno with a one-line reason in err
 * (-ENOENT: no such directory; -EINVAL: not a cgroup).
 */
int cgroup__open(const char *path, struct cgroup_root *out, char *err, size_t err_len);

/* Called per process found by a scan, with its cgroup relative to the traced one. */
typedef void (*cgroup_proc_fn)(void *ctx, pid_t pid, const char *rel);

/*
 * Every process in cg and its descendants (down to MV_CGROUP_MAX_DEPTH).
 * Returns 0, or -ENOENT when cg itself is gone (removed).
 */
int cgroup__scan(const struct cgroup_root *cg, cgroup_proc_fn fn, void *ctx);

/*
 * Whether pid is in cg or a descendant now; its relative cgroup into rel.
 * Returns 1, 0 if not (or pid is gone).
 */
int cgroup__holds(const struct cgroup_root *cg, pid_t pid, char *rel, size_t len);

#endif
