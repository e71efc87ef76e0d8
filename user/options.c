// SPDX-License-Identifier: GPL-2.0
#include <argp.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "memvigil/sampling.h"
#include "options.h"

#define OPT_MIN_AGE 0x100
#define OPT_ENTRY_PROBES 0x101
#define OPT_CGROUP 0x102
#define OPT_KERNEL_ONLY 0x103
#define OPT_SAMPLE_BYTES 0x104
#define OPT_SAMPLE_MAX_LIVE 0x105
#define OPT_ALLOCATOR 0x106

const char *argp_program_version = "memvigil " MV_VERSION;
const char *argp_program_bug_address = NULL;

static const char doc[] =
	"memvigil -- trace a process's heap allocations with eBPF and report "
	"what is still outstanding, grouped by call stack.\v"
	"Text reports go to stdout every --interval seconds and at the end. "
	"Ctrl-C or SIGTERM ends tracing with a final report; SIGUSR1 prints a "
	"report now. Requires root and a kernel with BTF.";

static const char args_doc[] = "-p PID\n-- COMMAND [ARG...]\n--cgroup=PATH";

static const struct argp_option option_defs[] = {
	{ "pid", 'p', "PID", 0, "trace a running process (all its threads)", 0 },
	{ "cgroup", OPT_CGROUP, "PATH", 0,
	  "trace every process in the cgroup directory PATH and its descendants (cgroup2 or "
	  "v1), including those that enter it later", 0 },
	{ "follow", 'f', NULL, 0,
	  "also trace the processes the target forks, their children, and what they exec", 0 },
	{ "duration", 'd', "SEC", 0,
	  "stop after SEC seconds (default: Ctrl-C, SIGTERM, or the command's exit)", 0 },
	{ "interval", 'i', "SEC", 0,
	  "print a report every SEC seconds (default 5; 0 = only at the end)", 0 },
	{ "top", 'n', "N", 0, "stacks shown per process in text reports (default 10)", 0 },
	{ "min-age", OPT_MIN_AGE, "SEC", 0,
	  "text reports list only allocations older than SEC (default 0)", 0 },
	{ "json", 'j', "FILE", 0, "write the final report as JSON to FILE ('-' for stdout)", 0 },
	{ "verbose", 'v', NULL, 0, "more diagnostics (-vv also shows libbpf's own messages)", 0 },
	{ "allocator", OPT_ALLOCATOR, "LIB", 0,
	  "probe the allocator in the mapped object LIB (a path, or part of its name such as "
	  "jemalloc) instead of the one found by symbol search order", 0 },
	{ "entry-probes", OPT_ENTRY_PROBES, NULL, 0,
	  "probe allocator functions at their entries instead of the cheapest equivalent "
	  "instruction (slower; for comparison)", 0 },
	{ "kernel-only", OPT_KERNEL_ONLY, NULL, 0,
	  "attach no heap probes: only the kernel's signals (RSS, faults, mappings, reclaim, "
	  "OOM kills, PSI, cgroup limits), at almost no cost to the process", 0 },
	{ "sample-bytes", OPT_SAMPLE_BYTES, "N", 0,
	  "sample allocations, one per N bytes allocated on average (e.g. 512K; reports "
	  "show estimates); 0 = trace every allocation (default)", 0 },
	{ "sample-max-live", OPT_SAMPLE_MAX_LIVE, "COUNT", 0,
	  "sampled blocks the kernel tracks at once (default 262144); more are counted as lost",
	  0 },
	{ 0 },
};

struct parse_state {
	struct options *opts;
	char *err;
	size_t err_len;
};

