/* SPDX-License-Identifier: GPL-2.0 */
/*
 * recorder: writes --record FILE (record_format.h): a tap where the
 * consumer and the kernel sampler hand their inputs to the model, and where
 * the session drives the monitor, so that `memvigil replay` can apply the
 * same inputs in the same order. The file is written like a report
 * (output_file.h: never through a planted link, renamed into place once
 * complete) and compressed as it goes.
 *
 * A write error (a full disk) is said once on stderr; the recording stops
 * there and is removed at the end, while tracing goes on. Every function
 * accepts a NULL recorder and then does nothing, so the taps need no test.
 */
#ifndef MV_RECORDER_H
#define MV_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ingest/record_format.h"
#include "model/model.h"
#include "symbolize/symbolizer.h"

struct recorder;

/*
 * Open path and write the header. Returns 0, or a negative errno with a
 * sentence in err (see output_file__open).
 */
int recorder__open(const char *path, struct recorder **out, char *err, size_t err_len);

/* One REC_META pair. */
void recorder__meta(struct recorder *r, const char *key, const char *value);
/* A record of any type (used for REC_FINAL). */
void recorder__put(struct recorder *r, enum record_type type, const void *payload, size_t len);

/* A ring-buffer record about to be applied to m (after any process m gained is said). */
void recorder__ring(struct recorder *r, const struct model *m, const void *data, size_t size);
/* Say every process of m whose identity changed since last said (REC_PROC, REC_RETIRE). */
void recorder__sync(struct recorder *r, const struct model *m);
void recorder__ksample(struct recorder *r, pid_t key, const struct kernel_reading *s,
		       uint64_t ts_ns);
void recorder__psi(struct recorder *r, const struct system_psi *psi);
void recorder__exit(struct recorder *r, pid_t pid, int status);
/* REC_DROP: the process at index of m is about to be dropped (m's processes said first). */
void recorder__drop(struct recorder *r, const struct model *m, size_t index);
/* REC_TICK, REC_POLL, REC_FINISH or REC_INTERVAL at ms (m's processes said first). */
void recorder__mark(struct recorder *r, const struct model *m, enum record_type type,
		    uint32_t ms);
/* The mappings sym knows of each process, with their build IDs (REC_OBJECT). */
void recorder__objects(struct recorder *r, struct symbolizer *sym);

/* Records and bytes written so far (compressed bytes once flushed). */
uint64_t recorder__records(const struct recorder *r);
uint64_t recorder__bytes(const struct recorder *r);
/* A write failed (already said). */
bool recorder__failed(const struct recorder *r);

/*
 * Write REC_END, finish the stream and put the file in place. 0, or a
 * negative errno with a sentence in err (also when a write failed earlier).
 */
int recorder__close(struct recorder *r, char *err, size_t err_len);
/* Free; a recording never closed is removed. */
void recorder__free(struct recorder *r);

#endif
