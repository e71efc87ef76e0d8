/* SPDX-License-Identifier: GPL-2.0 */
/*
 * options_table: one typed row per command-line option. A row says how the
 * option is spelled (--NAME, its short key, its argument), what its value
 * may be, where the value lands in struct options, its default per --mode,
 * and how the JSON report echoes it. options.c derives argp's option list,
 * the MEMVIGIL_NAME variables, the mode presets and the JSON echo from it:
 * adding an option is adding a row here.
 */
#ifndef MV_OPTIONS_TABLE_H
#define MV_OPTIONS_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "session/options.h"

struct json_writer;
struct option_parse;

/* Rows at most: one bit each in option_parse.set. */
#define OPTIONS_MAX 64

/* What an option's argument is, and so how it is parsed, stored and echoed. */
enum option_kind {
	OPTION_FLAG,	/* bool; no argument, 1/yes/true or 0/no/false in the environment */
	OPTION_COUNT,	/* int; each use adds one, the environment gives a level min..max */
	OPTION_UINT,	/* an unsigned integer field (32 or 64 bits) from min to max */
	OPTION_SECONDS,	/* double seconds from min (excluded if min_excluded) to max */
	OPTION_BYTES,	/* uint64_t bytes with an optional K/M/G unit, 0 to max */
	OPTION_TEXT,	/* const char *, not empty (not blank if not_blank) */
	OPTION_NAME,	/* an enum field, one of name(0) .. name(max) */
	OPTION_CUSTOM,	/* parsed by parse() and echoed by echo() */
};

struct option_row {
	const char *name;	/* --NAME; MEMVIGIL_NAME in the environment */
	int key;		/* short option character, 0 for none */
	const char *arg;	/* argument name in --help, NULL for flags */
	const char *help;
	enum option_kind kind;
	double min, max;	/* bounds of the value (UINT, COUNT, SECONDS, BYTES) */
	bool min_excluded;	/* SECONDS: the value must be above min */
	bool not_blank;		/* TEXT: spaces and tabs alone are refused */
	bool file_only;		/* TEXT: a file name; "-" (standard output) is refused */
	bool target;		/* names what to trace: the command line's wins outright */
	const char *what;	/* the value as an error message names it: "--top" */
	const char *expect;	/* what a valid value looks like, after "invalid ...: " */
	size_t off;		/* where the value lands in struct options */
	size_t size;		/* its size in bytes */
	const char *(*value_name)(unsigned int v);	/* NAME: the name of value v */
	/* CUSTOM: parse arg into the options; 0 or a non-zero argp error. */
	int (*parse)(struct option_parse *ps, const char *arg);
	/* CUSTOM: write the option's value as the JSON report's member json. */
	void (*echo)(struct json_writer *w, const char *json, const struct options *o);
	bool has_preset;	/* preset[mode] is the default when neither gives it */
	double preset[MV_MODE_CNT];
	const char *json;	/* member of the JSON report's options, NULL: not echoed */
	bool json_zero_null;	/* the echo of 0 is null (no value) */
};

/* The state of one options__parse, for CUSTOM parsers. */
struct option_parse {
	struct options *opts;
	char *err;
	size_t err_len;
	const char *env_name;	/* the variable being read, NULL on the command line */
	uint64_t set;		/* bit i: options_table[i] was given (command line or env) */
	bool cli_target;	/* a target option or a command on the command line */
};

extern const struct option_row options_table[];
extern const size_t options_table_cnt;
extern const char options_doc[];
extern const char options_args_doc[];

/*
 * Write "invalid WHAT 'ARG': EXPECT" (naming the variable when arg came from
 * the environment) to ps's error buffer. Returns EINVAL for argp.
 */
int option_parse__bad_value(struct option_parse *ps, const char *what, const char *arg,
			    const char *expect);

#endif
