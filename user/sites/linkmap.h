/* SPDX-License-Identifier: GPL-2.0 */
/*
 * linkmap: the dynamic loader's list of a process's loaded objects, in its
 * order (the executable, LD_PRELOAD, DT_NEEDED breadth-first, then what was
 * dlopen'ed), read through /proc/PID/mem from the executable's DT_DEBUG
 * r_debug. Each object is given by the address of its dynamic section,
 * which lies inside one of its mappings.
 */
#ifndef MV_LINKMAP_H
#define MV_LINKMAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LINKMAP_MAX_OBJECTS 1024

/*
 * Fill dyn_addrs with the l_ld of each link_map entry in order; *cnt gets
 * how many. Returns 0, or a negative errno (-ENOENT: no dynamic section or
 * no r_debug yet, as in a static program).
 */
int linkmap__read(pid_t pid, uint64_t *dyn_addrs, size_t max, size_t *cnt);

#endif
