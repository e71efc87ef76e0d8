/* SPDX-License-Identifier: GPL-2.0 */
/*
 * evict: --keep-exited. Exited processes beyond the bound are dropped with
 * everything memvigil keeps of them: the model's process (live set, sites,
 * mappings, kernel figures), its metrics, series, timeline and alert state
 * (monitor), its captured mappings (symbolizer), and the recording's note
 * of it (REC_DROP, so that a replay drops the same). The live session and
 * the replay both drop through here. Stacks stay interned (model/stacks.c):
 * other processes share them.
 */
#ifndef MV_EVICT_H
#define MV_EVICT_H

#include <stddef.h>
#include <stdint.h>
#include "ingest/recorder.h"
#include "model/model.h"
#include "session/monitor.h"
#include "symbolize/symbolizer.h"

/* What holds state per process; any but m may be NULL. */
struct evict_holders {
	struct model *m;
	struct monitor *mon;
	struct symbolizer *sym;
	struct recorder *rec;		/* --record, NULL if not recording */
};

/* Drop the process at index of h->m, and everything kept of it. */
void evict__drop(const struct evict_holders *h, size_t index);

/* Drop exited processes (model__evict_pick's order) until keep remain; returns how many. */
size_t evict__run(const struct evict_holders *h, uint32_t keep);

#endif
