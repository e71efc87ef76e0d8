// SPDX-License-Identifier: GPL-2.0
/*
 * st_attach: a process that memvigil (here run.py with sampler_ctl)
 * attaches to from outside. Prints "READY PID", allocates until it sees
 * itself in EXACT mode with its allocations reported ("SEEN exact"), then
 * until it is dormant again, after which its allocations are no longer
 * reported ("SEEN dormant"), and exits 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "stress.h"

static void churn(int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(malloc(32 + i % 100));
}

int main(void)
{
	struct memvigil_sampler_ctl c;
	uint64_t start;

	stress_init("st_attach", 60);
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
	start = stress_ctl().alloc_probe_cnt;
	do {
		churn(1000);
		c = stress_ctl();
	} while (c.mode != MV_SAMPLER_EXACT || c.alloc_probe_cnt == start);
	printf("SEEN exact generation %llu\n", (unsigned long long)c.generation);
	fflush(stdout);
	do {
		churn(1000);
		c = stress_ctl();
	} while (c.mode != MV_SAMPLER_DORMANT);
	start = c.alloc_probe_cnt;
	churn(100000);
	if (stress_ctl().alloc_probe_cnt != start)
		stress_fail("dormant, yet allocations were reported");
	printf("SEEN dormant\n");
	return 0;
}
