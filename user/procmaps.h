/* SPDX-License-Identifier: GPL-2.0 */
/* procmaps: one process's memory mappings, as /proc/PID/maps lists them. */
#ifndef MV_PROCMAPS_H
#define MV_PROCMAPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct mv_mapping {
	uint64_t start;		/* first address */
	uint64_t end;		/* one past the last address */
	uint64_t file_offset;	/* offset in the file of start */
	uint64_t inode;
	uint32_t dev_major;
	uint32_t dev_minor;
	char perms[5];		/* "r-xp" */
	char *path;		/* as listed, "" for anonymous; " (deleted)" kept */
};

struct procmaps {
	struct mv_mapping *maps;	/* sorted by start */
	size_t cnt;
};

/* Parse the text of a maps file; returns 0, -EINVAL on a malformed line, or -ENOMEM. */
int procmaps__parse(const char *text, struct procmaps **out);
/*
 * Read /proc/PID/maps; NULL with errno set on failure (ESRCH once pid is
 * gone, EFBIG when the file is over 64 MiB).
 */
struct procmaps *procmaps__read(pid_t pid);
/* The mapping that contains addr, or NULL. */
const struct mv_mapping *procmaps__find(const struct procmaps *pm, uint64_t addr);
void procmaps__free(struct procmaps *pm);

#endif
