/* SPDX-License-Identifier: GPL-2.0 */
/*
 * launch: the process memvigil traces. Validates a PID given with -p, or
 * launches a command held at its ELF entry point (after the dynamic linker
 * has mapped its libraries, before any of its own code runs) until the
 * probes are live.
 */
#ifndef MV_LAUNCH_H
#define MV_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Check that pid names a live user-space process other than memvigil.
 * Returns 0, or -ESRCH / -EINVAL / -EPERM with a one-line reason in err.
 */
int launch__check_pid(pid_t pid, char *err, size_t err_len);

/*
 * Resolve argv[0] like execvp would and check it can be executed. Returns 0,
 * or a negative errno with a one-line reason in err.
 */
int launch__check_command(char *const argv[], char *err, size_t err_len);

/* Whether pid's main thread has begun to exit (PF_EXITING). */
bool launch__exiting(pid_t pid);

/*
 * Resolve name like execvp would into path (whether or not it can be run).
 * Returns 0, -ENOENT, -EACCES or another negative errno.
 */
int launch__find_command(const char *name, char *path, size_t path_len);

/*
 * Start argv held at its entry point; *pid is the held child. ld_preload,
 * when not NULL, is its LD_PRELOAD; with stdout_to_stderr its stdout is
 * memvigil's stderr (memvigil's stdout carries a document). The child is
 * killed if memvigil dies before releasing it. Returns 0, or a negative
 * errno with a one-line reason in err (the child is already reaped then).
 */
int launch__held(char *const argv[], const char *ld_preload, bool stdout_to_stderr, pid_t *pid,
		 char *err, size_t err_len);

/* Let a held child run. Returns 0 or a negative errno. */
int launch__release(pid_t pid);

/* Kill and reap a held child that will not be traced. */
void launch__kill_held(pid_t pid);


#endif
