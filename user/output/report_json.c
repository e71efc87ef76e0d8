// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <sys/wait.h>
#include <stdio.h>
#include <string.h>
#include "lib/json_writer.h"
#include "model/query.h"
#include "output/frames.h"
#include "output/metrics_json.h"
#include "output/report_json.h"
#include "output/report_kernel_json.h"
#include "output/report_recommend.h"
#include "output/report_unwind_json.h"
#include "sites/allocator.h"

/* Sampled mode: the samples behind a stack's estimates, and their standard error. */
static void write_site_samples(struct json_writer *w, const struct report_site *rs)
{
	json_object_field_begin(w, "samples");
	json_u64_field(w, "outstanding", rs->allocs);
	json_u64_field(w, "outstanding_bytes", rs->bytes);
	json_u64_field(w, "total", rs->site->total_allocs);
	json_double_field(w, "outstanding_bytes_stderr", sqrt(rs->est_bytes_var));
	json_object_end(w);
}

static void write_site(struct json_writer *w, const struct report_ctx *ctx, pid_t pid,
		       const struct report_site *rs, const struct proc_metrics *pm)
{
	const struct proc *p = model__find(ctx->m, pid);
	const struct site *site = rs->site;
	bool sampled = ctx->m->sample_period != 0;

	json_object_begin(w);
	metrics_json__count_field(w, "outstanding_bytes", sampled, rs->bytes, rs->est_bytes);
	metrics_json__count_field(w, "outstanding_allocs", sampled, rs->allocs, rs->est_allocs);
	metrics_json__count_field(w, "total_allocs", sampled, site->total_allocs, site->est_total_allocs);
	metrics_json__count_field(w, "total_bytes", sampled, site->total_bytes, site->est_total_bytes);
	if (sampled)
		write_site_samples(w, rs);
	json_double_field(w, "oldest_age_s",
			  (ctx->now_ms - (rs->oldest_ms < ctx->now_ms ? rs->oldest_ms
								      : ctx->now_ms)) / 1000.0);
	json_string_field(w, "allocator", allocator__kind_name(rs->site->kind));
	metrics_json__site_fields(w, p ? metrics__site(pm, rs->site - p->sites) : NULL);
	frames__json_fields(w, ctx, pid, rs->site->stack_id);
	json_object_end(w);
}

/* The totals a process's and a group's heap objects both give. */
static void write_heap_counts(struct json_writer *w, const struct heap_totals *h, bool sampled)
{
	metrics_json__count_field(w, "outstanding_bytes", sampled, h->outstanding_bytes,
		    h->est_outstanding_bytes);
	metrics_json__count_field(w, "outstanding_allocs", sampled, h->outstanding_allocs,
		    h->est_outstanding_allocs);
	metrics_json__count_field(w, "total_allocs", sampled, h->total_allocs, h->est_total_allocs);
	metrics_json__count_field(w, "total_frees", sampled, h->total_frees, h->est_total_frees);
	metrics_json__count_field(w, "total_bytes", sampled, h->total_bytes, h->est_total_bytes);
}

/* Sampled mode: estimates in the usual fields, the sample counts beside them. */
static void write_heap(struct json_writer *w, const struct heap_totals *h, bool sampled)
{
	json_object_begin(w);
	write_heap_counts(w, h, sampled);
	metrics_json__count_field(w, "peak_outstanding_bytes", sampled, h->peak_outstanding_bytes,
		    h->est_peak_outstanding_bytes);
	json_u64_field(w, "unmatched_frees", h->unmatched_frees);
	if (sampled) {
		json_object_field_begin(w, "samples");
		json_u64_field(w, "outstanding", h->outstanding_allocs);
		json_u64_field(w, "outstanding_bytes", h->outstanding_bytes);
		json_u64_field(w, "total", h->total_allocs);
		json_u64_field(w, "total_frees", h->total_frees);
		json_double_field(w, "outstanding_bytes_stderr",
				  sqrt(h->est_outstanding_bytes_var));
		json_object_end(w);
	}
	json_object_end(w);
}

