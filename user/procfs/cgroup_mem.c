// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "procfs/cgroup_mem.h"
#include "procfs/procmem.h"

/* v1 memory limits at or above this are "no limit" (the kernel's PAGE_COUNTER_MAX pages). */
#define V1_UNLIMITED_BYTES (1ull << 62)

static bool has_option(const char *opts, const char *name)
{
	size_t len = strlen(name);
	const char *p = opts;

	while ((p = strstr(p, name))) {
		if ((p == opts || p[-1] == ',') && (p[len] == ',' || p[len] == '\0'))
			return true;
		p += len;
	}
	return false;
}

int cgroup_mem__parse_mounts(const char *text, struct cgroup_mounts *out)
{
	char dev[256], dir[PATH_MAX], type[64], opts[1024];
	const char *line = text;

	memset(out, 0, sizeof(*out));
	while (line && *line) {
		if (sscanf(line, "%255s %4095s %63s %1023s", dev, dir, type, opts) == 4) {
			if (!strcmp(type, "cgroup2") && !out->v2[0])
				snprintf(out->v2, sizeof(out->v2), "%s", dir);
			else if (!strcmp(type, "cgroup") && has_option(opts, "memory") &&
				 !out->v1_memory[0])
				snprintf(out->v1_memory, sizeof(out->v1_memory), "%s", dir);
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return 0;
}

int cgroup_mem__parse_proc_cgroup(const char *text, struct cgroup_paths *out)
{
	const char *line = text;

	memset(out, 0, sizeof(*out));
	while (line && *line) {
		const char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		const char *eol = strchr(line, '\n');
		size_t plen;
		char ctrl[256];

		if (!eol)
			eol = line + strlen(line);
		if (c2 && c2 < eol) {
			plen = eol - (c2 + 1);
			snprintf(ctrl, sizeof(ctrl), "%.*s", (int)(c2 - c1 - 1), c1 + 1);
			if (!strncmp(line, "0::", 3))
				snprintf(out->v2, sizeof(out->v2), "%.*s", (int)plen, c2 + 1);
			else if (has_option(ctrl, "memory"))
				snprintf(out->v1_memory, sizeof(out->v1_memory), "%.*s",
					 (int)plen, c2 + 1);
		}
		line = *eol ? eol + 1 : NULL;
	}
	return 0;
}

int cgroup_mem__parse_limit(const char *text, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!strncmp(text, "max", 3) && (text[3] == '\n' || text[3] == '\0')) {
		*out = CGROUP_NO_LIMIT;
		return 0;
	}
	if (*text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || (*end && *end != '\n'))
		return -EINVAL;
	*out = v;
	return 0;
}

/* dir + path (path "/" adds nothing) into out. 0 or -ENAMETOOLONG. */
static int join(char *out, size_t len, const char *dir, const char *path, const char *file)
{
	int n = snprintf(out, len, "%s%s%s", dir, strcmp(path, "/") ? path : "", file);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int read_value(const char *dir, const char *name, uint64_t *out)
{
	char path[PATH_MAX + 64], buf[64];
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	n = procmem__read_file(path, buf, sizeof(buf));
	if (n < 0)
		return n;
	return cgroup_mem__parse_limit(buf, out);
}

static int read_text(const char *path, char **buf)
{
	long n;

	*buf = malloc(16384);
	if (!*buf)
		return -ENOMEM;
	n = procmem__read_file(path, *buf, 16384);
	return n < 0 ? (int)n : 0;
}

int cgroup_mem__read_mounts(struct cgroup_mounts *out)
{
	char *buf = NULL;
	int ret = read_text("/proc/mounts", &buf);

	if (!ret)
		ret = cgroup_mem__parse_mounts(buf, out);
	free(buf);
	return ret;
}

static int read_paths(pid_t pid, struct cgroup_paths *paths)
{
	char path[64], *buf = NULL;
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	ret = read_text(path, &buf);
	if (!ret)
		ret = cgroup_mem__parse_proc_cgroup(buf, paths);
	free(buf);
	return ret;
}

static int read_v1(const struct cgroup_mounts *mnt, const struct cgroup_paths *paths,
		   struct cgroup_mem *out)
{
	if (join(out->dir, sizeof(out->dir), mnt->v1_memory, paths->v1_memory, ""))
		return -ENAMETOOLONG;
	out->version = 1;
	if (read_value(out->dir, "memory.limit_in_bytes", &out->limit_bytes) ||
	    read_value(out->dir, "memory.usage_in_bytes", &out->usage_bytes))
		return -EIO;
	if (out->limit_bytes >= V1_UNLIMITED_BYTES)
		out->limit_bytes = CGROUP_NO_LIMIT;
	return 0;
}

static int read_v2(const struct cgroup_mounts *mnt, const struct cgroup_paths *paths,
		   struct cgroup_mem *out)
{
	if (join(out->dir, sizeof(out->dir), mnt->v2, paths->v2, ""))
		return -ENAMETOOLONG;
	out->version = 2;
	if (read_value(out->dir, "memory.max", &out->limit_bytes) ||
	    read_value(out->dir, "memory.current", &out->usage_bytes))
		return -ENOENT;	/* no memory controller in this cgroup2 tree */
	return 0;
}

int cgroup_mem__of(pid_t pid, const struct cgroup_mounts *mnt, struct cgroup_mem *out)
{
	struct cgroup_paths paths;
	struct stat st;
	int ret;

	memset(out, 0, sizeof(*out));
	out->limit_bytes = CGROUP_NO_LIMIT;
	ret = read_paths(pid, &paths);
	if (ret)
		return ret;
	/* The root's pressure is the system's (/proc/pressure): only a child's adds news. */
	if (mnt->v2[0] && paths.v2[0] && strcmp(paths.v2, "/")) {
		if (join(out->pressure_path, sizeof(out->pressure_path), mnt->v2, paths.v2,
			 "/memory.pressure") || access(out->pressure_path, R_OK))
			out->pressure_path[0] = '\0';
	}
	ret = -ENOENT;
	if (mnt->v2[0] && paths.v2[0])
		ret = read_v2(mnt, &paths, out);
	if (ret && mnt->v1_memory[0] && paths.v1_memory[0])
		ret = read_v1(mnt, &paths, out);
	if (ret) {
		out->version = 0;
		out->dir[0] = '\0';
		return ret;
	}
	if (!stat(out->dir, &st))
		out->ino = st.st_ino;
	return 0;
}
