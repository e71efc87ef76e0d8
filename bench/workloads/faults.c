// SPDX-License-Identifier: GPL-2.0
/*
 * faults: touches fresh anonymous memory: mmap 1 MiB, write every page,
 * munmap, until N pages were touched (after a warm-up, BENCH_WARMUP_MS).
 * Usage: faults [N]. Prints NS_PER_OP
 * (one op = one page: its fault, the write, its share of mmap/munmap).
 * No heap allocator calls in the loop: a heap-only tracer should cost ~nothing.
 */
#include <sys/mman.h>
#include <unistd.h>
#include "bench.h"

#define REGION_PAGES 256

/* Map a fresh region, fault in every page by writing to it, unmap it. */
static void touch_region(long page)
{
	size_t len = (size_t)REGION_PAGES * page;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long i;

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	for (i = 0; i < REGION_PAGES; i++)
		p[i * page] = (char)i;
	bench_escape(p);
	munmap(p, len);
}

int main(int argc, char **argv)
{
	long n = bench_arg_count(argc, argv, 1, 1000000), done, page = sysconf(_SC_PAGESIZE);
	unsigned long long t0;

	bench_hold_if_asked();
	t0 = bench_now_ns() + bench_warmup_ns();
	while (bench_now_ns() < t0)
		touch_region(page);
	t0 = bench_now_ns();
	for (done = 0; done < n; done += REGION_PAGES)
		touch_region(page);
	bench_report(bench_now_ns() - t0, done);
	return 0;
}
