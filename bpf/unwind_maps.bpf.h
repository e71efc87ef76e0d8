/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The maps of the table-driven stack walk (unwind.bpf.h, which explains
 * them), apart from the walk: an object that only updates them (the exec
 * handler) includes this alone. Define UNWIND_MAPS_EXTERN where another
 * object, linked first, defines them.
 *
 *   unwind_stale    HASH tgid -> 1: a walk met a pc in none of the process's
 *                   mappings (a library loaded since its list was written),
 *                   or the process replaced its image. User space reads the
 *                   process's mappings again and clears the entry.
 */
#ifndef MV_UNWIND_MAPS_BPF_H
#define MV_UNWIND_MAPS_BPF_H

#include "memvigil/unwind.h"

#ifdef UNWIND_MAPS_EXTERN
#define UNWIND_MAP extern
#else
#define UNWIND_MAP
#endif

UNWIND_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, UNWIND_ROWS_DEFAULT);
	__type(key, __u32);
	__type(value, struct unwind_row);
} unwind_rows SEC(".maps");

UNWIND_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, UNWIND_MAX_OBJECTS);
	__type(key, __u32);
	__type(value, struct unwind_object);
} unwind_objects SEC(".maps");

UNWIND_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, UNWIND_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct unwind_proc);
} unwind_procs SEC(".maps");

UNWIND_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, UNWIND_STAT_CNT);
	__type(key, __u32);
	__type(value, __u64);
} unwind_stats SEC(".maps");

UNWIND_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, UNWIND_MAX_PROCS);
	__type(key, __u32);
	__type(value, __u8);
} unwind_stale SEC(".maps");

/* The process's mappings are out of date: walk by frame pointers until user space rewrites them. */
static __always_inline void unwind_proc_stale(__u32 tgid, bool drop)
{
	__u8 one = 1;

	if (drop)
		bpf_map_delete_elem(&unwind_procs, &tgid);
	bpf_map_update_elem(&unwind_stale, &tgid, &one, BPF_ANY);
}

#endif /* MV_UNWIND_MAPS_BPF_H */
