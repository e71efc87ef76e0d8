// SPDX-License-Identifier: GPL-2.0
/*
 * own_malloc: a program whose executable defines malloc itself (a bump
 * allocator), so that it can be held inside an allocator call: a thread
 * caught inside malloc while memvigil detaches and re-attaches its process.
 *
 * Prints "READY <pid>". On SIGUSR1 it calls malloc(HOLD_SIZE), which prints
 * "HELD" from inside malloc and waits there for SIGUSR2. Once that malloc
 * returns it prints "RETURNED" and waits for another SIGUSR1; then
 * leak_after() mallocs LEAKS blocks of LEAK_SIZE bytes and keeps them, and
 * it prints
 *     TRUTH leak_func=leak_after allocs=LEAKS bytes=LEAKS*LEAK_SIZE
 *     TRUTH done
 * then waits for SIGTERM (at most 120 s).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "truth.h"

#define ARENA_BYTES (32 << 20)
#define HOLD_SIZE 77777
#define LEAKS 9
#define LEAK_SIZE 4321
#define ALIGN 16

static _Alignas(ALIGN) unsigned char arena[ARENA_BYTES];
static size_t used;
static volatile sig_atomic_t hold_req, released;
void *volatile kept[LEAKS];

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Each block starts after a 16-byte header holding its size. */
static void *bump(size_t size, size_t align)
{
	uintptr_t base = (uintptr_t)arena + used + ALIGN, p;

	if (align < ALIGN)
		align = ALIGN;
	p = (base + align - 1) & ~(uintptr_t)(align - 1);
	if (p + size > (uintptr_t)arena + ARENA_BYTES) {
		errno = ENOMEM;
		return NULL;
	}
	((size_t *)p)[-1] = size;
	used = p + size - (uintptr_t)arena;
	return (void *)p;
}

__attribute__((noinline)) void *malloc(size_t size)
{
	void *p = bump(size, ALIGN);

	if (size == HOLD_SIZE) {
		static const char held[] = "HELD\n";

		if (write(1, held, sizeof(held) - 1) < 0)
			return p;
		for (int waited = 0; !released && waited < 120000; waited += 10)
			nap_ms(10);
	}
	return p;
}

__attribute__((noinline)) void free(void *p)
{
	(void)p;	/* a bump allocator never reuses */
}

__attribute__((noinline)) void *calloc(size_t n, size_t size)
{
	void *p = bump(n * size, ALIGN);

	if (p)
		memset(p, 0, n * size);
	return p;
}

__attribute__((noinline)) void *realloc(void *old, size_t size)
{
	void *p = bump(size, ALIGN);

	if (p && old)
		memcpy(p, old, ((size_t *)old)[-1] < size ? ((size_t *)old)[-1] : size);
	return p;
}

__attribute__((noinline)) int posix_memalign(void **out, size_t align, size_t size)
{
	*out = bump(size, align);
	return *out ? 0 : ENOMEM;
}

__attribute__((noinline)) void *aligned_alloc(size_t align, size_t size)
{
	return bump(size, align);
}

__attribute__((noinline)) void *memalign(size_t align, size_t size)
{
	return bump(size, align);
}

__attribute__((noinline)) void leak_after(void)
{
	for (int i = 0; i < LEAKS; i++)
		kept[i] = malloc(LEAK_SIZE);
}

static void on_usr1(int sig)
{
	(void)sig;
	hold_req++;
}

static void on_usr2(int sig)
{
	(void)sig;
	released = 1;
}

int main(void)
{
	void *volatile held;

	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, on_usr2);
	truth_ready();
	for (int waited = 0; !hold_req; waited += 10) {
		if (waited >= 120000)
			return 3;
		nap_ms(10);
	}
	held = malloc(HOLD_SIZE);
	(void)held;
	printf("RETURNED\n");
	fflush(stdout);
	for (int waited = 0; hold_req < 2; waited += 10) {
		if (waited >= 120000)
			return 3;
		nap_ms(10);
	}
	leak_after();
	printf("TRUTH leak_func=leak_after allocs=%d bytes=%d\n", LEAKS, LEAKS * LEAK_SIZE);
	truth_done();
	for (int waited = 0; waited < 120000; waited += 10)
		nap_ms(10);
	return 0;
}
