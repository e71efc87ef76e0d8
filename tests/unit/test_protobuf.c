// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>
#include "lib/protobuf.h"

static void assert_bytes(const struct pb_buf *b, const uint8_t *want, size_t len)
{
	size_t i;

	cr_assert_eq(b->err, 0);
	cr_assert_eq(b->len, len, "length %zu, expected %zu", b->len, len);
	for (i = 0; i < len; i++)
		cr_assert_eq(b->data[i], want[i], "byte %zu is 0x%02x, expected 0x%02x", i,
			     b->data[i], want[i]);
}

Test(protobuf, varints_take_seven_bits_a_byte_low_first)
{
	struct pb_buf b = { 0 };
	static const uint8_t want[] = {
		0x08, 0x00,			/* field 1: 0 */
		0x10, 0x7f,			/* field 2: 127 */
		0x18, 0x80, 0x01,		/* field 3: 128 */
		0x20, 0xac, 0x02,		/* field 4: 300 */
		0x28, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, /* 5: 2^64-1 */
	};

	pb__varint(&b, 1, 0);
	pb__varint(&b, 2, 127);
	pb__varint(&b, 3, 128);
	pb__varint(&b, 4, 300);
	pb__varint(&b, 5, UINT64_MAX);
	assert_bytes(&b, want, sizeof(want));
	pb__release(&b);
}

Test(protobuf, a_negative_int64_takes_ten_bytes)
{
	struct pb_buf b = { 0 };
	static const uint8_t want[] = { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					0xff, 0x01 };

	pb__varint(&b, 1, (uint64_t)(int64_t)-1);
	assert_bytes(&b, want, sizeof(want));
	pb__release(&b);
}

Test(protobuf, zero_is_left_out_by_varint_nz)
{
	struct pb_buf b = { 0 };
	static const uint8_t want[] = { 0x10, 0x05 };

	pb__varint_nz(&b, 1, 0);
	pb__varint_nz(&b, 2, 5);
	assert_bytes(&b, want, sizeof(want));
	pb__release(&b);
}

Test(protobuf, field_numbers_above_fifteen_take_a_two_byte_tag)
{
	struct pb_buf b = { 0 };
	static const uint8_t want[] = { 0x80, 0x01, 0x01 };

	pb__varint(&b, 16, 1);
	assert_bytes(&b, want, sizeof(want));
	pb__release(&b);
}

Test(protobuf, strings_are_length_delimited_and_null_is_empty)
{
	struct pb_buf b = { 0 };
	static const uint8_t want[] = { 0x32, 0x03, 'a', 'b', 'c', 0x32, 0x00 };

	pb__string(&b, 6, "abc");
	pb__string(&b, 6, NULL);
	assert_bytes(&b, want, sizeof(want));
	pb__release(&b);
}

Test(protobuf, a_message_is_its_bytes_behind_their_length)
{
	struct pb_buf outer = { 0 }, inner = { 0 };
	/* field 2: the 3-byte message {1: 150}; then the reused buffer's {1: 1} as it is */
	static const uint8_t want[] = { 0x12, 0x03, 0x08, 0x96, 0x01, 0x08, 0x01 };

	pb__varint(&inner, 1, 150);
	pb__message(&outer, 2, &inner);
	pb__reset(&inner);
	pb__varint(&inner, 1, 1);
	pb__append(&outer, &inner);
	assert_bytes(&outer, want, sizeof(want));
	pb__release(&outer);
	pb__release(&inner);
}

Test(protobuf, packed_varints_share_one_length_delimited_field)
{
	struct pb_buf b = { 0 };
	static const uint64_t v[] = { 3, 270, 86942 };
	static const uint8_t want[] = { 0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05 };

	pb__packed(&b, 4, v, 3);
	pb__packed(&b, 4, v, 0);	/* nothing at all */
	assert_bytes(&b, want, sizeof(want));
	pb__release(&b);
}

Test(protobuf, a_buffer_grows_past_its_first_allocation)
{
	struct pb_buf b = { 0 };
	char text[1000];
	size_t i;

	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	for (i = 0; i < 50; i++)
		pb__string(&b, 1, text);
	cr_assert_eq(b.err, 0);
	cr_assert_eq(b.len, 50 * (1 + 2 + 999));
	cr_assert_eq(b.data[b.len - 1], 'x');
	pb__release(&b);
}

Test(protobuf, an_error_in_a_message_carries_over_to_its_parent)
{
	struct pb_buf outer = { 0 }, inner = { .err = -12 };

	pb__message(&outer, 1, &inner);
	cr_assert_eq(outer.err, -12);
	pb__varint(&outer, 2, 1);	/* a no-op from now on */
	cr_assert_eq(outer.len, 0);
	pb__release(&outer);
}
