// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <sys/wait.h>
#include <stdio.h>
#include <string.h>
#include "lib/json_writer.h"
#include "model/query.h"
#include "output/report_json.h"
#include "sites/allocator.h"

static void write_u64_field(struct json_writer *w, const char *key, uint64_t v)
{
	json_key(w, key);
	json_u64(w, v);
}

/* An estimate as a JSON integer. */
static void write_est_field(struct json_writer *w, const char *key, double v)
{
	write_u64_field(w, key, v > 0 ? (uint64_t)llround(v) : 0);
}

void report_json__frames(struct json_writer *w, const struct model *m, pid_t pid,
			 uint32_t stack_id, const struct json_report_info *info)
{
	const uint64_t *frames;
	struct mv_symbol sym;
	uint32_t depth = 0, i;
	char addr[32];

	frames = stacks__frames(m->stacks, stack_id, &depth);
	json_array_begin(w);
	for (i = 0; frames && i < depth; i++) {
		memset(&sym, 0, sizeof(sym));
		if (info->resolve)
			info->resolve(info->resolve_ctx, pid, frames[i], &sym);
		snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)frames[i]);
		json_object_begin(w);
		json_key(w, "addr");
		json_string(w, addr);
		json_key(w, "symbol");
		json_string(w, sym.symbol);
		if (sym.mangled) {
			json_key(w, "mangled");
			json_string(w, sym.mangled);
		}
		write_u64_field(w, "offset", sym.offset);
		json_key(w, "module");
		json_string(w, sym.module);
		json_object_end(w);
	}
	json_array_end(w);
}

/* Sampled mode: the samples behind a stack's estimates, and their standard error. */
static void write_site_samples(struct json_writer *w, const struct report_site *rs)
{
	json_key(w, "samples");
	json_object_begin(w);
	write_u64_field(w, "outstanding", rs->allocs);
	write_u64_field(w, "outstanding_bytes", rs->bytes);
	write_u64_field(w, "total", rs->site->total_allocs);
	json_key(w, "outstanding_bytes_stderr");
	json_double(w, sqrt(rs->est_bytes_var));
	json_object_end(w);
}

static void write_site(struct json_writer *w, const struct model *m, pid_t pid,
		       const struct report_site *rs, const struct json_report_info *info,
		       const struct proc_metrics *pm)
{
	const struct proc *p = model__find(m, pid);

	json_object_begin(w);
	if (m->sample_period) {
		write_est_field(w, "outstanding_bytes", rs->est_bytes);
		write_est_field(w, "outstanding_allocs", rs->est_allocs);
		write_est_field(w, "total_allocs", rs->site->est_total_allocs);
		write_est_field(w, "total_bytes", rs->site->est_total_bytes);
		write_site_samples(w, rs);
	} else {
		write_u64_field(w, "outstanding_bytes", rs->bytes);
		write_u64_field(w, "outstanding_allocs", rs->allocs);
		write_u64_field(w, "total_allocs", rs->site->total_allocs);
		write_u64_field(w, "total_bytes", rs->site->total_bytes);
	}
	json_key(w, "oldest_age_s");
	json_double(w, (info->now_ms - (rs->oldest_ms < info->now_ms ? rs->oldest_ms
								      : info->now_ms)) / 1000.0);
	json_key(w, "allocator");
	json_string(w, allocator__kind_name(rs->site->kind));
	metrics_json__site_fields(w, p ? metrics__site(pm, rs->site - p->sites) : NULL);
	json_key(w, "frames");
	report_json__frames(w, m, pid, rs->site->stack_id, info);
	json_object_end(w);
}

/* Sampled mode: estimates in the usual fields, the sample counts beside them. */
static void write_heap_estimates(struct json_writer *w, const struct heap_totals *h)
{
	json_object_begin(w);
	write_est_field(w, "outstanding_bytes", h->est_outstanding_bytes);
	write_est_field(w, "outstanding_allocs", h->est_outstanding_allocs);
	write_est_field(w, "total_allocs", h->est_total_allocs);
	write_est_field(w, "total_frees", h->est_total_frees);
	write_est_field(w, "total_bytes", h->est_total_bytes);
	write_est_field(w, "peak_outstanding_bytes", h->est_peak_outstanding_bytes);
	write_u64_field(w, "unmatched_frees", h->unmatched_frees);
	json_key(w, "samples");
	json_object_begin(w);
	write_u64_field(w, "outstanding", h->outstanding_allocs);
	write_u64_field(w, "outstanding_bytes", h->outstanding_bytes);
	write_u64_field(w, "total", h->total_allocs);
	write_u64_field(w, "total_frees", h->total_frees);
	json_key(w, "outstanding_bytes_stderr");
	json_double(w, sqrt(h->est_outstanding_bytes_var));
	json_object_end(w);
	json_object_end(w);
}

