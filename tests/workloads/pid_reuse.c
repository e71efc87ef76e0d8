// SPDX-License-Identifier: GPL-2.0
/*
 * pid_reuse: two children in turn with one PID (root only). The first is
 * forked, leaks in leak_first and exits; once it is reaped the second is
 * made with the same PID (clone3's set_tid) and leaks in leak_second.
 * Each child first prints "CHILD <pid>" and waits for SIGUSR1 before it
 * allocates anything (a tracer following forks attaches it meanwhile).
 * Stdout, one write(2) per line (the processes share it):
 *
 *   CHILD <pid>
 *   TRUTH pid=<pid> func=<name> bytes=<N> allocs=<K>
 *   TRUTH done                      (the parent, last)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "truth.h"

static void *volatile kept[16];

static void wait_go(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	truth_say("CHILD %d\n", getpid());
	while (sigwait(&set, &sig) || sig != SIGUSR1)
		;
}

/* 5 blocks of 333 bytes */
__attribute__((noinline)) void leak_first(void)
{
	for (int i = 0; i < 5; i++)
		kept[i] = malloc(333);
	truth_say("TRUTH pid=%d func=leak_first bytes=%d allocs=5\n", getpid(), 5 * 333);
}

/* 7 blocks of 111 bytes */
__attribute__((noinline)) void leak_second(void)
{
	for (int i = 0; i < 7; i++)
		kept[i] = malloc(111);
	truth_say("TRUTH pid=%d func=leak_second bytes=%d allocs=7\n", getpid(), 7 * 111);
}

static int reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return 0;
}

int main(void)
{
	struct clone_args args;
	sigset_t set;
	pid_t first, second;

	/* Blocked before any fork, so SIGUSR1 waits for each child's sigwait. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	first = fork();
	if (!first) {
		wait_go();
		leak_first();
		_exit(0);
	}
	if (first < 0 || reap(first))
		return 1;
	memset(&args, 0, sizeof(args));
	args.exit_signal = SIGCHLD;
	args.set_tid = (uint64_t)(uintptr_t)&first;
	args.set_tid_size = 1;
	second = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (!second) {
		wait_go();
		leak_second();
		_exit(0);
	}
	if (second < 0) {
		fprintf(stderr, "pid_reuse: clone3 with PID %d: %s\n", first, strerror(errno));
		return 1;
	}
	if (reap(second))
		return 1;
	truth_say("TRUTH done\n");
	return 0;
}
