// SPDX-License-Identifier: GPL-2.0
/*
 * alloc_leak: one known-leak workload for every allocator. The same source
 * is linked against glibc, jemalloc, tcmalloc, mimalloc, and statically;
 * built with -DWITH_JEMALLOC, -DWITH_TCMALLOC or -DWITH_MIMALLOC it also
 * leaks and frees through that allocator's own entry points. The ground
 * truth goes to stdout as in alloc_family:
 *
 *   TRUTH func=<name> bytes=<N> allocs=<K>   one per leaking function
 *   CLEAN func=<name>                        functions that must hold nothing
 *   TRUTH done
 *
 *   alloc_leak           do everything, print the truth, exit 0
 *   alloc_leak --wait    print "READY <pid>", wait for SIGUSR1, do everything,
 *                        print the truth, wait for SIGTERM
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(WITH_JEMALLOC)
#include <jemalloc/jemalloc.h>
#elif defined(WITH_TCMALLOC)
#include <gperftools/tcmalloc.h>
#elif defined(WITH_MIMALLOC)
#include <mimalloc.h>
#endif
#include "truth.h"

#define MAX_KEPT 256
#define MAX_FUNCS 16

static struct {
	const char *name;
	unsigned long long bytes, allocs;
} truth[MAX_FUNCS];
static int truth_cnt;
static const char *clean[MAX_FUNCS];
static int clean_cnt;

/* Leaked blocks stay reachable here so nothing can elide them. */
static void *volatile kept[MAX_KEPT];
static int kept_cnt;
static volatile size_t zero_size;
static volatile unsigned char sink;

static void die(const char *what)
{
	fprintf(stderr, "alloc_leak: %s failed: %s\n", what, strerror(errno));
	exit(2);
}

static __attribute__((noinline)) void touch(void *p, size_t n)
{
	memset(p, 0x5a, n);
	sink = ((unsigned char *)p)[n - 1];
}

static void keep(const char *func, void *p, size_t bytes)
{
	int i;

	if (!p)
		die(func);
	if (kept_cnt == MAX_KEPT)
		die("MAX_KEPT");
	touch(p, bytes);
	kept[kept_cnt++] = p;
	for (i = 0; i < truth_cnt && strcmp(truth[i].name, func); i++)
		;
	if (i == truth_cnt) {
		if (truth_cnt == MAX_FUNCS)
			die("MAX_FUNCS");
		truth[truth_cnt++].name = func;
	}
	truth[i].bytes += bytes;
	truth[i].allocs++;
}

static void mark_clean(const char *func)
{
	if (clean_cnt < MAX_FUNCS)
		clean[clean_cnt++] = func;
}

/* 7 blocks, 1031 + 13*i bytes */
static __attribute__((noinline)) void leak_malloc(void)
{
	for (size_t i = 0; i < 7; i++)
		keep(__func__, malloc(1031 + 13 * i), 1031 + 13 * i);
}

/* 5 blocks of 11 * 97 bytes */
static __attribute__((noinline)) void leak_calloc(void)
{
	for (int i = 0; i < 5; i++)
		keep(__func__, calloc(11, 97), 11 * 97);
}

/* 9 blocks of 5003 bytes, each grown from 40 (moved or in place) */
static __attribute__((noinline)) void leak_realloc(void)
{
	for (int i = 0; i < 9; i++) {
		void *p = malloc(40);

		if (!p)
			die("malloc");
		touch(p, 40);
		keep(__func__, realloc(p, 5003), 5003);
	}
}

/* 5 blocks of 777 bytes aligned to 64 */
static __attribute__((noinline)) void leak_posix_memalign(void)
{
	for (int i = 0; i < 5; i++) {
		void *p = NULL;

		errno = posix_memalign(&p, 64, 777);
		if (errno)
			die("posix_memalign");
		keep(__func__, p, 777);
	}
}

/* 3 blocks of 1408 bytes aligned to 128 */
static __attribute__((noinline)) void leak_aligned_alloc(void)
{
	for (int i = 0; i < 3; i++)
		keep(__func__, aligned_alloc(128, 1408), 1408);
}

/* The portable family; everything freed. */
static __attribute__((noinline)) void churn(void)
{
	for (int round = 0; round < 5; round++) {
		void *p[5] = { malloc(333), calloc(3, 111), realloc(NULL, 555), NULL, NULL };

		if (posix_memalign(&p[3], 32, 321))
			die("posix_memalign");
		p[4] = aligned_alloc(64, 640);
		for (int i = 0; i < 5; i++) {
			if (!p[i])
				die("churn");
			touch(p[i], 100);
		}
		p[0] = realloc(p[0], 9000);
		for (int i = 0; i < 5; i++)
			free(p[i]);
	}
}

