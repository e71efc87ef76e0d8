// SPDX-License-Identifier: GPL-2.0
/*
 * The C allocator entry points. Dormant, each is one load and branch on the
 * mode before a tail call of the next definition (free, realloc,
 * reallocarray and malloc_usable_size also check whether the block is from
 * the boot arena). Otherwise the outermost call of a thread reports its
 * allocation after the forwarded call returns, and its free before the
 * block is handed back.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "boot_arena.h"
#include "interpose.h"
#include "resolve.h"

#define INTERPOSE MVS_EXPORT
/*
 * The traced half of an entry point: reached by a tail call, so its frame
 * replaces the entry point's and is the only frame of the library when it
 * calls a probe; kept out of line so that the dormant half needs no frame.
 */
#define TRACED static __attribute__((noinline))

TRACED void *malloc_traced(size_t size, uint32_t mode)
{
	void *p;

	interpose__enter();
	p = NEXT(malloc)(size);
	interpose__leave();
	return interpose__allocated(p, size, MV_KIND_MALLOC, mode);
}

INTERPOSE void *malloc(size_t size)
{
	uint32_t mode = trace__mode();

	if (likely(!interpose__traced(mode)))
		return NEXT(malloc)(size);
	return malloc_traced(size, mode);
}

TRACED void free_traced(void *ptr, uint32_t mode)
{
	interpose__freeing(ptr, MV_KIND_FREE, mode);
	interpose__enter();
	NEXT(free)(ptr);
	interpose__leave();
}

INTERPOSE void free(void *ptr)
{
	uint32_t mode = trace__mode();

	if (unlikely(boot_arena__owns(ptr)))
		return;
	if (likely(!interpose__traced(mode)) || !ptr)
		return NEXT(free)(ptr);
	return free_traced(ptr, mode);
}

TRACED void *calloc_traced(size_t count, size_t size, uint32_t mode)
{
	size_t bytes;
	void *p;

	if (__builtin_mul_overflow(count, size, &bytes))
		return NEXT(calloc)(count, size);	/* fails: nothing to report */
	interpose__enter();
	p = NEXT(calloc)(count, size);
	interpose__leave();
	return interpose__allocated(p, bytes, MV_KIND_CALLOC, mode);
}

INTERPOSE void *calloc(size_t count, size_t size)
{
	uint32_t mode = trace__mode();

	if (likely(!interpose__traced(mode)))
		return NEXT(calloc)(count, size);
	return calloc_traced(count, size, mode);
}

