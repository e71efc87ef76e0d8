// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "ingest/record_reader.h"

#define READER_IN_BYTES (64u << 10)

struct record_reader {
	FILE *f;
	char *name;
	z_stream z;
	bool z_open;
	bool eof;			/* the compressed stream or the file ended */
	uint8_t *in;
	uint8_t *payload;		/* the current record's, RECORD_MAX_PAYLOAD bytes */
	uint32_t version;
	uint64_t records;
};

/* Inflate exactly n bytes into dst: 0, -ENODATA if the stream ends first, -EBADMSG, -EIO. */
static int reader_fill(struct record_reader *r, void *dst, size_t n)
{
	size_t got;
	int ret;

	r->z.next_out = dst;
	r->z.avail_out = n;
	while (r->z.avail_out) {
		if (r->eof)
			return -ENODATA;
		if (!r->z.avail_in) {
			got = fread(r->in, 1, READER_IN_BYTES, r->f);
			if (!got)
				return ferror(r->f) ? -EIO : -ENODATA;
			r->z.next_in = r->in;
			r->z.avail_in = got;
		}
		ret = inflate(&r->z, Z_NO_FLUSH);
		if (ret == Z_STREAM_END)
			r->eof = true;
		else if (ret == Z_MEM_ERROR)
			return -ENOMEM;
		else if (ret != Z_OK && ret != Z_BUF_ERROR)
			return -EBADMSG;
	}
	return 0;
}

/* The sentence for a failure ret after r->records records. */
static int reader_say(const struct record_reader *r, int ret, char *err, size_t err_len)
{
	if (ret == -ENODATA)
		snprintf(err, err_len, "%s is cut short after %llu records (the recording did not "
			 "finish): replay needs a complete recording", r->name,
			 (unsigned long long)r->records);
	else if (ret == -EBADMSG)
		snprintf(err, err_len, "%s is damaged after %llu records (bad compressed data or "
			 "record): it cannot be replayed", r->name, (unsigned long long)r->records);
	else
		snprintf(err, err_len, "cannot read %s: %s", r->name, strerror(-ret));
	return ret;
}

/* The magic and version after the gzip header: 0 or a negative errno said in err. */
static int reader_header(struct record_reader *r, char *err, size_t err_len)
{
	uint8_t head[RECORD_MAGIC_LEN + 8];
	int ret = reader_fill(r, head, sizeof(head));

	if (ret == -EBADMSG || ((ret == -ENODATA) && r->z.total_out < RECORD_MAGIC_LEN) ||
	    (!ret && memcmp(head, RECORD_MAGIC, RECORD_MAGIC_LEN))) {
		snprintf(err, err_len, "%s is not a memvigil recording (give a file --record "
			 "wrote)", r->name);
		return -EPROTO;
	}
	if (ret)
		return reader_say(r, ret, err, err_len);
	memcpy(&r->version, head + RECORD_MAGIC_LEN, sizeof(r->version));
	if (r->version > RECORD_VERSION || !r->version) {
		snprintf(err, err_len, "%s is a recording of format version %u, and this memvigil "
			 "reads version %u: replay it with the memvigil that recorded it or a newer "
			 "one", r->name, r->version, RECORD_VERSION);
		return -EPROTONOSUPPORT;
	}
	return 0;
}

int record_reader__open(FILE *f, const char *name, struct record_reader **out, char *err,
			size_t err_len)
{
	struct record_reader *r = calloc(1, sizeof(*r));
	int c, ret;

	*out = NULL;
	if (!r || !(r->name = strdup(name)) || !(r->in = malloc(READER_IN_BYTES)) ||
	    !(r->payload = malloc(RECORD_MAX_PAYLOAD))) {
		record_reader__free(r);
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	r->f = f;
	c = getc(f);
	if (c != 0x1f) {
		snprintf(err, err_len, "%s is not a memvigil recording (not gzip-compressed; give "
			 "a file --record wrote)", name);
		record_reader__free(r);
		return -EPROTO;
	}
	ungetc(c, f);
	if (inflateInit2(&r->z, 15 + 16) != Z_OK) {
		record_reader__free(r);
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	r->z_open = true;
	ret = reader_header(r, err, err_len);
	if (ret) {
		record_reader__free(r);
		return ret;
	}
	*out = r;
	return 0;
}

int record_reader__next(struct record_reader *r, struct rec_head *h, const void **payload,
			char *err, size_t err_len)
{
	int ret = reader_fill(r, h, sizeof(*h));

	if (!ret && (!h->type || h->type >= REC_TYPE_CNT || h->len > RECORD_MAX_PAYLOAD))
		ret = -EBADMSG;
	if (!ret)
		ret = reader_fill(r, r->payload, h->len);
	if (ret)
		return reader_say(r, ret, err, err_len);
	r->records++;
	*payload = r->payload;
	return h->type == REC_END ? 0 : 1;
}

uint32_t record_reader__version(const struct record_reader *r)
{
	return r->version;
}

void record_reader__free(struct record_reader *r)
{
	if (!r)
		return;
	if (r->z_open)
		inflateEnd(&r->z);
	free(r->in);
	free(r->payload);
	free(r->name);
	free(r);
}
