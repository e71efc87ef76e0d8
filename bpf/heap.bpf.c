// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Heap allocator probes. Uprobes are attached per traced process, so these
 * programs only ever run in threads of traced processes. Entry programs
 * remember the arguments of a thread's outermost allocator call; the shared
 * return program turns its result into one record. Nested calls (reallocarray
 * calling realloc, realloc(NULL, n) calling malloc) are counted once.
 * The attach cookie carries the enum mv_alloc_kind of the probed function and
 * the enum mv_arg_layout that says where its size, old block or out pointer
 * is. Frees other than the allocator's own free (operator delete, sdallocx,
 * ...) are entered like allocating calls, so the free they may end in is
 * nested and reported once.
 *
 * Sampled mode (sample_bytes != 0): the entry of a thread's outermost call
 * decides whether the allocation is sampled (include/memvigil/sampling.h);
 * only sampled allocations are reported, and their (pid, address) kept in
 * sampled_live, so that only frees of sampled blocks are reported too. A
 * realloc reports the free of its old block when that block was sampled,
 * and its new block when the new size is sampled: it is a free plus an
 * allocation, each sampled on its own. On kernels with uprobe sessions the
 * allocating functions are probed by alloc_session, whose entry tells the
 * kernel to skip the return probe of an unsampled call.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "maps.bpf.h"
#include "ustack.bpf.h"
/* maps.bpf.c defines the unwind maps; this object defines the walk's searches. */
#define UNWIND_MAPS_EXTERN
#define UNWIND_FUNCS_DEFINE
#include "unwind.bpf.h"
#include "memvigil/sampling.h"

/* Sampling period in bytes; 0 = exact (report every allocation). Set before load. */
const volatile __u64 sample_bytes = 0;
/* log2(1 + i / 1024) in Q31, filled by user space (sampling__fill_log2_table). */
const volatile __u32 log2_tab[MV_LOG2_TABLE_LEN] = {};

/* Sampled mode: the blocks sampled and not yet freed. Sized by user space. */
struct block_key {
	__u32 pid;
	__u32 pad;
	__u64 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, MV_SAMPLE_MAX_LIVE_DEFAULT);
	__type(key, struct block_key);
	__type(value, __u8);
} sampled_live SEC(".maps");

/* Room to assemble a record and its stack before copying it out. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[MV_EVENT_MAX_BYTES]);
} scratch SEC(".maps");

/* The current thread's call state, created zeroed at its first call. */
static __always_inline struct inflight_call *inflight_get(void)
{
	struct inflight_call *call;

	call = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0,
				    BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!call)
		count_loss(MV_LOSS_INFLIGHT);
	return call;
}

/*
 * Allocator functions that never call another probed one (glibc 2.36). Not
 * realloc (realloc(NULL, n) calls malloc) nor posix_memalign, memalign and
 * aligned_alloc, which call malloc for alignments malloc gives anyway;
 * valloc and pvalloc align to a page and never do. Kinds not listed are
 * treated as possibly nesting.
 */
static __always_inline bool is_leaf_kind(__u32 kind)
{
	switch (kind) {
	case MV_KIND_MALLOC:
	case MV_KIND_CALLOC:
	case MV_KIND_VALLOC:
	case MV_KIND_PVALLOC:
		return true;
	default:
		return false;
	}
}

/*
 * Unsampled calls of at least this many bytes still take their return probe
 * in session mode, so that depth marks them as inside the allocator while
 * glibc maps their block (its mmap threshold is 128 KiB or more):
 * mappings.bpf.c tags such mmaps as the allocator's.
 */
#define SESSION_RETURN_MIN_BYTES (64u << 10)

/* Sampled mode: whether this thread's allocation of size bytes is sampled. */
static __always_inline bool sample_take(struct inflight_call *call, __u64 size)
{
	if (!call->sample_left)
		call->sample_left = mv_sample_gap(bpf_get_prandom_u32(), sample_bytes, log2_tab);
	return mv_sample_consume(&call->sample_left, size);
}

static __always_inline bool block_forget(__u32 pid, __u64 addr);
static __always_inline void emit_free(__u32 pid, __u64 addr);

/*
 * Entry of a free wrapper (operator delete, sdallocx, ...): the outermost
 * one reports its free now, and the depth it adds keeps the free it ends in
 * quiet. Its return is always needed.
 */
static __always_inline bool free_wrapper_enter(struct inflight_call *call, __u32 kind,
					       __u64 ptr)
{
	__u64 id = bpf_get_current_pid_tgid();

	if (call->depth++)
		return true;
	if (ptr && block_forget(id >> 32, ptr))
		emit_free(id >> 32, ptr);
	call->kind = kind;
	call->layout = MV_ARGS_FREE;
	call->size = 0;
	call->old_addr = ptr;
	call->sampled = false;
	return true;
}

