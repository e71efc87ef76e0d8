// SPDX-License-Identifier: GPL-2.0
/* The kernel-signal programs: faults, reclaim, mappings, OOM, the task iterator. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "memvigil/call_state.h"
#include "lib/log.h"
#include "probes/probes_state.h"
#include "memvigil.skel.h"

static const char *const kfeature_names[] = { "faults", "reclaim", "mappings", "oom",
					      "task_iter" };

/* Attach progs (all or none) for one feature; a kernel without it loses only it. */
static void attach_feature(struct probes *pr, uint32_t bit, struct bpf_program **progs, size_t n)
{
	size_t first = pr->klink_cnt, i;
	struct bpf_link *link;

	for (i = 0; i < n; i++) {
		link = bpf_program__attach(progs[i]);
		if (!link) {
			log_warn("kernel signal '%s' unavailable: cannot attach %s: %s",
				 probes__kernel_feature_name(bit), bpf_program__name(progs[i]),
				 strerror(errno));
			while (pr->klink_cnt > first)
				bpf_link__destroy(pr->klinks[--pr->klink_cnt]);
			return;
		}
		pr->klinks[pr->klink_cnt++] = link;
	}
	pr->kfeatures |= bit;
}

void probes__attach_kernel(struct probes *pr)
{
	struct memvigil_bpf *sk = pr->skel;
	struct bpf_program *faults[] = { sk->progs.handle_fault_user, sk->progs.handle_fault_kernel,
					 sk->progs.handle_exit_counters };
	struct bpf_program *reclaim[] = {
		sk->progs.handle_direct_reclaim_begin, sk->progs.handle_direct_reclaim_end,
		sk->progs.handle_memcg_reclaim_begin, sk->progs.handle_memcg_reclaim_end,
	};
	struct bpf_program *maps[] = { sk->progs.handle_sys_exit, sk->progs.handle_sys_enter };
	struct bpf_program *oom[] = { sk->progs.handle_signal_generate,
				      sk->progs.handle_mark_victim };

	attach_feature(pr, PROBES_K_FAULTS, faults, 3);
	attach_feature(pr, PROBES_K_RECLAIM, reclaim, 4);
	if (pr->mappings == MV_MAPPINGS_OFF)
		log_info("kernel signal 'mappings' off (--mappings=off): mmap, munmap, mremap "
			 "and brk are not followed");
	else if (pr->mappings == MV_MAPPINGS_SYSCALLS)
		attach_feature(pr, PROBES_K_MAPS, maps, 2);
	else
		pr->kfeatures |= PROBES_K_MAPS;	/* per process, by probes__attach_maps */
	attach_feature(pr, PROBES_K_OOM, oom, 2);
	pr->task_iter = bpf_program__attach_iter(sk->progs.dump_task, NULL);
	if (pr->task_iter)
		pr->kfeatures |= PROBES_K_TASK_ITER;
	else
		log_warn("kernel signal 'task_iter' unavailable (no RSS or fault counters): %s",
			 strerror(errno));
}

uint32_t probes__kernel_features(const struct probes *pr)
{
	return pr->kfeatures;
}

const char *probes__kernel_feature_name(uint32_t bit)
{
	unsigned int i;

	for (i = 0; i < sizeof(kfeature_names) / sizeof(kfeature_names[0]); i++)
		if (bit == 1u << i)
			return kfeature_names[i];
	return "?";
}

int probes__sample_tasks(struct probes *pr, probes_task_fn fn, void *ctx)
{
	struct mv_task_sample recs[64];
	size_t got = 0, i;
	ssize_t n;
	int fd, err = 0;

	if (!pr->task_iter)
		return -ENOTSUP;
	fd = bpf_iter_create(bpf_link__fd(pr->task_iter));
	if (fd < 0)
		return -errno;
	for (;;) {
		n = read(fd, (char *)recs + got, sizeof(recs) - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		got += n;
		for (i = 0; i < got / sizeof(recs[0]); i++)
			fn(ctx, &recs[i]);
		/* a record split across reads: keep its start */
		memmove(recs, (char *)recs + i * sizeof(recs[0]), got - i * sizeof(recs[0]));
		got -= i * sizeof(recs[0]);
	}
	close(fd);
	return err;
}

int probes__test_mark_victim(struct probes *pr, uint64_t arg)
{
	__u64 args[1] = { arg };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));

	if (bpf_prog_test_run_opts(bpf_program__fd(pr->skel->progs.handle_mark_victim), &opts))
		return -errno;
	return 0;
}

int probes__kstat(struct probes *pr, pid_t pid, struct mv_kstat *out)
{
	__u32 key = pid;

	if (bpf_map__lookup_elem(pr->skel->maps.kstats, &key, sizeof(key), out, sizeof(*out), 0))
		return -errno;
	return 0;
}
