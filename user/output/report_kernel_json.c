// SPDX-License-Identifier: GPL-2.0
/* The kernel half of the JSON report (docs/report.schema.json: kernel, system). */
#include <stdlib.h>
#include "lib/json_writer.h"
#include "output/report_json.h"
#include "sites/allocator.h"

static void u64_field(struct json_writer *w, const char *key, uint64_t v)
{
	json_key(w, key);
	json_u64(w, v);
}

static void double_field(struct json_writer *w, const char *key, double v)
{
	json_key(w, key);
	json_double(w, v);
}

static void write_psi_line(struct json_writer *w, const struct psi_line *l)
{
	json_object_begin(w);
	double_field(w, "avg10", l->avg10);
	double_field(w, "avg60", l->avg60);
	double_field(w, "avg300", l->avg300);
	u64_field(w, "total_us", l->total_us);
	json_object_end(w);
}

static void write_psi(struct json_writer *w, bool available, const struct psi *psi)
{
	json_object_begin(w);
	json_key(w, "available");
	json_bool(w, available);
	if (available) {
		json_key(w, "some");
		write_psi_line(w, &psi->some);
		json_key(w, "full");
		if (psi->has_full)
			write_psi_line(w, &psi->full);
		else
			json_null(w);
	}
	json_object_end(w);
}

static void write_rss(struct json_writer *w, const struct proc_kernel *k)
{
	json_object_begin(w);
	u64_field(w, "total_bytes", k->rss_total_bytes);
	u64_field(w, "anon_bytes", k->rss_bytes[MV_RSS_ANON]);
	u64_field(w, "file_bytes", k->rss_bytes[MV_RSS_FILE]);
	u64_field(w, "shmem_bytes", k->rss_bytes[MV_RSS_SHMEM]);
	u64_field(w, "swap_bytes", k->rss_bytes[MV_RSS_SWAP]);
	u64_field(w, "first_bytes", k->rss_first_bytes);
	u64_field(w, "peak_bytes", k->rss_peak_bytes);
	double_field(w, "rate_bytes_per_s", k->rss_rate_bytes_per_s);
	json_key(w, "uss_bytes");
	k->has_smaps ? json_u64(w, k->uss_bytes) : json_null(w);
	json_key(w, "pss_bytes");
	k->has_smaps ? json_u64(w, k->pss_bytes) : json_null(w);
	json_object_end(w);
}

static void write_faults(struct json_writer *w, const struct proc_kernel *k)
{
	json_object_begin(w);
	u64_field(w, "minor", k->min_flt - k->min_flt_first);
	u64_field(w, "major", k->maj_flt - k->maj_flt_first);
	u64_field(w, "minor_lifetime", k->min_flt);
	u64_field(w, "major_lifetime", k->maj_flt);
	double_field(w, "minor_per_s", k->min_flt_rate);
	double_field(w, "major_per_s", k->maj_flt_rate);
	u64_field(w, "hook_user", k->faults_user);
	u64_field(w, "hook_kernel", k->faults_kernel);
	double_field(w, "hook_per_s", k->fault_rate);
	json_object_end(w);
}

static void write_reclaim(struct json_writer *w, const struct proc_kernel *k)
{
	json_object_begin(w);
	u64_field(w, "stalls", k->reclaim_cnt);
	double_field(w, "stall_s", k->reclaim_ns / 1e9);
	double_field(w, "stall_ms_per_s", k->reclaim_ns_per_s / 1e6);
	json_object_end(w);
}

void report_json__memory_cgroup(struct json_writer *w, const struct proc_kernel *k)
{
	uint64_t limit, usage, headroom;
	bool limited;

	if (!k->has_cgroup) {
		json_null(w);
		return;
	}
	limited = proc_kernel__limit_headroom(k, &limit, &usage, &headroom);
	json_object_begin(w);
	json_key(w, "version");
	json_i64(w, k->cgroup.version);
	json_key(w, "path");
	json_string(w, k->cgroup.dir);
	u64_field(w, "usage_bytes", k->cgroup.usage_bytes);
	json_key(w, "limit_bytes");
	limited ? json_u64(w, limit) : json_null(w);
	json_key(w, "headroom_bytes");
	limited ? json_u64(w, headroom) : json_null(w);
	json_key(w, "pressure");
	if (k->has_cgroup_psi)
		write_psi(w, true, &k->cgroup_psi);
	else
		json_null(w);
	json_object_end(w);
}

static const char *map_kind(uint32_t flags)
{
	if (flags & MV_MAP_ALLOCATOR)
		return "allocator";
	return flags & MV_MAP_FILE ? "file" : "anon";
}

