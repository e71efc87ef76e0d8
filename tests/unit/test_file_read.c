// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/file_read.h"
#include "temp_path.h"

/* path holds len bytes: 'a' + i % 26 at i. */
static void write_bytes(size_t len)
{
	FILE *f = fopen(path, "w");
	size_t i;

	cr_assert_not_null(f);
	for (i = 0; i < len; i++)
		fputc('a' + (int)(i % 26), f);
	cr_assert_eq(fclose(f), 0);
}

Test(file_read, a_file_larger_than_the_first_buffer_is_read_whole_and_terminated,
     .init = make_path, .fini = remove_path)
{
	size_t len = 0, i, want = 300000;	/* the buffer starts at 64 KiB and doubles */
	char *buf = NULL;

	write_bytes(want);
	cr_assert_eq(file_read__all(path, 1 << 20, &buf, &len), 0);
	cr_assert_eq(len, want);
	for (i = 0; i < want; i++)
		cr_assert_eq(buf[i], 'a' + (int)(i % 26), "byte %zu", i);
	cr_assert_eq(buf[want], '\0');
	free(buf);
}

Test(file_read, a_file_within_a_small_limit_is_read, .init = make_path, .fini = remove_path)
{
	size_t len = 0;
	char *buf = NULL;

	write_bytes(10);
	cr_assert_eq(file_read__all(path, 10, &buf, &len), 0);
	cr_assert_eq(len, 10);
	cr_assert_str_eq(buf, "abcdefghij");
	free(buf);
}

Test(file_read, a_file_over_the_limit_is_efbig, .init = make_path, .fini = remove_path)
{
	size_t len = 0;
	char *buf = NULL;

	write_bytes(11);
	cr_assert_eq(file_read__all(path, 10, &buf, &len), -EFBIG);
	write_bytes(200000);
	cr_assert_eq(file_read__all(path, 100000, &buf, &len), -EFBIG);
	cr_assert_null(buf);
}

Test(file_read, an_empty_file_is_an_empty_string, .init = make_path, .fini = remove_path)
{
	size_t len = 1;
	char *buf = NULL;

	cr_assert_eq(file_read__all(path, 10, &buf, &len), 0);
	cr_assert_eq(len, 0);
	cr_assert_str_eq(buf, "");
	free(buf);
}

Test(file_read, a_missing_file_is_its_errno)
{
	size_t len = 0;
	char *buf = NULL;

	cr_assert_eq(file_read__all("/nonexistent/memvigil-file-read", 10, &buf, &len), -ENOENT);
}
