// SPDX-License-Identifier: GPL-2.0
/* The kernel half of the JSON report (docs/report.schema.json: kernel, system). */
#include <stdlib.h>
#include "lib/json_writer.h"
#include "output/frames.h"
#include "output/metrics_json.h"
#include "output/report_kernel_json.h"
#include "sites/allocator.h"

static void write_psi_line(struct json_writer *w, const struct psi_line *l)
{
	json_object_begin(w);
	json_double_field(w, "avg10", l->avg10);
	json_double_field(w, "avg60", l->avg60);
	json_double_field(w, "avg300", l->avg300);
	json_u64_field(w, "total_us", l->total_us);
	json_object_end(w);
}

static void write_psi(struct json_writer *w, bool available, const struct psi *psi)
{
	json_object_begin(w);
	json_bool_field(w, "available", available);
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
	json_u64_field(w, "total_bytes", k->rss_total_bytes);
	json_u64_field(w, "anon_bytes", k->rss_bytes[MV_RSS_ANON]);
	json_u64_field(w, "file_bytes", k->rss_bytes[MV_RSS_FILE]);
	json_u64_field(w, "shmem_bytes", k->rss_bytes[MV_RSS_SHMEM]);
	json_u64_field(w, "swap_bytes", k->rss_bytes[MV_RSS_SWAP]);
	json_u64_field(w, "first_bytes", k->rss_first_bytes);
	json_u64_field(w, "peak_bytes", k->rss_peak_bytes);
	json_double_field(w, "rate_bytes_per_s", k->rss_rate_bytes_per_s);
	json_u64_or_null_field(w, "uss_bytes", k->has_smaps, k->uss_bytes);
	json_u64_or_null_field(w, "pss_bytes", k->has_smaps, k->pss_bytes);
	json_object_end(w);
}

static void write_faults(struct json_writer *w, const struct proc_kernel *k)
{
	json_object_begin(w);
	json_u64_field(w, "minor", k->min_flt - k->min_flt_first);
	json_u64_field(w, "major", k->maj_flt - k->maj_flt_first);
	json_u64_field(w, "minor_lifetime", k->min_flt);
	json_u64_field(w, "major_lifetime", k->maj_flt);
	json_double_field(w, "minor_per_s", k->min_flt_rate);
	json_double_field(w, "major_per_s", k->maj_flt_rate);
	json_u64_field(w, "hook_user", k->faults_user);
	json_u64_field(w, "hook_kernel", k->faults_kernel);
	json_double_field(w, "hook_per_s", k->fault_rate);
	json_object_end(w);
}

static void write_reclaim(struct json_writer *w, const struct proc_kernel *k)
{
	json_object_begin(w);
	json_u64_field(w, "stalls", k->reclaim_cnt);
	json_double_field(w, "stall_s", k->reclaim_ns / 1e9);
	json_double_field(w, "stall_ms_per_s", k->reclaim_ns_per_s / 1e6);
	json_object_end(w);
}

