// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "lib/format.h"

const char *format_bytes(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
		return buf;
	}
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}

const char *format_age_ms(uint64_t ms, char *buf, size_t len)
{
	uint64_t s = ms / 1000;

	if (ms < 1000)
		snprintf(buf, len, "%llums", (unsigned long long)ms);
	else if (s < 60)
		snprintf(buf, len, "%.1fs", ms / 1000.0);
	else if (s < 3600)
		snprintf(buf, len, "%llum%02llus", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else
		snprintf(buf, len, "%lluh%02llum", (unsigned long long)(s / 3600),
			 (unsigned long long)(s / 60 % 60));
	return buf;
}

const char *format_plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* Columns of s[0..n): one per UTF-8 character. */
static size_t columns(const char *s, size_t n)
{
	size_t c = 0, i;

	for (i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* Bytes of s[0..n) that fill at most cols columns, cut between characters (at least one). */
static size_t fit(const char *s, size_t n, size_t cols)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && c++ == cols)
			break;
	return i ? i : n;
}

void format_wrap(FILE *out, const char *text, size_t col, size_t cols, const char *indent)
{
	size_t ind = strlen(indent), line_start = col, n, w, k;

	while (*text) {
		n = strcspn(text, " ");
		w = columns(text, n);
		if (col > line_start && col + 1 + w > cols) {
			fprintf(out, "\n%s", indent);
			col = line_start = ind;
		} else if (col > line_start) {
			fputc(' ', out);
			col++;
		}
		while (col + w > cols && n && cols > col) {	/* longer than a whole line */
			k = fit(text, n, cols - col);
			fprintf(out, "%.*s\n%s", (int)k, text, indent);
			text += k;
			n -= k;
			w = columns(text, n);
			col = line_start = ind;
		}
		fwrite(text, 1, n, out);
		col += w;
		text += n + strspn(text + n, " ");
	}
	fputc('\n', out);
}