static void write_allocator(struct json_writer *w, const struct proc *p)
{
	uint32_t k;

	json_object_begin(w);
	json_string_field(w, "library", p->alloc_lib);
	json_string_field(w, "path", !p->alloc_lib ? NULL : p->via_sampler ? "sampler" : "uprobes");
	json_u64_field(w, "sample_period_bytes", p->sample_period);
	json_array_field_begin(w, "functions");
	for (k = 0; k < MV_KIND_CNT; k++)
		if (p->alloc_kinds & (1u << k))
			json_string(w, allocator__kind_name(k));
	json_array_end(w);
	json_object_end(w);
}

static void write_exit(struct json_writer *w, const struct proc *p)
{
	json_i64_or_null_field(w, "exit_code", p->exited && WIFEXITED(p->exit_status),
			       WEXITSTATUS(p->exit_status));
	json_i64_or_null_field(w, "exit_signal", p->exited && WIFSIGNALED(p->exit_status),
			       WTERMSIG(p->exit_status));
}

static int write_proc(struct json_writer *w, const struct report_ctx *ctx, const struct proc *p)
{
	const struct proc_metrics *pm = ctx->metrics ? metrics__find(ctx->metrics, p->key) : NULL;
	struct proc_report r;
	size_t i;
	int ret;

	ret = query__build(p, ctx->now_ms, 0, &r);
	if (ret)
		return ret;
	json_object_begin(w);
	json_i64_field(w, "pid", p->pid);
	json_string_field(w, "comm", p->comm);
	json_string_field(w, "exe", p->exe);
	json_i64_or_null_field(w, "ns_pid", p->ns_pid != 0, p->ns_pid);
	json_i64_or_null_field(w, "parent_pid", p->parent_pid != 0, p->parent_pid);
	json_string_field(w, "cgroup", p->cgroup);
	json_bool_field(w, "exited", p->exited);
	json_bool_field(w, "detached", p->detached && !p->exited);
	write_exit(w, p);
	json_key(w, "heap");
	write_heap(w, &p->heap, p->sample_period != 0);
	json_key(w, "allocator");
	write_allocator(w, p);
	json_key(w, "metrics");
	metrics_json__proc(w, pm, report_ctx__window_ms(ctx));
	json_key(w, "recommendations");
	report_recommend__json(w, ctx, p, pm);
	json_key(w, "timeline");
	metrics_json__timeline(w, pm);
	json_array_field_begin(w, "stacks");
	for (i = 0; i < r.cnt; i++)
		write_site(w, ctx, p->key, &r.sites[i], pm);
	json_array_end(w);
	json_key(w, "kernel");
	ret = report_json__kernel(w, ctx, p);
	json_object_end(w);
	query__release(&r);
	return ret;
}

static void write_target(struct json_writer *w, const struct report_ctx *ctx)
{
	int i;

	json_object_begin(w);
	if (ctx->target.cgroup) {
		json_string_field(w, "cgroup", ctx->target.cgroup);
	} else if (ctx->target.command) {
		json_array_field_begin(w, "command");
		for (i = 0; i < ctx->target.command_argc; i++)
			json_string(w, ctx->target.command[i]);
		json_array_end(w);
	} else {
		json_i64_field(w, "pid", ctx->target.pid);
	}
	json_bool_field(w, "follow", ctx->target.follow || ctx->target.cgroup);
	json_object_end(w);
}

static void write_options(struct json_writer *w, const struct report_ctx *ctx)
{
	json_object_begin(w);
	if (ctx->opts.echo)
		ctx->opts.echo(w, ctx->opts.echo_arg);
	json_object_end(w);
}

