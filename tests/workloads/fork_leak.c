// SPDX-License-Identifier: GPL-2.0
/*
 * fork_leak: a process tree that leaks in every generation.
 *
 * The parent leaks in leak_in_parent, then forks three children:
 *   A leaks in leak_in_child and exits;
 *   B forks a grandchild that leaks in leak_in_grandchild, frees everything
 *     it allocates itself (churn_in_child), waits for it and exits;
 *   C execs this program again, whose new image leaks in leak_after_exec.
 * Every forked process, and C again after its exec, first prints
 * "CHILD <pid>" and then waits before it allocates anything: for SIGUSR1
 * (default), or for --sleep MS milliseconds.
 * A tracer following forks attaches each child after its fork; waiting keeps
 * that window out of the truth. With --wait the parent itself first prints
 * "READY <pid>" and waits for SIGUSR1. It waits for all children and exits 0.
 * Stdout, one write(2) per line (the processes share it):
 *
 *   CHILD <pid>
 *   TRUTH pid=<pid> func=<name> bytes=<N> allocs=<K>
 *   CLEAN pid=<pid> func=<name>
 *   TRUTH done                      (the parent, last)
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "truth.h"

#define MAX_KEPT 16

static void *volatile kept[MAX_KEPT];
static long sleep_ms = -1;	/* -1: wait for SIGUSR1 */

static void wait_go(void)
{
	struct timespec ts = { sleep_ms / 1000, (sleep_ms % 1000) * 1000000L };
	sigset_t set;
	int sig;

	truth_say("CHILD %d\n", getpid());
	if (sleep_ms >= 0) {
		nanosleep(&ts, NULL);
		return;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigwait(&set, &sig);
}

/* Inlined: the leak_* function that calls it is malloc's caller. */
static inline __attribute__((always_inline)) void keep(int n, size_t bytes)
{
	for (int i = 0; i < n; i++) {
		kept[i] = malloc(bytes);
		if (!kept[i])
			_exit(2);
		memset(kept[i], 0x5a, bytes);
	}
}

static __attribute__((noinline)) void leak_in_parent(void) { keep(3, 1111); }
static __attribute__((noinline)) void leak_in_child(void) { keep(5, 2003); }
static __attribute__((noinline)) void leak_in_grandchild(void) { keep(7, 301); }
static __attribute__((noinline)) void leak_after_exec(void) { keep(9, 4001); }

static __attribute__((noinline)) void churn_in_child(void)
{
	for (int i = 0; i < 50; i++) {
		void *p = malloc(100 + i);

		if (!p)
			_exit(2);
		memset(p, 1, 100 + i);
		free(p);
	}
}

static void child_a(void)
{
	wait_go();
	leak_in_child();
	truth_say("TRUTH pid=%d func=leak_in_child bytes=%d allocs=%d\n", getpid(), 5 * 2003, 5);
	_exit(0);
}

static void child_b(void)
{
	pid_t g;

	wait_go();
	g = fork();
	if (g == 0) {
		wait_go();
		leak_in_grandchild();
		truth_say("TRUTH pid=%d func=leak_in_grandchild bytes=%d allocs=%d\n", getpid(),
		    7 * 301, 7);
		_exit(0);
	}
	churn_in_child();
	truth_say("CLEAN pid=%d func=churn_in_child\n", getpid());
	waitpid(g, NULL, 0);
	_exit(0);
}

static void child_c(const char *self)
{
	char ms[32];

	wait_go();
	snprintf(ms, sizeof(ms), "%ld", sleep_ms);
	execl("/proc/self/exe", self, "--exec-child", ms, (char *)NULL);
	_exit(4);
}

int main(int argc, char **argv)
{
	void (*children[])(void) = { child_a, child_b, NULL };
	sigset_t set;
	int i, status, bad = 0;
	pid_t pid;

	if (argc > 2 && !strcmp(argv[1], "--exec-child")) {
		sleep_ms = atol(argv[2]);
		wait_go();
		leak_after_exec();
		truth_say("TRUTH pid=%d func=leak_after_exec bytes=%d allocs=%d\n", getpid(), 9 * 4001, 9);
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "--sleep"))
		sleep_ms = atol(argv[2]);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (argc > 1 && !strcmp(argv[1], "--wait")) {
		truth_say("READY %d\n", getpid());
		sigwait(&set, &i);
	}
	leak_in_parent();
	truth_say("TRUTH pid=%d func=leak_in_parent bytes=%d allocs=%d\n", getpid(), 3 * 1111, 3);
	for (i = 0; i < 3; i++) {
		pid = fork();
		if (pid < 0)
			return 2;
		if (pid == 0) {
			if (children[i])
				children[i]();
			child_c(argv[0]);
		}
	}
	while ((pid = wait(&status)) > 0)
		bad |= !WIFEXITED(status) || WEXITSTATUS(status);
	truth_say("TRUTH done\n");
	return bad;
}
