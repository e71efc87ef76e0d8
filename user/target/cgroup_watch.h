/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgroup_watch: --cgroup's processes over time. Each scan attaches the
 * processes that entered the cgroup (or its sub-cgroups) since the last one,
 * tries again those found in the middle of an exec, notes moves between
 * sub-cgroups and detaches those that left.
 */
#ifndef MV_CGROUP_WATCH_H
#define MV_CGROUP_WATCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "model/model.h"
#include "probes/probes.h"
#include "target/cgroup.h"
#include "target/targets.h"

/* pid names a new process where a traced one exited (targets__pid_reused). */
typedef void (*cgroup_watch_retire_fn)(void *ctx, pid_t pid);

struct cgroup_watch {
	const char *given;	/* the path as the user gave it */
	struct cgroup_root cg;
	struct targets *targets;
	struct model *model;
	struct probes *probes;
	cgroup_watch_retire_fn retire;
	void *ctx;
	uint64_t last_scan_ns;
	pid_t *seen;		/* processes the current scan found */
	size_t seen_cnt, seen_cap;
	char err[512];		/* a scan's last attach failure */
};

/* Open the cgroup at path (cgroup__open); no BPF needed. 0 or -errno, reason in err. */
int cgroup_watch__open(struct cgroup_watch *w, const char *path, char *err, size_t err_len);

/* The first scan, once the probes are loaded. 0, or -ENOENT with a reason in err. */
int cgroup_watch__start(struct cgroup_watch *w, char *err, size_t err_len);

/* Scan when one is due at now_ns. Returns 0, or -ENOENT once the cgroup is gone. */
int cgroup_watch__poll(struct cgroup_watch *w, uint64_t now_ns);

void cgroup_watch__release(struct cgroup_watch *w);

#endif
