// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "lib/utf8.h"
#include "serve/metrics_prom.h"

/* One per-process metric: its value for p (NaN: unknown, no series). */
struct prom_proc_metric {
	const char *name;
	const char *type;
	const char *help;
	double (*value)(const struct proc *p, const struct proc_metrics *pm);
};

static double heap_outstanding_bytes(const struct proc *p, const struct proc_metrics *pm)
{
	(void)pm;
	return p->alloc_lib ? p->heap.est_outstanding_bytes : NAN;
}

static double heap_outstanding_blocks(const struct proc *p, const struct proc_metrics *pm)
{
	(void)pm;
	return p->alloc_lib ? p->heap.est_outstanding_allocs : NAN;
}

static double heap_allocated_bytes(const struct proc *p, const struct proc_metrics *pm)
{
	(void)pm;
	return p->alloc_lib ? p->heap.est_total_bytes : NAN;
}

static double heap_freed_bytes(const struct proc *p, const struct proc_metrics *pm)
{
	double freed = p->heap.est_total_bytes - p->heap.est_outstanding_bytes;

	(void)pm;
	return p->alloc_lib ? (freed > 0 ? freed : 0) : NAN;
}

static double heap_allocations(const struct proc *p, const struct proc_metrics *pm)
{
	(void)pm;
	return p->alloc_lib ? p->heap.est_total_allocs : NAN;
}

static double heap_frees(const struct proc *p, const struct proc_metrics *pm)
{
	(void)pm;
	return p->alloc_lib ? p->heap.est_total_frees : NAN;
}

static double rss_bytes(const struct proc *p, const struct proc_metrics *pm)
{
	(void)pm;
	return p->kernel.samples ? (double)p->kernel.rss_total_bytes : NAN;
}

static double uss_bytes(const struct proc *p, const struct proc_metrics *pm)
{
	(void)pm;
	return p->kernel.has_smaps ? (double)p->kernel.uss_bytes : NAN;
}

static double pss_bytes(const struct proc *p, const struct proc_metrics *pm)
{
	(void)pm;
	return p->kernel.has_smaps ? (double)p->kernel.pss_bytes : NAN;
}

static double mapped_bytes(const struct proc *p, const struct proc_metrics *pm)
{
	struct mapping_totals t;

	(void)pm;
	mappings__totals(&p->kernel.maps, &t);
	return (double)(t.anon_bytes + t.file_bytes);
}

static double major_faults(const struct proc *p, const struct proc_metrics *pm)
{
	(void)pm;
	return p->kernel.samples ? (double)(p->kernel.maj_flt - p->kernel.maj_flt_first) : NAN;
}

static double minor_faults(const struct proc *p, const struct proc_metrics *pm)
{
	(void)pm;
	return p->kernel.samples ? (double)(p->kernel.min_flt - p->kernel.min_flt_first) : NAN;
}

static double reclaim_stall_seconds(const struct proc *p, const struct proc_metrics *pm)
{
	(void)pm;
	return p->kernel.reclaim_ns / 1e9;
}

static double pressure_level(const struct proc *p, const struct proc_metrics *pm)
{
	(void)p;
	return pm && pm->pressure.level != PRESSURE_UNKNOWN ? pm->pressure.level : NAN;
}

static double leak_score(const struct proc *p, const struct proc_metrics *pm)
{
	(void)p;
	return pm ? pm->leak_score : NAN;
}

static double heap_growth(const struct proc *p, const struct proc_metrics *pm)
{
	(void)p;
	return pm && pm->heap.series && pm->heap.st.n >= 2 ? pm->heap.st.slope_per_s : NAN;
}

