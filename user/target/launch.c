// SPDX-License-Identifier: GPL-2.0
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
#include "procfs/proc_info.h"
#include "target/launch.h"

#define PF_KTHREAD 0x00200000

/* The flags (PF_*) of pid's /proc/PID/stat: 0, or a negative errno. */
static int read_task_flags(pid_t pid, unsigned long long *flags)
{
	char buf[1024];

	if (!proc_info__read(pid, "stat", buf, sizeof(buf)))
		return -errno;
	return proc_info__parse_flags(buf, flags) ? 0 : -EINVAL;
}

bool launch__exiting(pid_t pid)
{
	char buf[1024];

	return proc_info__read(pid, "stat", buf, sizeof(buf)) && proc_info__parse_exiting(buf);
}

int launch__check_pid(pid_t pid, char *err, size_t err_len)
{
	unsigned long long flags;
	char comm[32];
	int ret;

	if (pid == getpid()) {
		snprintf(err, err_len, "PID %d is memvigil itself; it never traces itself", pid);
		return -EINVAL;
	}
	ret = read_task_flags(pid, &flags);
	if (ret == -ENOENT || ret == -ESRCH) {
		snprintf(err, err_len, "no process with PID %d; check the PID with ps", pid);
		return -ESRCH;
	}
	if (ret) {
		snprintf(err, err_len, "cannot read /proc/%d/stat: %s", pid, strerror(-ret));
		return ret;
	}
	if (flags & PF_KTHREAD) {
		proc_info__comm(pid, comm, sizeof(comm));
		snprintf(err, err_len,
			 "PID %d (%s) is a kernel thread; memvigil traces user-space processes",
			 pid, comm);
		return -EINVAL;
	}
	if (kill(pid, 0) && errno == ESRCH) {
		snprintf(err, err_len, "no process with PID %d; check the PID with ps", pid);
		return -ESRCH;
	}
	return 0;
}

static int check_executable(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode) || access(path, X_OK))
		return -EACCES;
	return 0;
}

int launch__find_command(const char *name, char *path, size_t path_len)
{
	const char *path_env;
	int ret = -ENOENT;

	if (strchr(name, '/')) {
		snprintf(path, path_len, "%s", name);
		return check_executable(name);
	}
	path_env = getenv("PATH");
	if (!path_env)
		path_env = "/usr/local/bin:/usr/bin:/bin";
	while (*path_env) {
		size_t len = strcspn(path_env, ":");

		snprintf(path, path_len, "%.*s/%s", (int)len, len ? path_env : ".", name);
		ret = check_executable(path);
		if (ret == 0 || ret == -EACCES)
			break;
		path_env += len + (path_env[len] == ':');
	}
	return ret;
}

int launch__check_command(char *const argv[], char *err, size_t err_len)
{
	const char *name = argv[0];
	char buf[4096];
	int ret;

	if (!name || !*name) {
		snprintf(err, err_len, "empty command after --");
		return -EINVAL;
	}
	ret = launch__find_command(name, buf, sizeof(buf));
	if (ret == -ENOENT)
		snprintf(err, err_len, "command not found: %s; give a path or check PATH", name);
	else if (ret)
		snprintf(err, err_len, "cannot execute %s: %s", name,
			 ret == -EACCES ? "not an executable file (check its mode)" : strerror(-ret));
	return ret;
}

/* Wait for the next ptrace stop of pid, passing other signals on. */
static int wait_stop(pid_t pid, int want_sig, int *status)
{
	for (;;) {
		if (waitpid(pid, status, __WALL) < 0)
			return -errno;
		if (!WIFSTOPPED(*status))
			return -ECHILD;	/* exited or killed */
		if (WSTOPSIG(*status) == want_sig)
			return 0;
		if (ptrace(PTRACE_CONT, pid, 0, (void *)(long)WSTOPSIG(*status)))
			return -errno;
	}
}

