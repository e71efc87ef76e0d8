/* SPDX-License-Identifier: GPL-2.0 */
/* report_json: the final report as JSON (docs/report.schema.json). */
#ifndef MV_REPORT_JSON_H
#define MV_REPORT_JSON_H

#include <stdio.h>
#include "output/report_context.h"

/* Write the report; returns 0 or a negative errno (write error, ENOMEM). */
int report_json__document(FILE *out, const struct report_ctx *ctx);

struct json_writer;

/* p's object, as in the report's "processes" array; 0 or -ENOMEM. */
int report_json__proc(struct json_writer *w, const struct report_ctx *ctx, const struct proc *p);

/* An array of p's first top stacks by outstanding bytes, as in its "stacks"; 0 or -ENOMEM. */
int report_json__stacks(struct json_writer *w, const struct report_ctx *ctx, const struct proc *p,
			unsigned int top);

#endif
