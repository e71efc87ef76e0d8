// SPDX-License-Identifier: GPL-2.0
/*
 * The pprof profile against golden files: the protobuf read back as text
 * (pprof_decode.h), so a review sees every field; report_fixture.h says how
 * to regenerate them. go tool pprof reads real profiles in the integration
 * tests.
 */
#include <zlib.h>
#include "report_fixture.h"
#include "pprof_decode.h"
#include "output/report_pprof.h"

/* The profile of ctx decoded as text (pprof_decode.h), to out: a writer for fixture__render. */
static int write_decoded(FILE *out, const struct report_ctx *ctx)
{
	struct pb_buf pb = { 0 };
	char *text;

	cr_assert_eq(report_pprof__encode(ctx, &pb), 0);
	text = pd_dump(pb.data, pb.len);
	fputs(text, out);
	free(text);
	pb__release(&pb);
	return 0;
}

Test(report_pprof, profile_of_a_traced_cgroup_matches_its_golden_file)
{
	char *text = fixture__render(fixture__exact, write_decoded);

	golden__check("report_exact.pprof.txt", text);
	/* leak_one's stack in app: 11 blocks of 1000 bytes, all still outstanding */
	cr_assert_not_null(strstr(text, "  location_id: [1 2 3]\n  value: [11 11000 11 11000]\n"));
	free(text);
}

Test(report_pprof, profile_of_a_sampled_command_matches_its_golden_file)
{
	char *text = fixture__render(fixture__sampled, write_decoded);

	golden__check("report_sampled.pprof.txt", text);
	cr_assert_not_null(strstr(text, "period: 65536\n"));
	free(text);
}

/* The gzip stream in gz (len bytes) inflated; NULL if it is not one. */
static uint8_t *gunzip(const uint8_t *gz, size_t len, size_t *out_len)
{
	z_stream zs = { 0 };
	size_t cap = 1 << 20;
	uint8_t *out = malloc(cap);
	int ret;

	cr_assert_not_null(out);
	cr_assert_eq(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (uint8_t *)gz;
	zs.avail_in = len;
	zs.next_out = out;
	zs.avail_out = cap;
	ret = inflate(&zs, Z_FINISH);
	*out_len = zs.total_out;
	inflateEnd(&zs);
	if (ret != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	return out;
}

Test(report_pprof, the_file_is_the_profile_gzip_compressed)
{
	struct fixture f;
	struct report_ctx ctx;
	struct pb_buf pb = { 0 };
	char *gz = NULL;
	size_t gz_len = 0, raw_len;
	uint8_t *raw;
	FILE *out = open_memstream(&gz, &gz_len);

	fixture__exact(&f);
	fixture__ctx(&f, &ctx);
	cr_assert_eq(report_pprof__write(out, &ctx), 0);
	cr_assert_eq(fclose(out), 0);
	cr_assert(gz_len > 18 && (uint8_t)gz[0] == 0x1f && (uint8_t)gz[1] == 0x8b,
		  "no gzip header");
	raw = gunzip((uint8_t *)gz, gz_len, &raw_len);
	cr_assert_not_null(raw, "not a complete gzip stream");
	cr_assert_eq(report_pprof__encode(&ctx, &pb), 0);
	cr_assert_eq(raw_len, pb.len);
	cr_assert_eq(memcmp(raw, pb.data, pb.len), 0);
	free(raw);
	free(gz);
	pb__release(&pb);
	fixture__free(&f);
}

Test(report_pprof, a_session_without_processes_is_a_valid_empty_profile)
{
	struct report_ctx ctx = { 0 };
	struct model *m = model__new(FX_T0);
	struct pb_buf pb = { 0 };
	char *text;

	ctx.m = m;
	cr_assert_eq(report_pprof__encode(&ctx, &pb), 0);
	text = pd_dump(pb.data, pb.len);
	cr_assert_null(strstr(text, "sample {"));
	cr_assert_not_null(strstr(text, "default_sample_type: 6 \"inuse_space\""));
	free(text);
	pb__release(&pb);
	model__free(m);
}
