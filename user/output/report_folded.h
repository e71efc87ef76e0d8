/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report_folded: outstanding heap bytes as collapsed stacks, one line per
 * stack: "comm (pid);root;...;caller BYTES", the root frame first and the
 * allocator's caller last, as flamegraph.pl, inferno and speedscope read
 * them. BYTES are those still outstanding (estimates in sampled mode);
 * stacks with none are left out. Names are escaped as in text output, and
 * a ';' inside a name is written as ':' so that it cannot split a frame.
 */
#ifndef MV_REPORT_FOLDED_H
#define MV_REPORT_FOLDED_H

#include <stdio.h>
#include "output/report_context.h"

/* Write every process's stacks to out. 0 or a negative errno. */
int report_folded__write(FILE *out, const struct report_ctx *ctx);

#endif
