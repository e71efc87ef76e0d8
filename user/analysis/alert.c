// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "analysis/alert.h"
#include "analysis/pressure.h"
#include "lib/grow.h"
#include "lib/text_escape.h"

#define SIZE_UNITS "B, K, M, G, T, KiB, MiB, GiB, TiB, KB, MB, GB, TB"

struct unit {
	const char *name;
	double factor;
};

static const struct unit size_units[] = {
	{ "", 1 }, { "b", 1 },
	{ "k", 1024.0 }, { "kib", 1024.0 }, { "kb", 1e3 },
	{ "m", 1048576.0 }, { "mib", 1048576.0 }, { "mb", 1e6 },
	{ "g", 1073741824.0 }, { "gib", 1073741824.0 }, { "gb", 1e9 },
	{ "t", 1099511627776.0 }, { "tib", 1099511627776.0 }, { "tb", 1e12 },
	{ NULL, 0 },
};

static const struct unit time_units[] = {
	{ "s", 1 }, { "sec", 1 }, { "min", 60 }, { "h", 3600 }, { "hour", 3600 },
	{ NULL, 0 },
};

static const struct unit event_units[] = {
	{ "", 1 }, { "/s", 1 }, { "/sec", 1 }, { "/min", 1 / 60.0 }, { "/h", 1 / 3600.0 },
	{ NULL, 0 },
};

static const struct unit stall_units[] = { { "", 1 }, { "ms/s", 1 }, { NULL, 0 } };
static const struct unit percent_units[] = { { "", 1 }, { "%", 1 }, { NULL, 0 } };
static const struct unit no_units[] = { { "", 1 }, { NULL, 0 } };

static int lookup(const struct unit *units, const char *name, double *factor)
{
	for (; units->name; units++) {
		if (!strcasecmp(units->name, name)) {
			*factor = units->factor;
			return 0;
		}
	}
	return -EINVAL;
}

struct parser {
	const char *p;
	char *err;
	size_t err_len;
	struct alert *a;
};

/* The reason into err; arg may be a part of the expression, so it is escaped (one line). */
static int fail(struct parser *ps, const char *fmt, const char *arg)
{
	char safe[TEXT_ESCAPE_SIZE(256)];

	text_escape__copy(safe, sizeof(safe), arg);
	snprintf(ps->err, ps->err_len, fmt, safe);
	return -EINVAL;
}

static void skip_spaces(struct parser *ps)
{
	while (isspace((unsigned char)*ps->p))
		ps->p++;
}

static int parse_metric(struct parser *ps)
{
	char name[32];
	size_t n = 0;
	int id;

	skip_spaces(ps);
	while (isalnum((unsigned char)ps->p[n]) || ps->p[n] == '_' || ps->p[n] == '/')
		n++;
	if (!n)
		return fail(ps, "expected a metric name first, e.g. rss>1G (metrics: %s)",
			    metric__names());
	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, ps->p, n);
	name[n] = '\0';
	ps->p += n;
	id = metric__by_name(name);
	if (id < 0) {
		snprintf(ps->err, ps->err_len, "unknown metric '%s' (metrics: %s)", name,
			 metric__names());
		return -EINVAL;
	}
	ps->a->metric = id;
	return 0;
}

static int parse_op(struct parser *ps)
{
	static const struct { const char *s; enum alert_op op; } ops[] = {
		{ ">=", ALERT_GE }, { "<=", ALERT_LE }, { "==", ALERT_EQ }, { "!=", ALERT_NE },
		{ ">", ALERT_GT }, { "<", ALERT_LT },
	};
	size_t i;

	skip_spaces(ps);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (!strncmp(ps->p, ops[i].s, strlen(ops[i].s))) {
			ps->a->op = ops[i].op;
			ps->p += strlen(ops[i].s);
			return 0;
		}
	}
	if (*ps->p == '=')
		return fail(ps, "'=' is not a comparison: use == (or >, >=, <, <=, !=)%s", "");
	return fail(ps, "expected a comparison (>, >=, <, <=, ==, !=) after '%s'",
		    metric__name(ps->a->metric));
}

static int parse_level(struct parser *ps)
{
	char word[16];
	size_t n = 0;
	int l;

	while (isalpha((unsigned char)ps->p[n]) && n < sizeof(word) - 1) {
		word[n] = tolower((unsigned char)ps->p[n]);
		n++;
	}
	word[n] = '\0';
	ps->p += n;
	skip_spaces(ps);
	l = pressure__level_of(word);
	if (!n || *ps->p)
		return fail(ps, "pressure is compared with a level: low, medium, high or "
			    "critical%s", "");
	if (l == PRESSURE_UNKNOWN)
		return fail(ps, "unknown pressure level '%s' (use low, medium, high or critical)",
			    word);
	ps->a->threshold = l;
	return 0;
}