int options__parse_seconds(const char *text, double *out)
{
	char *end;
	double v;

	if (!text || !*text)
		return -EINVAL;
	errno = 0;
	v = strtod(text, &end);
	if (errno || *end || !isfinite(v) || v < 0)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_uint(const char *text, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!text || *text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Shift of a binary unit suffix ("", K, KiB, M, MiB, G, GiB), or -1. */
static int unit_shift(const char *unit)
{
	static const char letters[] = "kmg";
	const char *l;

	if (!*unit)
		return 0;
	l = strchr(letters, tolower((unsigned char)*unit));
	if (!l || (unit[1] && strcasecmp(unit + 1, "ib")))
		return -1;
	return 10 * (int)(l - letters + 1);
}

int options__parse_bytes(const char *text, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int shift;

	if (!text || !isdigit((unsigned char)*text))
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	shift = unit_shift(end);
	if (shift < 0)
		return -EINVAL;
	if (errno || v > (max >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

static int bad_value(struct parse_state *ps, const char *what, const char *arg,
		     const char *expect)
{
	snprintf(ps->err, ps->err_len, "invalid %s '%s': %s", what, arg, expect);
	return EINVAL;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct parse_state *ps = state->input;
	struct options *o = ps->opts;
	unsigned long v;

	switch (key) {
	case 'p':
		if (parse_uint(arg, INT_MAX, &v) || v == 0)
			return bad_value(ps, "PID", arg, "expected a positive process ID (see ps)");
		o->pid = v;
		break;
	case 'd':
		if (options__parse_seconds(arg, &o->duration_s) || o->duration_s == 0)
			return bad_value(ps, "duration", arg,
					 "expected seconds > 0, e.g. -d 30");
		break;
	case 'i':
		if (options__parse_seconds(arg, &o->interval_s))
			return bad_value(ps, "interval", arg,
					 "expected seconds >= 0, e.g. -i 5 (0 = final report only)");
		break;
	case 'n':
		if (parse_uint(arg, 100000, &v) || v == 0)
			return bad_value(ps, "--top", arg, "expected a count from 1 to 100000");
		o->top = v;
		break;
	case OPT_MIN_AGE:
		if (options__parse_seconds(arg, &o->min_age_s))
			return bad_value(ps, "--min-age", arg, "expected seconds >= 0");
		break;
	case 'j':
		if (!*arg)
			return bad_value(ps, "--json", arg, "expected a file name or '-'");
		o->json_path = arg;
		break;
	case OPT_CGROUP:
		if (!*arg)
			return bad_value(ps, "--cgroup", arg, "expected a cgroup directory");
		o->cgroup = arg;
		break;
	case 'f':
		o->follow = true;
		break;
	case 'v':
		o->verbose++;
		break;
	case OPT_ENTRY_PROBES:
		o->entry_probes = true;
		break;
	case OPT_KERNEL_ONLY:
		o->kernel_only = true;
		break;
	case OPT_SAMPLE_BYTES:
		if (options__parse_bytes(arg, MV_SAMPLE_BYTES_MAX, &o->sample_bytes))
			return bad_value(ps, "--sample-bytes", arg,
					 "expected bytes from 0 (exact) to 1G, e.g. 512K or 65536");
		break;
	case OPT_SAMPLE_MAX_LIVE:
		if (parse_uint(arg, MV_SAMPLE_MAX_LIVE_MAX, &v) || v == 0)
			return bad_value(ps, "--sample-max-live", arg,
					 "expected a count from 1 to 16777216");
		o->sample_max_live = v;
		break;
	case OPT_ALLOCATOR:
		if (!*arg)
			return bad_value(ps, "--allocator", arg,
					 "expected a library path or name, e.g. --allocator=jemalloc");
		o->allocator = arg;
		break;
	case ARGP_KEY_ARGS:
		o->command = state->argv + state->next;
		o->command_argc = state->argc - state->next;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int validate(struct parse_state *ps)
{
	struct options *o = ps->opts;

	if (o->cgroup && (o->pid || o->command)) {
		snprintf(ps->err, ps->err_len, "--cgroup traces a whole cgroup: give it without "
			 "-p or a command");
		return -EINVAL;
	}
	if (o->cgroup)
		return 0;
	if (!o->pid && !o->command && o->follow) {
		snprintf(ps->err, ps->err_len,
			 "--follow needs a target to follow: give -p PID or -- COMMAND");
		return -EINVAL;
	}
	if (!o->pid && !o->command) {
		snprintf(ps->err, ps->err_len,
			 "no target: give -p PID, -- COMMAND or --cgroup=PATH (see --help)");
		return -EINVAL;
	}
	if (o->pid && o->command) {
		snprintf(ps->err, ps->err_len,
			 "both -p and a command given: trace one target at a time");
		return -EINVAL;
	}
	return 0;
}

int options__parse(int argc, char **argv, struct options *opts,
		   char *err, size_t err_len)
{
	static const struct argp argp = {
		.options = option_defs, .parser = parse_opt,
		.args_doc = args_doc, .doc = doc,
	};
	struct parse_state ps = { .opts = opts, .err = err, .err_len = err_len };

	memset(opts, 0, sizeof(*opts));
	opts->interval_s = 5;
	opts->top = 10;
	opts->sample_max_live = MV_SAMPLE_MAX_LIVE_DEFAULT;
	err[0] = '\0';
	if (argp_parse(&argp, argc, argv, 0, NULL, &ps)) {
		if (!err[0])
			snprintf(err, err_len, "invalid arguments (see --help)");
		return -EINVAL;
	}
	return validate(&ps);
}
