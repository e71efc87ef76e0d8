// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include "analysis/recommend.h"
#include "lib/format.h"
#include "model/query.h"

/* Room for what the rules write. */
struct recs {
	struct recommendation *out;
	size_t cnt, max;
};

static const char *const severity_names[] = {
	[RECOMMEND_INFO] = "info",
	[RECOMMEND_WARNING] = "warning",
	[RECOMMEND_CRITICAL] = "critical",
};

const char *recommend__severity_name(enum recommend_severity s)
{
	return s <= RECOMMEND_CRITICAL ? severity_names[s] : "?";
}

/* One more recommendation, unless out is full. */
__attribute__((format(printf, 4, 5)))
static void add(struct recs *r, const char *rule, enum recommend_severity severity,
		const char *fmt, ...)
{
	struct recommendation *rec;
	va_list ap;

	if (r->cnt == r->max)
		return;
	rec = &r->out[r->cnt++];
	rec->rule = rule;
	rec->severity = severity;
	va_start(ap, fmt);
	vsnprintf(rec->text, sizeof(rec->text), fmt, ap);
	va_end(ap);
}

/* A growth rate for people: "+3.2 MiB/min", "-512 B/min". */
static const char *format_rate(double bytes_per_s, char *buf, size_t len)
{
	char bytes[32];
	double per_min = fabs(bytes_per_s) * 60;

	snprintf(buf, len, "%s%s/min", bytes_per_s < 0 ? "-" : "+",
		 format_bytes(per_min < 1e18 ? (uint64_t)llround(per_min) : 0, bytes,
			      sizeof(bytes)));
	return buf;
}

