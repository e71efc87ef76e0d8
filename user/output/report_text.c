// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <string.h>
#include "lib/format.h"
#include "lib/text_escape.h"
#include "model/query.h"
#include "output/report_text.h"
#include "sites/allocator.h"

static const char *basename_of(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path;
}

/* One frame line; names come from the traced process's files and are escaped. */
static void print_frame(FILE *out, uint64_t addr, const struct mv_symbol *sym)
{
	const char *module = sym->module ? basename_of(sym->module) : "?";

	fputs("        ", out);
	if (sym->symbol) {
		text_escape__fputs(out, sym->symbol);
		fprintf(out, "+0x%llx (", (unsigned long long)sym->offset);
		text_escape__fputs(out, module);
		fputs(")\n", out);
	} else if (sym->module) {
		fprintf(out, "0x%llx (", (unsigned long long)addr);
		text_escape__fputs(out, module);
		fprintf(out, "+0x%llx)\n", (unsigned long long)sym->offset);
	} else {
		fprintf(out, "0x%llx\n", (unsigned long long)addr);
	}
}

void report_text__frames(FILE *out, const struct model *m, pid_t pid, uint32_t stack_id,
			 const struct text_report_opts *o)
{
	const uint64_t *frames;
	struct mv_symbol sym;
	uint32_t depth = 0, shown, i;

	frames = stacks__frames(m->stacks, stack_id, &depth);
	if (!frames || !depth) {
		fprintf(out, "        [no user stack]\n");
		return;
	}
	shown = o->frames && o->frames < depth ? o->frames : depth;
	for (i = 0; i < shown; i++) {
		memset(&sym, 0, sizeof(sym));
		if (o->resolve)
			o->resolve(o->resolve_ctx, pid, frames[i], &sym);
		print_frame(out, frames[i], &sym);
	}
	if (depth > shown)
		fprintf(out, "        ... %u more frames\n", depth - shown);
}

static unsigned long long est(double v)
{
	return v > 0 ? (unsigned long long)llround(v) : 0;
}

static void print_summary(FILE *out, const struct proc_report *r, const struct text_report_opts *o)
{
	const struct proc *p = r->proc;
	const struct heap_totals *h = &p->heap;
	double secs = o->elapsed_ms ? o->elapsed_ms / 1000.0 : 1.0;
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
		fprintf(out, "  ~%.0f allocs/s ~%.0f frees/s | unmatched frees %llu | lost %llu\n",
			p->interval_est_allocs / secs, p->interval_est_frees / secs,
			(unsigned long long)h->unmatched_frees, (unsigned long long)o->lost_events);
		return;
	}
	/* Two lines, so that the namespace PID and state tags still fit 100 columns. */
	fprintf(out, "PID %d%s (%s)%s: %s outstanding in %llu allocs\n",
		p->pid, ns, comm, state, format_bytes(h->outstanding_bytes, bytes, sizeof(bytes)),
		(unsigned long long)h->outstanding_allocs);
	fprintf(out, "  %.0f allocs/s %.0f frees/s | unmatched frees %llu | lost %llu\n",
		p->interval_allocs / secs, p->interval_frees / secs,
		(unsigned long long)h->unmatched_frees, (unsigned long long)o->lost_events);
}

/* One stack's line; column is the verdict column (see verdict_column). */
static void print_site(FILE *out, const struct proc *p, const struct report_site *rs,
		       const struct text_report_opts *o, const char *column)
{
	char bytes[32], age[32];
	uint32_t oldest = rs->oldest_ms < o->now_ms ? rs->oldest_ms : o->now_ms;

	format_age_ms(o->now_ms - oldest, age, sizeof(age));
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

const char *report_text__verdict_column(const struct proc_metrics *pm,
					const struct site_metrics *sm, char *buf, size_t len)
{
	if (!pm)
		buf[0] = '\0';
	else if (!sm)
		snprintf(buf, len, "%-7s %4s  ", "-", "");
	else
		snprintf(buf, len, "%-7s %4.2f  ", verdict__name(sm->verdict), sm->score);
	return buf;
}

static int print_proc(FILE *out, const struct model *m, const struct proc *p,
		      const struct text_report_opts *o)
{
	const struct proc_metrics *pm = o->metrics ? metrics__find(o->metrics, p->key) : NULL;
	struct proc_report r;
	char bytes[32], age[32], verdict[32];
	size_t i;
	int ret;

	ret = query__build(p, o->now_ms, o->min_age_ms, &r);
	if (ret)
		return ret;
	print_summary(out, &r, o);
	print_metrics(out, pm, o->metrics);
	if (o->min_age_ms && r.cnt)
		fprintf(out, "  older than %s: %s%s in %s%llu allocs\n",
			format_age_ms(o->min_age_ms, age, sizeof(age)), p->sample_period ? "~" : "",
			format_bytes(p->sample_period ? est(r.est_bytes) : r.bytes, bytes, sizeof(bytes)),
			p->sample_period ? "~" : "",
			p->sample_period ? est(r.est_allocs) : (unsigned long long)r.allocs);
	for (i = 0; i < r.cnt && i < o->top; i++) {
		print_site(out, p, &r.sites[i], o,
			   report_text__verdict_column(pm, metrics__site(pm, r.sites[i].site - p->sites),
						       verdict, sizeof(verdict)));
		report_text__frames(out, m, p->key, r.sites[i].site->stack_id, o);
	}
	if (r.cnt > o->top)
		fprintf(out, "  ... %zu more stacks (-n to show more)\n", r.cnt - o->top);
	query__release(&r);
	return report_text__kernel(out, m, p, o);
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

int report_text__print(FILE *out, const struct model *m, const struct text_report_opts *o)
{
	struct proc_group *groups;
	size_t i, j, cnt;
	char age[32], period[32];
	int ret;

	fprintf(out, "%s report at +%s", o->final ? "=== final" : "---",
		format_age_ms(o->now_ms, age, sizeof(age)));
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
			ret = print_proc(out, m, groups[i].procs[j], o);
	}
	query__groups_free(groups, cnt);
	report_text__system(out, m, o);
	fflush(out);
	return ret;
}
