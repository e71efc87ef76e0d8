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
 * own, or pid= from several processes) print those themselves, with
 * truth_say where several processes share stdout.
 *
 * A workload run as "NAME --wait" says READY, works when SIGUSR1 comes,
 * tells its truth and waits for SIGTERM (truth_when_signalled); run as
 * "NAME" it works and tells at once (truth_main does both).
 */
#ifndef MEMVIGIL_WORKLOAD_TRUTH_H
#define MEMVIGIL_WORKLOAD_TRUTH_H

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * One line, one write(2), for workloads whose processes share stdout: stdio
 * would buffer (a fork would copy the buffer) and allocate.
 */
__attribute__((format(printf, 1, 2))) static inline void truth_say(const char *fmt, ...)
{
	char line[160];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1;
	if (n < 0 || write(STDOUT_FILENO, line, n) != n)
		_exit(3);
}

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

/*
 * Wait for sig among the blocked signals of set; SIGTERM at any time ends
 * the program. 0, or -1 when sigwait fails.
 */
static inline int truth_wait_for(sigset_t *set, int sig)
{
	int got;

	do {
		if (sigwait(set, &got))
			return -1;
		if (got == SIGTERM && sig != SIGTERM)
			exit(0);
	} while (got != sig);
	return 0;
}

/*
 * Block SIGUSR1 and SIGTERM (before any thread starts, so every thread
 * inherits the mask; set gets them for truth_wait_for), say READY and wait
 * for SIGUSR1. 0, or -1 when sigwait fails.
 */
static inline int truth_ready_then_go(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGTERM);
	sigprocmask(SIG_BLOCK, set, NULL);
	truth_ready();
	return truth_wait_for(set, SIGUSR1);
}

/*
 * truth_ready_then_go, then run work and tell, and wait for SIGTERM.
 * Returns main's exit code: 0, or 2 if sigwait fails.
 */
static inline int truth_when_signalled(void (*work)(void), void (*tell)(void))
{
	sigset_t set;

	if (truth_ready_then_go(&set))
		return 2;
	work();
	tell();
	return truth_wait_for(&set, SIGTERM) ? 2 : 0;
}

/*
 * main of a workload called name: no argument runs work and tell at once,
 * --wait as truth_when_signalled; anything else is a usage error (64).
 */
static inline int truth_main(int argc, char **argv, const char *name, void (*work)(void),
			     void (*tell)(void))
{
	if (argc > 1 && strcmp(argv[1], "--wait")) {
		fprintf(stderr, "usage: %s [--wait]\n", name);
		return 64;
	}
	if (argc == 1) {
		work();
		tell();
		return 0;
	}
	return truth_when_signalled(work, tell);
}
#endif /* MEMVIGIL_WORKLOAD_TRUTH_H */