static void write_heap(struct json_writer *w, const struct heap_totals *h)
{
	json_object_begin(w);
	write_u64_field(w, "outstanding_bytes", h->outstanding_bytes);
	write_u64_field(w, "outstanding_allocs", h->outstanding_allocs);
	write_u64_field(w, "total_allocs", h->total_allocs);
	write_u64_field(w, "total_frees", h->total_frees);
	write_u64_field(w, "total_bytes", h->total_bytes);
	write_u64_field(w, "peak_outstanding_bytes", h->peak_outstanding_bytes);
	write_u64_field(w, "unmatched_frees", h->unmatched_frees);
	json_object_end(w);
}

static void write_allocator(struct json_writer *w, const struct proc *p)
{
	uint32_t k;

	json_object_begin(w);
	json_key(w, "library");
	json_string(w, p->alloc_lib);
	json_key(w, "functions");
	json_array_begin(w);
	for (k = 0; k < MV_KIND_CNT; k++)
		if (p->alloc_kinds & (1u << k))
			json_string(w, allocator__kind_name(k));
	json_array_end(w);
	json_object_end(w);
}

static void write_exit(struct json_writer *w, const struct proc *p)
{
	json_key(w, "exit_code");
	if (p->exited && WIFEXITED(p->exit_status))
		json_i64(w, WEXITSTATUS(p->exit_status));
	else
		json_null(w);
	json_key(w, "exit_signal");
	if (p->exited && WIFSIGNALED(p->exit_status))
		json_i64(w, WTERMSIG(p->exit_status));
	else
		json_null(w);
}

static int write_proc(struct json_writer *w, const struct model *m, const struct proc *p,
		      const struct json_report_info *info)
{
	const struct proc_metrics *pm = info->metrics ? metrics__find(info->metrics, p->key) : NULL;
	struct proc_report r;
	size_t i;
	int ret;

	ret = query__build(p, info->now_ms, 0, &r);
	if (ret)
		return ret;
	json_object_begin(w);
	json_key(w, "pid");
	json_i64(w, p->pid);
	json_key(w, "comm");
	json_string(w, p->comm);
	json_key(w, "exe");
	json_string(w, p->exe);
	json_key(w, "ns_pid");
	if (p->ns_pid)
		json_i64(w, p->ns_pid);
	else
		json_null(w);
	json_key(w, "parent_pid");
	if (p->parent_pid)
		json_i64(w, p->parent_pid);
	else
		json_null(w);
	json_key(w, "cgroup");
	json_string(w, p->cgroup);
	json_key(w, "exited");
	json_bool(w, p->exited);
	json_key(w, "detached");
	json_bool(w, p->detached && !p->exited);
	write_exit(w, p);
	json_key(w, "heap");
	if (p->sample_period)
		write_heap_estimates(w, &p->heap);
	else
		write_heap(w, &p->heap);
	json_key(w, "allocator");
	write_allocator(w, p);
	json_key(w, "metrics");
	metrics_json__proc(w, pm, info->window_s * 1000);
	json_key(w, "stacks");
	json_array_begin(w);
	for (i = 0; i < r.cnt; i++)
		write_site(w, m, p->key, &r.sites[i], info, pm);
	json_array_end(w);
	json_key(w, "kernel");
	ret = report_json__kernel(w, m, p, info);
	json_object_end(w);
	query__release(&r);
	return ret;
}

static void write_target(struct json_writer *w, const struct json_report_info *info)
{
	int i;

	json_object_begin(w);
	if (info->cgroup) {
		json_key(w, "cgroup");
		json_string(w, info->cgroup);
	} else if (info->command) {
		json_key(w, "command");
		json_array_begin(w);
		for (i = 0; i < info->command_argc; i++)
			json_string(w, info->command[i]);
		json_array_end(w);
	} else {
		json_key(w, "pid");
		json_i64(w, info->target_pid);
	}
	json_key(w, "follow");
	json_bool(w, info->follow || info->cgroup);
	json_object_end(w);
}

