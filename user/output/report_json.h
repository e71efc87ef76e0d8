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
#include "output/report_text.h"
#include "probes/unwind_maps.h"

struct json_report_info {
	const char *kernel;		/* uname -r */
	const char *started_at;		/* RFC 3339 */
	double duration_s;
	pid_t target_pid;		/* 0 when a command was launched */
	char *const *command;		/* NULL when -p */
	int command_argc;
	const char *cgroup;		/* --cgroup path, NULL if none */
	bool follow;			/* -f */
	uint32_t attached;		/* processes attached */
	uint32_t attach_failed;		/* processes that could not be attached */
	uint32_t fork_attach_cnt;	/* forked children attached */
	double fork_attach_max_ms;	/* their delay from fork to probes live */
	double fork_attach_median_ms;
	double interval_s;
	double duration_opt_s;		/* 0 = none */
	unsigned int top;
	unsigned int stack_depth;	/* --stack-depth */
	unsigned int frames;		/* --frames, 0 = all */
	const char *mappings;		/* --mappings: "wrappers", "syscalls" or "off" */
	bool mappings_followed;		/* the mmap-family hooks are in place */
	const char *unwind;		/* --unwind: "auto", "fp" or "dwarf" */
	const struct unwind_health *unwind_health;	/* NULL: not known */
	double min_age_s;
	uint32_t now_ms;
	uint64_t lost[MV_LOSS_CNT];
	uint64_t malformed;
	uint32_t kernel_features;	/* enum probes_kernel_feature bits attached */
	const char *const *kernel_feature_names;	/* names of bits 0..n */
	unsigned int kernel_feature_cnt;
	uint64_t sample_bytes;		/* sampling period, 0 = exact */
	const char *return_probe;	/* "session" or "uretprobe" */
	resolve_fn resolve;
	void *resolve_ctx;
	/* Metrics and alerts; NULL/0 when not known. */
	const char *mode;		/* --mode */
	double window_s;		/* --window */
	const struct alert *alert_defs;	/* --alert */
	unsigned int alert_def_cnt;
	const char *on_alert;		/* --on-alert, NULL if none */
	const struct metrics *metrics;
	const struct alert_event *alerts;	/* alerts fired, oldest first */
	size_t alert_cnt;
	uint64_t alerts_not_kept;	/* fired beyond what the report keeps */
	uint64_t on_alert_skipped;	/* --on-alert runs the rate limit skipped */
	uint64_t files_skipped;		/* files of traced processes refused (mapped_file.h) */
};

struct json_writer;
/* The frames of stack_id as an array of {addr, symbol, offset, module}. */
void report_json__frames(struct json_writer *w, const struct model *m, pid_t pid,
			 uint32_t stack_id, const struct json_report_info *info);
/* p's "kernel" object (report_kernel_json.c). 0 or -ENOMEM. */
int report_json__kernel(struct json_writer *w, const struct model *m, const struct proc *p,
			const struct json_report_info *info);
/* k's memory cgroup as an object (schema $defs/memory_cgroup), null if none. */
void report_json__memory_cgroup(struct json_writer *w, const struct proc_kernel *k);
/* The top-level "system" object: kernel signals attached, PSI, OOM kills. */
void report_json__system(struct json_writer *w, const struct model *m,
			 const struct json_report_info *info);

/* The health.unwind object (report_unwind_json.c). */
void report_json__unwind(struct json_writer *w, const struct unwind_health *h);

/* Write the report; returns 0 or a negative errno (write error, ENOMEM). */
int report_json__write(FILE *out, const struct model *m, const struct json_report_info *info);

#endif
