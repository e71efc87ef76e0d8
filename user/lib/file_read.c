// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/file_read.h"
#include "lib/grow.h"

/* All of in in *buf (NUL-terminated) and *len; -EFBIG beyond the limit. */
static int slurp(FILE *in, size_t max, char **buf, size_t *len)
{
	size_t cap = 0, n = 0, got;
	char *b = NULL, *nb;

	do {
		if (n > max) {
			free(b);
			return -EFBIG;
		}
		nb = grow__array(b, &cap, n + 2, 1, 1 << 16);
		if (!nb) {
			free(b);
			return -ENOMEM;
		}
		b = nb;
		got = fread(b + n, 1, cap - n - 1, in);
		n += got;
	} while (got);
	if (ferror(in) || n > max) {
		free(b);
		return ferror(in) ? -EIO : -EFBIG;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

int file_read__all(const char *path, size_t max, char **buf, size_t *len)
{
	FILE *in = strcmp(path, "-") ? fopen(path, "re") : stdin;
	int ret;

	if (!in)
		return -errno;
	ret = slurp(in, max, buf, len);
	if (in != stdin)
		fclose(in);
	return ret;
}
