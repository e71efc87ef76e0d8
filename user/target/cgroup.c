// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "target/cgroup.h"

/* /proc/mounts escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *out = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

/* mnt is path or one of its parent directories. */
static bool holds(const char *mnt, const char *path)
{
	size_t n = strlen(mnt);

	if (n == 1 && mnt[0] == '/')
		return true;
	return !strncmp(mnt, path, n) && (path[n] == '\0' || path[n] == '/');
}

/* The n-th space-separated field of line (n from 0) into buf; false if missing. */
static bool field(const char *line, const char *eol, int n, char *buf, size_t len)
{
	const char *p = line, *e;

	for (; n > 0 && p < eol; n--) {
		p = memchr(p, ' ', eol - p);
		if (!p)
			return false;
		p++;
	}
	if (p >= eol)
		return false;
	e = memchr(p, ' ', eol - p);
	if (!e)
		e = eol;
	if ((size_t)(e - p) >= len)
		return false;
	memcpy(buf, p, e - p);
	buf[e - p] = '\0';
	return true;
}

/*
 * One mountinfo line: root (field 4), mount point (5), and after the "-"
 * separator the type and the super-block options (which name a v1
 * hierarchy's controllers). false if the line is not in that form.
 */
static bool parse_mountinfo_line(const char *line, const char *eol, char *root, char *mnt,
				 char *type, size_t type_len, char *opts, size_t opts_len)
{
	const char *sep = line;

	if (!field(line, eol, 3, root, PATH_MAX) || !field(line, eol, 4, mnt, PATH_MAX))
		return false;
	do {
		sep = memchr(sep, '-', eol - sep);
		if (!sep)
			return false;
		sep++;
	} while (sep - 1 == line || sep[-2] != ' ' || (sep < eol && *sep != ' '));
	return field(sep + 1, eol, 0, type, type_len) && field(sep + 1, eol, 2, opts, opts_len);
}

int cgroup__find_mount(const char *mountinfo, const char *path, struct cgroup_root *out)
{
	char root[PATH_MAX], mnt[PATH_MAX], type[32], opts[256];
	const char *line = mountinfo, *below;
	size_t best = 0;

	while (line && *line) {
		const char *next = strchr(line, '\n');
		const char *eol = next ? next : line + strlen(line);

		if (parse_mountinfo_line(line, eol, root, mnt, type, sizeof(type), opts,
					 sizeof(opts)) &&
		    (!strcmp(type, "cgroup") || !strcmp(type, "cgroup2"))) {
			unescape(mnt);
			unescape(root);
			/* a later mount on the same point hides the earlier one */
			if (holds(mnt, path) && strlen(mnt) >= best) {
				best = strlen(mnt);
				snprintf(out->mount, sizeof(out->mount), "%s", mnt);
				snprintf(out->root, sizeof(out->root), "%s", root);
				snprintf(out->options, sizeof(out->options), "%s", opts);
				out->v2 = !strcmp(type, "cgroup2");
			}
		}
		line = next ? next + 1 : NULL;
	}
	if (!best)
		return -ENOENT;
	if (!strncmp(out->root, "/..", 3) && (out->root[3] == '/' || !out->root[3]))
		return -EXDEV;
	snprintf(out->path, sizeof(out->path), "%s", path);
	below = best == 1 ? path : path + best;	/* mounted on / itself: all of path */
	if (!strcmp(out->root, "/"))
		snprintf(out->rel, sizeof(out->rel), "%s", *below ? below : "/");
	else
		snprintf(out->rel, sizeof(out->rel), "%s%s", out->root, below);
	return 0;
}

