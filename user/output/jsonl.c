// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/output_file.h"
#include "model/query.h"
#include "output/frames.h"
#include "output/jsonl.h"

struct jsonl {
	struct output_file *file;
	int fd;			/* the file's: lines go to it whole, never through a stream */
	FILE *line;		/* the line being written, in memory */
	char *line_buf;
	size_t line_len;
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
	j->fd = fileno(output_file__stream(j->file));
	return j;
}

void jsonl__close(struct jsonl *j)
{
	if (!j)
		return;
	output_file__free(j->file);
	free(j);
}

/* A line is built in memory, so that the file gets it whole or not at all. */
static struct json_writer *line_begin(struct jsonl *j, const char *type)
{
	struct json_writer *w;

	j->line = open_memstream(&j->line_buf, &j->line_len);
	if (!j->line)
		return NULL;
	w = json_writer__new(j->line, false);
	if (!w) {
		fclose(j->line);
		free(j->line_buf);
		return NULL;
	}
	json_object_begin(w);
	json_string_field(w, "type", type);
	return w;
}

/*
 * Append buf to the file open at fd, all of it or, on a failed write (a
 * full disk), nothing: what was written of it is cut off again. 0 or -errno.
 */
static int append_whole(int fd, const char *buf, size_t len)
{
	struct stat st;
	size_t done = 0;
	ssize_t n;
	int err;

	if (fstat(fd, &st))
		return -errno;
	while (done < len) {
		n = write(fd, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			if (done && ftruncate(fd, st.st_size))
				return -errno;
			return err;
		}
		done += (size_t)n;
	}
	return 0;
}

static int line_end(struct jsonl *j, struct json_writer *w)
{
	int ret;

	json_object_end(w);
	ret = json_writer__finish(w);
	json_writer__free(w);
	if (!ret && fputc('\n', j->line) == EOF)
		ret = -ENOMEM;
	if (fclose(j->line) && !ret)
		ret = -ENOMEM;
	if (!ret)
		ret = append_whole(j->fd, j->line_buf, j->line_len);
	free(j->line_buf);
	j->line_buf = NULL;
	return ret;
}

static void write_stacks(struct json_writer *w, const struct report_ctx *ctx,
			 const struct proc_report *r, const struct proc_metrics *pm)
{
	bool sampled = r->proc->sample_period != 0;
	struct mv_symbol sym;
	size_t i;

	json_array_field_begin(w, "stacks");
	for (i = 0; i < r->cnt && i < ctx->opts.top; i++) {
		const struct report_site *rs = &r->sites[i];

		json_object_begin(w);
		metrics_json__count_field(w, "outstanding_bytes", sampled, rs->bytes, rs->est_bytes);
		metrics_json__count_field(w, "outstanding_allocs", sampled, rs->allocs,
					  rs->est_allocs);
		json_string_field(w, "function",
				  frames__caller(ctx, r->proc->key, rs->site->stack_id, &sym));
		metrics_json__site_fields(w, metrics__site(pm, rs->site - r->proc->sites));
		json_object_end(w);
	}
	json_array_end(w);
}

int jsonl__proc_sample(struct jsonl *j, const struct report_ctx *ctx, const struct proc *p)
{
	const struct proc_metrics *pm = ctx->metrics ? metrics__find(ctx->metrics, p->key) : NULL;
	bool sampled = p->sample_period != 0;
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
	json_string_field(w, "time", ctx->time);
	json_double_field(w, "t_s", ctx->now_ms / 1000.0);
	json_i64_field(w, "pid", p->pid);
	json_string_field(w, "comm", p->comm);
	json_bool_field(w, "exited", p->exited);
	metrics_json__count_field(w, "heap_outstanding_allocs", sampled,
				  p->heap.outstanding_allocs, p->heap.est_outstanding_allocs);
	metrics_json__count_field(w, "heap_total_allocs", sampled, p->heap.total_allocs,
				  p->heap.est_total_allocs);
	metrics_json__count_field(w, "heap_total_frees", sampled, p->heap.total_frees,
				  p->heap.est_total_frees);
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
	json_string_field(w, "time", ctx->time);
	json_double_field(w, "t_s", ctx->now_ms / 1000.0);
	json_i64_field(w, "pid", k->ev.pid);
	json_string_field(w, "comm", k->ev.comm);
	json_i64_field(w, "killer_pid", k->ev.killer_pid);
	json_bool_field(w, "victim_traced", k->victim_traced);
	json_i64_or_null_field(w, "cgroup_peer", k->cgroup_peer, k->cgroup_peer);
	json_u64_field(w, "rss_bytes", rss);
	json_u64_field(w, "heap_outstanding_bytes", k->heap_outstanding_bytes);
	json_array_field_begin(w, "stacks");
	for (i = 0; i < k->stack_cnt; i++) {
		json_object_begin(w);
		json_string_field(w, "function",
				  frames__caller(ctx, k->ev.pid, k->stacks[i].stack_id, &sym));
		json_u64_field(w, "outstanding_bytes", k->stacks[i].bytes);
		json_u64_field(w, "outstanding_allocs", k->stacks[i].allocs);
		json_object_end(w);
	}
	json_array_end(w);
	return line_end(j, w);
}
