// SPDX-License-Identifier: GPL-2.0
#include "analysis/recommend.h"
#include "lib/text_escape.h"
#include "output/frames.h"
#include "output/report_recommend.h"

/* recommend_name_fn over the report's resolver. */
static const char *site_name(void *ctx, pid_t key, uint32_t stack_id, char *buf, size_t len)
{
	return frames__site_name(ctx, key, stack_id, buf, len);
}

/* The recommendations of p into recs; their count. */
static size_t build(const struct report_ctx *ctx, const struct proc *p,
		    const struct proc_metrics *pm, struct recommendation *recs)
{
	struct recommend_input in = {
		.p = p, .pm = pm, .now_ms = ctx->now_ms, .name = site_name,
		.name_ctx = (void *)ctx,
	};

	return recommend__process(&in, recs, RECOMMEND_MAX);
}

void report_recommend__text(FILE *out, const struct report_ctx *ctx, const struct proc *p,
			    const struct proc_metrics *pm)
{
	struct recommendation recs[RECOMMEND_MAX];
	size_t i, cnt = build(ctx, p, pm, recs);

	for (i = 0; i < cnt; i++) {
		fprintf(out, "  advice: [%s] ", recommend__severity_name(recs[i].severity));
		text_escape__fputs(out, recs[i].text);
		fputc('\n', out);
	}
}

void report_recommend__json(struct json_writer *w, const struct report_ctx *ctx,
			    const struct proc *p, const struct proc_metrics *pm)
{
	struct recommendation recs[RECOMMEND_MAX];
	size_t i, cnt = build(ctx, p, pm, recs);

	json_array_begin(w);
	for (i = 0; i < cnt; i++) {
		json_object_begin(w);
		json_string_field(w, "rule", recs[i].rule);
		json_string_field(w, "severity", recommend__severity_name(recs[i].severity));
		json_string_field(w, "text", recs[i].text);
		json_object_end(w);
	}
	json_array_end(w);
}
