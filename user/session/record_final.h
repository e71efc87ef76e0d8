/* SPDX-License-Identifier: GPL-2.0 */
/*
 * record_final: the part of the final report's context that a recording
 * keeps (REC_FINAL, ingest/record_format.h): the moment of the report, how
 * tracing went (health) and the names of its time and kernel. The model, the
 * metrics and the options come back from the other records.
 */
#ifndef MV_RECORD_FINAL_H
#define MV_RECORD_FINAL_H

#include <stddef.h>
#include <stdint.h>
#include "output/report_context.h"
#include "probes/unwind_maps.h"

/* A decoded REC_FINAL; its strings point into the payload it was read from. */
struct record_final {
	uint32_t now_ms;
	bool text_mappings_followed;	/* the text report's mapping line */
	bool has_unwind;
	struct report_health health;	/* kernel_signal_names, unwind left NULL */
	struct unwind_health unwind;
	const char *return_probe;	/* NULL if none */
	const char *cgroup;		/* the traced cgroup as reported, NULL if none */
	const char *kernel;
	const char *started_at;
};

/*
 * Encode rf into buf (at most cap bytes). Returns the length, or 0 when
 * it does not fit.
 */
size_t record_final__encode(const struct record_final *rf, void *buf, size_t cap);

/* Decode a payload of len bytes into *rf: 0, or -EBADMSG when malformed. */
int record_final__decode(const void *payload, size_t len, struct record_final *rf);

#endif