/*
 * Entry of an allocating call. Returns whether the call's return must be
 * seen: with session set, an unsampled outermost call of a function that
 * never nests leaves no state behind and needs no return probe.
 */
static __always_inline bool call_enter(__u32 kind, __u32 layout, __u64 size, __u64 old_addr,
				       __u64 memptr, bool session)
{
	struct inflight_call *call = inflight_get();
	bool sampled = true;

	if (!call)
		return false;
	if (layout == MV_ARGS_FREE)
		return free_wrapper_enter(call, kind, old_addr);
	if (call->depth) {
		call->depth++;	/* nested: only balances the depth */
		return true;
	}
	if (sample_bytes)
		sampled = sample_take(call, size);
	if (session && !sampled && is_leaf_kind(kind) && size < SESSION_RETURN_MIN_BYTES)
		return false;
	call->depth = 1;
	call->kind = kind;
	call->layout = layout;
	call->size = size;
	call->old_addr = old_addr;
	call->memptr = memptr;
	call->sampled = sampled;
	return true;
}

/* The arguments of the function the cookie names, read as its layout says. */
static __always_inline bool alloc_enter_args(struct pt_regs *ctx, bool session)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u32 kind = cookie & MV_COOKIE_KIND_MASK, layout = cookie >> MV_COOKIE_LAYOUT_SHIFT;
	__u64 a0 = PT_REGS_PARM1(ctx), a1 = PT_REGS_PARM2(ctx), a2 = PT_REGS_PARM3(ctx);

	switch (layout) {
	case MV_ARGS_COUNT_SIZE:
		return call_enter(kind, layout, a0 * a1, 0, 0, session);
	case MV_ARGS_PTR_SIZE:
	case MV_ARGS_PTR_SIZE_FREES:
		return call_enter(kind, layout, a1, a0, 0, session);
	case MV_ARGS_PTR_COUNT_SIZE:
		return call_enter(kind, layout, a1 * a2, a0, 0, session);
	case MV_ARGS_OUT_ALIGN_SIZE:
		return call_enter(kind, layout, a2, 0, a0, session);
	case MV_ARGS_ALIGN_SIZE:
		return call_enter(kind, layout, a1, 0, 0, session);
	case MV_ARGS_FREE:
		return call_enter(kind, layout, 0, a0, 0, session);
	default:	/* MV_ARGS_SIZE */
		return call_enter(kind, MV_ARGS_SIZE, a0, 0, 0, session);
	}
}

/* Entry of every allocating function when returns are uretprobes. */
SEC("uprobe")
int BPF_UPROBE(alloc_enter)
{
	alloc_enter_args(ctx, false);
	return 0;
}

/* Sampled mode: remember a sampled block; false (counted) when the table is full. */
static __always_inline bool block_remember(__u32 pid, __u64 addr)
{
	struct block_key key = { .pid = pid, .addr = addr };
	__u8 one = 1;

	if (!sample_bytes)
		return true;
	if (!bpf_map_update_elem(&sampled_live, &key, &one, BPF_ANY))
		return true;
	count_loss(MV_LOSS_SAMPLED_FULL);
	return false;
}

/*
 * Whether the free of addr is reported: always when exact, else if it was
 * sampled. Most frees are of unsampled blocks: the lock-free lookup turns
 * them away before a delete would take the bucket lock.
 */
static __always_inline bool block_forget(__u32 pid, __u64 addr)
{
	struct block_key key = { .pid = pid, .addr = addr };

	if (!sample_bytes)
		return true;
	if (!bpf_map_lookup_elem(&sampled_live, &key))
		return false;
	return bpf_map_delete_elem(&sampled_live, &key) == 0;
}

static __always_inline void emit_free(__u32 pid, __u64 addr)
{
	struct mv_free_event *e;

	e = event_reserve(sizeof(*e));
	if (!e)
		return;
	e->type = MV_EV_FREE;
	e->pid = pid;
	e->addr = addr;
	bpf_ringbuf_submit(e, ringbuf_wakeup_flags());
}

/* The allocator's own free (no return probe); runs only for non-NULL
 * pointers when placed after free's NULL check. */
SEC("uprobe")
int BPF_UPROBE(free_enter, void *ptr)
{
	struct inflight_call *call;
	__u64 id;

	if (!ptr)
		return 0;
	call = inflight_lookup();
	if (call && call->depth)
		return 0;	/* inside realloc(p, 0) or a free wrapper: reported there */
	id = bpf_get_current_pid_tgid();
	if (block_forget(id >> 32, (__u64)ptr))
		emit_free(id >> 32, (__u64)ptr);
	return 0;
}

