// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lib/output_file.h"
#include "model/query.h"
#include "output/frames.h"
#include "output/jsonl.h"

struct jsonl {
	struct output_file *file;
	FILE *out;
};

struct jsonl *jsonl__open(const char *path, char *err, size_t err_len)
{
	struct jsonl *j = calloc(1, sizeof(*j));
	int ret;

	if (!j) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	ret = output_file__open(path, OUTPUT_APPEND, &j->file, err, err_len);
	if (ret) {
		free(j);
		errno = -ret;
		return NULL;
	}
	j->out = output_file__stream(j->file);
	return j;
}

void jsonl__close(struct jsonl *j)
{
	if (!j)
		return;
	fflush(j->out);
	output_file__free(j->file);
	free(j);
}

static struct json_writer *line_begin(struct jsonl *j, const char *type)
{
	struct json_writer *w = json_writer__new(j->out, false);

	if (!w)
		return NULL;
	json_object_begin(w);
	json_key(w, "type");
	json_string(w, type);
	return w;
}

static int line_end(struct jsonl *j, struct json_writer *w)
{
	int ret;

	json_object_end(w);
	ret = json_writer__finish(w);
	json_writer__free(w);
	if (!ret && (fputc('\n', j->out) == EOF || fflush(j->out)))
		ret = -EIO;
	return ret;
}

static void write_stacks(struct json_writer *w, const struct report_ctx *ctx,
			 const struct proc_report *r, const struct proc_metrics *pm)
{
	struct mv_symbol sym;
	size_t i;

	json_key(w, "stacks");
	json_array_begin(w);
	for (i = 0; i < r->cnt && i < ctx->opts.top; i++) {
		const struct report_site *rs = &r->sites[i];

		json_object_begin(w);
		json_key(w, "outstanding_bytes");
		json_u64(w, rs->bytes);
		json_key(w, "outstanding_allocs");
		json_u64(w, rs->allocs);
		json_key(w, "function");
		json_string(w, frames__caller(ctx, r->proc->key, rs->site->stack_id, &sym));
		metrics_json__site_fields(w, metrics__site(pm, rs->site - r->proc->sites));
		json_object_end(w);
	}
	json_array_end(w);
}

int jsonl__proc_sample(struct jsonl *j, const struct report_ctx *ctx, const struct proc *p)
{
	const struct proc_metrics *pm = ctx->metrics ? metrics__find(ctx->metrics, p->key) : NULL;
	struct json_writer *w;
	struct proc_report r;
	int ret;

	ret = query__build(p, ctx->now_ms, 0, &r);
	if (ret)
		return ret;
	w = line_begin(j, "sample");
	if (!w) {
		query__release(&r);
		return -ENOMEM;
	}
	json_key(w, "time");
	json_string(w, ctx->time);
	json_key(w, "t_s");
	json_double(w, ctx->now_ms / 1000.0);
	json_key(w, "pid");
	json_i64(w, p->pid);
	json_key(w, "comm");
	json_string(w, p->comm);
	json_key(w, "exited");
	json_bool(w, p->exited);
	json_key(w, "heap_outstanding_allocs");
	json_u64(w, p->heap.outstanding_allocs);
	json_key(w, "heap_total_allocs");
	json_u64(w, p->heap.total_allocs);
	json_key(w, "heap_total_frees");
	json_u64(w, p->heap.total_frees);
	json_key(w, "metrics");
	metrics_json__proc(w, pm, report_ctx__window_ms(ctx));
	write_stacks(w, ctx, &r, pm);
	query__release(&r);
	return line_end(j, w);
}

int jsonl__alert(struct jsonl *j, const struct alert_event *ev)
{
	struct json_writer *w = line_begin(j, "alert");

	if (!w)
		return -ENOMEM;
	json_key(w, "event");
	metrics_json__alert(w, ev);
	return line_end(j, w);
}

int jsonl__oom_kill(struct jsonl *j, const struct report_ctx *ctx, const struct oom_kill *k)
{
	const struct model *m = ctx->m;
	struct json_writer *w = line_begin(j, "oom");
	struct mv_symbol sym;
	uint64_t rss = 0;
	uint32_t i;

	if (!w)
		return -ENOMEM;
	for (i = 0; i < MV_RSS_CNT; i++)
		if (i != MV_RSS_SWAP)
			rss += k->ev.rss_pages[i] * m->page_bytes;
	json_key(w, "time");
	json_string(w, ctx->time);
	json_key(w, "t_s");
	json_double(w, ctx->now_ms / 1000.0);
	json_key(w, "pid");
	json_i64(w, k->ev.pid);
	json_key(w, "comm");
	json_string(w, k->ev.comm);
	json_key(w, "killer_pid");
	json_i64(w, k->ev.killer_pid);
	json_key(w, "victim_traced");
	json_bool(w, k->victim_traced);
	json_key(w, "cgroup_peer");
	if (k->cgroup_peer)
		json_i64(w, k->cgroup_peer);
	else
		json_null(w);
	json_key(w, "rss_bytes");
	json_u64(w, rss);
	json_key(w, "heap_outstanding_bytes");
	json_u64(w, k->heap_outstanding_bytes);
	json_key(w, "stacks");
	json_array_begin(w);
	for (i = 0; i < k->stack_cnt; i++) {
		json_object_begin(w);
		json_key(w, "function");
		json_string(w, frames__caller(ctx, k->ev.pid, k->stacks[i].stack_id, &sym));
		json_key(w, "outstanding_bytes");
		json_u64(w, k->stacks[i].bytes);
		json_key(w, "outstanding_allocs");
		json_u64(w, k->stacks[i].allocs);
		json_object_end(w);
	}
	json_array_end(w);
	return line_end(j, w);
}
