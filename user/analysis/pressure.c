// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <string.h>
#include "analysis/pressure.h"

/* Thresholds for medium, high, critical, per signal (see pressure.h). */
static const double thresholds[PSIG_CNT][3] = {
	[PSIG_PSI_SOME] = { 5, 20, 50 },
	[PSIG_PSI_FULL] = { 1, 5, 20 },
	[PSIG_LIMIT] = { 80, 90, 97 },
	[PSIG_MAJOR_FAULTS] = { 10, 100, 1000 },
	[PSIG_RECLAIM] = { 10, 100, 500 },
};

static const char *const level_names[] = { "low", "medium", "high", "critical" };

void pressure__unknown_input(struct pressure_input *in)
{
	in->psi_some_avg10 = in->psi_full_avg10 = NAN;
	in->usage_bytes = in->limit_bytes = NAN;
	in->major_faults_per_s = in->reclaim_stall_ms_per_s = NAN;
}

static enum pressure_level level_of(enum pressure_signal sig, double v)
{
	int l;

	if (isnan(v))
		return PRESSURE_UNKNOWN;
	for (l = 3; l > 0; l--)
		if (v >= thresholds[sig][l - 1])
			return l;
	return PRESSURE_LOW;
}

void pressure__eval(const struct pressure_input *in, struct pressure *out)
{
	double v[PSIG_CNT];
	int s;

	out->limit_used_pct = NAN;
	if (!isnan(in->limit_bytes) && in->limit_bytes > 0 && !isnan(in->usage_bytes))
		out->limit_used_pct = 100.0 * in->usage_bytes / in->limit_bytes;
	v[PSIG_PSI_SOME] = in->psi_some_avg10;
	v[PSIG_PSI_FULL] = in->psi_full_avg10;
	v[PSIG_LIMIT] = out->limit_used_pct;
	v[PSIG_MAJOR_FAULTS] = in->major_faults_per_s;
	v[PSIG_RECLAIM] = in->reclaim_stall_ms_per_s;
	out->level = PRESSURE_UNKNOWN;
	out->cause = PSIG_PSI_SOME;
	for (s = 0; s < PSIG_CNT; s++) {
		enum pressure_level l = level_of(s, v[s]);

		if (l > out->level) {
			out->level = l;
			out->cause = s;
		}
	}
}

const char *pressure__level_name(enum pressure_level l)
{
	return l >= PRESSURE_LOW && l <= PRESSURE_CRITICAL ? level_names[l] : "unknown";
}

enum pressure_level pressure__level_of(const char *name)
{
	int l;

	for (l = PRESSURE_LOW; l <= PRESSURE_CRITICAL; l++)
		if (!strcmp(name, level_names[l]))
			return l;
	return PRESSURE_UNKNOWN;
}

const char *pressure__signal_name(enum pressure_signal s)
{
	static const char *const names[] = {
		[PSIG_PSI_SOME] = "psi_some", [PSIG_PSI_FULL] = "psi_full",
		[PSIG_LIMIT] = "limit", [PSIG_MAJOR_FAULTS] = "major_faults",
		[PSIG_RECLAIM] = "reclaim_stall",
	};

	return s >= 0 && s < PSIG_CNT ? names[s] : "?";
}
