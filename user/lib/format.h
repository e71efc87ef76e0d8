/* SPDX-License-Identifier: GPL-2.0 */
/* format: human-readable sizes and durations for text output. Pure. */
#ifndef MV_FORMAT_H
#define MV_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* "812 B", "3.5 KiB", "12.0 MiB", ... into buf; returns buf. */
const char *format_bytes(uint64_t bytes, char *buf, size_t len);
/* "950ms", "2.9s", "4m05s", "3h12m" into buf; returns buf. */
const char *format_age_ms(uint64_t ms, char *buf, size_t len);
/* The plural ending of a count's noun: "s", or "" when n is 1 ("1 alloc", "2 allocs"). */
const char *format_plural(uint64_t n);
/*
 * text written from column col on, wrapped at its spaces so that no line
 * passes cols columns (UTF-8 characters), each further line starting with
 * indent; a word longer than a line is cut. Ends with a newline.
 */
void format_wrap(FILE *out, const char *text, size_t col, size_t cols, const char *indent);

#endif
