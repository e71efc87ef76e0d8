// SPDX-License-Identifier: GPL-2.0
/* What -v says of the probe sites chosen in a process, and why. */
#include <string.h>
#include "lib/log.h"
#include "sites/allocator.h"
#include "sites/map_wrappers.h"

void allocator__log_sites(pid_t pid, const struct allocator *a)
{
	size_t i;

	log_info("PID %d: allocator %s (%s)", pid, a->objects[0].path, a->why);
	for (i = 0; i < a->func_cnt; i++) {
		const struct alloc_func *f = &a->funcs[i];
		const char *obj = strrchr(a->objects[f->object].path, '/');

		obj = obj ? obj + 1 : a->objects[f->object].path;
		if (f->alias_of)
			log_info("  %s:%s (%s) same address as %s, probed once", obj, f->name,
				 allocator__kind_name(f->kind), f->alias_of);
		else
			log_info("  %s:%s (%s%s) probe at +%llu: %s", obj, f->name,
				 allocator__kind_name(f->kind), f->leaf_free ? ", entry only" : "",
				 (unsigned long long)(f->offset - f->entry), f->site_why);
	}
	log_info("PID %d: probing %zu allocator functions in %s%s%s", pid, a->func_cnt,
		 a->objects[0].path, a->object_cnt > 1 ? " and C++ operators in " : "",
		 a->object_cnt > 1 ? a->objects[1].path : "");
}

void map_wrappers__log_sites(pid_t pid, const struct map_wrappers *w)
{
	size_t i;

	for (i = 0; i < w->func_cnt; i++) {
		const struct map_wrapper *f = &w->funcs[i];
		const char *obj = strrchr(w->objects[f->object].path, '/');

		log_info("  %s:%s (mmap family) probe at +%llu: %s",
			 obj ? obj + 1 : w->objects[f->object].path, f->name,
			 (unsigned long long)(f->offset - f->entry), f->why);
	}
	log_info("PID %d: following mmap, munmap, mremap and brk through %zu wrappers", pid,
		 w->func_cnt);
}
