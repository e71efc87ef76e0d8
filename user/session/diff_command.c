// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/stack_diff.h"
#include "lib/file_read.h"
#include "lib/format.h"
#include "lib/grow.h"
#include "lib/json_reader.h"
#include "lib/json_writer.h"
#include "lib/log.h"
#include "lib/text_escape.h"
#include "session/diff_command.h"
#include "session/html_command.h"
#include "session/options.h"

#define USAGE "usage: memvigil diff OLD.json NEW.json [-j]"
#define DIFF_FRAMES_SHOWN 12

/* One report: its stacks summed by key, and its whole outstanding heap. */
struct diff_side {
	const char *path;
	struct stack_sum *sums;
	size_t cnt, cap;
	uint64_t bytes, blocks;
};

/* The last component of a module path ("?" for none). */
static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path ? path : "?";
}

/* A stack's frames as its key: "symbol (module)" or "module+0xOFFSET" per line. */
static char *stack_key(const struct json_value *frames)
{
	char *key = NULL, line[1024];
	size_t len = 0, i, n;
	const struct json_value *f;
	const char *sym;

	for (i = 0; frames && frames->type == JSON_ARRAY && i < frames->cnt; i++) {
		f = &frames->items[i];
		sym = json_reader__string(json_reader__get(f, "symbol"));
		if (sym)
			n = snprintf(line, sizeof(line), "%s (%s)\n", sym,
				     base_name(json_reader__string(json_reader__get(f, "module"))));
		else
			n = snprintf(line, sizeof(line), "%s+0x%" PRIx64 "\n",
				     base_name(json_reader__string(json_reader__get(f, "module"))),
				     (uint64_t)json_reader__number(json_reader__get(f, "offset"), 0));
		n = n < sizeof(line) ? n : sizeof(line) - 1;
		key = realloc(key, len + n + 1);
		if (!key)
			return NULL;
		memcpy(key + len, line, n);
		len += n;
	}
	if (!key)
		return strdup("(no frames)\n");
	key[len] = '\0';
	return key;
}

/* Add the stacks of one process of a report to d. */
static int side_add_process(struct diff_side *d, const struct json_value *proc)
{
	const struct json_value *stacks = json_reader__get(proc, "stacks"), *s;
	const struct json_value *heap = json_reader__get(proc, "heap");
	struct stack_sum *grown;
	size_t i;

	d->bytes += json_reader__number(json_reader__get(heap, "outstanding_bytes"), 0);
	d->blocks += json_reader__number(json_reader__get(heap, "outstanding_allocs"), 0);
	for (i = 0; stacks && stacks->type == JSON_ARRAY && i < stacks->cnt; i++) {
		s = &stacks->items[i];
		grown = grow__array(d->sums, &d->cap, d->cnt + 1, sizeof(*grown), 64);
		if (!grown)
			return -ENOMEM;
		d->sums = grown;
		d->sums[d->cnt].key = stack_key(json_reader__get(s, "frames"));
		if (!d->sums[d->cnt].key)
			return -ENOMEM;
		d->sums[d->cnt].bytes = json_reader__number(json_reader__get(s, "outstanding_bytes"), 0);
		d->sums[d->cnt++].blocks =
			json_reader__number(json_reader__get(s, "outstanding_allocs"), 0);
	}
	return 0;
}

/* Read and parse path into d; a negative errno said in one line. */
static int side_load(struct diff_side *d, const char *path)
{
	const struct json_value *procs;
	struct json_value *doc;
	char err[256], *text = NULL;
	size_t len, i;
	int ret = file_read__all(path, HTML_COMMAND_MAX_BYTES, &text, &len);

	d->path = path;
	if (ret) {
		log_error("cannot read %s: %s", path, ret == -EFBIG ? "larger than a report" :
			  strerror(-ret));
		return ret;
	}
	doc = json_reader__parse(text, len, err, sizeof(err));
	free(text);
	procs = json_reader__get(doc, "processes");
	if (!doc || !procs || procs->type != JSON_ARRAY) {
		log_error("%s is not a JSON report memvigil wrote (%s): give a file -j wrote", path,
			  doc ? "no processes" : err);
		json_reader__free(doc);
		return -EINVAL;
	}
	for (ret = 0, i = 0; !ret && i < procs->cnt; i++)
		ret = side_add_process(d, &procs->items[i]);
	json_reader__free(doc);
	if (ret)
		log_error("out of memory");
	return ret;
}

static void side_free(struct diff_side *d)
{
	size_t i;

	for (i = 0; i < d->cnt; i++)
		free((char *)d->sums[i].key);
	free(d->sums);
}

/* "+1.5 KiB" (or "-..."), the sign of delta before its size. */
static const char *signed_bytes(int64_t delta, char *buf, size_t len)
{
	char size[32];

	format_bytes(delta < 0 ? -(uint64_t)delta : (uint64_t)delta, size, sizeof(size));
	snprintf(buf, len, "%s%s", delta < 0 ? "-" : "+", size);
	return buf;
}

