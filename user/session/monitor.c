// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "analysis/alert_action.h"
#include "analysis/kernel_metrics.h"
#include "lib/log.h"
#include "lib/text_escape.h"
#include "model/query.h"
#include "output/jsonl.h"
#include "session/monitor.h"

#define SAMPLE_MS 1000		/* the metrics' sampling period, whatever --interval */
#define ACTION_GRACE_MS 2000	/* how long the end waits for --on-alert commands */

struct monitor {
	struct metrics *metrics;
	struct alert_set *alerts;
	struct alert_action *action;
	struct jsonl *jsonl;
	uint64_t sample_ms, window_ms, last_ms;
	uint64_t next_ms;		/* when the next sample is due */
	uint64_t report_ms;		/* --interval, 0 without periodic reports */
	uint64_t tick_ms;		/* when the last report sampled */
	bool sampled;
	bool periodic;			/* main ticks with each report */
	unsigned int top;
	symbol_resolve_fn resolve;
	void *resolve_ctx;
	const struct model *model;	/* during a tick */
	uint64_t now_ms;
	char now_time[32];
	struct alert_event events[MONITOR_MAX_EVENTS];
	size_t event_cnt;
	uint64_t events_dropped;
	bool jsonl_failed;
	const char *jsonl_path;
};

/* Said once: a window that cannot hold enough samples leaves every stack early. */
static void warn_short_window(const struct monitor *mon)
{
	uint64_t fit = mon->window_ms / mon->sample_ms + 1;

	if (fit < VERDICT_MIN_SAMPLES)
		log_warn("the window (--window=%gs) holds %llu samples at one every %gs; a stack "
			 "needs %d for a verdict, so every stack stays early: widen --window",
			 mon->window_ms / 1000.0, (unsigned long long)fit, mon->sample_ms / 1000.0,
			 VERDICT_MIN_SAMPLES);
}

int monitor__new(const struct monitor_opts *o, struct monitor **out, char *err,
		 size_t err_len)
{
	struct monitor *mon = calloc(1, sizeof(*mon));
	int ret = -ENOMEM;

	*out = NULL;
	if (!mon)
		goto err_oom;
	mon->periodic = o->interval_s > 0;
	mon->report_ms = o->interval_s * 1000;
	/* Reports more often than the sampling period take every sample. */
	mon->sample_ms = SAMPLE_MS;
	if (mon->periodic && o->interval_s * 1000 < SAMPLE_MS)
		mon->sample_ms = o->interval_s * 1000 >= 1 ? o->interval_s * 1000 : 1;
	mon->window_ms = o->window_s * 1000;
	mon->top = o->top;
	mon->resolve = o->resolve;
	mon->resolve_ctx = o->resolve_ctx;
	mon->metrics = metrics__new(mon->window_ms, mon->sample_ms);
	mon->alerts = alert_set__new(o->alerts, o->alert_cnt);
	if (!mon->metrics || !mon->alerts)
		goto err_oom;
	metrics__set_heap_traced(mon->metrics, o->heap_traced);
	if (o->on_alert) {
		mon->action = alert_action__new(o->on_alert, err, err_len);
		if (!mon->action) {
			ret = -EINVAL;
			goto err_free;
		}
	}
	if (o->jsonl_path) {
		mon->jsonl_path = o->jsonl_path;
		mon->jsonl = jsonl__open(o->jsonl_path, err, err_len);
		if (!mon->jsonl) {
			ret = -errno;
			goto err_free;
		}
	}
	warn_short_window(mon);
	*out = mon;
	return 0;
err_oom:
	snprintf(err, err_len, "out of memory");
err_free:
	monitor__free(mon);
	return ret;
}

void monitor__free(struct monitor *mon)
{
	if (!mon)
		return;
	metrics__free(mon->metrics);
	alert_set__free(mon->alerts);
	alert_action__free(mon->action);
	jsonl__close(mon->jsonl);
	free(mon);
}

static void format_env_number(char *buf, size_t len, double v)
{
	snprintf(buf, len, "%.17g", v);
}

