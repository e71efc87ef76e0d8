/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mapped_file: the file behind one of a traced process's mappings, opened so
 * that the process cannot choose which file memvigil gets.
 *
 * memvigil runs as root; the paths in /proc/PID/maps name files inside the
 * process's root, which the process (or a container image) controls. So the
 * file is opened by what the kernel knows, never by following the process's
 * names in memvigil's own root:
 *  1. /proc/PID/map_files/START-END: the kernel's own link to the mapped file;
 *  2. else the maps path (less the root's own path, for a chrooted process,
 *     whose maps lines name its files from memvigil's root) resolved inside
 *     the process's root (openat2 on
 *     /proc/PID/root with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS |
 *     RESOLVE_NO_XDEV), as O_PATH | O_NOFOLLOW, so nothing is opened for
 *     reading yet: a FIFO cannot block, a device is never opened;
 * then, for either, fstat: a regular file whose device and inode are the ones
 * the maps line gives, at most MAPPED_FILE_MAX_BYTES long. Only then is it
 * opened for reading, through the checked descriptor itself. There is no
 * fallback to the path in memvigil's namespace.
 *
 * Users keep the descriptor and pass it on (ELF reads, code reads, uprobe
 * attach through /proc/self/fd/N); nothing reopens the file by name.
 */
#ifndef MV_MAPPED_FILE_H
#define MV_MAPPED_FILE_H

#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "procfs/procmaps.h"

/* The largest object file memvigil reads (ELF symbols, code for probe sites). */
#define MAPPED_FILE_MAX_BYTES (4ULL << 30)

/* Reasons beyond errno a file is refused (returned negated). */
enum mapped_file_refusal {
	MAPPED_FILE_NOT_REGULAR = 4096,	/* a FIFO, device, socket or directory */
	MAPPED_FILE_NOT_MAPPED,		/* another device or inode than the maps line's */
	MAPPED_FILE_TOO_LARGE,		/* over MAPPED_FILE_MAX_BYTES */
};

/*
 * Open m's file of process pid for reading (O_RDONLY | O_CLOEXEC). Returns
 * the descriptor, or a negative errno or -enum mapped_file_refusal.
 */
int mapped_file__open(pid_t pid, const struct mv_mapping *m);

/*
 * Step 2 alone: m's path resolved inside the directory root_fd as root, then
 * checked. Same returns as mapped_file__open.
 */
int mapped_file__open_in_root(int root_fd, const struct mv_mapping *m);

/*
 * A file that no mapping names, a separate debug file: path (absolute, as
 * the process sees it) resolved inside the directory root_fd as step 2 does,
 * then checked as a regular file of at most MAPPED_FILE_MAX_BYTES (no device
 * or inode to compare). Same returns as mapped_file__open.
 */
int mapped_file__open_path(int root_fd, const char *path);

/* Where pid's root is seen from memvigil's ("/", or a chroot's path) into buf: 0 or -errno. */
int mapped_file__root_path(pid_t pid, char *buf, size_t len);

/* path less root_path when root_path (a chroot's own path, not "/") leads it. Pure. */
const char *mapped_file__strip_root(const char *path, const char *root_path);

/* pid's root directory (/proc/PID/root) as O_PATH, or a negative errno (-ESRCH: gone). */
int mapped_file__open_root(pid_t pid);

/*
 * Whether st is m's file, readable as an object file: 0 or -refusal. Pure.
 * m NULL: any regular file within the size bound.
 */
int mapped_file__check(const struct stat *st, const struct mv_mapping *m);

/* Words for a return of the above ("a symbolic link", "not a regular file", ...). */
const char *mapped_file__strerror(int err);

/* A file refused, kept to be said once and counted (health.files_skipped). */
struct skipped_file {
	char path[256];		/* as the maps line names it, cut if longer */
	uint64_t inode;
	uint32_t dev_major, dev_minor;
	int err;		/* as mapped_file__open returned it */
};

#define MAPPED_FILE_MAX_SKIPPED 4

/* Keep m's refusal err in s[*cnt] while there is room. */
void mapped_file__note_skipped(struct skipped_file *s, size_t *cnt, const struct mv_mapping *m,
			       int err);

/* "/proc/self/fd/N" for fd, the path uprobes attach by. */
void mapped_file__fd_path(int fd, char *buf, size_t len);

#endif
