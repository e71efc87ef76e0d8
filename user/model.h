/* SPDX-License-Identifier: GPL-2.0 */
/*
 * model: what memvigil knows of each traced process's heap: its live set,
 * per-site aggregates (a site is one call stack through one allocator
 * function) and totals. Fed by decoded events; pure, no I/O.
 */
#ifndef MV_MODEL_H
#define MV_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "liveset.h"
#include "stacks.h"

struct site {
	uint32_t stack_id;
	uint32_t kind;		/* enum mv_alloc_kind */
	uint64_t total_allocs;
	uint64_t total_bytes;
	uint64_t outstanding_allocs;
	uint64_t outstanding_bytes;
};

struct heap_totals {
	uint64_t total_allocs;
	uint64_t total_frees;		/* matched frees */
	uint64_t total_bytes;
	uint64_t outstanding_allocs;
	uint64_t outstanding_bytes;
	uint64_t peak_outstanding_bytes;
	uint64_t unmatched_frees;	/* frees of blocks allocated before attach */
};

struct proc {
	pid_t pid;
	pid_t ns_pid;			/* pid in its own PID namespace, 0 if the same */
	pid_t parent_pid;		/* traced process it was forked from, 0 if none */
	char comm[16];
	bool exited;
	bool detached;			/* left the traced cgroup while still running */
	int exit_status;		/* as from wait(2), valid when exited */
	char *cgroup;			/* cgroup it was traced in (cgroup mode), or NULL */
	uint32_t execs;			/* images replaced while traced */
	char *exe;			/* executable path, NULL if unknown */
	char *alloc_lib;		/* allocator library probed, NULL if none */
	uint32_t alloc_kinds;		/* bit per enum mv_alloc_kind probed */
	struct heap_totals heap;
	uint64_t interval_allocs;	/* since model__start_interval */
	uint64_t interval_frees;
	struct liveset *live;
	struct site *sites;
	uint32_t site_cnt, sites_cap;
	uint32_t *site_index;		/* open addressing: site + 1, 0 = empty */
	uint32_t site_index_cap;
};

struct model {
	uint64_t t0_ns;			/* CLOCK_MONOTONIC when tracing began */
	uint64_t events;
	struct stacks *stacks;
	struct proc **procs;
	size_t proc_cnt, procs_cap;
};

struct model *model__new(uint64_t t0_ns);
void model__free(struct model *m);

/* The process pid, created on first use; NULL on ENOMEM. */
struct proc *model__proc(struct model *m, pid_t pid);
/* Record what is known of p's image; strings are copied. 0 or -ENOMEM. */
int model__set_image(struct proc *p, const char *comm, const char *exe,
		     const char *alloc_lib, uint32_t alloc_kinds);
/*
 * Record where p came from: its pid in its own namespace (0 if the same),
 * the traced parent it was forked from (0 if none) and the cgroup it was
 * traced in (NULL if not tracing a cgroup; copied). 0 or -ENOMEM.
 */
int model__set_origin(struct proc *p, pid_t ns_pid, pid_t parent_pid, const char *cgroup);
/* The process pid if known, else NULL. */
struct proc *model__find(const struct model *m, pid_t pid);

/*
 * An allocation of size bytes at addr by allocator kind with the given user
 * stack. old_addr != 0 (realloc) frees old_addr first. Returns 0 or -ENOMEM.
 */
int model__alloc(struct model *m, pid_t pid, uint64_t ts_ns, uint64_t addr,
		 uint64_t size, uint64_t old_addr, uint32_t kind,
		 const uint64_t *frames, uint32_t depth);
/* A free of addr; a block never seen counts as an unmatched free. */
void model__free_block(struct model *m, pid_t pid, uint64_t addr);
/* pid replaced its image: its live set and sites are dropped. */
void model__exec(struct model *m, pid_t pid);
/* pid exited with a wait(2)-style status; its live set is kept. */
void model__exit(struct model *m, pid_t pid, int status);
/* Start a new reporting interval (resets the per-interval counters). */
void model__start_interval(struct model *m);

/* ms since tracing began for a CLOCK_MONOTONIC time. */
uint32_t model__ms(const struct model *m, uint64_t ts_ns);

#endif
