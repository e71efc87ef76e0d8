/* SPDX-License-Identifier: GPL-2.0 */
/*
 * file_refusals: the files of traced processes that memvigil refused to read
 * (procfs/mapped_file.h), each said once on stderr and counted once
 * (health.files_skipped), whichever process showed it.
 */
#ifndef MV_FILE_REFUSALS_H
#define MV_FILE_REFUSALS_H

#include <stddef.h>
#include <sys/types.h>
#include "procfs/mapped_file.h"

struct file_refusals;

struct file_refusals *file_refusals__new(void);
void file_refusals__free(struct file_refusals *r);

/* Say each of pid's refused files s[0..cnt) not said before, and count it. */
void file_refusals__note(struct file_refusals *r, pid_t pid, const struct skipped_file *s,
			 size_t cnt);

/* How many distinct files were refused. */
size_t file_refusals__cnt(const struct file_refusals *r);

#endif
