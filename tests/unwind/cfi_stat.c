// SPDX-License-Identifier: GPL-2.0
/*
 * cfi_stat: build the unwind table of ELF objects and print what it costs.
 *
 *   cfi_stat [-d] [-r ROUNDS] FILE[:DEBUGFILE]...
 *
 * One line per object: FDEs, rows before and after merging, table bytes,
 * unsupported/PLT/end rows and the median build time over ROUNDS builds
 * (default 5), wall clock and the thread's CPU time. -d also prints every row: vaddr, CFA rule, %rbp rule.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "unwind/cfi_table.h"

static const char *const kind_names[] = { "rsp", "rbp", "plt", "end", "none", "unsupported" };

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void dump_rows(const struct cfi_table *t)
{
	size_t cnt;
	const struct unwind_row *rows = cfi_table__rows(t, &cnt);
	struct cfi_rule r;

	for (size_t i = 0; i < cnt; i++) {
		cfi_row__decode(&rows[i], &r);
		printf("%016llx %s", (unsigned long long)(cfi_table__base_vaddr(t) + rows[i].pc),
		       kind_names[r.kind < 6 ? r.kind : 5]);
		if (r.kind <= UNWIND_CFA_PLT)
			printf("%+d", r.cfa_off);
		if (r.kind == UNWIND_CFA_PLT)
			printf(" t=%u", r.plt_threshold);
		if (r.rbp_saved)
			printf(" rbp=c%+d", r.rbp_off);
		if (r.rbp_lost)
			printf(" rbp=lost");
		printf("\n");
	}
}

static int stat_one(const char *arg, int rounds, int dump)
{
	char path[4096], *debug;
	uint64_t ns[64], cpu_ns[64];
	struct cfi_table *t = NULL;
	int fd, dfd = -1, err = 0;

	snprintf(path, sizeof(path), "%s", arg);
	debug = strchr(path, ':');
	if (debug)
		*debug++ = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (debug)
		dfd = open(debug, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (debug && dfd < 0)) {
		fprintf(stderr, "cfi_stat: cannot open %s: %s\n", arg, strerror(errno));
		err = -errno;
		goto out;
	}
	for (int i = 0; i < rounds; i++) {
		uint64_t t0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);

		cfi_table__free(t);
		err = cfi_table__build_fd(fd, dfd, &t);
		ns[i] = now_ns(CLOCK_MONOTONIC) - t0;
		cpu_ns[i] = now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
		if (err) {
			fprintf(stderr, "cfi_stat: %s: %s\n", arg, strerror(-err));
			goto out;
		}
	}
	qsort(ns, (size_t)rounds, sizeof(ns[0]), u64_cmp);
	qsort(cpu_ns, (size_t)rounds, sizeof(cpu_ns[0]), u64_cmp);
	const struct cfi_table_stats *s = cfi_table__stats(t);
	printf("%s: fdes=%llu rows_raw=%llu rows=%llu bytes=%zu unsupported=%llu plt=%llu end=%llu "
	       "build_ms=%.3f cpu_ms=%.3f\n", arg, (unsigned long long)s->fde_cnt,
	       (unsigned long long)s->rows_raw_cnt, (unsigned long long)s->rows_cnt,
	       cfi_table__bytes(t), (unsigned long long)s->rows_unsupported_cnt,
	       (unsigned long long)s->rows_plt_cnt, (unsigned long long)s->rows_end_cnt,
	       ns[rounds / 2] / 1e6, cpu_ns[rounds / 2] / 1e6);
	if (dump)
		dump_rows(t);
out:
	cfi_table__free(t);
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	return err;
}

int main(int argc, char **argv)
{
	int rounds = 5, dump = 0, opt, failed = 0;

	while ((opt = getopt(argc, argv, "dr:")) != -1) {
		if (opt == 'd')
			dump = 1;
		else if (opt == 'r')
			rounds = atoi(optarg);
		else
			return 64;
	}
	if (optind >= argc || rounds < 1 || rounds > 64) {
		fprintf(stderr, "usage: cfi_stat [-d] [-r ROUNDS(1-64)] FILE[:DEBUGFILE]...\n");
		return 64;
	}
	for (int i = optind; i < argc; i++)
		failed |= stat_one(argv[i], rounds, dump) != 0;
	return failed;
}
