/* SPDX-License-Identifier: GPL-2.0 */
/*
 * text_escape: names a traced process controls (comm, symbol names, file and
 * cgroup paths, demangled C++ names) made safe to print in text output and
 * on a terminal. JSON output does its own escaping and does not use this.
 *
 * The escaped form of a string:
 *   - bytes 0x20..0x7e other than the backslash are themselves;
 *   - the backslash is "\\";
 *   - well-formed UTF-8 sequences of U+00A0 and above are themselves;
 *   - every other byte is "\xNN" (two lower-case hex digits): the control
 *     bytes below 0x20 (newline and tab included), DEL (0x7f), each byte of
 *     a C1 control character U+0080..U+009F (some terminals act on them),
 *     and each byte that is not part of well-formed UTF-8 (overlong forms,
 *     surrogates, code points above U+10FFFF, sequences cut short, stray
 *     continuation bytes, F5..FF).
 * So the escaped form holds no control character, is valid UTF-8, and reads
 * back to the original bytes unambiguously: "\\" is one backslash, "\xNN"
 * one byte, everything else itself.
 */
#ifndef MV_TEXT_ESCAPE_H
#define MV_TEXT_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

/* A buffer this size holds the escaped form of any n-byte string, and its NUL. */
#define TEXT_ESCAPE_SIZE(n) (4 * (n) + 1)

/*
 * Copy the escaped form of src (NULL: the empty string) into dst of size
 * bytes, always NUL-terminated. When it does not fit, dst holds the longest
 * prefix that ends between two escapes or two characters: neither a "\xNN"
 * nor a UTF-8 sequence is ever cut. Returns 0, -ENOSPC when src was cut, or
 * -EINVAL when dst is NULL or size is 0 (nothing written).
 */
int text_escape__copy(char *dst, size_t size, const char *src);

/*
 * Write the escaped form of src (NULL: nothing) to out. Returns 0, or -EIO
 * when out reported a write error.
 */
int text_escape__fputs(FILE *out, const char *src);

#endif
