// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The unwind proof's probe: at malloc(DEEP_CHAIN_MAGIC) in the workload,
 * walk the user stack the way `mode` says, time the walk, and send the
 * stack to user space when `record` is set.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "ustack.bpf.h"
#include "unwind.bpf.h"
#include "unwind_test.h"
#include "deep_chain.h"

const volatile __u32 mode = UNWIND_TEST_TABLE;
const volatile __u32 record = 1;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} records SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct unwind_test_rec);
} rec_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct unwind_test_time);
} times SEC(".maps");

SEC("uprobe")
int BPF_UPROBE(malloc_probe, unsigned long size)
{
	struct unwind_test_time *tm;
	struct unwind_test_rec *r;
	__u32 zero = 0, stop = 0, n = 0;
	bool truncated;
	__u64 t0;

	if (size != DEEP_CHAIN_MAGIC)
		return 0;
	r = bpf_map_lookup_elem(&rec_scratch, &zero);
	tm = bpf_map_lookup_elem(&times, &zero);
	if (!r || !tm)
		return 0;
	t0 = bpf_ktime_get_ns();
	if (mode == UNWIND_TEST_TABLE)
		n = unwind_walk(ctx, r->frames, UNWIND_MAX_DEPTH, &stop);
	else if (mode == UNWIND_TEST_FP)
		n = ustack_walk(ctx, r->frames, UNWIND_MAX_DEPTH, &truncated);
	r->walk_ns = bpf_ktime_get_ns() - t0;
	r->frame_cnt = n;
	r->stop = stop;
	tm->walk_ns += r->walk_ns;
	tm->walk_cnt++;
	tm->frame_cnt += n;
	if (record)
		bpf_ringbuf_output(&records, r, sizeof(*r), 0);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
