/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The contract between memvigil's BPF programs and its user space: the
 * records that cross the ring buffer and the limits both sides agree on.
 * Every record begins with its type; fields are fixed-width, largest first.
 */
#ifndef MEMVIGIL_EVENTS_H
#define MEMVIGIL_EVENTS_H

#ifndef __VMLINUX_H__	/* BPF code gets the kernel's types from vmlinux.h */
#include <linux/types.h>
#endif

/* Deepest user stack captured per allocation, in frames. */
#define MV_MAX_STACK_DEPTH 64

/* Default ring buffer size in bytes (a power of two, multiple of the page size). */
#define MV_RINGBUF_BYTES (16u << 20)

/*
 * The consumer is woken once this many bytes wait in the ring buffer; below
 * that it drains on its own timer (every 100 ms) and before every report.
 */
#define MV_RINGBUF_WAKEUP_BYTES (MV_RINGBUF_BYTES / 16)

/* Threads that can be inside an allocator call at once, system-wide. */
#define MV_MAX_INFLIGHT_THREADS 16384

/* Processes that can be traced at once. */
#define MV_MAX_TRACED_PIDS 4096

enum mv_event_type {
	MV_EV_ALLOC = 1,	/* an allocation; with old_addr != 0 also frees old_addr */
	MV_EV_FREE = 2,		/* addr was freed */
	MV_EV_EXEC = 3,		/* pid replaced its image */
	MV_EV_EXIT = 4,		/* pid's last thread exited; exit_code as in wait(2) */
	MV_EV_FORK = 5,		/* traced addr (a pid) forked the new process pid; pid is
				 * already traced on the BPF side when the record is sent */
	/* 6..9 are reserved for more process lifecycle records */
};

/* Which allocator entry point made an allocation (the outermost one). */
enum mv_alloc_kind {
	MV_KIND_MALLOC = 0,
	MV_KIND_CALLOC,
	MV_KIND_REALLOC,
	MV_KIND_REALLOCARRAY,
	MV_KIND_POSIX_MEMALIGN,
	MV_KIND_MEMALIGN,
	MV_KIND_ALIGNED_ALLOC,
	MV_KIND_VALLOC,
	MV_KIND_PVALLOC,
	MV_KIND_FREE,
	MV_KIND_CNT,
};

/* Why an event could be lost; indexes the BPF counter map. */
enum mv_loss_reason {
	MV_LOSS_RINGBUF = 0,	/* ring buffer full */
	MV_LOSS_STACK,		/* user stack cut at MV_MAX_STACK_DEPTH (event kept) */
	MV_LOSS_INFLIGHT,	/* per-thread call state map full */
	MV_LOSS_CNT,
};

/*
 * Fixed part of every record (56 bytes). MV_EV_ALLOC records are followed by
 * stack_depth __u64 return addresses, innermost first, starting at the
 * allocator's caller.
 */
struct mv_event {
	__u32 type;		/* enum mv_event_type; always first */
	__u32 pid;		/* thread group id as the host sees it */
	__u32 tid;
	__u32 kind;		/* enum mv_alloc_kind (ALLOC, FREE) */
	__u32 exit_code;	/* EXIT: as in wait(2) */
	__u32 stack_depth;	/* ALLOC: frames that follow */
	__u64 ts_ns;		/* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 addr;		/* block allocated or freed; FORK: the parent's pid */
	__u64 size;		/* ALLOC: bytes requested */
	__u64 old_addr;		/* ALLOC by realloc: block it replaced, else 0 */
};

#define MV_EVENT_MAX_BYTES (sizeof(struct mv_event) + MV_MAX_STACK_DEPTH * sizeof(__u64))

#endif /* MEMVIGIL_EVENTS_H */
