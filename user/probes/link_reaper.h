/* SPDX-License-Identifier: GPL-2.0 */
/*
 * link_reaper: destroys BPF links on background threads. Destroying a
 * uprobe link waits for an RCU grace period (about 40 ms on the development
 * VM), so detaching the probes of one process costs over 100 ms and of 100
 * processes over 10 s if done in turn on the event loop. Here each group of
 * links (one process's) is destroyed in order by one thread, and groups are
 * destroyed in parallel, their grace periods overlapping.
 */
#ifndef MV_LINK_REAPER_H
#define MV_LINK_REAPER_H

#include <stddef.h>

struct bpf_link;
struct link_reaper;

/* A reaper with up to threads workers; NULL on failure (errno set). */
struct link_reaper *link_reaper__new(unsigned int threads);

/*
 * Hand over cnt links, to be destroyed in their order. The reaper owns them
 * from now on; if it cannot queue them it destroys them at once.
 */
void link_reaper__push(struct link_reaper *r, struct bpf_link *const *links, size_t cnt);

/* Wait until every link handed over so far is destroyed (NULL is fine). */
void link_reaper__wait(struct link_reaper *r);

/* Wait until every link handed over is destroyed, then free r (NULL is fine). */
void link_reaper__free(struct link_reaper *r);

#endif
