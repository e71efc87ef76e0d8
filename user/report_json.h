/* SPDX-License-Identifier: GPL-2.0 */
/* report_json: the final report as JSON (docs/report.schema.json). */
#ifndef MV_REPORT_JSON_H
#define MV_REPORT_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "memvigil/events.h"
#include "model.h"
#include "report_text.h"

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
	double min_age_s;
	uint32_t now_ms;
	uint64_t lost[MV_LOSS_CNT];
	uint64_t malformed;
	resolve_fn resolve;
	void *resolve_ctx;
};

/* Write the report; returns 0 or a negative errno (write error, ENOMEM). */
int report_json__write(FILE *out, const struct model *m, const struct json_report_info *info);

#endif
