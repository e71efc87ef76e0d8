// SPDX-License-Identifier: GPL-2.0
#include "utf8.h"

size_t utf8__valid_len(const char *str, size_t *bad_len)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need, i;

	*bad_len = 1;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;		/* overlong */
		else if (s[0] == 0xed)
			hi = 0x9f;		/* UTF-16 surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		if (s[0] == 0xf0)
			lo = 0x90;		/* overlong */
		else if (s[0] == 0xf4)
			hi = 0x8f;		/* above U+10FFFF */
	} else {
		return 0;			/* continuation byte, C0, C1, F5..FF */
	}
	if (s[1] < lo || s[1] > hi)
		return 0;
	/* A NUL is no continuation byte: the scan stops at the terminator. */
	for (i = 2; i < need; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf) {
			*bad_len = i;		/* the maximal invalid prefix */
			return 0;
		}
	}
	return need;
}
