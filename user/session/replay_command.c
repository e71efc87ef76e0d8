// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "lib/log.h"
#include "lib/output_file.h"
#include "output/report_folded.h"
#include "output/report_html.h"
#include "output/report_json.h"
#include "output/report_pprof.h"
#include "output/report_text.h"
#include "probes/probes.h"
#include "session/replay.h"
#include "session/replay_command.h"

#define USAGE "usage: memvigil replay FILE [-j FILE] [--jsonl=FILE] [--pprof=FILE] " \
	      "[--folded=FILE] [--html=FILE]"

/* What `memvigil replay` was asked for. */
struct replay_args {
	const char *in;
	const char *json, *jsonl, *pprof, *folded, *html;
};

/* The value of option name at argv[*i] ("--name=V", or "--name V" / "-j V"), or NULL. */
static const char *option_value(int argc, char **argv, int *i, const char *name, const char *shrt)
{
	size_t n = strlen(name);

	if (!strncmp(argv[*i], name, n) && argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if ((!strcmp(argv[*i], name) || (shrt && !strcmp(argv[*i], shrt))) && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

/* How many outputs write to stdout ('-'). */
static unsigned int stdout_outputs(const struct replay_args *a)
{
	const char *paths[] = { a->json, a->jsonl, a->pprof, a->folded };
	unsigned int i, n = 0;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		n += paths[i] && !strcmp(paths[i], "-");
	return n;
}

/* A recording named, --html to a file, at most one output on stdout. */
static int check_args(const struct replay_args *a)
{
	if (!a->in) {
		log_error("no recording given; %s", USAGE);
		return -EINVAL;
	}
	if (a->html && (!*a->html || !strcmp(a->html, "-"))) {
		log_error("--html writes to a file: give a file name");
		return -EINVAL;
	}
	if (stdout_outputs(a) > 1) {
		log_error("only one of -j, --jsonl, --pprof and --folded can write to stdout ('-'): "
			  "give the others a file");
		return -EINVAL;
	}
	return 0;
}

/* FILE and the output options from argv; -EINVAL with the usage said. */
static int parse_args(int argc, char **argv, struct replay_args *a)
{
	const char *v;
	int i;

	*a = (struct replay_args){ 0 };
	for (i = 1; i < argc; i++) {
		if ((v = option_value(argc, argv, &i, "--json", "-j")))
			a->json = v;
		else if ((v = option_value(argc, argv, &i, "--jsonl", NULL)))
			a->jsonl = v;
		else if ((v = option_value(argc, argv, &i, "--pprof", NULL)))
			a->pprof = v;
		else if ((v = option_value(argc, argv, &i, "--folded", NULL)))
			a->folded = v;
		else if ((v = option_value(argc, argv, &i, "--html", NULL)))
			a->html = v;
		else if (!a->in && (argv[i][0] != '-' || !strcmp(argv[i], "-")))
			a->in = argv[i];
		else {
			log_error("unexpected argument '%s'; %s", argv[i], USAGE);
			return -EINVAL;
		}
	}
	return check_args(a);
}

static int resolve(void *ctx, pid_t pid, uint64_t addr, struct mv_symbol *out)
{
	return symbolizer__resolve(ctx, pid, addr, out);
}

/* The final text report, as the live run printed it. */
static void write_text(struct replay *r)
{
	struct report_ctx ctx = {
		.m = r->m, .now_ms = r->final.now_ms, .opts.min_age_s = r->opts.min_age_s,
		.opts.top = r->opts.top, .opts.frames = r->opts.frames,
		.opts.detail = r->opts.verbose > 0,
		.health.mappings_followed = r->final.text_mappings_followed, .final = true,
		.resolve = resolve, .resolve_ctx = r->sym,
		.metrics = monitor__metrics(r->mon), .elapsed_ms = replay__text_elapsed(r),
	};

	memcpy(ctx.health.lost, r->final.health.lost, sizeof(ctx.health.lost));
	report_text__write(stdout, &ctx);
	fflush(stdout);
}

/* The context of the final reports, as the live run built it. */
static void final_ctx(struct replay *r, struct report_ctx *ctx)
{
	static const char *names[PROBES_K_FEATURE_CNT];
	size_t i;

	for (i = 0; i < PROBES_K_FEATURE_CNT; i++)
		names[i] = probes__kernel_feature_name(1u << i);
	*ctx = (struct report_ctx){
		.m = r->m, .now_ms = r->final.now_ms, .health = r->final.health,
		.target.pid = r->opts.pid, .target.command = r->opts.command,
		.target.command_argc = r->opts.command_argc, .target.cgroup = r->final.cgroup,
		.target.follow = r->opts.follow, .opts.top = r->opts.top,
		.opts.frames = r->opts.frames, .opts.min_age_s = r->opts.min_age_s,
		.opts.sample_bytes = r->opts.sample_bytes, .opts.echo = options__echo_json,
		.opts.echo_arg = &r->opts, .resolve = resolve,
		.resolve_ctx = r->sym, .metrics = monitor__metrics(r->mon),
		.kernel = r->final.kernel, .started_at = r->final.started_at,
	};
	ctx->health.return_probe = r->final.return_probe;
	ctx->health.unwind = r->final.has_unwind ? &r->final.unwind : NULL;
	ctx->health.kernel_signal_names = names;
	ctx->health.kernel_signal_cnt = PROBES_K_FEATURE_CNT;
	ctx->alerts = monitor__events(r->mon, &ctx->alert_cnt);
}

/* One report to path through write, put in place; said on stderr. */
static int write_one(const char *path, const char *what,
		     int (*write)(FILE *out, const struct report_ctx *ctx),
		     const struct report_ctx *ctx)
{
	struct output_file *of = NULL;
	char err[512];
	int ret = output_file__open(path, OUTPUT_REPORT, &of, err, sizeof(err));

	if (ret) {
		log_error("%s", err);
		return ret;
	}
	ret = write(output_file__stream(of), ctx);
	if (ret)
		log_error("writing the %s report failed: %s", what, strerror(-ret));
	else if ((ret = output_file__commit(of, err, sizeof(err))))
		log_error("%s", err);
	output_file__free(of);
	return ret;
}

/* Every report asked for, the text first as the live run did. */
static int write_reports(struct replay *r, const struct replay_args *a)
{
	struct report_ctx ctx;
	int ret = 0;

	if (!stdout_outputs(a))
		write_text(r);
	final_ctx(r, &ctx);
	if (a->json)
		ret = write_one(a->json, "JSON", report_json__document, &ctx);
	if (a->pprof && !ret)
		ret = write_one(a->pprof, "pprof", report_pprof__write, &ctx);
	if (a->folded && !ret)
		ret = write_one(a->folded, "folded", report_folded__write, &ctx);
	if (a->html && !ret)
		ret = write_one(a->html, "HTML", report_html__document, &ctx);
	return ret;
}

int replay_command__run(int argc, char **argv)
{
	static struct replay r;
	struct replay_args a;
	FILE *in;
	int ret;

	if (parse_args(argc, argv, &a))
		return MV_EXIT_USAGE;
	in = strcmp(a.in, "-") ? fopen(a.in, "re") : stdin;
	if (!in) {
		log_error("cannot read %s: %s", a.in, strerror(errno));
		return 1;
	}
	r.jsonl_path = a.jsonl;
	ret = replay__run(&r, in, a.in);
	if (in != stdin)
		fclose(in);
	if (!ret)
		ret = write_reports(&r, &a);
	replay__free(&r);
	return ret ? 1 : 0;
}