/* A plain decimal number: [-]digits[.digits]; no hex, exponent, inf or nan. */
static int parse_number(struct parser *ps, double *out)
{
	const char *s = ps->p;
	char buf[64];
	size_t n = 0;
	bool digits = false;

	if (s[n] == '-' || s[n] == '+')
		n++;
	while (isdigit((unsigned char)s[n]) || s[n] == '.') {
		digits |= s[n] != '.';
		n++;
	}
	if (!digits || n >= sizeof(buf))
		return fail(ps, "expected a number after the comparison, found '%s'",
			    *s ? s : "nothing");
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (strchr(buf, '.') != strrchr(buf, '.'))
		return fail(ps, "malformed number '%s'", buf);
	*out = strtod(buf, NULL);
	ps->p += n;
	return 0;
}

static int parse_rate(struct parser *ps, const char *unit, double *factor)
{
	const char *slash = strchr(unit, '/');
	char size[16];
	double per;

	if (!*unit) {
		*factor = 1;
		return 0;
	}
	if (!slash)
		return fail(ps, "'%s' is a rate: give bytes per time, e.g. 50MB/min or 1KiB/s",
			    metric__name(ps->a->metric));
	if ((size_t)(slash - unit) >= sizeof(size))
		return fail(ps, "unknown size unit in '%s' (use " SIZE_UNITS ")", unit);
	memcpy(size, unit, slash - unit);
	size[slash - unit] = '\0';
	if (lookup(size_units, size, factor))
		return fail(ps, "unknown size unit '%s' (use " SIZE_UNITS ")", size);
	if (lookup(time_units, slash + 1, &per))
		return fail(ps, "unknown time unit '%s' (use s, min or h)", slash + 1);
	*factor /= per;
	return 0;
}

static int parse_unit(struct parser *ps, const char *unit, double *factor)
{
	const char *name = metric__name(ps->a->metric);
	char msg[160];

	switch (metric__kind(ps->a->metric)) {
	case MKIND_BYTES:
		if (lookup(size_units, unit, factor))
			return fail(ps, "unknown size unit '%s' (use " SIZE_UNITS ")", unit);
		return 0;
	case MKIND_BYTE_RATE:
		return parse_rate(ps, unit, factor);
	case MKIND_EVENT_RATE:
		if (lookup(event_units, unit, factor))
			return fail(ps, "unknown rate unit '%s' (use none, /s, /min or /h)", unit);
		return 0;
	case MKIND_STALL_RATE:
		if (lookup(stall_units, unit, factor))
			return fail(ps, "unknown unit '%s' for reclaim_stall (use ms/s or none)",
				    unit);
		return 0;
	case MKIND_PERCENT:
		if (lookup(percent_units, unit, factor))
			return fail(ps, "unknown unit '%s' for a percentage (use %% or none)", unit);
		return 0;
	default:
		if (!lookup(no_units, unit, factor))
			return 0;
		snprintf(msg, sizeof(msg), "%s takes a plain number, not a unit ('%%s')", name);
		return fail(ps, msg, unit);
	}
}

static int check_range(struct parser *ps, double v)
{
	const char *name = metric__name(ps->a->metric);
	char msg[96];

	switch (metric__kind(ps->a->metric)) {
	case MKIND_SCORE:
		if (v < 0 || v > 1)
			return fail(ps, "%s is a score from 0 to 1", name);
		return 0;
	case MKIND_PERCENT:
		if (v < 0 || v > 100)
			return fail(ps, "%s is a percentage from 0 to 100", name);
		return 0;
	case MKIND_COUNT:
		if (v < 0 || v != floor(v))
			return fail(ps, "%s is compared with a whole number >= 0", name);
		return 0;
	case MKIND_BYTES:
	case MKIND_EVENT_RATE:
	case MKIND_STALL_RATE:
		if (v < 0) {
			snprintf(msg, sizeof(msg), "%s is never negative", name);
			return fail(ps, "%s", msg);
		}
		return 0;
	default:
		return 0;
	}
}

static int parse_threshold(struct parser *ps)
{
	char unit[32];
	double v = 0, factor;
	size_t n;
	int ret;

	skip_spaces(ps);
	if (metric__kind(ps->a->metric) == MKIND_LEVEL)
		return parse_level(ps);
	ret = parse_number(ps, &v);
	if (ret)
		return ret;
	skip_spaces(ps);
	n = strlen(ps->p);
	while (n && isspace((unsigned char)ps->p[n - 1]))
		n--;
	if (n >= sizeof(unit))
		return fail(ps, "unit '%s' is not one memvigil knows", ps->p);
	memcpy(unit, ps->p, n);
	unit[n] = '\0';
	ret = parse_unit(ps, unit, &factor);
	if (ret)
		return ret;
	ret = check_range(ps, v);
	if (ret)
		return ret;
	ps->a->threshold = v * factor;
	return 0;
}

