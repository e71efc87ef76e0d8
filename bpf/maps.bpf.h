/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Maps shared by memvigil's BPF objects. maps.bpf.c defines them; the
 * other objects declare them extern and the BPF linker joins them (the
 * defining object must come first on the link line).
 */
#ifndef MV_MAPS_BPF_H
#define MV_MAPS_BPF_H

#include "memvigil/call_state.h"
#include "memvigil/events.h"

#ifdef MV_DEFINE_SHARED_MAPS
#define MV_SHARED_MAP
#else
#define MV_SHARED_MAP extern
#endif

/* Bytes waiting in the ring buffer that wake the consumer: its size / 16, set before load. */
#ifdef MV_DEFINE_SHARED_MAPS
const volatile __u32 ringbuf_wakeup_bytes = MV_RINGBUF_WAKEUP_BYTES;
#else
extern const volatile __u32 ringbuf_wakeup_bytes;
#endif

/* Frames captured per stack (1..MV_MAX_STACK_DEPTH), set by user space before load. */
#ifdef MV_DEFINE_SHARED_MAPS
const volatile __u32 stack_depth = MV_DEFAULT_STACK_DEPTH;
#else
extern const volatile __u32 stack_depth;
#endif

/*
 * Walk user stacks through unwind tables (unwind.bpf.h) rather than frame
 * pointers alone (ustack.bpf.h); set by user space before load (--unwind).
 */
#ifdef MV_DEFINE_SHARED_MAPS
const volatile __u32 unwind_tables = 0;
#else
extern const volatile __u32 unwind_tables;
#endif

/* Records to user space (struct mv_event, variable length). */
MV_SHARED_MAP struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, MV_RINGBUF_BYTES);
} events SEC(".maps");

/* Per-CPU loss counters, indexed by enum mv_loss_reason. */
MV_SHARED_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MV_LOSS_CNT);
	__type(key, __u32);
	__type(value, __u64);
} losses SEC(".maps");

/* Thread group ids being traced (value unused). */
MV_SHARED_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MV_MAX_TRACED_PIDS);
	__type(key, __u32);
	__type(value, __u8);
} traced_pids SEC(".maps");

/* Kernel-side counters per traced process (faults, reclaim, mappings). */
MV_SHARED_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MV_MAX_TRACED_PIDS);
	__type(key, __u32);
	__type(value, struct mv_kstat);
} kstats SEC(".maps");

/* The call state (memvigil/call_state.h), in task-local storage. */
MV_SHARED_MAP struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct inflight_call);
} inflight SEC(".maps");

/* The current thread's call state, NULL when it has none yet. */
static __always_inline struct inflight_call *inflight_lookup(void)
{
	return bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0, 0);
}

static __always_inline void count_loss(__u32 reason)
{
	__u64 *cnt = bpf_map_lookup_elem(&losses, &reason);

	if (cnt)
		*cnt += 1;
}

/* Batch wakeups: one per ringbuf_wakeup_bytes of records, not one per record. */
static __always_inline __u64 ringbuf_wakeup_flags(void)
{
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= ringbuf_wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline bool is_traced(__u32 pid)
{
	return bpf_map_lookup_elem(&traced_pids, &pid) != NULL;
}

/* pid's counters, created on first use; NULL if pid is not traced or the map is full. */
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

/*
 * Room for a size-byte record in the ring buffer, zeroed; NULL (the loss
 * counted) when it is full. size must be a constant.
 */
static __always_inline void *event_reserve(__u64 size)
{
	void *e = bpf_ringbuf_reserve(&events, size, 0);

	if (!e) {
		count_loss(MV_LOSS_RINGBUF);
		return NULL;
	}
	__builtin_memset(e, 0, size);
	return e;
}

#endif /* MV_MAPS_BPF_H */
