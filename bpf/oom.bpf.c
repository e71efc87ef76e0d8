// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * OOM kills of any process (user space keeps those that concern a traced
 * one), with what the victim held: RSS and its memory cgroup.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "maps.bpf.h"
#include "task_mem.bpf.h"

#define SIGKILL_NR	9
#define SEND_SIG_PRIV_PTR 1	/* the kernel's own SIGKILLs (the OOM killer's) */

/* The last process sent the kernel's SIGKILL on this CPU (OOM victim candidate). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sigkill_task SEC(".maps");

/* The OOM killer sends SIGKILL (as the kernel) just before mark_victim. */
SEC("tp_btf/signal_generate")
int BPF_PROG(handle_signal_generate, int sig, struct kernel_siginfo *info,
	     struct task_struct *task)
{
	__u32 zero = 0;
	__u64 *slot;

	if (sig != SIGKILL_NR || (__u64)info != SEND_SIG_PRIV_PTR)
		return 0;
	slot = bpf_map_lookup_elem(&sigkill_task, &zero);
	if (slot)
		*slot = (__u64)task;
	return 0;
}

/*
 * mark_victim's argument is the victim's pid on older kernels and its
 * task_struct on newer ones (Debian's 6.1 and 6.12 builds already have the
 * task_struct). A pid is below 2^22; a kernel pointer has its top bits set.
 * With only a pid, the task is the one just sent the kernel's SIGKILL.
 */
static __always_inline struct task_struct *victim_of(__u64 arg)
{
	struct task_struct *task;
	__u32 zero = 0;
	__u64 *slot;

	if (arg >> 47)
		return (struct task_struct *)arg;
	slot = bpf_map_lookup_elem(&sigkill_task, &zero);
	if (!slot || !*slot)
		return NULL;
	task = (struct task_struct *)*slot;
	*slot = 0;
	if (BPF_CORE_READ(task, pid) != (int)arg)
		return NULL;
	return task;
}

SEC("raw_tp/mark_victim")
int handle_mark_victim(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 arg = ctx->args[0];
	struct task_struct *task = victim_of(arg);
	struct mv_oom_event *e;
	struct mm_struct *mm;

	e = event_reserve(sizeof(*e));
	if (!e)
		return 0;
	e->type = MV_EV_OOM_KILL;
	e->ts_ns = bpf_ktime_get_ns();
	e->killer_pid = bpf_get_current_pid_tgid() >> 32;
	e->memcg.limit_pages = ~0ull;
	if (task) {
		e->pid = BPF_CORE_READ(task, tgid);
		e->tid = BPF_CORE_READ(task, pid);
		BPF_CORE_READ_STR_INTO(&e->comm, task, comm);
		mm = BPF_CORE_READ(task, mm);
		if (mm)
			read_rss(mm, e->rss_pages);
		read_memcg(task, &e->memcg);
	} else {
		e->pid = e->tid = (__u32)arg;	/* details unknown: user space fills in */
	}
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}
