/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report_kernel_json: the kernel half of the JSON report (schema: kernel,
 * memory_cgroup, system): a process's "kernel" object, a memory cgroup,
 * and the top-level "system" object. report_json calls it.
 */
#ifndef MV_REPORT_KERNEL_JSON_H
#define MV_REPORT_KERNEL_JSON_H

#include "lib/json_writer.h"
#include "model/model.h"
#include "output/report_context.h"

/* p's "kernel" object. 0 or -ENOMEM. */
int report_json__kernel(struct json_writer *w, const struct report_ctx *ctx, const struct proc *p);
/* k's memory cgroup as an object (schema $defs/memory_cgroup); null if none or k is NULL. */
void report_json__memory_cgroup(struct json_writer *w, const struct proc_kernel *k);
/* The top-level "system" object: kernel signals attached, PSI, OOM kills. */
void report_json__system(struct json_writer *w, const struct report_ctx *ctx);

#endif
