// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Process lifecycle of traced processes: exec replaces the image, exit ends
 * it, fork (attached only when following children) makes a new one.
 *
 * Holding an exec. The record of an exec reaches user space while the new
 * image runs the dynamic linker, which maps the allocator's library a few
 * hundred microseconds later and then runs the program: user space would
 * find the library gone or not yet there, or attach after the first
 * allocations. So while hold_execs is set, the exec stops the process
 * (SIGSTOP, delivered before its first instruction) and lists it in
 * held_pids; user space sets a one-shot uprobe at the new image's entry
 * point and lets it run (SIGCONT). At the entry point (image_entry) every
 * library the program needs is mapped and relocated and none of the
 * program's own code has run: the process is stopped again there until
 * user space has attached its allocator. A process that leads its own
 * process group is never stopped: a job-control shell made it a job, and
 * would see it stop and take the terminal back. Only a process whose record
 * could be reserved is stopped, so user space always learns of a stop.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "maps.bpf.h"
#define UNWIND_MAPS_EXTERN
#include "unwind_maps.bpf.h"

#define MV_SIGSTOP 19

/* Stop traced processes at exec and at the entry point; user space clears it before it ends. */
bool hold_execs = false;

/* Processes stopped here that user space has not released yet (value unused). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MV_MAX_TRACED_PIDS);
	__type(key, __u32);
	__type(value, __u8);
} held_pids SEC(".maps");

/* A job of a job-control shell: the leader of its own process group. */
static __always_inline bool leads_process_group(struct task_struct *p)
{
	int pgid = bpf_core_enum_value(enum pid_type, PIDTYPE_PGID);
	struct pid *group = NULL;

	if (pgid < 0 || pgid >= PIDTYPE_MAX)
		return true;	/* cannot tell: do not stop it */
	bpf_core_read(&group, sizeof(group), &p->signal->pids[pgid]);
	return group == BPF_CORE_READ(p, thread_pid);
}

/* Stop the current process (pid, task p) until user space releases it; returns MV_PROC_* flags. */
static __always_inline __u32 hold_current(__u32 pid, struct task_struct *p)
{
	__u8 one = 1;

	if (!hold_execs || leads_process_group(p))
		return 0;
	if (bpf_map_update_elem(&held_pids, &pid, &one, BPF_ANY))
		return 0;
	if (bpf_send_signal(MV_SIGSTOP)) {
		bpf_map_delete_elem(&held_pids, &pid);
		return 0;
	}
	return MV_PROC_HELD;
}

/*
 * A zeroed record of size bytes (a constant) but for type, pid, tid and the
 * time; NULL, counted, when the ring buffer is full.
 */
static __always_inline struct mv_event *reserve_proc_event(__u32 type, __u32 pid, __u32 tid,
							   __u64 size)
{
	struct mv_event *e = event_reserve(size);

	if (!e)
		return NULL;
	e->type = type;
	e->pid = pid;
	e->tid = tid;
	e->ts_ns = bpf_ktime_get_ns();
	return e;
}

static __always_inline int emit_proc_event(__u32 type, __u32 pid, __u32 tid,
					   __u32 exit_code, __u64 addr)
{
	struct mv_event *e = reserve_proc_event(type, pid, tid, sizeof(*e));

	if (!e)
		return 0;
	e->exit_code = exit_code;
	e->addr = addr;
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

	if (!is_traced(pid))
		return 0;
	/* the old image's mapping list no longer holds: frame pointers until user space writes one */
	unwind_proc_stale(pid, true);
	bpf_find_vma(p, BPF_CORE_READ(p, mm, start_code), read_exec_vma, &v, 0);
	e = reserve_proc_event(MV_EV_EXEC, pid, BPF_CORE_READ(p, pid), sizeof(*e) + sizeof(*img));
	if (!e)
		return 0;
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
	e->kind = hold_current(pid, p);
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}

/*
 * The entry point of the image a traced process exec'd: user space attaches
 * this uprobe there, in that process only, while it holds the exec, and
 * detaches it at the record.
 */
SEC("uprobe")
int BPF_UPROBE(image_entry)
{
	struct task_struct *p = bpf_get_current_task_btf();
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32;
	struct mv_event *e;

	if (!is_traced(pid))
		return 0;
	e = reserve_proc_event(MV_EV_ENTRY, pid, (__u32)id, sizeof(*e));
	if (!e)
		return 0;
	e->addr = PT_REGS_IP(ctx);
	e->kind = hold_current(pid, p);
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}

/* Fires for every exiting thread; only the last one of a traced process counts. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *p)
{
	__u32 pid = BPF_CORE_READ(p, tgid);

	if (!is_traced(pid))
		return 0;
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	bpf_map_delete_elem(&held_pids, &pid);	/* killed while stopped */
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
	if (!is_traced(ppid))
		return 0;
	bpf_map_update_elem(&traced_pids, &pid, &one, BPF_ANY);
	return emit_proc_event(MV_EV_FORK, pid, pid, 0, ppid);
}
