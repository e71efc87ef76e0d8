/* SPDX-License-Identifier: GPL-2.0 */
/*
 * token_file: the bearer token of --listen-token-file, read once at start.
 * The file is opened without following a symbolic link, must be a regular
 * file owned by root or by memvigil's user, readable by no one else (mode
 * without any "other" bit), and at most TOKEN_FILE_MAX bytes. Its first line,
 * without trailing whitespace, is the token: printable ASCII, no spaces.
 */
#ifndef MV_TOKEN_FILE_H
#define MV_TOKEN_FILE_H

#include <stddef.h>

#define TOKEN_FILE_MAX 4096

/* Read path's token into tok (size bytes); 0, or a negative errno with one line in err. */
int token_file__read(const char *path, char *tok, size_t size, char *err, size_t err_len);

/* Whether the bearer header value auth ("Bearer TOKEN") carries tok; constant time in tok. */
int token_file__matches(const char *tok, const char *auth);

#endif
