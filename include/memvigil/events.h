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

/*
 * Deepest user stack a record can carry, in frames; --stack-depth chooses
 * how many are captured (MV_DEFAULT_STACK_DEPTH unless given).
 */
#define MV_MAX_STACK_DEPTH 128
#define MV_DEFAULT_STACK_DEPTH 64

/*
 * Default ring buffer size in bytes (a power of two, multiple of the page
 * size); --ring-buffer chooses another, from the MIN to the MAX.
 */
#define MV_RINGBUF_BYTES (16u << 20)
#define MV_RINGBUF_MIN_BYTES (4u << 10)
#define MV_RINGBUF_MAX_BYTES (1u << 30)

/*
 * The consumer is woken once a sixteenth of the ring buffer waits in it;
 * below that it drains on its own timer (every 100 ms) and before every report.
 */
#define MV_RINGBUF_WAKEUP_DIVISOR 16
#define MV_RINGBUF_WAKEUP_BYTES (MV_RINGBUF_BYTES / MV_RINGBUF_WAKEUP_DIVISOR)

/* Threads that can be inside a traced syscall or reclaim at once, system-wide. */
#define MV_MAX_INFLIGHT_THREADS 16384

/* Processes that can be traced at once. */
#define MV_MAX_TRACED_PIDS 4096

enum mv_event_type {
	MV_EV_ALLOC = 1,	/* an allocation; with old_addr != 0 also frees old_addr */
	MV_EV_FREE = 2,		/* addr was freed; the record is struct mv_free_event */
	MV_EV_EXEC = 3,		/* pid replaced its image; struct mv_exec_image follows */
	MV_EV_EXIT = 4,		/* pid's last thread exited; exit_code as in wait(2) */
	MV_EV_FORK = 5,		/* traced addr (a pid) forked the new process pid; pid is
				 * already traced on the BPF side when the record is sent */
	MV_EV_ENTRY = 6,	/* pid reached addr, the entry point of the image it
				 * exec'd (a one-shot uprobe user space set there) */
	/* 7..9 are reserved for more process lifecycle records */
	/* Kernel signals (bpf/mappings.bpf.c, oom.bpf.c); records are struct mv_map_event ... */
	MV_EV_MMAP = 10,	/* mmap succeeded: addr, len, flags; a stack follows */
	MV_EV_MUNMAP = 11,	/* munmap succeeded: addr, len */
	MV_EV_MREMAP = 12,	/* mremap succeeded: old_addr, old_len -> addr, len */
	MV_EV_BRK = 13,		/* brk moved: addr = new break, old_addr = start of the heap */
	MV_EV_OOM_KILL = 14,	/* struct mv_oom_event: the OOM killer chose a victim */
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
	MV_KIND_OPERATOR_NEW,		/* C++ operator new, all variants */
	MV_KIND_OPERATOR_NEW_ARRAY,	/* operator new[] */
	MV_KIND_OPERATOR_DELETE,	/* operator delete (sized, aligned, nothrow) */
	MV_KIND_OPERATOR_DELETE_ARRAY,	/* operator delete[] */
	MV_KIND_MALLOCX,		/* jemalloc */
	MV_KIND_RALLOCX,
	MV_KIND_DALLOCX,
	MV_KIND_SDALLOCX,
	MV_KIND_FREE_SIZED,		/* free_sized, tc_free_sized, mi_free_size, ... */
	MV_KIND_ZALLOC,			/* mimalloc: zeroed malloc */
	MV_KIND_MALLOC_ALIGNED,		/* mimalloc: malloc(size, alignment) */
	MV_KIND_REALLOCF,		/* realloc that frees the block when it fails */
	MV_KIND_CNT,
};

/*
 * How an allocator function's arguments and result are read. The attach
 * cookie of a heap probe is kind | layout << MV_COOKIE_LAYOUT_SHIFT.
 */