void report_json__memory_cgroup(struct json_writer *w, const struct proc_kernel *k)
{
	uint64_t limit = 0, usage, headroom = 0;
	bool limited;

	if (!k || !k->has_cgroup) {
		json_null(w);
		return;
	}
	limited = proc_kernel__limit_headroom(k, &limit, &usage, &headroom);
	json_object_begin(w);
	json_i64_field(w, "version", k->cgroup.version);
	json_string_field(w, "path", k->cgroup.dir);
	json_u64_field(w, "usage_bytes", k->cgroup.usage_bytes);
	json_u64_or_null_field(w, "limit_bytes", limited, limit);
	json_u64_or_null_field(w, "headroom_bytes", limited, headroom);
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

static int write_mappings(struct json_writer *w, const struct report_ctx *ctx, const struct proc *p)
{
	const struct proc_metrics *pm = ctx->metrics ? metrics__find(ctx->metrics, p->key) : NULL;
	const struct proc_kernel *k = &p->kernel;
	struct mapping_totals t;
	struct map_site *sites;
	long n, i;

	mappings__totals(&k->maps, &t);
	n = mappings__by_stack(&k->maps, &sites);
	if (n < 0)
		return (int)n;
	json_object_begin(w);
	json_bool_field(w, "followed", ctx->health.mappings_followed && !k->maps_unfollowed);
	json_u64_field(w, "anon_bytes", t.anon_bytes);
	json_u64_field(w, "file_bytes", t.file_bytes);
	json_u64_field(w, "allocator_bytes", t.allocator_bytes);
	json_u64_field(w, "brk_bytes", k->brk_bytes);
	json_u64_field(w, "ranges", t.ranges);
	json_u64_field(w, "mmaps", k->mmaps);
	json_u64_field(w, "munmaps", k->munmaps);
	json_u64_field(w, "mremaps", k->mremaps);
	json_u64_field(w, "brks", k->brks);
	json_array_field_begin(w, "stacks");
	for (i = 0; i < n; i++) {
		json_object_begin(w);
		json_u64_field(w, "outstanding_bytes", sites[i].bytes);
		json_u64_field(w, "ranges", sites[i].ranges);
		json_string_field(w, "kind", map_kind(sites[i].flags));
		json_double_field(w, "oldest_age_s", ctx->now_ms > sites[i].oldest_ms ?
				(ctx->now_ms - sites[i].oldest_ms) / 1000.0 : 0);
		metrics_json__site_fields(w, metrics__map_site(pm, sites[i].stack_id,
							       sites[i].flags));
		frames__json_fields(w, ctx, p->key, sites[i].stack_id);
		json_object_end(w);
	}
	json_array_end(w);
	json_object_end(w);
	free(sites);
	return 0;
}

int report_json__kernel(struct json_writer *w, const struct report_ctx *ctx, const struct proc *p)
{
	const struct proc_kernel *k = &p->kernel;
	int ret;

	json_object_begin(w);
	json_u64_field(w, "samples", k->samples);
	json_key(w, "rss");
	write_rss(w, k);
	json_u64_field(w, "vm_bytes", k->vm_bytes);
	json_key(w, "faults");
	write_faults(w, k);
	json_key(w, "reclaim");
	write_reclaim(w, k);
	json_key(w, "mappings");
	ret = write_mappings(w, ctx, p);
	json_key(w, "cgroup");
	report_json__memory_cgroup(w, k);
	json_u64_field(w, "oom_kills", k->oom_kills);
	json_object_end(w);
	return ret;
}

static void write_oom(struct json_writer *w, const struct report_ctx *ctx, const struct oom_kill *k)
{
	const struct mv_oom_event *e = &k->ev;
	uint64_t page = ctx->m->page_bytes;
	uint32_t i;

	json_object_begin(w);
	json_double_field(w, "at_s", k->ms / 1000.0);
	json_i64_field(w, "pid", e->pid);
	json_string_field(w, "comm", e->comm);
	json_bool_field(w, "victim_traced", k->victim_traced);
	json_i64_or_null_field(w, "cgroup_peer_pid", k->cgroup_peer != 0, k->cgroup_peer);
	json_object_field_begin(w, "rss");
	json_u64_field(w, "anon_bytes", e->rss_pages[MV_RSS_ANON] * page);
	json_u64_field(w, "file_bytes", e->rss_pages[MV_RSS_FILE] * page);
	json_u64_field(w, "shmem_bytes", e->rss_pages[MV_RSS_SHMEM] * page);
	json_u64_field(w, "swap_bytes", e->rss_pages[MV_RSS_SWAP] * page);
	json_object_end(w);
	json_object_field_begin(w, "memcg");
	json_u64_field(w, "id", e->memcg.id);
	json_u64_field(w, "usage_bytes", e->memcg.usage_pages * page);
	json_u64_or_null_field(w, "limit_bytes", e->memcg.limit_pages != ~0ull,
			       e->memcg.limit_pages * page);
	json_object_end(w);
	json_u64_or_null_field(w, "heap_outstanding_bytes", k->victim_traced,
			       k->heap_outstanding_bytes);
	json_array_field_begin(w, "stacks");
	for (i = 0; i < k->stack_cnt; i++) {
		json_object_begin(w);
		json_u64_field(w, "outstanding_bytes", k->stacks[i].bytes);
		json_u64_field(w, "outstanding_allocs", k->stacks[i].allocs);
		json_string_field(w, "allocator", allocator__kind_name(k->stacks[i].kind));
		frames__json_fields(w, ctx, e->pid, k->stacks[i].stack_id);
		json_object_end(w);
	}
	json_array_end(w);
	json_object_end(w);
}

void report_json__system(struct json_writer *w, const struct report_ctx *ctx)
{
	const struct model *m = ctx->m;
	unsigned int i;
	size_t j;

	json_object_begin(w);
	json_array_field_begin(w, "kernel_signals");
	for (i = 0; i < ctx->health.kernel_signal_cnt; i++)
		if (ctx->health.kernel_signals & (1u << i))
			json_string(w, ctx->health.kernel_signal_names[i]);
	json_array_end(w);
	json_key(w, "psi");
	write_psi(w, m->psi.state == 1, &m->psi.psi);
	json_array_field_begin(w, "oom_kills");
	for (j = 0; j < m->oom_cnt; j++)
		write_oom(w, ctx, &m->ooms[j]);
	json_array_end(w);
	json_object_end(w);
}
