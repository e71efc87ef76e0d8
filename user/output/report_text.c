// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <string.h>
#include "lib/format.h"
#include "lib/text_escape.h"
#include "model/query.h"
#include "output/frames.h"
#include "output/report_kernel_text.h"
#include "output/report_recommend.h"
#include "output/report_text.h"
#include "output/verdict_text.h"
#include "sites/allocator.h"

static unsigned long long est(double v)
{
	return v > 0 ? (unsigned long long)llround(v) : 0;
}

/* The process's first line: who it is and what its heap holds. */
static void print_summary(FILE *out, const struct proc *p)
{
	const struct heap_totals *h = &p->heap;
	unsigned long long allocs = p->sample_period ? est(h->est_outstanding_allocs)
						     : (unsigned long long)h->outstanding_allocs;
	const char *mark = p->sample_period ? "~" : "";	/* "~": an estimate from samples */
	char bytes[32], state[48] = "", ns[24] = "", comm[TEXT_ESCAPE_SIZE(sizeof(p->comm))];

	text_escape__copy(comm, sizeof(comm), p->comm);
	if (p->exited)
		snprintf(state, sizeof(state), " [exited]");
	else if (p->detached)
		snprintf(state, sizeof(state), " [left the cgroup]");
	if (p->ns_pid)
		snprintf(ns, sizeof(ns), " [ns %d]", p->ns_pid);
	if (!p->alloc_lib) {
		fprintf(out, "PID %d%s (%s)%s: heap not traced\n", p->pid, ns, comm, state);
		return;
	}
	format_bytes(p->sample_period ? est(h->est_outstanding_bytes) : h->outstanding_bytes,
		     bytes, sizeof(bytes));
	fprintf(out, "PID %d%s (%s)%s: %s%s outstanding in %s%llu alloc%s\n", p->pid, ns, comm,
		state, mark, bytes, mark, allocs, format_plural(allocs));
}

/* How far to trust the heap figures: rates since the last report, unmatched frees, losses. */
static void print_rates(FILE *out, const struct proc *p, const struct report_ctx *ctx)
{
	double secs = ctx->elapsed_ms ? ctx->elapsed_ms / 1000.0 : 1.0;
	const char *mark = p->sample_period ? "~" : "";
	double allocs = p->sample_period ? p->interval_est_allocs : p->interval_allocs;
	double frees = p->sample_period ? p->interval_est_frees : p->interval_frees;

	if (!p->alloc_lib)
		return;
	fprintf(out, "  %s%.0f allocs/s %s%.0f frees/s | unmatched frees %llu | lost %llu | "
		"via %s, %s\n", mark, allocs / secs, mark, frees / secs,
		(unsigned long long)p->heap.unmatched_frees,
		(unsigned long long)report_ctx__lost_events(ctx),
		p->via_sampler ? "sampler" : "uprobes", p->sample_period ? "sampled" : "exact");
}

/* One stack's line; column is the verdict column (verdict_text.h). */
static void print_site(FILE *out, const struct proc *p, const struct report_site *rs,
		       uint32_t now_ms, const char *column)
{
	char bytes[32], age[32];
	uint32_t oldest = rs->oldest_ms < now_ms ? rs->oldest_ms : now_ms;
	const char *via = allocator__kind_call(rs->site->kind);
	unsigned long long allocs;

	format_age_ms(now_ms - oldest, age, sizeof(age));
	if (p->sample_period) {
		allocs = est(rs->est_allocs);
		fprintf(out, "  %s~%s (~%llu bytes, \u00b1%.0f%%) in ~%llu alloc%s (%llu sampled), "
			"oldest %s, via %s\n", column,
			format_bytes(est(rs->est_bytes), bytes, sizeof(bytes)), est(rs->est_bytes),
			rs->est_bytes > 0 ? 100.0 * sqrt(rs->est_bytes_var) / rs->est_bytes : 0.0,
			allocs, format_plural(allocs), (unsigned long long)rs->allocs, age, via);
		return;
	}
	allocs = rs->allocs;
	fprintf(out, "  %s%s (%llu bytes) in %llu alloc%s, oldest %s, via %s\n", column,
		format_bytes(rs->bytes, bytes, sizeof(bytes)), (unsigned long long)rs->bytes,
		allocs, format_plural(allocs), age, via);
}