enum mv_arg_layout {
	MV_ARGS_SIZE = 0,		/* (size): malloc, valloc, operator new, mallocx */
	MV_ARGS_COUNT_SIZE,		/* (count, size): calloc */
	MV_ARGS_PTR_SIZE,		/* (ptr, size) -> ptr: realloc, rallocx */
	MV_ARGS_PTR_COUNT_SIZE,		/* (ptr, count, size) -> ptr: reallocarray */
	MV_ARGS_OUT_ALIGN_SIZE,		/* (void **out, align, size) -> 0: posix_memalign */
	MV_ARGS_ALIGN_SIZE,		/* (align, size): memalign, aligned_alloc */
	MV_ARGS_PTR_SIZE_FREES,		/* like PTR_SIZE, and frees ptr when it fails */
	MV_ARGS_FREE,			/* (ptr, ...): a free that may call another probed free */
	MV_ARGS_CNT,
};

#define MV_COOKIE_LAYOUT_SHIFT 16
#define MV_COOKIE_KIND_MASK 0xffffu

/* Why an event could be lost; indexes the BPF counter map. */
enum mv_loss_reason {
	MV_LOSS_RINGBUF = 0,	/* ring buffer full */
	MV_LOSS_STACK,		/* no user stack could be taken (event kept) */
	MV_LOSS_INFLIGHT,	/* a thread's call state could not be created (no memory) */
	MV_LOSS_KSTATS,		/* per-process kernel counter map full (faults, reclaim) */
	MV_LOSS_SYSCALL,	/* per-thread syscall state map full (an mmap-family call missed) */
	MV_LOSS_SAMPLED_FULL,	/* sampled mode: table of live sampled blocks full, sample dropped */
	MV_LOSS_TRUNCATED,	/* a stack cut short (depth limit, no unwind rule, unreadable
				 * stack, broken frame chain): event kept, stack marked */
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
	__u32 kind;		/* ALLOC: enum mv_alloc_kind; EXEC, ENTRY: MV_PROC_* flags */
	__u32 exit_code;	/* EXIT: as in wait(2); ALLOC: MV_STACK_* flags */
	__u32 stack_depth;	/* ALLOC: frames that follow */
	__u64 ts_ns;		/* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 addr;		/* block allocated or freed; FORK: the parent's pid */
	__u64 size;		/* ALLOC: bytes requested */
	__u64 old_addr;		/* ALLOC by realloc: block it replaced, else 0 */
};

/*
 * MV_EV_FREE (16 bytes): the most frequent record, so it carries only what
 * the live set needs to drop a block. Frees are not timed.
 */
struct mv_free_event {
	__u32 type;		/* MV_EV_FREE; always first */
	__u32 pid;
	__u64 addr;
};

/*
 * struct mv_event.kind of MV_EV_EXEC and MV_EV_ENTRY: the BPF side stopped
 * the process (SIGSTOP) before sending the record and listed it in the
 * held_pids map; it stays stopped until user space releases it (SIGCONT).
 */
#define MV_PROC_HELD (1u << 0)

/* Longest executable path an MV_EV_EXEC record carries (with its NUL). */
#define MV_EXEC_FILENAME_LEN 256

/*
 * Follows an MV_EV_EXEC record: the mapping of the new image's code, as the
 * kernel made it during the exec, so that a process that exits before user
 * space reads its mappings still symbolizes.
 */
struct mv_exec_image {
	__u64 start;		/* the executable's code mapping (holding start_code) */
	__u64 end;
	__u64 file_offset;
	__u64 ino;		/* 0: no such mapping found */
	__u32 dev_major;
	__u32 dev_minor;
	char filename[MV_EXEC_FILENAME_LEN];	/* as passed to execve */
};

/* struct mv_event.exit_code of MV_EV_ALLOC */
#define MV_STACK_TRUNCATED (1u << 0)	/* the stack was cut short (MV_LOSS_TRUNCATED) */

#define MV_EVENT_MAX_BYTES (sizeof(struct mv_event) + MV_MAX_STACK_DEPTH * sizeof(__u64))

