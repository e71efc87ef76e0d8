// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "binary/elf_debug.h"
#include "lib/grow.h"
#include "lib/log.h"
#include "procfs/mapped_file.h"
#include "symbolize/debug_files.h"
#include "symbolize/debug_paths.h"
#include "symbolize/debuginfod_fetch.h"

/* Why a file was skipped; the first of each kind is said. */
enum skip_kind {
	SKIP_BUILD_ID,	/* its build-id is not the object's */
	SKIP_CRC,	/* its CRC is not the one .gnu_debuglink gives */
	SKIP_CORRUPT,	/* no readable ELF file, or MiniDebugInfo that does not decode */
	SKIP_KINDS,
};

struct debug_files {
	uint64_t skipped;
	bool said[SKIP_KINDS];
	struct debuginfod_fetch *fetch;	/* NULL: debuginfod is off */
};

static const char *const skip_words[SKIP_KINDS] = {
	[SKIP_BUILD_ID] = "its build ID is not the object's",
	[SKIP_CRC] = "its CRC is not the one .gnu_debuglink gives",
	[SKIP_CORRUPT] = "not a readable ELF file",
};

struct debug_files *debug_files__new(void)
{
	struct debug_files *df = calloc(1, sizeof(*df));

	if (df)
		df->fetch = debuginfod_fetch__new();
	return df;
}

void debug_files__free(struct debug_files *df)
{
	if (!df)
		return;
	debuginfod_fetch__free(df->fetch);
	free(df);
}

uint64_t debug_files__skipped(const struct debug_files *df)
{
	return df ? df->skipped : 0;
}

const char *debug_source__name(enum debug_source src)
{
	static const char *const names[] = {
		[DEBUG_SOURCE_NONE] = "none", [DEBUG_SOURCE_BUILD_ID] = "build-id",
		[DEBUG_SOURCE_LINK] = "debuglink", [DEBUG_SOURCE_MINI] = "minidebuginfo",
		[DEBUG_SOURCE_DEBUGINFOD] = "debuginfod",
	};

	return src < sizeof(names) / sizeof(names[0]) ? names[src] : "none";
}

/* Count a skipped file; say the first of its kind (-v). */
static void skip(struct debug_files *df, enum skip_kind kind, const char *path)
{
	df->skipped++;
	if (df->said[kind])
		return;
	df->said[kind] = true;
	log_info("debug file %s skipped: %s (further skips are only counted)", path,
		 skip_words[kind]);
}

/* Whether dbg's build-id is ef's (a debug file without one cannot be checked: refused). */
static bool same_build_id(struct elf_file *ef, struct elf_file *dbg)
{
	const uint8_t *a, *b;
	size_t alen, blen;

	if (elf_file__build_id(ef, &a, &alen))
		return true;	/* nothing to compare: the debuglink CRC vouches */
	return !elf_file__build_id(dbg, &b, &blen) && alen == blen && !memcmp(a, b, alen);
}

/* The ELF file on fd (taken) if it is obj's debug file; NULL, counted, if not. */
static struct elf_file *accept_fd(struct debug_files *df, const struct debug_object *obj,
				  int fd, const char *path)
{
	struct elf_file *dbg = elf_file__open_fd(fd);

	if (!dbg) {
		skip(df, SKIP_CORRUPT, path);
		return NULL;
	}
	if (!same_build_id(obj->ef, dbg)) {
		skip(df, SKIP_BUILD_ID, path);
		elf_file__free(dbg);
		return NULL;
	}
	return dbg;
}

/* The file at path in obj's root if it is the dwz file of build-id id; NULL, counted, if not. */
static struct elf_file *open_alt(struct debug_files *df, const struct debug_object *obj,
				 const char *path, const uint8_t *id, size_t len)
{
	int fd = mapped_file__open_path(obj->root_fd, path);
	const uint8_t *got;
	struct elf_file *alt;
	size_t got_len;

	if (fd < 0)
		return NULL;
	alt = elf_file__open_fd(fd);
	if (!alt) {
		skip(df, SKIP_CORRUPT, path);
		return NULL;
	}
	if (elf_file__build_id(alt, &got, &got_len) || got_len != len || memcmp(got, id, len)) {
		skip(df, SKIP_BUILD_ID, path);
		elf_file__free(alt);
		return NULL;
	}
	return alt;
}

/*
 * The file dbg's .gnu_debugaltlink names (dwz), inside obj's root: by its
 * build-id, else by the name (from the root when absolute, from the folder of
 * dbg_path when not); NULL if it has none or none is found.
 */
