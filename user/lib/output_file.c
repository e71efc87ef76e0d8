// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/output_file.h"

/* Tries when a file appears or disappears between the open for append and the create. */
#define APPEND_OPEN_TRIES 4

struct output_file {
	FILE *stream;
	char *path;
	char *tmp_path;		/* a report not yet renamed into place */
	enum output_mode mode;
};

/* "a FIFO", "a socket", ... for a file that is not regular. */
static const char *type_name(mode_t m)
{
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	return "not a regular file";
}

/* Whether what st describes may be written at path; a sentence in err if not. */
static int check_stat(const char *path, const struct stat *st, enum output_mode mode,
		      char *err, size_t err_len)
{
	if (S_ISLNK(st->st_mode)) {
		snprintf(err, err_len, "refusing to write %s: it is a symbolic link; "
			 "give a path that is not a link", path);
		return -ELOOP;
	}
	if (S_ISDIR(st->st_mode)) {
		snprintf(err, err_len, "refusing to write %s: it is a directory; "
			 "give the path of a file", path);
		return -EISDIR;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, err_len, "refusing to write %s: it is %s, not a regular file; "
			 "give the path of a regular file ('-' for standard output)", path,
			 type_name(st->st_mode));
		return -ENXIO;
	}
	if (st->st_uid != geteuid()) {
		snprintf(err, err_len, "refusing to write %s: it belongs to uid %u, not to uid %u "
			 "running memvigil, and may have been planted; remove it or give another "
			 "path", path, (unsigned int)st->st_uid, (unsigned int)geteuid());
		return -EPERM;
	}
	if (mode == OUTPUT_APPEND && st->st_nlink > 1) {
		snprintf(err, err_len, "refusing to append to %s: it has %lu hard links and one "
			 "may lead to a file elsewhere; give a file with a single link", path,
			 (unsigned long)st->st_nlink);
		return -EPERM;
	}
	return 0;
}

/* The sentence for a failed open or create of path with errno errnum. */
static int open_failed(const char *path, int errnum, enum output_mode mode, char *err,
		       size_t err_len)
{
	struct stat st;

	/* ELOOP: the link itself; ENXIO: a FIFO without a reader, a socket. */
	if ((errnum == ELOOP || errnum == ENXIO || errnum == EISDIR) && !lstat(path, &st) &&
	    check_stat(path, &st, mode, err, err_len))
		return -errnum;
	snprintf(err, err_len, "cannot write %s: %s%s", path, strerror(errnum),
		 errnum == ENOENT ? "; check that its directory exists" : "");
	return -errnum;
}

/* Check what is at the path now, if anything: a clear refusal before any open. */
static int check_path(const char *path, enum output_mode mode, char *err, size_t err_len)
{
	size_t len = strlen(path);
	struct stat st;

	if (!len || path[len - 1] == '/') {
		snprintf(err, err_len, "refusing to write '%s': it names a directory; "
			 "give the path of a file", path);
		return -EISDIR;
	}
	if (lstat(path, &st))
		return errno == ENOENT ? 0 : open_failed(path, errno, mode, err, err_len);
	return check_stat(path, &st, mode, err, err_len);
}

/* "DIR/.NAME.XXXXXX" beside path, for mkostemp. */
static char *temp_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	int dir_len = slash ? (int)(slash - path + 1) : 0;
	size_t len = strlen(path) + sizeof(".XXXXXX") + 1;
	char *tmp = malloc(len);

	if (tmp)
		snprintf(tmp, len, "%.*s.%s.XXXXXX", dir_len, path, path + dir_len);
	return tmp;
}

/* A new file's mode, then the stream over fd (closed on failure). */
static int finish_open(struct output_file *of, int fd, bool created, char *err,
		       size_t err_len)
{
	int ret;

	if (created && fchmod(fd, OUTPUT_FILE_MODE)) {
		ret = -errno;
		snprintf(err, err_len, "cannot set mode 0600 on %s: %s", of->tmp_path ?: of->path,
			 strerror(-ret));
		close(fd);
		return ret;
	}
	of->stream = fdopen(fd, of->mode == OUTPUT_REPORT ? "w" : "a");
	if (!of->stream) {
		ret = -errno;
		snprintf(err, err_len, "cannot write %s: %s", of->path, strerror(-ret));
		close(fd);
		return ret;
	}
	return 0;
}

