/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report_pprof: the heap of every traced process as one pprof profile
 * (google/pprof's profile.proto, gzip-compressed), for go tool pprof,
 * Pyroscope, Parca and other readers of that format.
 *
 * One sample per stack (site) of each process, with four values:
 * alloc_objects/count and alloc_space/bytes (everything the stack
 * allocated while traced), inuse_objects/count and inuse_space/bytes (what
 * is still outstanding; the default type). In sampled mode the values are
 * the estimates the JSON report gives, and period_type is space/bytes with
 * the sampling period. The processes are merged into one profile; each
 * sample carries the labels pid (a number), comm and, when tracing a
 * cgroup, cgroup, so `pprof -tagfocus=pid=123` shows one process.
 *
 * Each location is one return address of one process and has a mapping
 * (the mapped file, its build-id and its address range and file offset;
 * "[unknown]" when no mapping held the address); each function carries its
 * name and, for C++, its mangled name as system_name. Names come from the
 * traced process's files and are escaped as in text output.
 */
#ifndef MV_REPORT_PPROF_H
#define MV_REPORT_PPROF_H

#include <stdio.h>
#include "lib/protobuf.h"
#include "output/report_context.h"

/* The profile's protobuf bytes, uncompressed, into out. 0 or -ENOMEM. */
int report_pprof__encode(const struct report_ctx *ctx, struct pb_buf *out);

/* The profile, gzip-compressed, to out. 0 or a negative errno. */
int report_pprof__write(FILE *out, const struct report_ctx *ctx);

#endif
