// SPDX-License-Identifier: GPL-2.0
/*
 * dlsym_alloc.so: a dlsym that allocates, as glibc's did before 2.34 (its
 * per-thread error state) and as ThreadSanitizer's interceptor does.
 * Preloaded after libmemvigil-sampler.so, it is the dlsym the library calls
 * while it resolves the next allocator: the calloc and free made here then
 * reach the library before it knows where to forward them, and must be
 * served from its start-up arena. Handle and name go to the C library's
 * dlsym unchanged; RTLD_NEXT then means "after this object", which finds
 * the same definitions as after the library because this object defines no
 * allocator function.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

static void *(*next_dlsym)(void *, const char *);

void *dlsym(void *handle, const char *name)
{
	void *p;

	if (!next_dlsym)
		next_dlsym = (void *(*)(void *, const char *))dlvsym(RTLD_NEXT, "dlsym",
								     "GLIBC_2.34");
	if (!next_dlsym)
		next_dlsym = (void *(*)(void *, const char *))dlvsym(RTLD_NEXT, "dlsym",
								     "GLIBC_2.2.5");
	p = calloc(1, 32 + strlen(name));
	if (p)
		strcpy(p, name);
	free(p);
	return next_dlsym ? next_dlsym(handle, name) : NULL;
}
