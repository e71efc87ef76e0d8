// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <string.h>
#include "lib/format.h"
#include "lib/text_escape.h"
#include "model/query.h"
#include "output/frames.h"
#include "output/report_kernel_text.h"
#include "output/report_text.h"
#include "output/verdict_text.h"
#include "sites/allocator.h"

static unsigned long long est(double v)
{
	return v > 0 ? (unsigned long long)llround(v) : 0;
}

static void print_summary(FILE *out, const struct proc_report *r, const struct report_ctx *ctx)
{
	const struct proc *p = r->proc;
	const struct heap_totals *h = &p->heap;
	unsigned long long lost = report_ctx__lost_events(ctx);
	double secs = ctx->elapsed_ms ? ctx->elapsed_ms / 1000.0 : 1.0;
	char bytes[32], state[48] = "", ns[24] = "", comm[TEXT_ESCAPE_SIZE(sizeof(p->comm))];

	text_escape__copy(comm, sizeof(comm), p->comm);
	if (p->exited)
		snprintf(state, sizeof(state), " [exited]");
	else if (p->detached)
		snprintf(state, sizeof(state), " [left the cgroup]");
	if (p->ns_pid)
		snprintf(ns, sizeof(ns), " [ns %d]", p->ns_pid);
	if (!p->alloc_lib) {
		fprintf(out, "PID %d%s (%s)%s: heap not traced\n", p->pid,
			ns, comm, state);
		return;
	}
	if (p->sample_period) {	/* "~": an estimate from samples */
		fprintf(out, "PID %d%s (%s)%s: ~%s outstanding in ~%llu allocs\n",
			p->pid, ns, comm, state,
			format_bytes(est(h->est_outstanding_bytes), bytes, sizeof(bytes)),
			est(h->est_outstanding_allocs));
		fprintf(out, "  ~%.0f allocs/s ~%.0f frees/s | unmatched frees %llu | lost %llu | "
			"via %s, sampled\n", p->interval_est_allocs / secs,
			p->interval_est_frees / secs, (unsigned long long)h->unmatched_frees, lost,
			p->via_sampler ? "sampler" : "uprobes");
		return;
	}
	/* Two lines, so that the namespace PID and state tags still fit 100 columns. */
	fprintf(out, "PID %d%s (%s)%s: %s outstanding in %llu allocs\n",
		p->pid, ns, comm, state, format_bytes(h->outstanding_bytes, bytes, sizeof(bytes)),
		(unsigned long long)h->outstanding_allocs);
	fprintf(out, "  %.0f allocs/s %.0f frees/s | unmatched frees %llu | lost %llu | via %s, "
		"exact\n", p->interval_allocs / secs, p->interval_frees / secs,
		(unsigned long long)h->unmatched_frees, lost, p->via_sampler ? "sampler" : "uprobes");
}

/* One stack's line; column is the verdict column (verdict_text.h). */
static void print_site(FILE *out, const struct proc *p, const struct report_site *rs,
		       uint32_t now_ms, const char *column)
{
	char bytes[32], age[32];
	uint32_t oldest = rs->oldest_ms < now_ms ? rs->oldest_ms : now_ms;

	format_age_ms(now_ms - oldest, age, sizeof(age));
	if (p->sample_period) {
		fprintf(out, "  %s~%s (~%llu bytes, \u00b1%.0f%%) in ~%llu allocs (%llu sampled), "
			"oldest %s, via %s\n", column,
			format_bytes(est(rs->est_bytes), bytes, sizeof(bytes)), est(rs->est_bytes),
			rs->est_bytes > 0 ? 100.0 * sqrt(rs->est_bytes_var) / rs->est_bytes : 0.0,
			est(rs->est_allocs), (unsigned long long)rs->allocs, age,
			allocator__kind_name(rs->site->kind));
		return;
	}
	fprintf(out, "  %s%s (%llu bytes) in %llu allocs, oldest %s, via %s\n", column,
		format_bytes(rs->bytes, bytes, sizeof(bytes)), (unsigned long long)rs->bytes,
		(unsigned long long)rs->allocs, age, allocator__kind_name(rs->site->kind));
}

/*
 * Two lines per quantity, within 100 columns:
 *   heap 1.2 MiB, baseline 0 B, peak 1.3 MiB, delta +1.2 MiB
 *   heap growth +1.0 KiB/s = 0.06 MiB/min, R2 0.99, increasing
 */
static void print_quantity(FILE *out, const char *name, const struct quantity *q)
{
	char cur[32], base[32], peak[32], delta[32], rate[32];
	const struct series_stats *st = &q->st;

	if (!q->series)
		return;
	fprintf(out, "  %s %s, baseline %s, peak %s, delta %c%s\n", name,
		format_bytes(st->current, cur, sizeof(cur)),
		format_bytes(st->baseline, base, sizeof(base)),
		format_bytes(st->peak, peak, sizeof(peak)), st->delta < 0 ? '-' : '+',
		format_bytes(fabs(st->delta), delta, sizeof(delta)));
	if (st->n >= 2)
		fprintf(out, "  %s growth %c%s/s = %.2f MiB/min, R2 %.2f, %s\n", name,
			st->slope_per_s < 0 ? '-' : '+',
			format_bytes(fabs(st->slope_per_s), rate, sizeof(rate)),
			st->slope_per_s * 60 / 1048576.0, st->r2, trend__name(q->trend));
}

