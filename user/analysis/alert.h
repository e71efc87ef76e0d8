/* SPDX-License-Identifier: GPL-2.0 */
/*
 * alert: --alert expressions ("rss>1G", "heap_growth>50MB/min",
 * "pressure>=high", "leak_score>0.8", "oom"), parsed into a metric, a
 * comparison and a threshold in the metric's base unit, and evaluated as an
 * edge-triggered state machine per process: an alert fires once when its
 * condition becomes true and can fire again only after it was seen false.
 * An unknown value (NaN) changes nothing. Pure.
 *
 * Grammar: METRIC [OP NUMBER[UNIT] | OP LEVEL], spaces allowed between parts;
 * OP is one of > >= < <= == !=; a bare metric is allowed for oom (= oom>0).
 * Units by metric kind (case-insensitive):
 *   bytes:      none or B; K KiB M MiB G GiB T TiB (powers of 1024);
 *               KB MB GB TB (powers of 1000)
 *   byte rates: a size unit, '/', and s, sec, min or h ("50MB/min");
 *               a bare number is bytes per second
 *   event rates: none, /s, /min or /h
 *   reclaim_stall: none or ms/s (milliseconds stalled per second)
 *   percent:    none or %, 0..100
 *   leak_score: no unit, 0..1;  counts: no unit, whole numbers
 *   pressure:   low, medium, high or critical
 */
#ifndef MV_ALERT_H
#define MV_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "analysis/metric.h"

#define ALERT_MAX 32
#define ALERT_EXPR_MAX 96

enum alert_op { ALERT_GT, ALERT_GE, ALERT_LT, ALERT_LE, ALERT_EQ, ALERT_NE };

struct alert {
	char expr[ALERT_EXPR_MAX];	/* as given, spaces removed */
	enum metric_id metric;
	enum alert_op op;
	double threshold;		/* in the metric's base unit */
};

/*
 * Parse text into *out. Returns 0, or -EINVAL with what is wrong in err
 * (one line, no prefix: the caller names the option).
 */
int alert__parse(const char *text, struct alert *out, char *err, size_t err_len);
/* Whether value satisfies a's condition; false for NaN. */
bool alert__holds(const struct alert *a, double value);
/* ">", ">=", ... */
const char *alert__op_name(enum alert_op op);

struct alert_set;

typedef void (*alert_fire_fn)(void *ctx, pid_t pid, const struct alert *a, double value);

struct alert_set *alert_set__new(const struct alert *alerts, size_t cnt);
void alert_set__free(struct alert_set *set);
/*
 * Evaluate every alert on pid's values; fire() is called for each alert that
 * has just become true for pid. Returns how many fired, or -ENOMEM.
 */
int alert_set__eval(struct alert_set *set, pid_t pid, const struct metric_values *mv,
		    alert_fire_fn fire, void *ctx);
/*
 * The alert state of pid moves to key (a retired process's, see
 * model__retire); pid starts afresh, as a new process.
 */
void alert_set__rekey(struct alert_set *set, pid_t pid, pid_t key);
/* The alert state of key is freed (a process dropped from the model, see model__drop). */
void alert_set__forget(struct alert_set *set, pid_t key);

#endif
