/* SPDX-License-Identifier: GPL-2.0 */
/*
 * protobuf: the protocol-buffers wire format, written by hand into a
 * growing byte buffer: varint fields, length-delimited fields (strings,
 * bytes, embedded messages) and packed repeated varints. No schema, no
 * code generator: the caller knows its field numbers. An embedded message
 * is built in a buffer of its own and appended whole (pb__message), since
 * its length comes before it on the wire.
 *
 * A failed allocation is remembered (err) and makes every later call a
 * no-op, so a writer checks once at the end.
 */
#ifndef MV_PROTOBUF_H
#define MV_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

struct pb_buf {
	uint8_t *data;
	size_t len, cap;
	int err;		/* 0, or -ENOMEM once an append failed */
};

/* Empty b for reuse; its memory is kept. */
void pb__reset(struct pb_buf *b);
void pb__release(struct pb_buf *b);

/* A varint field (int64, uint64, bool; negative int64 take ten bytes). */
void pb__varint(struct pb_buf *b, uint32_t field, uint64_t v);
/* A varint field, left out when v is 0 (proto3's default). */
void pb__varint_nz(struct pb_buf *b, uint32_t field, uint64_t v);
/* A length-delimited field holding len bytes of data. */
void pb__bytes(struct pb_buf *b, uint32_t field, const void *data, size_t len);
/* A string field (NULL is the empty string). */
void pb__string(struct pb_buf *b, uint32_t field, const char *s);
/* An embedded message: msg's bytes as a length-delimited field (msg's error carries over). */
void pb__message(struct pb_buf *b, uint32_t field, const struct pb_buf *msg);
/* fields (already encoded, e.g. repeated fields built apart) appended as they are. */
void pb__append(struct pb_buf *b, const struct pb_buf *fields);
/* A packed repeated varint field of n values; nothing when n is 0. */
void pb__packed(struct pb_buf *b, uint32_t field, const uint64_t *v, size_t n);

#endif
