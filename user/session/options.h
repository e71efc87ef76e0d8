/* SPDX-License-Identifier: GPL-2.0 */
/* options: the command line, parsed and validated before any BPF work. */
#ifndef MV_OPTIONS_H
#define MV_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "analysis/alert.h"
#include "probes/probes.h"

#define MV_EXIT_USAGE 64	/* EX_USAGE */

/*
 * Longest --duration, --interval, --min-age and --window, in seconds (30
 * days): the session clock counts milliseconds in 32 bits (49.7 days), and
 * the metrics size their windows from these. A plain number, for messages.
 */
#define MV_SECONDS_MAX 2592000

/* --keep-exited: its default and its largest value. */
#define MV_KEEP_EXITED_DEFAULT 256
#define MV_KEEP_EXITED_MAX 1000000

/* --mode presets: defaults for the options not given (see options.c). */
enum mv_mode {
	MV_MODE_STANDARD,
	MV_MODE_PRODUCTION,
	MV_MODE_DEBUG,
	MV_MODE_CNT,
};

struct options {
	pid_t pid;		/* -p, 0 if none */
	const char *cgroup;	/* --cgroup, NULL if none */
	char **command;		/* -- COMMAND [ARG...], NULL if none */
	int command_argc;
	double duration_s;	/* -d, 0 = until stopped */
	double interval_s;	/* -i, 0 = only the final report */
	unsigned int top;	/* -n */
	double min_age_s;	/* --min-age */
	const char *json_path;	/* -j, NULL if none, "-" = stdout */
	const char *pprof_path;	/* --pprof, NULL if none */
	const char *folded_path;	/* --folded, NULL if none */
	const char *html_path;	/* --html, NULL if none */
	const char *record_path;	/* --record, NULL if none */
	char **argv;		/* the command line parsed (a recording keeps it) */
	int argc;
	int verbose;		/* -v count */
	bool entry_probes;	/* --entry-probes: no probe-site optimisation */
	bool follow;		/* -f: also trace children forked by traced processes */
	bool kernel_only;	/* --kernel-only: no heap uprobes, kernel signals only */
	bool preload;		/* --preload: launch the command with the sampler preloaded */
	uint64_t sample_bytes;	/* --sample-bytes: sampling period, 0 = exact */
	uint32_t sample_max_live;	/* --sample-max-live: sampled blocks tracked in the kernel */
	uint32_t unwind_rows;		/* --unwind-rows: unwind table rows the kernel holds */
	uint32_t keep_exited;		/* --keep-exited: exited processes kept for the report */
	uint64_t ring_buffer_bytes;	/* --ring-buffer: size of the kernel's record buffer */
	const char *allocator;	/* --allocator: object to probe, NULL = detect */
	double window_s;	/* --window: metrics window */
	struct alert alerts[ALERT_MAX];	/* --alert, repeatable */
	unsigned int alert_cnt;
	const char *on_alert;	/* --on-alert command line, NULL if none */
	const char *jsonl_path;	/* --jsonl, NULL if none, "-" = stdout */
	const char *listen;	/* --listen=[ADDR:]PORT, NULL if none */
	const char *listen_token_file;	/* --listen-token-file, NULL if none */
	enum mv_mode mode;	/* --mode */
	unsigned int stack_depth;	/* --stack-depth: frames recorded per stack */
	unsigned int frames;	/* --frames: frames per stack in text reports, 0 = all */
	enum mv_mappings mappings;	/* --mappings */
	enum mv_unwind unwind;		/* --unwind */
};

/*
 * Parse and validate argv into *opts, as the rows of options_table.c say.
 * Returns 0, or -EINVAL with a one-line explanation (no "memvigil:" prefix)
 * in err for a usage error. argp itself handles --help, --usage, --version
 * and unknown options (and exits).
 *
 * Each long option --NAME may also come from the environment variable
 * MEMVIGIL_NAME (upper case, '-' as '_'; flags take 1/0, --verbose a count).
 * An --alert value, given either way, may hold several expressions separated
 * by ';'. The command line wins over the environment, which wins over the
 * --mode preset, which fills the rest.
 */
int options__parse(int argc, char **argv, struct options *opts,
		   char *err, size_t err_len);

/*
 * options__parse for a command line read from a file (a recording's): argp
 * neither prints nor exits; --help, --usage, --version and an unknown option
 * are errors like any other.
 */
int options__parse_recorded(int argc, char **argv, struct options *opts,
			    char *err, size_t err_len);

/* How many of the outputs (-j, --jsonl, --pprof, --folded) write to stdout ('-'). */
unsigned int options__stdout_outputs(const struct options *o);

/*
 * Write the options the JSON report echoes as members of the open object
 * (the options table's json column); opts is a struct options. Its type is
 * report_context.h's report_echo_fn.
 */
struct json_writer;
void options__echo_json(struct json_writer *w, const void *opts);

/* "standard", "production", "debug". */
const char *options__mode_name(enum mv_mode mode);
/* Name of a --mappings value ("wrappers", ...). */
const char *options__mappings_name(enum mv_mappings m);

/* Parse a non-negative number of seconds ("2", "0.5"); -EINVAL if malformed. */
int options__parse_seconds(const char *text, double *out);

/*
 * Parse a byte count: digits with an optional binary unit K, M or G (also
 * KiB, MiB, GiB; case-insensitive), e.g. "65536", "512K", "1M". -EINVAL if
 * malformed or negative, -ERANGE above max.
 */
int options__parse_bytes(const char *text, uint64_t max, uint64_t *out);

#endif
