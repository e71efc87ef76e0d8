/* SPDX-License-Identifier: GPL-2.0 */
/* log: diagnostics on stderr, one line each, filtered by verbosity. */
#ifndef MV_LOG_H
#define MV_LOG_H

enum log_level {
	LOG_ERROR = 0,	/* always shown: "memvigil: what is wrong; what to do" */
	LOG_WARN,	/* always shown */
	LOG_INFO,	/* -v */
	LOG_DEBUG,	/* -vv */
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/*
 * "memvigil: " and the message on stderr, one line. The formatted message
 * goes through text_escape (control bytes, backslashes and invalid UTF-8
 * escaped), so callers pass comm, symbol names and paths of traced
 * processes as they are, and the format holds no newline.
 */
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
