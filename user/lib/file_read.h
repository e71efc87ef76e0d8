/* SPDX-License-Identifier: GPL-2.0 */
/* file_read: the whole of a file a command reads (a saved report), bounded. */
#ifndef MV_FILE_READ_H
#define MV_FILE_READ_H

#include <stddef.h>

/*
 * All of path ("-": standard input) into *buf (NUL-terminated, freed by the
 * caller) and *len. 0, -EFBIG beyond max bytes, or another negative errno.
 */
int file_read__all(const char *path, size_t max, char **buf, size_t *len);

#endif
