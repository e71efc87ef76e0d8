// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "lib/json_writer.h"
#include "memvigil/events.h"
#include "memvigil/sampling.h"
#include "memvigil/unwind.h"
#include "probes/unwind_maps.h"
#include "session/options_table.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
#define SECONDS_MAX_TEXT STRINGIFY(MV_SECONDS_MAX) " (30 days)"

/* Where a row's value lands in struct options. */
#define FIELD(f) .off = offsetof(struct options, f), .size = sizeof(((struct options *)0)->f)
/* The default per --mode when neither the command line nor the environment gives it. */
#define PRESET(standard, production, debug)						\
	.has_preset = true,								\
	.preset = { [MV_MODE_STANDARD] = (standard), [MV_MODE_PRODUCTION] = (production),	\
		    [MV_MODE_DEBUG] = (debug) }

const char options_doc[] =
	"memvigil -- trace a process's heap allocations with eBPF and report "
	"what is still outstanding, grouped by call stack.\v"
	"Text reports go to stdout every --interval seconds and at the end. "
	"Ctrl-C or SIGTERM ends tracing with a final report; SIGUSR1 prints a "
	"report now. Requires root and a kernel with BTF. Every long option "
	"--NAME can also be set in the environment as MEMVIGIL_NAME (e.g. "
	"MEMVIGIL_WINDOW=120, MEMVIGIL_ALERT='rss>1G;oom'); the command line wins. "
	"'memvigil html REPORT.json -o FILE' writes the HTML page (--html) of a JSON "
	"report written earlier, without tracing. 'memvigil replay FILE [OUTPUT...]' reports "
	"on a trace --record wrote, with -j, --jsonl, --pprof, --folded and --html as a live run. "
	"'memvigil diff OLD.json NEW.json [-j]' shows the stacks that grew, shrank, appeared or "
	"disappeared between two JSON reports.";

const char options_args_doc[] = "-- COMMAND [ARG...]\n-p PID\n--cgroup=PATH";

/* value_name adapters for the NAME rows. */
static const char *mode_name(unsigned int v)
{
	return options__mode_name(v);
}

static const char *mappings_name(unsigned int v)
{
	return options__mappings_name(v);
}

static const char *unwind_name(unsigned int v)
{
	return unwind_maps__mode_name(v);
}

/* Add one --alert expression to the options. */
static int add_alert(struct option_parse *ps, const char *text)
{
	struct options *o = ps->opts;
	char why[200];

	if (o->alert_cnt == ALERT_MAX) {
		snprintf(ps->err, ps->err_len, "too many --alert options (at most %d)", ALERT_MAX);
		return EINVAL;
	}
	if (alert__parse(text, &o->alerts[o->alert_cnt], why, sizeof(why)))
		return option_parse__bad_value(ps, "--alert", text, why);
	o->alert_cnt++;
	return 0;
}

/* An --alert value (option or MEMVIGIL_ALERT): expressions separated by ';'. */
static int add_alerts(struct option_parse *ps, const char *list)
{
	char buf[ALERT_MAX * ALERT_EXPR_MAX], *save = NULL, *tok;
	int ret, added = 0;

	if (strlen(list) >= sizeof(buf))
		return option_parse__bad_value(ps, "--alert", "...", "too long");
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
		return option_parse__bad_value(ps, "--alert", list,
					       "expected an expression such as rss>1G");
	return 0;
}

/* The alerts as the JSON report echoes them: their expressions. */
static void echo_alerts(struct json_writer *w, const char *json, const struct options *o)
{
	json_array_field_begin(w, json);
	for (unsigned int i = 0; i < o->alert_cnt; i++)
		json_string(w, o->alerts[i].expr);
	json_array_end(w);
}

/*
 * The options. --help lists them by name; the environment is read and the
 * JSON report echoes them in this order.
 */
