// SPDX-License-Identifier: GPL-2.0
#include <argp.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "memvigil/events.h"
#include "memvigil/sampling.h"
#include "session/options.h"

#define OPT_MIN_AGE 0x100
#define OPT_ENTRY_PROBES 0x101
#define OPT_CGROUP 0x102
#define OPT_KERNEL_ONLY 0x103
#define OPT_SAMPLE_BYTES 0x104
#define OPT_SAMPLE_MAX_LIVE 0x105
#define OPT_ALLOCATOR 0x106
#define OPT_WINDOW 0x107
#define OPT_ALERT 0x108
#define OPT_ON_ALERT 0x109
#define OPT_JSONL 0x10a
#define OPT_MODE 0x10b
#define OPT_STACK_DEPTH 0x10c
#define OPT_FRAMES 0x10d
#define OPT_MAPPINGS 0x10e
#define OPT_UNWIND 0x10f
#define OPT_HTML 0x110

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
#define SECONDS_MAX_TEXT STRINGIFY(MV_SECONDS_MAX) " (30 days)"

const char *argp_program_version = "memvigil " MV_VERSION;
const char *argp_program_bug_address = NULL;

static const char doc[] =
	"memvigil -- trace a process's heap allocations with eBPF and report "
	"what is still outstanding, grouped by call stack.\v"
	"Text reports go to stdout every --interval seconds and at the end. "
	"Ctrl-C or SIGTERM ends tracing with a final report; SIGUSR1 prints a "
	"report now. Requires root and a kernel with BTF. Every long option "
	"--NAME can also be set in the environment as MEMVIGIL_NAME (e.g. "
	"MEMVIGIL_WINDOW=120, MEMVIGIL_ALERT='rss>1G;oom'); the command line wins.";

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
	{ "html", OPT_HTML, "FILE", 0,
	  "write the final report as one self-contained HTML page to FILE (charts, flame "
	  "graph, top stacks; opens offline in any browser)", 0 },
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
	{ "window", OPT_WINDOW, "SEC", 0,
	  "window for growth rates, trends and leak verdicts (default 60; at least --interval)", 0 },
	{ "alert", OPT_ALERT, "EXPR", 0,
	  "report when EXPR becomes true, e.g. rss>1G, heap_growth>50MB/min, pressure>=high, "
	  "leak_score>0.8, oom (repeatable, or several EXPRs separated by ';')", 0 },
	{ "on-alert", OPT_ON_ALERT, "CMD", 0,
	  "run CMD (no shell) when an alert fires, with the details in MEMVIGIL_ALERT_* "
	  "variables and a fixed PATH as its whole environment; at most once per 10 s", 0 },
	{ "jsonl", OPT_JSONL, "FILE", 0,
	  "append one JSON line per process per interval and one per alert to FILE "
	  "('-' for stdout)", 0 },
	{ "mode", OPT_MODE, "MODE", 0,
	  "preset defaults: production, standard (the default) or debug", 0 },
	{ "stack-depth", OPT_STACK_DEPTH, "N", 0,
	  "frames recorded per allocation and mapping stack, 1 to 128 (default 64; debug: "
	  "128); deeper stacks are cut and counted", 0 },
	{ "frames", OPT_FRAMES, "N", 0,
	  "frames printed per stack in text reports (default 12; debug: 0 = all)", 0 },
	{ "mappings", OPT_MAPPINGS, "HOW", 0,
	  "how mmap, munmap, mremap and brk are followed: wrappers (the default: uprobes in "
	  "the traced processes' C library), syscalls (also sees raw syscalls, but every "
	  "system call on the host pays) or off", 0 },
	{ "unwind", OPT_UNWIND, "HOW", 0,
	  "how user stacks are walked: auto (the default: tables from each object's call "
	  "frame information, frame pointers where an object has none), dwarf (the same, "
	  "warning about each object without a table) or fp (frame pointers only)", 0 },
	{ 0 },
};

#define OPTION_CNT (sizeof(option_defs) / sizeof(option_defs[0]) - 1)

struct parse_state {
	struct options *opts;
	char *err;
	size_t err_len;
	const char *env_name;	/* the variable being read, NULL on the command line */
	uint32_t set;		/* bit per option_defs entry given (command line or env) */
	bool cli_target;	/* -p, --cgroup or a command on the command line */
};

