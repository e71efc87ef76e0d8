// SPDX-License-Identifier: GPL-2.0
/*
 * sampler_ctl: read or set the mode of libmemvigil-sampler.so in another
 * process, from outside, as memvigil does (tests/sampler/ctl_access.c).
 *
 *   sampler_ctl PID                       print the control object
 *   sampler_ctl PID dormant               detach
 *   sampler_ctl PID sampled|exact [PERIOD [GENERATION [LEASE_MS]]]
 *
 * Exit status 0, 1 on failure, 64 on bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ctl_access.h"

static void print_ctl(const struct memvigil_sampler_ctl *c)
{
	printf("magic %#llx abi %u bytes %u\n", (unsigned long long)c->magic, c->abi_version,
	       c->ctl_bytes);
	printf("mode %u flags %#x period %llu generation %llu lease_end_ns %llu live_max %u\n",
	       c->mode, c->flags, (unsigned long long)c->period_bytes,
	       (unsigned long long)c->generation, (unsigned long long)c->lease_end_ns,
	       c->live_max);
	printf("alloc_probe_cnt %llu free_probe_cnt %llu sample_drop_cnt %llu stale_drop_cnt %llu\n",
	       (unsigned long long)c->alloc_probe_cnt, (unsigned long long)c->free_probe_cnt,
	       (unsigned long long)c->sample_drop_cnt, (unsigned long long)c->stale_drop_cnt);
	printf("realloc_fail_cnt %llu lease_expired_cnt %llu arena_bytes %llu set_slots %llu\n",
	       (unsigned long long)c->realloc_fail_cnt, (unsigned long long)c->lease_expired_cnt,
	       (unsigned long long)c->arena_bytes, (unsigned long long)c->set_slots);
}

static uint64_t arg_u64(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	if (*end || !*s) {
		fprintf(stderr, "sampler_ctl: not a number: '%s'\n", s);
		exit(64);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct memvigil_sampler_ctl c;
	struct ctl_access ca = { .mem_fd = -1 };
	uint64_t period = MV_SAMPLER_PERIOD_DEFAULT, generation = 1, lease_end = 0;
	struct timespec ts;
	uint32_t mode;
	int err;

	if (argc < 2 || argc > 6) {
		fprintf(stderr, "usage: sampler_ctl PID [dormant|sampled|exact [PERIOD "
				"[GENERATION [LEASE_MS]]]]\n");
		return 64;
	}
	err = ctl_access__open(&ca, (pid_t)arg_u64(argv[1]));
	if (err) {
		fprintf(stderr, "sampler_ctl: no %s in process %s: %s\n", MV_SAMPLER_LIB_NAME,
			argv[1], strerror(-err));
		return 1;
	}
	if (argc == 2) {
		err = ctl_access__read(&ca, &c);
		if (!err)
			print_ctl(&c);
	} else if (!strcmp(argv[2], "dormant")) {
		err = ctl_access__detach(&ca);
	} else {
		mode = !strcmp(argv[2], "exact") ? MV_SAMPLER_EXACT : MV_SAMPLER_SAMPLED;
		if (strcmp(argv[2], "exact") && strcmp(argv[2], "sampled")) {
			fprintf(stderr, "sampler_ctl: unknown mode '%s'\n", argv[2]);
			return 64;
		}
		period = argc > 3 ? arg_u64(argv[3]) : period;
		generation = argc > 4 ? arg_u64(argv[4]) : generation;
		if (argc > 5) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			lease_end = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec +
				    arg_u64(argv[5]) * 1000000ull;
		}
		err = ctl_access__attach(&ca, mode, period, generation, lease_end, 0);
	}
	ctl_access__close(&ca);
	if (err) {
		fprintf(stderr, "sampler_ctl: %s\n", strerror(-err));
		return 1;
	}
	return 0;
}
