// SPDX-License-Identifier: GPL-2.0
/*
 * The text sanitizer (text_escape, utf8): the escaped form of any string
 * holds no control character, is valid UTF-8, reads back to the original,
 * is the same whether copied or written to a stream, and when cut short is
 * a prefix of the whole that fits.
 */
#include <errno.h>
#include "fuzz_input.h"
#include "lib/text_escape.h"
#include "lib/utf8.h"

/* Every sequence of s is well-formed UTF-8 and no byte is a control byte. */
static void check_printable(const char *s)
{
	size_t len, bad;

	while (*s) {
		len = utf8__valid_len(s, &bad);
		FUZZ_CHECK(len >= 1 && len <= 4);
		FUZZ_CHECK(len > 1 || ((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f));
		s += len;
	}
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The bytes escaped reads back to ("\\" one backslash, "\xNN" one byte) equal src. */
static void check_reads_back(const char *escaped, const char *src)
{
	const char *e = escaped;
	size_t i = 0;

	while (*e) {
		char c = *e++;

		if (c == '\\') {
			FUZZ_CHECK(*e == '\\' || *e == 'x');
			if (*e++ == 'x') {
				FUZZ_CHECK(hex_digit(e[0]) >= 0 && hex_digit(e[1]) >= 0);
				c = (char)(hex_digit(e[0]) << 4 | hex_digit(e[1]));
				e += 2;
			}
		}
		FUZZ_CHECK(src[i] == c);
		i++;
	}
	FUZZ_CHECK(src[i] == '\0');
}

/* text_escape__fputs writes what text_escape__copy gave. */
static void check_stream(const char *src, const char *escaped)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	FUZZ_CHECK(f);
	FUZZ_CHECK(text_escape__fputs(f, src) == 0);
	FUZZ_CHECK(fclose(f) == 0);
	FUZZ_CHECK(len == strlen(escaped) && !memcmp(buf, escaped, len));
	free(buf);
}

/* Into size bytes: NUL-terminated, a prefix of the whole escaped form. */
static void check_cut(const char *src, const char *whole, size_t size)
{
	char *dst = malloc(size);
	int err;

	FUZZ_CHECK(dst);
	err = text_escape__copy(dst, size, src);
	FUZZ_CHECK(err == 0 || err == -ENOSPC);
	FUZZ_CHECK(strlen(dst) < size && !strncmp(dst, whole, strlen(dst)));
	FUZZ_CHECK(err == -ENOSPC || !strcmp(dst, whole));
	FUZZ_CHECK(err == 0 || strlen(whole) >= size);
	check_printable(dst);
	free(dst);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *src = fuzz_input__string(data, size);
	size_t n = strlen(src);
	char *whole = malloc(TEXT_ESCAPE_SIZE(n));

	FUZZ_CHECK(whole);
	FUZZ_CHECK(text_escape__copy(whole, TEXT_ESCAPE_SIZE(n), src) == 0);
	check_printable(whole);
	check_reads_back(whole, src);
	check_stream(src, whole);
	check_cut(src, whole, 1 + (size ? data[0] % 24 : 0));
	free(whole);
	free(src);
	return 0;
}