/* "+1.2 KiB", "~-300 B" into buf: a signed size, mark before its sign. */
static const char *signed_bytes(double v, const char *mark, char *buf, size_t len)
{
	char b[32];

	snprintf(buf, len, "%s%c%s", mark, v < 0 ? '-' : '+', format_bytes(fabs(v), b, sizeof(b)));
	return buf;
}

/*
 * Two lines per quantity, within 100 columns; mark ("~" when sampled) before
 * every estimate:
 *   heap 1.2 MiB, baseline 0 B, peak 1.3 MiB, delta +1.2 MiB
 *   heap growth +1.0 KiB/s = 0.06 MiB/min, R2 0.99, increasing
 * A fit of fewer than TREND_MIN_SAMPLES says nothing (two points always fit a
 * line), so the growth line then says how many samples there are.
 */
static void print_quantity(FILE *out, const char *name, const struct quantity *q,
			   const char *mark)
{
	char cur[32], base[32], peak[32], delta[40], rate[40];
	const struct series_stats *st = &q->st;

	if (!q->series)
		return;
	fprintf(out, "  %s %s%s, baseline %s%s, peak %s%s, delta %s\n", name,
		mark, format_bytes(st->current, cur, sizeof(cur)),
		mark, format_bytes(st->baseline, base, sizeof(base)),
		mark, format_bytes(st->peak, peak, sizeof(peak)),
		signed_bytes(st->delta, mark, delta, sizeof(delta)));
	if (st->n < TREND_MIN_SAMPLES)
		fprintf(out, "  %s growth unknown: %u sample%s in the window, a trend needs %d\n",
			name, st->n, format_plural(st->n), TREND_MIN_SAMPLES);
	else
		fprintf(out, "  %s growth %s/s = %s%.2f MiB/min, R2 %.2f, %s\n", name,
			signed_bytes(st->slope_per_s, mark, rate, sizeof(rate)), mark,
			st->slope_per_s * 60 / 1048576.0, st->r2, trend__name(q->trend));
}

/*
 * The process's verdict first: its most worrying stack's, the highest leak
 * score, and how many stacks have each verdict. Without heap probes only its
 * mapping stacks have verdicts, and the line is left out when it has none.
 */
static void print_verdict(FILE *out, const struct proc *p, const struct proc_metrics *pm,
			  const struct metrics *mt)
{
	const uint32_t *v = pm->verdicts;
	char window[32];

	if (!p->alloc_lib && !pm->map_site_cnt)
		return;
	fprintf(out, "  verdict %s, score %.2f; %sstacks over %s: %u leak, %u growing, "
		"%u stable, %u early\n", verdict_text__process(pm), pm->leak_score,
		p->alloc_lib ? "" : "mapping ",
		format_age_ms(metrics__window_ms(mt), window, sizeof(window)),
		v[VERDICT_LEAK], v[VERDICT_GROWING], v[VERDICT_STABLE], v[VERDICT_EARLY]);
}

/* The verdict and the heap's metrics; the process's own lines come before its stacks. */
static void print_metrics(FILE *out, const struct proc *p, const struct proc_metrics *pm,
			  const struct metrics *mt)
{
	if (!pm)
		return;
	print_verdict(out, p, pm, mt);
	if (p->alloc_lib)
		print_quantity(out, "heap", &pm->heap, p->sample_period ? "~" : "");
}

/* The top stacks by outstanding bytes, after the --min-age totals. */
static void print_sites(FILE *out, const struct report_ctx *ctx, const struct proc *p,
			const struct proc_metrics *pm, const struct proc_report *r)
{
	uint32_t min_age_ms = ctx->opts.min_age_s * 1000;
	unsigned int top = ctx->opts.top;
	const char *mark = p->sample_period ? "~" : "";
	unsigned long long allocs = p->sample_period ? est(r->est_allocs)
						     : (unsigned long long)r->allocs;
	char bytes[32], age[32], verdict[32];
	size_t i;

	if (min_age_ms && r->cnt)
		fprintf(out, "  older than %s: %s%s in %s%llu alloc%s\n",
			format_age_ms(min_age_ms, age, sizeof(age)), mark,
			format_bytes(p->sample_period ? est(r->est_bytes) : r->bytes, bytes,
				     sizeof(bytes)), mark, allocs, format_plural(allocs));
	for (i = 0; i < r->cnt && i < top; i++) {
		print_site(out, p, &r->sites[i], ctx->now_ms,
			   verdict_text__column(pm, metrics__site(pm, r->sites[i].site - p->sites),
						verdict, sizeof(verdict)));
		frames__text(out, ctx, p->key, r->sites[i].site->stack_id);
	}
	if (r->cnt > top)
		fprintf(out, "  ... %zu more stack%s (-n to show more)\n", r->cnt - top,
			format_plural(r->cnt - top));
}

