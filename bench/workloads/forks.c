// SPDX-License-Identifier: GPL-2.0
/*
 * forks: forks N children, INTERVAL_MS apart, for a tracer that follows
 * forks (memvigil -f) to attach each of them. Every child allocates once
 * and then stays alive until the parent ends it, so its attach is never
 * cut short by its exit; the parent waits SETTLE_MS after the last fork,
 * then ends and reaps them all.
 * Usage: forks N [INTERVAL_MS] (default 50). Prints FORKS <n> and CPU_S.
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

#define SETTLE_MS 500

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

int main(int argc, char **argv)
{
	long n = bench_arg_count(argc, argv, 1, 20), gap_ms = bench_arg_count(argc, argv, 2, 50);
	pid_t *kids = calloc(n, sizeof(*kids));
	long i, forked = 0;

	if (!kids)
		return 1;
	bench_hold_if_asked();
	for (i = 0; i < n; i++) {
		kids[i] = fork();
		if (kids[i] < 0)
			break;
		if (!kids[i]) {
			bench_escape(malloc(64));
			for (;;)
				pause();
		}
		forked++;
		sleep_ms(gap_ms);
	}
	sleep_ms(SETTLE_MS);
	for (i = 0; i < forked; i++)
		kill(kids[i], SIGTERM);
	for (i = 0; i < forked; i++)
		waitpid(kids[i], NULL, 0);
	printf("FORKS %ld\n", forked);
	bench_print_cpu();
	free(kids);
	return forked == n ? 0 : 1;
}
