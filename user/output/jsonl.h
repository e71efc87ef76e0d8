/* SPDX-License-Identifier: GPL-2.0 */
/*
 * jsonl: the --jsonl stream. One JSON object per line: a "sample" line per
 * process per interval with every metric, an "alert" line per fired alert;
 * each line is flushed as written so another tool can follow the file.
 */
#ifndef MV_JSONL_H
#define MV_JSONL_H

#include <stdio.h>
#include "model/model.h"
#include "output/metrics_json.h"
#include "output/report_context.h"
#include "symbolize/symbolizer.h"

struct jsonl;

/*
 * Open path for appending ("-" = stdout) the way output_file does: no links,
 * regular files of memvigil's user only, new files mode 0600. NULL with
 * errno and a one-line sentence in err (no prefix) on failure.
 */
struct jsonl *jsonl__open(const char *path, char *err, size_t err_len);
void jsonl__close(struct jsonl *j);

/*
 * A sample line for process p at ctx->now_ms (ctx->time): its metrics and
 * its top ctx->opts.top stacks by outstanding bytes, each named by the
 * function that called the allocator. 0 or a negative errno.
 */
int jsonl__proc_sample(struct jsonl *j, const struct report_ctx *ctx, const struct proc *p);
int jsonl__alert(struct jsonl *j, const struct alert_event *ev);
/* An OOM kill line: the victim, its RSS, and (if traced) its top heap stacks. */
int jsonl__oom_kill(struct jsonl *j, const struct report_ctx *ctx, const struct oom_kill *k);

#endif
