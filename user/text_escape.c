// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "text_escape.h"
#include "utf8.h"

/* Longest escaped form of one unit: "\xNN", or a 4-byte UTF-8 sequence. */
#define UNIT_MAX 4

/* A C1 control character, U+0080..U+009F: C2 80..C2 9F. */
static bool is_c1(const unsigned char *s, size_t len)
{
	return len == 2 && s[0] == 0xc2 && s[1] < 0xa0;
}

/*
 * The escaped form of the unit at s (one byte, or one UTF-8 sequence) into
 * unit; returns how many bytes of s it covers and sets *unit_len.
 */
static size_t escape_unit(const char *s, char unit[UNIT_MAX], size_t *unit_len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c = (unsigned char)*s;
	size_t len, bad;

	if (c == '\\') {
		memcpy(unit, "\\\\", 2);
		*unit_len = 2;
		return 1;
	}
	if (c >= 0x20 && c < 0x7f) {
		unit[0] = (char)c;
		*unit_len = 1;
		return 1;
	}
	len = utf8__valid_len(s, &bad);
	if (len > 1 && !is_c1((const unsigned char *)s, len)) {
		memcpy(unit, s, len);
		*unit_len = len;
		return len;
	}
	unit[0] = '\\';
	unit[1] = 'x';
	unit[2] = hex[c >> 4];
	unit[3] = hex[c & 0xf];
	*unit_len = 4;
	return 1;
}

int text_escape__copy(char *dst, size_t size, const char *src)
{
	char unit[UNIT_MAX];
	size_t used = 0, unit_len;
	int ret = 0;

	if (!dst || !size)
		return -EINVAL;
	if (!src)
		src = "";
	while (*src) {
		size_t n = escape_unit(src, unit, &unit_len);

		if (unit_len >= size - used) {	/* and the NUL */
			ret = -ENOSPC;
			break;
		}
		memcpy(dst + used, unit, unit_len);
		used += unit_len;
		src += n;
	}
	dst[used] = '\0';
	return ret;
}

/* Length of the run at s that is printed as it is (printable ASCII, no backslash). */
static size_t plain_run(const char *s)
{
	size_t n = 0;

	while ((unsigned char)s[n] >= 0x20 && (unsigned char)s[n] < 0x7f && s[n] != '\\')
		n++;
	return n;
}

int text_escape__fputs(FILE *out, const char *src)
{
	char unit[UNIT_MAX];
	size_t n, unit_len;

	if (!src)
		return 0;
	while (*src) {
		n = plain_run(src);
		if (n) {
			if (fwrite(src, 1, n, out) != n)
				return -EIO;
			src += n;
			continue;
		}
		n = escape_unit(src, unit, &unit_len);
		if (fwrite(unit, 1, unit_len, out) != unit_len)
			return -EIO;
		src += n;
	}
	return 0;
}
