// SPDX-License-Identifier: GPL-2.0
/* session_reports: the session's banner, text reports and final reports (JSON, pprof, folded, HTML). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "lib/clock.h"
#include "lib/format.h"
#include "lib/log.h"
#include "lib/text_escape.h"
#include "output/report_folded.h"
#include "output/report_html.h"
#include "output/report_json.h"
#include "output/report_pprof.h"
#include "output/report_text.h"
#include "session/session_state.h"

uint32_t session__now_ms(const struct session *s)
{
	return (clock__mono_ns() - s->t0_ns) / 1000000;
}

int session__resolve_symbol(void *ctx, pid_t pid, uint64_t addr, struct mv_symbol *out)
{
	return symbolizer__resolve(ctx, pid, addr, out);
}

bool session__stdout_is_data(const struct session *s)
{
	return options__stdout_outputs(&s->opts) > 0;
}

/*
 * The banner goes where reports go: stderr when stdout carries JSON. The
 * process's comm and paths are escaped (text_escape.h).
 */
void session__print_banner(struct session *s)
{
	struct proc *p = model__find(s->model, s->pid);
	FILE *out = session__stdout_is_data(s) ? stderr : stdout;
	char sampling[96] = "", period[32], comm[TEXT_ESCAPE_SIZE(sizeof(p->comm))];

	if (s->opts.sample_bytes)
		snprintf(sampling, sizeof(sampling), ", sampled every %s (figures are estimates)",
			 format_bytes(s->opts.sample_bytes, period, sizeof(period)));
	if (s->cgroup_mode) {
		fputs("Tracing cgroup ", out);
		text_escape__fputs(out, s->cgw.cg.path);
		fprintf(out, " (%s, %zu processes)%s... Ctrl-C to end.\n", s->cgw.cg.v2 ? "v2" : "v1",
			targets__count_state(s->targets, TARGET_ATTACHED), sampling);
		fflush(out);
		return;
	}

	text_escape__copy(comm, sizeof(comm), p ? p->comm : "?");
	if (s->opts.kernel_only) {
		fprintf(out, "Tracing PID %d (%s) kernel signals only, no heap probes%s... "
			"Ctrl-C to end.\n", s->pid, comm, s->child.launched ? ", command held until now" : "");
	} else {
		fprintf(out, "Tracing PID %d (%s) heap via ", s->pid, comm);
		text_escape__fputs(out, p && p->alloc_lib ? p->alloc_lib : "?");
		fprintf(out, "%s%s%s... Ctrl-C to end.\n", p && p->via_sampler ? " (sampler path)" : "",
			s->child.launched ? ", command held until now" : "", sampling);
	}
	fflush(out);
}

/* The OOM killer struck a traced process or its memory cgroup: a line at once. */
void session__on_oom(void *ctx, const struct oom_kill *k)
{
	struct session *s = ctx;
	struct report_ctx rc = { .m = s->model, .now_ms = session__now_ms(s),
				 .opts.frames = s->opts.frames,
				 .resolve = session__resolve_symbol, .resolve_ctx = s->sym };

	report_text__oom_kill(session__stdout_is_data(s) ? stderr : stdout, &rc, k);
	monitor__oom(s->mon, s->model, k, session__now_ms(s));
}

void session__print_report(struct session *s, bool final)
{
	uint64_t cpu0;
	struct report_ctx ctx = {
		.m = s->model,
		.now_ms = final && s->final_ms ? s->final_ms : session__now_ms(s),
		.opts.min_age_s = s->opts.min_age_s,
		.opts.top = s->opts.top,
		.opts.frames = s->opts.frames,
		.opts.detail = s->opts.verbose > 0,
		.health.mappings_followed = probes__kernel_features(s->probes) & PROBES_K_MAPS,
		.final = final,
		.resolve = session__resolve_symbol,
		.resolve_ctx = s->sym,
		.metrics = monitor__metrics(s->mon),
	};

	probes__drain(s->probes);
	probes__losses(s->probes, ctx.health.lost);
	ctx.elapsed_ms = ctx.now_ms - s->last_report_ms;
	if (session__stdout_is_data(s))
		return;	/* stdout carries the JSON document or lines */
	cpu0 = clock__cpu_ns();
	report_text__write(stdout, &ctx);
	log_info("report took %.3f ms of CPU", (clock__cpu_ns() - cpu0) / 1e6);
	s->last_report_ms = ctx.now_ms;
	recorder__mark(s->rec, s->model, REC_INTERVAL, ctx.now_ms);
	model__start_interval(s->model);
}