static void write_attach(struct json_writer *w, const struct report_health *h)
{
	json_object_begin(w);
	json_u64_field(w, "attached", h->attached);
	json_u64_field(w, "failed", h->attach_failed);
	json_u64_field(w, "forks_followed", h->fork_attach_cnt);
	json_double_field(w, "fork_to_attach_max_ms",
			  h->fork_attach_cnt ? h->fork_attach_max_ms : NAN);
	json_double_field(w, "fork_to_attach_median_ms",
			  h->fork_attach_cnt ? h->fork_attach_median_ms : NAN);
	json_object_end(w);
}

static void write_group_kernel(struct json_writer *w, const struct group_kernel *k)
{
	json_object_begin(w);
	json_u64_field(w, "sampled_processes", k->sampled);
	json_u64_field(w, "rss_bytes", k->rss_bytes);
	json_i64_field(w, "rss_growth_bytes", k->rss_growth_bytes);
	json_u64_field(w, "anon_mapped_bytes", k->anon_mapped_bytes);
	json_u64_field(w, "file_mapped_bytes", k->file_mapped_bytes);
	json_u64_field(w, "faults", k->faults);
	json_double_field(w, "reclaim_stall_s", k->reclaim_stall_ns / 1e9);
	json_u64_field(w, "oom_kills", k->oom_kills);
	json_key(w, "memory_cgroup");
	report_json__memory_cgroup(w, k->memcg_from);
	json_object_end(w);
}

