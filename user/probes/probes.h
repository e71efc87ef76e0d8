/* SPDX-License-Identifier: GPL-2.0 */
/*
 * probes: memvigil's BPF objects in the kernel. Loads the skeleton, attaches
 * heap probes per traced process (never system-wide), and hands ring-buffer
 * records to a callback. probes__free detaches everything.
 */
#ifndef MV_PROBES_H
#define MV_PROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "memvigil/events.h"
#include "sites/allocator.h"
#include "sites/map_wrappers.h"
#include "probes/unwind_maps.h"

/* --mappings: how mmap, munmap, mremap and brk are followed. */
enum mv_mappings {
	MV_MAPPINGS_WRAPPERS,	/* uprobes in each traced process's wrappers (default) */
	MV_MAPPINGS_SYSCALLS,	/* the raw_syscalls tracepoints: every syscall on the host pays */
	MV_MAPPINGS_OFF,
};

struct probes;

typedef int (*probes_record_fn)(void *ctx, void *data, size_t size);

struct probes_opts {
	uint64_t sample_bytes;		/* sampling period in bytes, 0 = exact */
	uint32_t sample_max_live;	/* sampled blocks the kernel tracks at once */
	bool no_sessions;		/* never use uprobe sessions (tests the fallback) */
	uint32_t stack_depth;		/* frames per stack, 0 = MV_DEFAULT_STACK_DEPTH */
	enum mv_mappings mappings;	/* how the mmap family is followed */
	enum mv_unwind unwind;		/* how user stacks are walked */
	uint32_t unwind_rows;		/* unwind table rows; 0: UNWIND_ROWS_DEFAULT */
	uint64_t ringbuf_bytes;		/* ring buffer size, rounded up to a power of two
					 * within MV_RINGBUF_MIN/MAX_BYTES; 0: the default */
	/*
	 * Optional: pid's code changed under it (a walk met code its tables did
	 * not know: what it dlopen'ed), after its tables were read again.
	 */
	void (*on_code_changed)(void *ctx, pid_t pid);
	void *on_code_ctx;
};

/*
 * Load the BPF objects, attach the process lifecycle tracepoints and set up
 * the ring buffer feeding fn. NULL on failure, with a reason in err.
 */
struct probes *probes__open(const struct probes_opts *opts, probes_record_fn fn, void *ctx,
			    char *err, size_t err_len);
void probes__free(struct probes *pr);

/*
 * Attach the fork tracepoint: from now on a new process forked by a traced
 * one is traced on the BPF side at once and reported as MV_EV_FORK.
 * Returns 0 or a negative errno.
 */
int probes__follow_forks(struct probes *pr);
/* Kernel hooks, each attached at probes__open when the kernel allows it. */
enum probes_kernel_feature {
	PROBES_K_FAULTS = 1u << 0,	/* exceptions:page_fault_user/_kernel */
	PROBES_K_RECLAIM = 1u << 1,	/* vmscan direct and memcg reclaim begin/end */
	PROBES_K_MAPS = 1u << 2,	/* the mmap family: wrapper uprobes or raw_syscalls */
	PROBES_K_OOM = 1u << 3,		/* oom:mark_victim (+ signal_generate) */
	PROBES_K_TASK_ITER = 1u << 4,	/* task iterator: RSS, fault counters, memcg */
};
#define PROBES_K_FEATURE_CNT 5

/* Bits of enum probes_kernel_feature that are attached. */
uint32_t probes__kernel_features(const struct probes *pr);
/* Name of one feature bit ("faults", ...). */
const char *probes__kernel_feature_name(uint32_t bit);

typedef void (*probes_task_fn)(void *ctx, const struct mv_task_sample *s);
/* Run the task iterator: fn gets one record per thread of every traced process. */
int probes__sample_tasks(struct probes *pr, probes_task_fn fn, void *ctx);
/* pid's kernel counters; -ENOENT when none were counted yet. */
int probes__kstat(struct probes *pr, pid_t pid, struct mv_kstat *out);

/*
 * Run the mark_victim program once as if oom:mark_victim fired with
 * argument arg (BPF_PROG_TEST_RUN): lets a self-test reach the pid-only
 * path of older kernels on any kernel. 0 or a negative errno.
 */
int probes__test_mark_victim(struct probes *pr, uint64_t arg);

/*
 * Clear the allocator-call state of pid's threads: for a process attached
 * again after a detach, during which a thread may have left a call unseen.
 * 0 or a negative errno.
 */
int probes__reset_calls(struct probes *pr, pid_t pid);

/*
 * How many allocator calls the main thread of pid is inside, as the BPF
 * side's call state says; a negative errno (-ENOENT: none made yet). Lets
 * a self-test see that state.
 */
