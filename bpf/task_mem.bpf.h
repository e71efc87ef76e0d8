/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A task's memory as the kernel counts it: RSS by kind and its memory cgroup. */
#ifndef MV_TASK_MEM_BPF_H
#define MV_TASK_MEM_BPF_H

#define MEMCG_ANCESTORS	8	/* memcg levels searched for the limit */

/* mm_struct before 6.2: the counters were atomics in struct mm_rss_stat. */
struct mm_rss_stat___pre62 {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));

struct mm_struct___pre62 {
	struct mm_rss_stat___pre62 rss_stat;
} __attribute__((preserve_access_index));

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

#endif /* MV_TASK_MEM_BPF_H */