/* A block of the boot arena grows: into the next allocator, which then owns it. */
static void *realloc_from_arena(void *ptr, size_t count, size_t size)
{
	size_t old = boot_arena__size(ptr), bytes;
	void *p;

	if (__builtin_mul_overflow(count, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	p = NEXT(malloc)(bytes ? bytes : 1);
	if (p)
		memcpy(p, ptr, old < bytes ? old : bytes);
	return p;
}

/*
 * realloc and reallocarray: the free of the old block is reported before
 * the call (its address may be reused as soon as the call frees it), the
 * new block after it. A product that overflows fails without touching ptr.
 */
TRACED void *realloc_traced(void *ptr, size_t count, size_t size, uint32_t kind, uint32_t mode)
{
	bool old_reported;
	size_t bytes;
	void *p;

	if (__builtin_mul_overflow(count, size, &bytes))
		return NEXT(reallocarray)(ptr, count, size);
	old_reported = ptr && interpose__freeing(ptr, kind, mode);
	interpose__enter();
	if (kind == MV_KIND_REALLOC)
		p = NEXT(realloc)(ptr, size);
	else
		p = NEXT(reallocarray)(ptr, count, size);
	interpose__leave();
	if (!p && bytes && old_reported)
		trace__realloc_failed();	/* ptr is still live */
	return interpose__allocated(p, bytes, kind, mode);
}

INTERPOSE void *realloc(void *ptr, size_t size)
{
	uint32_t mode = trace__mode();

	if (unlikely(boot_arena__owns(ptr)))
		return realloc_from_arena(ptr, 1, size);
	if (likely(!interpose__traced(mode)))
		return NEXT(realloc)(ptr, size);
	return realloc_traced(ptr, 1, size, MV_KIND_REALLOC, mode);
}

INTERPOSE void *reallocarray(void *ptr, size_t count, size_t size)
{
	uint32_t mode = trace__mode();

	if (unlikely(boot_arena__owns(ptr)))
		return realloc_from_arena(ptr, count, size);
	if (likely(!interpose__traced(mode)))
		return NEXT(reallocarray)(ptr, count, size);
	return realloc_traced(ptr, count, size, MV_KIND_REALLOCARRAY, mode);
}

TRACED int posix_memalign_traced(void **out, size_t align, size_t size, uint32_t mode)
{
	int err;

	interpose__enter();
	err = NEXT(posix_memalign)(out, align, size);
	interpose__leave();
	if (!err)
		interpose__allocated(*out, size, MV_KIND_POSIX_MEMALIGN, mode);
	return err;
}

INTERPOSE int posix_memalign(void **out, size_t align, size_t size)
{
	uint32_t mode = trace__mode();

	if (likely(!interpose__traced(mode)))
		return NEXT(posix_memalign)(out, align, size);
	return posix_memalign_traced(out, align, size, mode);
}

/* aligned_alloc, memalign, valloc and pvalloc, told apart by kind. */
TRACED void *aligned_traced(size_t align, size_t size, uint32_t kind, uint32_t mode)
{
	void *p;

	interpose__enter();
	switch (kind) {
	case MV_KIND_ALIGNED_ALLOC:
		p = NEXT(aligned_alloc)(align, size);
		break;
	case MV_KIND_MEMALIGN:
		p = NEXT(memalign)(align, size);
		break;
	case MV_KIND_VALLOC:
		p = NEXT(valloc)(size);
		break;
	default:
		p = NEXT(pvalloc)(size);
		break;
	}
	interpose__leave();
	return interpose__allocated(p, size, kind, mode);
}

INTERPOSE void *aligned_alloc(size_t align, size_t size)
{
	uint32_t mode = trace__mode();

	if (likely(!interpose__traced(mode)))
		return NEXT(aligned_alloc)(align, size);
	return aligned_traced(align, size, MV_KIND_ALIGNED_ALLOC, mode);
}

INTERPOSE void *memalign(size_t align, size_t size)
{
	uint32_t mode = trace__mode();

	if (likely(!interpose__traced(mode)))
		return NEXT(memalign)(align, size);
	return aligned_traced(align, size, MV_KIND_MEMALIGN, mode);
}

INTERPOSE void *valloc(size_t size)
{
	uint32_t mode = trace__mode();

	if (likely(!interpose__traced(mode)))
		return NEXT(valloc)(size);
	return aligned_traced(0, size, MV_KIND_VALLOC, mode);
}

INTERPOSE void *pvalloc(size_t size)
{
	uint32_t mode = trace__mode();

	if (likely(!interpose__traced(mode)))
		return NEXT(pvalloc)(size);
	return aligned_traced(0, size, MV_KIND_PVALLOC, mode);
}

INTERPOSE size_t malloc_usable_size(void *ptr)
{
	if (unlikely(boot_arena__owns(ptr)))
		return boot_arena__size(ptr);
	return NEXT(malloc_usable_size)(ptr);
}

/* This library's own definitions, whatever the global lookup finds first. */
extern __typeof(malloc) own_malloc __attribute__((alias("malloc"), copy(malloc), visibility("hidden")));
extern __typeof(free) own_free __attribute__((alias("free"), copy(free), visibility("hidden")));
extern __typeof(calloc) own_calloc __attribute__((alias("calloc"), copy(calloc), visibility("hidden")));
extern __typeof(realloc) own_realloc __attribute__((alias("realloc"), copy(realloc), visibility("hidden")));

bool interpose__shadowed(void)
{
	return dlsym(RTLD_DEFAULT, "malloc") != (void *)own_malloc ||
	       dlsym(RTLD_DEFAULT, "free") != (void *)own_free ||
	       dlsym(RTLD_DEFAULT, "calloc") != (void *)own_calloc ||
	       dlsym(RTLD_DEFAULT, "realloc") != (void *)own_realloc;
}
