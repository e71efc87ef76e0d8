/* SPDX-License-Identifier: GPL-2.0 */
/*
 * squeeze: global memory pressure on purpose, for the kernel-matrix guests
 * only (never the host: it pushes free memory below the min watermark).
 *
 * An initramfs guest has no swap and no block device, so ordinary anon and
 * tmpfs pages cannot be reclaimed. MADV_FREE'd anonymous pages can: the
 * kernel keeps them on the file LRU and drops them when memory runs short.
 * The workload fills most of free memory with such pages, then, as a
 * SCHED_FIFO task (so on a one-CPU guest kswapd mostly cannot reclaim ahead
 * of it), touches enough new memory that its page faults must reclaim them
 * itself: direct reclaim, with mm_vmscan_direct_reclaim_begin/end around
 * each stall. While it runs it turns off, guest-wide, what would give kswapd
 * and khugepaged the CPU or the work (see squeeze.c), and restores them.
 */
#ifndef MEMVIGIL_KMATRIX_SQUEEZE_H
#define MEMVIGIL_KMATRIX_SQUEEZE_H

#include <stdint.h>

/* The kernel command line of a kernel-matrix guest sets this to 1 (init's environment). */
#define SQUEEZE_GUEST_ENV "MEMVIGIL_KMATRIX_GUEST"

struct squeeze_plan {
	uint64_t lazy_bytes;	/* touched, then MADV_FREE'd: what reclaim can take */
	uint64_t touch_bytes;	/* touched afterwards as SCHED_FIFO: needs reclaim */
};

/* True only inside a kernel-matrix guest that opted in on its command line. */
int squeeze__in_guest(void);

/* Sizes from MemFree and min_free_kbytes now. 0 or -errno (-ENOMEM: too little RAM). */
int squeeze__plan(struct squeeze_plan *plan);

/* The sum of the /proc/vmstat counters whose names start with prefix, or -errno. */
int64_t squeeze__vmstat(const char *prefix);

/*
 * Run the plan in this process (no malloc, no stdio). 0, or a positive
 * step number that failed: 1 mmap, 2 madvise. Not being able to become
 * SCHED_FIFO or to set a knob is not an error (kswapd then takes a larger
 * share of the reclaim).
 */
int squeeze__run(const struct squeeze_plan *plan);

#endif
