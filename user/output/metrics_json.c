// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include "output/metrics_json.h"

void metrics_json__count_field(struct json_writer *w, const char *key, bool sampled, uint64_t n,
				double est)
{
	json_u64_field(w, key, !sampled ? n : est > 0 ? (uint64_t)llround(est) : 0);
}

/* A byte count or a count (an estimate may have a fraction) as a JSON integer, or null. */
static void whole_field(struct json_writer *w, const char *key, double v)
{
	json_i64_or_null_field(w, key, isfinite(v), isfinite(v) ? llround(v) : 0);
}

static void write_quantity(struct json_writer *w, const char *key, const struct quantity *q)
{
	json_key(w, key);
	if (!q->series) {
		json_null(w);
		return;
	}
	json_object_begin(w);
	whole_field(w, "baseline_bytes", q->st.baseline);
	whole_field(w, "current_bytes", q->st.current);
	whole_field(w, "peak_bytes", q->st.peak);
	whole_field(w, "delta_bytes", q->st.delta);
	json_double_field(w, "growth_bytes_per_s", q->st.n >= 2 ? q->st.slope_per_s : NAN);
	json_double_field(w, "growth_mib_per_min",
			  q->st.n >= 2 ? q->st.slope_per_s * 60 / 1048576.0 : NAN);
	json_double_field(w, "r2", q->st.n >= 2 ? q->st.r2 : NAN);
	json_string_field(w, "trend", trend__name(q->trend));
	json_u64_field(w, "samples", q->st.n);
	json_object_end(w);
}

static void write_pressure(struct json_writer *w, const struct proc_metrics *pm)
{
	const struct pressure_input *in = &pm->kernel.pressure;
	bool known = pm->pressure.level != PRESSURE_UNKNOWN;

	json_object_field_begin(w, "pressure");
	json_string_field(w, "level", known ? pressure__level_name(pm->pressure.level) : NULL);
	json_string_field(w, "cause", known ? pressure__signal_name(pm->pressure.cause) : NULL);
	json_double_field(w, "psi_some_avg10", in->psi_some_avg10);
	json_double_field(w, "psi_full_avg10", in->psi_full_avg10);
	whole_field(w, "limit_bytes", in->limit_bytes > 0 ? in->limit_bytes : NAN);
	json_double_field(w, "limit_used_pct", pm->pressure.limit_used_pct);
	json_double_field(w, "reclaim_stall_ms_per_s", in->reclaim_stall_ms_per_s);
	json_object_end(w);
}

/* A metric's value in its base unit: bytes and counts as integers. */
static void value_field(struct json_writer *w, const char *key, enum metric_id id, double v)
{
	enum metric_kind k = metric__kind(id);

	if (k == MKIND_BYTES || k == MKIND_COUNT)
		whole_field(w, key, v);
	else
		json_double_field(w, key, v);
}

static void write_values(struct json_writer *w, const struct proc_metrics *pm)
{
	int i;

	json_object_field_begin(w, "values");
	for (i = 0; i < METRIC_CNT; i++) {
		if (i == METRIC_PRESSURE)
			json_string_field(w, metric__name(i), isnan(pm->values.v[i]) ? NULL :
					  pressure__level_name(pm->values.v[i]));
		else
			value_field(w, metric__name(i), i, pm->values.v[i]);
	}
	json_object_end(w);
}

void metrics_json__proc(struct json_writer *w, const struct proc_metrics *pm,
			uint64_t window_ms)
{
	int v;

	if (!pm) {
		json_null(w);
		return;
	}
	json_object_begin(w);
	json_double_field(w, "window_s", window_ms / 1000.0);
	json_u64_field(w, "samples", pm->samples);
	write_quantity(w, "heap", &pm->heap);
	write_quantity(w, "rss", &pm->rss);
	write_quantity(w, "mapped", &pm->mapped);
	json_double_field(w, "leak_score", pm->leak_score);
	json_object_field_begin(w, "stack_verdicts");
	for (v = 0; v < VERDICT_CNT; v++)
		json_u64_field(w, verdict__json_name(v), pm->verdicts[v]);
	json_object_end(w);
	write_pressure(w, pm);
	write_values(w, pm);
	json_object_end(w);
}

/* One column of tl: numbers, or pressure level names; null where not known. */
static void write_timeline_column(struct json_writer *w, const struct timeline *tl,
				  enum timeline_column c)
{
	uint32_t i;
	double v;

	json_array_field_begin(w, timeline__column_name(c));
	for (i = 0; i < tl->cnt; i++) {
		v = tl->points[i].v[c];
		if (c == TL_PRESSURE && !isnan(v))
			json_string(w, pressure__level_name(v));
		else
			json_double(w, v);
	}
	json_array_end(w);
}

void metrics_json__timeline(struct json_writer *w, const struct proc_metrics *pm)
{
	const struct timeline *tl = pm ? pm->timeline : NULL;
	uint32_t i;
	int c;

	if (!tl) {
		json_null(w);
		return;
	}
	json_object_begin(w);
	json_u64_field(w, "samples_per_point", tl->stride);
	json_array_field_begin(w, "t_s");
	for (i = 0; i < tl->cnt; i++)
		json_double(w, tl->points[i].t_ms / 1000.0);
	json_array_end(w);
	for (c = 0; c < TL_COLUMN_CNT; c++)
		write_timeline_column(w, tl, c);
	json_object_end(w);
}

void metrics_json__site_fields(struct json_writer *w, const struct site_metrics *sm)
{
	json_string_field(w, "verdict", sm ? verdict__json_name(sm->verdict) : NULL);
	json_double_field(w, "leak_score", sm ? sm->score : NAN);
	json_double_field(w, "growth_bytes_per_s", sm && sm->st.n >= 2 ? sm->st.slope_per_s : NAN);
}

void metrics_json__alert(struct json_writer *w, const struct alert_event *ev)
{
	json_object_begin(w);
	json_string_field(w, "time", ev->time);
	json_double_field(w, "t_s", ev->t_s);
	json_i64_field(w, "pid", ev->pid);
	json_string_field(w, "comm", ev->comm);
	json_string_field(w, "alert", ev->alert.expr);
	json_string_field(w, "metric", metric__name(ev->alert.metric));
	value_field(w, "value", ev->alert.metric, ev->value);
	json_double_field(w, "threshold", ev->alert.threshold);
	json_bool_field(w, "command_run", ev->command_run);
	json_object_end(w);
}
