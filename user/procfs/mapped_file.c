// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "procfs/mapped_file.h"

#define DELETED_SUFFIX " (deleted)"

int mapped_file__check(const struct stat *st, const struct mv_mapping *m)
{
	if (S_ISLNK(st->st_mode))
		return -ELOOP;
	if (!S_ISREG(st->st_mode))
		return -MAPPED_FILE_NOT_REGULAR;
	if (m && ((uint64_t)st->st_ino != m->inode || major(st->st_dev) != m->dev_major ||
	    minor(st->st_dev) != m->dev_minor))
		return -MAPPED_FILE_NOT_MAPPED;
	if ((uint64_t)st->st_size > MAPPED_FILE_MAX_BYTES)
		return -MAPPED_FILE_TOO_LARGE;
	return 0;
}

const char *mapped_file__strerror(int err)
{
	switch (-err) {
	case MAPPED_FILE_NOT_REGULAR:
		return "not a regular file";
	case MAPPED_FILE_NOT_MAPPED:
		return "not the file the process maps (another device or inode)";
	case MAPPED_FILE_TOO_LARGE:
		return "larger than 4 GiB";
	case ELOOP:
		return "a symbolic link";
	case EXDEV:
		return "behind a mount point or a link out of the process's root";
	default:
		return strerror(-err);
	}
}

void mapped_file__note_skipped(struct skipped_file *s, size_t *cnt, const struct mv_mapping *m,
			       int err)
{
	struct skipped_file *f;

	if (*cnt >= MAPPED_FILE_MAX_SKIPPED)
		return;
	f = &s[(*cnt)++];
	snprintf(f->path, sizeof(f->path), "%s", m->path ? m->path : "");
	f->inode = m->inode;
	f->dev_major = m->dev_major;
	f->dev_minor = m->dev_minor;
	f->err = err;
}

void mapped_file__fd_path(int fd, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
}

/* path_fd (O_PATH) checked against m (if any), then opened for reading; closes path_fd. */
static int reopen_checked(int path_fd, const struct mv_mapping *m)
{
	char self[64];
	struct stat st;
	int fd, err;

	if (fstat(path_fd, &st)) {
		err = -errno;
		close(path_fd);
		return err;
	}
	err = mapped_file__check(&st, m);
	if (err) {
		close(path_fd);
		return err;
	}
	mapped_file__fd_path(path_fd, self, sizeof(self));
	fd = open(self, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	err = fd < 0 ? -errno : 0;
	close(path_fd);
	return err ? err : fd;
}

const char *mapped_file__strip_root(const char *path, const char *root_path)
{
	size_t root_len = root_path ? strlen(root_path) : 0;

	if (path && root_len > 1 && !strncmp(path, root_path, root_len) && path[root_len] == '/')
		return path + root_len;
	return path;
}

/* path (absolute) inside the root at root_fd, as O_PATH, or a negative errno. */
static int open_path_in_root(int root_fd, const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};
	int fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));

	return fd < 0 ? -errno : fd;
}

/* path inside the root at root_fd: m's path, less root_path (a chroot's own path) if it leads. */
static int open_in_root(int root_fd, const char *root_path, const struct mv_mapping *m)
{
	size_t len, sfx = strlen(DELETED_SUFFIX);
	const char *path = mapped_file__strip_root(m->path, root_path);
	char file[PATH_MAX];
	int fd;

	if (!path || path[0] != '/')
		return -ENOENT;
	if (snprintf(file, sizeof(file), "%s", path) >= (int)sizeof(file))
		return -ENOENT;
	len = strlen(file);
	if (len > sfx && !strcmp(file + len - sfx, DELETED_SUFFIX))
		file[len - sfx] = '\0';
	fd = open_path_in_root(root_fd, file);
	return fd < 0 ? fd : reopen_checked(fd, m);
}

int mapped_file__open_path(int root_fd, const char *path)
{
	int fd;

	if (!path || path[0] != '/')
		return -ENOENT;
	fd = open_path_in_root(root_fd, path);
	return fd < 0 ? fd : reopen_checked(fd, NULL);
}

int mapped_file__open_root(pid_t pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	return fd;
}

int mapped_file__open_in_root(int root_fd, const struct mv_mapping *m)
{
	return open_in_root(root_fd, NULL, m);
}

int mapped_file__root_path(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	n = readlink(path, buf, len - 1);
	if (n <= 0) {
		buf[0] = '\0';
		return n < 0 ? -errno : -ENOENT;
	}
	buf[n] = '\0';
	return 0;
}

int mapped_file__open(pid_t pid, const struct mv_mapping *m)
{
	char path[96], root_path[PATH_MAX];
	int fd, root_fd, ret;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", (int)pid,
		 (unsigned long long)m->start, (unsigned long long)m->end);
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd >= 0)
		return reopen_checked(fd, m);
	root_fd = mapped_file__open_root(pid);
	if (root_fd < 0)
		return root_fd;
	/* a chrooted process's maps lines name its files from memvigil's root */
	mapped_file__root_path(pid, root_path, sizeof(root_path));
	ret = open_in_root(root_fd, root_path, m);
	close(root_fd);
	return ret;
}
