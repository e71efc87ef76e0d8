/* SPDX-License-Identifier: GPL-2.0 */
/*
 * replay: a --record file applied again, record by record, to a new model,
 * symbolizer and monitor, in the order and at the times the live session
 * applied them, so that the final reports come out as the live run's did.
 * replay_command.c parses `memvigil replay` and writes those reports.
 */
#ifndef MV_REPLAY_H
#define MV_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "ingest/consumer.h"
#include "ingest/record_reader.h"
#include "model/model.h"
#include "session/monitor.h"
#include "session/options.h"
#include "session/record_final.h"
#include "symbolize/symbolizer.h"

/* The mappings recorded of one process (REC_OBJECT). */
struct replay_objects {
	pid_t key;
	struct mv_mapping *maps;	/* their paths owned */
	char **build_ids;		/* per mapping, owned ("" if none) */
	size_t cnt, maps_cap, ids_cap;
};

struct replay {
	const char *jsonl_path;		/* the replay's --jsonl, NULL if none */
	/* the live run's facts (REC_META) */
	char **argv;
	int argc;
	char **env;
	size_t env_cnt;
	uint64_t t0_ns;
	struct options opts;		/* the live run's options, parsed again */
	struct model *m;
	struct symbolizer *sym;
	struct monitor *mon;
	struct consumer consumer;
	bool interval_pending;		/* a REC_INTERVAL not yet applied: the final text comes first */
	uint32_t interval_ms, last_interval_ms;
	struct record_final final;
	void *final_buf;		/* the REC_FINAL payload final points into */
	bool has_final;
	struct replay_objects *objs;
	size_t obj_cnt, objs_cap;
	size_t changed_cnt;		/* objects gone or changed since the recording */
	char changed[512];		/* their paths, as many as fit */
	char err[512];
};

/*
 * Read the recording f (name: for messages) into r: every record applied,
 * the symbolizer given the recorded mappings. 0, or a negative errno said on
 * stderr (-EINVAL: the recorded options do not parse).
 */
int replay__run(struct replay *r, FILE *f, const char *name);

/* The final text report's interval: since the last text report before it. */
uint32_t replay__text_elapsed(struct replay *r);

void replay__free(struct replay *r);

#endif
