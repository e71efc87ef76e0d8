// SPDX-License-Identifier: GPL-2.0
/*
 * exit_churn: many short-lived children, one after another, each leaking a
 * little; the last one leaks nothing.
 *
 *   exit_churn [N [--no-wait]]   (N children, default 12, at least 2)
 *
 * The parent leaks in leak_in_parent, then forks N children in turn and
 * waits for each before forking the next, so they exit in the order they
 * were forked. Child i (from 0) first prints "CHILD <pid>" and waits for
 * SIGUSR1 (a tracer following forks attaches it meanwhile; not with
 * --no-wait), then leaks
 * i % 3 + 1 blocks of 777 bytes in leak_in_child and exits 0; the last
 * child instead allocates and frees in clean_child. The parent exits 0
 * last. Stdout, one write(2) per line (the processes share it):
 *
 *   CHILD <pid>
 *   TRUTH pid=<pid> func=<name> bytes=<N> allocs=<K>
 *   CLEAN pid=<pid> func=clean_child
 *   TRUTH done                      (the parent, last)
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "truth.h"

#define BLOCK_BYTES 777
#define MAX_KEPT 4

static void *volatile kept[MAX_KEPT];
static int no_wait;	/* --no-wait: children go at once */

/* Say CHILD and wait for SIGUSR1 (blocked since before the fork). */
static void wait_go(void)
{
	sigset_t set;
	int sig;

	truth_say("CHILD %d\n", getpid());
	if (no_wait)
		return;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigwait(&set, &sig);
}

/* Inlined: the leak_* function that calls it is malloc's caller. */
static inline __attribute__((always_inline)) void keep(int n)
{
	for (int i = 0; i < n; i++) {
		kept[i] = malloc(BLOCK_BYTES);
		if (!kept[i])
			_exit(2);
		memset(kept[i], 0x5a, BLOCK_BYTES);
	}
}

static __attribute__((noinline)) void leak_in_parent(void) { keep(2); }
static __attribute__((noinline)) void leak_in_child(int n) { keep(n); }

static __attribute__((noinline)) void clean_child(void)
{
	for (int i = 0; i < 20; i++) {
		void *p = malloc(100 + i);

		if (!p)
			_exit(2);
		memset(p, 1, 100 + i);
		free(p);
	}
}

static void child(int i, int last)
{
	wait_go();
	if (i == last) {
		clean_child();
		truth_say("CLEAN pid=%d func=clean_child\n", getpid());
		_exit(0);
	}
	leak_in_child(i % 3 + 1);
	truth_say("TRUTH pid=%d func=leak_in_child bytes=%d allocs=%d\n", getpid(),
	    (i % 3 + 1) * BLOCK_BYTES, i % 3 + 1);
	_exit(0);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 12, i, status, bad = 0;
	sigset_t set;
	pid_t pid;

	if (n < 2)
		return 64;
	no_wait = argc > 2 && !strcmp(argv[2], "--no-wait");
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	leak_in_parent();
	truth_say("TRUTH pid=%d func=leak_in_parent bytes=%d allocs=%d\n", getpid(), 2 * BLOCK_BYTES, 2);
	for (i = 0; i < n; i++) {
		pid = fork();
		if (pid < 0)
			return 2;
		if (pid == 0)
			child(i, n - 1);
		if (waitpid(pid, &status, 0) != pid)
			return 2;
		bad |= !WIFEXITED(status) || WEXITSTATUS(status);
	}
	truth_say("TRUTH done\n");
	return bad;
}
