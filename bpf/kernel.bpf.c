// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel's view of traced processes: page faults, reclaim stalls and the
 * mmap family, counted or recorded per traced process; OOM kills of any
 * process (user space keeps those that concern a traced one); and a task
 * iterator that reads RSS, fault counters and the memory cgroup at each
 * sample. Only tp_btf, raw_tp and iter programs, and uprobes on the C
 * library's mmap-family wrappers: no kprobes, no fentry, no tracefs.
 * High-rate signals (faults) are counted in maps, never sent one record each.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "maps.bpf.h"

/* x86-64 syscall numbers (the only architecture built). */
#define NR_MMAP		9
#define NR_MUNMAP	11
#define NR_BRK		12
#define NR_MREMAP	25

#define MAP_SHARED_FLAG	0x01
#define MAP_ANON_FLAG	0x20
#define PAGE_MASK_4K	4095ull
#define SIGKILL_NR	9
#define SEND_SIG_PRIV_PTR 1	/* the kernel's own SIGKILLs (the OOM killer's) */
#define MEMCG_ANCESTORS	8	/* memcg levels searched for the limit */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MV_MAX_TRACED_PIDS);
	__type(key, __u32);
	__type(value, struct mv_kstat);
} kstats SEC(".maps");

/* Reclaim start per thread; key tid * 2 + (0 direct, 1 memcg). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MV_MAX_INFLIGHT_THREADS);
	__type(key, __u64);
	__type(value, __u64);
} reclaim_start SEC(".maps");

/* Arguments of an mmap-family syscall (or wrapper call) a traced thread is in. */
struct sys_call {
	__u64 args[5];
	__u64 entry_ip;		/* wrappers: the probed entry, first frame of the stack */
	__u64 sp;		/* wrappers: stack pointer at entry (a nested call's is lower) */
	__u32 nr;
	__u32 in_allocator;	/* made inside a traced allocator call */
	__u32 depth;		/* wrappers: nested wrapper calls (an interposer calling libc) */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MV_MAX_INFLIGHT_THREADS);
	__type(key, __u32);
	__type(value, struct sys_call);
} sys_calls SEC(".maps");

/* Room to assemble a mapping record and its stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[MV_MAP_EVENT_MAX_BYTES]);
} map_scratch SEC(".maps");

/* The last process sent the kernel's SIGKILL on this CPU (OOM victim candidate). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sigkill_task SEC(".maps");

/* mm_struct before 6.2: the counters were atomics in struct mm_rss_stat. */
struct mm_rss_stat___pre62 {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));

struct mm_struct___pre62 {
	struct mm_rss_stat___pre62 rss_stat;
} __attribute__((preserve_access_index));

static __always_inline bool is_traced(__u32 pid)
{
	return bpf_map_lookup_elem(&traced_pids, &pid) != NULL;
}

static __always_inline struct mv_kstat *kstat_of(__u32 pid)
{
	struct mv_kstat *s, zero = {};

	if (!is_traced(pid))
		return NULL;
	s = bpf_map_lookup_elem(&kstats, &pid);
	if (s)
		return s;
	bpf_map_update_elem(&kstats, &pid, &zero, BPF_NOEXIST);
	s = bpf_map_lookup_elem(&kstats, &pid);
	if (!s)
		count_loss(MV_LOSS_KSTATS);
	return s;
}

static __always_inline __u64 clamp_pages(long v)
{
	return v < 0 ? 0 : v;
}

/* What get_mm_counter() returns, on 6.1 (atomics) and 6.2+ (percpu_counter). */
static __always_inline void read_rss(struct mm_struct *mm, __u64 out[MV_RSS_CNT])
{
	struct mm_struct___pre62 *old = (void *)mm;

	if (bpf_core_field_exists(old->rss_stat)) {
		out[MV_RSS_FILE] = clamp_pages(BPF_CORE_READ(old, rss_stat.count[0].counter));
		out[MV_RSS_ANON] = clamp_pages(BPF_CORE_READ(old, rss_stat.count[1].counter));
		out[MV_RSS_SWAP] = clamp_pages(BPF_CORE_READ(old, rss_stat.count[2].counter));
		out[MV_RSS_SHMEM] = clamp_pages(BPF_CORE_READ(old, rss_stat.count[3].counter));
	} else {
		out[MV_RSS_FILE] = clamp_pages(BPF_CORE_READ(mm, rss_stat[0].count));
		out[MV_RSS_ANON] = clamp_pages(BPF_CORE_READ(mm, rss_stat[1].count));
		out[MV_RSS_SWAP] = clamp_pages(BPF_CORE_READ(mm, rss_stat[2].count));
		out[MV_RSS_SHMEM] = clamp_pages(BPF_CORE_READ(mm, rss_stat[3].count));
	}
}

