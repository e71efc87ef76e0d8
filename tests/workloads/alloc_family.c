// SPDX-License-Identifier: GPL-2.0
/*
 * alloc_family: every glibc allocator entry point, with known leaks.
 *
 * Each leak_* function leaks an odd number of blocks of known sizes through
 * one allocator function; the other functions allocate and free everything
 * (or allocate nothing). The ground truth goes to stdout:
 *
 *   TRUTH func=<name> bytes=<N> allocs=<K>   one per leaking function
 *   CLEAN func=<name>                        functions that must hold nothing
 *   TRUTH done
 *
 * Bytes are the sizes requested (calloc and reallocarray: n * size; pvalloc:
 * the size passed, not the rounded one).
 *
 *   alloc_family           do everything, print the truth, exit 0
 *   alloc_family --wait    print "READY <pid>", wait for SIGUSR1, do
 *                          everything, print the truth, wait for SIGTERM
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "truth.h"

#define MAX_KEPT 256

enum leak_id {
	L_MALLOC,
	L_CALLOC,
	L_REALLOC_FROM_NULL,
	L_REALLOC_MOVED,
	L_REALLOCARRAY,
	L_POSIX_MEMALIGN,
	L_ALIGNED_ALLOC,
	L_MEMALIGN,
	L_VALLOC,
	L_PVALLOC,
	L_KEPT_BY_FAILED_REALLOC,
	L_CNT,
};

static const char *const leak_names[L_CNT] = {
	[L_MALLOC] = "leak_malloc",
	[L_CALLOC] = "leak_calloc",
	[L_REALLOC_FROM_NULL] = "leak_realloc_from_null",
	[L_REALLOC_MOVED] = "leak_realloc_moved",
	[L_REALLOCARRAY] = "leak_reallocarray",
	[L_POSIX_MEMALIGN] = "leak_posix_memalign",
	[L_ALIGNED_ALLOC] = "leak_aligned_alloc",
	[L_MEMALIGN] = "leak_memalign",
	[L_VALLOC] = "leak_valloc",
	[L_PVALLOC] = "leak_pvalloc",
	[L_KEPT_BY_FAILED_REALLOC] = "leak_kept_by_failed_realloc",
};

static const char *const clean_names[] = {
	"churn_all", "realloc_zero_frees", "free_null_calls", "posix_memalign_einval",
};

static struct {
	unsigned long long bytes;
	unsigned long long allocs;
} truth[L_CNT];

/* Leaked blocks stay reachable here so nothing can elide them. */
static void *volatile kept[MAX_KEPT];
static unsigned kept_cnt;
/* Sizes read through a volatile so the compiler cannot reason about them. */
static volatile size_t huge_size = SIZE_MAX / 2;
static volatile size_t zero_size;
static volatile unsigned char sink;

static void die(const char *what)
{
	fprintf(stderr, "alloc_family: %s failed: %s\n", what, strerror(errno));
	exit(2);
}

/* Write to the block so it is really used. */
static __attribute__((noinline)) void touch(void *p, size_t n)
{
	memset(p, 0xa5, n);
	sink = ((unsigned char *)p)[n - 1];
}

static void keep(enum leak_id id, void *p, size_t bytes)
{
	if (!p)
		die(leak_names[id]);
	if (kept_cnt == MAX_KEPT) {
		fprintf(stderr, "alloc_family: MAX_KEPT too small\n");
		exit(2);
	}
	touch(p, bytes);
	kept[kept_cnt++] = p;
	truth[id].bytes += bytes;
	truth[id].allocs++;
}

/* 7 blocks, 1031 + 13*i bytes */
static __attribute__((noinline)) void leak_malloc(void)
{
	for (size_t i = 0; i < 7; i++)
		keep(L_MALLOC, malloc(1031 + 13 * i), 1031 + 13 * i);
}

/* 5 blocks of 11 * 97 bytes */
static __attribute__((noinline)) void leak_calloc(void)
{
	for (int i = 0; i < 5; i++)
		keep(L_CALLOC, calloc(11, 97), 11 * 97);
}

/* 3 blocks of 2053 bytes: realloc(NULL, n) is malloc(n) */
static __attribute__((noinline)) void leak_realloc_from_null(void)
{
	for (int i = 0; i < 3; i++)
		keep(L_REALLOC_FROM_NULL, realloc(NULL, 2053), 2053);
}

/*
 * 9 blocks of 5003 bytes: malloc(40) then realloc to 5003. A fence block
 * right after the small one makes glibc move it rather than grow in place.
 */
static __attribute__((noinline)) void leak_realloc_moved(void)
{
	for (int i = 0; i < 9; i++) {
		void *small = malloc(40), *fence = malloc(40), *big;
		uintptr_t was;

		if (!small || !fence)
			die("malloc");
		touch(small, 40);
		touch(fence, 40);
		was = (uintptr_t)small;
		big = realloc(small, 5003);
		if (big && (uintptr_t)big == was) {
			fprintf(stderr, "alloc_family: realloc grew in place despite the fence\n");
			exit(2);
		}
		keep(L_REALLOC_MOVED, big, 5003);
		free(fence);
	}
}