/* Defaults per --mode for the options not given (see the man page). */
struct preset {
	double interval_s;
	double window_s;
	unsigned int top;
	int verbose;
	uint64_t sample_bytes;
	unsigned int stack_depth;
	unsigned int frames;		/* 0 = all */
};

static const char *const mode_names[] = {
	[MV_MODE_STANDARD] = "standard",
	[MV_MODE_PRODUCTION] = "production",
	[MV_MODE_DEBUG] = "debug",
};

static const struct preset presets[] = {
	[MV_MODE_STANDARD] = { .interval_s = 5, .window_s = 60, .top = 10,
			       .stack_depth = MV_DEFAULT_STACK_DEPTH, .frames = 12 },
	[MV_MODE_PRODUCTION] = { .interval_s = 10, .window_s = 300, .top = 5,
				 .sample_bytes = 512 << 10, .stack_depth = MV_DEFAULT_STACK_DEPTH,
				 .frames = 12 },
	[MV_MODE_DEBUG] = { .interval_s = 1, .window_s = 60, .top = 50, .verbose = 1,
			    .stack_depth = MV_MAX_STACK_DEPTH, .frames = 0 },
};

static const char *const mappings_names[] = {
	[MV_MAPPINGS_WRAPPERS] = "wrappers",
	[MV_MAPPINGS_SYSCALLS] = "syscalls",
	[MV_MAPPINGS_OFF] = "off",
};

const char *options__mappings_name(enum mv_mappings m)
{
	return m <= MV_MAPPINGS_OFF ? mappings_names[m] : "?";
}

const char *options__mode_name(enum mv_mode mode)
{
	return mode <= MV_MODE_DEBUG ? mode_names[mode] : "?";
}

static int option_index(int key)
{
	size_t i;

	for (i = 0; i < OPTION_CNT; i++)
		if (option_defs[i].key == key)
			return i;
	return -1;
}

static bool given(const struct parse_state *ps, int key)
{
	int i = option_index(key);

	return i >= 0 && (ps->set & (1u << i));
}

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

/* Seconds from lo (above it if above) to MV_SECONDS_MAX; -EINVAL otherwise. */
static int parse_seconds_from(const char *text, double lo, bool above, double *out)
{
	double v;

	if (options__parse_seconds(text, &v) || v < lo || (above && v == lo) ||
	    v > MV_SECONDS_MAX)
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
	if (ps->env_name)
		snprintf(ps->err, ps->err_len, "invalid %s '%s' in %s: %s", what, arg,
			 ps->env_name, expect);
	else
		snprintf(ps->err, ps->err_len, "invalid %s '%s': %s", what, arg, expect);
	return EINVAL;
}

static int add_alert(struct parse_state *ps, const char *text)
{
	struct options *o = ps->opts;
	char why[200];

	if (o->alert_cnt == ALERT_MAX) {
		snprintf(ps->err, ps->err_len, "too many --alert options (at most %d)", ALERT_MAX);
		return EINVAL;
	}
	if (alert__parse(text, &o->alerts[o->alert_cnt], why, sizeof(why)))
		return bad_value(ps, "--alert", text, why);
	o->alert_cnt++;
	return 0;
}

/* An --alert value (option or MEMVIGIL_ALERT): expressions separated by ';'. */
static int add_alerts(struct parse_state *ps, const char *list)
{
	char buf[ALERT_MAX * ALERT_EXPR_MAX], *save = NULL, *tok;
	int ret, added = 0;

	if (strlen(list) >= sizeof(buf))
		return bad_value(ps, "--alert", "...", "too long");
	strcpy(buf, list);
	for (tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		if (!tok[strspn(tok, " \t")])
			continue;
		ret = add_alert(ps, tok);
		if (ret)
			return ret;
		added++;
	}
	if (!added)
		return bad_value(ps, "--alert", list, "expected an expression such as rss>1G");
	return 0;
}

static int parse_mode(struct parse_state *ps, const char *arg)
{
	size_t m;

	for (m = 0; m < sizeof(mode_names) / sizeof(mode_names[0]); m++) {
		if (!strcmp(arg, mode_names[m])) {
			ps->opts->mode = m;
			return 0;
		}
	}
	return bad_value(ps, "--mode", arg, "expected production, standard or debug");
}