static struct elf_file *find_alt(struct debug_files *df, const struct debug_object *obj,
				 const char *dbg_path, struct elf_file *dbg)
{
	struct elf_file *alt = NULL;
	char path[PATH_MAX];
	const uint8_t *id;
	const char *name;
	size_t len;

	if (!dbg || elf_debug__altlink(dbg, &name, &id, &len))
		return NULL;
	if (!debug_paths__build_id(id, len, path, sizeof(path)))
		alt = open_alt(df, obj, path, id, len);
	if (!alt && !debug_paths__alt(dbg_path, name, path, sizeof(path)))
		alt = open_alt(df, obj, path, id, len);
	return alt;
}

/* The build-id debug file of obj in its root (and its dwz file in *alt), or NULL. */
static struct elf_file *by_build_id(struct debug_files *df, const struct debug_object *obj,
				    struct elf_file **alt)
{
	struct elf_file *dbg;
	char path[PATH_MAX];
	const uint8_t *id;
	size_t len;
	int fd;

	if (elf_file__build_id(obj->ef, &id, &len) ||
	    debug_paths__build_id(id, len, path, sizeof(path)))
		return NULL;
	fd = mapped_file__open_path(obj->root_fd, path);
	dbg = fd < 0 ? NULL : accept_fd(df, obj, fd, path);
	*alt = find_alt(df, obj, path, dbg);
	return dbg;
}

/* The file .gnu_debuglink names for obj, in its first place that has one (and its dwz file in *alt); or NULL. */
static struct elf_file *by_link(struct debug_files *df, const struct debug_object *obj,
				struct elf_file **alt)
{
	struct elf_file *dbg;
	const char *name, *obj_path = mapped_file__strip_root(obj->path, obj->root_path);
	char path[PATH_MAX];
	uint32_t want, crc;
	unsigned int i;
	int fd;

	if (elf_debug__link(obj->ef, &name, &want))
		return NULL;
	for (i = 0; i < DEBUG_PATHS_LINK_CNT; i++) {
		if (debug_paths__link(obj_path, name, i, path, sizeof(path)))
			continue;
		fd = mapped_file__open_path(obj->root_fd, path);
		if (fd < 0)
			continue;
		if (elf_debug__file_crc(fd, &crc) || crc != want) {
			skip(df, SKIP_CRC, path);
			close(fd);
			continue;
		}
		dbg = accept_fd(df, obj, fd, path);
		*alt = find_alt(df, obj, path, dbg);
		return dbg;
	}
	return NULL;
}

/* obj's MiniDebugInfo as an ELF file, or NULL (counted when it is there but bad). */
static struct elf_file *by_mini(struct debug_files *df, const struct debug_object *obj)
{
	struct elf_file *mini = elf_debug__mini(obj->ef);

	if (!mini && errno != ENOENT)
		skip(df, SKIP_CORRUPT, obj->path);
	return mini;
}

/* obj's debug file from a debuginfod server (see debug_files__fetch), or NULL. */
static struct elf_file *by_debuginfod(struct debug_files *df, const struct debug_object *obj,
				      bool wait, bool *pending)
{
	enum fetch_state state;
	struct elf_file *dbg;
	const uint8_t *id;
	char *path;
	size_t len;
	int fd;

	*pending = false;
	if (!df->fetch || elf_file__build_id(obj->ef, &id, &len))
		return NULL;
	state = debuginfod_fetch__get(df->fetch, id, len, wait, &fd, &path);
	*pending = state == FETCH_PENDING;
	if (state != FETCH_READY)
		return NULL;
	dbg = accept_fd(df, obj, fd, path ? path : "from debuginfod");
	free(path);
	return dbg;
}

struct elf_file *debug_files__find(struct debug_files *df, const struct debug_object *obj,
				   enum debug_source *src, struct elf_file **alt)
{
	struct elf_file *dbg = NULL;

	*src = DEBUG_SOURCE_NONE;
	*alt = NULL;
	if (obj->root_fd >= 0 && (dbg = by_build_id(df, obj, alt)))
		*src = DEBUG_SOURCE_BUILD_ID;
	else if (obj->root_fd >= 0 && (dbg = by_link(df, obj, alt)))
		*src = DEBUG_SOURCE_LINK;
	else if ((dbg = by_mini(df, obj)))
		*src = DEBUG_SOURCE_MINI;
	return dbg;
}

struct elf_file *debug_files__fetch(struct debug_files *df, const struct debug_object *obj,
				    bool wait, bool *pending)
{
	return by_debuginfod(df, obj, wait, pending);
}
