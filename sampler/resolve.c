// SPDX-License-Identifier: GPL-2.0
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "boot_arena.h"
#include "resolve.h"

/* Inside resolve__all on this thread: dlsym's own allocations use the arena. */
static __thread bool resolving MVS_TLS;

static void *boot_malloc(size_t size);
static void boot_free(void *ptr);
static void *boot_calloc(size_t count, size_t size);
static void *boot_realloc(void *ptr, size_t size);
static void *boot_reallocarray(void *ptr, size_t count, size_t size);
static int boot_posix_memalign(void **out, size_t align, size_t size);
static void *boot_aligned_alloc(size_t align, size_t size);
static void *boot_memalign(size_t align, size_t size);
static void *boot_valloc(size_t size);
static void *boot_pvalloc(size_t size);
static size_t boot_malloc_usable_size(void *ptr);

struct next_fns mvs_next = {
	.malloc = boot_malloc,
	.free = boot_free,
	.calloc = boot_calloc,
	.realloc = boot_realloc,
	.reallocarray = boot_reallocarray,
	.posix_memalign = boot_posix_memalign,
	.aligned_alloc = boot_aligned_alloc,
	.memalign = boot_memalign,
	.valloc = boot_valloc,
	.pvalloc = boot_pvalloc,
	.malloc_usable_size = boot_malloc_usable_size,
};

/* Stand-ins for optional functions the next allocator lacks. */

