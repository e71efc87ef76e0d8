// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/file_read.h"
#include "lib/log.h"
#include "lib/output_file.h"
#include "lib/utf8.h"
#include "output/report_html.h"
#include "session/html_command.h"
#include "session/options.h"

#define USAGE "usage: memvigil html REPORT.json -o FILE.html"

/* The whole of path ("-": stdin), or a negative errno said once. */
static int read_report(const char *path, char **buf, size_t *len)
{
	int ret = file_read__all(path, HTML_COMMAND_MAX_BYTES, buf, len);

	if (ret == -EFBIG)
		log_error("%s is larger than %u MiB: not a report memvigil wrote", path,
			  HTML_COMMAND_MAX_BYTES >> 20);
	else if (ret)
		log_error("cannot read %s: %s", path, strerror(-ret));
	return ret;
}

/* Whether text looks like a JSON object of UTF-8 text; a sentence on stderr if not. */
static int check_report(const char *path, const char *text, size_t len)
{
	size_t i, first, last, bad;

	if (strlen(text) != len) {
		log_error("%s holds a NUL byte: not a JSON report; give a file -j wrote", path);
		return -EINVAL;
	}
	for (i = 0; i < len; ) {
		size_t n = utf8__valid_len(text + i, &bad);

		if (!n) {
			log_error("%s is not UTF-8 text (byte %zu): not a JSON report; give a file -j "
				  "wrote", path, i);
			return -EINVAL;
		}
		i += n;
	}
	first = strspn(text, " \t\r\n");
	for (last = len; last > first && strchr(" \t\r\n", text[last - 1]); last--)
		;
	if (first == len || text[first] != '{' || text[last - 1] != '}') {
		log_error("%s is not a JSON object: not a memvigil report; give a file -j wrote", path);
		return -EINVAL;
	}
	return 0;
}

/* REPORT.json and -o FILE from argv, or -EINVAL with the usage said. */
static int parse_args(int argc, char **argv, const char **in, const char **out)
{
	int i;

	*in = *out = NULL;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			*out = argv[++i];
		else if (!strncmp(argv[i], "--output=", 9))
			*out = argv[i] + 9;
		else if (!*in && (argv[i][0] != '-' || !strcmp(argv[i], "-")))
			*in = argv[i];
		else
			break;
	}
	if (i < argc || !*in || !*out || !**out || !strcmp(*out, "-")) {
		log_error("%s%s", i < argc ? "unexpected argument; " : "", USAGE);
		return -EINVAL;
	}
	return 0;
}

int html_command__run(int argc, char **argv)
{
	struct output_file *of = NULL;
	const char *in_path, *out_path;
	char err[512], *json = NULL;
	size_t len = 0;
	int ret;

	if (parse_args(argc, argv, &in_path, &out_path))
		return MV_EXIT_USAGE;
	ret = read_report(in_path, &json, &len);
	if (!ret)
		ret = check_report(in_path, json, len);
	if (!ret) {
		ret = output_file__open(out_path, OUTPUT_REPORT, &of, err, sizeof(err));
		if (ret)
			log_error("%s", err);
	}
	if (!ret) {
		ret = report_html__from_json(output_file__stream(of), json, len);
		if (ret)
			log_error("writing %s failed: %s", out_path, strerror(-ret));
	}
	if (!ret) {
		ret = output_file__commit(of, err, sizeof(err));
		if (ret)
			log_error("%s", err);
	}
	output_file__free(of);
	free(json);
	return ret ? 1 : 0;
}