/* A count with thousands separators: "41,000". */
static const char *format_count(uint64_t n, char *buf, size_t len)
{
	char digits[24];
	size_t nd = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)n), i, o = 0;

	for (i = 0; i < nd && o + 2 < len; i++) {
		if (i && (nd - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

/* The name of stack_id of the process in a sentence. */
static const char *stack_name(const struct recommend_input *in, uint32_t stack_id, char *buf,
			      size_t len)
{
	if (in->name)
		return in->name(in->name_ctx, in->p->key, stack_id, buf, len);
	snprintf(buf, len, "stack %u", stack_id);
	return buf;
}

/* oom_soon: the memory limit is reached within RECOMMEND_OOM_S at RSS's rate. */
static void rule_oom_soon(const struct recommend_input *in, struct recs *r)
{
	const struct pressure_input *pi = &in->pm->kernel.pressure;
	double slope = in->pm->rss.st.slope_per_s, eta_s;
	char limit[32], rate[32], eta[32];

	if (!(pi->limit_bytes > 0) || isnan(pi->usage_bytes) ||
	    in->pm->rss.trend != TREND_INCREASING || !(slope > 0))
		return;
	eta_s = (pi->limit_bytes - pi->usage_bytes) / slope;
	if (eta_s > RECOMMEND_OOM_S)
		return;
	if (eta_s < 60)
		snprintf(eta, sizeof(eta), "under a minute");
	else
		snprintf(eta, sizeof(eta), "about %.0f min", eta_s / 60);
	add(r, "oom_soon", eta_s <= RECOMMEND_OOM_CRIT_S ? RECOMMEND_CRITICAL : RECOMMEND_WARNING,
	    "memory at %.0f%% of its limit (%s), RSS growing %s: OOM in %s",
	    100 * pi->usage_bytes / pi->limit_bytes,
	    format_bytes((uint64_t)pi->limit_bytes, limit, sizeof(limit)),
	    format_rate(slope, rate, sizeof(rate)), eta);
}

/* What each pressure signal means for the process. */
static const char *const pressure_meaning[PSIG_CNT] = {
	[PSIG_PSI_SOME] = "its tasks stall waiting for memory",
	[PSIG_PSI_FULL] = "all its tasks stall waiting for memory at times",
	[PSIG_LIMIT] = "it is close to its memory limit",
	[PSIG_MAJOR_FAULTS] = "pages are read back from disk or swap",
	[PSIG_RECLAIM] = "its allocations stall in direct reclaim",
};

/* pressure: the level is high or critical. */
static void rule_pressure(const struct recommend_input *in, struct recs *r)
{
	const struct pressure *pr = &in->pm->pressure;

	if (pr->level < PRESSURE_HIGH || pr->cause >= PSIG_CNT)
		return;
	add(r, "pressure", pr->level == PRESSURE_CRITICAL ? RECOMMEND_CRITICAL : RECOMMEND_WARNING,
	    "memory pressure %s (from %s): %s", pressure__level_name(pr->level),
	    pressure__signal_name(pr->cause), pressure_meaning[pr->cause]);
}

/* One leaking heap stack: where, how fast, for how long, how many blocks. */
static void add_leak(const struct recommend_input *in, struct recs *r,
		     const struct report_site *rs, const struct site_metrics *sm)
{
	const char *approx = in->p->sample_period ? "~" : "";
	uint64_t age_ms = in->now_ms > rs->oldest_ms ? in->now_ms - rs->oldest_ms : 0;
	char name[128], rate[32], age[32], blocks[32], bytes[32];

	add(r, "leak", RECOMMEND_WARNING,
	    "leak at %s: %s for %s, %s%s blocks never freed (%s%s held)",
	    stack_name(in, rs->site->stack_id, name, sizeof(name)),
	    format_rate(sm->st.slope_per_s, rate, sizeof(rate)),
	    format_age_ms(age_ms, age, sizeof(age)), approx,
	    format_count(rs->est_allocs > 0 ? (uint64_t)llround(rs->est_allocs) : 0, blocks,
			 sizeof(blocks)), approx,
	    format_bytes(rs->est_bytes > 0 ? (uint64_t)llround(rs->est_bytes) : 0, bytes,
			 sizeof(bytes)));
}

/* leak: the RECOMMEND_LEAK_MAX largest heap stacks whose verdict is leak. */
static void rule_leak(const struct recommend_input *in, struct recs *r)
{
	const struct site_metrics *sm;
	struct proc_report rep;
	size_t i, said = 0;

	if (!in->pm->verdicts[VERDICT_LEAK] || query__build(in->p, in->now_ms, 0, &rep))
		return;
	for (i = 0; i < rep.cnt && said < RECOMMEND_LEAK_MAX; i++) {
		sm = metrics__site(in->pm, rep.sites[i].site - in->p->sites);
		if (sm && sm->verdict == VERDICT_LEAK) {
			add_leak(in, r, &rep.sites[i], sm);
			said++;
		}
	}
	query__release(&rep);
}

/* mapping_leak: mapping stacks whose verdict is leak. */
static bool rule_mapping_leak(const struct recommend_input *in, struct recs *r)
{
	const struct map_site_metrics *ms;
	char name[128], rate[32], bytes[32];
	bool said = false;
	uint32_t i;

	for (i = 0; i < in->pm->map_site_cnt; i++) {
		ms = &in->pm->map_sites[i];
		if (ms->m.verdict != VERDICT_LEAK)
			continue;
		add(r, "mapping_leak", RECOMMEND_WARNING,
		    "%s mappings leak at %s: %s, %s mapped and never unmapped",
		    ms->kind & MV_MAP_FILE ? "file" : "anonymous",
		    stack_name(in, ms->stack_id, name, sizeof(name)),
		    format_rate(ms->m.st.slope_per_s, rate, sizeof(rate)),
		    format_bytes(ms->bytes > 0 ? (uint64_t)llround(ms->bytes) : 0, bytes,
				 sizeof(bytes)));
		said = true;
	}
	return said;
}

/* heap_growing: the heap's trend is up and no stack is called a leak yet. */
static void rule_heap_growing(const struct proc_metrics *pm, struct recs *r)
{
	char rate[32], span[32];

	format_rate(pm->heap.st.slope_per_s, rate, sizeof(rate));
	format_age_ms(pm->heap.st.span_ms, span, sizeof(span));
	if (pm->verdicts[VERDICT_GROWING])
		add(r, "heap_growing", RECOMMEND_INFO,
		    "heap growing %s over the last %s, no stack called a leak yet (%u growing): "
		    "watch the growing stacks", rate, span, pm->verdicts[VERDICT_GROWING]);
	else
		add(r, "heap_growing", RECOMMEND_INFO,
		    "heap growing %s over the last %s, no stack growing or called a leak yet: "
		    "watch the top stacks", rate, span);
}

/*
 * heap_growing, mapped_growing, rss_not_heap: trends no verdict explains yet. "The
 * heap is flat" only when its trend is known (not under --kernel-only, not too early).
 */
static void rule_trends(const struct recommend_input *in, struct recs *r, bool mapping_leak)
{
	const struct proc_metrics *pm = in->pm;
	bool heap_up = pm->heap.trend == TREND_INCREASING;
	bool heap_flat = pm->heap.trend == TREND_STABLE || pm->heap.trend == TREND_DECREASING;
	bool mapped_up = pm->mapped.trend == TREND_INCREASING;
	char rate[32];

	if (heap_up && !pm->verdicts[VERDICT_LEAK])
		rule_heap_growing(pm, r);
	if (mapped_up && !heap_up && !mapping_leak)
		add(r, "mapped_growing", RECOMMEND_INFO,
		    heap_flat ? "mapped memory growing %s while the heap is flat: see the mapping "
				"stacks" : "mapped memory growing %s: see the mapping stacks",
		    format_rate(pm->mapped.st.slope_per_s, rate, sizeof(rate)));
	if (pm->rss.trend == TREND_INCREASING && heap_flat && !mapped_up)
		add(r, "rss_not_heap", RECOMMEND_INFO,
		    "heap flat while RSS grows %s: fragmentation or mappings, see mapped",
		    format_rate(pm->rss.st.slope_per_s, rate, sizeof(rate)));
}

size_t recommend__process(const struct recommend_input *in, struct recommendation *out,
			  size_t max)
{
	struct recs r = { .out = out, .max = max };
	bool mapping_leak;

	if (!in->pm || !in->p)
		return 0;
	rule_oom_soon(in, &r);
	rule_pressure(in, &r);
	rule_leak(in, &r);
	mapping_leak = rule_mapping_leak(in, &r);
	rule_trends(in, &r, mapping_leak);
	return r.cnt;
}