static int write_mappings(struct json_writer *w, const struct model *m, const struct proc *p,
			  const struct json_report_info *info)
{
	const struct proc_metrics *pm = info->metrics ? metrics__find(info->metrics, p->key) : NULL;
	const struct proc_kernel *k = &p->kernel;
	struct mapping_totals t;
	struct map_site *sites;
	long n, i;

	mappings__totals(&k->maps, &t);
	n = mappings__by_stack(&k->maps, &sites);
	if (n < 0)
		return (int)n;
	json_object_begin(w);
	json_key(w, "followed");
	json_bool(w, info->mappings_followed && !k->maps_unfollowed);
	u64_field(w, "anon_bytes", t.anon_bytes);
	u64_field(w, "file_bytes", t.file_bytes);
	u64_field(w, "allocator_bytes", t.allocator_bytes);
	u64_field(w, "brk_bytes", k->brk_bytes);
	u64_field(w, "ranges", t.ranges);
	u64_field(w, "mmaps", k->mmaps);
	u64_field(w, "munmaps", k->munmaps);
	u64_field(w, "mremaps", k->mremaps);
	u64_field(w, "brks", k->brks);
	json_key(w, "stacks");
	json_array_begin(w);
	for (i = 0; i < n; i++) {
		json_object_begin(w);
		u64_field(w, "outstanding_bytes", sites[i].bytes);
		u64_field(w, "ranges", sites[i].ranges);
		json_key(w, "kind");
		json_string(w, map_kind(sites[i].flags));
		double_field(w, "oldest_age_s", info->now_ms > sites[i].oldest_ms ?
				(info->now_ms - sites[i].oldest_ms) / 1000.0 : 0);
		metrics_json__site_fields(w, metrics__map_site(pm, sites[i].stack_id,
							       sites[i].flags));
		json_key(w, "frames");
		report_json__frames(w, m, p->key, sites[i].stack_id, info);
		json_object_end(w);
	}
	json_array_end(w);
	json_object_end(w);
	free(sites);
	return 0;
}

int report_json__kernel(struct json_writer *w, const struct model *m, const struct proc *p,
			const struct json_report_info *info)
{
	const struct proc_kernel *k = &p->kernel;
	int ret;

	json_object_begin(w);
	u64_field(w, "samples", k->samples);
	json_key(w, "rss");
	write_rss(w, k);
	u64_field(w, "vm_bytes", k->vm_bytes);
	json_key(w, "faults");
	write_faults(w, k);
	json_key(w, "reclaim");
	write_reclaim(w, k);
	json_key(w, "mappings");
	ret = write_mappings(w, m, p, info);
	json_key(w, "cgroup");
	report_json__memory_cgroup(w, k);
	u64_field(w, "oom_kills", k->oom_kills);
	json_object_end(w);
	return ret;
}

static void write_oom(struct json_writer *w, const struct model *m, const struct oom_kill *k,
		      const struct json_report_info *info)
{
	const struct mv_oom_event *e = &k->ev;
	uint64_t page = m->page_bytes;
	uint32_t i;

	json_object_begin(w);
	double_field(w, "at_s", k->ms / 1000.0);
	json_key(w, "pid");
	json_i64(w, e->pid);
	json_key(w, "comm");
	json_string(w, e->comm);
	json_key(w, "victim_traced");
	json_bool(w, k->victim_traced);
	json_key(w, "cgroup_peer_pid");
	k->cgroup_peer ? json_i64(w, k->cgroup_peer) : json_null(w);
	json_key(w, "rss");
	json_object_begin(w);
	u64_field(w, "anon_bytes", e->rss_pages[MV_RSS_ANON] * page);
	u64_field(w, "file_bytes", e->rss_pages[MV_RSS_FILE] * page);
	u64_field(w, "shmem_bytes", e->rss_pages[MV_RSS_SHMEM] * page);
	u64_field(w, "swap_bytes", e->rss_pages[MV_RSS_SWAP] * page);
	json_object_end(w);
	json_key(w, "memcg");
	json_object_begin(w);
	u64_field(w, "id", e->memcg.id);
	u64_field(w, "usage_bytes", e->memcg.usage_pages * page);
	json_key(w, "limit_bytes");
	e->memcg.limit_pages != ~0ull ? json_u64(w, e->memcg.limit_pages * page) : json_null(w);
	json_object_end(w);
	json_key(w, "heap_outstanding_bytes");
	k->victim_traced ? json_u64(w, k->heap_outstanding_bytes) : json_null(w);
	json_key(w, "stacks");
	json_array_begin(w);
	for (i = 0; i < k->stack_cnt; i++) {
		json_object_begin(w);
		u64_field(w, "outstanding_bytes", k->stacks[i].bytes);
		u64_field(w, "outstanding_allocs", k->stacks[i].allocs);
		json_key(w, "allocator");
		json_string(w, allocator__kind_name(k->stacks[i].kind));
		json_key(w, "frames");
		report_json__frames(w, m, e->pid, k->stacks[i].stack_id, info);
		json_object_end(w);
	}
	json_array_end(w);
	json_object_end(w);
}

void report_json__system(struct json_writer *w, const struct model *m,
			 const struct json_report_info *info)
{
	unsigned int i;
	size_t j;

	json_object_begin(w);
	json_key(w, "kernel_signals");
	json_array_begin(w);
	for (i = 0; i < info->kernel_feature_cnt; i++)
		if (info->kernel_features & (1u << i))
			json_string(w, info->kernel_feature_names[i]);
	json_array_end(w);
	json_key(w, "psi");
	write_psi(w, m->psi.state == 1, &m->psi.psi);
	json_key(w, "oom_kills");
	json_array_begin(w);
	for (j = 0; j < m->oom_cnt; j++)
		write_oom(w, m, &m->ooms[j], info);
	json_array_end(w);
	json_object_end(w);
}
