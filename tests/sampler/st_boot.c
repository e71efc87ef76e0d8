// SPDX-License-Identifier: GPL-2.0
/*
 * st_boot: the library's start-up with a dlsym that allocates
 * (dlsym_alloc.so preloaded after it). While the library resolves the next
 * allocator, that dlsym's calloc and free reach the library's entry points
 * with nothing to forward them to yet: they are served from the library's
 * start-up arena (arena_bytes counts them) and their frees are dropped.
 * Then every C entry point forwards to the real allocator, in EXACT mode
 * too, with one probe call per allocation and per free.
 *
 *   st_boot
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include "stress.h"

#define ROUNDS 2000

/* Allocate and free through each C entry point: 7 allocations (realloc moves one), 7 frees. */
static void one_round(unsigned int i)
{
	size_t n = 24 + i % 1000;
	void *p[6], *q;
	int k;

	p[0] = malloc(n);
	p[1] = calloc(3, n);
	p[2] = realloc(malloc(n), 2 * n + 4096);	/* a free and an allocation more */
	p[3] = memalign(64, n);
	p[4] = aligned_alloc(64, (n + 63) & ~(size_t)63);
	p[5] = NULL;
	if (posix_memalign(&p[5], 32, n))
		stress_fail("posix_memalign failed");
	for (k = 0; k < 6; k++) {
		if (!p[k])
			stress_fail("allocation %d of round %u failed", k, i);
		memset(p[k], k, n);
		free(p[k]);
	}
	q = malloc(n);
	free(q);
}

int main(void)
{
	struct memvigil_sampler_ctl c0, c1;
	unsigned int i;

	stress_init("st_boot", 60);
	c0 = stress_ctl();
	if (!c0.arena_bytes)
		stress_fail("dlsym allocated nothing from the start-up arena (is dlsym_alloc.so "
			    "preloaded after the library?)");
	stress_attach(MV_SAMPLER_EXACT, 0, 5);
	for (i = 0; i < ROUNDS; i++)
		one_round(i);
	c1 = stress_ctl();
	stress_detach();
	if (c1.alloc_probe_cnt - c0.alloc_probe_cnt != 8ull * ROUNDS ||
	    c1.free_probe_cnt - c0.free_probe_cnt != 8ull * ROUNDS)
		stress_fail("%llu allocs and %llu frees reported, made %u of each",
			    (unsigned long long)(c1.alloc_probe_cnt - c0.alloc_probe_cnt),
			    (unsigned long long)(c1.free_probe_cnt - c0.free_probe_cnt), 8 * ROUNDS);
	if (c1.arena_bytes != c0.arena_bytes)
		stress_fail("the arena served %llu bytes after start-up",
			    (unsigned long long)(c1.arena_bytes - c0.arena_bytes));
	stress_note("%llu bytes from the start-up arena while dlsym resolved; then %u calls of "
		    "each entry point forwarded and reported", (unsigned long long)c0.arena_bytes,
		    ROUNDS);
	return 0;
}