/* 7 blocks of 13 * 59 bytes */
static __attribute__((noinline)) void leak_reallocarray(void)
{
	for (int i = 0; i < 7; i++)
		keep(L_REALLOCARRAY, reallocarray(NULL, 13, 59), 13 * 59);
}

/* 5 blocks of 777 bytes aligned to 64 */
static __attribute__((noinline)) void leak_posix_memalign(void)
{
	for (int i = 0; i < 5; i++) {
		void *p = NULL;
		int err = posix_memalign(&p, 64, 777);

		if (err) {
			errno = err;
			die("posix_memalign");
		}
		keep(L_POSIX_MEMALIGN, p, 777);
	}
}

/* 3 blocks of 1408 (11 * 128) bytes aligned to 128 */
static __attribute__((noinline)) void leak_aligned_alloc(void)
{
	for (int i = 0; i < 3; i++)
		keep(L_ALIGNED_ALLOC, aligned_alloc(128, 1408), 1408);
}

/* 7 blocks of 999 bytes aligned to 256 */
static __attribute__((noinline)) void leak_memalign(void)
{
	for (int i = 0; i < 7; i++)
		keep(L_MEMALIGN, memalign(256, 999), 999);
}

/* 3 blocks of 3001 bytes, page aligned */
static __attribute__((noinline)) void leak_valloc(void)
{
	for (int i = 0; i < 3; i++)
		keep(L_VALLOC, valloc(3001), 3001);
}

/* 5 blocks of 1237 bytes (glibc rounds the block up to a page; 1237 was asked) */
static __attribute__((noinline)) void leak_pvalloc(void)
{
	for (int i = 0; i < 5; i++)
		keep(L_PVALLOC, pvalloc(1237), 1237);
}

/*
 * 3 blocks of 4099 bytes: realloc to SIZE_MAX / 2 fails, so each block stays
 * live (allocated here by malloc) and is then never freed.
 */
static __attribute__((noinline)) void leak_kept_by_failed_realloc(void)
{
	for (int i = 0; i < 3; i++) {
		void *p = malloc(4099), *q;

		keep(L_KEPT_BY_FAILED_REALLOC, p, 4099);
		q = realloc(p, huge_size);
		if (q) {
			fprintf(stderr, "alloc_family: realloc to SIZE_MAX/2 succeeded\n");
			exit(2);
		}
	}
}

/* Every allocator function once or more; everything freed. */
static __attribute__((noinline)) void churn_all(void)
{
	void *p[12];
	int n = 0;

	for (int round = 0; round < 3; round++) {
		n = 0;
		p[n++] = malloc(333);
		p[n++] = calloc(3, 111);
		p[n++] = realloc(NULL, 555);
		p[n] = malloc(17);
		if (!p[n])
			die("malloc");
		p[n] = realloc(p[n], 7777);
		n++;
		p[n++] = reallocarray(NULL, 9, 41);
		if (posix_memalign(&p[n++], 32, 321))
			die("posix_memalign");
		p[n++] = aligned_alloc(64, 640);
		p[n++] = memalign(512, 511);
		p[n++] = valloc(123);
		p[n++] = pvalloc(4321);
		for (int i = 0; i < n; i++) {
			if (!p[i])
				die("churn_all allocation");
			touch(p[i], 100);
		}
		for (int i = 0; i < n; i++)
			free(p[i]);
	}
}

/* realloc(p, 0) frees p (and returns NULL in glibc). */
static __attribute__((noinline)) void realloc_zero_frees(void)
{
	for (int i = 0; i < 5; i++) {
		void *p = malloc(2221), *q;

		if (!p)
			die("malloc");
		touch(p, 2221);
		q = realloc(p, zero_size);
		free(q);	/* NULL in glibc; harmless either way */
	}
}

static __attribute__((noinline)) void free_null_calls(void)
{
	for (int i = 0; i < 7; i++)
		free(kept[MAX_KEPT - 1]);	/* always NULL */
}

/* Alignment 3 is not a power of two: EINVAL, nothing allocated. */
static __attribute__((noinline)) void posix_memalign_einval(void)
{
	for (int i = 0; i < 3; i++) {
		void *p = NULL;

		if (posix_memalign(&p, 3, 64) != EINVAL || p) {
			fprintf(stderr, "alloc_family: posix_memalign(3) did not fail\n");
			exit(2);
		}
	}
}

static void run_all(void)
{
	churn_all();
	leak_malloc();
	leak_calloc();
	leak_realloc_from_null();
	leak_realloc_moved();
	leak_reallocarray();
	leak_posix_memalign();
	leak_aligned_alloc();
	leak_memalign();
	leak_valloc();
	leak_pvalloc();
	leak_kept_by_failed_realloc();
	realloc_zero_frees();
	free_null_calls();
	posix_memalign_einval();
	churn_all();
}

static void print_truth(void)
{
	for (int i = 0; i < L_CNT; i++)
		truth_leak(leak_names[i], truth[i].bytes, truth[i].allocs);
	for (size_t i = 0; i < sizeof(clean_names) / sizeof(clean_names[0]); i++)
		truth_clean(clean_names[i]);
	truth_done();
}

int main(int argc, char **argv)
{
	return truth_main(argc, argv, "alloc_family", run_all, print_truth);
}
