// SPDX-License-Identifier: GPL-2.0
/*
 * The C++ operators new and delete, every standard form, interposed by
 * their mangled names and forwarded to the next definition (libstdc++'s,
 * or an allocator's own such as tcmalloc's). libstdc++'s operator new calls
 * malloc: that call is nested and not reported again.
 *
 * A traced throwing operator new calls the next nothrow form (libstdc++'s
 * calls the throwing one inside a try, so the new_handler loop still runs)
 * and throws std::bad_alloc itself when that returns NULL, after its depth
 * is restored: no exception ever unwinds through a frame that must clean up,
 * so the library needs no unwinder (no libgcc_s). A new_handler's own
 * exception type reaches the caller as std::bad_alloc on that path.
 *
 * The next definitions are looked up at start-up, and on first use for
 * operators that appear later (a C program dlopening a C++ library); the
 * object defining them is pinned so that the pointers never dangle. When
 * the global scope has none after this library (a C program that dlopened
 * a C++ library RTLD_LOCAL, as Python does its extensions), the first
 * caller's own scope gives it. Only if that has none either do the
 * operators fall back on malloc and free, and a throwing operator new that
 * gets no memory then aborts.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include "interpose.h"
#include "resolve.h"

#define INTERPOSE MVS_EXPORT

enum cxx_op {
	NEW, NEW_NT, NEW_AL, NEW_AL_NT,
	NEW_ARR, NEW_ARR_NT, NEW_ARR_AL, NEW_ARR_AL_NT,
	DEL, DEL_SZ, DEL_NT, DEL_AL, DEL_SZ_AL, DEL_AL_NT,
	DEL_ARR, DEL_ARR_SZ, DEL_ARR_NT, DEL_ARR_AL, DEL_ARR_SZ_AL, DEL_ARR_AL_NT,
	CXX_OP_CNT,
};

static const char *const op_names[CXX_OP_CNT] = {
	[NEW] = "_Znwm",
	[NEW_NT] = "_ZnwmRKSt9nothrow_t",
	[NEW_AL] = "_ZnwmSt11align_val_t",
	[NEW_AL_NT] = "_ZnwmSt11align_val_tRKSt9nothrow_t",
	[NEW_ARR] = "_Znam",
	[NEW_ARR_NT] = "_ZnamRKSt9nothrow_t",
	[NEW_ARR_AL] = "_ZnamSt11align_val_t",
	[NEW_ARR_AL_NT] = "_ZnamSt11align_val_tRKSt9nothrow_t",
	[DEL] = "_ZdlPv",
	[DEL_SZ] = "_ZdlPvm",
	[DEL_NT] = "_ZdlPvRKSt9nothrow_t",
	[DEL_AL] = "_ZdlPvSt11align_val_t",
	[DEL_SZ_AL] = "_ZdlPvmSt11align_val_t",
	[DEL_AL_NT] = "_ZdlPvSt11align_val_tRKSt9nothrow_t",
	[DEL_ARR] = "_ZdaPv",
	[DEL_ARR_SZ] = "_ZdaPvm",
	[DEL_ARR_NT] = "_ZdaPvRKSt9nothrow_t",
	[DEL_ARR_AL] = "_ZdaPvSt11align_val_t",
	[DEL_ARR_SZ_AL] = "_ZdaPvmSt11align_val_t",
	[DEL_ARR_AL_NT] = "_ZdaPvSt11align_val_tRKSt9nothrow_t",
};

/* The argument lists an operator takes after its size or pointer. */
enum cxx_shape { SHAPE_PLAIN, SHAPE_NT, SHAPE_AL, SHAPE_AL_NT, SHAPE_SZ, SHAPE_SZ_AL };

static MVS_INLINE enum cxx_shape shape_of(enum cxx_op op)
{
	switch (op) {
	case NEW_NT: case NEW_ARR_NT: case DEL_NT: case DEL_ARR_NT:
		return SHAPE_NT;
	case NEW_AL: case NEW_ARR_AL: case DEL_AL: case DEL_ARR_AL:
		return SHAPE_AL;
	case NEW_AL_NT: case NEW_ARR_AL_NT: case DEL_AL_NT: case DEL_ARR_AL_NT:
		return SHAPE_AL_NT;
	case DEL_SZ: case DEL_ARR_SZ:
		return SHAPE_SZ;
	case DEL_SZ_AL: case DEL_ARR_SZ_AL:
		return SHAPE_SZ_AL;
	default:
		return SHAPE_PLAIN;
	}
}

