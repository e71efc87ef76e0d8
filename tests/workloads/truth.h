/* SPDX-License-Identifier: GPL-2.0 */
/*
 * truth.h: the lines a workload prints on stdout for the integration tests
 * (tests/integration/harness.py reads them):
 *
 *   READY <pid>                              ready to be traced or signalled
 *   TRUTH func=<name> bytes=<N> allocs=<K>   one per leaking function
 *   CLEAN func=<name>                        a function that must hold nothing
 *   GONE func=<name> bytes=<N> allocs=<K>    what an exec dropped
 *   TRUTH done                               last
 *
 * READY and TRUTH done are flushed: a test waits for them while the
 * workload still runs. Workloads with other TRUTH lines (key=value of their
 * own, or pid= from several processes) print those themselves.
 */
#ifndef MEMVIGIL_WORKLOAD_TRUTH_H
#define MEMVIGIL_WORKLOAD_TRUTH_H

#include <stdio.h>
#include <unistd.h>

static inline void truth_ready(void)
{
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
}

static inline void truth_leak(const char *func, unsigned long long bytes,
			      unsigned long long allocs)
{
	printf("TRUTH func=%s bytes=%llu allocs=%llu\n", func, bytes, allocs);
}

static inline void truth_clean(const char *func)
{
	printf("CLEAN func=%s\n", func);
}

static inline void truth_gone(const char *func, unsigned long long bytes,
			      unsigned long long allocs)
{
	printf("GONE func=%s bytes=%llu allocs=%llu\n", func, bytes, allocs);
}

static inline void truth_done(void)
{
	printf("TRUTH done\n");
	fflush(stdout);
}

#endif /* MEMVIGIL_WORKLOAD_TRUTH_H */
