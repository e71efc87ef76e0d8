/* SPDX-License-Identifier: GPL-2.0 */
/*
 * targets_state: what the targets module holds, shared by its files:
 * targets.c (the set, attaching and detaching) and targets_exec.c (a traced
 * process's exec, held until its new image's allocator is attached). Only
 * target/ includes it.
 */
#ifndef MV_TARGETS_STATE_H
#define MV_TARGETS_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "model/model.h"
#include "probes/probes.h"
#include "sites/allocator.h"
#include "sites/sampler_site.h"
#include "symbolize/symbolizer.h"
#include "target/targets.h"

struct targets {
	struct alloc_cache *cache;		/* allocators per set of mapped files */
	struct file_refusals *refusals;		/* files of traced processes refused */
	struct map_wrappers_cache *wrappers;	/* mmap-family wrappers per object file */
	struct probes *pr;
	struct model *model;
	struct symbolizer *sym;
	bool at_entry;
	bool kernel_only;	/* no heap probes: kernel signals only */
	const char *allocator;	/* --allocator, NULL to detect */
	pid_t sampler_pid;	/* --preload: the process that must be on the sampler path */
	struct target *items;
	size_t cnt, cap;
};

/* pid's allocator, through the cache; the files it refused are said once. */
int targets__resolve(struct targets *t, pid_t pid, struct allocator *a, char *err,
		     size_t err_len);

/* Attach a's probes in tg's process and record its image in the model. */
int targets__attach_heap(struct targets *t, struct target *tg, const struct allocator *a,
			 char *err, size_t err_len);

/*
 * Attach pid's mmap-family wrapper probes (--mappings=wrappers): the C
 * library's, and those of allocator a (NULL in kernel-only mode) when it
 * interposes its own. A process without any is traced all the same; its
 * mappings are not followed (the model says so), and unless quiet a warning
 * says so too. Returns 0 or the negative errno of the failure.
 */
int targets__attach_maps(struct targets *t, pid_t pid, const struct allocator *a, bool quiet);

/*
 * tg's allocator is to be resolved anew (its image is changing): at its
 * entry point when held says its exec was held and that point is watched,
 * else by targets__recheck.
 */
void targets__exec_pending(struct target *tg, bool held);

/* ret, or -ESRCH with a reason in err when pid exited while it was being attached. */
int targets__gone_error(pid_t pid, int ret, char *err, size_t err_len);

/* pid's comm and executable path ("" when gone) into comm and exe. */
void targets__read_image(pid_t pid, char *comm, size_t comm_len, char *exe, size_t exe_len);

/*
 * The sampler path (targets_sampler.c). Lease: how long the library in a
 * process keeps calling its probes without being renewed, should memvigil
 * die without detaching; renewed when less than the renewal margin is left.
 */
#define TARGETS_SAMPLER_LEASE_NS (30ull * 1000000000)
#define TARGETS_SAMPLER_RENEW_NS (20ull * 1000000000)
/*
 * Find a usable libmemvigil-sampler.so in tg's process: 0 with site filled
 * and tg->sampler open; -ENOENT when the process maps none; another
 * negative errno when it cannot be used (-EPROTO: another ABI version).
 * err says why on failure. Release site with sampler_site__release.
 */
int targets__find_sampler(struct targets *t, struct target *tg, struct sampler_site *site,
			  char *err, size_t err_len);
/*
 * Whether tg's heap is to be seen through the sampler (targets__find_sampler
 * found it; never with --allocator, which names what to probe). When not,
 * *ret is 0 (use the allocator's uprobes; -v, or a warning for a wrong ABI
 * version, says why), or, for the process that targets__require_sampler
 * names, the error with its reason in err.
 */
bool targets__choose_sampler(struct targets *t, struct target *tg, struct sampler_site *site,
			     int *ret, char *err, size_t err_len);
/*
 * Attach the sampler's probes in tg's process (unless those of the same
 * library file are attached already: an exec keeps them) and start a session
 * in its library (exact, or sampled at the model's period), then record the
 * path in the model. 0, or a negative errno with a reason in err (nothing
 * stays attached, the library is dormant).
 */
int targets__attach_sampler(struct targets *t, struct target *tg, const struct sampler_site *site,
			    char *err, size_t err_len);
/* End tg's sampler session, if any: its library dormant, then its probes may go. */
void targets__end_sampler(struct targets *t, struct target *tg);
/* Keep pid's image in the model current after an exec. */
void targets__refresh_image(struct targets *t, pid_t pid);

#endif
