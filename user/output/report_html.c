// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "output/report_html.h"
#include "output/report_json.h"

/* The Makefile passes the page's absolute path; the .o depends on the file. */
#ifndef MV_HTML_PAGE
#define MV_HTML_PAGE "user/output/report_page.html"
#endif

/* Where the page holds the data: the content of its application/json script. */
#define DATA_MARKER "@MEMVIGIL_REPORT_JSON@"

/* The page, built into the binary as it is on disk. */
__asm__(".pushsection .rodata\n"
	"report_page:\n"
	".incbin \"" MV_HTML_PAGE "\"\n"
	"report_page_end:\n"
	".popsection\n");
extern const char report_page[], report_page_end[];

/* json with '<', '>' and '&' escaped as in JSON strings (see report_html.h). */
static int write_escaped(FILE *out, const char *json, size_t len)
{
	size_t i, run = 0;

	for (i = 0; i < len; i++) {
		const char *esc = json[i] == '<' ? "\\u003c" : json[i] == '>' ? "\\u003e" :
				  json[i] == '&' ? "\\u0026" : NULL;

		if (!esc)
			continue;
		if (fwrite(json + run, 1, i - run, out) != i - run || fputs(esc, out) == EOF)
			return -EIO;
		run = i + 1;
	}
	return fwrite(json + run, 1, len - run, out) == len - run ? 0 : -EIO;
}

int report_html__from_json(FILE *out, const char *json, size_t len)
{
	size_t page_len = report_page_end - report_page;
	const char *marker = memmem(report_page, page_len, DATA_MARKER, strlen(DATA_MARKER));
	size_t head_len, tail_off;
	int ret;

	if (!marker)
		return -EINVAL;	/* a page built without its data marker */
	head_len = marker - report_page;
	tail_off = head_len + strlen(DATA_MARKER);
	if (fwrite(report_page, 1, head_len, out) != head_len)
		return -EIO;
	ret = write_escaped(out, json, len);
	if (ret)
		return ret;
	if (fwrite(report_page + tail_off, 1, page_len - tail_off, out) != page_len - tail_off ||
	    fflush(out))
		return -EIO;
	return 0;
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