/* The task's memory cgroup: its directory's inode, usage, and the tightest limit above it. */
static __always_inline void read_memcg(struct task_struct *task, struct mv_memcg *out)
{
	int id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	struct cgroup_subsys_state *css;
	struct mem_cgroup *memcg;
	__u64 max;
	int i;

	out->id = 0;
	out->usage_pages = 0;
	out->limit_pages = ~0ull;
	if (id < 0 || id >= CGROUP_SUBSYS_COUNT)
		return;
	css = BPF_CORE_READ(task, cgroups, subsys[id]);
	if (!css)
		return;
	memcg = (struct mem_cgroup *)css;	/* css is mem_cgroup's first member */
	out->id = BPF_CORE_READ(css, cgroup, kn, id);
	out->usage_pages = BPF_CORE_READ(memcg, memory.usage.counter);
	for (i = 0; i < MEMCG_ANCESTORS && memcg; i++) {
		max = BPF_CORE_READ(memcg, memory.max);
		if (max < out->limit_pages)
			out->limit_pages = max;
		memcg = (struct mem_cgroup *)BPF_CORE_READ(memcg, css.parent);
	}
}

/* --- page faults -------------------------------------------------------- */

/* tp_btf takes the tracepoint's prototype, which did not change when its
 * context struct was renamed (x86_exceptions -> exceptions): no flavors needed. */
SEC("tp_btf/page_fault_user")
int BPF_PROG(handle_fault_user)
{
	struct mv_kstat *s = kstat_of(bpf_get_current_pid_tgid() >> 32);

	if (s)
		__sync_fetch_and_add(&s->faults_user, 1);
	return 0;
}

SEC("tp_btf/page_fault_kernel")
int BPF_PROG(handle_fault_kernel, unsigned long address)
{
	struct mv_kstat *s;

	if (address >> 63)
		return 0;	/* a kernel address: not the process's memory */
	s = kstat_of(bpf_get_current_pid_tgid() >> 32);
	if (s)
		__sync_fetch_and_add(&s->faults_kernel, 1);
	return 0;
}

/* --- reclaim stalls ----------------------------------------------------- */

static __always_inline int reclaim_begin(__u32 kind)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 key = ((__u64)(__u32)id << 1) | kind, now;

	if (!is_traced(id >> 32))
		return 0;
	now = bpf_ktime_get_ns();
	bpf_map_update_elem(&reclaim_start, &key, &now, BPF_ANY);
	return 0;
}

static __always_inline int reclaim_end(__u32 kind)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 key = ((__u64)(__u32)id << 1) | kind, *start, delta;
	struct mv_kstat *s;

	start = bpf_map_lookup_elem(&reclaim_start, &key);
	if (!start)
		return 0;
	delta = bpf_ktime_get_ns() - *start;
	bpf_map_delete_elem(&reclaim_start, &key);
	s = kstat_of(id >> 32);
	if (!s)
		return 0;
	__sync_fetch_and_add(&s->reclaim_ns, delta);
	__sync_fetch_and_add(&s->reclaim_cnt, 1);
	return 0;
}

SEC("tp_btf/mm_vmscan_direct_reclaim_begin")
int BPF_PROG(handle_direct_reclaim_begin)
{
	return reclaim_begin(0);
}

SEC("tp_btf/mm_vmscan_direct_reclaim_end")
int BPF_PROG(handle_direct_reclaim_end)
{
	return reclaim_end(0);
}

/* A memory cgroup at its limit reclaims from itself: the same kind of stall. */
SEC("tp_btf/mm_vmscan_memcg_reclaim_begin")
int BPF_PROG(handle_memcg_reclaim_begin)
{
	return reclaim_begin(1);
}

SEC("tp_btf/mm_vmscan_memcg_reclaim_end")
int BPF_PROG(handle_memcg_reclaim_end)
{
	return reclaim_end(1);
}

/* --- mmap, munmap, mremap, brk ------------------------------------------ */

static __always_inline bool is_map_syscall(long nr)
{
	return nr == NR_MMAP || nr == NR_MUNMAP || nr == NR_MREMAP || nr == NR_BRK;
}

/* Every syscall passes here: the number test comes before any map lookup. */
SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter, struct pt_regs *regs, long nr)
{
	__u64 id;
	__u32 tid;
	struct inflight_call *call;
	struct sys_call c = {};

	if (!is_map_syscall(nr))
		return 0;
	id = bpf_get_current_pid_tgid();
	if (!is_traced(id >> 32))
		return 0;
	tid = (__u32)id;
	c.nr = nr;
	c.args[0] = regs->di;	/* tp_btf: regs is a BTF pointer, read directly */
	c.args[1] = regs->si;
	c.args[2] = regs->dx;
	c.args[3] = regs->r10;
	c.args[4] = regs->r8;
	call = inflight_lookup();
	c.in_allocator = call && call->depth;
	if (bpf_map_update_elem(&sys_calls, &tid, &c, BPF_ANY))
		count_loss(MV_LOSS_SYSCALL);
	return 0;
}

