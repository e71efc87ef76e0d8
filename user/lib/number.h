/* SPDX-License-Identifier: GPL-2.0 */
/* number: decimal counts as options and addresses give them. */
#ifndef MV_NUMBER_H
#define MV_NUMBER_H

/*
 * text as a decimal count from 0 to max into *out: digits only (no sign,
 * blank, hex or suffix). 0, or -EINVAL when malformed or above max. Pure.
 */
int number__parse_uint(const char *text, unsigned long max, unsigned long *out);

#endif
