/* SPDX-License-Identifier: GPL-2.0 */
/*
 * model: what memvigil knows of each traced process's heap: its live set,
 * per-site aggregates (a site is one call stack through one allocator
 * function) and totals. Fed by decoded events; pure, no I/O.
 *
 * In sampled mode (model__set_sampling) events are samples: the integer
 * counts below count samples, and the est_ fields hold the unbiased
 * estimates of the true figures (sampling.h). When exact, est_ fields equal
 * the counts.
 */
#ifndef MV_MODEL_H
#define MV_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "model/liveset.h"
#include "model/proc_kernel.h"
#include "model/stacks.h"

struct site {
	uint32_t stack_id;
	uint32_t kind;		/* enum mv_alloc_kind */
	uint64_t total_allocs;
	uint64_t total_bytes;
	uint64_t outstanding_allocs;
	uint64_t outstanding_bytes;
	double est_total_allocs;
	double est_total_bytes;
};

struct heap_totals {
	uint64_t total_allocs;
	uint64_t total_frees;		/* matched frees */
	uint64_t total_bytes;
	uint64_t outstanding_allocs;
	uint64_t outstanding_bytes;
	uint64_t peak_outstanding_bytes;
	uint64_t unmatched_frees;	/* frees of blocks allocated before attach */
	double est_total_allocs;
	double est_total_frees;
	double est_total_bytes;
	double est_outstanding_allocs;
	double est_outstanding_bytes;
	double est_outstanding_bytes_var;	/* variance of est_outstanding_bytes */
	double est_peak_outstanding_bytes;
};

struct proc {
	pid_t pid;
	pid_t key;			/* what model__find and per-process state (symbols,
					 * metrics) know it by: pid, or once a later
					 * process reuses pid, a negative key of its own */
	pid_t ns_pid;			/* pid in its own PID namespace, 0 if the same */
	pid_t parent_pid;		/* traced process it was forked from, 0 if none */
	char comm[16];
	bool exited;
	uint64_t exit_seq;		/* order of its exit among the model's (1 = first),
					 * 0 while running */
	bool detached;			/* left the traced cgroup while still running */
	int exit_status;		/* as from wait(2), valid when exited */
	char *cgroup;			/* traced cgroup it is in (cgroup mode), as last
					 * seen: now, or when it exited or left; or NULL */
	uint32_t execs;			/* images replaced while traced */
	uint32_t traced_ms;		/* when tracing of it began (ms since tracing
					 * began): its heap and mappings were 0 then */
	char *exe;			/* executable path, NULL if unknown */
	char *alloc_lib;		/* allocator library probed, NULL if none */
	uint32_t alloc_kinds;		/* bit per enum mv_alloc_kind probed */
	bool via_sampler;		/* heap seen through libmemvigil-sampler.so's probes
					 * (alloc_lib is the library), else the allocator's
					 * uprobes */
	struct heap_totals heap;
	uint64_t interval_allocs;	/* since model__start_interval */
	uint64_t interval_frees;
	double interval_est_allocs;
	double interval_est_frees;
	uint64_t sample_period;		/* bytes, 0 = exact (the model's) */
	struct liveset *live;
	struct site *sites;
	uint32_t site_cnt;
	size_t sites_cap;
	uint32_t *site_index;		/* open addressing: site + 1, 0 = empty */
	uint32_t site_index_cap;
	struct proc_kernel kernel;	/* the kernel's view (bpf/'s kernel signals, /proc, cgroups) */
};

/* Most outstanding-bytes stacks kept with an OOM kill of a traced process. */
#define MV_OOM_TOP_STACKS 5

struct oom_stack {
	uint32_t stack_id;
	uint32_t kind;			/* enum mv_alloc_kind */
	uint64_t bytes;
	uint64_t allocs;
};