static __always_inline __u64 page_round(__u64 len)
{
	return (len + PAGE_MASK_4K) & ~PAGE_MASK_4K;
}

/*
 * The stack of an mmap. Frames: an address in the wrapper, its caller's
 * return address, then the walk's callers; user space drops the return
 * address when the walk had it too. Seen inside the wrapper (sys_exit, or a
 * probe after its syscall: entry_ip 0), the frame-pointer walk starts in
 * the wrapper, which (a leaf in glibc) keeps no frame: the return address
 * is read at user_sp. Seen from the wrapper's return probe, the walk starts
 * at the return address already, and the wrapper's entry_ip goes first.
 */
static __always_inline void emit_map(void *ctx, struct mv_map_event *e, __u64 entry_ip,
				     __u64 user_sp, bool with_stack)
{
	__u64 *frames = (__u64 *)(e + 1), ret_addr = 0;
	__u64 bytes = sizeof(*e);
	__u32 room = stack_depth;
	long n = 0;

	e->stack_depth = 0;
	if (room < 2)
		room = 2;
	if (room > MV_MAX_STACK_DEPTH)
		room = MV_MAX_STACK_DEPTH;
	if (with_stack) {
		n = bpf_get_stack(ctx, frames + 1, (room - 1) * sizeof(__u64), BPF_F_USER_STACK);
		if (n < (long)sizeof(__u64)) {
			count_loss(MV_LOSS_STACK);
			n = 0;
		} else if (entry_ip) {
			frames[0] = entry_ip;
			n += sizeof(__u64);
		} else {
			frames[0] = frames[1];
			if (bpf_probe_read_user(&ret_addr, sizeof(ret_addr), (void *)user_sp))
				ret_addr = frames[0];
			frames[1] = ret_addr;
			n += sizeof(__u64);
		}
		e->stack_depth = n / sizeof(__u64);
		bytes += n;
	}
	if (bytes > MV_MAP_EVENT_MAX_BYTES)
		bytes = MV_MAP_EVENT_MAX_BYTES;
	if (bpf_ringbuf_output(&events, e, bytes, ringbuf_wakeup_flags()))
		count_loss(MV_LOSS_RINGBUF);
}

static __always_inline void fill_map(struct mv_map_event *e, const struct sys_call *c,
				     long ret, __u64 id)
{
	__u64 flags = c->args[3];

	__builtin_memset(e, 0, sizeof(*e));
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->ts_ns = bpf_ktime_get_ns();
	switch (c->nr) {
	case NR_MMAP:
		e->type = MV_EV_MMAP;
		e->addr = ret;
		e->len = page_round(c->args[1]);
		e->prot = c->args[2];
		if (!(flags & MAP_ANON_FLAG))
			e->flags |= MV_MAP_FILE;
		if (flags & MAP_SHARED_FLAG)
			e->flags |= MV_MAP_SHARED;
		if (c->in_allocator)
			e->flags |= MV_MAP_ALLOCATOR;
		break;
	case NR_MUNMAP:
		e->type = MV_EV_MUNMAP;
		e->addr = c->args[0];
		e->len = page_round(c->args[1]);
		break;
	case NR_MREMAP:
		e->type = MV_EV_MREMAP;
		e->addr = ret;
		e->len = page_round(c->args[2]);
		e->old_addr = c->args[0];
		e->old_len = page_round(c->args[1]);
		break;
	default:	/* NR_BRK */
		e->type = MV_EV_BRK;
		e->addr = ret;
		e->old_addr = BPF_CORE_READ((struct task_struct *)bpf_get_current_task(),
					    mm, start_brk);
		break;
	}
}

/* One mapping record for call c with result ret (see emit_map for entry_ip and user_sp). */
static __always_inline void report_map(void *ctx, const struct sys_call *c, long ret, __u64 id,
				       __u64 entry_ip, __u64 user_sp)
{
	struct mv_map_event *e;
	__u32 zero = 0;

	e = bpf_map_lookup_elem(&map_scratch, &zero);
	if (!e)
		return;
	fill_map(e, c, ret, id);
	emit_map(ctx, e, entry_ip, user_sp, c->nr == NR_MMAP);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct sys_call *c;

	/* orig_ax holds the syscall number on the way out; a plain load, every syscall pays it */
	if (!is_map_syscall(regs->orig_ax))
		return 0;
	c = bpf_map_lookup_elem(&sys_calls, &tid);
	if (!c)
		return 0;
	/* a failed call changed nothing (brk returns the break, changed or not) */
	if (ret >= 0 || ret <= -4096 || c->nr == NR_BRK)
		report_map(ctx, c, ret, id, 0, regs->sp);
	bpf_map_delete_elem(&sys_calls, &tid);
	return 0;
}

