// SPDX-License-Identifier: GPL-2.0
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include "target/child.h"
#include "target/launch.h"

#define TERMINATE_GRACE_MS 2000
#define TERMINATE_STEP_MS 20

void child__reap(struct child *c, bool block)
{
	int status;
	pid_t r;

	if (!c->launched || c->reaped)
		return;
	r = waitpid(c->pid, &status, block ? 0 : WNOHANG);
	if (r != c->pid)
		return;
	c->status = status;
	c->reaped = true;
	if (c->on_reaped)
		c->on_reaped(c->ctx, c->pid, status);
}

void child__end(struct child *c)
{
	int waited_ms = 0;

	if (!c->launched)
		return;
	if (c->held) {
		launch__kill_held(c->pid);	/* killed and reaped: nothing more to end */
		c->held = c->launched = false;
		return;
	}
	child__reap(c, false);
	if (c->reaped)
		return;
	kill(c->pid, SIGTERM);
	while (waited_ms < TERMINATE_GRACE_MS) {
		child__reap(c, false);
		if (c->reaped)
			return;
		usleep(TERMINATE_STEP_MS * 1000);
		waited_ms += TERMINATE_STEP_MS;
	}
	kill(c->pid, SIGKILL);
	child__reap(c, true);
}

int child__exit_status(const struct child *c)
{
	if (!c->reaped)
		return 1;
	if (WIFEXITED(c->status))
		return WEXITSTATUS(c->status);
	if (WIFSIGNALED(c->status))
		return 128 + WTERMSIG(c->status);
	return 1;
}
