/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report_html: the final report as one self-contained HTML page (--html):
 * the page user/output/report_page.html, built into the binary, with the
 * JSON report (report_json.h) embedded in its <script type="application/json">
 * element. The page's own script draws everything from that data; it needs
 * no network and loads nothing else.
 *
 * Every string in the data may come from a traced process (comm, paths,
 * symbol names) and is untrusted. Embedded, the JSON text has each '<', '>'
 * and '&' written as \u003c, \u003e and \u0026: in valid JSON they can only
 * occur inside strings, where the escape means the same character, and
 * without them nothing in the data can end the script element or open
 * markup. The page inserts text only as DOM text nodes, never as markup.
 * The whitespace between the JSON's tokens is dropped (a third of a large
 * pretty-printed report): the data is the same document, compact.
 */
#ifndef MV_REPORT_HTML_H
#define MV_REPORT_HTML_H

#include <stddef.h>
#include <stdio.h>
#include "output/report_context.h"

/* Write the page with ctx's JSON report; 0 or a negative errno. */
int report_html__document(FILE *out, const struct report_ctx *ctx);

/*
 * Write the page around json[0..len), a JSON report as -j writes it (also
 * one read back from a file: `memvigil html`). 0 or a negative errno.
 */
int report_html__from_json(FILE *out, const char *json, size_t len);

/*
 * The page in live mode, as --listen serves it at /: it holds no report and
 * fetches one from api/v1/report (relative to the page) every 2 seconds.
 * 0 or a negative errno.
 */
int report_html__live(FILE *out);

#endif