static MVS_INLINE uint32_t kind_of(enum cxx_op op)
{
	if (op <= NEW_AL_NT)
		return MV_KIND_OPERATOR_NEW;
	if (op <= NEW_ARR_AL_NT)
		return MV_KIND_OPERATOR_NEW_ARRAY;
	if (op <= DEL_AL_NT)
		return MV_KIND_OPERATOR_DELETE;
	return MV_KIND_OPERATOR_DELETE_ARRAY;
}

/* Stand-ins when an operator has no next definition. */

static void *fallback_new(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		abort();	/* cannot throw std::bad_alloc from here */
	return p;
}

static void *fallback_new_nt(size_t size, const void *nt)
{
	(void)nt;
	return malloc(size ? size : 1);
}

static void *fallback_new_al_nt(size_t size, size_t align, const void *nt)
{
	void *p = NULL;

	(void)nt;
	if (align < sizeof(void *))
		align = sizeof(void *);
	return posix_memalign(&p, align, size ? size : 1) ? NULL : p;
}

static void *fallback_new_al(size_t size, size_t align)
{
	void *p = fallback_new_al_nt(size, align, NULL);

	if (!p)
		abort();
	return p;
}

static void fallback_del(void *p)
{
	free(p);
}

static void fallback_del_2(void *p, size_t size_or_align)
{
	(void)size_or_align;
	free(p);
}

static void fallback_del_nt(void *p, const void *nt)
{
	(void)nt;
	free(p);
}

static void fallback_del_3(void *p, size_t a, size_t b)
{
	(void)a;
	(void)b;
	free(p);
}

static void fallback_del_al_nt(void *p, size_t align, const void *nt)
{
	(void)align;
	(void)nt;
	free(p);
}

static void *fallback_of(enum cxx_op op)
{
	bool is_new = op <= NEW_ARR_AL_NT;

	switch (shape_of(op)) {
	case SHAPE_NT:
		return is_new ? (void *)fallback_new_nt : (void *)fallback_del_nt;
	case SHAPE_AL:
		return is_new ? (void *)fallback_new_al : (void *)fallback_del_2;
	case SHAPE_AL_NT:
		return is_new ? (void *)fallback_new_al_nt : (void *)fallback_del_al_nt;
	case SHAPE_SZ:
		return (void *)fallback_del_2;
	case SHAPE_SZ_AL:
		return (void *)fallback_del_3;
	default:
		return is_new ? (void *)fallback_new : (void *)fallback_del;
	}
}

static void *next_ops[CXX_OP_CNT];

static __attribute__((noinline)) void *resolve_op(enum cxx_op op, const void *caller)
{
	void *fn = resolve__next_pinned(op_names[op], caller);

	if (!fn)
		fn = fallback_of(op);
	__atomic_store_n(&next_ops[op], fn, __ATOMIC_RELAXED);
	return fn;
}

/* The next definition of op; caller: the code that called the operator. */
static MVS_INLINE void *next_op(enum cxx_op op, const void *caller)
{
	void *fn = __atomic_load_n(&next_ops[op], __ATOMIC_RELAXED);

	return likely(fn) ? fn : resolve_op(op, caller);
}

void interpose__resolve_cxx(void)
{
	int op;

	if (!resolve__next_pinned(op_names[NEW], NULL))
		return;		/* no C++ runtime yet: each operator resolves at its first call */
	for (op = 0; op < CXX_OP_CNT; op++)
		if (!__atomic_load_n(&next_ops[op], __ATOMIC_RELAXED))
			resolve_op(op, NULL);
}

static MVS_INLINE void *new_call_fn(void *fn, enum cxx_op op, size_t size, size_t align,
				    const void *nt)
{
	switch (shape_of(op)) {
	case SHAPE_NT:
		return ((void *(*)(size_t, const void *))fn)(size, nt);
	case SHAPE_AL:
		return ((void *(*)(size_t, size_t))fn)(size, align);
	case SHAPE_AL_NT:
		return ((void *(*)(size_t, size_t, const void *))fn)(size, align, nt);
	default:
		return ((void *(*)(size_t))fn)(size);
	}
}

