/* SPDX-License-Identifier: GPL-2.0 */
/*
 * debug_paths: where a separate debug file may be, as names inside the traced
 * process's root: by GNU build-id under /usr/lib/debug/.build-id/, and by the
 * name .gnu_debuglink gives (next to the object, in its .debug/ folder, under
 * /usr/lib/debug/ plus the object's folder), the places GDB and elfutils look.
 * Pure string rules; opening is debug_files' job.
 */
#ifndef MV_DEBUG_PATHS_H
#define MV_DEBUG_PATHS_H

#include <stddef.h>
#include <stdint.h>

#define DEBUG_PATHS_ROOT "/usr/lib/debug"
/* How many places a debuglink name is looked for (debug_paths__link's i). */
#define DEBUG_PATHS_LINK_CNT 3

/*
 * "/usr/lib/debug/.build-id/ab/cdef….debug" for a build-id of len bytes into
 * buf. 0, -EINVAL (len under 2 or over 64), or -ENAMETOOLONG (buf too small).
 */
int debug_paths__build_id(const uint8_t *id, size_t len, char *buf, size_t size);

/*
 * Place i (0 to DEBUG_PATHS_LINK_CNT - 1) of the debug file name for the object
 * obj_path (absolute, " (deleted)" ignored): DIR/name, DIR/.debug/name,
 * /usr/lib/debug/DIR/name. 0; -EINVAL when name is empty, ".", ".." or holds a
 * '/', or obj_path is not absolute; -ENOENT when i is past the last place or
 * the place is obj_path itself; -ENAMETOOLONG.
 */
int debug_paths__link(const char *obj_path, const char *name, unsigned int i, char *buf,
		      size_t size);

/*
 * The place of the file a debug file's .gnu_debugaltlink names (dwz): name
 * itself when absolute, else name in the folder of dbg_path (the debug
 * file's absolute path). 0, -EINVAL (empty name, dbg_path not absolute), or
 * -ENAMETOOLONG.
 */
int debug_paths__alt(const char *dbg_path, const char *name, char *buf, size_t size);

#endif
