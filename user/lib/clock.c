// SPDX-License-Identifier: GPL-2.0
#include <time.h>
#include "lib/clock.h"

static uint64_t read_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

uint64_t clock__mono_ns(void)
{
	return read_ns(CLOCK_MONOTONIC);
}

uint64_t clock__cpu_ns(void)
{
	return read_ns(CLOCK_PROCESS_CPUTIME_ID);
}
