/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers every bench workload shares: the start-up hold the floor tool
 * attaches under, a monotonic clock, and the lines the driver parses.
 */
#ifndef MV_BENCH_H
#define MV_BENCH_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/*
 * With BENCH_HOLD=1 in the environment the workload stops itself at the start
 * of main, with libc mapped, so a tracer can attach to it and send SIGCONT.
 */
static inline void bench_hold_if_asked(void)
{
	const char *v = getenv("BENCH_HOLD");

	if (v && !strcmp(v, "1"))
		raise(SIGSTOP);
}

static inline unsigned long long bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * How long to run the loop untimed first: BENCH_WARMUP_MS, default 250. It
 * keeps one-time costs out of ns/op, such as a preloaded tracer stalling
 * the process until its reader has started.
 */
static inline unsigned long long bench_warmup_ns(void)
{
	const char *v = getenv("BENCH_WARMUP_MS");

	return (v ? strtoull(v, NULL, 10) : 250) * 1000000ull;
}

/* Keeps the compiler from eliding a malloc/free pair or the store to it. */
static inline void bench_escape(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

/* A positive count from argv[i], or def when absent; exits on garbage. */
static inline long bench_arg_count(int argc, char **argv, int i, long def)
{
	char *end;
	long v;

	if (argc <= i)
		return def;
	v = strtol(argv[i], &end, 10);
	if (*end || v <= 0) {
		fprintf(stderr, "%s: expected a positive count, got '%s'\n", argv[0], argv[i]);
		exit(64);
	}
	return v;
}

/* This process's own CPU seconds so far (all threads), for the driver. */
static inline void bench_print_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	printf("CPU_S %.6f\n", ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	fflush(stdout);
}

/* NS_PER_OP and OPS for the driver, then CPU_S. */
static inline void bench_report(unsigned long long elapsed_ns, long ops)
{
	printf("NS_PER_OP %.2f\n", (double)elapsed_ns / (double)ops);
	printf("OPS %ld\n", ops);
	bench_print_cpu();
}

#endif
