// SPDX-License-Identifier: GPL-2.0
/*
 * replay: runs a fuzz target's LLVMFuzzerTestOneInput on files, without
 * libFuzzer, so that any compiler can build the target for `make test`.
 *
 *     fuzz_NAME-replay FILE...
 *
 * Exit status 0 when every input ran (a sanitizer or FUZZ_CHECK aborts the
 * process on a bug), 1 when a file cannot be read.
 */
#include <errno.h>
#include "fuzz_input.h"

/* The whole file into a heap block of exactly its size; NULL with errno set. */
static uint8_t *replay__read(const char *path, size_t *size)
{
	uint8_t *buf = NULL, *bigger;
	size_t len = 0, cap = 0, n;
	FILE *f = fopen(path, "rb");

	if (!f)
		return NULL;
	do {
		if (len == cap) {
			cap = cap ? 2 * cap : 4096;
			bigger = realloc(buf, cap);
			if (!bigger) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = bigger;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n);
	fclose(f);
	*size = len;
	/* exactly len bytes, so that a read past the input is seen */
	bigger = fuzz_input__bytes(buf, len);
	free(buf);
	return bigger;
}

int main(int argc, char **argv)
{
	uint8_t *data;
	size_t size;
	int i;

	for (i = 1; i < argc; i++) {
		data = replay__read(argv[i], &size);
		if (!data) {
			fprintf(stderr, "replay: cannot read %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		LLVMFuzzerTestOneInput(data, size);
		free(data);
	}
	printf("replayed %d inputs\n", argc - 1);
	return 0;
}