static const struct prom_proc_metric proc_metrics[] = {
	{ "memvigil_heap_outstanding_bytes", "gauge",
	  "Heap bytes allocated while traced and not yet freed (estimate when sampled).",
	  heap_outstanding_bytes },
	{ "memvigil_heap_outstanding_blocks", "gauge",
	  "Heap blocks allocated while traced and not yet freed.", heap_outstanding_blocks },
	{ "memvigil_heap_allocated_bytes_total", "counter",
	  "Heap bytes allocated since tracing began.", heap_allocated_bytes },
	{ "memvigil_heap_freed_bytes_total", "counter",
	  "Heap bytes allocated while traced and freed since.", heap_freed_bytes },
	{ "memvigil_heap_allocations_total", "counter",
	  "Heap allocation calls since tracing began.", heap_allocations },
	{ "memvigil_heap_frees_total", "counter",
	  "Frees of blocks allocated while traced.", heap_frees },
	{ "memvigil_rss_bytes", "gauge", "Resident set size (VmRSS).", rss_bytes },
	{ "memvigil_uss_bytes", "gauge", "Unique set size (smaps_rollup Private_*).", uss_bytes },
	{ "memvigil_pss_bytes", "gauge", "Proportional set size (smaps_rollup Pss).", pss_bytes },
	{ "memvigil_mapped_bytes", "gauge",
	  "Bytes mapped outside the allocator while traced, anonymous and file.", mapped_bytes },
	{ "memvigil_major_faults_total", "counter", "Major page faults since tracing began.",
	  major_faults },
	{ "memvigil_minor_faults_total", "counter", "Minor page faults since tracing began.",
	  minor_faults },
	{ "memvigil_reclaim_stall_seconds_total", "counter",
	  "Time spent in direct reclaim since tracing began.", reclaim_stall_seconds },
	{ "memvigil_pressure_level", "gauge",
	  "Memory pressure: 0 low, 1 medium, 2 high, 3 critical.", pressure_level },
	{ "memvigil_leak_score", "gauge",
	  "Highest leak score of the process's stacks over the window, 0 to 1.", leak_score },
	{ "memvigil_heap_growth_bytes_per_second", "gauge",
	  "Slope of outstanding heap bytes over the window.", heap_growth },
};

void metrics_prom__label_value(FILE *out, const char *s)
{
	size_t len, bad;

	while (*s) {
		len = utf8__valid_len(s, &bad);
		if (!len) {
			fputc('?', out);
			s += bad;
		} else if (len > 1) {
			fwrite(s, 1, len, out);
			s += len;
		} else {
			if (*s == '\\' || *s == '"')
				fprintf(out, "\\%c", *s);
			else if (*s == '\n')
				fputs("\\n", out);
			else
				fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
			s++;
		}
	}
}

static void write_labels(FILE *out, const struct proc *p)
{
	fprintf(out, "{pid=\"%d\",comm=\"", p->pid);
	metrics_prom__label_value(out, p->comm);
	if (p->cgroup) {
		fputs("\",cgroup=\"", out);
		metrics_prom__label_value(out, p->cgroup);
	}
	fputs("\"}", out);
}

/* A sample's value: integers exactly, other values with 15 significant digits. */
static void write_value(FILE *out, double v)
{
	if (v == floor(v) && fabs(v) < 9007199254740992.0)	/* 2^53 */
		fprintf(out, " %.0f\n", v);
	else
		fprintf(out, " %.15g\n", v);
}

