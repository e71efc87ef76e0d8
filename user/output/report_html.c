// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "output/report_html.h"
#include "output/report_json.h"

/*
 * The page is three files, joined here in order: its markup up to the
 * opening of its script, the script, and the closing markup. The Makefile
 * passes their absolute paths; the .o depends on the files.
 */
#ifndef MV_HTML_PAGE_HEAD
#define MV_HTML_PAGE_HEAD "user/output/report_page_head.html"
#define MV_HTML_PAGE_JS "user/output/report_page.js"
#define MV_HTML_PAGE_TAIL "user/output/report_page_tail.html"
#endif

/* Where the page holds the data: the content of its application/json script. */
#define DATA_MARKER "@MEMVIGIL_REPORT_JSON@"
/* The policy's opening, and what it becomes in live mode: fetches from the server only. */
#define CSP_CLOSED "default-src 'none';"
#define CSP_LIVE "default-src 'none'; connect-src 'self';"

/* The page, built into the binary as it is on disk. */
__asm__(".pushsection .rodata\n"
	"report_page:\n"
	".incbin \"" MV_HTML_PAGE_HEAD "\"\n"
	".incbin \"" MV_HTML_PAGE_JS "\"\n"
	".incbin \"" MV_HTML_PAGE_TAIL "\"\n"
	"report_page_end:\n"
	".popsection\n");
extern const char report_page[], report_page_end[];

/* The escape that stands for byte c in the page's data, NULL if c is written as it is. */
static const char *escape_of(char c)
{
	return c == '<' ? "\\u003c" : c == '>' ? "\\u003e" : c == '&' ? "\\u0026" : NULL;
}

/*
 * json compact (whitespace between tokens dropped) with '<', '>' and '&'
 * escaped (report_html.h). Outside strings, JSON has no '<', '>' or '&':
 * should json not be valid, they are escaped there as well.
 */
static int write_data(FILE *out, const char *json, size_t len)
{
	bool in_string = false, escaped = false;
	const char *esc;
	size_t i;
	int ok = 1;

	for (i = 0; i < len && ok; i++) {
		char c = json[i];

		if (in_string) {
			in_string = escaped || c != '"';
			escaped = !escaped && c == '\\';
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			continue;
		} else {
			in_string = c == '"';
		}
		esc = escape_of(c);
		ok = esc ? fputs(esc, out) != EOF : putc(c, out) != EOF;
	}
	return ok ? 0 : -EIO;
}

/* The page's head, up to the data; in live mode with CSP_LIVE in place of CSP_CLOSED. */
static int write_head(FILE *out, size_t head_len, bool live)
{
	const char *csp = live ? memmem(report_page, head_len, CSP_CLOSED, strlen(CSP_CLOSED)) : NULL;
	size_t before = csp ? (size_t)(csp - report_page) : head_len;
	size_t after = csp ? before + strlen(CSP_CLOSED) : head_len;

	if (live && !csp)
		return -EINVAL;	/* a page built without its policy */
	if (fwrite(report_page, 1, before, out) != before ||
	    (csp && fputs(CSP_LIVE, out) == EOF) ||
	    fwrite(report_page + after, 1, head_len - after, out) != head_len - after)
		return -EIO;
	return 0;
}

/* The page around json (compacted and escaped); live: report_html__live. */
static int write_page(FILE *out, const char *json, size_t len, bool live)
{
	size_t page_len = report_page_end - report_page;
	const char *marker = memmem(report_page, page_len, DATA_MARKER, strlen(DATA_MARKER));
	size_t head_len, tail_off;
	int ret;

	if (!marker)
		return -EINVAL;	/* a page built without its data marker */
	head_len = marker - report_page;
	tail_off = head_len + strlen(DATA_MARKER);
	ret = write_head(out, head_len, live);
	if (!ret)
		ret = write_data(out, json, len);
	if (ret)
		return ret;
	if (fwrite(report_page + tail_off, 1, page_len - tail_off, out) != page_len - tail_off ||
	    fflush(out))
		return -EIO;
	return 0;
}

int report_html__from_json(FILE *out, const char *json, size_t len)
{
	return write_page(out, json, len, false);
}

int report_html__document(FILE *out, const struct report_ctx *ctx)
{
	char *json = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&json, &len);
	int ret;

	if (!mem)
		return -ENOMEM;
	ret = report_json__document(mem, ctx);
	if (fclose(mem) && !ret)
		ret = -ENOMEM;
	if (!ret)
		ret = report_html__from_json(out, json, len);
	free(json);
	return ret;
}

int report_html__live(FILE *out)
{
	static const char live[] = "{\"live\":\"api/v1/report\"}";

	return write_page(out, live, strlen(live), true);
}
