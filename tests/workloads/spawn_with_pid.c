// SPDX-License-Identifier: GPL-2.0
/*
 * spawn_with_pid PID PROGRAM [ARG...]: run PROGRAM as a child whose PID (in
 * this PID namespace) is PID, through clone3's set_tid (root only), then
 * wait for it and exit with its status. Tests use it to make a PID reused on
 * purpose: a new process with the PID of one that exited.
 */
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

int main(int argc, char **argv)
{
	struct clone_args args;
	pid_t tid, child;
	char *end;
	int status;

	if (argc < 3 || (tid = (pid_t)strtol(argv[1], &end, 10)) <= 0 || *end) {
		fprintf(stderr, "usage: spawn_with_pid PID PROGRAM [ARG...]\n");
		return 64;
	}
	memset(&args, 0, sizeof(args));
	args.exit_signal = SIGCHLD;
	args.set_tid = (uint64_t)(uintptr_t)&tid;
	args.set_tid_size = 1;
	child = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (child < 0) {
		fprintf(stderr, "spawn_with_pid: clone3 with PID %d: %s\n", tid, strerror(errno));
		return 1;
	}
	if (!child) {
		execv(argv[2], argv + 2);
		fprintf(stderr, "spawn_with_pid: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	if (waitpid(child, &status, 0) != child)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
