// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/grow.h"
#include "procfs/procmaps.h"

/* Hex digits into *v; at least one, at most 16. Advances *p. */
static int parse_hex(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int n = 0;

	for (;; s++, n++) {
		char c = *s;
		int d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			break;
		if (n == 16)
			return -EINVAL;
		x = x << 4 | d;
	}
	if (!n)
		return -EINVAL;
	*v = x;
	*p = s;
	return 0;
}

static int parse_dec(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (x > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		x = x * 10 + (*s - '0');
	}
	*v = x;
	*p = s;
	return 0;
}

static int expect(const char **p, char c)
{
	if (**p != c)
		return -EINVAL;
	(*p)++;
	return 0;
}

static int parse_perms(const char **p, char perms[5])
{
	static const char allowed[4][3] = { "r-", "w-", "x-", "ps" };
	const char *s = *p;
	int i;

	for (i = 0; i < 4; i++) {
		if (!s[i] || !strchr(allowed[i], s[i]))
			return -EINVAL;
		perms[i] = s[i];
	}
	perms[4] = '\0';
	*p = s + 4;
	return 0;
}

/*
 * One line, without its newline:
 * "start-end perms offset major:minor inode [path]"; the path is the rest
 * of the line after the blanks that follow the inode, spaces included.
 */
static int parse_line(const char *s, struct mv_mapping *m)
{
	uint64_t major, minor;

	memset(m, 0, sizeof(*m));
	if (parse_hex(&s, &m->start) || expect(&s, '-') || parse_hex(&s, &m->end) ||
	    expect(&s, ' ') || parse_perms(&s, m->perms) || expect(&s, ' ') ||
	    parse_hex(&s, &m->file_offset) || expect(&s, ' ') ||
	    parse_hex(&s, &major) || expect(&s, ':') || parse_hex(&s, &minor) ||
	    expect(&s, ' ') || parse_dec(&s, &m->inode))
		return -EINVAL;
	if (m->end <= m->start || major > UINT32_MAX || minor > UINT32_MAX)
		return -EINVAL;
	if (*s && *s != ' ')
		return -EINVAL;
	m->dev_major = major;
	m->dev_minor = minor;
	while (*s == ' ')
		s++;
	m->path = strdup(s);
	return m->path ? 0 : -ENOMEM;
}

static int cmp_start(const void *a, const void *b)
{
	const struct mv_mapping *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int add_line(struct procmaps *pm, size_t *cap, const char *line)
{
	struct mv_mapping *maps;
	int err;

	maps = grow__array(pm->maps, cap, pm->cnt + 1, sizeof(*maps), 64);
	if (!maps)
		return -ENOMEM;
	pm->maps = maps;
	err = parse_line(line, &pm->maps[pm->cnt]);
	if (err)
		return err;
	pm->cnt++;
	return 0;
}

int procmaps__parse(const char *text, struct procmaps **out)
{
	struct procmaps *pm;
	size_t cap = 0;
	char *copy, *line, *next;
	int err = 0;

	*out = NULL;
	pm = calloc(1, sizeof(*pm));
	copy = strdup(text);
	if (!pm || !copy) {
		err = -ENOMEM;
		goto out;
	}
	for (line = copy; line && !err; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (*line)
			err = add_line(pm, &cap, line);
	}
	if (err)
		goto out;
	if (pm->cnt)
		qsort(pm->maps, pm->cnt, sizeof(*pm->maps), cmp_start);
	*out = pm;
	pm = NULL;
out:
	free(copy);
	procmaps__free(pm);
	return err;
}

/*
 * A maps file longer than this is refused: the kernel's default limit of
 * 65530 mappings with paths of common length comes to some 10 MiB, and a
 * process that maps more under long names must not grow memvigil without end.
 */
#define MAPS_MAX_BYTES (64u << 20)

/* The whole of a /proc file (whose size stat cannot tell), NUL-terminated. */
static int read_all(int fd, char **out)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *bigger;
	ssize_t n;

	for (;;) {
		bigger = grow__array(buf, &cap, len + 4096, 1, 16384);
		if (!bigger) {
			free(buf);
			return -ENOMEM;
		}
		buf = bigger;
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			free(buf);
			return n;
		}
		if (n == 0)
			break;
		len += n;
		if (len > MAPS_MAX_BYTES) {
			free(buf);
			return -EFBIG;
		}
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

struct procmaps *procmaps__read(pid_t pid)
{
	struct procmaps *pm = NULL;
	char path[64], *text = NULL;
	int fd, err;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		errno = errno == ENOENT ? ESRCH : errno;
		return NULL;
	}
	err = read_all(fd, &text);
	close(fd);
	if (!err)
		err = procmaps__parse(text, &pm);
	free(text);
	if (err)
		errno = err == -ENOENT ? ESRCH : -err;
	return pm;
}

const struct mv_mapping *procmaps__find(const struct procmaps *pm, uint64_t addr)
{
	size_t lo = 0, hi = pm ? pm->cnt : 0;

	/* First mapping whose end is above addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pm->maps[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (pm && lo < pm->cnt && pm->maps[lo].start <= addr)
		return &pm->maps[lo];
	return NULL;
}

void procmaps__free(struct procmaps *pm)
{
	size_t i;

	if (!pm)
		return;
	for (i = 0; i < pm->cnt; i++)
		free(pm->maps[i].path);
	free(pm->maps);
	free(pm);
}
