// SPDX-License-Identifier: GPL-2.0
/*
 * kmem: known kernel-side behaviour for memvigil's kernel-signal tests.
 *
 * kmem grow SECONDS: for SECONDS, every 100 ms leak_mapping() maps 256 KiB of
 *   anonymous memory, writes every page and never unmaps it, while
 *   churn_mapping() maps and unmaps 64 KiB; one 1 MiB malloc block is held
 *   (the allocator maps it itself); leak_file_mapping() maps its own
 *   executable once and grow_by_mremap() grows a 64 KiB mapping to 192 KiB
 *   with mremap, both kept. Then it prints its ground truth and waits for
 *   SIGTERM:
 *     TRUTH map_func=leak_mapping bytes=N
 *     TRUTH file_map_func=leak_file_mapping bytes=N
 *     TRUTH remap_func=grow_by_mremap bytes=196608
 *     TRUTH rss_growth_bytes=N seconds=S      (pages it wrote while mapping)
 *     TRUTH rss_self_growth_bytes=N           (its VmRSS now minus at main's
 *                                             start: what it wrote plus the
 *                                             library and stack pages it used)
 *     TRUTH faults=N                          (/proc/self/stat minflt+majflt
 *                                             since main began)
 *     TRUTH done
 * kmem raw [--wait]: (with --wait, after printing "READY <pid>" and getting
 *   SIGUSR1) leak_mapping() once through the C library's mmap, and
 *   leak_raw_mapping() maps 128 KiB with a raw syscall(SYS_mmap), as Go
 *   does, bypassing the wrapper; then it prints and waits for SIGTERM:
 *     TRUTH map_func=leak_mapping bytes=262144
 *     TRUTH raw_map_func=leak_raw_mapping bytes=131072
 *     TRUTH done
 * kmem hog: prints "READY <pid>", waits for SIGUSR1, then hog_memory()
 *   mallocs and writes 1 MiB blocks forever (until the OOM killer ends it).
 *   Without SIGUSR1 within 120 s it exits 3, so an abandoned test leaves
 *   nothing behind.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "truth.h"

#define LEAK_BYTES (256 * 1024)
#define CHURN_BYTES (64 * 1024)

static volatile sig_atomic_t go;
static volatile char *keep[4096];
static size_t kept;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

static unsigned long long stat_faults(void)
{
	unsigned long long minflt = 0, majflt = 0;
	char buf[1024], *p;
	FILE *f = fopen("/proc/self/stat", "r");

	if (!f || !fgets(buf, sizeof(buf), f)) {
		perror("/proc/self/stat");
		exit(2);
	}
	fclose(f);
	p = strrchr(buf, ')');
	/* fields after comm: state ppid pgrp session tty tpgid flags minflt cminflt majflt */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %llu %*u %llu", &minflt, &majflt) != 2)
		exit(2);
	return minflt + majflt;
}

/* VmRSS from /proc/self/status, in bytes. */
static long long self_rss_bytes(void)
{
	char line[256];
	long long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		exit(2);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %lld kB", &kb) == 1)
			break;
	fclose(f);
	if (kb < 0)
		exit(2);
	return kb * 1024;
}

static void touch(volatile char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i += 4096)
		p[i] = 1;
}