int probes__call_depth(struct probes *pr, pid_t pid);

/*
 * Follow pid's exec and exit, and give the stack walker its executable
 * mappings (unwind_maps.h). Returns 0 or a negative errno.
 */
int probes__trace_pid(struct probes *pr, pid_t pid);

/*
 * pid's code changed (an exec, the libraries its loader mapped): read its
 * executable mappings for the stack walker again (unwind_maps.h).
 */
void probes__code_changed(struct probes *pr, pid_t pid);

/*
 * Attach the heap probes of allocator a in pid. On failure nothing of this
 * pid stays attached; returns a negative errno with a reason in err.
 */
int probes__attach_heap(struct probes *pr, pid_t pid, const struct allocator *a,
			char *err, size_t err_len);

/*
 * Attach the probes of libmemvigil-sampler.so's probe functions (file
 * offsets in the object path, "/proc/self/fd/N") in pid, instead of an
 * allocator's: they report what the library in pid decides, for the session
 * probes__set_sampler_generation names. On failure nothing of this pid's
 * heap probes stays attached; returns a negative errno with a reason in err.
 */
int probes__attach_sampler(struct probes *pr, pid_t pid, const char *path,
			   uint64_t alloc_offset, uint64_t free_offset, char *err, size_t err_len);
/*
 * The sampler session of pid whose probe calls are reported (0: none, every
 * call dropped). Set before the library's mode. 0 or a negative errno.
 */
int probes__set_sampler_generation(struct probes *pr, pid_t pid, uint64_t generation);

/*
 * Attach the mmap-family probes of w in pid (--mappings=wrappers). On
 * failure none of them stays attached; returns a negative errno with a
 * reason in err.
 */
int probes__attach_maps(struct probes *pr, pid_t pid, const struct map_wrappers *w,
			char *err, size_t err_len);

/* How the mmap family is followed: "wrappers", "syscalls", or NULL (not at all). */
const char *probes__mappings_via(const struct probes *pr);

/*
 * Detach pid's uprobes (heap and mmap family, if any); its fork, exec and
 * exit are still followed.
 */
void probes__detach_heap(struct probes *pr, pid_t pid);
/*
 * Wait until the links of every process detached so far are destroyed (they
 * are, in the background): from then on none of their probes fires.
 */
void probes__wait_detached(struct probes *pr);

/*
 * Holding execs (bpf/proc.bpf.c): while on, a traced process that execs is
 * stopped (SIGSTOP) before its new image runs, and again when it reaches
 * the entry point probes__watch_entry watches; its MV_EV_EXEC and
 * MV_EV_ENTRY records say MV_PROC_HELD. A held process runs again only
 * through probes__release (or probes__release_all, which probes__free
 * calls). Off until turned on.
 */
void probes__hold_execs(struct probes *pr, bool on);
/* Whether pid is held: stopped at an exec or entry point and not released yet. */
bool probes__held(struct probes *pr, pid_t pid);
/* Let pid run (SIGCONT) if it is held; returns whether it was. */
bool probes__release(struct probes *pr, pid_t pid);
/* Hold no process from now on, and release every one held. */
void probes__release_all(struct probes *pr);

/*
 * Watch pid reach file offset offset of the object file path (the entry
 * point of the image it exec'd): one MV_EV_ENTRY record, after which
 * probes__unwatch_entry. Returns 0 or a negative errno.
 */
int probes__watch_entry(struct probes *pr, pid_t pid, const char *path, uint64_t offset);
/* Stop watching pid's entry point (nothing if not watched). */
void probes__unwatch_entry(struct probes *pr, pid_t pid);

/* Stop following pid and detach its heap probes (if any). */
void probes__detach_pid(struct probes *pr, pid_t pid);

/* Wait up to timeout_ms for records and consume them; negative errno on failure. */
int probes__poll(struct probes *pr, int timeout_ms);
/* Consume whatever is in the ring buffer without waiting. */
int probes__drain(struct probes *pr);
/* The ring buffer's epoll fd: readable when records wait (then probes__drain). */
int probes__ring_fd(const struct probes *pr);

/*
 * How returns of allocating calls are seen: "session" (uprobe sessions, the
 * return probe runs only for sampled calls) or "uretprobe".
 */
const char *probes__return_probe(const struct probes *pr);

/* How stacks were walked: tables, their objects, walks by why they ended. */
void probes__unwind_health(struct probes *pr, struct unwind_health *out);

/* Events lost so far, by enum mv_loss_reason, summed over CPUs. */
void probes__losses(struct probes *pr, uint64_t out[MV_LOSS_CNT]);

#endif
