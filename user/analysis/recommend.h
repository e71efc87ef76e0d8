/* SPDX-License-Identifier: GPL-2.0 */
/*
 * recommend: what a report says to do about a process, as short sentences
 * drawn from the evidence the metrics hold (stack verdicts, the trends of
 * heap, RSS and mapped memory, the pressure level and the memory limit).
 * Pure: a stack's name comes from the caller (the symbolizer is above this
 * stage). The rules, tried in this order (docs/recommendations.md gives the
 * table and the reasons):
 *
 *   rule            when                                          severity
 *   oom_soon        memory limit known, RSS increasing: the       critical within
 *                   limit is reached within RECOMMEND_OOM_S       RECOMMEND_OOM_CRIT_S,
 *                                                                 else warning
 *   pressure        pressure level high or critical               warning / critical
 *   leak            a heap stack's verdict is leak (the           warning
 *                   RECOMMEND_LEAK_MAX largest)
 *   mapping_leak    a mapping stack's verdict is leak             warning
 *   heap_growing    heap increasing, no stack called a leak       info
 *   mapped_growing  mapped increasing while the heap is not       info
 *   rss_not_heap    RSS increasing, heap and mapped are not       info
 */
#ifndef MV_RECOMMEND_H
#define MV_RECOMMEND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "analysis/metrics.h"
#include "model/model.h"

#define RECOMMEND_MAX 8			/* recommendations per process at most */
#define RECOMMEND_LEAK_MAX 3		/* leak sentences per process at most */
#define RECOMMEND_OOM_S 3600.0		/* how soon a limit must be reached to be said */
#define RECOMMEND_OOM_CRIT_S 600.0	/* ... and to be critical */
#define RECOMMEND_TEXT_MAX 256

enum recommend_severity {
	RECOMMEND_INFO,
	RECOMMEND_WARNING,
	RECOMMEND_CRITICAL,
};

struct recommendation {
	const char *rule;		/* "leak", "oom_soon", ... (the table above) */
	enum recommend_severity severity;
	char text[RECOMMEND_TEXT_MAX];	/* one sentence, no newline; names as given */
};

/*
 * How a stack of a process is named in a sentence: its allocation site,
 * e.g. "parse_request" or "parse_request (src/req.c:88)", in buf; returns buf.
 */
typedef const char *(*recommend_name_fn)(void *ctx, pid_t key, uint32_t stack_id, char *buf,
					 size_t len);

struct recommend_input {
	const struct proc *p;
	const struct proc_metrics *pm;	/* NULL: nothing to say */
	uint64_t now_ms;		/* the report's moment */
	recommend_name_fn name;
	void *name_ctx;
};

/* The recommendations for in->p into out (room for max), in rule order; their count. */
size_t recommend__process(const struct recommend_input *in, struct recommendation *out,
			  size_t max);

/* "info", "warning", "critical". */
const char *recommend__severity_name(enum recommend_severity s);

#endif