static int open_report(struct output_file *of, char *err, size_t err_len)
{
	int fd, ret;

	of->tmp_path = temp_name(of->path);
	if (!of->tmp_path) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	fd = mkostemp(of->tmp_path, O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, err_len, "cannot create a temporary file beside %s: %s%s", of->path,
			 strerror(-ret), ret == -ENOENT ? "; check that its directory exists" : "");
		free(of->tmp_path);
		of->tmp_path = NULL;
		return ret;
	}
	return finish_open(of, fd, true, err, err_len);
}

/* Check the file opened for append as fd; O_NONBLOCK off again. */
static int check_opened(struct output_file *of, int fd, char *err, size_t err_len)
{
	struct stat st;
	int flags, ret;

	if (fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, err_len, "cannot check %s: %s", of->path, strerror(-ret));
		return ret;
	}
	ret = check_stat(of->path, &st, of->mode, err, err_len);
	if (ret)
		return ret;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)) {
		ret = -errno;
		snprintf(err, err_len, "cannot write %s: %s", of->path, strerror(-ret));
		return ret;
	}
	return 0;
}

/* Open the existing file, else create it: fd, or a negative errno. */
static int open_or_create(const char *path, bool *created)
{
	int tries, fd = -1;

	for (tries = 0; tries < APPEND_OPEN_TRIES; tries++) {
		*created = false;
		fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT)
			break;
		*created = true;
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY |
			  O_CLOEXEC, OUTPUT_FILE_MODE);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	return fd >= 0 ? fd : -errno;
}

static int open_append(struct output_file *of, char *err, size_t err_len)
{
	bool created;
	int fd, ret;

	fd = open_or_create(of->path, &created);
	if (fd < 0)
		return open_failed(of->path, -fd, of->mode, err, err_len);
	ret = check_opened(of, fd, err, err_len);
	if (ret) {
		close(fd);
		return ret;
	}
	return finish_open(of, fd, created, err, err_len);
}

int output_file__open(const char *path, enum output_mode mode, struct output_file **out,
		      char *err, size_t err_len)
{
	struct output_file *of = calloc(1, sizeof(*of));
	int ret = -ENOMEM;

	*out = NULL;
	if (!of || !(of->path = strdup(path))) {
		snprintf(err, err_len, "out of memory");
		goto err_free;
	}
	of->mode = mode;
	if (!strcmp(path, "-")) {
		of->stream = stdout;
		*out = of;
		return 0;
	}
	ret = check_path(path, mode, err, err_len);
	if (ret)
		goto err_free;
	ret = mode == OUTPUT_REPORT ? open_report(of, err, err_len) :
				      open_append(of, err, err_len);
	if (ret)
		goto err_free;
	*out = of;
	return 0;
err_free:
	output_file__free(of);
	return ret;
}

FILE *output_file__stream(const struct output_file *of)
{
	return of->stream;
}

const char *output_file__path(const struct output_file *of)
{
	return of->path;
}

int output_file__commit(struct output_file *of, char *err, size_t err_len)
{
	int ret;

	errno = 0;
	if (fflush(of->stream) || ferror(of->stream)) {
		ret = errno ? -errno : -EIO;
		snprintf(err, err_len, "writing %s failed: %s", of->path, strerror(-ret));
		return ret;
	}
	if (!of->tmp_path)
		return 0;
	if (fsync(fileno(of->stream)) || rename(of->tmp_path, of->path)) {
		ret = -errno;
		snprintf(err, err_len, "cannot put the report in place at %s: %s", of->path,
			 strerror(-ret));
		return ret;
	}
	free(of->tmp_path);
	of->tmp_path = NULL;
	return 0;
}

void output_file__free(struct output_file *of)
{
	if (!of)
		return;
	if (of->stream && of->stream != stdout)
		fclose(of->stream);
	if (of->tmp_path)
		unlink(of->tmp_path);
	free(of->tmp_path);
	free(of->path);
	free(of);
}
