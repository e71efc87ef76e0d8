/* SPDX-License-Identifier: GPL-2.0 */
/*
 * trace: which allocator calls reach the probe functions. Holds the control
 * object memvigil writes (include/memvigil/sampler.h), each thread's byte
 * sampler, and the table of sampled live blocks, and decides per call in the
 * mode the caller read. Never allocates; async-signal-safe.
 */
#ifndef MVS_TRACE_H
#define MVS_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "memvigil/sampler.h"
#include "addr_set.h"

#define MVS_HIDDEN __attribute__((visibility("hidden")))
#define MVS_EXPORT __attribute__((visibility("default")))
#define MVS_TLS __attribute__((tls_model("initial-exec")))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* The control object under a name only the library sees (no GOT load). */
extern struct memvigil_sampler_ctl mvs_ctl MVS_HIDDEN;

/*
 * Calls of the next allocator this thread is inside, made by a non-dormant
 * entry point: a call of ours made while it is nonzero is nested (libstdc++'s
 * operator new calling malloc) and only forwarded.
 */
extern __thread uint32_t mvs_depth MVS_HIDDEN MVS_TLS;

/* One thread's sampler; zero is a valid start (nothing drawn, not seeded). */
struct thread_sampler {
	__u64 left;		/* bytes to the next sample point; 0: draw a gap first */
	uint64_t rng;		/* generator state; 0: not seeded */
	uint64_t generation;	/* session the state belongs to */
	uint32_t fork_epoch;	/* forks seen when the generator was seeded */
	uint32_t lease_calls;	/* EXACT: calls left before the lease is checked again */
	bool lease_over;	/* EXACT: the last lease check found it over */
};

extern __thread struct thread_sampler mvs_thread MVS_HIDDEN MVS_TLS;

/* The table of sampled live blocks; NULL until the first sample. */
extern struct addr_set *mvs_sampled_set MVS_HIDDEN;

/* The mode an entry point acts in: every field it reads later is read after this. */
static inline uint32_t trace__mode(void)
{
	return __atomic_load_n(&mvs_ctl.mode, __ATOMIC_ACQUIRE);
}

/* What the alloc probe is told about a reported allocation. */
struct trace_alloc {
	uint64_t weight_bytes;
	uint64_t generation;
};

/*
 * The common case of an allocation in SAMPLED mode, inline: no sample point
 * in its bytes, in the session the thread's sampler belongs to. True when
 * that is so (its bytes are consumed); false when trace__alloc must decide.
 */
static inline bool trace__alloc_unsampled(size_t size, uint32_t mode)
{
	struct thread_sampler *t = &mvs_thread;
	/* one read and one write: a signal handler's update in between is lost, never torn */
	__u64 left = __atomic_load_n(&t->left, __ATOMIC_RELAXED);

	if (mode != MV_SAMPLER_SAMPLED || size >= left ||
	    t->generation != __atomic_load_n(&mvs_ctl.generation, __ATOMIC_RELAXED))
		return false;
	__atomic_store_n(&t->left, left - size, __ATOMIC_RELAXED);
	return true;
}

/*
 * The common case of a free in SAMPLED mode, inline: the block cannot be a
 * sampled one (no table yet, or both of its buckets empty). False when
 * trace__free must decide.
 */
static inline bool trace__free_unsampled(const void *ptr, uint32_t mode)
{
	struct addr_set *set;

	if (mode != MV_SAMPLER_SAMPLED)
		return false;
	set = __atomic_load_n(&mvs_sampled_set, __ATOMIC_ACQUIRE);
	return !set || !addr_set__may_hold(set, (uintptr_t)ptr);
}

/*
 * A block of size bytes allocated at ptr (non-NULL) by an outermost call
 * made in mode: true when the alloc probe must be called, *out filled.
 */
bool trace__alloc(void *ptr, size_t size, uint32_t mode, struct trace_alloc *out) MVS_HIDDEN;

/*
 * The block at ptr (non-NULL) is about to be freed by an outermost call made
 * in mode: true when the free probe must be called, *generation filled.
 */
bool trace__free(void *ptr, uint32_t mode, uint64_t *generation) MVS_HIDDEN;

/* A realloc failed after the free of its block was reported (counted). */
void trace__realloc_failed(void) MVS_HIDDEN;

/* In a fork's child: threads reseed their generators. */
void trace__fork_child(void) MVS_HIDDEN;

/* Set flag bits (enum mv_sampler_flag) in the control object. */
void trace__set_flags(uint32_t flags) MVS_HIDDEN;

/* Start in mode with period and generation, written in attach order. */
void trace__start(uint32_t mode, uint64_t period, uint64_t generation) MVS_HIDDEN;

#endif
