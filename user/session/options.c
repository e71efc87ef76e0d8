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
#include "lib/json_writer.h"
#include "lib/number.h"
#include "session/options.h"
#include "session/options_table.h"

/* argp keys of options without a short one: OPTION_KEY_BASE + their row. */
#define OPTION_KEY_BASE 0x100

const char *argp_program_version = "memvigil " MV_VERSION;
const char *argp_program_bug_address = NULL;

static const char *const mode_names[] = {
	[MV_MODE_STANDARD] = "standard",
	[MV_MODE_PRODUCTION] = "production",
	[MV_MODE_DEBUG] = "debug",
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
	return mode < MV_MODE_CNT ? mode_names[mode] : "?";
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

int option_parse__bad_value(struct option_parse *ps, const char *what, const char *arg,
			    const char *expect)
{
	if (ps->env_name)
		snprintf(ps->err, ps->err_len, "invalid %s '%s' in %s: %s", what, arg,
			 ps->env_name, expect);
	else
		snprintf(ps->err, ps->err_len, "invalid %s '%s': %s", what, arg, expect);
	return EINVAL;
}

/* The field of o that row r fills. */
static void *row__field(const struct option_row *r, const struct options *o)
{
	return (char *)o + r->off;
}

/* Store an integer in r's field, as wide as the field (32 or 64 bits). */
static void row__store_uint(const struct option_row *r, struct options *o, uint64_t v)
{
	uint32_t v32 = v;

	if (r->size == sizeof(uint64_t))
		memcpy(row__field(r, o), &v, sizeof(v));
	else
		memcpy(row__field(r, o), &v32, sizeof(v32));
}

/* The integer in r's field. */
static uint64_t row__load_uint(const struct option_row *r, const struct options *o)
{
	uint64_t v = 0;
	uint32_t v32;

	if (r->size == sizeof(uint64_t)) {
		memcpy(&v, row__field(r, o), sizeof(v));
		return v;
	}
	memcpy(&v32, row__field(r, o), sizeof(v32));
	return v32;
}

/* The value of NAME row r called arg, or -1. */
static long row__name_value(const struct option_row *r, const char *arg)
{
	unsigned int v;

	for (v = 0; v <= r->max; v++)
		if (!strcmp(arg, r->value_name(v)))
			return v;
	return -1;
}

/* Parse arg as row r's kind of value into o; -EINVAL if it is not one. */
static int row__parse(const struct option_row *r, struct options *o, const char *arg)
{
	unsigned long v;
	uint64_t bytes;
	double s;
	long n;

	switch (r->kind) {
	case OPTION_FLAG:
		return parse_flag(arg, (bool *)row__field(r, o));
	case OPTION_COUNT:
		if (!arg)
			v = row__load_uint(r, o) + 1;
		else if (number__parse_uint(arg, r->max, &v))
			return -EINVAL;
		row__store_uint(r, o, v);
		return 0;
	case OPTION_UINT:
		if (number__parse_uint(arg, r->max, &v) || v < r->min)
			return -EINVAL;
		row__store_uint(r, o, v);
		return 0;
	case OPTION_SECONDS:
		if (options__parse_seconds(arg, &s) || s < r->min ||
		    (r->min_excluded && s == r->min) || s > r->max)
			return -EINVAL;
		*(double *)row__field(r, o) = s;
		return 0;
	case OPTION_BYTES:
		if (options__parse_bytes(arg, r->max, &bytes))
			return -EINVAL;
		row__store_uint(r, o, bytes);
		return 0;
	case OPTION_TEXT:
		if (!arg[r->not_blank ? strspn(arg, " \t") : 0] ||
		    (r->file_only && !strcmp(arg, "-")))
			return -EINVAL;
		*(const char **)row__field(r, o) = arg;
		return 0;
	case OPTION_NAME:
		n = row__name_value(r, arg);
		if (n < 0)
			return -EINVAL;
		row__store_uint(r, o, n);
		return 0;
	case OPTION_CUSTOM:
		break;
	}
	return -EINVAL;
}

/* Apply row r with argument arg (NULL for flags on the command line); 0 or EINVAL. */
static int row__apply(struct option_parse *ps, const struct option_row *r, const char *arg)
{
	if (r->kind == OPTION_CUSTOM)
		return r->parse(ps, arg);
	if (row__parse(r, ps->opts, arg))
		return option_parse__bad_value(ps, r->what, arg, r->expect);
	return 0;
}

/* The argp key of row i. */
static int row_key(size_t i)
{
	return options_table[i].key ? options_table[i].key : OPTION_KEY_BASE + (int)i;
}

/* The row of argp key, or -1. */
static int row_of_key(int key)
{
	size_t i;

	for (i = 0; i < options_table_cnt; i++)
		if (row_key(i) == key)
			return i;
	return -1;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct option_parse *ps = state->input;
	int i, ret;

	if (key == ARGP_KEY_ARGS) {
		ps->opts->command = state->argv + state->next;
		ps->opts->command_argc = state->argc - state->next;
		ps->cli_target = true;
		return 0;
	}
	i = row_of_key(key);
	if (i < 0)
		return ARGP_ERR_UNKNOWN;
	ret = row__apply(ps, &options_table[i], arg);
	if (ret)
		return ret;
	ps->set |= 1ull << i;
	if (options_table[i].target)
		ps->cli_target = true;
	return 0;
}

/* MEMVIGIL_NAME of row r (upper case, '-' as '_') into name. */
static void row__env_name(const struct option_row *r, char *name, size_t len)
{
	size_t j = snprintf(name, len, "MEMVIGIL_");

	for (const char *c = r->name; *c && j < len - 1; c++)
		name[j++] = *c == '-' ? '_' : toupper((unsigned char)*c);
	name[j] = '\0';
}

/* MEMVIGIL_NAME for each long option the command line did not give. */
static int apply_environment(struct option_parse *ps)
{
	char name[64], *value;
	size_t i;
	int ret;

	for (i = 0; i < options_table_cnt; i++) {
		const struct option_row *r = &options_table[i];

		if (ps->set & (1ull << i) || (r->target && ps->cli_target))
			continue;
		row__env_name(r, name, sizeof(name));
		value = getenv(name);
		if (!value)
			continue;
		ps->env_name = name;
		ret = row__apply(ps, r, value);
		ps->env_name = NULL;
		if (ret)
			return -EINVAL;
		ps->set |= 1ull << i;
	}
	return 0;
}

/* Fill what neither the command line nor the environment gave from the --mode preset. */
static void apply_preset(struct option_parse *ps)
{
	enum mv_mode mode = ps->opts->mode;
	size_t i;

	for (i = 0; i < options_table_cnt; i++) {
		const struct option_row *r = &options_table[i];

		if (!r->has_preset || (ps->set & (1ull << i)))
			continue;
		if (r->kind == OPTION_SECONDS)
			*(double *)row__field(r, ps->opts) = r->preset[mode];
		else
			row__store_uint(r, ps->opts, r->preset[mode]);
	}
}

/* The rules between options, after each was checked on its own. */
unsigned int options__stdout_outputs(const struct options *o)
{
	const char *paths[] = { o->json_path, o->jsonl_path, o->pprof_path, o->folded_path };
	unsigned int i, n = 0;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		n += paths[i] && !strcmp(paths[i], "-");
	return n;
}

static int validate(struct option_parse *ps)
{
	struct options *o = ps->opts;

	if (o->preload && !o->command) {
		snprintf(ps->err, ps->err_len, "--preload starts a command with the sampler: give "
			 "-- COMMAND (a running process must already preload it)");
		return -EINVAL;
	}
	if (o->kernel_only && (o->pprof_path || o->folded_path)) {
		snprintf(ps->err, ps->err_len, "%s needs heap stacks, which --kernel-only does not "
			 "trace: drop one of them", o->pprof_path ? "--pprof" : "--folded");
		return -EINVAL;
	}
	if (o->json_path && o->jsonl_path && !strcmp(o->json_path, "-") &&
	    !strcmp(o->jsonl_path, "-")) {
		snprintf(ps->err, ps->err_len,
			 "--json and --jsonl cannot both write to stdout: give one of them a file");
		return -EINVAL;
	}
	if (options__stdout_outputs(o) > 1) {
		snprintf(ps->err, ps->err_len, "only one of -j, --jsonl, --pprof and --folded can "
			 "write to stdout ('-'): give the others a file");
		return -EINVAL;
	}
	if (o->interval_s > 0 && o->window_s < o->interval_s) {
		snprintf(ps->err, ps->err_len,
			 "--window=%g is shorter than --interval=%g: the window must span at "
			 "least one interval", o->window_s, o->interval_s);
		return -EINVAL;
	}
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

/* argp's option list, from the table. */
static const struct argp_option *argp_options(void)
{
	static struct argp_option defs[OPTIONS_MAX + 1];
	size_t i;

	for (i = 0; i < options_table_cnt; i++) {
		const struct option_row *r = &options_table[i];

		defs[i] = (struct argp_option){ .name = r->name, .key = row_key(i),
						.arg = r->arg, .doc = r->help };
	}
	return defs;
}

/* options__parse with argp's flags (0: argp handles --help, --version and errors itself). */
static int parse_with(int argc, char **argv, struct options *opts, char *err, size_t err_len,
		      unsigned int flags)
{
	struct argp argp = {
		.options = argp_options(), .parser = parse_opt,
		.args_doc = options_args_doc, .doc = options_doc,
	};
	struct option_parse ps = { .opts = opts, .err = err, .err_len = err_len };

	memset(opts, 0, sizeof(*opts));
	opts->argc = argc;
	opts->argv = argv;
	err[0] = '\0';
	if (argp_parse(&argp, argc, argv, flags, NULL, &ps)) {
		if (!err[0])
			snprintf(err, err_len, "invalid arguments (see --help)");
		return -EINVAL;
	}
	if (apply_environment(&ps))
		return -EINVAL;
	apply_preset(&ps);
	return validate(&ps);
}

int options__parse(int argc, char **argv, struct options *opts,
		   char *err, size_t err_len)
{
	return parse_with(argc, argv, opts, err, err_len, 0);
}

int options__parse_recorded(int argc, char **argv, struct options *opts,
			    char *err, size_t err_len)
{
	return parse_with(argc, argv, opts, err, err_len,
			  ARGP_NO_EXIT | ARGP_NO_HELP | ARGP_NO_ERRS);
}

/* Row r's value in o as the JSON report's options member r->json. */
static void row__echo(const struct option_row *r, struct json_writer *w, const struct options *o)
{
	uint64_t v;
	double s;

	switch (r->kind) {
	case OPTION_CUSTOM:
		r->echo(w, r->json, o);
		return;
	case OPTION_SECONDS:
		s = *(const double *)row__field(r, o);
		json_double_field(w, r->json, r->json_zero_null && s == 0 ? NAN : s);
		return;
	case OPTION_FLAG:
		json_bool_field(w, r->json, *(const bool *)row__field(r, o));
		return;
	case OPTION_TEXT:
		json_string_field(w, r->json, *(const char *const *)row__field(r, o));
		return;
	case OPTION_NAME:
		json_string_field(w, r->json, r->value_name(row__load_uint(r, o)));
		return;
	case OPTION_COUNT:
	case OPTION_UINT:
	case OPTION_BYTES:
		v = row__load_uint(r, o);
		json_u64_or_null_field(w, r->json, !(r->json_zero_null && v == 0), v);
		return;
	}
}

void options__echo_json(struct json_writer *w, const void *opts)
{
	size_t i;

	for (i = 0; i < options_table_cnt; i++)
		if (options_table[i].json)
			row__echo(&options_table[i], w, opts);
}
