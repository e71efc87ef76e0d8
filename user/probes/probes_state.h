/* SPDX-License-Identifier: GPL-2.0 */
/*
 * probes_state: what the probes module holds, shared by its files:
 * probes.c (load, ring buffer, losses), kernel_probes.c (the kernel's own
 * signals) and uprobe_attach.c (per-process uprobe links). Only probes/
 * includes it.
 */
#ifndef MV_PROBES_STATE_H
#define MV_PROBES_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "probes/link_reaper.h"
#include "probes/probes.h"

struct pid_links {
	pid_t pid;
	size_t cnt;
	int session_fd[MV_ALLOCATOR_MAX_OBJECTS];	/* uprobe session links, -1 if none */
	struct bpf_link *entry;		/* probes__watch_entry's uprobe, NULL if none */
	/* two per site at most */
	struct bpf_link *links[2 * (MV_ALLOCATOR_MAX_FUNCS + MAP_WRAPPERS_MAX_FUNCS)];
};

/* Threads destroying uprobe links at once (each waits for a grace period). */
#define REAPER_THREADS 64

struct probes {
	struct link_reaper *reaper;
	struct memvigil_bpf *skel;
	bool multi;			/* uprobe_multi links (kernel >= 6.6) */
	bool session;			/* uprobe sessions for allocating functions */
	struct ring_buffer *rb;
	struct pid_links *pids;
	size_t pid_cnt, pids_cap;
	uint32_t kfeatures;		/* enum probes_kernel_feature */
	enum mv_mappings mappings;
	struct bpf_link *klinks[16];
	size_t klink_cnt;
	struct bpf_link *task_iter;
	struct unwind_maps *unwind;	/* NULL: --unwind=fp */
	void (*on_code_changed)(void *ctx, pid_t pid);	/* probes_opts' */
	void *on_code_ctx;
};

/* Attach the kernel-signal programs this kernel allows (kernel_probes.c). */
void probes__attach_kernel(struct probes *pr);

/* Destroy every link of pl (uprobe_attach.c). */
void probes__destroy_links(struct probes *pr, struct pid_links *pl);

#endif
