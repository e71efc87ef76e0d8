// SPDX-License-Identifier: GPL-2.0
/* The live server's request targets: endpoint, PID, parameters, 404 and 400. */
#include <criterion/criterion.h>
#include <string.h>
#include "serve/api_route.h"

static struct api_route parsed(const char *target)
{
	struct api_route r;

	api_route__parse(target, &r);
	return r;
}

Test(api_route, each_fixed_path_names_its_endpoint)
{
	cr_assert_eq(parsed("/").endpoint, API_DASHBOARD);
	cr_assert_eq(parsed("/metrics").endpoint, API_METRICS);
	cr_assert_eq(parsed("/debug/pprof/heap").endpoint, API_PPROF_HEAP);
	cr_assert_eq(parsed("/api/v1/processes").endpoint, API_PROCESSES);
	cr_assert_eq(parsed("/api/v1/report").endpoint, API_REPORT);
	cr_assert_eq(parsed("/api/v1/alerts").endpoint, API_ALERTS);
	cr_assert_eq(parsed("/healthz").status, 200);
	cr_assert_eq(parsed("/healthz").endpoint, API_HEALTHZ);
}

Test(api_route, a_pid_in_the_path_is_parsed_and_stacks_default_to_ten)
{
	struct api_route r = parsed("/api/v1/processes/4242");

	cr_assert_eq(r.endpoint, API_PROCESS);
	cr_assert_eq(r.pid, 4242);
	r = parsed("/api/v1/processes/7/stacks");
	cr_assert_eq(r.endpoint, API_STACKS);
	cr_assert_eq(r.pid, 7);
	cr_assert_eq(r.top, API_TOP_DEFAULT);
	r = parsed("/api/v1/processes/7/stacks?top=3");
	cr_assert_eq(r.status, 200);
	cr_assert_eq(r.top, 3);
	cr_assert_eq(parsed("/api/v1/processes/7/stacks?top=10000").top, 10000);
}

Test(api_route, unknown_paths_are_404)
{
	const char *paths[] = { "/metrics/", "/Metrics", "//metrics", "/api/v1", "/api/v2/report",
				"/api/v1/processes/7/heap", "/api/v1/processes/7/stacks/",
				"/debug/pprof/profile", "/metrics/../metrics" };

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct api_route r = parsed(paths[i]);

		cr_assert_eq(r.status, 404, "%s", paths[i]);
		cr_assert_eq(r.endpoint, API_NONE);
		cr_assert(strlen(r.why) > 0);
	}
}

Test(api_route, a_pid_that_is_not_a_positive_decimal_is_400)
{
	const char *paths[] = { "/api/v1/processes/abc", "/api/v1/processes/0",
				"/api/v1/processes/-1", "/api/v1/processes/+5",
				"/api/v1/processes/007", "/api/v1/processes/2147483648",
				"/api/v1/processes/99999999999999999999", "/api/v1/processes/",
				"/api/v1/processes/1x/stacks" };

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		cr_assert_eq(parsed(paths[i]).status, 400, "%s", paths[i]);
	cr_assert_eq(parsed("/api/v1/processes/2147483647").pid, 2147483647);
}

Test(api_route, bad_or_unknown_parameters_are_400_with_the_reason)
{
	const char *targets[] = { "/api/v1/processes/7/stacks?top=0",
				  "/api/v1/processes/7/stacks?top=10001",
				  "/api/v1/processes/7/stacks?top=",
				  "/api/v1/processes/7/stacks?top",
				  "/api/v1/processes/7/stacks?top=x",
				  "/api/v1/processes/7/stacks?top=1&top=2",
				  "/api/v1/processes/7/stacks?depth=3", "/metrics?top=3",
				  "/api/v1/report?x", "/?live=1" };

	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
		cr_assert_eq(parsed(targets[i]).status, 400, "%s", targets[i]);
	cr_assert(strstr(parsed("/metrics?foo=1").why, "unknown parameter 'foo'"));
	cr_assert(strstr(parsed("/api/v1/processes/7/stacks?top=0").why, "from 1 to 10000"));
}

Test(api_route, empty_query_pieces_and_pprofs_gc_are_accepted)
{
	cr_assert_eq(parsed("/metrics?").status, 200);
	cr_assert_eq(parsed("/metrics?&&").status, 200);
	cr_assert_eq(parsed("/debug/pprof/heap?gc=1").status, 200);
	cr_assert_eq(parsed("/api/v1/processes/7/stacks?&top=2&").top, 2);
}

Test(api_route, percent_encoding_is_decoded_and_malformed_escapes_are_400)
{
	cr_assert_eq(parsed("/%6detrics").endpoint, API_METRICS);
	cr_assert_eq(parsed("/api/v1/processes/7/stacks?%74op=%35").top, 5);
	cr_assert_eq(parsed("/metrics%").status, 400);
	cr_assert_eq(parsed("/metrics%4").status, 400);
	cr_assert_eq(parsed("/metrics%zz").status, 400);
	cr_assert_eq(parsed("/metrics%00").status, 400, "NUL never decodes");
	cr_assert_eq(parsed("/metrics%0a").status, 400, "control characters in the path");
	cr_assert_eq(parsed("/metrics?a=%G0").status, 400);
}

Test(api_route, a_target_without_a_leading_slash_or_too_long_is_400)
{
	char *longer = malloc(API_TARGET_MAX + 8);

	cr_assert_eq(parsed("metrics").status, 400);
	cr_assert_eq(parsed("").status, 400);
	cr_assert_eq(parsed("*").status, 400);
	memset(longer, 'a', API_TARGET_MAX + 7);
	longer[0] = '/';
	longer[API_TARGET_MAX + 7] = '\0';
	cr_assert_eq(parsed(longer).status, 400);
	free(longer);
}

Test(api_route, error_lines_quote_only_printable_ascii)
{
	struct api_route r = parsed("/metrics?%01%22%ff=1");

	cr_assert_eq(r.status, 400);
	for (const char *c = r.why; *c; c++)
		cr_assert((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f, "%s", r.why);
}

Test(api_route, unescape_refuses_what_does_not_fit)
{
	char buf[4];

	cr_assert_eq(api_route__unescape("abc", 3, buf, sizeof(buf)), 3);
	cr_assert_str_eq(buf, "abc");
	cr_assert_eq(api_route__unescape("abcd", 4, buf, sizeof(buf)), -1);
	cr_assert_eq(api_route__unescape("%41+", 4, buf, sizeof(buf)), 2);
	cr_assert_str_eq(buf, "A+");
	cr_assert_eq(api_route__unescape("", 0, buf, 0), -1);
}
