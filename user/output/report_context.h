/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report_context: everything a writer reads besides its output stream: the
 * model and its metrics at one moment, how to name addresses, what was
 * asked (target, options) and how tracing went (attach results, losses,
 * what was left out). Built once per report by the session and read, never
 * changed, by every writer: the text report, the JSON report, the JSONL
 * lines. Fields a writer does not show may stay zero.
 */
#ifndef MV_REPORT_CONTEXT_H
#define MV_REPORT_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "analysis/alert.h"
#include "analysis/metrics.h"
#include "memvigil/events.h"
#include "model/model.h"
#include "symbolize/symbolizer.h"

struct alert_event;
struct unwind_health;

/* What is traced (the JSON report's "target"). */
struct report_target {
	pid_t pid;			/* -p; 0 when a command was launched */
	char *const *command;		/* the launched command, NULL with -p */
	int command_argc;
	const char *cgroup;		/* --cgroup path, NULL if none */
	bool follow;			/* -f */
};

struct json_writer;

/*
 * Writes the options the JSON report echoes, as members of the open object
 * (the session's options table drives it: session/options.h).
 */
typedef void (*report_echo_fn)(struct json_writer *w, const void *arg);

/* The options a report obeys, and how the JSON report echoes them all. */
struct report_options {
	unsigned int top;		/* stacks shown per process (-n) */
	unsigned int frames;		/* frames shown per stack (--frames), 0 = all */
	bool detail;			/* -v: the text's kernel detail in full, not compact */
	double min_age_s;		/* --min-age */
	uint64_t sample_bytes;		/* sampling period, 0 = exact */
	bool compact;			/* JSON without whitespace (the live API), not pretty */
	report_echo_fn echo;		/* NULL: the JSON report's options are {} */
	const void *echo_arg;
};

/* How tracing went: what is attached, and the count of everything lost or left out. */
struct report_health {
	uint64_t lost[MV_LOSS_CNT];	/* enum mv_loss (probes__losses) */
	uint32_t attached;		/* processes attached */
	uint32_t attach_failed;		/* processes that could not be attached */
	uint32_t fork_attach_cnt;	/* forked children attached */
	double fork_attach_max_ms;	/* their delay from fork to probes live */
	double fork_attach_median_ms;
	uint64_t files_skipped;		/* files of traced processes refused (mapped_file.h) */
	uint64_t debug_files_skipped;	/* debug files not the object's, or unreadable */
	uint64_t alerts_not_kept;	/* fired beyond what the report keeps */
	uint64_t on_alert_skipped;	/* --on-alert runs the rate limit skipped */
	const char *return_probe;	/* "session" or "uretprobe"; NULL: "uretprobe" */
	bool mappings_followed;		/* the mmap-family hooks are in place */
	uint32_t kernel_signals;	/* bit i: kernel_signal_names[i] is attached */
	const char *const *kernel_signal_names;
	unsigned int kernel_signal_cnt;
	const struct unwind_health *unwind;	/* table-driven unwinding; NULL: not shown */
};

struct report_ctx {
	const struct model *m;
	const struct metrics *metrics;	/* growth, trends, verdicts; NULL: not shown */
	const struct alert_event *alerts;	/* alerts fired, oldest first */
	size_t alert_cnt;
	symbol_resolve_fn resolve;	/* NULL: frames are shown as addresses */
	void *resolve_ctx;
	uint32_t now_ms;		/* the report's moment, ms since tracing began */
	uint32_t elapsed_ms;		/* since the previous report (the text's rates) */
	const char *time;		/* now as RFC 3339 UTC (the JSONL lines) */
	const char *started_at;		/* when tracing began, RFC 3339 UTC */
	const char *kernel;		/* uname -r */
	bool final;			/* the report at the end of tracing */
	struct report_target target;
	struct report_options opts;
	struct report_health health;
};

/* Events lost on the way to user space (every loss but cut stacks). */
static inline uint64_t report_ctx__lost_events(const struct report_ctx *ctx)
{
	const uint64_t *lost = ctx->health.lost;

	return lost[MV_LOSS_RINGBUF] + lost[MV_LOSS_INFLIGHT] + lost[MV_LOSS_KSTATS] +
	       lost[MV_LOSS_SYSCALL] + lost[MV_LOSS_SAMPLED_FULL];
}

/* The metrics window in ms, 0 without metrics. */
static inline uint64_t report_ctx__window_ms(const struct report_ctx *ctx)
{
	return ctx->metrics ? metrics__window_ms(ctx->metrics) : 0;
}

#endif
