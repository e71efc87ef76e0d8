// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <math.h>
#include "analysis/pressure.h"

static struct pressure eval(struct pressure_input in)
{
	struct pressure p;

	pressure__eval(&in, &p);
	return p;
}

static struct pressure_input unknown(void)
{
	struct pressure_input in;

	pressure__unknown_input(&in);
	return in;
}

Test(pressure, nothing_known_is_unknown)
{
	struct pressure p = eval(unknown());

	cr_assert_eq(p.level, PRESSURE_UNKNOWN);
	cr_assert(isnan(p.limit_used_pct));
	cr_assert_str_eq(pressure__level_name(p.level), "unknown");
}

Test(pressure, psi_some_thresholds_5_20_50)
{
	struct pressure_input in = unknown();
	const double v[] = { 0, 4.99, 5, 19.9, 20, 49, 50, 100 };
	const enum pressure_level want[] = { PRESSURE_LOW, PRESSURE_LOW, PRESSURE_MEDIUM,
		PRESSURE_MEDIUM, PRESSURE_HIGH, PRESSURE_HIGH, PRESSURE_CRITICAL, PRESSURE_CRITICAL };
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		in.psi_some_avg10 = v[i];
		cr_assert_eq(eval(in).level, want[i], "some=%.2f", v[i]);
	}
}

Test(pressure, psi_full_is_stricter_than_some)
{
	struct pressure_input in = unknown();

	in.psi_full_avg10 = 1;
	cr_assert_eq(eval(in).level, PRESSURE_MEDIUM);
	in.psi_full_avg10 = 5;
	cr_assert_eq(eval(in).level, PRESSURE_HIGH);
	in.psi_full_avg10 = 20;
	cr_assert_eq(eval(in).level, PRESSURE_CRITICAL);
}

Test(pressure, distance_to_the_limit_80_90_97_percent)
{
	struct pressure_input in = unknown();
	struct pressure p;

	in.limit_bytes = 1000;
	in.usage_bytes = 500;
	cr_assert_eq(eval(in).level, PRESSURE_LOW);
	in.usage_bytes = 800;
	cr_assert_eq(eval(in).level, PRESSURE_MEDIUM);
	in.usage_bytes = 900;
	cr_assert_eq(eval(in).level, PRESSURE_HIGH);
	in.usage_bytes = 970;
	p = eval(in);
	cr_assert_eq(p.level, PRESSURE_CRITICAL);
	cr_assert_eq(p.cause, PSIG_LIMIT);
	cr_assert_float_eq(p.limit_used_pct, 97, 1e-9);
}

Test(pressure, no_limit_means_the_limit_signal_is_unknown)
{
	struct pressure_input in = unknown();

	in.limit_bytes = 0;
	in.usage_bytes = 1e12;
	cr_assert_eq(eval(in).level, PRESSURE_UNKNOWN);
}

Test(pressure, major_faults_and_reclaim_stalls)
{
	struct pressure_input in = unknown();

	in.major_faults_per_s = 150;
	cr_assert_eq(eval(in).level, PRESSURE_HIGH);
	in.major_faults_per_s = 0;
	in.reclaim_stall_ms_per_s = 600;
	cr_assert_eq(eval(in).level, PRESSURE_CRITICAL);
	cr_assert_eq(eval(in).cause, PSIG_RECLAIM);
}

Test(pressure, the_highest_signal_wins_and_is_named)
{
	struct pressure_input in = unknown();
	struct pressure p;

	in.psi_some_avg10 = 6;			/* medium */
	in.major_faults_per_s = 120;		/* high */
	in.limit_bytes = 100;
	in.usage_bytes = 10;			/* low */
	p = eval(in);
	cr_assert_eq(p.level, PRESSURE_HIGH);
	cr_assert_str_eq(pressure__signal_name(p.cause), "major_faults");
}

Test(pressure, level_names_round_trip)
{
	enum pressure_level l;

	for (l = PRESSURE_LOW; l <= PRESSURE_CRITICAL; l++)
		cr_assert_eq(pressure__level_of(pressure__level_name(l)), l);
	cr_assert_eq(pressure__level_of("severe"), PRESSURE_UNKNOWN);
}