static MVS_INLINE void delete_call_fn(void *fn, enum cxx_op op, void *p, size_t size,
				      size_t align, const void *nt)
{
	switch (shape_of(op)) {
	case SHAPE_NT:
		((void (*)(void *, const void *))fn)(p, nt);
		break;
	case SHAPE_AL:
		((void (*)(void *, size_t))fn)(p, align);
		break;
	case SHAPE_AL_NT:
		((void (*)(void *, size_t, const void *))fn)(p, align, nt);
		break;
	case SHAPE_SZ:
		((void (*)(void *, size_t))fn)(p, size);
		break;
	case SHAPE_SZ_AL:
		((void (*)(void *, size_t, size_t))fn)(p, size, align);
		break;
	default:
		((void (*)(void *))fn)(p);
		break;
	}
}

/* The nothrow form of a new operator (itself for the nothrow ones). */
static MVS_INLINE enum cxx_op nothrow_form(enum cxx_op op)
{
	switch (op) {
	case NEW:
		return NEW_NT;
	case NEW_AL:
		return NEW_AL_NT;
	case NEW_ARR:
		return NEW_ARR_NT;
	case NEW_ARR_AL:
		return NEW_ARR_AL_NT;
	default:
		return op;
	}
}

/* Stands for std::nothrow, which the nothrow forms never read. */
static const char nothrow_tag;

static void *bad_alloc_thrower;

/*
 * Throw std::bad_alloc with the C++ runtime the caller (the operator's
 * caller) sees, found at the first failure. The exception object it
 * allocates is the program's, as without this library.
 */
static __attribute__((noreturn, noinline)) void throw_bad_alloc(const void *caller)
{
	void *thrower = __atomic_load_n(&bad_alloc_thrower, __ATOMIC_RELAXED);

	if (!thrower)
		thrower = resolve__next_pinned("_ZSt17__throw_bad_allocv", caller);
	if (!thrower)	/* libc++ */
		thrower = resolve__next_pinned("_ZNSt3__117__throw_bad_allocEv", caller);
	if (!thrower)
		abort();
	__atomic_store_n(&bad_alloc_thrower, thrower, __ATOMIC_RELAXED);
	((void (*)(void))thrower)();
	abort();
}

/*
 * The slow half of new_entry, reached by a tail call (as in interpose.c):
 * resolves the operator on its first call, and reports when traced.
 */
static __attribute__((noinline)) void *new_slow(enum cxx_op op, size_t size, size_t align,
						const void *nt, uint32_t mode)
{
	const void *caller = __builtin_return_address(0);	/* the operator's caller */
	enum cxx_op form = nothrow_form(op);
	void *p;

	if (!interpose__traced(mode))
		return new_call_fn(next_op(op, caller), op, size, align, nt);
	interpose__enter();
	p = new_call_fn(next_op(form, caller), form, size, align, nt ? nt : &nothrow_tag);
	interpose__leave();
	if (unlikely(!p) && form != op)
		throw_bad_alloc(caller);
	return interpose__allocated(p, size, kind_of(op), mode);
}

/* Dormant with the operator resolved: one more load and test than malloc. */
static MVS_INLINE void *new_entry(enum cxx_op op, size_t size, size_t align, const void *nt)
{
	uint32_t mode = trace__mode();
	void *fn = __atomic_load_n(&next_ops[op], __ATOMIC_RELAXED);

	if (likely(fn && !interpose__traced(mode)))
		return new_call_fn(fn, op, size, align, nt);
	return new_slow(op, size, align, nt, mode);
}

static __attribute__((noinline)) void delete_slow(enum cxx_op op, void *p, size_t size,
						  size_t align, const void *nt, uint32_t mode)
{
	void *fn = next_op(op, __builtin_return_address(0));

	if (!interpose__traced(mode) || !p)
		return delete_call_fn(fn, op, p, size, align, nt);
	interpose__freeing(p, kind_of(op), mode);
	interpose__enter();
	delete_call_fn(fn, op, p, size, align, nt);
	interpose__leave();
}

