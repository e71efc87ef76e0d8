// SPDX-License-Identifier: GPL-2.0
#include "analysis/recommend.h"
#include "lib/format.h"
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

/* Text reports fit this many columns; advice goes on under its first word. */
#define ADVICE_COLS 100
#define ADVICE_INDENT "          "

void report_recommend__text(FILE *out, const struct report_ctx *ctx, const struct proc *p,
			    const struct proc_metrics *pm)
{
	struct recommendation recs[RECOMMEND_MAX];
	char text[TEXT_ESCAPE_SIZE(RECOMMEND_TEXT_MAX)];
	size_t i, cnt = build(ctx, p, pm, recs);
	int col;

	for (i = 0; i < cnt; i++) {
		col = fprintf(out, "  advice: [%s] ", recommend__severity_name(recs[i].severity));
		text_escape__copy(text, sizeof(text), recs[i].text);
		format_wrap(out, text, col > 0 ? col : 0, ADVICE_COLS, ADVICE_INDENT);
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
