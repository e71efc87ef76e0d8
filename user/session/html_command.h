/* SPDX-License-Identifier: GPL-2.0 */
/*
 * html_command: `memvigil html REPORT.json -o FILE`, the HTML report of a
 * JSON report written earlier by -j (or by bench/gen_report.py): no
 * tracing, no root. The JSON is checked only for what the page needs to be
 * safe (well-formed UTF-8 text, no NUL byte, one object); the page itself
 * says when the data is not a report it can show.
 */
#ifndef MV_HTML_COMMAND_H
#define MV_HTML_COMMAND_H

/* Largest JSON report read, in bytes. */
#define HTML_COMMAND_MAX_BYTES (1024u << 20)

/* argv[0] is "html". Returns the exit status: 0, 1 on failure, 64 on bad usage. */
int html_command__run(int argc, char **argv);

#endif
