/* SPDX-License-Identifier: GPL-2.0 */
/*
 * query: what a report shows of one process: its sites with outstanding
 * allocations, optionally only those older than a minimum age, sorted by
 * outstanding bytes. Pure: built from the model, no I/O.
 */
#ifndef MV_QUERY_H
#define MV_QUERY_H

#include <stddef.h>
#include <stdint.h>
#include "model/model.h"

struct report_site {
	const struct site *site;
	uint64_t bytes;		/* outstanding, counting only old-enough blocks */
	uint64_t allocs;
	uint32_t oldest_ms;	/* allocation time of its oldest live block */
	double est_bytes;	/* estimates of bytes and allocs (= them when exact) */
	double est_allocs;
	double est_bytes_var;	/* variance of est_bytes (0 when exact) */
};

struct proc_report {
	const struct proc *proc;
	struct report_site *sites;	/* bytes descending */
	size_t cnt;
	uint64_t bytes;			/* sums over sites */
	uint64_t allocs;
	double est_bytes;
	double est_allocs;
};

/* Kernel figures of a group: sums over its processes the kernel side sampled. */
struct group_kernel {
	size_t sampled;			/* processes with at least one kernel sample */
	uint64_t rss_bytes;		/* RSS of those still running and traced */
	int64_t rss_growth_bytes;	/* sum of (last - first sampled RSS) */
	uint64_t anon_mapped_bytes;	/* mappings made while traced, still mapped */
	uint64_t file_mapped_bytes;
	uint64_t faults;		/* minor + major faults since the first sample */
	uint64_t reclaim_stall_ns;
	uint32_t oom_kills;
	const struct proc_kernel *memcg_from;	/* a member that read its memory cgroup, or NULL */
};

/* The processes of one cgroup (path NULL: not tracing a cgroup) and their totals. */
struct proc_group {
	const char *path;
	const struct proc **procs;	/* in the model's order */
	size_t cnt;
	size_t exited, detached;
	struct heap_totals heap;	/* sums; peak_outstanding_bytes is not summed (0) */
	struct group_kernel kernel;
};

/*
 * Group m's processes by cgroup, groups in order of first appearance.
 * Returns 0 or -ENOMEM; release with query__groups_free.
 */
int query__groups(const struct model *m, struct proc_group **out, size_t *cnt);
void query__groups_free(struct proc_group *groups, size_t cnt);

/*
 * Build the report of p at now_ms, counting only blocks allocated at least
 * min_age_ms before now_ms. Returns 0 or -ENOMEM; release with query__release.
 */
int query__build(const struct proc *p, uint32_t now_ms, uint32_t min_age_ms,
		  struct proc_report *out);
void query__release(struct proc_report *r);

#endif