/*
 * The stack at ctx into frames (MV_MAX_STACK_DEPTH slots): through unwind
 * tables when user space built them, else frame pointers. A stack cut short
 * for any reason (the table walk's reasons are also counted in
 * unwind_stats) is counted as MV_LOSS_TRUNCATED and *truncated is set.
 */
static __always_inline __u32 alloc_stack(void *ctx, __u64 *frames, bool *truncated)
{
	__u32 depth, stop;

	if (unwind_tables) {
		depth = unwind_walk(ctx, frames, stack_depth, &stop);
		*truncated = stop != UNWIND_STOP_END && stop != UNWIND_STOP_FP_END;
	} else {
		depth = ustack_walk(ctx, frames, stack_depth, truncated);
	}
	if (*truncated)
		count_loss(MV_LOSS_TRUNCATED);
	return depth;
}

/* Returns 0, or -1 when the record could not be stored (counted). */
static __always_inline int emit_alloc(void *ctx, __u32 pid, __u32 tid,
				      struct inflight_call *call, __u64 addr, __u64 old_addr)
{
	__u32 zero = 0, depth;
	bool truncated = false;
	struct mv_event *e;
	__u64 bytes;

	e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		return -1;
	depth = alloc_stack(ctx, (__u64 *)(e + 1), &truncated);
	e->type = MV_EV_ALLOC;
	e->pid = pid;
	e->tid = tid;
	e->kind = call->kind;
	e->exit_code = truncated ? MV_STACK_TRUNCATED : 0;
	e->stack_depth = depth;
	e->ts_ns = bpf_ktime_get_ns();
	e->addr = addr;
	e->size = call->size;
	e->old_addr = old_addr;
	bytes = sizeof(*e) + depth * sizeof(__u64);
	if (bytes > MV_EVENT_MAX_BYTES)
		bytes = MV_EVENT_MAX_BYTES;
	if (bpf_ringbuf_output(&events, e, bytes, ringbuf_wakeup_flags())) {
		count_loss(MV_LOSS_RINGBUF);
		return -1;
	}
	return 0;
}

/*
 * A successful allocation of the outermost call at addr. A realloc's old
 * block is freed: reported as part of the allocation record, or on its own
 * when the new block is not reported.
 */
static __always_inline void report_alloc(void *ctx, __u32 pid, __u32 tid,
					 struct inflight_call *call, __u64 addr)
{
	bool old_known = call->old_addr && block_forget(pid, call->old_addr);

	if (call->sampled && block_remember(pid, addr)) {
		if (!emit_alloc(ctx, pid, tid, call, addr, old_known ? call->old_addr : 0))
			return;
		block_forget(pid, addr);
		return;
	}
	if (old_known)
		emit_free(pid, call->old_addr);
}

/* Return of an allocating call: its result becomes one record. */
static __always_inline int call_exit(void *ctx, __u64 ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, pid = id >> 32;
	struct inflight_call *call;
	__u64 addr = ret;

	call = inflight_lookup();
	if (!call || call->depth == 0)
		return 0;	/* return of a call entered before attach */
	if (--call->depth)
		return 0;	/* nested call: the outermost one reports */

	switch (call->layout) {
	case MV_ARGS_FREE:
		return 0;	/* reported at its entry */
	case MV_ARGS_OUT_ALIGN_SIZE:
		if ((int)ret != 0 ||
		    bpf_probe_read_user(&addr, sizeof(addr), (void *)call->memptr))
			return 0;
		break;
	case MV_ARGS_PTR_SIZE_FREES:
		if (call->old_addr && !addr) {
			/* reallocf frees its block when it fails (and on size 0) */
			if (block_forget(pid, call->old_addr))
				emit_free(pid, call->old_addr);
			return 0;
		}
		break;
	case MV_ARGS_PTR_SIZE:
	case MV_ARGS_PTR_COUNT_SIZE:
		if (call->old_addr && call->size == 0 && !addr) {
			/* glibc's realloc(p, 0) frees p and returns NULL; others
			 * return a new block, reported below as replacing p */
			if (block_forget(pid, call->old_addr))
				emit_free(pid, call->old_addr);
			return 0;
		}
		break;
	default:
		break;
	}
	if (!addr)
		return 0;	/* failed: nothing allocated, realloc's old block stays live */
	report_alloc(ctx, pid, tid, call, addr);
	return 0;
}

