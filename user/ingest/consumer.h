/* SPDX-License-Identifier: GPL-2.0 */
/* consumer: decodes ring-buffer records and applies them to the model. */
#ifndef MV_CONSUMER_H
#define MV_CONSUMER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "ingest/recorder.h"
#include "memvigil/events.h"
#include "model/model.h"

struct consumer {
	struct model *model;
	uint64_t malformed;		/* records that failed to decode */
	uint64_t model_errors;		/* records the model could not store (ENOMEM) */
	struct recorder *rec;		/* --record: each record is written first; or NULL */
	/* Optional: called after the model saw the event. */
	/* img: the new code mapping, NULL if the record has none; flags: MV_PROC_* */
	void (*on_exec)(void *ctx, pid_t pid, const struct mv_exec_image *img, uint32_t flags);
	/* pid reached the entry point of the image it exec'd; flags: MV_PROC_* */
	void (*on_entry)(void *ctx, pid_t pid, uint32_t flags);
	void (*on_exit)(void *ctx, pid_t pid, int status);
	void (*on_fork)(void *ctx, pid_t parent, pid_t child, uint64_t ts_ns);
	void (*on_oom)(void *ctx, const struct oom_kill *kill);
	void *ctx;
};

/*
 * Decode one record (struct mv_event, mv_map_event or mv_oom_event, by its
 * leading type) into c->model.
 * Returns 0, or -EINVAL for a malformed record (counted, never fatal).
 * Has the signature of a libbpf ring_buffer_sample_fn with c as ctx.
 */
int consumer__handle(void *c, void *data, size_t size);

#endif
