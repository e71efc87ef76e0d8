/* SPDX-License-Identifier: GPL-2.0 */
/*
 * debuginfod_fetch: debug files from debuginfod servers, asked for on a
 * thread of their own, so that naming a frame never waits on the network
 * while the trace runs.
 *
 * Only when DEBUGINFOD_URLS is set and not empty: libdebuginfod (and the
 * libcurl it brings) is loaded then and never otherwise. Each build-id is
 * asked for at most once, each request bounded by DEBUGINFOD_TIMEOUT
 * (memvigil sets 5 s when it is unset) and tried once (DEBUGINFOD_RETRY_LIMIT
 * 0 when it is unset). The first failure other than "not
 * found" (a server that cannot be reached) turns debuginfod off for the rest
 * of the run and is said once, by the thread that asks next.
 *
 * Locking: one mutex guards the requests and the answers; the fetch thread
 * holds it only to take a request and to post its answer, never while it
 * waits on a server. The caller (the session's thread) owns everything else.
 */
#ifndef MV_DEBUGINFOD_FETCH_H
#define MV_DEBUGINFOD_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fetch_state {
	FETCH_OFF,	/* debuginfod is off (not asked for, or failed) */
	FETCH_PENDING,	/* asked for; no answer yet */
	FETCH_READY,	/* here is the file: *fd and *path are the caller's */
	FETCH_NONE,	/* the servers have no debug file for it */
};

struct debuginfod_fetch;

/*
 * The fetcher and its thread when DEBUGINFOD_URLS is set; NULL when it is
 * not, or when libdebuginfod cannot be loaded or started (said once).
 */
struct debuginfod_fetch *debuginfod_fetch__new(void);
/* Stops the thread: a request in flight is abandoned at its next progress call. */
void debuginfod_fetch__free(struct debuginfod_fetch *f);

/*
 * The debug file of build-id id: the first call asks for it and returns
 * FETCH_PENDING; later calls return the answer once it has come. With wait,
 * blocks until it has (each request is bounded by DEBUGINFOD_TIMEOUT): for
 * the final report, when no trace runs any more. On FETCH_READY, *fd (open)
 * and *path (malloc'ed, may be NULL) are handed over, and the next call for
 * the same id says FETCH_NONE.
 */
enum fetch_state debuginfod_fetch__get(struct debuginfod_fetch *f, const uint8_t *id,
				       size_t len, bool wait, int *fd, char **path);

#endif