SEC("uretprobe")
int BPF_URETPROBE(alloc_exit, void *ret)
{
	return call_exit(ctx, (__u64)ret);
}

/*
 * Entry and return of every allocating function as one uprobe session
 * (kernel >= 6.13; loaded only there, in sampled mode). The entry returns
 * non-zero for calls whose return need not be seen, and the kernel then
 * skips the return probe: an unsampled call costs one trap instead of two.
 */
SEC("uprobe")
int BPF_UPROBE(alloc_session)
{
	if (!bpf_ksym_exists(bpf_session_is_return))
		return 0;
	if (bpf_session_is_return())
		return call_exit(ctx, PT_REGS_RC(ctx));
	return alloc_enter_args(ctx, true) ? 0 : 1;
}

/*
 * Run over one process's threads (the iterator's pid filter) when it is
 * attached again after a detach: a thread that was inside an allocator call
 * when its probes went away never saw that call return, and would take
 * every later call for a nested one. Its call state starts over.
 */
SEC("iter/task")
int reset_calls(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct inflight_call *call;

	if (!task)
		return 0;
	call = bpf_task_storage_get(&inflight, task, 0, 0);
	if (call)
		call->depth = 0;
	return 0;
}

/*
 * libmemvigil-sampler.so's probe functions (include/memvigil/sampler.h),
 * attached per process instead of the allocator's uprobes when the process
 * preloads the library. The library decides in the process which calls
 * matter (every one in its exact mode, sampled ones in its sampled mode, at
 * memvigil's --sample-bytes period and with the same weights), so these
 * programs neither sample nor track sampled blocks: each call is one record.
 * sampler_generation holds each process's session (user space writes it
 * before it sets the library's mode); a call made under another generation
 * (a thread that passed its mode check before a detach) is dropped.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MV_MAX_TRACED_PIDS);
	__type(key, __u32);
	__type(value, __u64);
} sampler_generation SEC(".maps");

/* The registers of the allocator's caller, rebuilt for the stack walk. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pt_regs);
} sampler_regs SEC(".maps");

/* Whether pid's current session is generation. */
static __always_inline bool sampler_session_is(__u32 pid, __u64 generation)
{
	__u64 *cur = bpf_map_lookup_elem(&sampler_generation, &pid);

	return cur && *cur == generation;
}

/*
 * The registers as the code that called the interposed entry point had them
 * after the call returned: the entry point (built with frame pointers) has
 * its frame at %rbp, so its return address is at 8(%rbp), the caller's
 * %rbp at 0(%rbp) and the caller's %rsp just above both. A stack walked
 * from there starts at the allocation site, like one taken at a return
 * probe. When that frame cannot be read, the probe's own registers (the
 * stack then starts in the library). Always a copy in sampler_regs: the
 * walk's loads must see one kind of pointer.
 */
static __always_inline struct pt_regs *sampler_caller_regs(struct pt_regs *ctx)
{
	__u64 fp = PT_REGS_FP(ctx), ip = PT_REGS_IP(ctx), sp = PT_REGS_SP(ctx);
	struct ustack_frame f;
	struct pt_regs *regs;
	__u32 zero = 0;

	regs = bpf_map_lookup_elem(&sampler_regs, &zero);
	if (!regs)
		return NULL;
	if (fp && !(fp & 7) && !bpf_probe_read_user(&f, sizeof(f), (void *)fp) && f.ret) {
		ip = f.ret;
		sp = fp + sizeof(f);
		fp = f.next_fp;
	}
	regs->ip = ip;
	regs->sp = sp;
	regs->bp = fp;
	return regs;
}

/* memvigil_sampler_alloc(ptr, size, weight_bytes, kind, generation) */
SEC("uprobe")
int BPF_UPROBE(sampler_alloc, void *ptr, __u64 size, __u64 weight_bytes, __u32 kind,
	       __u64 generation)
{
	struct inflight_call call = { .size = size, .kind = kind };
	__u64 id = bpf_get_current_pid_tgid();
	struct pt_regs *regs;

	if (!ptr || !sampler_session_is(id >> 32, generation))
		return 0;
	regs = sampler_caller_regs(ctx);
	if (regs)
		emit_alloc(regs, id >> 32, (__u32)id, &call, (__u64)ptr, 0);
	return 0;
}

/* memvigil_sampler_free(ptr, kind, generation) */
SEC("uprobe")
int BPF_UPROBE(sampler_free, void *ptr, __u32 kind, __u64 generation)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	if (ptr && sampler_session_is(pid, generation))
		emit_free(pid, (__u64)ptr);
	return 0;
}
