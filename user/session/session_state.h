/* SPDX-License-Identifier: GPL-2.0 */
/*
 * session_state: what one run of memvigil holds, shared by the session's
 * phases (session.c) and its reports (session_reports.c). Only session/
 * includes it.
 */
#ifndef MV_SESSION_STATE_H
#define MV_SESSION_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <time.h>
#include "ingest/consumer.h"
#include "ingest/recorder.h"
#include "lib/event_loop.h"
#include "lib/output_file.h"
#include "model/model.h"
#include "output/report_context.h"
#include "probes/probes.h"
#include "probes/unwind_maps.h"
#include "serve/server.h"
#include "serve/token_file.h"
#include "session/monitor.h"
#include "session/options.h"
#include "symbolize/symbolizer.h"
#include "target/cgroup_watch.h"
#include "target/child.h"
#include "target/targets.h"

struct session {
	struct options opts;
	pid_t pid;			/* -p PID or the launched command */
	struct child child;		/* the launched command */
	struct output_file *json_file;	/* -j */
	FILE *json_out;
	struct output_file *pprof_file;	/* --pprof */
	struct output_file *folded_file;	/* --folded */
	struct output_file *html_file;	/* --html */
	struct recorder *rec;		/* --record */
	uint64_t t0_ns;
	time_t started_wall;
	struct model *model;
	struct symbolizer *sym;
	struct probes *probes;
	struct targets *targets;
	bool cgroup_mode;		/* --cgroup */
	struct cgroup_watch cgw;
	struct event_loop *loop;
	struct monitor *mon;		/* metrics, alerts, --jsonl */
	struct consumer consumer;
	uint32_t last_report_ms;
	uint32_t traced_from_ms;	/* the banner: -d counts from here, not from loading */
	uint32_t last_sample_ms;
	uint32_t final_ms;		/* the final reports' moment (all of them), 0 before */
	int listen_fd;			/* --listen's socket until the server owns it, or -1 */
	struct server *srv;		/* --listen */
	char listen_at[64];		/* --listen's address, normalised */
	char token[TOKEN_FILE_MAX + 1];	/* --listen-token-file's token, "" if none */
	char err[512];
	char ld_preload[8192];	/* --preload: the launched command's LD_PRELOAD */
};

/* ms since tracing began. */
uint32_t session__now_ms(const struct session *s);

/* The symbolizer as the reports' resolve callback (ctx: the symbolizer). */
int session__resolve_symbol(void *ctx, pid_t pid, uint64_t addr, struct mv_symbol *out);

/* Whether stdout carries data (-j -, --jsonl -, --pprof -, --folded -), so text goes to stderr. */
bool session__stdout_is_data(const struct session *s);

/* The one-line banner once tracing begins. */
void session__print_banner(struct session *s);

/* A line at once when the OOM killer strikes a traced process or its cgroup. */
void session__on_oom(void *ctx, const struct oom_kill *k);

/* The text report (an interval's, or the final one). */
void session__print_report(struct session *s, bool final);

/* --record: the header's facts (version, kernel, start, options), once t0_ns is set. */
void session__record_meta(struct session *s);

/* What the reports are made of: the context and what it points to. */
struct final_report {
	struct report_ctx ctx;
	struct unwind_health unwind;
	struct utsname u;
	char started[64];
};

/*
 * --record: the mappings frames are named from, what the final reports were
 * made of (REC_FINAL), then the end. 0 or a negative errno, said on stderr.
 */
int session__record_close(struct session *s);

/* Fill fr with the report context of now (the final reports', and the live server's). */
void session__build_report(struct session *s, struct final_report *fr);

/* --listen: check the address, read the token, bind; before anything is attached. */
int session_serve__open(struct session *s);

/* --listen: start answering from s->loop; 0 or a negative errno, said on stderr. */
int session_serve__start(struct session *s);

/* --listen: answer what is ready and close idle connections (each loop turn). */
void session_serve__poll(struct session *s);

void session_serve__free(struct session *s);

/* The final reports asked for (-j, --pprof, --folded, --html). 0 or a negative errno, said on stderr. */
int session__write_final(struct session *s);

#endif