static bool run_action(struct monitor *mon, const struct alert_event *ev)
{
	char value[40], threshold[40], pid[16], t_s[32], text[64];
	struct alert_env env[] = {
		{ "MEMVIGIL_ALERT_EXPR", ev->alert.expr },
		{ "MEMVIGIL_ALERT_METRIC", metric__name(ev->alert.metric) },
		{ "MEMVIGIL_ALERT_VALUE", value },
		{ "MEMVIGIL_ALERT_VALUE_TEXT", text },
		{ "MEMVIGIL_ALERT_THRESHOLD", threshold },
		{ "MEMVIGIL_ALERT_PID", pid },
		{ "MEMVIGIL_ALERT_COMM", ev->comm },
		{ "MEMVIGIL_ALERT_TIME", ev->time },
		{ "MEMVIGIL_ALERT_T_S", t_s },
	};
	pid_t child;

	if (!mon->action)
		return false;
	format_env_number(value, sizeof(value), ev->value);
	format_env_number(threshold, sizeof(threshold), ev->alert.threshold);
	metric__format(ev->alert.metric, ev->value, text, sizeof(text));
	snprintf(pid, sizeof(pid), "%d", ev->pid);
	snprintf(t_s, sizeof(t_s), "%.3f", ev->t_s);
	child = alert_action__run(mon->action, mon->now_ms, env, sizeof(env) / sizeof(env[0]));
	if (child < 0)
		log_warn("cannot run the --on-alert command: %s", strerror(-child));
	else if (!child)
		log_info("--on-alert not run for %s: rate limit (one run per %d s)",
			 ev->alert.expr, ALERT_ACTION_MIN_GAP_MS / 1000);
	return child > 0;
}

/* The alert's line on stderr; the comm is the process's own, escaped. */
static void print_alert(const struct alert_event *ev, const struct alert *a, double value)
{
	char text[64], comm[TEXT_ESCAPE_SIZE(sizeof(ev->comm))];

	text_escape__copy(comm, sizeof(comm), ev->comm);
	fprintf(stderr, "memvigil: alert %s fired for PID %d (%s) at +%.1fs: %s = %s\n",
		a->expr, ev->pid, comm, ev->t_s, metric__name(a->metric),
		metric__format(a->metric, value, text, sizeof(text)));
}

/* A --jsonl line could not be written (ret): said once, and no more lines are. */
static void jsonl_failed(struct monitor *mon, int ret)
{
	log_warn("writing the JSON lines to %s failed: %s; no more lines are written, the "
		 "trace goes on", mon->jsonl_path, strerror(-ret));
	mon->jsonl_failed = true;
}

/* key: the process's model key (its PID unless a later process reuses that PID). */
static void on_fire(void *ctx, pid_t key, const struct alert *a, double value)
{
	struct monitor *mon = ctx;
	const struct proc *p = model__find(mon->model, key);
	struct alert_event ev = { .pid = p ? p->pid : key, .alert = *a, .value = value };
	int ret;

	ev.t_s = mon->now_ms / 1000.0;
	snprintf(ev.time, sizeof(ev.time), "%s", mon->now_time);
	snprintf(ev.comm, sizeof(ev.comm), "%s", p ? p->comm : "?");
	ev.command_run = run_action(mon, &ev);
	/* The line is in --jsonl by the time the alert shows on stderr. */
	if (mon->jsonl && !mon->jsonl_failed && (ret = jsonl__alert(mon->jsonl, &ev)))
		jsonl_failed(mon, ret);
	print_alert(&ev, a, value);
	if (mon->event_cnt < MONITOR_MAX_EVENTS)
		mon->events[mon->event_cnt++] = ev;
	else
		mon->events_dropped++;
}

static void write_sample(struct monitor *mon, const struct proc *p)
{
	struct report_ctx ctx = { .m = mon->model, .metrics = mon->metrics, .now_ms = mon->now_ms,
				  .time = mon->now_time, .opts.top = mon->top,
				  .resolve = mon->resolve, .resolve_ctx = mon->resolve_ctx };
	int ret;

	if (!mon->jsonl || mon->jsonl_failed)
		return;
	ret = jsonl__proc_sample(mon->jsonl, &ctx, p);
	if (ret)
		jsonl_failed(mon, ret);
}

/*
 * Sample every process and evaluate the alerts; lines: also write the
 * --jsonl sample lines (with each report, or each second without reports).
 */
