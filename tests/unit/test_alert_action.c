// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "analysis/alert_action.h"

static char dir[] = "/tmp/memvigil-test-action-XXXXXX";
static char err[256];

/*
 * What the command writes: its signals, the environment execve gave it, its
 * fds. The signals are read first and by builtins only: the shell blocks
 * every signal around each fork it makes, so a child reading the shell's
 * status could see that instead of what execve gave.
 */
static const char script[] =
	"#!/bin/sh\n"
	"while IFS= read -r l; do case $l in SigBlk:*|SigIgn:*) printf '%s\\n' \"$l\";; esac; "
	"done < /proc/$$/status > \"$1.sig\"\n"
	"tr '\\0' '\\n' < /proc/$$/environ > \"$1.env\"\n"
	"ls -l /proc/self/fd > \"$1.fd\"\n"
	"touch \"$1.done\"\n";

static void make_dir(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

static const char *in_dir(const char *name)
{
	static char path[4][256];
	static int slot;

	slot = (slot + 1) % 4;
	snprintf(path[slot], sizeof(path[slot]), "%s/%s", dir, name);
	return path[slot];
}

static char *read_all(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Run the script as the --on-alert command once; its output files are DIR/out.* */
static void run_script(void)
{
	static const struct alert_env env[] = { { "MEMVIGIL_ALERT_EXPR", "rss>1G" },
						{ "MEMVIGIL_ALERT_PID", "42" } };
	struct alert_action *act;
	char cmdline[512];
	FILE *f = fopen(in_dir("hook.sh"), "w");

	cr_assert_not_null(f);
	fputs(script, f);
	fclose(f);
	snprintf(cmdline, sizeof(cmdline), "/bin/sh %s %s", in_dir("hook.sh"), in_dir("out"));
	act = alert_action__new(cmdline, err, sizeof(err));
	cr_assert_not_null(act, "%s", err);
	cr_assert_gt(alert_action__run(act, 0, env, 2), 0);
	alert_action__wait(act, 5000);
	alert_action__free(act);
	cr_assert_eq(access(in_dir("out.done"), F_OK), 0, "the command did not finish");
}

Test(alert_action, command_environment_is_path_and_the_alert_variables_only,
     .init = make_dir, .fini = remove_dir, .timeout = 20)
{
	char *env, *line, *save = NULL;
	int n = 0;

	setenv("MEMVIGIL_TEST_SECRET", "1", 1);
	setenv("PATH", "/nonexistent/bin:/usr/bin:/bin", 1);
	run_script();
	env = read_all(in_dir("out.env"));
	for (line = strtok_r(env, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++)
		cr_assert(!strcmp(line, "PATH=" ALERT_ACTION_PATH) ||
			  !strcmp(line, "MEMVIGIL_ALERT_EXPR=rss>1G") ||
			  !strcmp(line, "MEMVIGIL_ALERT_PID=42"), "inherited: %s", line);
	cr_assert_eq(n, 3, "expected PATH and 2 alert variables, got %d lines", n);
}

Test(alert_action, command_has_only_fds_0_to_2, .init = make_dir, .fini = remove_dir,
     .timeout = 20)
{
	char *fds, *line, *save = NULL, *arrow;
	int leaked = open("/dev/null", O_RDONLY);	/* no O_CLOEXEC, like a careless library */
	int n = 0;

	cr_assert_geq(leaked, 3);
	run_script();
	fds = read_all(in_dir("out.fd"));
	for (line = strtok_r(fds, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		arrow = strstr(line, " -> ");
		if (!arrow || strstr(arrow, "/fd"))
			continue;	/* "total 0", and ls's own /proc/PID/fd */
		cr_assert(arrow[-1] >= '0' && arrow[-1] <= '2' && arrow[-2] == ' ',
			  "open fd beyond 0-2: %s", line);
		n++;
	}
	cr_assert_eq(n, 3, "fds 0-2 should stay open: %s", read_all(in_dir("out.fd")));
	close(leaked);
}

Test(alert_action, command_has_default_signal_dispositions_and_mask, .init = make_dir,
     .fini = remove_dir, .timeout = 20)
{
	/* The kernel's struct sigaction, SIG_IGN: glibc will not ignore its own signal 32. */
	static const struct {
		unsigned long handler, flags, restorer, mask;
	} ign = { .handler = 1 };
	sigset_t set;

	cr_assert_eq(syscall(SYS_rt_sigaction, 32, &ign, NULL, sizeof(ign.mask)), 0);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	run_script();
	cr_assert_str_eq(read_all(in_dir("out.sig")),
			 "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}
