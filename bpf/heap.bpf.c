// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Heap allocator probes. Uprobes are attached per traced process, so these
 * programs only ever run in threads of traced processes. Entry programs
 * remember the arguments of a thread's outermost allocator call; the shared
 * return program turns its result into one record. Nested calls (reallocarray
 * calling realloc, realloc(NULL, n) calling malloc) are counted once.
 * The attach cookie carries the enum mv_alloc_kind of the probed function.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "maps.bpf.h"
#include "ustack.bpf.h"

/* Room to assemble a record and its stack before copying it out. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[MV_EVENT_MAX_BYTES]);
} scratch SEC(".maps");

static __always_inline struct inflight_call *inflight_get(__u32 tid)
{
	struct inflight_call *call, zero = {};

	call = bpf_map_lookup_elem(&inflight, &tid);
	if (call)
		return call;
	bpf_map_update_elem(&inflight, &tid, &zero, BPF_NOEXIST);
	call = bpf_map_lookup_elem(&inflight, &tid);
	if (!call)
		count_loss(MV_LOSS_INFLIGHT);
	return call;
}

static __always_inline int call_enter(__u32 kind, __u64 size, __u64 old_addr,
				      __u64 memptr)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct inflight_call *call = inflight_get(tid);

	if (!call)
		return 0;
	if (call->depth++ == 0) {
		call->kind = kind;
		call->size = size;
		call->old_addr = old_addr;
		call->memptr = memptr;
	}
	return 0;
}

/* Entry of every allocating function; the cookie says which one and so
 * where its size (and old block, or out pointer) is. */
SEC("uprobe")
int BPF_UPROBE(alloc_enter)
{
	__u32 kind = (__u32)bpf_get_attach_cookie(ctx);
	__u64 a0 = PT_REGS_PARM1(ctx), a1 = PT_REGS_PARM2(ctx), a2 = PT_REGS_PARM3(ctx);

	switch (kind) {
	case MV_KIND_CALLOC:
		return call_enter(kind, a0 * a1, 0, 0);
	case MV_KIND_REALLOC:
		return call_enter(kind, a1, a0, 0);
	case MV_KIND_REALLOCARRAY:
		return call_enter(kind, a1 * a2, a0, 0);
	case MV_KIND_POSIX_MEMALIGN:
		return call_enter(kind, a2, 0, a0);
	case MV_KIND_MEMALIGN:
	case MV_KIND_ALIGNED_ALLOC:
		return call_enter(kind, a1, 0, 0);
	default:	/* malloc, valloc, pvalloc */
		return call_enter(kind, a0, 0, 0);
	}
}

static __always_inline void emit_free(__u32 pid, __u32 tid, __u64 addr, __u32 kind)
{
	struct mv_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_loss(MV_LOSS_RINGBUF);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = MV_EV_FREE;
	e->pid = pid;
	e->tid = tid;
	e->kind = kind;
	e->addr = addr;
	e->ts_ns = bpf_ktime_get_ns();
	bpf_ringbuf_submit(e, ringbuf_wakeup_flags());
}

/* Runs only for non-NULL pointers when placed after free's NULL check. */
SEC("uprobe")
int BPF_UPROBE(free_enter, void *ptr)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct inflight_call *call;

	if (!ptr)
		return 0;
	call = bpf_map_lookup_elem(&inflight, &tid);
	if (call && call->depth)
		return 0;	/* inside realloc(p, 0): reported by its return */
	emit_free(id >> 32, tid, (__u64)ptr, MV_KIND_FREE);
	return 0;
}

static __always_inline void emit_alloc(void *ctx, __u32 pid, __u32 tid,
				       struct inflight_call *call, __u64 addr)
{
	__u32 zero = 0, depth;
	struct mv_event *e;
	bool truncated;
	__u64 bytes;

	e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		return;
	depth = ustack_walk(ctx, (__u64 *)(e + 1), &truncated);
	if (truncated)
		count_loss(MV_LOSS_STACK);
	e->type = MV_EV_ALLOC;
	e->pid = pid;
	e->tid = tid;
	e->kind = call->kind;
	e->exit_code = 0;
	e->stack_depth = depth;
	e->ts_ns = bpf_ktime_get_ns();
	e->addr = addr;
	e->size = call->size;
	e->old_addr = call->old_addr;
	bytes = sizeof(*e) + depth * sizeof(__u64);
	if (bytes > MV_EVENT_MAX_BYTES)
		bytes = MV_EVENT_MAX_BYTES;
	if (bpf_ringbuf_output(&events, e, bytes, ringbuf_wakeup_flags()))
		count_loss(MV_LOSS_RINGBUF);
}

SEC("uretprobe")
int BPF_URETPROBE(alloc_exit, void *ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, pid = id >> 32;
	struct inflight_call *call;
	__u64 addr = (__u64)ret;

	call = bpf_map_lookup_elem(&inflight, &tid);
	if (!call || call->depth == 0)
		return 0;	/* return of a call entered before attach */
	if (--call->depth)
		return 0;	/* nested call: the outermost one reports */

	switch (call->kind) {
	case MV_KIND_POSIX_MEMALIGN:
		if ((int)(__u64)ret != 0 ||
		    bpf_probe_read_user(&addr, sizeof(addr), (void *)call->memptr))
			return 0;
		break;
	case MV_KIND_REALLOC:
	case MV_KIND_REALLOCARRAY:
		if (call->old_addr && call->size == 0) {
			/* realloc(p, 0) frees p and returns NULL */
			if (!addr)
				emit_free(pid, tid, call->old_addr, call->kind);
			return 0;
		}
		break;
	default:
		break;
	}
	if (!addr)
		return 0;	/* failed: nothing allocated, realloc's old block stays live */
	emit_alloc(ctx, pid, tid, call, addr);
	return 0;
}
