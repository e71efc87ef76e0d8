// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/text_escape.h"
#include "model/query.h"
#include "output/frames.h"
#include "output/report_folded.h"

/* One frame: escaped, a ';' written as ':' so that it cannot split the line. */
static void put_frame(FILE *out, const char *name)
{
	char buf[256], *escaped = buf, *c;
	size_t size = TEXT_ESCAPE_SIZE(strlen(name));

	if (size > sizeof(buf))
		escaped = malloc(size);
	if (!escaped) {
		escaped = buf;
		size = sizeof(buf);	/* the name is cut rather than lost */
	}
	text_escape__copy(escaped, size, name);
	for (c = escaped; (c = strchr(c, ';')); c++)
		*c = ':';
	fputs(escaped, out);
	if (escaped != buf)
		free(escaped);
}

/* One line: the process, stack_id's frames of p from the root, then the bytes. */
static void write_stack(FILE *out, const struct report_ctx *ctx, const struct proc *p,
			uint32_t stack_id, uint64_t bytes)
{
	uint32_t depth = 0, i;
	const uint64_t *frames = stacks__frames(ctx->m->stacks, stack_id, &depth);
	struct mv_symbol sym;
	char root[sizeof(p->comm) + 32], buf[64];

	snprintf(root, sizeof(root), "%s (%d)", p->comm, p->pid);
	put_frame(out, root);
	if (!frames || !depth)
		fputs(";[no user stack]", out);
	for (i = frames ? depth : 0; i-- > 0;) {
		frames__resolve(ctx, p->key, frames[i], &sym);
		fputc(';', out);
		put_frame(out, frames__name(&sym, frames[i], buf, sizeof(buf)));
	}
	fprintf(out, " %llu\n", (unsigned long long)bytes);
}

int report_folded__write(FILE *out, const struct report_ctx *ctx)
{
	struct proc_report r;
	size_t i, j;
	double est;
	int ret;

	for (i = 0; i < ctx->m->proc_cnt; i++) {
		ret = query__build(ctx->m->procs[i], ctx->now_ms, 0, &r);
		if (ret)
			return ret;
		for (j = 0; j < r.cnt; j++) {
			/* The estimate, which is the count itself when exact. */
			est = r.sites[j].est_bytes;
			if (est >= 0.5)
				write_stack(out, ctx, ctx->m->procs[i], r.sites[j].site->stack_id,
					    (uint64_t)llround(est));
		}
		query__release(&r);
	}
	return fflush(out) || ferror(out) ? -EIO : 0;
}