static void sample(struct monitor *mon, const struct model *m, uint64_t now_ms, bool lines)
{
	struct kernel_sample ks;
	time_t wall = time(NULL);
	uint32_t *oom_seen;
	size_t i;

	mon->model = m;
	mon->now_ms = now_ms;
	strftime(mon->now_time, sizeof(mon->now_time), "%Y-%m-%dT%H:%M:%SZ", gmtime(&wall));
	for (i = 0; i < m->proc_cnt; i++) {
		const struct proc *p = m->procs[i];
		const struct proc_metrics *pm;

		/*
		 * An exited process gets one sample after its exit, then no more, the final
		 * one included: its figures and verdicts stay those of its end, not of a
		 * flat line drawn on after it.
		 */
		pm = metrics__find(mon->metrics, p->key);
		if (p->exited && pm && pm->exited)
			continue;
		oom_seen = metrics__oom_seen(mon->metrics, p->key);
		if (!oom_seen) {
			log_warn("out of memory for the metrics of PID %d", p->pid);
			continue;
		}
		kernel_metrics__input(m, p, oom_seen, &ks);
		if (!isnan(ks.rss_bytes))
			ks.rss_t_ms = p->kernel.sample_ms;
		if (metrics__sample(mon->metrics, p, now_ms, &ks)) {
			log_warn("out of memory for the metrics of PID %d", p->pid);
			continue;
		}
		pm = metrics__find(mon->metrics, p->key);
		if (alert_set__eval(mon->alerts, p->key, &pm->values, on_fire, mon) < 0)
			log_warn("out of memory for the alerts of PID %d", p->pid);
		if (lines)
			write_sample(mon, p);
	}
	mon->last_ms = now_ms;
	mon->sampled = true;
	alert_action__reap(mon->action);
}

void monitor__oom(struct monitor *mon, const struct model *m, const struct oom_kill *k,
		  uint64_t now_ms)
{
	time_t wall = time(NULL);
	char when[32];
	struct report_ctx ctx = { .m = m, .now_ms = now_ms, .time = when,
				  .resolve = mon->resolve, .resolve_ctx = mon->resolve_ctx };
	int ret;

	if (!mon->jsonl || mon->jsonl_failed)
		return;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&wall));
	ret = jsonl__oom_kill(mon->jsonl, &ctx, k);
	if (ret)
		jsonl_failed(mon, ret);
}

void monitor__tick(struct monitor *mon, const struct model *m, uint64_t now_ms)
{
	sample(mon, m, now_ms, true);
	mon->tick_ms = now_ms;
	mon->next_ms = now_ms + mon->sample_ms;
}

void monitor__poll(struct monitor *mon, const struct model *m, uint64_t now_ms)
{
	/* A report due within half a period takes the sample itself. */
	if ((mon->sampled && now_ms < mon->next_ms) ||
	    (mon->periodic && now_ms + mon->sample_ms / 2 >= mon->tick_ms + mon->report_ms)) {
		alert_action__reap(mon->action);
		return;
	}
	sample(mon, m, now_ms, !mon->periodic);
	/* On a grid: a late turn of the loop does not delay the samples after it. */
	mon->next_ms += mon->sample_ms;
	if (mon->next_ms <= now_ms)
		mon->next_ms = now_ms + mon->sample_ms;
}

void monitor__finish(struct monitor *mon, const struct model *m, uint64_t now_ms)
{
	if (!mon->sampled || now_ms > mon->last_ms)
		sample(mon, m, now_ms, true);
	alert_action__wait(mon->action, ACTION_GRACE_MS);
	if (alert_action__skipped(mon->action))
		log_warn("--on-alert was not run for %llu alerts (at most one run per %d s)",
			 (unsigned long long)alert_action__skipped(mon->action),
			 ALERT_ACTION_MIN_GAP_MS / 1000);
}

void monitor__rekey(struct monitor *mon, pid_t pid, pid_t key)
{
	if (!mon)
		return;
	if (mon->metrics)
		metrics__rekey(mon->metrics, pid, key);
	if (mon->alerts)
		alert_set__rekey(mon->alerts, pid, key);
}

void monitor__forget(struct monitor *mon, pid_t key)
{
	if (!mon)
		return;
	if (mon->metrics)
		metrics__forget(mon->metrics, key);
	if (mon->alerts)
		alert_set__forget(mon->alerts, key);
}

const struct metrics *monitor__metrics(const struct monitor *mon)
{
	return mon ? mon->metrics : NULL;
}

const struct alert_event *monitor__events(const struct monitor *mon, size_t *cnt)
{
	*cnt = mon ? mon->event_cnt : 0;
	return mon ? mon->events : NULL;
}

uint64_t monitor__events_dropped(const struct monitor *mon)
{
	return mon ? mon->events_dropped : 0;
}

uint64_t monitor__actions_skipped(const struct monitor *mon)
{
	return mon ? alert_action__skipped(mon->action) : 0;
}
