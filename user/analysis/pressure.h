/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pressure: how hard memory is to get, as one level from several signals.
 * Each known signal gives a level from the thresholds below; the pressure is
 * the highest of them, and the signal that set it is named. Unknown signals
 * (NaN) are skipped; with none known the level is unknown. Pure.
 *
 *   signal                                    medium   high   critical
 *   PSI "some" avg10 (% of time stalled)        >= 5    >= 20    >= 50
 *   PSI "full" avg10 (% of time stalled)        >= 1    >= 5     >= 20
 *   usage / limit (% of the memory limit)       >= 80   >= 90    >= 97
 *   major page faults per second                >= 10   >= 100   >= 1000
 *   direct reclaim stall (ms stalled per s)     >= 10   >= 100   >= 500
 */
#ifndef MV_PRESSURE_H
#define MV_PRESSURE_H

enum pressure_level {
	PRESSURE_UNKNOWN = -1,
	PRESSURE_LOW = 0,
	PRESSURE_MEDIUM,
	PRESSURE_HIGH,
	PRESSURE_CRITICAL,
};

enum pressure_signal {
	PSIG_PSI_SOME,
	PSIG_PSI_FULL,
	PSIG_LIMIT,
	PSIG_MAJOR_FAULTS,
	PSIG_RECLAIM,
	PSIG_CNT,
};

/* Plain inputs; NaN = not known. */
struct pressure_input {
	double psi_some_avg10;		/* percent */
	double psi_full_avg10;		/* percent */
	double usage_bytes;		/* memory in use against the limit */
	double limit_bytes;		/* 0 or NaN: no limit */
	double major_faults_per_s;
	double reclaim_stall_ms_per_s;
};

struct pressure {
	enum pressure_level level;
	enum pressure_signal cause;	/* the signal that set the level */
	double limit_used_pct;		/* NaN if no limit */
};

/* An input with every signal unknown. */
void pressure__unknown_input(struct pressure_input *in);
void pressure__eval(const struct pressure_input *in, struct pressure *out);
/* "low", "medium", "high", "critical", "unknown". */
const char *pressure__level_name(enum pressure_level l);
/* The level named name, or PRESSURE_UNKNOWN. */
enum pressure_level pressure__level_of(const char *name);
/* "psi_some", "psi_full", "limit", "major_faults", "reclaim_stall". */
const char *pressure__signal_name(enum pressure_signal s);

#endif
