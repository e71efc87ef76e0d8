// SPDX-License-Identifier: GPL-2.0
/*
 * raw_fork: children made every way a process can fork, from a process that
 * allocates all the while. Meant to run with libmemvigil-sampler.so
 * preloaded and traced through it: on Linux 6.18 the probe functions of the
 * traced parent then start with a call to the kernel's uprobe trampoline,
 * which no child inherits, so each child must get the nop back before its
 * first probe call, fork handlers or not.
 *
 * Says READY and waits for SIGUSR1 (a tracer attached), allocates so that
 * the probes fire, prints the first byte of memvigil_sampler_alloc as the
 * parent sees it, then forks with fork(), _Fork(), syscall(SYS_fork) and
 * syscall(SYS_clone, SIGCHLD): each child allocates and frees CHILD_ALLOCS
 * blocks and exits 0. Then the parent says how each child ended:
 *
 *   PROBE first_byte=<hex, or none without the library>
 *   CHILD how=<way> status=exit:<N> | signal:<N>
 *   TRUTH done
 *
 * and waits for SIGTERM.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/wait.h>
#include "fork_ways.h"
#include "truth.h"

#define WARM_ALLOCS 2000
#define CHILD_ALLOCS 5000

static void *volatile last;

/* n blocks allocated and freed (through a volatile: the compiler keeps each call) */
static void churn(int n)
{
	for (int i = 0; i < n; i++) {
		last = malloc(64 + i % 2000);
		free(last);
	}
}

static void fork_and_wait(const char *how)
{
	pid_t pid = fork_way(how);
	int status;

	if (pid == 0) {
		churn(CHILD_ALLOCS);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		printf("CHILD how=%s status=none\n", how);
		return;
	}
	printf("CHILD how=%s status=%s:%d\n", how, WIFSIGNALED(status) ? "signal" : "exit",
	       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

static void work(void)
{
	const unsigned char *probe = dlsym(RTLD_DEFAULT, "memvigil_sampler_alloc");

	churn(WARM_ALLOCS);
	if (probe)
		printf("PROBE first_byte=%02x\n", probe[0]);
	else
		printf("PROBE first_byte=none\n");
	fflush(stdout);		/* once, not again in each child */
	for (size_t i = 0; i < FORK_WAYS_CNT; i++) {
		fork_and_wait(fork_ways[i]);
		fflush(stdout);
	}
}

static void tell(void)
{
	truth_done();
}

int main(int argc, char **argv)
{
	return truth_main(argc, argv, "raw_fork", work, tell);
}