static void write_options(struct json_writer *w, const struct json_report_info *info)
{
	json_object_begin(w);
	json_key(w, "interval_s");
	json_double(w, info->interval_s);
	json_key(w, "duration_s");
	if (info->duration_opt_s > 0)
		json_double(w, info->duration_opt_s);
	else
		json_null(w);
	write_u64_field(w, "top", info->top);
	write_u64_field(w, "stack_depth", info->stack_depth);
	write_u64_field(w, "frames", info->frames);
	json_key(w, "mappings");
	json_string(w, info->mappings);
	json_key(w, "unwind");
	json_string(w, info->unwind ? info->unwind : "auto");
	json_key(w, "min_age_s");
	json_double(w, info->min_age_s);
	json_key(w, "mode");
	json_string(w, info->mode);
	json_key(w, "window_s");
	json_double(w, info->window_s);
	json_key(w, "alerts");
	json_array_begin(w);
	for (unsigned int i = 0; i < info->alert_def_cnt; i++)
		json_string(w, info->alert_defs[i].expr);
	json_array_end(w);
	json_key(w, "on_alert");
	json_string(w, info->on_alert);
	json_object_end(w);
}

static void write_attach(struct json_writer *w, const struct json_report_info *info)
{
	json_object_begin(w);
	write_u64_field(w, "attached", info->attached);
	write_u64_field(w, "failed", info->attach_failed);
	write_u64_field(w, "forks_followed", info->fork_attach_cnt);
	json_key(w, "fork_to_attach_max_ms");
	if (info->fork_attach_cnt)
		json_double(w, info->fork_attach_max_ms);
	else
		json_null(w);
	json_key(w, "fork_to_attach_median_ms");
	if (info->fork_attach_cnt)
		json_double(w, info->fork_attach_median_ms);
	else
		json_null(w);
	json_object_end(w);
}

static void write_group_kernel(struct json_writer *w, const struct group_kernel *k)
{
	json_object_begin(w);
	write_u64_field(w, "sampled_processes", k->sampled);
	write_u64_field(w, "rss_bytes", k->rss_bytes);
	json_key(w, "rss_growth_bytes");
	json_i64(w, k->rss_growth_bytes);
	write_u64_field(w, "anon_mapped_bytes", k->anon_mapped_bytes);
	write_u64_field(w, "file_mapped_bytes", k->file_mapped_bytes);
	write_u64_field(w, "faults", k->faults);
	json_key(w, "reclaim_stall_s");
	json_double(w, k->reclaim_stall_ns / 1e9);
	write_u64_field(w, "oom_kills", k->oom_kills);
	json_key(w, "memory_cgroup");
	if (k->memcg_from)
		report_json__memory_cgroup(w, k->memcg_from);
	else
		json_null(w);
	json_object_end(w);
}

/* A group's heap sums; in sampled mode the sums of its processes' estimates. */
static void write_group(struct json_writer *w, const struct proc_group *g, bool sampled)
{
	size_t i;

	json_object_begin(w);
	json_key(w, "path");
	json_string(w, g->path);
	json_key(w, "pids");
	json_array_begin(w);
	for (i = 0; i < g->cnt; i++)
		json_i64(w, g->procs[i]->pid);
	json_array_end(w);
	write_u64_field(w, "exited", g->exited);
	write_u64_field(w, "detached", g->detached);
	json_key(w, "heap");
	json_object_begin(w);
	if (sampled) {
		write_est_field(w, "outstanding_bytes", g->heap.est_outstanding_bytes);
		write_est_field(w, "outstanding_allocs", g->heap.est_outstanding_allocs);
		write_est_field(w, "total_allocs", g->heap.est_total_allocs);
		write_est_field(w, "total_frees", g->heap.est_total_frees);
		write_est_field(w, "total_bytes", g->heap.est_total_bytes);
	} else {
		write_u64_field(w, "outstanding_bytes", g->heap.outstanding_bytes);
		write_u64_field(w, "outstanding_allocs", g->heap.outstanding_allocs);
		write_u64_field(w, "total_allocs", g->heap.total_allocs);
		write_u64_field(w, "total_frees", g->heap.total_frees);
		write_u64_field(w, "total_bytes", g->heap.total_bytes);
	}
	write_u64_field(w, "unmatched_frees", g->heap.unmatched_frees);
	json_object_end(w);
	json_key(w, "kernel");
	write_group_kernel(w, &g->kernel);
	json_object_end(w);
}

