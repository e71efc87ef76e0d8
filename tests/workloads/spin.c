// SPDX-License-Identifier: GPL-2.0
/*
 * spin SECONDS: stay alive for SECONDS (default 30) without allocating
 * anything, then exit 0. Writes "SPIN <pid>" to stdout first (with write(2),
 * so not even stdio allocates). A target for attach, signal and error tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? strtod(argv[1], NULL) : 30, end = now_s() + secs;
	struct timespec nap = { 0, 20 * 1000 * 1000 };
	char line[32];
	int n;

	n = snprintf(line, sizeof(line), "SPIN %d\n", getpid());
	if (write(STDOUT_FILENO, line, n) != n)
		return 2;
	while (now_s() < end)
		nanosleep(&nap, NULL);
	return 0;
}