/* A flag: NULL (given on the command line), 1/yes/true or 0/no/false. */
static int parse_flag(const char *arg, bool *out)
{
	if (!arg || !strcmp(arg, "1") || !strcasecmp(arg, "yes") || !strcasecmp(arg, "true"))
		*out = true;
	else if (!strcmp(arg, "0") || !strcasecmp(arg, "no") || !strcasecmp(arg, "false"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

/* Apply option key with argument arg (NULL for flags on the command line). */
static int apply(struct parse_state *ps, int key, char *arg)
{
	struct options *o = ps->opts;
	unsigned long v;

	switch (key) {
	case 'p':
		if (parse_uint(arg, INT_MAX, &v) || v == 0)
			return bad_value(ps, "PID", arg, "expected a positive process ID (see ps)");
		o->pid = v;
		break;
	case 'd':
		if (parse_seconds_from(arg, 0, true, &o->duration_s))
			return bad_value(ps, "duration", arg, "expected seconds > 0 and at most "
					 SECONDS_MAX_TEXT ", e.g. -d 30");
		break;
	case 'i':
		if (parse_seconds_from(arg, 0, false, &o->interval_s))
			return bad_value(ps, "interval", arg, "expected seconds from 0 to "
					 SECONDS_MAX_TEXT ", e.g. -i 5 (0 = final report only)");
		break;
	case 'n':
		if (parse_uint(arg, 100000, &v) || v == 0)
			return bad_value(ps, "--top", arg, "expected a count from 1 to 100000");
		o->top = v;
		break;
	case OPT_MIN_AGE:
		if (parse_seconds_from(arg, 0, false, &o->min_age_s))
			return bad_value(ps, "--min-age", arg,
					 "expected seconds from 0 to " SECONDS_MAX_TEXT);
		break;
	case 'j':
		if (!*arg)
			return bad_value(ps, "--json", arg, "expected a file name or '-'");
		o->json_path = arg;
		break;
	case OPT_HTML:
		if (!*arg || !strcmp(arg, "-"))
			return bad_value(ps, "--html", arg, "expected a file name");
		o->html_path = arg;
		break;
	case OPT_CGROUP:
		if (!*arg)
			return bad_value(ps, "--cgroup", arg, "expected a cgroup directory");
		o->cgroup = arg;
		break;
	case 'f':
		if (parse_flag(arg, &o->follow))
			return bad_value(ps, "--follow", arg, "expected 1 or 0");
		break;
	case 'v':
		if (!arg)
			o->verbose++;
		else if (parse_uint(arg, 3, &v))
			return bad_value(ps, "--verbose", arg, "expected a level from 0 to 3");
		else
			o->verbose = v;
		break;
	case OPT_ENTRY_PROBES:
		if (parse_flag(arg, &o->entry_probes))
			return bad_value(ps, "--entry-probes", arg, "expected 1 or 0");
		break;
	case OPT_KERNEL_ONLY:
		if (parse_flag(arg, &o->kernel_only))
			return bad_value(ps, "--kernel-only", arg, "expected 1 or 0");
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
	case OPT_WINDOW:
		if (parse_seconds_from(arg, 1, false, &o->window_s))
			return bad_value(ps, "--window", arg, "expected seconds from 1 to "
					 SECONDS_MAX_TEXT ", e.g. --window=60");
		break;
	case OPT_ALERT:
		return add_alerts(ps, arg);
	case OPT_ON_ALERT:
		if (!arg[strspn(arg, " \t")])
			return bad_value(ps, "--on-alert", arg, "expected a command to run");
		o->on_alert = arg;
		break;
	case OPT_JSONL:
		if (!*arg)
			return bad_value(ps, "--jsonl", arg, "expected a file name or '-'");
		o->jsonl_path = arg;
		break;
	case OPT_MODE:
		return parse_mode(ps, arg);
	case OPT_STACK_DEPTH:
		if (parse_uint(arg, MV_MAX_STACK_DEPTH, &v) || v == 0)
			return bad_value(ps, "--stack-depth", arg, "expected frames from 1 to 128");
		o->stack_depth = v;
		break;
	case OPT_MAPPINGS:
		for (v = 0; v < sizeof(mappings_names) / sizeof(mappings_names[0]); v++)
			if (!strcmp(arg, mappings_names[v]))
				break;
		if (v == sizeof(mappings_names) / sizeof(mappings_names[0]))
			return bad_value(ps, "--mappings", arg,
					 "expected wrappers, syscalls or off");
		o->mappings = v;
		break;
	case OPT_UNWIND:
		for (v = 0; v <= MV_UNWIND_DWARF; v++)
			if (!strcmp(arg, unwind_maps__mode_name(v)))
				break;
		if (v > MV_UNWIND_DWARF)
			return bad_value(ps, "--unwind", arg, "expected auto, fp or dwarf");
		o->unwind = v;
		break;
	case OPT_FRAMES:
		if (parse_uint(arg, MV_MAX_STACK_DEPTH, &v))
			return bad_value(ps, "--frames", arg,
					 "expected frames from 0 (all) to 128");
		o->frames = v;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct parse_state *ps = state->input;
	int i, ret;

	if (key == ARGP_KEY_ARGS) {
		ps->opts->command = state->argv + state->next;
		ps->opts->command_argc = state->argc - state->next;
		ps->cli_target = true;
		return 0;
	}
	ret = apply(ps, key, arg);
	if (ret)
		return ret;
	i = option_index(key);
	if (i >= 0)
		ps->set |= 1u << i;
	if (key == 'p' || key == OPT_CGROUP)
		ps->cli_target = true;
	return 0;
}

/* MEMVIGIL_NAME for each long option the command line did not give. */
static int apply_environment(struct parse_state *ps)
{
	char name[64], *value;
	size_t i, j;
	int ret;

	for (i = 0; i < OPTION_CNT; i++) {
		const struct argp_option *d = &option_defs[i];

		if (ps->set & (1u << i) ||
		    ((d->key == 'p' || d->key == OPT_CGROUP) && ps->cli_target))
			continue;
		j = snprintf(name, sizeof(name), "MEMVIGIL_");
		for (const char *c = d->name; *c && j < sizeof(name) - 1; c++)
			name[j++] = *c == '-' ? '_' : (*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
		name[j] = '\0';
		value = getenv(name);
		if (!value)
			continue;
		ps->env_name = name;
		ret = apply(ps, d->key, value);
		ps->env_name = NULL;
		if (ret)
			return -EINVAL;
		ps->set |= 1u << i;
	}
	return 0;
}

/* Fill what neither the command line nor the environment gave from the preset. */
static void apply_preset(struct parse_state *ps)
{
	const struct preset *p = &presets[ps->opts->mode];
	struct options *o = ps->opts;

	if (!given(ps, 'i'))
		o->interval_s = p->interval_s;
	if (!given(ps, OPT_WINDOW))
		o->window_s = p->window_s;
	if (!given(ps, 'n'))
		o->top = p->top;
	if (!given(ps, 'v'))
		o->verbose = p->verbose;
	if (!given(ps, OPT_SAMPLE_BYTES))
		o->sample_bytes = p->sample_bytes;
	if (!given(ps, OPT_STACK_DEPTH))
		o->stack_depth = p->stack_depth;
	if (!given(ps, OPT_FRAMES))
		o->frames = p->frames;
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
	if (o->json_path && o->jsonl_path && !strcmp(o->json_path, "-") &&
	    !strcmp(o->jsonl_path, "-")) {
		snprintf(ps->err, ps->err_len,
			 "--json and --jsonl cannot both write to stdout: give one of them a file");
		return -EINVAL;
	}
	if (o->interval_s > 0 && o->window_s < o->interval_s) {
		snprintf(ps->err, ps->err_len,
			 "--window=%g is shorter than --interval=%g: the window must span at "
			 "least one interval", o->window_s, o->interval_s);
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

	_Static_assert(OPTION_CNT <= 32, "option bits fit in parse_state.set");
	memset(opts, 0, sizeof(*opts));
	opts->sample_max_live = MV_SAMPLE_MAX_LIVE_DEFAULT;
	err[0] = '\0';
	if (argp_parse(&argp, argc, argv, 0, NULL, &ps)) {
		if (!err[0])
			snprintf(err, err_len, "invalid arguments (see --help)");
		return -EINVAL;
	}
	if (apply_environment(&ps))
		return -EINVAL;
	apply_preset(&ps);
	return validate(&ps);
}
