/* SPDX-License-Identifier: GPL-2.0 */
/*
 * probes: memvigil's BPF objects in the kernel. Loads the skeleton, attaches
 * heap probes per traced process (never system-wide), and hands ring-buffer
 * records to a callback. probes__free detaches everything.
 */
#ifndef MV_PROBES_H
#define MV_PROBES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "memvigil/events.h"
#include "allocator.h"

struct probes;

typedef int (*probes_record_fn)(void *ctx, void *data, size_t size);

/*
 * Load the BPF objects, attach the process lifecycle tracepoints and set up
 * the ring buffer feeding fn. NULL on failure, with a reason in err.
 */
struct probes *probes__open(probes_record_fn fn, void *ctx, char *err, size_t err_len);
void probes__free(struct probes *pr);

/*
 * Attach the fork tracepoint: from now on a new process forked by a traced
 * one is traced on the BPF side at once and reported as MV_EV_FORK.
 * Returns 0 or a negative errno.
 */
int probes__follow_forks(struct probes *pr);

/* Follow pid's exec and exit. Returns 0 or a negative errno. */
int probes__trace_pid(struct probes *pr, pid_t pid);

/*
 * Attach the heap probes of allocator a in pid. On failure nothing of this
 * pid stays attached; returns a negative errno with a reason in err.
 */
int probes__attach_heap(struct probes *pr, pid_t pid, const struct allocator *a,
			char *err, size_t err_len);

/* Detach pid's heap probes (if any); its fork, exec and exit are still followed. */
void probes__detach_heap(struct probes *pr, pid_t pid);
/* Stop following pid and detach its heap probes (if any). */
void probes__detach_pid(struct probes *pr, pid_t pid);

/* Wait up to timeout_ms for records and consume them; negative errno on failure. */
int probes__poll(struct probes *pr, int timeout_ms);
/* Consume whatever is in the ring buffer without waiting. */
int probes__drain(struct probes *pr);

/* Events lost so far, by enum mv_loss_reason, summed over CPUs. */
void probes__losses(struct probes *pr, uint64_t out[MV_LOSS_CNT]);

#endif