static void copy_expr(struct alert *a, const char *text)
{
	size_t n = 0;

	for (; *text && n < sizeof(a->expr) - 1; text++)
		if (!isspace((unsigned char)*text))
			a->expr[n++] = *text;
	a->expr[n] = '\0';
}

int alert__parse(const char *text, struct alert *out, char *err, size_t err_len)
{
	struct parser ps = { .p = text, .err = err, .err_len = err_len, .a = out };
	int ret;

	memset(out, 0, sizeof(*out));
	if (strlen(text) >= ALERT_EXPR_MAX)
		return fail(&ps, "longer than %s characters", "95");
	ret = parse_metric(&ps);
	if (ret)
		return ret;
	skip_spaces(&ps);
	if (!*ps.p) {
		if (out->metric != METRIC_OOM)
			return fail(&ps, "'%s' needs a comparison and a threshold, e.g. rss>1G",
				    metric__name(out->metric));
		out->op = ALERT_GT;
		out->threshold = 0;
	} else {
		ret = parse_op(&ps);
		if (!ret)
			ret = parse_threshold(&ps);
		if (ret)
			return ret;
	}
	copy_expr(out, text);
	return 0;
}

bool alert__holds(const struct alert *a, double v)
{
	if (isnan(v))
		return false;
	switch (a->op) {
	case ALERT_GT:
		return v > a->threshold;
	case ALERT_GE:
		return v >= a->threshold;
	case ALERT_LT:
		return v < a->threshold;
	case ALERT_LE:
		return v <= a->threshold;
	case ALERT_EQ:
		return v == a->threshold;
	default:
		return v != a->threshold;
	}
}

const char *alert__op_name(enum alert_op op)
{
	static const char *const names[] = { ">", ">=", "<", "<=", "==", "!=" };

	return op <= ALERT_NE ? names[op] : "?";
}

struct alert_state {
	pid_t pid;
	uint64_t firing;	/* bit per alert: its condition held when last known */
};

struct alert_set {
	struct alert alerts[ALERT_MAX];
	size_t cnt;
	struct alert_state *states;
	size_t state_cnt, state_cap;
};

struct alert_set *alert_set__new(const struct alert *alerts, size_t cnt)
{
	struct alert_set *set;

	if (cnt > ALERT_MAX) {
		errno = E2BIG;
		return NULL;
	}
	set = calloc(1, sizeof(*set));
	if (!set)
		return NULL;
	if (cnt)
		memcpy(set->alerts, alerts, cnt * sizeof(*alerts));
	set->cnt = cnt;
	return set;
}

void alert_set__free(struct alert_set *set)
{
	if (!set)
		return;
	free(set->states);
	free(set);
}

static struct alert_state *state_of(struct alert_set *set, pid_t pid)
{
	struct alert_state *s;
	size_t i;

	for (i = 0; i < set->state_cnt; i++)
		if (set->states[i].pid == pid)
			return &set->states[i];
	s = grow__array(set->states, &set->state_cap, set->state_cnt + 1, sizeof(*s), 4);
	if (!s)
		return NULL;
	set->states = s;
	s = &set->states[set->state_cnt++];
	*s = (struct alert_state){ .pid = pid };
	return s;
}

void alert_set__rekey(struct alert_set *set, pid_t pid, pid_t key)
{
	size_t i;

	for (i = 0; i < set->state_cnt; i++)
		if (set->states[i].pid == pid)
			set->states[i].pid = key;
}

void alert_set__forget(struct alert_set *set, pid_t key)
{
	size_t i;

	for (i = 0; i < set->state_cnt; i++) {
		if (set->states[i].pid != key)
			continue;
		set->states[i] = set->states[--set->state_cnt];	/* their order is not used */
		return;
	}
}

int alert_set__eval(struct alert_set *set, pid_t pid, const struct metric_values *mv,
		    alert_fire_fn fire, void *ctx)
{
	struct alert_state *st;
	int fired = 0;
	size_t i;

	if (!set->cnt)
		return 0;
	st = state_of(set, pid);
	if (!st)
		return -ENOMEM;
	for (i = 0; i < set->cnt; i++) {
		const struct alert *a = &set->alerts[i];
		double v = mv->v[a->metric];
		uint64_t bit = 1ull << i;

		if (isnan(v))
			continue;
		if (!alert__holds(a, v)) {
			st->firing &= ~bit;
			continue;
		}
		if (st->firing & bit)
			continue;
		st->firing |= bit;
		fired++;
		if (fire)
			fire(ctx, pid, a, v);
	}
	return fired;
}
