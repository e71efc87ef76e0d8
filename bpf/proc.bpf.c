// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Process lifecycle of traced processes: exec replaces the image, exit ends
 * it, fork (attached only when following children) makes a new one.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "maps.bpf.h"
#define UNWIND_MAPS_EXTERN
#include "unwind_maps.bpf.h"

static __always_inline int emit_proc_event(__u32 type, __u32 pid, __u32 tid,
					   __u32 exit_code, __u64 addr)
{
	struct mv_event *e;

	e = event_reserve(sizeof(*e));
	if (!e)
		return 0;
	e->type = type;
	e->pid = pid;
	e->tid = tid;
	e->exit_code = exit_code;
	e->addr = addr;
	e->ts_ns = bpf_ktime_get_ns();
	/* rare and acted on at once (the traced process ended or changed) */
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}

struct exec_vma {
	__u64 start, end, pgoff, ino;
	__u32 dev;
};

static long read_exec_vma(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct exec_vma *v = data;

	v->start = BPF_CORE_READ(vma, vm_start);
	v->end = BPF_CORE_READ(vma, vm_end);
	v->pgoff = BPF_CORE_READ(vma, vm_pgoff);
	v->ino = BPF_CORE_READ(vma, vm_file, f_inode, i_ino);
	v->dev = BPF_CORE_READ(vma, vm_file, f_inode, i_sb, s_dev);
	return 0;
}

/* The exec record carries the new code mapping: see struct mv_exec_image. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 pid = BPF_CORE_READ(p, tgid);
	struct exec_vma v = {};
	struct mv_exec_image *img;
	struct mv_event *e;

	if (!bpf_map_lookup_elem(&traced_pids, &pid))
		return 0;
	/* the old image's mapping list no longer holds: frame pointers until user space writes one */
	unwind_proc_stale(pid, true);
	bpf_find_vma(p, BPF_CORE_READ(p, mm, start_code), read_exec_vma, &v, 0);
	e = event_reserve(sizeof(*e) + sizeof(*img));
	if (!e)
		return 0;
	e->type = MV_EV_EXEC;
	e->pid = pid;
	e->tid = BPF_CORE_READ(p, pid);
	e->ts_ns = bpf_ktime_get_ns();
	img = (void *)(e + 1);
	img->start = v.start;
	img->end = v.end;
	img->file_offset = v.pgoff << 12;
	img->ino = v.ino;
	img->dev_major = v.dev >> 20;
	img->dev_minor = v.dev & ((1u << 20) - 1);
	if (bpf_probe_read_kernel_str(img->filename, sizeof(img->filename),
				      BPF_CORE_READ(bprm, filename)) < 0)
		img->filename[0] = '\0';
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}

/* Fires for every exiting thread; only the last one of a traced process counts. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *p)
{
	__u32 pid = BPF_CORE_READ(p, tgid);

	if (!bpf_map_lookup_elem(&traced_pids, &pid))
		return 0;
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	return emit_proc_event(MV_EV_EXIT, pid, BPF_CORE_READ(p, pid),
			       BPF_CORE_READ(p, exit_code), 0);
}

/*
 * A new process (not a thread) whose parent is traced is traced from its
 * first instruction on the BPF side, so its exec and exit are never missed;
 * user space attaches its heap probes when it reads the record.
 */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ppid = BPF_CORE_READ(parent, tgid);
	__u32 pid = BPF_CORE_READ(child, tgid);
	__u8 one = 1;

	if (pid == ppid || BPF_CORE_READ(child, pid) != pid)
		return 0;	/* a new thread of an existing process */
	if (!bpf_map_lookup_elem(&traced_pids, &ppid))
		return 0;
	bpf_map_update_elem(&traced_pids, &pid, &one, BPF_ANY);
	return emit_proc_event(MV_EV_FORK, pid, pid, 0, ppid);
}