static MVS_INLINE void delete_entry(enum cxx_op op, void *p, size_t size, size_t align,
				    const void *nt)
{
	uint32_t mode = trace__mode();
	void *fn = __atomic_load_n(&next_ops[op], __ATOMIC_RELAXED);

	if (likely(fn && !interpose__traced(mode)))
		return delete_call_fn(fn, op, p, size, align, nt);
	return delete_slow(op, p, size, align, nt, mode);
}

/* operator new, new[]: (size), (size, nothrow), (size, align), (size, align, nothrow) */

INTERPOSE void *_Znwm(size_t size)
{
	return new_entry(NEW, size, 0, NULL);
}

INTERPOSE void *_ZnwmRKSt9nothrow_t(size_t size, const void *nt)
{
	return new_entry(NEW_NT, size, 0, nt);
}

INTERPOSE void *_ZnwmSt11align_val_t(size_t size, size_t align)
{
	return new_entry(NEW_AL, size, align, NULL);
}

INTERPOSE void *_ZnwmSt11align_val_tRKSt9nothrow_t(size_t size, size_t align, const void *nt)
{
	return new_entry(NEW_AL_NT, size, align, nt);
}

INTERPOSE void *_Znam(size_t size)
{
	return new_entry(NEW_ARR, size, 0, NULL);
}

INTERPOSE void *_ZnamRKSt9nothrow_t(size_t size, const void *nt)
{
	return new_entry(NEW_ARR_NT, size, 0, nt);
}

INTERPOSE void *_ZnamSt11align_val_t(size_t size, size_t align)
{
	return new_entry(NEW_ARR_AL, size, align, NULL);
}

INTERPOSE void *_ZnamSt11align_val_tRKSt9nothrow_t(size_t size, size_t align, const void *nt)
{
	return new_entry(NEW_ARR_AL_NT, size, align, nt);
}

/* operator delete, delete[]: (p), (p, size), (p, nothrow), (p, align), (p, size, align),
 * (p, align, nothrow) */

INTERPOSE void _ZdlPv(void *p)
{
	delete_entry(DEL, p, 0, 0, NULL);
}

INTERPOSE void _ZdlPvm(void *p, size_t size)
{
	delete_entry(DEL_SZ, p, size, 0, NULL);
}

INTERPOSE void _ZdlPvRKSt9nothrow_t(void *p, const void *nt)
{
	delete_entry(DEL_NT, p, 0, 0, nt);
}

INTERPOSE void _ZdlPvSt11align_val_t(void *p, size_t align)
{
	delete_entry(DEL_AL, p, 0, align, NULL);
}

INTERPOSE void _ZdlPvmSt11align_val_t(void *p, size_t size, size_t align)
{
	delete_entry(DEL_SZ_AL, p, size, align, NULL);
}

INTERPOSE void _ZdlPvSt11align_val_tRKSt9nothrow_t(void *p, size_t align, const void *nt)
{
	delete_entry(DEL_AL_NT, p, 0, align, nt);
}

INTERPOSE void _ZdaPv(void *p)
{
	delete_entry(DEL_ARR, p, 0, 0, NULL);
}

INTERPOSE void _ZdaPvm(void *p, size_t size)
{
	delete_entry(DEL_ARR_SZ, p, size, 0, NULL);
}

INTERPOSE void _ZdaPvRKSt9nothrow_t(void *p, const void *nt)
{
	delete_entry(DEL_ARR_NT, p, 0, 0, nt);
}

INTERPOSE void _ZdaPvSt11align_val_t(void *p, size_t align)
{
	delete_entry(DEL_ARR_AL, p, 0, align, NULL);
}

INTERPOSE void _ZdaPvmSt11align_val_t(void *p, size_t size, size_t align)
{
	delete_entry(DEL_ARR_SZ_AL, p, size, align, NULL);
}

INTERPOSE void _ZdaPvSt11align_val_tRKSt9nothrow_t(void *p, size_t align, const void *nt)
{
	delete_entry(DEL_ARR_AL_NT, p, 0, align, nt);
}