const struct option_row options_table[] = {
	{ "pid", 'p', "PID", "trace a running process (all its threads)",
	  OPTION_UINT, .min = 1, .max = INT_MAX, .target = true, FIELD(pid),
	  .what = "PID", .expect = "expected a positive process ID (see ps)" },
	{ "cgroup", 0, "PATH",
	  "trace every process in the cgroup directory PATH and its descendants (cgroup2 or "
	  "v1), including those that enter it later",
	  OPTION_TEXT, .target = true, FIELD(cgroup),
	  .what = "--cgroup", .expect = "expected a cgroup directory" },
	{ "follow", 'f', NULL,
	  "also trace the processes the target forks, their children, and what they exec "
	  "(implied by --cgroup)",
	  OPTION_FLAG, FIELD(follow), .what = "--follow", .expect = "expected 1 or 0" },
	{ "interval", 'i', "SEC", "print a report every SEC seconds (default 5; 0 = only at the end)",
	  OPTION_SECONDS, .max = MV_SECONDS_MAX, FIELD(interval_s), PRESET(5, 10, 1),
	  .json = "interval_s", .what = "interval",
	  .expect = "expected seconds from 0 to " SECONDS_MAX_TEXT
		    ", e.g. -i 5 (0 = final report only)" },
	{ "duration", 'd', "SEC",
	  "stop after SEC seconds (default: Ctrl-C, SIGTERM, or the command's exit)",
	  OPTION_SECONDS, .max = MV_SECONDS_MAX, .min_excluded = true, FIELD(duration_s),
	  .json = "duration_s", .json_zero_null = true, .what = "duration",
	  .expect = "expected seconds > 0 and at most " SECONDS_MAX_TEXT ", e.g. -d 30" },
	{ "top", 'n', "N", "stacks shown per process in text reports (default 10)",
	  OPTION_UINT, .min = 1, .max = 100000, FIELD(top), PRESET(10, 5, 50), .json = "top",
	  .what = "--top", .expect = "expected a count from 1 to 100000" },
	{ "stack-depth", 0, "N",
	  "frames recorded per allocation and mapping stack, 1 to 128 (default 64; debug: "
	  "128); deeper stacks are cut and counted",
	  OPTION_UINT, .min = 1, .max = MV_MAX_STACK_DEPTH, FIELD(stack_depth),
	  PRESET(MV_DEFAULT_STACK_DEPTH, MV_DEFAULT_STACK_DEPTH, MV_MAX_STACK_DEPTH),
	  .json = "stack_depth", .what = "--stack-depth", .expect = "expected frames from 1 to 128" },
	{ "frames", 0, "N", "frames printed per stack in text reports (default 12; debug: 0 = all)",
	  OPTION_UINT, .max = MV_MAX_STACK_DEPTH, FIELD(frames), PRESET(12, 12, 0),
	  .json = "frames", .what = "--frames", .expect = "expected frames from 0 (all) to 128" },
	{ "mappings", 0, "HOW",
	  "how mmap, munmap, mremap and brk are followed: wrappers (the default: uprobes in "
	  "the traced processes' C library), syscalls (also sees raw syscalls, but every "
	  "system call on the host pays) or off",
	  OPTION_NAME, .max = MV_MAPPINGS_OFF, .value_name = mappings_name, FIELD(mappings),
	  .json = "mappings", .what = "--mappings", .expect = "expected wrappers, syscalls or off" },
	{ "unwind", 0, "HOW",
	  "how user stacks are walked: auto (the default: tables from each object's call "
	  "frame information, frame pointers where an object has none), dwarf (the same, "
	  "warning about each object without a table) or fp (frame pointers only)",
	  OPTION_NAME, .max = MV_UNWIND_DWARF, .value_name = unwind_name, FIELD(unwind),
	  .json = "unwind", .what = "--unwind", .expect = "expected auto, fp or dwarf" },
	{ "unwind-rows", 0, "N",
	  "unwind table rows the kernel holds for all objects together, 8 bytes each (default "
	  "1048576, 8 MiB); objects that do not fit are walked by frame pointers, counted in "
	  "health",
	  OPTION_UINT, .min = UNWIND_ROWS_MIN, .max = UNWIND_ROWS_MAX, FIELD(unwind_rows),
	  PRESET(UNWIND_ROWS_DEFAULT, UNWIND_ROWS_DEFAULT, UNWIND_ROWS_DEFAULT),
	  .json = "unwind_rows", .what = "--unwind-rows",
	  .expect = "expected a count from 1024 to 16777216" },
	{ "keep-exited", 0, "N",
	  "exited processes kept for the reports (default 256; 0 = none): beyond N, those that "
	  "held nothing at their exit go first, then those that exited holding heap, then "
	  "those the OOM killer ended, each oldest exit first; the drops are counted in health",
	  OPTION_UINT, .max = MV_KEEP_EXITED_MAX, FIELD(keep_exited),
	  PRESET(MV_KEEP_EXITED_DEFAULT, MV_KEEP_EXITED_DEFAULT, MV_KEEP_EXITED_DEFAULT),
	  .json = "keep_exited", .what = "--keep-exited",
	  .expect = "expected a count from 0 (keep none) to 1000000, e.g. --keep-exited=256" },
	{ "min-age", 0, "SEC", "text reports list only allocations older than SEC (default 0)",
	  OPTION_SECONDS, .max = MV_SECONDS_MAX, FIELD(min_age_s), .json = "min_age_s",
	  .what = "--min-age", .expect = "expected seconds from 0 to " SECONDS_MAX_TEXT },
	{ "mode", 0, "MODE", "preset defaults: production, standard (the default) or debug",
	  OPTION_NAME, .max = MV_MODE_CNT - 1, .value_name = mode_name, FIELD(mode),
	  .json = "mode", .what = "--mode", .expect = "expected production, standard or debug" },
	{ "window", 0, "SEC",
	  "window for growth rates, trends and leak verdicts (default 60; at least --interval)",
	  OPTION_SECONDS, .min = 1, .max = MV_SECONDS_MAX, FIELD(window_s), PRESET(60, 300, 60),
	  .json = "window_s", .what = "--window",
	  .expect = "expected seconds from 1 to " SECONDS_MAX_TEXT ", e.g. --window=60" },
	{ "alert", 0, "EXPR",
	  "report when EXPR becomes true, e.g. rss>1G, heap_growth>50MB/min, pressure>=high, "
	  "leak_score>0.8, oom (repeatable, or several EXPRs separated by ';')",
	  OPTION_CUSTOM, .parse = add_alerts, .echo = echo_alerts, .json = "alerts" },
	{ "on-alert", 0, "CMD",
	  "run CMD (no shell) when an alert fires, with the details in MEMVIGIL_ALERT_* "
	  "variables and a fixed PATH as its whole environment; at most once per 10 s",
	  OPTION_TEXT, .not_blank = true, FIELD(on_alert), .json = "on_alert",
	  .what = "--on-alert", .expect = "expected a command to run" },
	{ "json", 'j', "FILE", "write the final report as JSON to FILE ('-' for stdout)",
	  OPTION_TEXT, FIELD(json_path), .what = "--json", .expect = "expected a file name or '-'" },
	{ "pprof", 0, "FILE",
	  "write the final heap profile to FILE in pprof's format (gzip-compressed "
	  "profile.proto, for go tool pprof; '-' for stdout)",
	  OPTION_TEXT, FIELD(pprof_path), .what = "--pprof",
	  .expect = "expected a file name" },
	{ "folded", 0, "FILE",
	  "write the outstanding bytes per stack to FILE as collapsed stacks (flamegraph.pl, "
	  "inferno, speedscope; '-' for stdout)",
	  OPTION_TEXT, FIELD(folded_path), .what = "--folded",
	  .expect = "expected a file name" },
	{ "html", 0, "FILE",
	  "write the final report as one self-contained HTML page to FILE (charts, flame "
	  "graph, top stacks; opens offline in any browser)",
	  OPTION_TEXT, .file_only = true, FIELD(html_path), .what = "--html",
	  .expect = "expected a file name" },
	{ "record", 0, "FILE",
	  "record the trace to FILE (compressed) for 'memvigil replay FILE' to report on "
	  "later, with any output option",
	  OPTION_TEXT, .file_only = true, FIELD(record_path), .what = "--record",
	  .expect = "expected a file name" },
	{ "jsonl", 0, "FILE",
	  "append one JSON line per process per interval and one per alert to FILE "
	  "('-' for stdout)",
	  OPTION_TEXT, FIELD(jsonl_path), .what = "--jsonl", .expect = "expected a file name or '-'" },
	{ "listen", 0, "[ADDR:]PORT",
	  "serve /metrics (Prometheus), /debug/pprof/heap, a JSON API and a live dashboard over "
	  "HTTP on PORT of 127.0.0.1, or of ADDR (a non-loopback ADDR is warned about); read-only",
	  OPTION_TEXT, .not_blank = true, FIELD(listen), .what = "--listen",
	  .expect = "expected [ADDR:]PORT, e.g. --listen=9090 or --listen=127.0.0.1:9090" },
	{ "listen-token-file", 0, "FILE",
	  "require 'Authorization: Bearer TOKEN' on every request to --listen's server, TOKEN "
	  "being FILE's first line (FILE must not be readable by other users)",
	  OPTION_TEXT, .file_only = true, .not_blank = true, FIELD(listen_token_file),
	  .what = "--listen-token-file", .expect = "expected a file name" },
	{ "verbose", 'v', NULL,
	  "more diagnostics, and text reports give the kernel's figures in full (-vv also "
	  "shows libbpf's own messages)",
	  OPTION_COUNT, .max = 3, FIELD(verbose), PRESET(0, 0, 1),
	  .what = "--verbose", .expect = "expected a level from 0 to 3" },
	{ "allocator", 0, "LIB",
	  "probe the allocator in the mapped object LIB (a path, or part of its name such as "
	  "jemalloc) instead of the one found by symbol search order",
	  OPTION_TEXT, FIELD(allocator), .what = "--allocator",
	  .expect = "expected a library path or name, e.g. --allocator=jemalloc" },
	{ "entry-probes", 0, NULL,
	  "probe allocator functions at their entries instead of the cheapest equivalent "
	  "instruction (slower; for comparison)",
	  OPTION_FLAG, FIELD(entry_probes), .what = "--entry-probes", .expect = "expected 1 or 0" },
	{ "preload", 0, NULL,
	  "launch the command with libmemvigil-sampler.so first in LD_PRELOAD (what is there "
	  "stays): its heap is then seen through the sampler, at a fraction of the uprobes' "
	  "cost",
	  OPTION_FLAG, FIELD(preload), .what = "--preload", .expect = "expected 1 or 0" },
	{ "kernel-only", 0, NULL,
	  "attach no heap probes: only the kernel's signals (RSS, faults, mappings, reclaim, "
	  "OOM kills, PSI, cgroup limits), at almost no cost to the process",
	  OPTION_FLAG, FIELD(kernel_only), .what = "--kernel-only", .expect = "expected 1 or 0" },
	{ "sample-bytes", 0, "N",
	  "sample allocations, one per N bytes allocated on average (e.g. 512K; reports "
	  "show estimates); 0 = trace every allocation (default)",
	  OPTION_BYTES, .max = MV_SAMPLE_BYTES_MAX, FIELD(sample_bytes), PRESET(0, 512 << 10, 0),
	  .what = "--sample-bytes",
	  .expect = "expected bytes from 0 (exact) to 1G, e.g. 512K or 65536" },
	{ "sample-max-live", 0, "COUNT",
	  "sampled blocks the kernel tracks at once (default 262144); more are counted as lost",
	  OPTION_UINT, .min = 1, .max = MV_SAMPLE_MAX_LIVE_MAX, FIELD(sample_max_live),
	  PRESET(MV_SAMPLE_MAX_LIVE_DEFAULT, MV_SAMPLE_MAX_LIVE_DEFAULT, MV_SAMPLE_MAX_LIVE_DEFAULT),
	  .what = "--sample-max-live", .expect = "expected a count from 1 to 16777216" },
	{ "ring-buffer", 0, "BYTES",
	  "size of the buffer records wait in for memvigil (default 16M, rounded up to a power "
	  "of two from 4K); a full buffer drops records and counts them as lost",
	  OPTION_BYTES, .max = MV_RINGBUF_MAX_BYTES, FIELD(ring_buffer_bytes),
	  PRESET(MV_RINGBUF_BYTES, MV_RINGBUF_BYTES, MV_RINGBUF_BYTES),
	  .what = "--ring-buffer", .expect = "expected bytes up to 1G, e.g. 64M or 4K" },
};

const size_t options_table_cnt = sizeof(options_table) / sizeof(options_table[0]);

_Static_assert(sizeof(options_table) / sizeof(options_table[0]) <= OPTIONS_MAX,
	       "one bit per row in option_parse.set");