static void *none_reallocarray(void *ptr, size_t count, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(count, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return NEXT(realloc)(ptr, bytes);
}

static void *none_aligned(size_t align, size_t size)
{
	void *p = NULL;
	int err = NEXT(posix_memalign)(&p, align, size);

	if (err)
		errno = err;
	return err ? NULL : p;
}

static int none_posix_memalign(void **out, size_t align, size_t size)
{
	(void)out;
	(void)align;
	(void)size;
	return ENOMEM;
}

static void *none_valloc(size_t size)
{
	return none_aligned((size_t)sysconf(_SC_PAGESIZE), size);
}

static void *none_pvalloc(size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return none_aligned(page, (size + page - 1) & ~(page - 1));
}

static size_t none_malloc_usable_size(void *ptr)
{
	(void)ptr;
	return 0;
}

static void fatal(const char *what)
{
	static const char msg[] = "libmemvigil-sampler: no next definition of ";
	ssize_t r;

	r = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	r = write(STDERR_FILENO, what, strlen(what));
	r = write(STDERR_FILENO, "\n", 1);
	(void)r;
	abort();
}

/* One pointer of mvs_next: the next definition of name, else fallback (if any). */
static void resolve_one(void **slot, const char *name, void *fallback)
{
	void *fn = dlsym(RTLD_NEXT, name);

	if (!fn)
		fn = fallback;
	if (fn)
		__atomic_store_n(slot, fn, __ATOMIC_RELAXED);
}

void resolve__all(void)
{
	mvs_depth++;
	resolving = true;
	/* malloc and free first: dlsym's own allocations can then be forwarded */
	resolve_one((void **)&mvs_next.malloc, "malloc", NULL);
	resolve_one((void **)&mvs_next.free, "free", NULL);
	resolve_one((void **)&mvs_next.calloc, "calloc", NULL);
	resolve_one((void **)&mvs_next.realloc, "realloc", NULL);
	resolve_one((void **)&mvs_next.reallocarray, "reallocarray", none_reallocarray);
	resolve_one((void **)&mvs_next.posix_memalign, "posix_memalign", none_posix_memalign);
	resolve_one((void **)&mvs_next.aligned_alloc, "aligned_alloc", none_aligned);
	resolve_one((void **)&mvs_next.memalign, "memalign", none_aligned);
	resolve_one((void **)&mvs_next.valloc, "valloc", none_valloc);
	resolve_one((void **)&mvs_next.pvalloc, "pvalloc", none_pvalloc);
	resolve_one((void **)&mvs_next.malloc_usable_size, "malloc_usable_size",
		    none_malloc_usable_size);
	resolving = false;
	mvs_depth--;
	if (NEXT(malloc) == boot_malloc || NEXT(free) == boot_free ||
	    NEXT(calloc) == boot_calloc || NEXT(realloc) == boot_realloc)
		fatal("malloc, free, calloc or realloc");
}

/* name as the object holding caller sees it, unless that is this library's own. */
static void *lookup_in_caller_scope(const char *name, const void *caller)
{
	Dl_info info, self, found;
	void *h, *fn = NULL;

	if (!dladdr(caller, &info) || !info.dli_fname || !info.dli_fname[0] ||
	    !dladdr((void *)resolve__all, &self))
		return NULL;
	h = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
	if (!h)
		return NULL;
	fn = dlsym(h, name);
	if (fn && (!dladdr(fn, &found) || found.dli_fbase == self.dli_fbase))
		fn = NULL;
	dlclose(h);
	return fn;
}

void *resolve__next_pinned(const char *name, const void *caller)
{
	int saved_errno = errno;
	Dl_info info;
	void *fn;

	if (NEXT(malloc) == boot_malloc)
		resolve__all();
	mvs_depth++;	/* what the loader allocates here is the library's, not the program's */
	fn = dlsym(RTLD_NEXT, name);
	if (!fn && caller)
		fn = lookup_in_caller_scope(name, caller);
	if (fn && dladdr(fn, &info) && info.dli_fname && info.dli_fname[0])
		dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
	mvs_depth--;
	errno = saved_errno;
	return fn;
}

/*
 * Start-up functions: the first call resolves everything, then forwards.
 * Calls made by dlsym during that resolution are served from the arena.
 */

static void *boot_malloc(size_t size)
{
	if (resolving)
		return boot_arena__alloc(size, 16);
	resolve__all();
	return NEXT(malloc)(size);
}

static void boot_free(void *ptr)
{
	if (resolving)
		return;		/* not from the arena (entry points check): cannot forward yet */
	resolve__all();
	NEXT(free)(ptr);
}

static void *boot_calloc(size_t count, size_t size)
{
	size_t bytes;

	if (!resolving) {
		resolve__all();
		return NEXT(calloc)(count, size);
	}
	if (__builtin_mul_overflow(count, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return boot_arena__alloc(bytes, 16);
}

static void *boot_realloc(void *ptr, size_t size)
{
	void *p;

	if (!resolving) {
		resolve__all();
		return NEXT(realloc)(ptr, size);
	}
	p = boot_arena__alloc(size, 16);
	if (p && ptr && boot_arena__owns(ptr))
		memcpy(p, ptr, boot_arena__size(ptr) < size ? boot_arena__size(ptr) : size);
	return p;
}

static void *boot_reallocarray(void *ptr, size_t count, size_t size)
{
	size_t bytes;

	if (!resolving) {
		resolve__all();
		return NEXT(reallocarray)(ptr, count, size);
	}
	if (__builtin_mul_overflow(count, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return boot_realloc(ptr, bytes);
}

static int boot_posix_memalign(void **out, size_t align, size_t size)
{
	if (!resolving) {
		resolve__all();
		return NEXT(posix_memalign)(out, align, size);
	}
	*out = boot_arena__alloc(size, align);
	return *out ? 0 : ENOMEM;
}

static void *boot_aligned_alloc(size_t align, size_t size)
{
	if (resolving)
		return boot_arena__alloc(size, align);
	resolve__all();
	return NEXT(aligned_alloc)(align, size);
}

static void *boot_memalign(size_t align, size_t size)
{
	if (resolving)
		return boot_arena__alloc(size, align);
	resolve__all();
	return NEXT(memalign)(align, size);
}

static void *boot_valloc(size_t size)
{
	if (resolving)
		return boot_arena__alloc(size, 4096);
	resolve__all();
	return NEXT(valloc)(size);
}

static void *boot_pvalloc(size_t size)
{
	if (resolving)
		return boot_arena__alloc((size + 4095) & ~(size_t)4095, 4096);
	resolve__all();
	return NEXT(pvalloc)(size);
}

static size_t boot_malloc_usable_size(void *ptr)
{
	if (resolving)
		return 0;
	resolve__all();
	return NEXT(malloc_usable_size)(ptr);
}