static void write_head(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A process has series: the current holder of its PID, not gone past the grace period. */
static bool proc_shown(const struct proc *p, uint32_t now_ms)
{
	uint32_t seen_ms = p->kernel.sample_ms > p->traced_ms ? p->kernel.sample_ms : p->traced_ms;

	if (p->key != p->pid)
		return false;
	return !p->exited || now_ms - seen_ms <= PROM_EXITED_GRACE_MS;
}

static int by_outstanding_desc(const void *a, const void *b)
{
	double x = (*(const struct proc *const *)a)->heap.est_outstanding_bytes;
	double y = (*(const struct proc *const *)b)->heap.est_outstanding_bytes;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* The processes with series, most outstanding bytes first; *dropped the rest over the cap. */
static const struct proc **shown_procs(const struct report_ctx *ctx, size_t *cnt, size_t *dropped)
{
	const struct model *m = ctx->m;
	const struct proc **v = calloc(m->proc_cnt ? m->proc_cnt : 1, sizeof(*v));
	size_t i, n = 0;

	if (!v)
		return NULL;
	for (i = 0; i < m->proc_cnt; i++)
		if (proc_shown(m->procs[i], ctx->now_ms))
			v[n++] = m->procs[i];
	qsort(v, n, sizeof(*v), by_outstanding_desc);
	*dropped = n > PROM_PROCS_MAX ? n - PROM_PROCS_MAX : 0;
	*cnt = n - *dropped;
	return v;
}

static void write_proc_metrics(FILE *out, const struct report_ctx *ctx,
			       const struct proc **procs, size_t cnt)
{
	const struct proc_metrics *pm;
	size_t i, k;
	double v;

	for (k = 0; k < sizeof(proc_metrics) / sizeof(proc_metrics[0]); k++) {
		write_head(out, proc_metrics[k].name, proc_metrics[k].type, proc_metrics[k].help);
		for (i = 0; i < cnt; i++) {
			pm = ctx->metrics ? metrics__find(ctx->metrics, procs[i]->key) : NULL;
			v = proc_metrics[k].value(procs[i], pm);
			if (isnan(v))
				continue;
			fputs(proc_metrics[k].name, out);
			write_labels(out, procs[i]);
			write_value(out, v);
		}
	}
}

/* Per process: the --alert rules whose condition holds on its latest sample. */
static void write_alerts_firing(FILE *out, const struct report_ctx *ctx,
				const struct prom_extra *x, const struct proc **procs, size_t cnt)
{
	const struct proc_metrics *pm;
	size_t i, k, firing;

	if (!x->alert_cnt || !ctx->metrics)
		return;
	write_head(out, "memvigil_alerts_firing", "gauge",
		   "The --alert rules whose condition holds for the process now.");
	for (i = 0; i < cnt; i++) {
		pm = metrics__find(ctx->metrics, procs[i]->key);
		if (!pm)
			continue;
		for (k = firing = 0; k < x->alert_cnt; k++)
			firing += alert__holds(&x->alerts[k], pm->values.v[x->alerts[k].metric]);
		fputs("memvigil_alerts_firing", out);
		write_labels(out, procs[i]);
		write_value(out, (double)firing);
	}
}

/* One series without labels. */
static void write_one(FILE *out, const char *name, const char *type, const char *help, double v)
{
	if (isnan(v))
		return;
	write_head(out, name, type, help);
	fputs(name, out);
	write_value(out, v);
}

static void write_losses(FILE *out, const struct report_ctx *ctx)
{
	static const char *const reasons[MV_LOSS_CNT] = {
		[MV_LOSS_RINGBUF] = "ringbuf_full", [MV_LOSS_STACK] = "stack_error",
		[MV_LOSS_INFLIGHT] = "inflight_full", [MV_LOSS_KSTATS] = "kstats_full",
		[MV_LOSS_SYSCALL] = "syscall_state_full", [MV_LOSS_SAMPLED_FULL] = "sampled_full",
		[MV_LOSS_TRUNCATED] = "truncated_stack",
	};
	int r;

	write_head(out, "memvigil_events_lost_total", "counter",
		   "Events lost or stacks cut on the way to user space, by reason.");
	for (r = 0; r < MV_LOSS_CNT; r++)
		fprintf(out, "memvigil_events_lost_total{reason=\"%s\"} %llu\n", reasons[r],
			(unsigned long long)ctx->health.lost[r]);
}

static void write_self(FILE *out, const struct report_ctx *ctx, const struct prom_extra *x,
		       size_t dropped)
{
	write_one(out, "memvigil_events_total", "counter",
		  "Records received from the kernel.", (double)ctx->m->events);
	write_losses(out, ctx);
	write_one(out, "memvigil_alerts_fired_total", "counter", "Alerts fired since tracing began.",
		  (double)(ctx->alert_cnt + ctx->health.alerts_not_kept));
	write_one(out, "memvigil_processes_attached", "gauge",
		  "Processes whose probes were attached.", ctx->health.attached);
	write_one(out, "memvigil_kernel_signals_attached", "gauge",
		  "Kernel signal programs attached (faults, reclaim, OOM, mappings).",
		  __builtin_popcount(ctx->health.kernel_signals));
	write_one(out, "memvigil_exited_processes_dropped_total", "counter",
		  "Exited processes dropped beyond --keep-exited.", (double)ctx->m->dropped.cnt);
	write_one(out, "memvigil_series_processes_dropped", "gauge",
		  "Processes without series: over the cap on series.", (double)dropped);
	write_one(out, "memvigil_self_cpu_seconds_total", "counter",
		  "CPU time memvigil itself used.", x->self_cpu_s);
	write_one(out, "memvigil_self_resident_bytes", "gauge",
		  "Resident memory of memvigil itself.", x->self_rss_bytes);
	if (!x->http)
		return;
	write_one(out, "memvigil_http_requests_total", "counter",
		  "Requests the live server answered.", (double)x->http->requests);
	write_one(out, "memvigil_http_rejected_total", "counter",
		  "Requests answered with a 4xx status.", (double)x->http->rejected);
	write_one(out, "memvigil_http_busy_total", "counter",
		  "Requests answered 503: answers not yet read held too much memory.",
		  (double)x->http->busy);
}

int metrics_prom__write(FILE *out, const struct report_ctx *ctx, const struct prom_extra *x)
{
	size_t cnt = 0, dropped = 0;
	const struct proc **procs = shown_procs(ctx, &cnt, &dropped);

	if (!procs)
		return -ENOMEM;
	write_proc_metrics(out, ctx, procs, cnt);
	write_alerts_firing(out, ctx, x, procs, cnt);
	write_self(out, ctx, x, dropped);
	free(procs);
	return ferror(out) ? -EIO : 0;
}