static void print_metrics(FILE *out, const struct proc_metrics *pm, const struct metrics *mt)
{
	char window[32];

	if (!pm)
		return;
	print_quantity(out, "heap", &pm->heap);
	print_quantity(out, "rss", &pm->rss);
	print_quantity(out, "mapped", &pm->mapped);
	fprintf(out, "  stacks over the last %s: %u leak, %u growing, %u stable, %u early "
		"(leak score %.2f)\n", format_age_ms(metrics__window_ms(mt), window, sizeof(window)),
		pm->verdicts[VERDICT_LEAK], pm->verdicts[VERDICT_GROWING],
		pm->verdicts[VERDICT_STABLE], pm->verdicts[VERDICT_EARLY], pm->leak_score);
	if (pm->pressure.level != PRESSURE_UNKNOWN)
		fprintf(out, "  pressure %s (from %s)\n", pressure__level_name(pm->pressure.level),
			pressure__signal_name(pm->pressure.cause));
}

static int print_proc(FILE *out, const struct report_ctx *ctx, const struct proc *p)
{
	const struct proc_metrics *pm = ctx->metrics ? metrics__find(ctx->metrics, p->key) : NULL;
	uint32_t min_age_ms = ctx->opts.min_age_s * 1000;
	unsigned int top = ctx->opts.top;
	struct proc_report r;
	char bytes[32], age[32], verdict[32];
	size_t i;
	int ret;

	ret = query__build(p, ctx->now_ms, min_age_ms, &r);
	if (ret)
		return ret;
	print_summary(out, &r, ctx);
	print_metrics(out, pm, ctx->metrics);
	if (min_age_ms && r.cnt)
		fprintf(out, "  older than %s: %s%s in %s%llu allocs\n",
			format_age_ms(min_age_ms, age, sizeof(age)), p->sample_period ? "~" : "",
			format_bytes(p->sample_period ? est(r.est_bytes) : r.bytes, bytes, sizeof(bytes)),
			p->sample_period ? "~" : "",
			p->sample_period ? est(r.est_allocs) : (unsigned long long)r.allocs);
	for (i = 0; i < r.cnt && i < top; i++) {
		print_site(out, p, &r.sites[i], ctx->now_ms,
			   verdict_text__column(pm, metrics__site(pm, r.sites[i].site - p->sites),
						verdict, sizeof(verdict)));
		frames__text(out, ctx, p->key, r.sites[i].site->stack_id);
	}
	if (r.cnt > top)
		fprintf(out, "  ... %zu more stacks (-n to show more)\n", r.cnt - top);
	query__release(&r);
	return report_text__kernel(out, ctx, p);
}

static void print_group_header(FILE *out, const struct model *m, const struct proc_group *g)
{
	const char *mark = m->sample_period ? "~" : "";
	const struct group_kernel *k = &g->kernel;
	char bytes[32], rss[32], growth[32], anon[32];

	fputs("cgroup ", out);
	text_escape__fputs(out, g->path);
	fprintf(out, ": %zu processes (%zu exited, %zu left), %s%s outstanding in %s%llu "
		"allocs\n", g->cnt, g->exited, g->detached, mark,
		format_bytes(m->sample_period ? est(g->heap.est_outstanding_bytes)
					      : g->heap.outstanding_bytes, bytes, sizeof(bytes)),
		mark, m->sample_period ? est(g->heap.est_outstanding_allocs)
				       : (unsigned long long)g->heap.outstanding_allocs);
	if (!k->sampled)
		return;
	fprintf(out, "  RSS %s (%s%s since attach) | mapped anon %s | faults %llu | "
		"reclaim %.0f ms | OOM kills %u\n", format_bytes(k->rss_bytes, rss, sizeof(rss)),
		k->rss_growth_bytes < 0 ? "-" : "+",
		format_bytes(k->rss_growth_bytes < 0 ? -(uint64_t)k->rss_growth_bytes
						     : (uint64_t)k->rss_growth_bytes,
			     growth, sizeof(growth)),
		format_bytes(k->anon_mapped_bytes, anon, sizeof(anon)),
		(unsigned long long)k->faults, k->reclaim_stall_ns / 1e6, k->oom_kills);
}

int report_text__write(FILE *out, const struct report_ctx *ctx)
{
	const struct model *m = ctx->m;
	struct proc_group *groups;
	size_t i, j, cnt;
	char age[32], period[32];
	int ret;

	fprintf(out, "%s report at +%s", ctx->final ? "=== final" : "---",
		format_age_ms(ctx->now_ms, age, sizeof(age)));
	if (m->sample_period)
		fprintf(out, " (estimates from samples, one per %s allocated on average)",
			format_bytes(m->sample_period, period, sizeof(period)));
	fputc('\n', out);
	if (!m->proc_cnt)
		fprintf(out, "no allocations seen yet\n");
	ret = query__groups(m, &groups, &cnt);
	if (ret)
		return ret;
	for (i = 0; i < cnt && !ret; i++) {
		if (groups[i].path)
			print_group_header(out, m, &groups[i]);
		for (j = 0; j < groups[i].cnt && !ret; j++)
			ret = print_proc(out, ctx, groups[i].procs[j]);
	}
	query__groups_free(groups, cnt);
	report_text__system(out, ctx);
	fflush(out);
	return ret;
}
