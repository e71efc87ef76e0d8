/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stress: what the stress programs share. They run with libmemvigil-sampler.so
 * preloaded; with the library's test build (STRESS_HOOKS=1 in the
 * environment) its probe functions also call the hooks defined here, which
 * count calls by kind and check, for every call, that the probe was called
 * from the library and that the frame-pointer walk from it starts at an
 * allocation site outside the library (include/memvigil/sampler.h).
 * Hooks never allocate. A program passes by exiting 0; it prints why not.
 */
#ifndef MVS_STRESS_H
#define MVS_STRESS_H

#include <stdbool.h>
#include <stdint.h>
#include "ctl_access.h"
#include "memvigil/events.h"

#ifdef __cplusplus
extern "C" {
#endif

struct stress_hooks {
	uint64_t alloc[MV_KIND_CNT];	/* alloc probe calls by kind */
	uint64_t free[MV_KIND_CNT];
	uint64_t weight_bytes;		/* sum of weight_bytes of alloc calls */
	uint64_t size_bytes;		/* sum of their sizes */
	uint64_t bad_site;		/* not called from the library, or a site inside it */
	uint64_t bad_kind;
	uint64_t bad_generation;	/* generation other than stress_generation (when set) */
	uint64_t bad_weight;		/* weight below size (never right), or != size when exact */
};

extern struct stress_hooks stress_hooks;
extern uint64_t stress_generation;	/* 0: do not check */
extern bool stress_exact;		/* check weight == size */

/* Optional per-call callbacks (called from the hooks; must not allocate). */
extern void (*stress_on_alloc)(void *ptr, uint64_t size, uint64_t weight, uint32_t kind,
			       uint64_t generation);
extern void (*stress_on_free)(void *ptr, uint32_t kind, uint64_t generation);

/* Find the library in this process and end the program after timeout_s seconds. */
void stress_init(const char *name, int timeout_s);

/* In a fork's child: open the child's own /proc/PID/mem (the inherited fd is the parent's). */
void stress_reopen(void);

/*
 * Whether this is the TSan build (STRESS_TSAN=1). TSan starting a thread
 * calls realloc before the thread's TSan state exists; when the library is
 * not dormant that call reaches instrumented code and crashes TSan, so TSan
 * runs create threads only while dormant.
 */
bool stress_under_tsan(void);

/* Whether the hooks are expected to be called (the test build is preloaded). */
bool stress_hooks_expected(void);

void stress_attach(uint32_t mode, uint64_t period, uint64_t generation);
void stress_attach_lease(uint32_t mode, uint64_t period, uint64_t generation,
			 uint64_t lease_end_ns);
void stress_attach_live_max(uint32_t mode, uint64_t period, uint64_t generation,
			    uint32_t live_max);
void stress_detach(void);
struct memvigil_sampler_ctl stress_ctl(void);

uint64_t stress_hook_allocs(void);
uint64_t stress_hook_frees(void);
void stress_hooks_reset(void);

/* Fail unless the hooks saw no bad call. */
void stress_check_hooks(void);

uint64_t stress_now_ns(void);

/* Print "NAME: FAIL: ..." and exit 1. */
__attribute__((noreturn, format(printf, 1, 2))) void stress_fail(const char *fmt, ...);

/* Print "NAME: ..." (progress and the numbers checked). */
__attribute__((format(printf, 1, 2))) void stress_note(const char *fmt, ...);

#ifdef __cplusplus
}
#endif

#endif
