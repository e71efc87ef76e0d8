/* SPDX-License-Identifier: GPL-2.0 */
/*
 * monitor: the metrics side of a tracing session. Once a second, whatever
 * the report interval, and with each report, it samples every traced
 * process into the metrics (heap and stacks from the model, kernel signals
 * when known), evaluates the --alert expressions, prints alerts that fire
 * and runs --on-alert. It writes the --jsonl sample lines with each report
 * (each second without reports), and one line per alert and per OOM kill.
 * The session calls monitor__poll from its loop and monitor__finish at the
 * end.
 */
#ifndef MV_MONITOR_H
#define MV_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "analysis/alert.h"
#include "analysis/metrics.h"
#include "model/model.h"
#include "output/metrics_json.h"
#include "symbolize/symbolizer.h"

#define MONITOR_MAX_EVENTS 1024

struct monitor;

/* What the monitor is told: the options it obeys and how to name frames. */
struct monitor_opts {
	double interval_s;		/* --interval, 0 = only the final report */
	double window_s;		/* --window */
	unsigned int top;		/* stacks per process in a --jsonl sample line */
	bool heap_traced;		/* heap probes attached (not --kernel-only) */
	const struct alert *alerts;	/* --alert */
	unsigned int alert_cnt;
	const char *on_alert;		/* --on-alert command line, NULL if none */
	const char *jsonl_path;		/* --jsonl, NULL if none, "-" = stdout */
	symbol_resolve_fn resolve;	/* names the frames of the --jsonl lines */
	void *resolve_ctx;
};

/*
 * Set up from o before anything is attached: checks the --on-alert program
 * and opens --jsonl. Returns 0; -EINVAL with a reason in err for a usage
 * error (a missing --on-alert program); another negative errno with a
 * reason for a runtime failure.
 */
int monitor__new(const struct monitor_opts *o, struct monitor **out, char *err,
		 size_t err_len);
void monitor__free(struct monitor *mon);

/*
 * Sample every process, evaluate the alerts and write the lines now. The
 * session calls it when tracing starts (the baseline) and with each
 * periodic report, so the report shows figures of that moment.
 */
void monitor__tick(struct monitor *mon, const struct model *m, uint64_t now_ms);
/*
 * Called on every turn of the event loop: reaps --on-alert commands and
 * samples once a second (a second after the last sample); without periodic
 * reports it also writes the --jsonl sample lines then.
 */
void monitor__poll(struct monitor *mon, const struct model *m, uint64_t now_ms);
/* An OOM kill that concerns the traced processes: one --jsonl line at once. */
void monitor__oom(struct monitor *mon, const struct model *m, const struct oom_kill *k,
		  uint64_t now_ms);
/* A last sample at the end of tracing; waits briefly for --on-alert commands. */
void monitor__finish(struct monitor *mon, const struct model *m, uint64_t now_ms);

/* A new process reuses pid: the metrics of the one known by pid move to key. */
void monitor__rekey(struct monitor *mon, pid_t pid, pid_t key);

/* The process known by key was dropped from the model: what is kept of it is freed. */
void monitor__forget(struct monitor *mon, pid_t key);

const struct metrics *monitor__metrics(const struct monitor *mon);
/* Alerts fired so far (at most MONITOR_MAX_EVENTS kept), oldest first. */
const struct alert_event *monitor__events(const struct monitor *mon, size_t *cnt);
/* Alerts beyond MONITOR_MAX_EVENTS, and --on-alert runs skipped by the rate limit. */
uint64_t monitor__events_dropped(const struct monitor *mon);
uint64_t monitor__actions_skipped(const struct monitor *mon);

#endif
