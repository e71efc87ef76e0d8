// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "ingest/record_reader.h"
#include "ingest/recorder.h"
#include "session/record_final.h"

static char dir[] = "/tmp/mv-test-recorder-XXXXXX";
static char path[256];

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/trace.mvr", dir);
}

static void teardown(void)
{
	unlink(path);
	rmdir(dir);
}

static struct recorder *open_recorder(void)
{
	struct recorder *r = NULL;
	char err[256];

	cr_assert_eq(recorder__open(path, &r, err, sizeof(err)), 0, "%s", err);
	return r;
}

static void close_recorder(struct recorder *r)
{
	char err[256];

	cr_assert_eq(recorder__close(r, err, sizeof(err)), 0, "%s", err);
	recorder__free(r);
}

/* The types of the records of path, in order, up to REC_END; *cnt of them. */
static size_t read_types(uint32_t *types, size_t cap, const void **last, size_t *last_len)
{
	FILE *f = fopen(path, "re");
	struct record_reader *rd = NULL;
	const void *p;
	struct rec_head h;
	char err[256];
	size_t n = 0;
	int ret;

	cr_assert_not_null(f);
	cr_assert_eq(record_reader__open(f, "t", &rd, err, sizeof(err)), 0, "%s", err);
	while ((ret = record_reader__next(rd, &h, &p, err, sizeof(err))) > 0) {
		cr_assert_lt(n, cap);
		types[n++] = h.type;
		if (last) {
			free((void *)*last);
			*last = memcpy(malloc(h.len + 1), p, h.len);
			*last_len = h.len;
		}
	}
	cr_assert_eq(ret, 0, "%s", err);
	record_reader__free(rd);
	fclose(f);
	return n;
}

TestSuite(recorder, .init = setup, .fini = teardown);

Test(recorder, records_read_back_in_order_and_the_file_is_gzip)
{
	struct recorder *r = open_recorder();
	struct model *m = model__new(0);
	struct kernel_reading k = { .has_task = true, .min_flt = 7 };
	uint8_t ring[56] = { MV_EV_ALLOC };
	uint32_t types[16];
	FILE *f;

	recorder__meta(r, "arg", "memvigil");
	recorder__ring(r, m, ring, sizeof(ring));
	recorder__ksample(r, 42, &k, 1000);
	recorder__mark(r, m, REC_TICK, 5);
	recorder__exit(r, 42, 0);
	close_recorder(r);
	cr_assert_eq(read_types(types, 16, NULL, NULL), 5);
	cr_assert_eq(types[0], REC_META);
	cr_assert_eq(types[1], REC_RING);
	cr_assert_eq(types[2], REC_KSAMPLE);
	cr_assert_eq(types[3], REC_TICK);
	cr_assert_eq(types[4], REC_EXIT);
	f = fopen(path, "re");
	cr_assert_eq(getc(f), 0x1f);
	cr_assert_eq(getc(f), 0x8b);
	fclose(f);
	model__free(m);
}

Test(recorder, a_process_is_said_once_per_change_and_a_retire_before_its_new_key)
{
	struct recorder *r = open_recorder();
	struct model *m = model__new(0);
	const void *last = NULL;
	struct rec_proc rp;
	uint32_t types[16];
	size_t len = 0;

	cr_assert_eq(model__set_image(model__proc(m, 10), "a", "/bin/a", NULL, 1), 0);
	recorder__sync(r, m);
	recorder__sync(r, m);		/* nothing changed: nothing said */
	cr_assert_neq(model__retire(m, 10), 0);
	recorder__sync(r, m);
	close_recorder(r);
	cr_assert_eq(read_types(types, 16, &last, &len), 3);
	cr_assert_eq(types[0], REC_PROC);
	cr_assert_eq(types[1], REC_RETIRE);
	cr_assert_eq(types[2], REC_PROC);
	cr_assert_geq(len, sizeof(rp));
	memcpy(&rp, last, sizeof(rp));
	cr_assert_eq(rp.pid, 10);
	cr_assert_lt(rp.key, 0);
	cr_assert_str_eq((const char *)last + sizeof(rp), "a");
	free((void *)last);
	model__free(m);
}

Test(recorder, a_recording_never_closed_is_not_left_behind)
{
	struct recorder *r = open_recorder();

	recorder__meta(r, "arg", "memvigil");
	recorder__free(r);
	cr_assert_eq(access(path, F_OK), -1);
}

/* Write path as a gzip stream of raw. */
static void write_gzip(const void *raw, size_t len)
{
	gzFile g = gzopen(path, "wb");

	cr_assert_not_null(g);
	cr_assert_eq(gzwrite(g, raw, len), (int)len);
	gzclose(g);
}

static int open_error(char *err, size_t err_len)
{
	FILE *f = fopen(path, "re");
	struct record_reader *rd = NULL;
	int ret = record_reader__open(f, "t.mvr", &rd, err, err_len);

	cr_assert_null(rd);
	fclose(f);
	return ret;
}

Test(recorder, a_newer_version_a_foreign_file_and_a_cut_one_are_each_named)
{
	uint8_t head[16] = "MVRECRD\n";
	struct record_reader *rd = NULL;
	const void *p;
	struct rec_head h;
	char err[256];
	FILE *f;

	head[8] = 99;
	write_gzip(head, sizeof(head));
	cr_assert_eq(open_error(err, sizeof(err)), -EPROTONOSUPPORT);
	cr_assert(strstr(err, "format version 99"), "%s", err);
	write_gzip("not a recording, only text", 26);
	cr_assert_eq(open_error(err, sizeof(err)), -EPROTO);
	cr_assert(strstr(err, "not a memvigil recording"), "%s", err);
	head[8] = 1;
	write_gzip(head, sizeof(head));
	f = fopen(path, "re");
	cr_assert_eq(record_reader__open(f, "t.mvr", &rd, err, sizeof(err)), 0);
	cr_assert_eq(record_reader__next(rd, &h, &p, err, sizeof(err)), -ENODATA);
	cr_assert(strstr(err, "cut short"), "%s", err);
	record_reader__free(rd);
	fclose(f);
}

Test(recorder, final_record_decodes_to_what_was_encoded_and_refuses_less)
{
	struct record_final rf = {
		.now_ms = 1234, .text_mappings_followed = true, .has_unwind = true,
		.health = { .attached = 3, .files_skipped = 2, .fork_attach_max_ms = 1.5 },
		.return_probe = "session", .cgroup = NULL, .kernel = "6.18.0",
		.started_at = "2026-12-07T01:00:00Z",
	};
	struct record_final back;
	char buf[4096];
	size_t len;

	rf.health.lost[0] = 9;
	rf.unwind.frames_fp = 77;
	len = record_final__encode(&rf, buf, sizeof(buf));
	cr_assert_gt(len, 0);
	cr_assert_eq(record_final__decode(buf, len, &back), 0);
	cr_assert_eq(back.now_ms, 1234);
	cr_assert_eq(back.health.attached, 3);
	cr_assert_eq(back.health.lost[0], 9);
	cr_assert_eq(back.unwind.frames_fp, 77);
	cr_assert_str_eq(back.return_probe, "session");
	cr_assert_null(back.cgroup);
	cr_assert_str_eq(back.kernel, "6.18.0");
	cr_assert_str_eq(back.started_at, "2026-12-07T01:00:00Z");
	cr_assert_eq(record_final__decode(buf, len - 1, &back), -EBADMSG);
	cr_assert_eq(record_final__encode(&rf, buf, 16), 0);
}
