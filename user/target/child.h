/* SPDX-License-Identifier: GPL-2.0 */
/*
 * child: the life of the command memvigil launched (-- CMD) once it runs:
 * reaped when it exits, asked to stop (SIGTERM, then SIGKILL after a grace
 * period) when tracing ends first, and its exit status for memvigil's own.
 */
#ifndef MV_CHILD_H
#define MV_CHILD_H

#include <stdbool.h>
#include <sys/types.h>

struct child {
	pid_t pid;
	bool launched;		/* pid is memvigil's child */
	bool held;		/* still held at its entry point (launch.h) */
	bool reaped;
	int status;		/* wait(2) status once reaped */
	int stop_signal;	/* the signal that ended memvigil's trace (SIGINT from a
				 * terminal reaches the command too), 0 if none */
	bool ended;		/* memvigil sent it SIGTERM (and SIGKILL) to end it */
	/* called once, when the child is reaped */
	void (*on_reaped)(void *ctx, pid_t pid, int status);
	void *ctx;
};

/* Reap the child if it has exited (block: wait for it). */
void child__reap(struct child *c, bool block);

/* End a child still running: kill a held one, ask a running one to stop. */
void child__end(struct child *c);

/*
 * memvigil's exit status for its command: the command's own, 128+signal, or
 * 1; but 0 when memvigil ended it (-d, or a signal to memvigil) and it died
 * of what memvigil sent, or of the signal that stopped memvigil: the trace
 * succeeded, and only the command's own failure shows.
 */
int child__exit_status(const struct child *c);

#endif