/*
 * The same four calls seen by one uprobe per traced process, just after the
 * syscall instruction in the C library's wrapper (user/syscall_site.h says
 * where and why it is equivalent): the registers hold what sys_exit would
 * see, the raw result in %rax and the arguments in the syscall registers.
 * Cookie: syscall number, and in its high half where the wrapper's return
 * address is from %rsp. A wrapper call in flight on this thread (an
 * interposer's mmap calling the C library's) is reported by its return.
 */
SEC("uprobe")
int BPF_UPROBE(map_syscall_return)
{
	__u64 id = bpf_get_current_pid_tgid(), cookie = bpf_get_attach_cookie(ctx);
	__u32 tid = (__u32)id;
	struct inflight_call *call;
	struct sys_call c = {}, *outer;
	long ret = PT_REGS_RC(ctx);

	if (!is_traced(id >> 32))
		return 0;
	outer = bpf_map_lookup_elem(&sys_calls, &tid);
	if (outer && PT_REGS_SP(ctx) < outer->sp)
		return 0;
	c.nr = (__u32)cookie;
	if (ret < 0 && ret > -4096 && c.nr != NR_BRK)
		return 0;	/* failed: nothing changed */
	c.args[0] = PT_REGS_PARM1(ctx);
	c.args[1] = PT_REGS_PARM2(ctx);
	c.args[2] = PT_REGS_PARM3(ctx);
	c.args[3] = PT_REGS_PARM4_SYSCALL(ctx);
	c.args[4] = PT_REGS_PARM5(ctx);
	call = inflight_lookup();
	c.in_allocator = call && call->depth;
	report_map(ctx, &c, ret, id, 0, PT_REGS_SP(ctx) + (cookie >> 32));
	return 0;
}

/*
 * The same four calls seen through their C library wrappers (mmap64, munmap,
 * mremap, brk, and an interposer's own, such as tcmalloc's), by uprobes in
 * each traced process only: other processes' syscalls pay nothing. The
 * attach cookie is the syscall number. Raw syscalls (Go, syscall(2)) are
 * not seen this way; the tracepoints above see them.
 */
SEC("uprobe")
int BPF_UPROBE(map_enter)
{
	__u64 id = bpf_get_current_pid_tgid(), sp = PT_REGS_SP(ctx);
	__u32 tid = (__u32)id;
	struct inflight_call *call;
	struct sys_call c = {}, *outer;

	if (!is_traced(id >> 32))
		return 0;
	outer = bpf_map_lookup_elem(&sys_calls, &tid);
	if (outer && sp < outer->sp) {
		outer->depth++;	/* a wrapper inside a wrapper: the outer one reports */
		return 0;
	}
	/* none, or one whose return was never seen (detached meanwhile): start over */
	c.nr = bpf_get_attach_cookie(ctx);
	c.args[0] = PT_REGS_PARM1(ctx);	/* function-call registers, not the syscall's */
	c.args[1] = PT_REGS_PARM2(ctx);
	c.args[2] = PT_REGS_PARM3(ctx);
	c.args[3] = PT_REGS_PARM4(ctx);
	c.args[4] = PT_REGS_PARM5(ctx);
	c.entry_ip = PT_REGS_IP(ctx);
	c.sp = sp;
	call = inflight_lookup();
	c.in_allocator = call && call->depth;
	if (bpf_map_update_elem(&sys_calls, &tid, &c, BPF_ANY))
		count_loss(MV_LOSS_SYSCALL);
	return 0;
}

SEC("uretprobe")
int BPF_URETPROBE(map_exit, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct sys_call *c;

	c = bpf_map_lookup_elem(&sys_calls, &tid);
	if (!c)
		return 0;
	if (c->depth) {
		c->depth--;
		return 0;
	}
	if (c->nr == NR_BRK)	/* the wrapper returns 0 or -1: read the break itself */
		ret = BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), mm, brk);
	if (c->nr == NR_BRK || ret != -1)	/* MAP_FAILED or -1: nothing changed */
		report_map(ctx, c, ret, id, c->entry_ip, 0);
	bpf_map_delete_elem(&sys_calls, &tid);
	return 0;
}

/* --- OOM kills ---------------------------------------------------------- */

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

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_loss(MV_LOSS_RINGBUF);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
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

/* --- process exit ------------------------------------------------------ */

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

/* --- per-sample reads: task iterator ------------------------------------ */

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
