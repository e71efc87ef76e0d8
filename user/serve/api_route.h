/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api_route: what one HTTP request target ("/path?query", as it came off the
 * wire) asks the live server for: the endpoint, the PID in the path and the
 * query's parameters, or why it is not found (404) or malformed (400).
 * Pure: no I/O, no allocation.
 *
 * Paths match exactly (no trailing '/', no "//", no "."); a path segment or
 * a parameter may be percent-encoded. Each endpoint accepts only the
 * parameters it documents (docs/api.md); any other is a 400.
 */
#ifndef MV_API_ROUTE_H
#define MV_API_ROUTE_H

#include <stddef.h>
#include <sys/types.h>

/* Longest request target parsed; a longer one is a 400 (the server caps it anyway). */
#define API_TARGET_MAX 2048
/* ?top=N of the stacks endpoint: default and bounds. */
#define API_TOP_DEFAULT 10
#define API_TOP_MAX 10000

enum api_endpoint {
	API_NONE,		/* not found or malformed: see status */
	API_DASHBOARD,		/* / */
	API_METRICS,		/* /metrics */
	API_PPROF_HEAP,		/* /debug/pprof/heap */
	API_PROCESSES,		/* /api/v1/processes */
	API_PROCESS,		/* /api/v1/processes/{pid} */
	API_STACKS,		/* /api/v1/processes/{pid}/stacks?top=N */
	API_REPORT,		/* /api/v1/report */
	API_ALERTS,		/* /api/v1/alerts */
	API_HEALTHZ,		/* /healthz */
	API_ENDPOINT_CNT,
};

struct api_route {
	enum api_endpoint endpoint;
	int status;		/* 200, or 400 / 404 with why */
	pid_t pid;		/* API_PROCESS, API_STACKS */
	unsigned int top;	/* API_STACKS */
	char why[160];		/* the error's one line, "" on 200 */
};

/* Parse target into r; returns r->status (200, 400 or 404). */
int api_route__parse(const char *target, struct api_route *r);

/* The path an endpoint is served at ("/api/v1/processes/{pid}" for a pattern). */
const char *api_route__path(enum api_endpoint e);

/*
 * Decode percent-encoding of src[0..len) into dst (size bytes, NUL-terminated);
 * '+' stays '+'. Returns the decoded length, or -1 when an escape is malformed,
 * decodes to NUL, or the result does not fit.
 */
int api_route__unescape(const char *src, size_t len, char *dst, size_t size);

#endif
