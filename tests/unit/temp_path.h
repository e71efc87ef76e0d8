/* SPDX-License-Identifier: GPL-2.0 */
/*
 * temp_path.h: one temporary file per test, as a Criterion fixture:
 * .init = make_path creates it (path is its name), .fini = remove_path
 * removes it.
 */
#ifndef MV_TEST_TEMP_PATH_H
#define MV_TEST_TEMP_PATH_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <unistd.h>

static char path[] = "/tmp/memvigil-test-XXXXXX";

static void make_path(void)
{
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	close(fd);
}

static void remove_path(void)
{
	unlink(path);
}

#endif