/* realloc(p, 0) frees p; glibc returns NULL, others a new block freed here. */
static __attribute__((noinline)) void realloc_zero(void)
{
	for (int i = 0; i < 5; i++) {
		void *p = malloc(2221);

		if (!p)
			die("malloc");
		touch(p, 2221);
		free(realloc(p, zero_size));
	}
}

#if defined(WITH_JEMALLOC)
/* 5 blocks of 2000 + i bytes */
static __attribute__((noinline)) void leak_mallocx(void)
{
	for (int i = 0; i < 5; i++)
		keep(__func__, mallocx(2000 + i, 0), 2000 + i);
}

/* 3 blocks of 3000 bytes, grown from 64 by rallocx */
static __attribute__((noinline)) void leak_rallocx(void)
{
	for (int i = 0; i < 3; i++) {
		void *p = mallocx(64, 0);

		if (!p)
			die("mallocx");
		keep(__func__, rallocx(p, 3000, 0), 3000);
	}
}

static __attribute__((noinline)) void churn_jemalloc(void)
{
	for (int i = 0; i < 7; i++) {
		void *a = mallocx(100, MALLOCX_ZERO), *b = mallocx(200, 0);

		if (!a || !b)
			die("mallocx");
		b = rallocx(b, 4000, 0);
		if (!b)
			die("rallocx");
		sdallocx(a, 100, 0);
		dallocx(b, 0);
	}
}

static void run_allocator_own(void)
{
	leak_mallocx();
	leak_rallocx();
	churn_jemalloc();
	mark_clean("churn_jemalloc");
}
#elif defined(WITH_TCMALLOC)
/* 3 blocks of 1500 bytes */
static __attribute__((noinline)) void leak_tc_malloc(void)
{
	for (int i = 0; i < 3; i++)
		keep(__func__, tc_malloc(1500), 1500);
}

static __attribute__((noinline)) void churn_tcmalloc(void)
{
	for (int i = 0; i < 7; i++) {
		void *a = tc_malloc(100), *b = tc_calloc(4, 50);

		if (!a || !b)
			die("tc_malloc");
		b = tc_realloc(b, 3000);
		if (!b)
			die("tc_realloc");
		tc_free_sized(a, 100);
		tc_free(b);
	}
}

static void run_allocator_own(void)
{
	leak_tc_malloc();
	churn_tcmalloc();
	mark_clean("churn_tcmalloc");
}
#elif defined(WITH_MIMALLOC)
/* 5 blocks of 900 bytes */
static __attribute__((noinline)) void leak_mi_zalloc(void)
{
	for (int i = 0; i < 5; i++)
		keep(__func__, mi_zalloc(900), 900);
}

/* 3 blocks of 1000 bytes aligned to 256 */
static __attribute__((noinline)) void leak_mi_malloc_aligned(void)
{
	for (int i = 0; i < 3; i++)
		keep(__func__, mi_malloc_aligned(1000, 256), 1000);
}

static __attribute__((noinline)) void churn_mimalloc(void)
{
	for (int i = 0; i < 7; i++) {
		void *a = mi_malloc(100), *b = mi_mallocn(4, 50);

		if (!a || !b)
			die("mi_malloc");
		b = mi_reallocf(b, 3000);
		if (!b)
			die("mi_reallocf");
		mi_free_size(a, 100);
		mi_free(b);
	}
}

static void run_allocator_own(void)
{
	leak_mi_zalloc();
	leak_mi_malloc_aligned();
	churn_mimalloc();
	mark_clean("churn_mimalloc");
}
#else
static void run_allocator_own(void)
{
}
#endif

static void run_all(void)
{
	churn();
	leak_malloc();
	leak_calloc();
	leak_realloc();
	leak_posix_memalign();
	leak_aligned_alloc();
	realloc_zero();
	run_allocator_own();
	churn();
	mark_clean("churn");
	mark_clean("realloc_zero");
}

static void print_truth(void)
{
	for (int i = 0; i < truth_cnt; i++)
		truth_leak(truth[i].name, truth[i].bytes, truth[i].allocs);
	for (int i = 0; i < clean_cnt; i++)
		truth_clean(clean[i]);
	truth_done();
}

int main(int argc, char **argv)
{
	return truth_main(argc, argv, "alloc_leak", run_all, print_truth);
}
