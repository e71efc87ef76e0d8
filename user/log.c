// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "log.h"
#include "text_escape.h"

static enum log_level current_level = LOG_WARN;

void log_set_level(enum log_level level)
{
	current_level = level;
}

enum log_level log_get_level(void)
{
	return current_level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const prefix[] = {
		[LOG_ERROR] = "", [LOG_WARN] = "warning: ",
		[LOG_INFO] = "", [LOG_DEBUG] = "debug: ",
	};
	char *msg = NULL;
	va_list ap;
	int len;

	if (level > current_level)
		return;
	va_start(ap, fmt);
	len = vasprintf(&msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "memvigil: %s", prefix[level]);
	/* Messages carry names and paths of traced processes: escaped, one line each. */
	text_escape__fputs(stderr, len < 0 ? fmt : msg);
	fputc('\n', stderr);
	if (len >= 0)
		free(msg);
}
