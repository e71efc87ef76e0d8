// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "procfs/procmem.h"

long procmem__read_file(const char *path, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	int fd, err;

	if (len == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0) {
			err = -errno;
			close(fd);
			return err;
		}
		if (n == 0)
			break;
		got += n;
	}
	buf[got] = '\0';
	close(fd);
	return got;
}

/* The value in kB of line "key:   N kB" anywhere in text, as bytes. */
static bool kb_field(const char *text, const char *key, uint64_t *out)
{
	size_t klen = strlen(key);
	const char *line = text;
	char *end;

	while (line && *line) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			unsigned long long v = strtoull(line + klen + 1, &end, 10);

			if (end == line + klen + 1)
				return false;
			*out = v * 1024;
			return true;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return false;
}

int procmem__parse_smaps_rollup(const char *text, struct smaps_rollup *out)
{
	uint64_t clean = 0, dirty = 0;

	memset(out, 0, sizeof(*out));
	if (!kb_field(text, "Rss", &out->rss_bytes) || !kb_field(text, "Pss", &out->pss_bytes))
		return -EINVAL;
	kb_field(text, "Private_Clean", &clean);
	kb_field(text, "Private_Dirty", &dirty);
	kb_field(text, "Swap", &out->swap_bytes);
	out->uss_bytes = clean + dirty;
	return 0;
}

int procmem__read_smaps_rollup(pid_t pid, struct smaps_rollup *out)
{
	char path[64], buf[4096];
	long n;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
	n = procmem__read_file(path, buf, sizeof(buf));
	if (n < 0)
		return n == -ESRCH ? -ENOENT : (int)n;
	return procmem__parse_smaps_rollup(buf, out);
}

static int parse_psi_line(const char *line, struct psi_line *out)
{
	if (sscanf(line, "%*s avg10=%lf avg60=%lf avg300=%lf total=%" SCNu64, &out->avg10,
		   &out->avg60, &out->avg300, &out->total_us) != 4)
		return -EINVAL;
	return 0;
}

int procmem__parse_psi(const char *text, struct psi *out)
{
	const char *full;

	memset(out, 0, sizeof(*out));
	if (strncmp(text, "some ", 5) || parse_psi_line(text, &out->some))
		return -EINVAL;
	full = strstr(text, "\nfull ");
	if (full) {
		if (parse_psi_line(full + 1, &out->full))
			return -EINVAL;
		out->has_full = true;
	}
	return 0;
}

int procmem__read_psi(const char *path, struct psi *out)
{
	char buf[512];
	long n = procmem__read_file(path, buf, sizeof(buf));

	if (n < 0)
		return n == -ENOTSUP || n == -EOPNOTSUPP ? -ENOENT : (int)n;
	return procmem__parse_psi(buf, out);
}
