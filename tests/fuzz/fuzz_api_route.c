// SPDX-License-Identifier: GPL-2.0
/*
 * The live server's request-target parser (api_route): any target is a
 * known endpoint with its parameters in bounds, or a 400/404 with one line
 * of printable ASCII; percent-decoding never grows the text, never yields
 * a NUL, and the same target always parses the same way.
 */
#include "fuzz_input.h"
#include "serve/api_route.h"

static void check_why(const struct api_route *r)
{
	const char *c;

	FUZZ_CHECK(r->why[0]);
	for (c = r->why; *c; c++)
		FUZZ_CHECK((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f);
}

static void check_route(const struct api_route *r, int status)
{
	FUZZ_CHECK(status == r->status);
	if (status != 200) {
		FUZZ_CHECK(status == 400 || status == 404);
		FUZZ_CHECK(r->endpoint == API_NONE);
		check_why(r);
		return;
	}
	FUZZ_CHECK(r->endpoint > API_NONE && r->endpoint < API_ENDPOINT_CNT);
	FUZZ_CHECK(!r->why[0]);
	FUZZ_CHECK(r->top >= 1 && r->top <= API_TOP_MAX);
	if (r->endpoint == API_PROCESS || r->endpoint == API_STACKS)
		FUZZ_CHECK(r->pid > 0);
	FUZZ_CHECK(api_route__path(r->endpoint)[0] == '/');
}

static void check_unescape(const char *s, size_t len)
{
	char *out = malloc(len + 1);
	int n;

	FUZZ_CHECK(out);
	n = api_route__unescape(s, len, out, len + 1);
	if (n >= 0) {
		FUZZ_CHECK((size_t)n <= len && out[n] == '\0');
		FUZZ_CHECK(strlen(out) == (size_t)n);
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *target = fuzz_input__string(data, size);
	struct api_route r, again;
	int status = api_route__parse(target, &r);

	check_route(&r, status);
	FUZZ_CHECK(api_route__parse(target, &again) == status);
	FUZZ_CHECK(!memcmp(&r, &again, sizeof(r)));
	check_unescape(target, strlen(target));
	free(target);
	return 0;
}
