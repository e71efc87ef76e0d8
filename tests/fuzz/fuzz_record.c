// SPDX-License-Identifier: GPL-2.0
/*
 * The --record reader (ingest/record_reader.c) and the final report's record
 * (session/record_final.c): any bytes either read as records up to REC_END or
 * are refused with a sentence, never past the payload's bounds. An input
 * whose first byte is 'Z' is the rest gzip-compressed first, so that the
 * fuzzer explores the records themselves; any other input is read as a file.
 */
#include <zlib.h>
#include "fuzz_input.h"
#include "ingest/record_reader.h"
#include "session/record_final.h"

/* data gzip-compressed into a new block; *len its size. */
static uint8_t *gzip_bytes(const uint8_t *data, size_t size, size_t *len)
{
	z_stream z = { 0 };
	size_t cap = compressBound(size) + 64;
	uint8_t *out = malloc(cap);

	if (!out || deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		exit(1);
	z.next_in = (uint8_t *)data;
	z.avail_in = size;
	z.next_out = out;
	z.avail_out = cap;
	FUZZ_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
	*len = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

/* Read every record of the file in buf; check what the reader promises. */
static void read_all(uint8_t *buf, size_t len)
{
	FILE *f = fmemopen(buf, len, "r");
	struct record_reader *r = NULL;
	struct record_final rf;
	const void *payload;
	struct rec_head h;
	char err[512];
	int ret;

	if (!f)
		return;
	err[0] = '\0';
	ret = record_reader__open(f, "fuzz", &r, err, sizeof(err));
	FUZZ_CHECK(ret ? !r && err[0] : r && record_reader__version(r) <= RECORD_VERSION);
	while (!ret) {
		ret = record_reader__next(r, &h, &payload, err, sizeof(err));
		if (ret <= 0)
			break;
		FUZZ_CHECK(h.type && h.type < REC_TYPE_CNT && h.len <= RECORD_MAX_PAYLOAD);
		if (h.type == REC_FINAL && !record_final__decode(payload, h.len, &rf))
			FUZZ_CHECK(rf.kernel && rf.started_at &&
				   (const char *)rf.started_at < (const char *)payload + h.len);
		ret = 0;
	}
	FUZZ_CHECK(ret <= 0 && (!ret || err[0]));
	record_reader__free(r);
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf;
	size_t len = size;

	if (size && data[0] == 'Z')
		buf = gzip_bytes(data + 1, size - 1, &len);
	else
		buf = fuzz_input__bytes(data, size);
	if (len)
		read_all(buf, len);
	free(buf);
	return 0;
}