/*
 * A process, stacks first: its line, its verdict and heap, its heap and
 * mapping stacks; then the rates and the kernel's figures (compact unless
 * ctx->opts.detail).
 */
static int print_proc(FILE *out, const struct report_ctx *ctx, const struct proc *p)
{
	const struct proc_metrics *pm = ctx->metrics ? metrics__find(ctx->metrics, p->key) : NULL;
	struct proc_report r;
	int ret;

	ret = query__build(p, ctx->now_ms, ctx->opts.min_age_s * 1000, &r);
	if (ret)
		return ret;
	print_summary(out, p);
	print_metrics(out, p, pm, ctx->metrics);
	report_recommend__text(out, ctx, p, pm);
	print_sites(out, ctx, p, pm, &r);
	query__release(&r);
	ret = report_text__mappings(out, ctx, p);
	if (ret)
		return ret;
	print_rates(out, p, ctx);
	if (ctx->opts.detail && pm) {
		print_quantity(out, "rss", &pm->rss, "");
		print_quantity(out, "mapped", &pm->mapped, "");
		if (pm->pressure.level != PRESSURE_UNKNOWN)
			fprintf(out, "  pressure %s (from %s)\n",
				pressure__level_name(pm->pressure.level),
				pressure__signal_name(pm->pressure.cause));
	}
	report_text__kernel(out, ctx, p, pm);
	return 0;
}

static void print_group_header(FILE *out, const struct model *m, const struct proc_group *g)
{
	const char *mark = m->sample_period ? "~" : "";
	const struct group_kernel *k = &g->kernel;
	unsigned long long allocs = m->sample_period ? est(g->heap.est_outstanding_allocs)
						     : (unsigned long long)g->heap.outstanding_allocs;
	char bytes[32], rss[32], growth[32], anon[32];

	fputs("cgroup ", out);
	text_escape__fputs(out, g->path);
	fprintf(out, ": %zu process%s (%zu exited, %zu left), %s%s outstanding in %s%llu alloc%s\n",
		g->cnt, g->cnt == 1 ? "" : "es", g->exited, g->detached, mark,
		format_bytes(m->sample_period ? est(g->heap.est_outstanding_bytes)
					      : g->heap.outstanding_bytes, bytes, sizeof(bytes)),
		mark, allocs, format_plural(allocs));
	if (!k->sampled)
		return;
	fprintf(out, "  RSS %s (%s%s) | mapped anon %s | faults %llu | "
		"reclaim %.0f ms | OOM kills %u\n", format_bytes(k->rss_bytes, rss, sizeof(rss)),
		k->rss_growth_bytes < 0 ? "-" : "+",
		format_bytes(k->rss_growth_bytes < 0 ? -(uint64_t)k->rss_growth_bytes
						     : (uint64_t)k->rss_growth_bytes,
			     growth, sizeof(growth)),
		format_bytes(k->anon_mapped_bytes, anon, sizeof(anon)),
		(unsigned long long)k->faults, k->reclaim_stall_ns / 1e6, k->oom_kills);
}

/* One line when --keep-exited dropped exited processes: how many, and what they held. */
static void print_dropped(FILE *out, const struct model *m)
{
	const struct heap_totals *h = &m->dropped.heap;
	const char *mark = m->sample_period ? "~" : "";
	unsigned long long allocs = m->sample_period ? est(h->est_outstanding_allocs)
						     : (unsigned long long)h->outstanding_allocs;
	char bytes[32];

	if (!m->dropped.cnt)
		return;
	fprintf(out, "%llu exited process%s dropped (--keep-exited), holding %s%s in %s%llu "
		"alloc%s at exit\n", (unsigned long long)m->dropped.cnt,
		m->dropped.cnt == 1 ? "" : "es", mark,
		format_bytes(m->sample_period ? est(h->est_outstanding_bytes) : h->outstanding_bytes,
			     bytes, sizeof(bytes)), mark, allocs, format_plural(allocs));
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
	if (!m->proc_cnt && !m->dropped.cnt)
		fprintf(out, "no allocations seen yet\n");
	print_dropped(out, m);
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
