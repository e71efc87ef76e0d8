// SPDX-License-Identifier: GPL-2.0
/*
 * hold: allocates N blocks of 32 bytes and keeps them all, pausing at
 * checkpoints so a driver can look at the tracer meanwhile.
 * Usage: hold N [CHECKPOINT...] (checkpoints ascending, below N).
 *
 * Protocol, on stdout, one flushed line each; after every line the process
 * waits for SIGUSR1 before going on:
 *   BASE <pid>          nothing allocated by the loop yet
 *   READY <live> <pid>  <live> blocks allocated and held (each checkpoint, then N)
 * After the last SIGUSR1 it prints CPU_S and exits without freeing.
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include "bench.h"

#define BLOCK_BYTES 32

static void wait_usr1(const sigset_t *set)
{
	int sig;

	while (sigwait(set, &sig) || sig != SIGUSR1)
		;
}

int main(int argc, char **argv)
{
	long n = bench_arg_count(argc, argv, 1, 1000000), done = 0;
	sigset_t set;
	void **blocks;
	int next = 2;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	bench_hold_if_asked();
	blocks = malloc(n * sizeof(*blocks));
	if (!blocks)
		return 1;
	printf("BASE %d\n", getpid());
	fflush(stdout);
	wait_usr1(&set);
	while (done < n) {
		long stop = next < argc ? bench_arg_count(argc, argv, next++, n) : n;

		if (stop > n)
			stop = n;
		for (; done < stop; done++) {
			blocks[done] = malloc(BLOCK_BYTES);
			if (!blocks[done])
				return 1;
			bench_escape(blocks[done]);
		}
		printf("READY %ld %d\n", done, getpid());
		fflush(stdout);
		wait_usr1(&set);
	}
	bench_print_cpu();
	return 0;
}
