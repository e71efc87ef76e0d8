// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Direct and memcg reclaim stalls of traced threads, timed and counted per process. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "maps.bpf.h"

/* Reclaim start per thread; key tid * 2 + (0 direct, 1 memcg). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MV_MAX_INFLIGHT_THREADS);
	__type(key, __u64);
	__type(value, __u64);
} reclaim_start SEC(".maps");

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
