/* SPDX-License-Identifier: GPL-2.0 */
/* report_json: the final report as JSON (docs/report.schema.json). */
#ifndef MV_REPORT_JSON_H
#define MV_REPORT_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "memvigil/events.h"
#include "model/model.h"
#include "output/metrics_json.h"
#include "output/report_context.h"

struct json_writer;
/* The frames of stack_id as an array of {addr, symbol, offset, module}. */
void report_json__frames(struct json_writer *w, const struct report_ctx *ctx, pid_t pid,
			 uint32_t stack_id);
/* p's "kernel" object (report_kernel_json.c). 0 or -ENOMEM. */
int report_json__kernel(struct json_writer *w, const struct report_ctx *ctx, const struct proc *p);
/* k's memory cgroup as an object (schema $defs/memory_cgroup), null if none. */
void report_json__memory_cgroup(struct json_writer *w, const struct proc_kernel *k);
/* The top-level "system" object: kernel signals attached, PSI, OOM kills. */
void report_json__system(struct json_writer *w, const struct report_ctx *ctx);

/* Write the report; returns 0 or a negative errno (write error, ENOMEM). */
int report_json__document(FILE *out, const struct report_ctx *ctx);

#endif