void session__build_report(struct session *s, struct final_report *fr)
{
	static const char *feature_names[PROBES_K_FEATURE_CNT];
	struct report_ctx *ctx = &fr->ctx;
	uint64_t max_ns, median_ns;
	size_t forks, i;

	*ctx = (struct report_ctx){
		.m = s->model,
		.target.pid = s->opts.pid,
		.target.command = s->opts.command,
		.target.command_argc = s->opts.command_argc,
		.opts.top = s->opts.top,
		.opts.frames = s->opts.frames,
		.health.mappings_followed = probes__mappings_via(s->probes) != NULL,
		.opts.min_age_s = s->opts.min_age_s,
		.health.unwind = &fr->unwind,
		.now_ms = s->final_ms ? s->final_ms : session__now_ms(s),
		.opts.sample_bytes = s->opts.sample_bytes,
		.opts.echo = options__echo_json,
		.opts.echo_arg = &s->opts,
		.health.return_probe = probes__return_probe(s->probes),
		.resolve = session__resolve_symbol,
		.resolve_ctx = s->sym,
		.metrics = monitor__metrics(s->mon),
		.health.alerts_not_kept = monitor__events_dropped(s->mon),
		.health.on_alert_skipped = monitor__actions_skipped(s->mon),
		.health.files_skipped = s->targets ? targets__files_skipped(s->targets) : 0,
		.health.debug_files_skipped = symbolizer__debug_files_skipped(s->sym),
	};
	for (i = 0; i < PROBES_K_FEATURE_CNT; i++)
		feature_names[i] = probes__kernel_feature_name(1u << i);
	ctx->health.kernel_signals = probes__kernel_features(s->probes);
	ctx->health.kernel_signal_names = feature_names;
	ctx->health.kernel_signal_cnt = PROBES_K_FEATURE_CNT;
	ctx->alerts = monitor__events(s->mon, &ctx->alert_cnt);
	uname(&fr->u);
	targets__fork_delays(s->targets, &forks, &max_ns, &median_ns);
	ctx->target.follow = s->opts.follow;
	ctx->target.cgroup = s->cgroup_mode ? s->cgw.cg.path : NULL;
	for (i = 0; i < targets__cnt(s->targets); i++) {
		if (targets__at(s->targets, i)->attached_ns)
			ctx->health.attached++;
		else
			ctx->health.attach_failed++;
	}
	ctx->health.fork_attach_cnt = forks;
	ctx->health.fork_attach_max_ms = max_ns / 1e6;
	ctx->health.fork_attach_median_ms = median_ns / 1e6;
	strftime(fr->started, sizeof(fr->started), "%Y-%m-%dT%H:%M:%SZ",
		 gmtime(&s->started_wall));
	ctx->kernel = fr->u.release;
	ctx->started_at = fr->started;
	probes__losses(s->probes, ctx->health.lost);
	probes__unwind_health(s->probes, &fr->unwind);
}

/* One final report through write into of, then put in place; said on stderr. */
static int write_final(struct session *s, struct output_file *of, const char *what,
		       int (*write)(FILE *out, const struct report_ctx *ctx),
		       const struct report_ctx *ctx)
{
	int ret;

	errno = 0;
	ret = write(output_file__stream(of), ctx);
	/* Writers return -EIO for any failed write: the stream's errno says which (ENOSPC). */
	if (ret == -EIO && ferror(output_file__stream(of)) && errno)
		ret = -errno;
	if (ret) {
		log_error("writing the %s report to %s failed: %s", what, output_file__path(of),
			  strerror(-ret));
		return ret;
	}
	ret = output_file__commit(of, s->err, sizeof(s->err));
	if (ret)
		log_error("%s", s->err);
	return ret;
}

int session__write_final(struct session *s)
{
	struct final_report fr;
	int ret = 0;

	session__build_report(s, &fr);
	if (s->json_file)
		ret = write_final(s, s->json_file, "JSON", report_json__document, &fr.ctx);
	if (s->pprof_file && !ret)
		ret = write_final(s, s->pprof_file, "pprof", report_pprof__write, &fr.ctx);
	if (s->folded_file && !ret)
		ret = write_final(s, s->folded_file, "folded", report_folded__write, &fr.ctx);
	if (s->html_file && !ret)
		ret = write_final(s, s->html_file, "HTML", report_html__document, &fr.ctx);
	return ret;
}
