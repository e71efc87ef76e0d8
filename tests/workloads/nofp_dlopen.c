// SPDX-License-Identifier: GPL-2.0
/*
 * nofp_dlopen: a library without frame pointers that the program opens
 * while it runs (dlopen), not at start: libnofp_mid.so, from this program's
 * folder. After 300 ms it opens the library, then calls through it LEAKS
 * times, 1 s after the first and 30 ms apart after that: main -> call_through_library -> nofp_mid_call ->
 * nofp_mid_2 -> nofp_mid_3 (library) -> leak_in_callback (here) -> malloc.
 * A walk that knows the library's unwind table names all three library
 * frames; one that meets its code before memvigil has loaded that table is
 * cut short there. Stdout:
 *
 *   TRUTH func=leak_in_callback bytes=<N> allocs=<LEAKS>
 *   CHAIN leak_in_callback nofp_mid_3 nofp_mid_2 nofp_mid_call call_through_library main
 *   TRUTH done
 */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "truth.h"

#define LEAKS 20
#define BLOCK 1543

typedef long (*mid_call_fn)(long (*cb)(long), long x);

static char *volatile kept[LEAKS];

__attribute__((noinline)) long leak_in_callback(long i)
{
	kept[i] = malloc(BLOCK);
	kept[i][0] = (char)i;
	return kept[i][0];
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

__attribute__((noinline)) long call_through_library(mid_call_fn call)
{
	long sum = 0;

	for (long i = 0; i < LEAKS; i++) {
		sum += call(leak_in_callback, i);
		sleep_ms(i ? 30 : 1000);	/* the first call shows memvigil the new code */
	}
	return sum;
}

int main(void)
{
	char exe[PATH_MAX], lib[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	mid_call_fn call;
	void *h;

	if (n <= 0)
		return 1;
	exe[n] = '\0';
	snprintf(lib, sizeof(lib), "%s/libnofp_mid.so", dirname(exe));
	sleep_ms(300);
	h = dlopen(lib, RTLD_NOW);
	if (!h) {
		fprintf(stderr, "nofp_dlopen: %s\n", dlerror());
		return 1;
	}
	*(void **)&call = dlsym(h, "nofp_mid_call");
	if (!call || call_through_library(call) < 0)
		return 1;
	truth_leak("leak_in_callback", (unsigned long long)BLOCK * LEAKS, LEAKS);
	printf("CHAIN leak_in_callback nofp_mid_3 nofp_mid_2 nofp_mid_call call_through_library "
	       "main\n");
	truth_done();
	return 0;
}
