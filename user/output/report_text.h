/* SPDX-License-Identifier: GPL-2.0 */
/* report_text: the human-readable report printed every interval and at the end. */
#ifndef MV_REPORT_TEXT_H
#define MV_REPORT_TEXT_H

#include <stdio.h>
#include "output/report_context.h"
#include "output/report_kernel_text.h"	/* report_text__oom_kill, its other public call */

/* Print one report of every process in ctx->m. Returns 0 or -ENOMEM. */
int report_text__write(FILE *out, const struct report_ctx *ctx);

#endif