/* Some controller of a v1 /proc/PID/cgroup line's list is one of the mount's options. */
static bool names_hierarchy(const char *options, const char *ctrls, size_t ctrls_len)
{
	char list[256], *save, *c;
	size_t n;

	if (!ctrls_len || ctrls_len >= sizeof(list))
		return false;
	memcpy(list, ctrls, ctrls_len);
	list[ctrls_len] = '\0';
	for (c = strtok_r(list, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
		const char *o = options;

		n = strlen(c);
		while ((o = strstr(o, c))) {
			if ((o == options || o[-1] == ',') && (o[n] == ',' || o[n] == '\0'))
				return true;
			o += n;
		}
	}
	return false;
}

int cgroup__parse_membership(const struct cgroup_root *cg, const char *text,
			     char *buf, size_t len)
{
	const char *line = text;

	while (line && *line) {
		const char *next = strchr(line, '\n');
		const char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		size_t plen;

		if (c2 && (!next || c2 < next)) {
			bool match = cg->v2 ? (c1 - line == 1 && line[0] == '0' && c2 == c1 + 1)
					    : names_hierarchy(cg->options, c1 + 1, c2 - c1 - 1);

			if (match) {
				plen = next ? (size_t)(next - c2 - 1) : strlen(c2 + 1);
				snprintf(buf, len, "%.*s", (int)plen, c2 + 1);
				return 0;
			}
		}
		line = next ? next + 1 : NULL;
	}
	return -ENOENT;
}

const char *cgroup__relative(const struct cgroup_root *cg, const char *hier_path)
{
	size_t n = strlen(cg->rel);

	if (!strcmp(cg->rel, "/"))
		return hier_path[0] == '/' ? hier_path : NULL;
	if (strncmp(cg->rel, hier_path, n))
		return NULL;
	if (hier_path[n] == '\0')
		return "/";
	return hier_path[n] == '/' ? hier_path + n : NULL;
}

static char *read_text(const char *path, size_t max)
{
	char *buf = malloc(max);
	size_t used = 0;
	ssize_t n;
	int fd;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	while (used + 1 < max && (n = read(fd, buf + used, max - used - 1)) > 0)
		used += n;
	close(fd);
	buf[used] = '\0';
	return buf;
}

int cgroup__open(const char *path, struct cgroup_root *out, char *err, size_t err_len)
{
	char real[PATH_MAX], procs[PATH_MAX + 16], *mounts;
	struct stat st;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!realpath(path, real) || stat(real, &st)) {
		ret = -errno;
		if (ret == -ENOENT)
			snprintf(err, err_len, "cgroup %s does not exist; give a cgroup directory "
				 "(see /proc/mounts for where cgroups are mounted)", path);
		else
			snprintf(err, err_len, "cannot resolve cgroup %s: %s", path, strerror(-ret));
		return ret == -ENOENT ? -ENOENT : ret;
	}
	mounts = read_text("/proc/self/mountinfo", 1 << 22);
	if (!mounts) {
		snprintf(err, err_len, "cannot read /proc/self/mountinfo: %s", strerror(errno));
		return -errno;
	}
	ret = cgroup__find_mount(mounts, real, out);
	free(mounts);
	if (ret == -EXDEV) {
		snprintf(err, err_len, "cgroup %s is mounted from outside memvigil's cgroup namespace "
			 "(mount root %s); run memvigil in the cgroup namespace of that mount",
			 path, out->root);
		return -EINVAL;
	}
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", real);
	if (ret || !S_ISDIR(st.st_mode) || access(procs, R_OK)) {
		snprintf(err, err_len, "%s is not a cgroup: give a directory under a cgroup or "
			 "cgroup2 mount listed in /proc/mounts", path);
		return -EINVAL;
	}
	return 0;
}

static void scan_procs(const char *dir, const char *rel, cgroup_proc_fn fn, void *ctx)
{
	char path[PATH_MAX + 16], *text, *line, *end;
	long pid;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	text = read_text(path, 1 << 22);
	if (!text)
		return;
	for (line = text; *line; line = end) {
		pid = strtol(line, &end, 10);
		if (end == line)
			break;
		if (pid > 0)
			fn(ctx, (pid_t)pid, rel);
	}
	free(text);
}

static int scan_dir(const char *dir, const char *rel, int depth, cgroup_proc_fn fn, void *ctx)
{
	char sub[PATH_MAX], sub_rel[PATH_MAX];
	struct dirent *d;
	DIR *dp;

	dp = opendir(dir);
	if (!dp)
		return -errno;
	scan_procs(dir, rel, fn, ctx);
	while (depth < MV_CGROUP_MAX_DEPTH && (d = readdir(dp))) {
		if (d->d_type != DT_DIR || !strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", dir, d->d_name) >= (int)sizeof(sub) ||
		    snprintf(sub_rel, sizeof(sub_rel), "%s/%s", strcmp(rel, "/") ? rel : "",
			     d->d_name) >= (int)sizeof(sub_rel))
			continue;
		scan_dir(sub, sub_rel, depth + 1, fn, ctx);	/* may vanish meanwhile */
	}
	closedir(dp);
	return 0;
}

int cgroup__scan(const struct cgroup_root *cg, cgroup_proc_fn fn, void *ctx)
{
	int ret = scan_dir(cg->path, "/", 0, fn, ctx);

	return ret == -ENOENT || ret == -ENODEV ? -ENOENT : ret;
}

int cgroup__holds(const struct cgroup_root *cg, pid_t pid, char *rel, size_t len)
{
	char path[64], hier[PATH_MAX], *text;
	const char *r;
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	text = read_text(path, 1 << 16);
	if (!text)
		return 0;
	ret = cgroup__parse_membership(cg, text, hier, sizeof(hier));
	free(text);
	if (ret)
		return 0;
	r = cgroup__relative(cg, hier);
	if (!r)
		return 0;
	snprintf(rel, len, "%s", r);
	return 1;
}
