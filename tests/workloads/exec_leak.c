// SPDX-License-Identifier: GPL-2.0
/*
 * exec_leak: a leak before exec, then another one in the new image.
 *
 * The first image leaks in leak_before_exec, then execs itself
 * (/proc/self/exe --child); the new image leaks in leak_after_exec and exits
 * 0. An exec discards the old address space, so a tracer must drop the old
 * image's live set: only leak_after_exec is still outstanding at the end.
 * Stdout:
 *
 *   GONE func=leak_before_exec bytes=<N> allocs=<K>    (dropped by the exec)
 *   TRUTH func=leak_after_exec bytes=<N> allocs=<K>
 *   TRUTH done
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "truth.h"

#define BEFORE_LEAKS 13
#define BEFORE_BYTES 1999
#define AFTER_LEAKS 5
#define AFTER_BYTES 6007

static void *volatile kept[BEFORE_LEAKS > AFTER_LEAKS ? BEFORE_LEAKS : AFTER_LEAKS];
static volatile unsigned char sink;

static __attribute__((noinline)) void touch(void *p, size_t n)
{
	memset(p, 0x3c, n);
	sink = ((unsigned char *)p)[n - 1];
}

static __attribute__((noinline)) void keep_block(void *p, int i, size_t n)
{
	if (!p) {
		perror("exec_leak: malloc");
		exit(2);
	}
	touch(p, n);
	kept[i] = p;
}

static __attribute__((noinline)) void leak_before_exec(void)
{
	for (int i = 0; i < BEFORE_LEAKS; i++)
		keep_block(malloc(BEFORE_BYTES), i, BEFORE_BYTES);
}

static __attribute__((noinline)) void leak_after_exec(void)
{
	for (int i = 0; i < AFTER_LEAKS; i++)
		keep_block(malloc(AFTER_BYTES), i, AFTER_BYTES);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--child")) {
		leak_after_exec();
		truth_leak("leak_after_exec", AFTER_LEAKS * AFTER_BYTES, AFTER_LEAKS);
		truth_done();
		/*
		 * A tracer reads the new image's mappings when it reads the exec
		 * record; one that exits within milliseconds of its exec may be
		 * gone by then (a documented limit). Stay a moment, so the test
		 * checks the dropped live set rather than that race (unless
		 * EXEC_LEAK_NO_LINGER is set: a test of that race itself).
		 */
		if (!getenv("EXEC_LEAK_NO_LINGER"))
			usleep(300 * 1000);
		return 0;
	}
	leak_before_exec();
	truth_gone("leak_before_exec", BEFORE_LEAKS * BEFORE_BYTES, BEFORE_LEAKS);
	fflush(stdout);
	execl("/proc/self/exe", argv[0], "--child", (char *)NULL);
	perror("exec_leak: exec /proc/self/exe");
	return 2;
}