/* struct mv_map_event.flags */
#define MV_MAP_FILE		(1u << 0)	/* backed by a file (else anonymous) */
#define MV_MAP_SHARED		(1u << 1)	/* MAP_SHARED */
#define MV_MAP_ALLOCATOR	(1u << 2)	/* made inside a traced allocator call */
#define MV_MAP_STACK_TRUNCATED	(1u << 3)	/* MMAP: its stack was cut short */

/*
 * MV_EV_MMAP, MV_EV_MUNMAP, MV_EV_MREMAP, MV_EV_BRK (64 bytes). MMAP records
 * are followed by stack_depth __u64 return addresses, innermost first.
 */
struct mv_map_event {
	__u32 type;		/* enum mv_event_type; always first */
	__u32 pid;
	__u32 tid;
	__u32 flags;		/* MV_MAP_*; MREMAP: those of the old range are kept */
	__u32 stack_depth;	/* MMAP: frames that follow */
	__u32 prot;		/* MMAP: PROT_* */
	__u64 ts_ns;
	__u64 addr;		/* MMAP, MUNMAP: start; MREMAP: new start; BRK: new break */
	__u64 len;		/* bytes, rounded up to whole pages */
	__u64 old_addr;		/* MREMAP: old start; BRK: start of the brk heap */
	__u64 old_len;		/* MREMAP: old length */
};

#define MV_MAP_EVENT_MAX_BYTES (sizeof(struct mv_map_event) + MV_MAX_STACK_DEPTH * sizeof(__u64))

/* Resident set counters, indexed like the kernel's (MM_FILEPAGES ...). */
enum mv_rss_member {
	MV_RSS_FILE = 0,
	MV_RSS_ANON,
	MV_RSS_SWAP,
	MV_RSS_SHMEM,
	MV_RSS_CNT,
};

/* A memory cgroup as the kernel sees it, read with CO-RE. */
struct mv_memcg {
	__u64 id;		/* inode number of its cgroup directory; 0 = unknown */
	__u64 usage_pages;	/* page_counter usage */
	__u64 limit_pages;	/* smallest max of it and its ancestors; ~0 = none */
};

/* MV_EV_OOM_KILL (96 bytes): the victim as it was when it was chosen. */
struct mv_oom_event {
	__u32 type;		/* enum mv_event_type; always first */
	__u32 pid;		/* victim's thread group id */
	__u32 tid;		/* victim thread */
	__u32 killer_pid;	/* process whose allocation invoked the OOM killer */
	__u64 ts_ns;
	__u64 rss_pages[MV_RSS_CNT];	/* enum mv_rss_member; 0 if its mm was gone */
	struct mv_memcg memcg;
	char comm[16];
};

/* Counters kept per traced process in the kstats map (key: pid). */
struct mv_kstat {
	__u64 faults_user;	/* page faults taken in user mode */
	__u64 faults_kernel;	/* faults on user addresses taken in the kernel (copy_*_user) */
	__u64 reclaim_ns;	/* time its threads spent stalled in direct/memcg reclaim */
	__u64 reclaim_cnt;	/* reclaim stalls */
	__u64 exit_min_flt;	/* when exited: the process's minor faults at its exit */
	__u64 exit_maj_flt;
	__u64 exited;		/* 1 once its last thread exited */
};

/*
 * One record per thread of a traced process, written by the task iterator
 * at each sample (128 bytes). Thread fields are summed by user space; the
 * process fields are the same in every record of a process.
 */
struct mv_task_sample {
	__u32 pid;
	__u32 tid;
	__u32 has_mm;		/* the process fields below were read */
	__u32 pad;
	__u64 min_flt;		/* this thread's minor faults */
	__u64 maj_flt;		/* this thread's major faults */
	/* process fields */
	__u64 sig_min_flt;	/* minor faults of threads that ended */
	__u64 sig_maj_flt;
	__u64 rss_pages[MV_RSS_CNT];	/* enum mv_rss_member */
	__u64 total_vm_pages;
	__u64 start_brk;
	__u64 brk;
	struct mv_memcg memcg;
};

#endif /* MEMVIGIL_EVENTS_H */