/* A stack's key as frame lines, at most DIFF_FRAMES_SHOWN of them. */
static void print_frames(FILE *out, const char *key)
{
	size_t shown = 0, more = 0, n;
	char line[1024];

	for (; *key; key += n + 1) {
		n = strcspn(key, "\n");
		if (shown == DIFF_FRAMES_SHOWN) {
			more++;
			continue;
		}
		snprintf(line, sizeof(line), "%.*s", (int)n, key);
		fputs("        ", out);
		text_escape__fputs(out, line);
		fputc('\n', out);
		shown++;
	}
	if (more)
		fprintf(out, "        ... %zu more frame%s\n", more, format_plural(more));
}

static void print_text(FILE *out, const struct diff_side *o, const struct diff_side *n,
		       const struct stack_change *c, size_t cnt)
{
	size_t kinds[STACK_CHANGE_CNT] = { 0 }, i;
	char a[32], b[32], d[48];

	for (i = 0; i < cnt; i++)
		kinds[c[i].kind]++;
	fprintf(out, "outstanding heap %s in %" PRIu64 " blocks -> %s in %" PRIu64 " blocks "
		"(%s, %+" PRId64 " blocks)\n", format_bytes(o->bytes, a, sizeof(a)), o->blocks,
		format_bytes(n->bytes, b, sizeof(b)), n->blocks,
		signed_bytes((int64_t)(n->bytes - o->bytes), d, sizeof(d)),
		(int64_t)(n->blocks - o->blocks));
	fprintf(out, "stacks: %zu grew, %zu shrank, %zu appeared, %zu disappeared, %zu the same\n",
		kinds[STACK_GREW], kinds[STACK_SHRANK], kinds[STACK_APPEARED],
		kinds[STACK_DISAPPEARED], kinds[STACK_SAME]);
	for (i = 0; i < cnt; i++) {
		if (c[i].kind == STACK_SAME)
			continue;
		fprintf(out, "%-11s %s (%+" PRId64 " bytes), %+" PRId64 " blocks: %s in %" PRIu64
			" -> %s in %" PRIu64 "\n", stack_diff__kind_name(c[i].kind),
			signed_bytes(c[i].bytes_delta, d, sizeof(d)), c[i].bytes_delta,
			c[i].blocks_delta, format_bytes(c[i].old_bytes, a, sizeof(a)),
			c[i].old_blocks, format_bytes(c[i].new_bytes, b, sizeof(b)), c[i].new_blocks);
		print_frames(out, c[i].key);
	}
}

/* The key's frames as a JSON array of strings. */
static void json_frames(struct json_writer *w, const char *key)
{
	char line[1024];
	size_t n;

	json_array_field_begin(w, "frames");
	for (; *key; key += n + 1) {
		n = strcspn(key, "\n");
		snprintf(line, sizeof(line), "%.*s", (int)n, key);
		json_string(w, line);
	}
	json_array_end(w);
}

static int print_json(FILE *out, const struct diff_side *o, const struct diff_side *n,
		      const struct stack_change *c, size_t cnt)
{
	struct json_writer *w = json_writer__new(out, true);
	size_t i;
	int ret;

	if (!w)
		return -ENOMEM;
	json_object_begin(w);
	json_string_field(w, "old", o->path);
	json_string_field(w, "new", n->path);
	json_u64_field(w, "old_bytes", o->bytes);
	json_u64_field(w, "new_bytes", n->bytes);
	json_u64_field(w, "old_blocks", o->blocks);
	json_u64_field(w, "new_blocks", n->blocks);
	json_array_field_begin(w, "stacks");
	for (i = 0; i < cnt; i++) {
		json_object_begin(w);
		json_string_field(w, "change", stack_diff__kind_name(c[i].kind));
		json_i64_field(w, "bytes_delta", c[i].bytes_delta);
		json_i64_field(w, "blocks_delta", c[i].blocks_delta);
		json_u64_field(w, "old_bytes", c[i].old_bytes);
		json_u64_field(w, "new_bytes", c[i].new_bytes);
		json_u64_field(w, "old_blocks", c[i].old_blocks);
		json_u64_field(w, "new_blocks", c[i].new_blocks);
		json_frames(w, c[i].key);
		json_object_end(w);
	}
	json_array_end(w);
	json_object_end(w);
	ret = json_writer__finish(w);
	json_writer__free(w);
	return ret;
}

int diff_command__run(int argc, char **argv)
{
	struct diff_side o = { 0 }, n = { 0 };
	const char *paths[2] = { NULL, NULL };
	struct stack_change *c = NULL;
	int i, k = 0, ret, json = 0;
	size_t cnt = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			json = 1;
		else if (k < 2 && (argv[i][0] != '-' || !strcmp(argv[i], "-")))
			paths[k++] = argv[i];
		else
			break;
	}
	if (i < argc || k < 2) {
		log_error("%s%s", i < argc ? "unexpected argument; " : "", USAGE);
		return MV_EXIT_USAGE;
	}
	ret = side_load(&o, paths[0]);
	if (!ret)
		ret = side_load(&n, paths[1]);
	if (!ret && stack_diff__compute(o.sums, o.cnt, n.sums, n.cnt, &c, &cnt))
		ret = -ENOMEM;
	if (!ret && json)
		ret = print_json(stdout, &o, &n, c, cnt);
	else if (!ret)
		print_text(stdout, &o, &n, c, cnt);
	if (!ret && fflush(stdout))
		ret = -errno;
	free(c);
	side_free(&o);
	side_free(&n);
	return ret ? 1 : 0;
}
