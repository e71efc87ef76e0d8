/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sampler_site: libmemvigil-sampler.so (include/memvigil/sampler.h) in one
 * process: whether the process maps it, where its two probe functions are
 * (file offsets to attach uprobes to) and where its control object is in
 * the process, and whether the library can be used (its ABI version, and
 * flags saying it is ready and sees every allocator call). The library file
 * is opened only through mapped_file__open.
 */
#ifndef MV_SAMPLER_SITE_H
#define MV_SAMPLER_SITE_H

#include <stdint.h>
#include <sys/types.h>
#include "memvigil/sampler.h"
#include "procfs/procmaps.h"
#include "sites/allocator.h"
#include "sites/sampler_ctl.h"

struct sampler_site {
	struct alloc_object object;	/* the library: path, descriptor, attach path */
	uint64_t alloc_offset;		/* file offset of MV_SAMPLER_ALLOC_SYMBOL */
	uint64_t free_offset;		/* file offset of MV_SAMPLER_FREE_SYMBOL */
	uint64_t ctl_addr;		/* the control object in the process */
	struct memvigil_sampler_ctl ctl;	/* as read when found */
};

/* The mapping of the library in pm (its first one), or NULL. Pure. */
const struct mv_mapping *sampler_site__mapping(const struct procmaps *pm);

/*
 * Whether ctl (as read from a process) can be used: 0, or -EPROTO (not the
 * library's object, or another ABI version), -EAGAIN (not ready yet),
 * -EBUSY (shadowed: it does not see every allocator call), with why in
 * words. Pure.
 */
int sampler_site__check_ctl(const struct memvigil_sampler_ctl *ctl, char *why, size_t why_len);

/*
 * Find the library in pid and read its control object through c (opened on
 * pid; c->addr is set to the object's address). 0 when it can be used;
 * -ENOENT (err empty) when pid does not map it; otherwise a negative errno,
 * with why it cannot be used in err. Call sampler_site__release after.
 */
int sampler_site__find(pid_t pid, struct sampler_ctl *c, struct sampler_site *s, char *err,
		       size_t err_len);
/* Close what sampler_site__find left open. */
void sampler_site__release(struct sampler_site *s);

#endif
