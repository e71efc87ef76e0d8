/* SPDX-License-Identifier: GPL-2.0 */
/* utf8: where well-formed UTF-8 sequences (RFC 3629, Unicode table 3-7) begin and end. */
#ifndef MV_UTF8_H
#define MV_UTF8_H

#include <stddef.h>

/*
 * Length (1 to 4) of the well-formed UTF-8 sequence at the start of the
 * NUL-terminated s: 1 for any byte below 0x80, NUL and control bytes
 * included. 0 when s starts with no well-formed sequence (a continuation
 * byte, a lead byte C0, C1 or F5..FF, an overlong form, a UTF-16 surrogate,
 * a code point above U+10FFFF, or a sequence cut short): *bad_len then holds the length
 * of the maximal invalid prefix (1 to 3), the bytes to skip before trying
 * again. Never reads past the terminating NUL.
 */
size_t utf8__valid_len(const char *s, size_t *bad_len);

#endif
