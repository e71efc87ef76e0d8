// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "serve/token_file.h"

/* Checks on the open file: kind, owner, mode, size. 0 or a negative errno. */
static int token_file__check(int fd, const char *path, char *err, size_t err_len)
{
	struct stat st;

	if (fstat(fd, &st)) {
		snprintf(err, err_len, "cannot read --listen-token-file %s: %s", path,
			 strerror(errno));
		return -EIO;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, err_len, "--listen-token-file %s is not a regular file", path);
		return -EINVAL;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, err_len, "--listen-token-file %s belongs to another user (UID %u); "
			 "give memvigil a token file of its own", path, (unsigned int)st.st_uid);
		return -EPERM;
	}
	if (st.st_mode & S_IRWXO) {
		snprintf(err, err_len, "--listen-token-file %s is readable by any user (mode %03o); "
			 "run: chmod 600 %s", path, (unsigned int)(st.st_mode & 0777), path);
		return -EPERM;
	}
	if (st.st_size > TOKEN_FILE_MAX) {
		snprintf(err, err_len, "--listen-token-file %s is larger than %d bytes; it should "
			 "hold one token", path, TOKEN_FILE_MAX);
		return -EFBIG;
	}
	return 0;
}

/* The first line of buf, trailing whitespace cut, as the token; 0 or -EINVAL. */
static int token_file__take(char *buf, char *tok, size_t size)
{
	size_t len = strcspn(buf, "\r\n"), i;

	while (len && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	if (!len || len >= size)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (buf[i] <= 0x20 || buf[i] >= 0x7f)
			return -EINVAL;
	memcpy(tok, buf, len);
	tok[len] = '\0';
	return 0;
}

int token_file__read(const char *path, char *tok, size_t size, char *err, size_t err_len)
{
	char buf[TOKEN_FILE_MAX + 1];
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, err_len, "cannot read --listen-token-file %s: %s", path,
			 ret == -ELOOP ? "it is a symbolic link; give the file itself"
				       : strerror(-ret));
		return ret;
	}
	ret = token_file__check(fd, path, err, err_len);
	n = ret ? 0 : read(fd, buf, TOKEN_FILE_MAX);
	if (!ret && n < 0) {
		ret = -errno;
		snprintf(err, err_len, "cannot read --listen-token-file %s: %s", path, strerror(-ret));
	}
	close(fd);
	if (ret)
		return ret;
	buf[n] = '\0';
	if (token_file__take(buf, tok, size)) {
		snprintf(err, err_len, "--listen-token-file %s holds no token: expected one line of "
			 "printable characters without spaces", path);
		return -EINVAL;
	}
	return 0;
}

int token_file__matches(const char *tok, const char *auth)
{
	static const char scheme[] = "Bearer ";
	size_t tlen = strlen(tok), alen, i;
	unsigned char diff = 0;

	if (!auth || strncasecmp(auth, scheme, sizeof(scheme) - 1))
		return 0;
	auth += sizeof(scheme) - 1;
	alen = strlen(auth);
	for (i = 0; i < tlen; i++)
		diff |= (unsigned char)tok[i] ^ (unsigned char)(i < alen ? auth[i] : 0);
	return !diff && alen == tlen;
}
