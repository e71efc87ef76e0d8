/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sampler_ctl: the control object of libmemvigil-sampler.so in one process,
 * read and written through /proc/PID/mem in the order
 * include/memvigil/sampler.h gives (period and lease, then generation, then
 * mode; mode DORMANT first on detach). The descriptor stays bound to the
 * address space it was opened on: once that process exits or execs, writes
 * fail instead of reaching another process that reuses its PID.
 */
#ifndef MV_SAMPLER_CTL_H
#define MV_SAMPLER_CTL_H

#include <stdint.h>
#include <sys/types.h>
#include "memvigil/sampler.h"

struct sampler_ctl {
	int mem_fd;		/* /proc/PID/mem, read-write; -1 when closed */
	uint64_t addr;		/* the control object in the process */
	int64_t clock_offset_ns;	/* the process's CLOCK_MONOTONIC minus ours */
	uint64_t generation;	/* of the session set by sampler_ctl__attach, 0 if none */
	uint64_t lease_end_ns;	/* as written, in the process's clock */
};

/* Open pid's memory; 0 or a negative errno. c->addr is set by the caller. */
int sampler_ctl__open(struct sampler_ctl *c, pid_t pid);
/* Close the descriptor (nothing written). */
void sampler_ctl__close(struct sampler_ctl *c);

/* Read the whole object. 0 or a negative errno. */
int sampler_ctl__read(const struct sampler_ctl *c, struct memvigil_sampler_ctl *out);

/*
 * A generation a process whose control object holds held has not seen:
 * the next one (never 0). Pure.
 */
uint64_t sampler_ctl__next_generation(uint64_t held);
/*
 * Start a session: DORMANT first unless the object says so (a forked child
 * keeps its parent's mode), then period and lease (now + lease_ns), then
 * generation, then mode. period is ignored in MV_SAMPLER_EXACT. 0 or a
 * negative errno.
 */
int sampler_ctl__attach(struct sampler_ctl *c, uint32_t mode, uint64_t period_bytes,
			uint64_t generation, uint64_t lease_ns);
/* Move the lease to now + lease_ns. 0 or a negative errno. */
int sampler_ctl__renew(struct sampler_ctl *c, uint64_t lease_ns);
/* End the session: mode = DORMANT. 0 or a negative errno. */
int sampler_ctl__detach(struct sampler_ctl *c);

/*
 * The offset of CLOCK_MONOTONIC in the text of /proc/PID/timens_offsets
 * ("monotonic SECS NSECS" lines), 0 without one. Pure.
 */
int64_t sampler_ctl__parse_timens(const char *text);

#endif
