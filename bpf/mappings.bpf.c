// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The mmap family (mmap, munmap, mremap, brk) of traced processes: through
 * the raw syscall tracepoints (--mappings=syscalls) or uprobes on the C
 * library's wrappers (the default), one record per call with its stack.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "maps.bpf.h"
/* maps.bpf.c defines the unwind maps, heap.bpf.c the walk's searches. */
#define UNWIND_MAPS_EXTERN
#define UNWIND_FUNCS_EXTERN
#include "unwind.bpf.h"

/* x86-64 syscall numbers (the only architecture built). */
#define NR_MMAP		9
#define NR_MUNMAP	11
#define NR_BRK		12
#define NR_MREMAP	25

#define MAP_SHARED_FLAG	0x01
#define MAP_ANON_FLAG	0x20
#define PAGE_MASK_4K	4095ull

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

/*
 * Room to assemble a mapping record and its stack; one frame more than a
 * record holds, as the table walk may fill all its slots after the entry.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[MV_MAP_EVENT_MAX_BYTES + sizeof(__u64)]);
} map_scratch SEC(".maps");

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
 * address when the walk had it too, and the wrapper's address (a stack
 * starts at the caller of mmap, as a heap stack at the caller of malloc). Seen inside the wrapper (sys_exit, or a
 * probe after its syscall: entry_ip 0), the frame-pointer walk starts in
 * the wrapper, which (a leaf in glibc) keeps no frame: the return address
 * is read at user_sp. Seen from the wrapper's return probe, the walk starts
 * at the return address already, and the wrapper's entry_ip goes first.
 */
/*
 * The stack of an mmap through unwind tables, from the thread's user
 * registers (at a probe inside the wrapper or at sys_exit: the wrapper's
 * own frame first; at its return probe: its caller, after entry_ip). The
 * walk follows the wrapper's frame by its table, so no return address is
 * read by hand. Returns the bytes of frames filled.
 */
static __always_inline long map_stack_unwound(__u64 *frames, __u64 entry_ip, __u32 room,
					      bool *truncated)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	__u64 ip = BPF_CORE_READ(regs, ip), sp = BPF_CORE_READ(regs, sp);
	__u64 bp = BPF_CORE_READ(regs, bp);
	__u32 n, stop;

	if (entry_ip) {
		frames[0] = entry_ip;
		n = 1 + unwind_walk_from(ip, sp, bp, frames + 1, room - 1, &stop);
	} else {
		n = unwind_walk_from(ip, sp, bp, frames, room, &stop);
	}
	*truncated = stop != UNWIND_STOP_END && stop != UNWIND_STOP_FP_END;
	return n * sizeof(__u64);
}

static __always_inline void emit_map(void *ctx, struct mv_map_event *e, __u64 entry_ip,
				     __u64 user_sp, bool with_stack)
{
	__u64 *frames = (__u64 *)(e + 1), ret_addr = 0;
	__u64 bytes = sizeof(*e);
	__u32 room = stack_depth;
	bool truncated = false;
	long n = 0;

	e->stack_depth = 0;
	if (room < 2)
		room = 2;
	if (room > MV_MAX_STACK_DEPTH)
		room = MV_MAX_STACK_DEPTH;
	if (with_stack && unwind_tables) {
		n = map_stack_unwound(frames, entry_ip, room, &truncated);
		e->stack_depth = n / sizeof(__u64);
		bytes += n;
	} else if (with_stack) {
		n = bpf_get_stack(ctx, frames + 1, (room - 1) * sizeof(__u64), BPF_F_USER_STACK);
		truncated = n >= (long)((room - 1) * sizeof(__u64));	/* filled: cut at the depth */
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
	if (truncated) {
		e->flags |= MV_MAP_STACK_TRUNCATED;
		count_loss(MV_LOSS_TRUNCATED);
	}
	/* bound bytes itself: clang would otherwise test n and the verifier (6.1) lose the bound */
	barrier_var(bytes);
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