/* An OOM kill that concerns the traced processes. */
struct oom_kill {
	struct mv_oom_event ev;		/* as the kernel reported it */
	uint32_t ms;			/* since tracing began */
	bool victim_traced;		/* the victim is a traced process */
	pid_t cgroup_peer;		/* else: a traced process in the victim's memcg */
	uint32_t stack_cnt;		/* victim_traced: its top heap stacks at the kill */
	struct oom_stack stacks[MV_OOM_TOP_STACKS];
	uint64_t heap_outstanding_bytes;
};

/* Memory pressure of the whole system (/proc/pressure/memory). */
struct system_psi {
	int state;			/* 0 not read yet, 1 read, -ENOENT unavailable */
	struct psi psi;
};

/* Exited processes dropped from the model (model__drop) and what they held. */
struct dropped_procs {
	uint64_t cnt;
	struct heap_totals heap;	/* sums of their heaps; peaks are not summed (0) */
};

struct model {
	uint64_t t0_ns;			/* CLOCK_MONOTONIC when tracing began */
	uint64_t sample_period;		/* bytes between samples on average, 0 = exact */
	uint64_t events;
	struct stacks *stacks;
	struct proc **procs;
	size_t proc_cnt, procs_cap;
	pid_t retired_cnt;		/* keys handed out by model__retire */
	uint64_t exit_cnt;		/* exits seen (the last exit_seq handed out) */
	struct dropped_procs dropped;
	struct oom_kill *ooms;
	size_t oom_cnt, ooms_cap;
	struct system_psi psi;
	uint64_t page_bytes;
};

struct model *model__new(uint64_t t0_ns);
void model__free(struct model *m);

/* Events are byte samples with this period (0 = exact); call before any event. */
void model__set_sampling(struct model *m, uint64_t period_bytes);

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
/* p is in cgroup now (moved within the traced tree; copied). 0 or -ENOMEM. */
int model__set_cgroup(struct proc *p, const char *cgroup);
/* The process known by key (its pid while no later process reuses it), else NULL. */
struct proc *model__find(const struct model *m, pid_t key);
/*
 * A new process reuses pid: the process known by pid keeps its report but
 * moves to a negative key of its own, so pid names the new one from now on.
 * Returns that key, or 0 when no process is known by pid.
 */
pid_t model__retire(struct model *m, pid_t pid);

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
/* p is known to have exited (status as model__exit's, -1: unknown), if not already. */
void model__set_exited(struct model *m, struct proc *p, int status);

/*
 * The exited process to drop first when more than keep exited processes are
 * kept: returns its index in m->procs, or -1 when keep are not exceeded.
 * Running processes are never chosen. The least worth keeping goes first:
 * one that held nothing at its exit, then one that exited holding heap
 * (a leak at exit), then one the OOM killer ended; within each, the one
 * that exited first. Pure.
 */
ssize_t model__evict_pick(const struct model *m, uint32_t keep);
/* Exited processes in m (retired ones included). */
size_t model__exited_cnt(const struct model *m);
/*
 * Forget the process at index: its heap is added to m->dropped and the
 * processes after it move down one place (their order is kept).
 */
void model__drop(struct model *m, size_t index);
/* Start a new reporting interval (resets the per-interval counters). */
void model__start_interval(struct model *m);

/* An mmap-family record of a traced process, with the stack of an mmap. */
int model__map_event(struct model *m, const struct mv_map_event *e, const uint64_t *frames);
/* A periodic reading of pid's kernel state. */
void model__kernel_sample(struct model *m, pid_t pid, const struct kernel_reading *s,
			  uint64_t ts_ns);
/*
 * An OOM kill. Kept (and returned) when the victim is traced or shares the
 * memory cgroup of a traced process; NULL when it concerns none (or ENOMEM).
 */
const struct oom_kill *model__oom(struct model *m, const struct mv_oom_event *e);

/* Add the figures of h to sum (peaks are not sums: sum's are left alone). */
void model__heap_add(struct heap_totals *sum, const struct heap_totals *h);

/* ms since tracing began for a CLOCK_MONOTONIC time. */
uint32_t model__ms(const struct model *m, uint64_t ts_ns);

#endif
