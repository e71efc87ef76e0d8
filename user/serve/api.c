// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/json_writer.h"
#include "output/metrics_json.h"
#include "output/report_html.h"
#include "output/report_json.h"
#include "output/report_pprof.h"
#include "serve/api.h"

#define TYPE_JSON "application/json"
#define TYPE_PROM "text/plain; version=0.0.4; charset=utf-8"

/* The process the route names, or NULL after a 404 reply. */
static const struct proc *api__proc(const struct report_ctx *ctx, const struct api_route *r,
				    struct server_reply *out)
{
	const struct proc *p = model__find(ctx->m, r->pid);
	char why[96];

	if (p)
		return p;
	snprintf(why, sizeof(why), "PID %d is not traced (see /api/v1/processes)", r->pid);
	server_reply__error(out, 404, why);
	return NULL;
}

/* One line of /api/v1/processes. */
static void api__proc_summary(struct json_writer *w, const struct report_ctx *ctx,
			      const struct proc *p)
{
	const struct proc_metrics *pm = ctx->metrics ? metrics__find(ctx->metrics, p->key) : NULL;
	bool sampled = p->sample_period != 0;

	json_object_begin(w);
	json_i64_field(w, "pid", p->pid);
	json_string_field(w, "comm", p->comm);
	json_string_field(w, "exe", p->exe);
	json_string_field(w, "cgroup", p->cgroup);
	json_bool_field(w, "exited", p->exited);
	metrics_json__count_field(w, "outstanding_bytes", sampled, p->heap.outstanding_bytes,
				  p->heap.est_outstanding_bytes);
	metrics_json__count_field(w, "outstanding_allocs", sampled, p->heap.outstanding_allocs,
				  p->heap.est_outstanding_allocs);
	json_u64_or_null_field(w, "rss_bytes", p->kernel.samples != 0, p->kernel.rss_total_bytes);
	if (pm)
		json_double_field(w, "leak_score", pm->leak_score);
	else
		json_null_field(w, "leak_score");
	json_object_end(w);
}

static int api__processes(struct json_writer *w, const struct report_ctx *ctx)
{
	size_t i;

	json_object_begin(w);
	json_array_field_begin(w, "processes");
	for (i = 0; i < ctx->m->proc_cnt; i++)
		if (ctx->m->procs[i]->key == ctx->m->procs[i]->pid)
			api__proc_summary(w, ctx, ctx->m->procs[i]);
	json_array_end(w);
	json_object_end(w);
	return 0;
}

/* /api/v1/processes/{pid}/stacks: the process and its top stacks. */
static int api__stacks(struct json_writer *w, const struct report_ctx *ctx, const struct proc *p,
		       unsigned int top)
{
	int ret;

	json_object_begin(w);
	json_i64_field(w, "pid", p->pid);
	json_string_field(w, "comm", p->comm);
	json_key(w, "stacks");
	ret = report_json__stacks(w, ctx, p, top);
	json_object_end(w);
	return ret;
}

static int api__alerts(struct json_writer *w, const struct report_ctx *ctx)
{
	size_t i;

	json_object_begin(w);
	json_array_field_begin(w, "alerts");
	for (i = 0; i < ctx->alert_cnt; i++)
		metrics_json__alert(w, &ctx->alerts[i]);
	json_array_end(w);
	json_u64_field(w, "not_kept", ctx->health.alerts_not_kept);
	json_object_end(w);
	return 0;
}

static int api__healthz(struct json_writer *w, const struct report_ctx *ctx)
{
	json_object_begin(w);
	json_string_field(w, "status", "ok");
	json_double_field(w, "uptime_s", ctx->now_ms / 1000.0);
	json_u64_field(w, "processes_attached", ctx->health.attached);
	json_u64_field(w, "events", ctx->m->events);
	json_u64_field(w, "events_lost", report_ctx__lost_events(ctx));
	json_object_end(w);
	return 0;
}

/* A JSON body from the route's writer. */
static int api__json(FILE *f, const struct report_ctx *ctx, const struct api_route *r,
		     const struct proc *p)
{
	struct json_writer *w = json_writer__new(f, false);
	int ret = -EINVAL;

	if (!w)
		return -ENOMEM;
	if (r->endpoint == API_PROCESSES)
		ret = api__processes(w, ctx);
	else if (r->endpoint == API_PROCESS)
		ret = report_json__proc(w, ctx, p);
	else if (r->endpoint == API_STACKS)
		ret = api__stacks(w, ctx, p, r->top);
	else if (r->endpoint == API_ALERTS)
		ret = api__alerts(w, ctx);
	else if (r->endpoint == API_HEALTHZ)
		ret = api__healthz(w, ctx);
	if (!ret)
		ret = json_writer__finish(w);
	json_writer__free(w);
	if (!ret && fputc('\n', f) == EOF)
		ret = -EIO;
	return ret;
}

/* The body of r into f, and its Content-Type; 0 or a negative errno. */
static int api__body(FILE *f, const struct report_ctx *ctx, const struct prom_extra *x,
		     const struct api_route *r, const struct proc *p, struct server_reply *out)
{
	out->type = TYPE_JSON;
	switch (r->endpoint) {
	case API_METRICS:
		out->type = TYPE_PROM;
		return metrics_prom__write(f, ctx, x);
	case API_PPROF_HEAP:
		out->type = "application/octet-stream";
		return report_pprof__write(f, ctx);
	case API_REPORT:
		return report_json__document(f, ctx);
	case API_DASHBOARD:
		out->type = "text/html; charset=utf-8";
		return report_html__live(f);
	default:
		return api__json(f, ctx, r, p);
	}
}

void api__answer(const struct report_ctx *ctx, const struct prom_extra *x,
		 const struct api_route *r, struct server_reply *out)
{
	const struct proc *p = NULL;
	FILE *f;
	int ret;

	*out = (struct server_reply){ 0 };
	if ((r->endpoint == API_PROCESS || r->endpoint == API_STACKS) && !(p = api__proc(ctx, r, out)))
		return;
	f = open_memstream(&out->body, &out->len);
	if (!f)
		return;
	ret = api__body(f, ctx, x, r, p, out);
	if (fclose(f) || ret) {
		free(out->body);
		*out = (struct server_reply){ 0 };	/* the server answers 500 */
		return;
	}
	out->status = 200;
}
