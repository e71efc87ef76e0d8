// SPDX-License-Identifier: GPL-2.0
/*
 * bump_alloc.so: a tiny async-signal-safe allocator that st_signal preloads
 * after the sampler, so that allocating in signal handlers is legitimate
 * and the test exercises only the sampler's own reentrancy (glibc's malloc
 * may deadlock there by itself). Blocks come from one big mapping in
 * power-of-two size classes; freed blocks go on a lock-free stack per class
 * (a 128-bit compare-and-swap of pointer and tag, so no ABA). Block sizes
 * sit in a header just below each block.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define REGION_BYTES (4ull << 30)
#define CLASSES 32	/* the class sits in the 5 low bits of a block start */
#define HEADER 16

struct free_block {
	struct free_block *next;
};

struct stack {
	struct free_block *top;
	uint64_t tag;
} __attribute__((aligned(16)));

/* Lets a program check that this allocator is the one in use. */
int bump_alloc_present = 1;

static char *region;
static uint64_t used;
static struct stack stacks[CLASSES];

static char *region_get(void)
{
	char *r = __atomic_load_n(&region, __ATOMIC_ACQUIRE), *fresh, *none = NULL;

	if (r)
		return r;
	fresh = mmap(NULL, REGION_BYTES, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (fresh == MAP_FAILED)
		return NULL;
	if (__atomic_compare_exchange_n(&region, &none, fresh, 0, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		return fresh;
	munmap(fresh, REGION_BYTES);
	return none;
}

static unsigned int class_of(size_t total)
{
	unsigned int c = 5;	/* 32 bytes at least */

	while (c < CLASSES && ((size_t)1 << c) < total)
		c++;
	return c;
}

static int cas128(struct stack *s, struct stack old, struct stack new)
{
	unsigned __int128 o, n;

	memcpy(&o, &old, sizeof(o));
	memcpy(&n, &new, sizeof(n));
	return __sync_bool_compare_and_swap((unsigned __int128 *)s, o, n);
}

static struct stack stack_read(struct stack *s)
{
	struct stack v;

	v.tag = __atomic_load_n(&s->tag, __ATOMIC_ACQUIRE);
	v.top = __atomic_load_n(&s->top, __ATOMIC_ACQUIRE);
	return v;
}

static char *pop(unsigned int c)
{
	struct stack old, new;

	do {
		old = stack_read(&stacks[c]);
		if (!old.top)
			return NULL;
		/* the block may be popped meanwhile; its memory stays mapped */
		new.top = __atomic_load_n(&old.top->next, __ATOMIC_RELAXED);
		new.tag = old.tag + 1;
	} while (!cas128(&stacks[c], old, new));
	return (char *)old.top;
}

static void push(unsigned int c, char *block)
{
	struct free_block *b = (struct free_block *)block;
	struct stack old, new;

	do {
		old = stack_read(&stacks[c]);
		__atomic_store_n(&b->next, old.top, __ATOMIC_RELAXED);
		new.top = b;
		new.tag = old.tag + 1;
	} while (!cas128(&stacks[c], old, new));
}

/* A block of at least size bytes at an alignment (power of two) >= 16. */
static void *block_get(size_t size, size_t align)
{
	size_t total = size + HEADER + (align > HEADER ? align : 0);
	unsigned int c = class_of(total);
	char *r = region_get(), *b;
	uint64_t at;
	uintptr_t p;

	if (!r || c >= CLASSES) {
		errno = ENOMEM;
		return NULL;
	}
	b = pop(c);
	if (!b) {
		at = __atomic_fetch_add(&used, (uint64_t)1 << c, __ATOMIC_RELAXED);
		if (at + ((uint64_t)1 << c) > REGION_BYTES) {
			errno = ENOMEM;
			return NULL;
		}
		b = r + at;
	}
	p = ((uintptr_t)b + HEADER + align - 1) & ~(uintptr_t)(align - 1);
	((size_t *)p)[-1] = size;
	((uintptr_t *)p)[-2] = (uintptr_t)b | c;	/* block start (aligned to 32) and class */
	return (void *)p;
}

void *malloc(size_t size)
{
	return block_get(size, 16);
}

void free(void *p)
{
	uintptr_t start;

	if (!p)
		return;
	start = ((uintptr_t *)p)[-2];
	push(start & 31, (char *)(start & ~(uintptr_t)31));
}

void *calloc(size_t n, size_t size)
{
	size_t bytes;
	void *p;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	p = block_get(bytes, 16);
	if (p)
		memset(p, 0, bytes);
	return p;
}

size_t malloc_usable_size(void *p)
{
	return p ? ((size_t *)p)[-1] : 0;
}

void *realloc(void *p, size_t size)
{
	size_t old = malloc_usable_size(p);
	void *q = block_get(size, 16);

	if (!q)
		return NULL;
	if (p) {
		memcpy(q, p, old < size ? old : size);
		free(p);
	}
	return q;
}

void *reallocarray(void *p, size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, bytes);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	void *p = block_get(size, align < 16 ? 16 : align);

	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *aligned_alloc(size_t align, size_t size)
{
	return block_get(size, align < 16 ? 16 : align);
}

void *memalign(size_t align, size_t size)
{
	return block_get(size, align < 16 ? 16 : align);
}

void *valloc(size_t size)
{
	return block_get(size, 4096);
}

void *pvalloc(size_t size)
{
	return block_get((size + 4095) & ~(size_t)4095, 4096);
}
