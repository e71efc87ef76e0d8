/* SPDX-License-Identifier: GPL-2.0 */
/*
 * proc_kernel: the kernel's view of one traced process, as the model keeps
 * it: RSS parts, USS/PSS, page faults, reclaim stalls, its memory cgroup,
 * and the mappings it made while traced. Updated from periodic samples
 * (struct kernel_reading) and from mmap-family records. Pure, no I/O.
 *
 * Rates are per second over the last sample period (about 1 s); all byte
 * figures are bytes, all counts since tracing began unless named _first.
 */
#ifndef MV_PROC_KERNEL_H
#define MV_PROC_KERNEL_H

#include <stdbool.h>
#include <stdint.h>
#include "memvigil/events.h"
#include "model/mappings.h"
#include "procfs/cgroup_mem.h"
#include "procfs/procmem.h"

/* One reading of a process, summed over its threads. */
struct kernel_reading {
	bool has_task;			/* the task iterator saw the process */
	bool has_mm;			/* ... and its mm (RSS, brk, memcg read) */
	uint64_t min_flt;		/* as /proc/PID/stat field 10 */
	uint64_t maj_flt;		/* as /proc/PID/stat field 12 */
	uint64_t rss_pages[MV_RSS_CNT];	/* enum mv_rss_member */
	uint64_t vm_pages;
	uint64_t start_brk, brk;
	struct mv_memcg memcg;
	bool has_kstat;
	struct mv_kstat kstat;		/* the kstats map's counters */
	bool has_smaps;
	struct smaps_rollup smaps;
	bool has_cgroup;
	struct cgroup_mem cgroup;
	bool has_cgroup_psi;
	struct psi cgroup_psi;
};

struct proc_kernel {
	uint32_t samples;		/* samples taken */
	uint32_t sample_ms;		/* time of the latest */
	uint32_t first_ms;		/* time of the first */
	/* RSS from mm's counters (CO-RE), as /proc/PID/status reports them */
	uint64_t rss_bytes[MV_RSS_CNT];	/* file, anon, swap, shmem */
	uint64_t rss_total_bytes;	/* anon + file + shmem (VmRSS) */
	uint64_t rss_first_bytes;	/* at the first sample (baseline) */
	uint64_t rss_peak_bytes;	/* highest rss_total_bytes sampled */
	double rss_rate_bytes_per_s;	/* rss_total_bytes change over the last period */
	uint64_t vm_bytes;		/* VmSize */
	uint64_t brk_bytes;		/* brk heap: brk - start_brk */
	bool maps_unfollowed;		/* --mappings=wrappers found no wrapper to probe in it */
	/* USS/PSS from smaps_rollup */
	bool has_smaps;
	uint64_t uss_bytes, pss_bytes;
	/* faults: task counters (exact, as /proc/PID/stat) and tracepoint counts */
	uint64_t min_flt, maj_flt;
	uint64_t min_flt_first, maj_flt_first;	/* at the first sample */
	uint64_t faults_user, faults_kernel;	/* page_fault_user/_kernel since attach */
	double min_flt_rate, maj_flt_rate;	/* per second */
	double fault_rate;			/* tracepoint faults per second */
	/* stalls in direct and memcg reclaim */
	uint64_t reclaim_ns, reclaim_cnt;
	double reclaim_ns_per_s;
	/* memory cgroup: the kernel's (CO-RE) and the files' view */
	struct mv_memcg memcg;
	bool has_cgroup;
	struct cgroup_mem cgroup;
	bool has_cgroup_psi;
	struct psi cgroup_psi;
	/* mappings made while traced */
	struct mappings maps;
	uint64_t mmaps, munmaps, mremaps, brks;
	uint32_t oom_kills;		/* times it was the OOM victim */
	/* previous sample, for rates */
	uint64_t prev_min_flt, prev_maj_flt, prev_faults, prev_reclaim_ns, prev_rss;
};

void proc_kernel__init(struct proc_kernel *pk);
void proc_kernel__release(struct proc_kernel *pk);
/* Apply a sample taken at now_ms. */
void proc_kernel__sample(struct proc_kernel *pk, const struct kernel_reading *s,
			 uint32_t now_ms, uint64_t page_bytes);
/* Bytes between the memory cgroup's usage and its limit; false when unlimited/unknown. */
bool proc_kernel__limit_headroom(const struct proc_kernel *pk, uint64_t *limit,
				 uint64_t *usage, uint64_t *headroom);

#endif