static void describe_early_exit(const char *name, int status, char *err, size_t err_len)
{
	if (WIFEXITED(status))
		snprintf(err, err_len, "%s exited with status %d before reaching its entry point;"
			 " nothing was traced", name, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(err, err_len, "%s was killed by signal %d before reaching its entry point",
			 name, WTERMSIG(status));
	else
		snprintf(err, err_len, "%s stopped unexpectedly before its entry point", name);
}

static void child_exec(char *const argv[], const char *ld_preload, bool stdout_to_stderr,
		       int err_fd)
{
	int e;

	if (ld_preload && setenv("LD_PRELOAD", ld_preload, 1))
		_exit(127);
	if (stdout_to_stderr && dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
		goto fail;
	if (ptrace(PTRACE_TRACEME, 0, 0, 0) == 0 && raise(SIGSTOP) == 0)
		execvp(argv[0], argv);
fail:
	e = errno;
	if (write(err_fd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

/* Run the stopped child to its entry point with a one-byte breakpoint. */
static int run_to_entry(pid_t pid, const char *name, char *err, size_t err_len)
{
	struct user_regs_struct regs;
	uint64_t entry = proc_info__auxv(pid, AT_ENTRY);
	long orig;
	int status, ret;

	errno = 0;
	orig = entry ? ptrace(PTRACE_PEEKTEXT, pid, (void *)entry, 0) : -1;
	if (!entry || errno) {
		snprintf(err, err_len, "cannot find the entry point of %s", name);
		return -ENOEXEC;
	}
	if (ptrace(PTRACE_POKETEXT, pid, (void *)entry, (void *)((orig & ~0xffL) | 0xcc)) ||
	    ptrace(PTRACE_CONT, pid, 0, 0))
		goto ptrace_failed;
	ret = wait_stop(pid, SIGTRAP, &status);
	if (ret == -ECHILD) {
		describe_early_exit(name, status, err, err_len);
		return ret;
	}
	if (ret || ptrace(PTRACE_GETREGS, pid, 0, &regs))
		goto ptrace_failed;
	regs.rip = entry;
	if (ptrace(PTRACE_POKETEXT, pid, (void *)entry, (void *)orig) ||
	    ptrace(PTRACE_SETREGS, pid, 0, &regs))
		goto ptrace_failed;
	return 0;

ptrace_failed:
	ret = -errno;
	snprintf(err, err_len, "cannot hold %s at its entry point: %s", name, strerror(errno));
	return ret ? ret : -EIO;
}

/* After the SIGSTOP the child raised: set options, let it exec, stop after exec. */
static int run_to_exec(pid_t pid, int err_fd, const char *name, char *err, size_t err_len)
{
	int status, ret, exec_errno;

	if (ptrace(PTRACE_SETOPTIONS, pid, 0,
		   (void *)(long)(PTRACE_O_EXITKILL | PTRACE_O_TRACEEXEC)) ||
	    ptrace(PTRACE_CONT, pid, 0, 0)) {
		snprintf(err, err_len, "cannot trace the launched command: %s", strerror(errno));
		return -errno;
	}
	ret = wait_stop(pid, SIGTRAP, &status);
	if (ret == -ECHILD) {
		if (read(err_fd, &exec_errno, sizeof(exec_errno)) == sizeof(exec_errno)) {
			snprintf(err, err_len, "cannot execute %s: %s", name, strerror(exec_errno));
			return -exec_errno;
		}
		describe_early_exit(name, status, err, err_len);
		return ret;
	}
	if (ret || status >> 8 != (SIGTRAP | (PTRACE_EVENT_EXEC << 8))) {
		snprintf(err, err_len, "unexpected stop while starting %s", name);
		return ret ? ret : -EIO;
	}
	return 0;
}

int launch__held(char *const argv[], const char *ld_preload, bool stdout_to_stderr,
		 pid_t *pid_out, char *err, size_t err_len)
{
	int pipefd[2], status, ret;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC)) {
		snprintf(err, err_len, "pipe: %s", strerror(errno));
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		snprintf(err, err_len, "fork: %s", strerror(errno));
		goto close_pipe;
	}
	if (pid == 0) {
		close(pipefd[0]);
		child_exec(argv, ld_preload, stdout_to_stderr, pipefd[1]);
	}
	close(pipefd[1]);
	pipefd[1] = -1;
	ret = wait_stop(pid, SIGSTOP, &status);
	if (ret) {
		snprintf(err, err_len, "cannot start %s", argv[0]);
		goto reap;
	}
	ret = run_to_exec(pid, pipefd[0], argv[0], err, err_len);
	if (ret)
		goto reap;
	ret = run_to_entry(pid, argv[0], err, err_len);
	if (ret)
		goto reap;
	*pid_out = pid;
	goto close_pipe;

reap:
	kill(pid, SIGKILL);
	waitpid(pid, &status, __WALL);
close_pipe:
	close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	return ret;
}

int launch__release(pid_t pid)
{
	if (ptrace(PTRACE_DETACH, pid, 0, 0))
		return -errno;
	return 0;
}

void launch__kill_held(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	waitpid(pid, &status, __WALL);
}