/* A group's heap sums; in sampled mode the sums of its processes' estimates. */
static void write_group(struct json_writer *w, const struct proc_group *g, bool sampled)
{
	size_t i;

	json_object_begin(w);
	json_string_field(w, "path", g->path);
	json_array_field_begin(w, "pids");
	for (i = 0; i < g->cnt; i++)
		json_i64(w, g->procs[i]->pid);
	json_array_end(w);
	json_u64_field(w, "exited", g->exited);
	json_u64_field(w, "detached", g->detached);
	json_object_field_begin(w, "heap");
	write_heap_counts(w, &g->heap, sampled);
	json_u64_field(w, "unmatched_frees", g->heap.unmatched_frees);
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

static void write_alerts(struct json_writer *w, const struct report_ctx *ctx)
{
	size_t i;

	json_array_begin(w);
	for (i = 0; i < ctx->alert_cnt; i++)
		metrics_json__alert(w, &ctx->alerts[i]);
	json_array_end(w);
}

/* The exited processes --keep-exited dropped, and their heaps summed when any. */
static void write_dropped(struct json_writer *w, const struct dropped_procs *d)
{
	json_u64_field(w, "exited_dropped", d->cnt);
	if (!d->cnt)
		return;
	json_object_field_begin(w, "dropped_heap");
	json_u64_field(w, "total_allocs", d->heap.total_allocs);
	json_u64_field(w, "total_bytes", d->heap.total_bytes);
	json_u64_field(w, "outstanding_allocs", d->heap.outstanding_allocs);
	json_u64_field(w, "outstanding_bytes", d->heap.outstanding_bytes);
	json_object_end(w);
}

static void write_health(struct json_writer *w, const struct report_ctx *ctx)
{
	const struct report_health *h = &ctx->health;
	const struct model *m = ctx->m;
	uint64_t unmatched = 0;
	size_t i;

	for (i = 0; i < m->proc_cnt; i++)
		unmatched += m->procs[i]->heap.unmatched_frees;
	unmatched += m->dropped.heap.unmatched_frees;
	json_object_begin(w);
	json_u64_field(w, "events", m->events);
	json_u64_field(w, "lost_events", report_ctx__lost_events(ctx));
	json_u64_field(w, "unmatched_frees", unmatched);
	json_u64_field(w, "stack_errors", h->lost[MV_LOSS_STACK]);
	json_u64_field(w, "truncated_stacks", h->lost[MV_LOSS_TRUNCATED]);
	json_u64_field(w, "alerts_not_kept", h->alerts_not_kept);
	json_u64_field(w, "on_alert_skipped", h->on_alert_skipped);
	json_u64_field(w, "files_skipped", h->files_skipped);
	json_u64_field(w, "debug_files_skipped", h->debug_files_skipped);
	write_dropped(w, &m->dropped);
	json_object_field_begin(w, "lost");
	json_u64_field(w, "ringbuf_full", h->lost[MV_LOSS_RINGBUF]);
	json_u64_field(w, "inflight_full", h->lost[MV_LOSS_INFLIGHT]);
	json_u64_field(w, "kstats_full", h->lost[MV_LOSS_KSTATS]);
	json_u64_field(w, "syscall_state_full", h->lost[MV_LOSS_SYSCALL]);
	json_u64_field(w, "sampled_full", h->lost[MV_LOSS_SAMPLED_FULL]);
	json_object_end(w);
	json_key(w, "attach");
	write_attach(w, h);
	json_string_field(w, "return_probe", h->return_probe ? h->return_probe : "uretprobe");
	if (h->unwind) {
		json_key(w, "unwind");
		report_json__unwind(w, h->unwind);
	}
	json_object_end(w);
}

static void write_sampling(struct json_writer *w, const struct report_ctx *ctx)
{
	json_object_begin(w);
	json_string_field(w, "mode", ctx->opts.sample_bytes ? "bytes" : "exact");
	json_u64_or_null_field(w, "period_bytes", ctx->opts.sample_bytes, ctx->opts.sample_bytes);
	json_object_end(w);
}

int report_json__document(FILE *out, const struct report_ctx *ctx)
{
	const struct model *m = ctx->m;
	struct json_writer *w = json_writer__new(out, !ctx->opts.compact);
	size_t i;
	int ret = 0;

	if (!w)
		return -ENOMEM;
	json_object_begin(w);
	json_u64_field(w, "version", 1);
	json_object_field_begin(w, "tool");
	json_string_field(w, "name", "memvigil");
	json_string_field(w, "version", MV_VERSION);
	json_object_end(w);
	json_string_field(w, "kernel", ctx->kernel);
	json_string_field(w, "started_at", ctx->started_at);
	json_double_field(w, "duration_s", ctx->now_ms / 1000.0);
	json_key(w, "target");
	write_target(w, ctx);
	json_key(w, "options");
	write_options(w, ctx);
	json_key(w, "sampling");
	write_sampling(w, ctx);
	json_key(w, "health");
	write_health(w, ctx);
	json_key(w, "cgroups");
	ret = write_groups(w, m);
	json_key(w, "system");
	report_json__system(w, ctx);
	json_array_field_begin(w, "processes");
	for (i = 0; i < m->proc_cnt && !ret; i++)
		ret = write_proc(w, ctx, m->procs[i]);
	json_array_end(w);
	json_key(w, "alerts");
	write_alerts(w, ctx);
	json_object_end(w);
	if (!ret)
		ret = json_writer__finish(w);
	json_writer__free(w);
	if (!ret && (fputc('\n', out) == EOF || fflush(out)))
		ret = -EIO;
	return ret;
}

int report_json__proc(struct json_writer *w, const struct report_ctx *ctx, const struct proc *p)
{
	return write_proc(w, ctx, p);
}

int report_json__stacks(struct json_writer *w, const struct report_ctx *ctx, const struct proc *p,
			unsigned int top)
{
	const struct proc_metrics *pm = ctx->metrics ? metrics__find(ctx->metrics, p->key) : NULL;
	struct proc_report r;
	size_t i;
	int ret = query__build(p, ctx->now_ms, 0, &r);

	if (ret)
		return ret;
	json_array_begin(w);
	for (i = 0; i < r.cnt && i < top; i++)
		write_site(w, ctx, p->key, &r.sites[i], pm);
	json_array_end(w);
	query__release(&r);
	return 0;
}