static int write_groups(struct json_writer *w, const struct model *m)
{
	struct proc_group *groups;
	size_t i, cnt;
	int ret;

	ret = query__groups(m, &groups, &cnt);
	if (ret)
		return ret;
	json_array_begin(w);
	for (i = 0; i < cnt; i++)
		write_group(w, &groups[i], m->sample_period != 0);
	json_array_end(w);
	query__groups_free(groups, cnt);
	return 0;
}

static void write_alerts(struct json_writer *w, const struct json_report_info *info)
{
	size_t i;

	json_array_begin(w);
	for (i = 0; i < info->alert_cnt; i++)
		metrics_json__alert(w, &info->alerts[i]);
	json_array_end(w);
}

static void write_health(struct json_writer *w, const struct model *m,
			 const struct json_report_info *info)
{
	uint64_t unmatched = 0;
	size_t i;

	for (i = 0; i < m->proc_cnt; i++)
		unmatched += m->procs[i]->heap.unmatched_frees;
	json_object_begin(w);
	write_u64_field(w, "events", m->events);
	write_u64_field(w, "lost_events", info->lost[MV_LOSS_RINGBUF] + info->lost[MV_LOSS_INFLIGHT] +
			info->lost[MV_LOSS_KSTATS] + info->lost[MV_LOSS_SYSCALL] +
			info->lost[MV_LOSS_SAMPLED_FULL]);
	write_u64_field(w, "unmatched_frees", unmatched);
	write_u64_field(w, "stack_errors", info->lost[MV_LOSS_STACK]);
	write_u64_field(w, "alerts_not_kept", info->alerts_not_kept);
	write_u64_field(w, "on_alert_skipped", info->on_alert_skipped);
	write_u64_field(w, "files_skipped", info->files_skipped);
	json_key(w, "lost");
	json_object_begin(w);
	write_u64_field(w, "ringbuf_full", info->lost[MV_LOSS_RINGBUF]);
	write_u64_field(w, "inflight_full", info->lost[MV_LOSS_INFLIGHT]);
	write_u64_field(w, "kstats_full", info->lost[MV_LOSS_KSTATS]);
	write_u64_field(w, "syscall_state_full", info->lost[MV_LOSS_SYSCALL]);
	write_u64_field(w, "sampled_full", info->lost[MV_LOSS_SAMPLED_FULL]);
	json_object_end(w);
	json_key(w, "attach");
	write_attach(w, info);
	json_key(w, "return_probe");
	json_string(w, info->return_probe ? info->return_probe : "uretprobe");
	if (info->unwind_health) {
		json_key(w, "unwind");
		report_json__unwind(w, info->unwind_health);
	}
	json_object_end(w);
}

static void write_sampling(struct json_writer *w, const struct json_report_info *info)
{
	json_object_begin(w);
	json_key(w, "mode");
	json_string(w, info->sample_bytes ? "bytes" : "exact");
	json_key(w, "period_bytes");
	if (info->sample_bytes)
		json_u64(w, info->sample_bytes);
	else
		json_null(w);
	json_object_end(w);
}

int report_json__write(FILE *out, const struct model *m, const struct json_report_info *info)
{
	struct json_writer *w = json_writer__new(out, true);
	size_t i;
	int ret = 0;

	if (!w)
		return -ENOMEM;
	json_object_begin(w);
	write_u64_field(w, "version", 1);
	json_key(w, "tool");
	json_object_begin(w);
	json_key(w, "name");
	json_string(w, "memvigil");
	json_key(w, "version");
	json_string(w, MV_VERSION);
	json_object_end(w);
	json_key(w, "kernel");
	json_string(w, info->kernel);
	json_key(w, "started_at");
	json_string(w, info->started_at);
	json_key(w, "duration_s");
	json_double(w, info->duration_s);
	json_key(w, "target");
	write_target(w, info);
	json_key(w, "options");
	write_options(w, info);
	json_key(w, "sampling");
	write_sampling(w, info);
	json_key(w, "health");
	write_health(w, m, info);
	json_key(w, "cgroups");
	ret = write_groups(w, m);
	json_key(w, "system");
	report_json__system(w, m, info);
	json_key(w, "processes");
	json_array_begin(w);
	for (i = 0; i < m->proc_cnt && !ret; i++)
		ret = write_proc(w, m, m->procs[i], info);
	json_array_end(w);
	json_key(w, "alerts");
	write_alerts(w, info);
	json_object_end(w);
	if (!ret)
		ret = json_writer__finish(w);
	json_writer__free(w);
	if (!ret && (fputc('\n', out) == EOF || fflush(out)))
		ret = -EIO;
	return ret;
}
