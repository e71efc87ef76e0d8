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
