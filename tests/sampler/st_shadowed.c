// SPDX-License-Identifier: GPL-2.0
/*
 * st_shadowed: an executable that defines malloc, free, calloc and realloc
 * itself comes before any preloaded library in symbol lookup: the library
 * sees none of those calls and says so (MV_SAMPLER_F_SHADOWED), the sign
 * for memvigil to probe the allocator instead. Its own allocations in EXACT
 * mode are not reported.
 */
#include <stddef.h>
#include <stdlib.h>
#include "stress.h"

void *__libc_malloc(size_t size);
void __libc_free(void *p);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);

void *malloc(size_t size)
{
	return __libc_malloc(size);
}

void free(void *p)
{
	__libc_free(p);
}

void *calloc(size_t n, size_t size)
{
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	return __libc_realloc(p, size);
}

int main(void)
{
	struct memvigil_sampler_ctl c0, c1;
	int i;

	stress_init("st_shadowed", 30);
	c0 = stress_ctl();
	if (!(c0.flags & MV_SAMPLER_F_READY) || !(c0.flags & MV_SAMPLER_F_SHADOWED))
		stress_fail("flags %#x: READY and SHADOWED expected", c0.flags);
	stress_attach(MV_SAMPLER_EXACT, 4096, 3);
	for (i = 0; i < 1000; i++)
		free(malloc(100));
	stress_detach();
	c1 = stress_ctl();
	if (c1.alloc_probe_cnt != c0.alloc_probe_cnt)
		stress_fail("%llu allocations reported through a shadowed malloc",
			    (unsigned long long)(c1.alloc_probe_cnt - c0.alloc_probe_cnt));
	stress_note("an executable's own malloc: the library reports itself shadowed");
	return 0;
}
