// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Per-process kernel figures at each sample: a task iterator reads RSS,
 * fault counters and the memory cgroup; a traced process's exit is noted.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "maps.bpf.h"
#include "task_mem.bpf.h"

/*
 * The last thread of a traced process leaves its fault counters here: the
 * task iterator cannot see the process once it is gone. Threads that ended
 * earlier were folded into signal's counters already.
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit_counters, struct task_struct *p)
{
	struct mv_kstat *s;

	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	s = kstat_of(BPF_CORE_READ(p, tgid));
	if (!s)
		return 0;
	s->exit_min_flt = BPF_CORE_READ(p, signal, min_flt) + BPF_CORE_READ(p, min_flt);
	s->exit_maj_flt = BPF_CORE_READ(p, signal, maj_flt) + BPF_CORE_READ(p, maj_flt);
	s->exited = 1;
	return 0;
}

SEC("iter/task")
int dump_task(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct mv_task_sample s = {};
	struct mm_struct *mm;

	if (!task)
		return 0;
	s.pid = BPF_CORE_READ(task, tgid);
	if (!is_traced(s.pid))
		return 0;
	s.tid = BPF_CORE_READ(task, pid);
	s.min_flt = BPF_CORE_READ(task, min_flt);
	s.maj_flt = BPF_CORE_READ(task, maj_flt);
	s.sig_min_flt = BPF_CORE_READ(task, signal, min_flt);
	s.sig_maj_flt = BPF_CORE_READ(task, signal, maj_flt);
	mm = BPF_CORE_READ(task, mm);
	if (mm) {
		s.has_mm = 1;
		read_rss(mm, s.rss_pages);
		s.total_vm_pages = BPF_CORE_READ(mm, total_vm);
		s.start_brk = BPF_CORE_READ(mm, start_brk);
		s.brk = BPF_CORE_READ(mm, brk);
		read_memcg(task, &s.memcg);
	}
	bpf_seq_write(ctx->meta->seq, &s, sizeof(s));
	return 0;
}
