/* SPDX-License-Identifier: GPL-2.0 */
/*
 * alert_action: the --on-alert command. Split on spaces into a program and
 * its arguments (no shell, no quoting, nothing from the traced process in
 * argv), the program found at start in PATH or by its path, and run with
 * fork/execve and the alert's details in MEMVIGIL_ALERT_* environment
 * variables. Rate-limited: at most one run per ALERT_ACTION_MIN_GAP_MS and
 * ALERT_ACTION_MAX_RUNNING at a time; alerts meanwhile are still printed
 * and written, and the skipped runs counted.
 *
 * The command runs as root, so it inherits as little as possible:
 *  - environment: PATH=ALERT_ACTION_PATH and the MEMVIGIL_ALERT_* variables,
 *    nothing else from memvigil's own environment;
 *  - file descriptors: 0, 1 and 2 as memvigil has them, every other one
 *    closed (close_range, or each one listed in /proc/self/fd);
 *  - signals: every disposition the default one and no signal blocked.
 * It keeps memvigil's credentials, working directory, umask, resource
 * limits, session and process group.
 */
#ifndef MV_ALERT_ACTION_H
#define MV_ALERT_ACTION_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ALERT_ACTION_MIN_GAP_MS 10000
#define ALERT_ACTION_MAX_RUNNING 4
#define ALERT_ACTION_MAX_ARGS 32
/* The command's PATH, whatever memvigil's own. */
#define ALERT_ACTION_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct alert_action;

/* One NAME=VALUE pair to add to the command's environment. */
struct alert_env {
	const char *name;
	const char *value;
};

/*
 * Prepare cmdline; NULL with a one-line reason in err (no prefix) if the
 * program does not exist or cannot be executed, or on ENOMEM.
 */
struct alert_action *alert_action__new(const char *cmdline, char *err, size_t err_len);
void alert_action__free(struct alert_action *act);

/*
 * Run the command at now_ms with env and PATH as its whole environment.
 * Returns the child's PID, 0 if the rate limit skipped this run, or a
 * negative errno if fork failed.
 */
pid_t alert_action__run(struct alert_action *act, uint64_t now_ms,
			const struct alert_env *env, size_t env_cnt);
/* Reap finished runs (never waits for anything else). */
void alert_action__reap(struct alert_action *act);
/* Wait up to timeout_ms for running commands to finish. */
void alert_action__wait(struct alert_action *act, int timeout_ms);
uint64_t alert_action__skipped(const struct alert_action *act);
uint64_t alert_action__runs(const struct alert_action *act);

#endif
