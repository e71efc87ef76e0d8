// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "symbolize/debug_paths.h"

#define DELETED_SUFFIX " (deleted)"

int debug_paths__build_id(const uint8_t *id, size_t len, char *buf, size_t size)
{
	size_t need = sizeof(DEBUG_PATHS_ROOT "/.build-id/xx/.debug") + 2 * (len - 1), i;
	char *p;

	if (len < 2 || len > 64)
		return -EINVAL;
	if (size < need)
		return -ENAMETOOLONG;
	p = buf + sprintf(buf, "%s/.build-id/%02x/", DEBUG_PATHS_ROOT, id[0]);
	for (i = 1; i < len; i++)
		p += sprintf(p, "%02x", id[i]);
	strcpy(p, ".debug");
	return 0;
}

static int valid_name(const char *name)
{
	return name[0] && strcmp(name, ".") && strcmp(name, "..") && !strchr(name, '/');
}

int debug_paths__link(const char *obj_path, const char *name, unsigned int i, char *buf,
		      size_t size)
{
	static const char *const fmt[DEBUG_PATHS_LINK_CNT] = {
		"%.*s%s", "%.*s.debug/%s", DEBUG_PATHS_ROOT "%.*s%s",
	};
	size_t dir_len, path_len, sfx = strlen(DELETED_SUFFIX);
	const char *slash;
	int n;

	if (!obj_path || obj_path[0] != '/' || !name || !valid_name(name))
		return -EINVAL;
	if (i >= DEBUG_PATHS_LINK_CNT)
		return -ENOENT;
	path_len = strlen(obj_path);
	if (path_len > sfx && !strcmp(obj_path + path_len - sfx, DELETED_SUFFIX))
		path_len -= sfx;
	slash = memrchr(obj_path, '/', path_len);
	dir_len = slash - obj_path + 1;		/* with its '/' */
	n = snprintf(buf, size, fmt[i], (int)dir_len, obj_path, name);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	if (strlen(buf) == path_len && !strncmp(buf, obj_path, path_len))
		return -ENOENT;
	return 0;
}

int debug_paths__alt(const char *dbg_path, const char *name, char *buf, size_t size)
{
	const char *slash;
	int n;

	if (!name || !name[0] || !dbg_path || dbg_path[0] != '/')
		return -EINVAL;
	slash = strrchr(dbg_path, '/');
	if (name[0] == '/')
		n = snprintf(buf, size, "%s", name);
	else
		n = snprintf(buf, size, "%.*s%s", (int)(slash - dbg_path + 1), dbg_path, name);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}
