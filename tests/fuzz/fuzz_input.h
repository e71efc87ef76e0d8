/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz_input: what every fuzz target needs from its input bytes: parts of
 * them as NUL-terminated strings, each in a heap block of exactly its size so
 * that AddressSanitizer sees a parser reading one byte past the end. And the
 * target's entry point, which libFuzzer calls and the replay program too.
 */
#ifndef MV_FUZZ_INPUT_H
#define MV_FUZZ_INPUT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_PARTS 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bytes data[0..size) and a NUL in a block of size + 1; exits on ENOMEM. */
static inline char *fuzz_input__string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s) {
		fprintf(stderr, "fuzz: out of memory\n");
		exit(1);
	}
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* A copy of data[0..size) in a block of exactly size bytes (no NUL). */
static inline uint8_t *fuzz_input__bytes(const uint8_t *data, size_t size)
{
	uint8_t *b = malloc(size ? size : 1);

	if (!b) {
		fprintf(stderr, "fuzz: out of memory\n");
		exit(1);
	}
	if (size)
		memcpy(b, data, size);
	return b;
}

/*
 * Split data at its first n - 1 NUL bytes into n strings (missing parts are
 * ""); the caller frees each. Corpus files for multi-part targets hold the
 * parts separated by NUL bytes.
 */
static inline void fuzz_input__split(const uint8_t *data, size_t size, char **parts, int n)
{
	const uint8_t *end = data + size, *nul;
	int i;

	for (i = 0; i < n; i++) {
		nul = i < n - 1 ? memchr(data, '\0', end - data) : NULL;
		parts[i] = fuzz_input__string(data, nul ? (size_t)(nul - data) : (size_t)(end - data));
		data = nul ? nul + 1 : end;
	}
}

/* Free the n parts of fuzz_input__split. */
static inline void fuzz_input__free(char **parts, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(parts[i]);
}

/* A broken invariant: say which and abort, so that the fuzzer keeps the input. */
#define FUZZ_CHECK(cond)                                                              \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "fuzz: %s:%d: %s does not hold\n", __FILE__,  \
				__LINE__, #cond);                                     \
			abort();                                                      \
		}                                                                     \
	} while (0)

#endif
