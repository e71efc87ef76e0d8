// SPDX-License-Identifier: GPL-2.0
/* --listen-token-file: read once, safely; the bearer header compared exactly. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "serve/token_file.h"

static char dir[] = "/tmp/mv-token-XXXXXX";

static void make_dir(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

/* dir/name holding text with mode; its path (static). */
static const char *token_at(const char *name, const char *text, mode_t mode)
{
	static char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	cr_assert_eq(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

TestSuite(token_file, .init = make_dir, .fini = remove_dir);

Test(token_file, the_first_line_without_trailing_space_is_the_token)
{
	char tok[128], err[256];

	cr_assert_eq(token_file__read(token_at("t", "s3cr3t-Token \n", 0600), tok, sizeof(tok), err,
				      sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(tok, "s3cr3t-Token");
	cr_assert_eq(token_file__read(token_at("t", "abc\r\nsecond line", 0400), tok, sizeof(tok),
				      err, sizeof(err)), 0);
	cr_assert_str_eq(tok, "abc");
}

Test(token_file, a_world_readable_file_is_refused_with_the_fix)
{
	char tok[128], err[256];

	cr_assert_eq(token_file__read(token_at("t", "abc\n", 0604), tok, sizeof(tok), err,
				      sizeof(err)), -EPERM);
	cr_assert(strstr(err, "readable by any user") && strstr(err, "chmod 600"), "%s", err);
}

Test(token_file, a_symbolic_link_is_not_followed)
{
	char tok[128], err[256], link[160];

	token_at("real", "abc\n", 0600);
	snprintf(link, sizeof(link), "%s/link", dir);
	cr_assert_eq(symlink("real", link), 0);
	cr_assert_eq(token_file__read(link, tok, sizeof(tok), err, sizeof(err)), -ELOOP);
	cr_assert(strstr(err, "symbolic link"), "%s", err);
}

Test(token_file, empty_oversized_missing_or_spaced_tokens_are_refused)
{
	char tok[128], err[256], *big = malloc(TOKEN_FILE_MAX + 2);

	cr_assert_eq(token_file__read(token_at("t", "\n", 0600), tok, sizeof(tok), err,
				      sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "holds no token"), "%s", err);
	cr_assert_eq(token_file__read(token_at("t", "a b\n", 0600), tok, sizeof(tok), err,
				      sizeof(err)), -EINVAL);
	memset(big, 'a', TOKEN_FILE_MAX + 1);
	big[TOKEN_FILE_MAX + 1] = '\0';
	cr_assert_eq(token_file__read(token_at("t", big, 0600), tok, sizeof(tok), err,
				      sizeof(err)), -EFBIG);
	cr_assert_eq(token_file__read("/nonexistent/token", tok, sizeof(tok), err, sizeof(err)),
		     -ENOENT);
	cr_assert(strstr(err, "cannot read --listen-token-file"), "%s", err);
	cr_assert_eq(token_file__read(dir, tok, sizeof(tok), err, sizeof(err)), -EINVAL);
	free(big);
}

Test(token_file, only_the_exact_bearer_token_matches)
{
	cr_assert(token_file__matches("abc", "Bearer abc"));
	cr_assert(token_file__matches("abc", "bearer abc"));
	cr_assert_not(token_file__matches("abc", NULL));
	cr_assert_not(token_file__matches("abc", "Bearer ab"));
	cr_assert_not(token_file__matches("abc", "Bearer abcd"));
	cr_assert_not(token_file__matches("abc", "Bearer abd"));
	cr_assert_not(token_file__matches("abc", "Basic abc"));
	cr_assert_not(token_file__matches("abc", "abc"));
	cr_assert_not(token_file__matches("abc", "Bearer "));
}
