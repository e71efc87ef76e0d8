// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include "output/metrics_json.h"

static void number_or_null(struct json_writer *w, const char *key, double v)
{
	json_key(w, key);
	if (isnan(v))
		json_null(w);
	else
		json_double(w, v);
}

static void write_quantity(struct json_writer *w, const char *key, const struct quantity *q)
{
	json_key(w, key);
	if (!q->series) {
		json_null(w);
		return;
	}
	json_object_begin(w);
	number_or_null(w, "baseline_bytes", q->st.baseline);
	number_or_null(w, "current_bytes", q->st.current);
	number_or_null(w, "peak_bytes", q->st.peak);
	number_or_null(w, "delta_bytes", q->st.delta);
	number_or_null(w, "growth_bytes_per_s", q->st.n >= 2 ? q->st.slope_per_s : NAN);
	number_or_null(w, "growth_mib_per_min",
		       q->st.n >= 2 ? q->st.slope_per_s * 60 / 1048576.0 : NAN);
	number_or_null(w, "r2", q->st.n >= 2 ? q->st.r2 : NAN);
	json_key(w, "trend");
	json_string(w, trend__name(q->trend));
	json_key(w, "samples");
	json_u64(w, q->st.n);
	json_object_end(w);
}

static void write_pressure(struct json_writer *w, const struct proc_metrics *pm)
{
	const struct pressure_input *in = &pm->kernel.pressure;

	json_key(w, "pressure");
	json_object_begin(w);
	json_key(w, "level");
	if (pm->pressure.level == PRESSURE_UNKNOWN)
		json_null(w);
	else
		json_string(w, pressure__level_name(pm->pressure.level));
	json_key(w, "cause");
	if (pm->pressure.level == PRESSURE_UNKNOWN)
		json_null(w);
	else
		json_string(w, pressure__signal_name(pm->pressure.cause));
	number_or_null(w, "psi_some_avg10", in->psi_some_avg10);
	number_or_null(w, "psi_full_avg10", in->psi_full_avg10);
	number_or_null(w, "limit_bytes", in->limit_bytes > 0 ? in->limit_bytes : NAN);
	number_or_null(w, "limit_used_pct", pm->pressure.limit_used_pct);
	number_or_null(w, "reclaim_stall_ms_per_s", in->reclaim_stall_ms_per_s);
	json_object_end(w);
}

static void write_values(struct json_writer *w, const struct proc_metrics *pm)
{
	int i;

	json_key(w, "values");
	json_object_begin(w);
	for (i = 0; i < METRIC_CNT; i++) {
		if (i == METRIC_PRESSURE) {
			json_key(w, metric__name(i));
			if (isnan(pm->values.v[i]))
				json_null(w);
			else
				json_string(w, pressure__level_name(pm->values.v[i]));
			continue;
		}
		number_or_null(w, metric__name(i), pm->values.v[i]);
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
	json_key(w, "window_s");
	json_double(w, window_ms / 1000.0);
	json_key(w, "samples");
	json_u64(w, pm->samples);
	write_quantity(w, "heap", &pm->heap);
	write_quantity(w, "rss", &pm->rss);
	write_quantity(w, "mapped", &pm->mapped);
	json_key(w, "leak_score");
	json_double(w, pm->leak_score);
	json_key(w, "stack_verdicts");
	json_object_begin(w);
	for (v = 0; v < VERDICT_CNT; v++) {
		json_key(w, verdict__json_name(v));
		json_u64(w, pm->verdicts[v]);
	}
	json_object_end(w);
	write_pressure(w, pm);
	write_values(w, pm);
	json_object_end(w);
}

void metrics_json__site_fields(struct json_writer *w, const struct site_metrics *sm)
{
	json_key(w, "verdict");
	if (sm)
		json_string(w, verdict__json_name(sm->verdict));
	else
		json_null(w);
	json_key(w, "leak_score");
	if (sm)
		json_double(w, sm->score);
	else
		json_null(w);
	number_or_null(w, "growth_bytes_per_s", sm && sm->st.n >= 2 ? sm->st.slope_per_s : NAN);
}

void metrics_json__alert(struct json_writer *w, const struct alert_event *ev)
{
	json_object_begin(w);
	json_key(w, "time");
	json_string(w, ev->time);
	json_key(w, "t_s");
	json_double(w, ev->t_s);
	json_key(w, "pid");
	json_i64(w, ev->pid);
	json_key(w, "comm");
	json_string(w, ev->comm);
	json_key(w, "alert");
	json_string(w, ev->alert.expr);
	json_key(w, "metric");
	json_string(w, metric__name(ev->alert.metric));
	json_key(w, "value");
	json_double(w, ev->value);
	json_key(w, "threshold");
	json_double(w, ev->alert.threshold);
	json_key(w, "command_run");
	json_bool(w, ev->command_run);
	json_object_end(w);
}
