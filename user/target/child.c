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

/* Reap the child within TERMINATE_GRACE_MS; whether it was. */
static bool reaped_within_grace(struct child *c)
{
	int waited_ms = 0;

	while (waited_ms < TERMINATE_GRACE_MS) {
		child__reap(c, false);
		if (c->reaped)
			return true;
		usleep(TERMINATE_STEP_MS * 1000);
		waited_ms += TERMINATE_STEP_MS;
	}
	return false;
}

void child__end(struct child *c)
{
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
	/* Already on its way out (its exit ended the trace): its status is its own. */
	if (launch__exiting(c->pid) && reaped_within_grace(c))
		return;
	c->ended = true;
	kill(c->pid, SIGTERM);
	if (reaped_within_grace(c))
		return;
	kill(c->pid, SIGKILL);
	child__reap(c, true);
}

/* Whether the command died of memvigil's SIGTERM/SIGKILL or of the signal that stopped memvigil. */
static bool ended_by_memvigil(const struct child *c)
{
	int sig;

	if (WIFEXITED(c->status))	/* a shell's way of saying it died of SIGTERM */
		return c->ended && WEXITSTATUS(c->status) == 128 + SIGTERM;
	if (!WIFSIGNALED(c->status))
		return false;
	sig = WTERMSIG(c->status);
	return (c->ended && (sig == SIGTERM || sig == SIGKILL)) ||
	       (c->stop_signal && sig == c->stop_signal);
}

int child__exit_status(const struct child *c)
{
	if (!c->reaped)
		return 1;
	if (ended_by_memvigil(c))
		return 0;
	if (WIFEXITED(c->status))
		return WEXITSTATUS(c->status);
	if (WIFSIGNALED(c->status))
		return 128 + WTERMSIG(c->status);
	return 1;
}
