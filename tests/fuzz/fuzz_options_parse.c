// SPDX-License-Identifier: GPL-2.0
/*
 * The whole options parse (session/options__parse): a command line and
 * MEMVIGIL_* variables, as the rows of options_table.c read them. Input
 * lines starting with "MEMVIGIL_" and holding '=' are set in the
 * environment; the others are the command line's words. Words argp itself
 * would refuse by exiting (unknown options, an argument missing or given to
 * a flag, --help) are left out: what is fuzzed is memvigil's part. A parse
 * either fills a target and leaves no message, or fails with -EINVAL and
 * one line saying why.
 */
#include <errno.h>
#include <stdbool.h>
#include "fuzz_input.h"
#include "session/options.h"
#include "session/options_table.h"

#define WORDS_MAX 64

struct cmdline {
	char *argv[WORDS_MAX + 2];
	int argc;
	char *env[WORDS_MAX];	/* names set, to unset after the parse */
	int env_cnt;
	bool positional;	/* after "--": every word is the command's */
};

/* The row named name[0..len), or NULL. */
static const struct option_row *row_named(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < options_table_cnt; i++)
		if (strlen(options_table[i].name) == len &&
		    !strncmp(options_table[i].name, name, len))
			return &options_table[i];
	return NULL;
}

/* The row of short option key, or NULL. */
static const struct option_row *row_short(int key)
{
	size_t i;

	for (i = 0; i < options_table_cnt; i++)
		if (options_table[i].key == key)
			return &options_table[i];
	return NULL;
}

/* Whether argp takes word without exiting: an option of the table, spelled out in one word. */
static bool word_is_parsed(const char *word)
{
	const struct option_row *r;
	const char *eq;

	if (word[0] != '-' || !word[1])
		return true;
	if (word[1] != '-') {
		r = row_short((unsigned char)word[1]);
		return r && (r->arg ? word[2] != '\0' : word[2] == '\0');
	}
	if (!word[2])
		return true;
	eq = strchr(word + 2, '=');
	r = row_named(word + 2, eq ? (size_t)(eq - word - 2) : strlen(word + 2));
	return r && !r->arg == !eq;
}

/* One input line into the environment or the command line. */
static void cmdline__add(struct cmdline *c, char *line)
{
	char *eq = strchr(line, '=');

	if (!strncmp(line, "MEMVIGIL_", 9) && eq && c->env_cnt < WORDS_MAX) {
		*eq = '\0';
		if (setenv(line, eq + 1, 1) == 0)
			c->env[c->env_cnt++] = line;
		return;
	}
	if (c->argc > WORDS_MAX || (!c->positional && !word_is_parsed(line)))
		return;
	if (!strcmp(line, "--"))
		c->positional = true;
	c->argv[c->argc++] = line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_input__string(data, size), *line, *save = NULL;
	struct cmdline c = { .argv = { "memvigil" }, .argc = 1 };
	struct options opts;
	char err[512];
	int i, ret;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		cmdline__add(&c, line);
	ret = options__parse(c.argc, c.argv, &opts, err, sizeof(err));
	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
	if (ret) {
		FUZZ_CHECK(err[0] && !strchr(err, '\n'));
	} else {
		FUZZ_CHECK(!err[0]);
		FUZZ_CHECK(opts.pid || opts.command || opts.cgroup);
		FUZZ_CHECK(opts.interval_s == 0 || opts.window_s >= opts.interval_s);
		FUZZ_CHECK(opts.alert_cnt <= ALERT_MAX);
	}
	for (i = 0; i < c.env_cnt; i++)
		unsetenv(c.env[i]);
	free(text);
	return 0;
}
