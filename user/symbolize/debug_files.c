// SPDX-License-Identifier: GPL-2.0
#include <dlfcn.h>
#include <elfutils/debuginfod.h>
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

#define DEBUGINFOD_DEFAULT_TIMEOUT "5"
#define DEBUGINFOD_LIB "libdebuginfod.so.1"

/*
 * libdebuginfod, loaded only when DEBUGINFOD_URLS asks for it: it brings
 * libcurl and its TLS and Kerberos libraries, which memvigil does not load
 * otherwise (nor need installed).
 */
struct debuginfod_api {
	debuginfod_client *(*begin)(void);
	int (*find_debuginfo)(debuginfod_client *c, const unsigned char *id, int len,
			      char **path);
	void (*end)(debuginfod_client *c);
};

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
	debuginfod_client *dfd;		/* NULL: debuginfod is off */
	struct debuginfod_api api;	/* set while dfd is */
	void *lib;			/* libdebuginfod's handle, or NULL */
	uint8_t **asked;		/* build-ids asked of debuginfod, length-prefixed */
	size_t asked_cnt, asked_cap;
};

static const char *const skip_words[SKIP_KINDS] = {
	[SKIP_BUILD_ID] = "its build ID is not the object's",
	[SKIP_CRC] = "its CRC is not the one .gnu_debuglink gives",
	[SKIP_CORRUPT] = "not a readable ELF file",
};

/* Load libdebuginfod's three entry points into df->api; 0, or -1 (said once). */
static int debuginfod_load(struct debug_files *df)
{
	/*
	 * Never unloaded: libcurl, which it starts, keeps global state that
	 * would otherwise be left behind as unreachable blocks.
	 */
	df->lib = dlopen(DEBUGINFOD_LIB, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (df->lib) {
		df->api.begin = (debuginfod_client *(*)(void))dlsym(df->lib, "debuginfod_begin");
		df->api.find_debuginfo = (int (*)(debuginfod_client *, const unsigned char *, int,
						  char **))dlsym(df->lib,
								 "debuginfod_find_debuginfo");
		df->api.end = (void (*)(debuginfod_client *))dlsym(df->lib, "debuginfod_end");
		if (df->api.begin && df->api.find_debuginfo && df->api.end)
			return 0;
		dlclose(df->lib);
		df->lib = NULL;
	}
	log_warn("debuginfod: DEBUGINFOD_URLS is set but %s cannot be loaded; going on without "
		 "it (apt-get install libdebuginfod1)", DEBUGINFOD_LIB);
	return -1;
}

struct debug_files *debug_files__new(void)
{
	struct debug_files *df = calloc(1, sizeof(*df));
	const char *urls = getenv("DEBUGINFOD_URLS");

	if (!df || !urls || !urls[0])
		return df;
	/* libdebuginfod waits 90 s for a server by default; a report should not */
	setenv("DEBUGINFOD_TIMEOUT", DEBUGINFOD_DEFAULT_TIMEOUT, 0);
	if (debuginfod_load(df))
		return df;
	df->dfd = df->api.begin();
	if (!df->dfd)
		log_warn("debuginfod: cannot start its client; going on without it");
	return df;
}

void debug_files__free(struct debug_files *df)
{
	size_t i;

	if (!df)
		return;
	if (df->dfd)
		df->api.end(df->dfd);
	if (df->lib)
		dlclose(df->lib);
	for (i = 0; i < df->asked_cnt; i++)
		free(df->asked[i]);
	free(df->asked);
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

/* The build-id debug file of obj in its root, or NULL. */
static struct elf_file *by_build_id(struct debug_files *df, const struct debug_object *obj)
{
	char path[PATH_MAX];
	const uint8_t *id;
	size_t len;
	int fd;

	if (elf_file__build_id(obj->ef, &id, &len) ||
	    debug_paths__build_id(id, len, path, sizeof(path)))
		return NULL;
	fd = mapped_file__open_path(obj->root_fd, path);
	return fd < 0 ? NULL : accept_fd(df, obj, fd, path);
}

/* The file .gnu_debuglink names for obj, in its first place that has one; or NULL. */
static struct elf_file *by_link(struct debug_files *df, const struct debug_object *obj)
{
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
		return accept_fd(df, obj, fd, path);
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

/* Whether id was asked of debuginfod before; if not, remember it. */
static bool asked_before(struct debug_files *df, const uint8_t *id, size_t len)
{
	uint8_t **grown, *copy;
	size_t i;

	for (i = 0; i < df->asked_cnt; i++)
		if (df->asked[i][0] == len && !memcmp(df->asked[i] + 1, id, len))
			return true;
	grown = grow__array(df->asked, &df->asked_cap, df->asked_cnt + 1, sizeof(*grown), 16);
	copy = malloc(len + 1);
	if (!grown || !copy) {
		free(copy);
		return true;	/* no memory to remember it: do not ask */
	}
	df->asked = grown;
	copy[0] = (uint8_t)len;
	memcpy(copy + 1, id, len);
	df->asked[df->asked_cnt++] = copy;
	return false;
}

/* obj's debug file from a debuginfod server, or NULL; a failure turns debuginfod off. */
static struct elf_file *by_debuginfod(struct debug_files *df, const struct debug_object *obj)
{
	struct elf_file *dbg;
	const uint8_t *id;
	char *path = NULL;
	size_t len;
	int fd;

	if (!df->dfd || elf_file__build_id(obj->ef, &id, &len) || len > 64 ||
	    asked_before(df, id, len))
		return NULL;
	fd = df->api.find_debuginfo(df->dfd, id, (int)len, &path);
	if (fd < 0) {
		if (fd != -ENOENT) {
			log_warn("debuginfod: no answer from DEBUGINFOD_URLS (%s); going on "
				 "without it: check the URLs or unset DEBUGINFOD_URLS",
				 strerror(-fd));
			df->api.end(df->dfd);
			df->dfd = NULL;
		}
		return NULL;
	}
	dbg = accept_fd(df, obj, fd, path ? path : "from debuginfod");

	free(path);
	return dbg;
}

struct elf_file *debug_files__find(struct debug_files *df, const struct debug_object *obj,
				   enum debug_source *src)
{
	struct elf_file *dbg = NULL;

	*src = DEBUG_SOURCE_NONE;
	if (obj->root_fd >= 0 && (dbg = by_build_id(df, obj)))
		*src = DEBUG_SOURCE_BUILD_ID;
	else if (obj->root_fd >= 0 && (dbg = by_link(df, obj)))
		*src = DEBUG_SOURCE_LINK;
	else if ((dbg = by_mini(df, obj)))
		*src = DEBUG_SOURCE_MINI;
	return dbg;
}

struct elf_file *debug_files__fetch(struct debug_files *df, const struct debug_object *obj)
{
	return by_debuginfod(df, obj);
}
