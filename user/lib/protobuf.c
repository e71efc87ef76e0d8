// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lib/grow.h"
#include "lib/protobuf.h"

enum pb_wire {
	PB_VARINT = 0,
	PB_LEN = 2,
};

void pb__reset(struct pb_buf *b)
{
	b->len = 0;
}

void pb__release(struct pb_buf *b)
{
	free(b->data);
	*b = (struct pb_buf){ 0 };
}

/* Room for n more bytes: 0, or b->err (-ENOMEM) without memory. */
static int reserve(struct pb_buf *b, size_t n)
{
	uint8_t *grown;

	if (b->err)
		return b->err;
	grown = grow__array(b->data, &b->cap, b->len + n, 1, 256);
	if (!grown)
		return b->err = -ENOMEM;
	b->data = grown;
	return 0;
}

/* A bare varint: seven bits a byte, low first, the top bit saying more follow. */
static void put_varint(struct pb_buf *b, uint64_t v)
{
	if (reserve(b, 10))
		return;
	while (v >= 0x80) {
		b->data[b->len++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b->data[b->len++] = (uint8_t)v;
}

static void put_tag(struct pb_buf *b, uint32_t field, enum pb_wire wire)
{
	put_varint(b, (uint64_t)field << 3 | wire);
}

static size_t varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

void pb__varint(struct pb_buf *b, uint32_t field, uint64_t v)
{
	put_tag(b, field, PB_VARINT);
	put_varint(b, v);
}

void pb__varint_nz(struct pb_buf *b, uint32_t field, uint64_t v)
{
	if (v)
		pb__varint(b, field, v);
}

void pb__bytes(struct pb_buf *b, uint32_t field, const void *data, size_t len)
{
	put_tag(b, field, PB_LEN);
	put_varint(b, len);
	if (!len || reserve(b, len))
		return;
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

void pb__string(struct pb_buf *b, uint32_t field, const char *s)
{
	pb__bytes(b, field, s, s ? strlen(s) : 0);
}

void pb__message(struct pb_buf *b, uint32_t field, const struct pb_buf *msg)
{
	if (msg->err && !b->err)
		b->err = msg->err;
	pb__bytes(b, field, msg->data, msg->len);
}

void pb__append(struct pb_buf *b, const struct pb_buf *fields)
{
	if (fields->err && !b->err)
		b->err = fields->err;
	if (!fields->len || reserve(b, fields->len))
		return;
	memcpy(b->data + b->len, fields->data, fields->len);
	b->len += fields->len;
}

void pb__packed(struct pb_buf *b, uint32_t field, const uint64_t *v, size_t n)
{
	size_t len = 0, i;

	if (!n)
		return;
	for (i = 0; i < n; i++)
		len += varint_len(v[i]);
	put_tag(b, field, PB_LEN);
	put_varint(b, len);
	for (i = 0; i < n; i++)
		put_varint(b, v[i]);
}
