// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "alert_action.h"

struct alert_action {
	char *words;			/* cmdline, split in place */
	char *argv[ALERT_ACTION_MAX_ARGS + 1];
	char path[PATH_MAX];		/* the program, resolved at start */
	pid_t running[ALERT_ACTION_MAX_RUNNING];
	uint64_t last_ms;
	bool ran;
	uint64_t runs, skipped;
};

static bool executable_file(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode) && !access(path, X_OK);
}

static int resolve(struct alert_action *act, char *err, size_t err_len)
{
	const char *prog = act->argv[0], *path = getenv("PATH");
	char *dirs, *dir, *save = NULL;
	bool found = false;

	if (strchr(prog, '/')) {
		if (!executable_file(prog)) {
			snprintf(err, err_len, "--on-alert program %s %s", prog,
				 access(prog, F_OK) ? "does not exist" : "is not an executable file");
			return -ENOENT;
		}
		snprintf(act->path, sizeof(act->path), "%s", prog);
		return 0;
	}
	dirs = strdup(path && *path ? path : ALERT_ACTION_PATH);
	if (!dirs)
		return -ENOMEM;
	for (dir = strtok_r(dirs, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		snprintf(act->path, sizeof(act->path), "%s/%s", *dir ? dir : ".", prog);
		found = executable_file(act->path);
	}
	free(dirs);
	if (!found) {
		snprintf(err, err_len, "--on-alert program '%s' is not found in PATH; "
			 "give an existing program or its full path", prog);
		return -ENOENT;
	}
	return 0;
}

struct alert_action *alert_action__new(const char *cmdline, char *err, size_t err_len)
{
	struct alert_action *act = calloc(1, sizeof(*act));
	char *save = NULL, *w;
	size_t n = 0;

	if (!act || !(act->words = strdup(cmdline))) {
		snprintf(err, err_len, "out of memory");
		free(act);
		return NULL;
	}
	for (w = strtok_r(act->words, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (n == ALERT_ACTION_MAX_ARGS) {
			snprintf(err, err_len, "--on-alert command has more than %d words",
				 ALERT_ACTION_MAX_ARGS);
			goto err_free;
		}
		act->argv[n++] = w;
	}
	if (!n) {
		snprintf(err, err_len, "--on-alert command is empty");
		goto err_free;
	}
	if (resolve(act, err, err_len))
		goto err_free;
	return act;
err_free:
	alert_action__free(act);
	return NULL;
}

void alert_action__free(struct alert_action *act)
{
	if (!act)
		return;
	free(act->words);
	free(act);
}

static int free_slot(struct alert_action *act)
{
	int i;

	alert_action__reap(act);
	for (i = 0; i < ALERT_ACTION_MAX_RUNNING; i++)
		if (!act->running[i])
			return i;
	return -1;
}

/* ALERT_ACTION_PATH and env, built before fork (no allocation in the child). */
static char **build_env(const struct alert_env *env, size_t env_cnt)
{
	static char path[] = "PATH=" ALERT_ACTION_PATH;
	size_t i, len;
	char **envp;

	envp = calloc(env_cnt + 2, sizeof(*envp));
	if (!envp)
		return NULL;
	for (i = 0; i < env_cnt; i++) {
		len = strlen(env[i].name) + strlen(env[i].value) + 2;
		envp[i] = malloc(len);
		if (!envp[i])
			goto err_free;
		snprintf(envp[i], len, "%s=%s", env[i].name, env[i].value);
	}
	envp[env_cnt] = path;
	return envp;
err_free:
	while (i--)
		free(envp[i]);
	free(envp);
	return NULL;
}

/* Close every fd above 2 by listing /proc/self/fd (async-signal-safe: no allocation). */
static void close_listed_fds(void)
{
	struct dirent64_hdr {
		uint64_t ino;
		int64_t off;
		unsigned short reclen;
		unsigned char type;
		char name[];
	} *d;
	char buf[1024] __attribute__((aligned(8)));
	long n, off;
	int dfd, fd;

	dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return;
	while ((n = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n; off += d->reclen) {
			d = (struct dirent64_hdr *)(buf + off);
			if (d->name[0] < '0' || d->name[0] > '9')
				continue;
			fd = atoi(d->name);
			if (fd > STDERR_FILENO && fd != dfd)
				close(fd);
		}
	}
	close(dfd);
}

/*
 * In the child, before execve: default dispositions for every signal, then
 * an empty mask, then only fds 0-2 left open. Async-signal-safe calls only.
 */
static void reset_child(void)
{
	/*
	 * The kernel's struct sigaction (x86-64 layout), all zero: SIG_DFL. Not
	 * glibc's sigaction(), which refuses its own signals 32 and 33, and a
	 * parent may have left those ignored too.
	 */
	static const struct {
		unsigned long handler, flags, restorer, mask;
	} dfl;
	sigset_t none;
	int sig;

	for (sig = 1; sig < NSIG; sig++)	/* fails for SIGKILL, SIGSTOP: nothing to reset */
		syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
#ifdef SYS_close_range
	if (!syscall(SYS_close_range, STDERR_FILENO + 1, ~0U, 0))
		return;
#endif
	close_listed_fds();
}

pid_t alert_action__run(struct alert_action *act, uint64_t now_ms,
			const struct alert_env *env, size_t env_cnt)
{
	char **envp;
	size_t i;
	pid_t pid;
	int slot;

	slot = free_slot(act);
	if (slot < 0 || (act->ran && now_ms < act->last_ms + ALERT_ACTION_MIN_GAP_MS)) {
		act->skipped++;
		return 0;
	}
	envp = build_env(env, env_cnt);
	if (!envp)
		return -ENOMEM;
	pid = fork();
	if (pid == 0) {
		reset_child();
		execve(act->path, act->argv, envp);
		_exit(127);
	}
	for (i = 0; i < env_cnt; i++)	/* envp[env_cnt] is the static PATH */
		free(envp[i]);
	free(envp);
	if (pid < 0)
		return -errno;
	act->running[slot] = pid;
	act->ran = true;
	act->last_ms = now_ms;
	act->runs++;
	return pid;
}

void alert_action__reap(struct alert_action *act)
{
	int i, status;

	if (!act)
		return;
	for (i = 0; i < ALERT_ACTION_MAX_RUNNING; i++)
		if (act->running[i] && waitpid(act->running[i], &status, WNOHANG) != 0)
			act->running[i] = 0;
}

void alert_action__wait(struct alert_action *act, int timeout_ms)
{
	int i, waited = 0;
	bool any;

	while (act) {
		alert_action__reap(act);
		for (i = 0, any = false; i < ALERT_ACTION_MAX_RUNNING; i++)
			any |= act->running[i] != 0;
		if (!any || waited >= timeout_ms)
			return;
		usleep(10000);
		waited += 10;
	}
}

uint64_t alert_action__skipped(const struct alert_action *act)
{
	return act ? act->skipped : 0;
}

uint64_t alert_action__runs(const struct alert_action *act)
{
	return act ? act->runs : 0;
}
