// SPDX-License-Identifier: GPL-2.0
/*
 * debug_leak: a leak whose function names and lines exist only in debug
 * information. Built -O2 -g -fomit-frame-pointer, then split the ways
 * distributions ship binaries (tests/workloads/split_debug.sh): stripped
 * with a separate debug file found by build-id, stripped with a
 * .gnu_debuglink, and stripped with MiniDebugInfo only. DL_VARIANT (a
 * string) makes each variant's code, and so its build-id, its own.
 *
 * main -> dl_outer -> dl_middle -> dl_fill (always inlined) -> malloc,
 * LEAKS times. Stdout:
 *
 *   READY <pid>                        with --wait: then waits for SIGUSR1
 *   TRUTH func=dl_middle bytes=<N> allocs=<K>
 *   LINES fill=<L1> middle=<L2> outer=<L3>
 *   TRUTH done                         with --wait: then waits for SIGTERM
 *
 * where L1 is the line of the malloc call (in dl_fill, inlined into
 * dl_middle), L2 the line in dl_middle that calls dl_fill, L3 the line in
 * dl_outer that calls dl_middle.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "truth.h"

#ifndef DL_VARIANT
#define DL_VARIANT "full"
#endif
#define LEAKS 5
#define LEAK_BYTES 2731

static void *volatile kept[LEAKS];
static volatile int fill_line, middle_line, outer_line;
const char *volatile dl_variant = DL_VARIANT;

static inline __attribute__((always_inline)) char *dl_fill(size_t n, int x)
{
	char *p;

	fill_line = __LINE__, p = malloc(n);
	if (!p)
		abort();
	p[0] = (char)x;
	return p;
}

__attribute__((noinline)) int dl_middle(int x)
{
	char *p;

	middle_line = __LINE__, p = dl_fill(LEAK_BYTES, x);
	kept[x % LEAKS] = p;
	return p[0] + (int)strlen(dl_variant);
}

__attribute__((noinline)) int dl_outer(int x)
{
	int r;

	outer_line = __LINE__, r = dl_middle(x);
	return r + 1;
}

int main(int argc, char **argv)
{
	int wait = argc > 1 && !strcmp(argv[1], "--wait");
	volatile int sink = 0;
	sigset_t set;
	int i;

	if (wait && truth_ready_then_go(&set))
		return 2;
	for (i = 0; i < LEAKS; i++)
		sink += dl_outer(i);
	truth_leak("dl_middle", (unsigned long long)LEAKS * LEAK_BYTES, LEAKS);
	printf("LINES fill=%d middle=%d outer=%d\n", fill_line, middle_line, outer_line);
	truth_done();
	if (wait)
		truth_wait_for(&set, SIGTERM);
	return sink < 0;
}
