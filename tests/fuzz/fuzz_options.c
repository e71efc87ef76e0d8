// SPDX-License-Identifier: GPL-2.0
/*
 * The value parsers behind the options and MEMVIGIL_* variables: seconds
 * ("0.5") and byte counts ("512K", "1GiB"), each fed the same text. (The
 * argv parser itself is argp's, which exits on what it refuses.)
 */
#include <errno.h>
#include <math.h>
#include "fuzz_input.h"
#include "session/options.h"

/* A byte count is within max, or refused as malformed or too large. */
static void check_bytes(const char *text, uint64_t max)
{
	uint64_t v;
	int err = options__parse_bytes(text, max, &v);

	FUZZ_CHECK(err == 0 || err == -EINVAL || err == -ERANGE);
	FUZZ_CHECK(err || v <= max);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_input__string(data, size);
	double s;

	if (options__parse_seconds(text, &s) == 0)
		FUZZ_CHECK(isfinite(s) && s >= 0);
	check_bytes(text, UINT64_MAX);
	check_bytes(text, 1ull << 30);
	check_bytes(text, 0);
	free(text);
	return 0;
}
