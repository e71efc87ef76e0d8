// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include "analysis/series.h"

struct sample {
	uint64_t t_ms;
	double value;
};

struct series {
	uint64_t window_ms;
	uint64_t min_gap_ms;	/* ring resolution */
	uint64_t interval_ms;	/* expected time between samples */
	uint32_t cap, head, cnt;	/* head: index of the oldest sample */
	bool any;
	double baseline, current, peak;
	struct sample ring[];
};

struct series *series__new(uint64_t window_ms, uint64_t interval_ms)
{
	uint64_t want;
	struct series *s;

	if (!window_ms || !interval_ms) {
		errno = EINVAL;
		return NULL;
	}
	want = window_ms / interval_ms + 2;
	if (want > SERIES_MAX_SAMPLES)
		want = SERIES_MAX_SAMPLES;
	s = calloc(1, sizeof(*s) + want * sizeof(s->ring[0]));
	if (!s)
		return NULL;
	s->window_ms = window_ms;
	s->interval_ms = interval_ms;
	s->cap = want;
	/* Thin out only when the window holds more samples than the ring. */
	s->min_gap_ms = window_ms / interval_ms + 2 > want ? window_ms / (want - 2) : 0;
	return s;
}

void series__free(struct series *s)
{
	free(s);
}

static struct sample *at(struct series *s, uint32_t i)
{
	return &s->ring[(s->head + i) % s->cap];
}

static const struct sample *cat(const struct series *s, uint32_t i)
{
	return &s->ring[(s->head + i) % s->cap];
}

void series__add(struct series *s, uint64_t t_ms, double value)
{
	if (!s->any) {
		s->baseline = s->peak = value;
		s->any = true;
	}
	s->current = value;
	if (value > s->peak)
		s->peak = value;
	if (s->cnt && t_ms < at(s, s->cnt - 1)->t_ms + s->min_gap_ms)
		return;
	/*
	 * A sample less than half an interval after the last one (a final
	 * report right after a periodic one) replaces it: two nearly equal
	 * points would read as a flat newer half and hide a rise.
	 */
	if (s->cnt && t_ms < at(s, s->cnt - 1)->t_ms + (s->interval_ms + 1) / 2) {
		*at(s, s->cnt - 1) = (struct sample){ .t_ms = t_ms, .value = value };
		return;
	}
	while (s->cnt && (at(s, 0)->t_ms + s->window_ms < t_ms || s->cnt == s->cap)) {
		s->head = (s->head + 1) % s->cap;
		s->cnt--;
	}
	*at(s, s->cnt) = (struct sample){ .t_ms = t_ms, .value = value };
	s->cnt++;
}

bool series__empty(const struct series *s)
{
	return !s->any;
}

void series__fit(const double *x, const double *y, uint32_t n, double *slope, double *r2)
{
	double mx = 0, my = 0, sxx = 0, sxy = 0, syy = 0, b = 0, q = 0;
	uint32_t i;

	for (i = 0; i < n; i++) {
		mx += x[i];
		my += y[i];
	}
	if (n) {
		mx /= n;
		my /= n;
	}
	for (i = 0; i < n; i++) {
		sxx += (x[i] - mx) * (x[i] - mx);
		sxy += (x[i] - mx) * (y[i] - my);
		syy += (y[i] - my) * (y[i] - my);
	}
	if (n >= 2 && sxx > 0) {
		b = sxy / sxx;
		/* A constant series is fitted exactly by a flat line. */
		q = syy > 0 ? (sxy * sxy) / (sxx * syy) : 1.0;
		if (q > 1)
			q = 1;
	}
	if (slope)
		*slope = b;
	if (r2)
		*r2 = q;
}

void series__stats(const struct series *s, struct series_stats *out)
{
	double x[SERIES_MAX_SAMPLES], y[SERIES_MAX_SAMPLES];
	uint64_t t0, mid;
	uint32_t i, half = 0;

	*out = (struct series_stats){ 0 };
	if (!s->any || !s->cnt)
		return;
	out->baseline = s->baseline;
	out->current = s->current;
	out->peak = s->peak;
	out->delta = s->current - s->baseline;
	out->n = s->cnt;
	t0 = cat(s, 0)->t_ms;
	out->first_ms = t0;
	out->last_ms = cat(s, s->cnt - 1)->t_ms;
	out->span_ms = out->last_ms - t0;
	mid = t0 + out->span_ms / 2;
	for (i = 0; i < s->cnt; i++) {
		x[i] = (cat(s, i)->t_ms - t0) / 1000.0;
		y[i] = cat(s, i)->value;
		out->mean += y[i];
		if (i && y[i] > y[i - 1])
			out->rises++;
		if (cat(s, i)->t_ms < mid)
			half = i + 1;
	}
	out->mean /= s->cnt;
	series__fit(x, y, s->cnt, &out->slope_per_s, &out->r2);
	/* The newer half: samples at or after the middle of the span. */
	if (s->cnt - half >= 2)
		series__fit(x + half, y + half, s->cnt - half, &out->recent_slope_per_s, NULL);
	else
		out->recent_slope_per_s = out->slope_per_s;
}
