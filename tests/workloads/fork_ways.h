/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fork_ways.h: every way a process can fork a child that does not share its
 * memory, by name, for the programs that check what each kind of child
 * inherits (tests/workloads/raw_fork.c, tests/sampler/st_raw_fork.c). Only
 * glibc's fork() runs fork handlers.
 */
#ifndef MEMVIGIL_WORKLOAD_FORK_WAYS_H
#define MEMVIGIL_WORKLOAD_FORK_WAYS_H

#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const fork_ways[] = { "fork", "_Fork", "sys_fork", "sys_clone" };
#define FORK_WAYS_CNT (sizeof(fork_ways) / sizeof(fork_ways[0]))

/* A child made the way named how (one of fork_ways): fork's return value. */
static inline pid_t fork_way(const char *how)
{
	if (!strcmp(how, "fork"))
		return fork();
	if (!strcmp(how, "_Fork"))
		return _Fork();
	if (!strcmp(how, "sys_fork"))
		return (pid_t)syscall(SYS_fork);
	return (pid_t)syscall(SYS_clone, (unsigned long)SIGCHLD, 0ul, 0ul, 0ul, 0ul);
}

#endif