__attribute__((noinline)) void leak_mapping(void)
{
	char *p = mmap(NULL, LEAK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		exit(2);
	touch(p, LEAK_BYTES);
	if (kept < sizeof(keep) / sizeof(keep[0]))
		keep[kept++] = p;
}

#define RAW_BYTES (128 * 1024)

__attribute__((noinline)) void leak_raw_mapping(void)
{
	char *p = (char *)syscall(SYS_mmap, NULL, RAW_BYTES, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		exit(2);
	touch(p, RAW_BYTES);
	if (kept < sizeof(keep) / sizeof(keep[0]))
		keep[kept++] = p;
}

__attribute__((noinline)) void churn_mapping(void)
{
	char *p = mmap(NULL, CHURN_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		exit(2);
	touch(p, CHURN_BYTES);
	munmap(p, CHURN_BYTES);
}

__attribute__((noinline)) long leak_file_mapping(void)
{
	int fd = open("/proc/self/exe", O_RDONLY);
	struct stat st;
	char *p;

	if (fd < 0 || fstat(fd, &st))
		exit(2);
	p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		exit(2);
	close(fd);
	keep[kept++] = p;
	return (st.st_size + 4095) / 4096 * 4096;
}

#define REMAP_FROM (64 * 1024)
#define REMAP_TO (192 * 1024)

__attribute__((noinline)) void grow_by_mremap(void)
{
	char *p = mmap(NULL, REMAP_FROM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		exit(2);
	p = mremap(p, REMAP_FROM, REMAP_TO, MREMAP_MAYMOVE);
	if (p == MAP_FAILED)
		exit(2);
	touch(p, REMAP_TO);
	keep[kept++] = p;
}

__attribute__((noinline)) void hog_memory(void)
{
	for (;;) {
		char *p = malloc(1 << 20);

		if (!p)
			continue;
		touch(p, 1 << 20);
		if (kept < sizeof(keep) / sizeof(keep[0]))
			keep[kept++] = p;
	}
}

static int grow(double secs)
{
	struct timespec nap = { 0, 100 * 1000 * 1000 }, t0, t1;
	unsigned long long f0 = stat_faults(), f1;
	long long rss0 = self_rss_bytes();
	char *big = malloc(1 << 20);
	long rounds = 0, file_bytes;

	touch(big, 1 << 20);
	file_bytes = leak_file_mapping();
	grow_by_mremap();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		leak_mapping();
		churn_mapping();
		rounds++;
		nanosleep(&nap, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t1);
	} while (t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9 < secs);
	f1 = stat_faults();
	printf("TRUTH map_func=leak_mapping bytes=%ld\n", rounds * LEAK_BYTES);
	printf("TRUTH file_map_func=leak_file_mapping bytes=%ld\n", file_bytes);
	printf("TRUTH remap_func=grow_by_mremap bytes=%d\n", REMAP_TO);
	printf("TRUTH rss_growth_bytes=%ld seconds=%.3f\n", rounds * LEAK_BYTES + REMAP_TO,
	       t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("TRUTH faults=%llu\n", f1 - f0);
	printf("TRUTH rss_self_growth_bytes=%lld\n", self_rss_bytes() - rss0);
	truth_done();
	sleep(120);	/* until SIGTERM; an abandoned test leaves nothing behind */
	free(big);
	return 0;
}

static int raw(bool wait)
{
	if (wait) {
		signal(SIGUSR1, on_usr1);
		truth_ready();
		for (int waited = 0; !go; waited++) {
			if (waited >= 12000)
				return 3;
			nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
		}
	}
	leak_mapping();
	leak_raw_mapping();
	printf("TRUTH map_func=leak_mapping bytes=%d\n", LEAK_BYTES);
	printf("TRUTH raw_map_func=leak_raw_mapping bytes=%d\n", RAW_BYTES);
	truth_done();
	sleep(120);	/* until SIGTERM */
	return 0;
}

static int hog(void)
{
	int waited;

	signal(SIGUSR1, on_usr1);
	truth_ready();
	for (waited = 0; !go; waited++) {
		if (waited >= 12000)
			return 3;
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	hog_memory();
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "grow"))
		return grow(strtod(argv[2], NULL));
	if (argc >= 2 && !strcmp(argv[1], "hog"))
		return hog();
	if (argc >= 2 && !strcmp(argv[1], "raw"))
		return raw(argc >= 3 && !strcmp(argv[2], "--wait"));
	fprintf(stderr, "usage: kmem grow SECONDS | kmem raw [--wait] | kmem hog\n");
	return 64;
}
