// SPDX-License-Identifier: GPL-2.0
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "serve/api_route.h"

#define PROCESSES_PREFIX "/api/v1/processes/"
/* Longest parameter name or value quoted in an error line. */
#define QUOTE_MAX 32

static const char *const paths[API_ENDPOINT_CNT] = {
	[API_DASHBOARD] = "/",
	[API_METRICS] = "/metrics",
	[API_PPROF_HEAP] = "/debug/pprof/heap",
	[API_PROCESSES] = "/api/v1/processes",
	[API_PROCESS] = "/api/v1/processes/{pid}",
	[API_STACKS] = "/api/v1/processes/{pid}/stacks",
	[API_REPORT] = "/api/v1/report",
	[API_ALERTS] = "/api/v1/alerts",
	[API_HEALTHZ] = "/healthz",
};

const char *api_route__path(enum api_endpoint e)
{
	return e > API_NONE && e < API_ENDPOINT_CNT ? paths[e] : "?";
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int api_route__unescape(const char *src, size_t len, char *dst, size_t size)
{
	size_t i, n = 0;
	int hi, lo;
	char c;

	if (!size)
		return -1;
	for (i = 0; i < len; i++) {
		c = src[i];
		if (c == '%') {
			if (i + 2 >= len)
				return -1;
			hi = hex_value(src[i + 1]);
			lo = hex_value(src[i + 2]);
			if (hi < 0 || lo < 0 || (hi | lo) == 0)
				return -1;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (n + 1 >= size)
			return -1;
		dst[n++] = c;
	}
	dst[n] = '\0';
	return (int)n;
}

/* Set r to an error and return its status. */
static int route__fail(struct api_route *r, int status, const char *why)
{
	r->endpoint = API_NONE;
	r->status = status;
	snprintf(r->why, sizeof(r->why), "%s", why);
	return status;
}

/* s with anything but printable ASCII as '?', cut to QUOTE_MAX, for an error line. */
static const char *route__quote(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < size && i < QUOTE_MAX; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* A decimal in [min, max] with no sign, no leading zero; false otherwise. */
static bool parse_decimal(const char *s, long min, long max, long *out)
{
	long v = 0;

	if (!*s || (*s == '0' && s[1]))
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (*s - '0');
		if (v > max)
			return false;
	}
	if (v < min)
		return false;
	*out = v;
	return true;
}

/* "/api/v1/processes/" followed by rest: "PID" or "PID/stacks". */
static int route__process(struct api_route *r, const char *rest)
{
	const char *slash = strchr(rest, '/');
	char pid[16];
	size_t len = slash ? (size_t)(slash - rest) : strlen(rest);
	long v;

	if (slash && strcmp(slash, "/stacks"))
		return route__fail(r, 404, "no such path: see docs/api.md for the endpoints");
	if (len >= sizeof(pid))
		len = sizeof(pid) - 1;
	memcpy(pid, rest, len);
	pid[len] = '\0';
	if (!parse_decimal(pid, 1, INT_MAX, &v))
		return route__fail(r, 400, "expected a process ID in the path, e.g. "
				   "/api/v1/processes/1234");
	r->pid = (pid_t)v;
	r->endpoint = slash ? API_STACKS : API_PROCESS;
	return 200;
}

/* The endpoint of the decoded path. */
static int route__path(struct api_route *r, const char *path)
{
	int e;

	for (e = API_NONE + 1; e < API_ENDPOINT_CNT; e++) {
		if (e != API_PROCESS && e != API_STACKS && !strcmp(path, paths[e])) {
			r->endpoint = e;
			return 200;
		}
	}
	if (!strncmp(path, PROCESSES_PREFIX, strlen(PROCESSES_PREFIX)))
		return route__process(r, path + strlen(PROCESSES_PREFIX));
	return route__fail(r, 404, "no such path: see docs/api.md for the endpoints");
}

/* One decoded parameter of r's endpoint. */
static int route__param(struct api_route *r, const char *key, const char *value, bool *seen_top)
{
	char q1[QUOTE_MAX + 1], q2[QUOTE_MAX + 1], why[sizeof(r->why)];
	long v;

	if (r->endpoint == API_STACKS && !strcmp(key, "top")) {
		if (*seen_top)
			return route__fail(r, 400, "parameter 'top' given twice");
		*seen_top = true;
		if (!value || !parse_decimal(value, 1, API_TOP_MAX, &v)) {
			snprintf(why, sizeof(why), "bad top '%s': expected a count from 1 to %d",
				 route__quote(value ? value : "", q1, sizeof(q1)), API_TOP_MAX);
			return route__fail(r, 400, why);
		}
		r->top = (unsigned int)v;
		return 200;
	}
	if (r->endpoint == API_PPROF_HEAP && !strcmp(key, "gc"))
		return 200;	/* pprof clients may ask for a GC first: nothing to do */
	snprintf(why, sizeof(why), "unknown parameter '%s' for %s (%s)",
		 route__quote(key, q1, sizeof(q1)),
		 route__quote(api_route__path(r->endpoint), q2, sizeof(q2)),
		 r->endpoint == API_STACKS ? "it takes top" : "it takes none");
	return route__fail(r, 400, why);
}

/* The query string q (after '?'): '&'-separated key[=value] pairs. */
static int route__query(struct api_route *r, const char *q)
{
	char key[API_TARGET_MAX], value[API_TARGET_MAX];
	bool seen_top = false, has_value;
	const char *end, *eq;
	int ret;

	for (; *q; q = *end ? end + 1 : end) {
		end = q + strcspn(q, "&");
		if (end == q)
			continue;
		eq = memchr(q, '=', end - q);
		has_value = eq != NULL;
		if (!eq)
			eq = end;
		if (api_route__unescape(q, eq - q, key, sizeof(key)) < 0 ||
		    (has_value && api_route__unescape(eq + 1, end - eq - 1, value,
						      sizeof(value)) < 0))
			return route__fail(r, 400, "malformed percent-encoding in the query");
		ret = route__param(r, key, has_value ? value : NULL, &seen_top);
		if (ret != 200)
			return ret;
	}
	return 200;
}

int api_route__parse(const char *target, struct api_route *r)
{
	char path[API_TARGET_MAX];
	size_t len = strnlen(target, API_TARGET_MAX);
	size_t plen = strcspn(target, "?");
	size_t i;
	int ret;

	*r = (struct api_route){ .status = 200, .top = API_TOP_DEFAULT };
	if (len == API_TARGET_MAX)
		return route__fail(r, 400, "request target too long");
	if (target[0] != '/')
		return route__fail(r, 400, "expected a path beginning with '/'");
	if (api_route__unescape(target, plen, path, sizeof(path)) < 0)
		return route__fail(r, 400, "malformed percent-encoding in the path");
	for (i = 0; path[i]; i++)
		if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f)
			return route__fail(r, 400, "control character in the path");
	ret = route__path(r, path);
	if (ret == 200 && target[plen] == '?')
		ret = route__query(r, target + plen + 1);
	return ret;
}
