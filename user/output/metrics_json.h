/* SPDX-License-Identifier: GPL-2.0 */
/*
 * metrics_json: the JSON form of a process's metrics, of one stack's
 * verdict and of a fired alert, shared by the report (--json) and the
 * line stream (--jsonl). docs/report.schema.json documents the fields.
 */
#ifndef MV_METRICS_JSON_H
#define MV_METRICS_JSON_H

#include "analysis/alert.h"
#include "analysis/metrics.h"
#include "lib/json_writer.h"

/* A fired alert, as kept for the report and written to --jsonl. */
struct alert_event {
	double t_s;			/* seconds since tracing began */
	char time[32];			/* RFC 3339 UTC */
	pid_t pid;
	char comm[16];
	struct alert alert;
	double value;			/* the metric's value, base unit */
	bool command_run;		/* --on-alert ran for it */
};

/*
 * A count or byte count: n, or in sampled mode the estimate est rounded (as
 * a JSON integer either way).
 */
void metrics_json__count_field(struct json_writer *w, const char *key, bool sampled, uint64_t n,
				double est);
/* The value of pm's metrics object (see the schema's $defs/metrics). */
void metrics_json__proc(struct json_writer *w, const struct proc_metrics *pm,
			uint64_t window_ms);
/*
 * The value of a process's "timeline" (the schema's $defs/timeline): its
 * figures over the whole trace as columns, null without samples.
 */
void metrics_json__timeline(struct json_writer *w, const struct proc_metrics *pm);
/* "verdict", "leak_score", "growth_bytes_per_s" keys of a stack object. */
void metrics_json__site_fields(struct json_writer *w, const struct site_metrics *sm);
/* The value of one alert event object. */
void metrics_json__alert(struct json_writer *w, const struct alert_event *ev);

#endif
