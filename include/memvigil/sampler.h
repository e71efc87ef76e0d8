/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The contract between libmemvigil-sampler.so, the in-process sampler a
 * traced program preloads, and memvigil. The library interposes the
 * allocator entry points (malloc ... pvalloc, the C++ operators new and
 * delete), forwards every call to the next definition, and decides in the
 * process which calls matter: those call an empty probe function that starts
 * with a 5-byte nop, where memvigil attaches its uprobes (on kernels with
 * the nop5 optimization such a uprobe is a call, not a trap). Calls that do
 * not matter never leave the process's own code.
 *
 * memvigil finds two kinds of symbols in the library's .dynsym:
 *
 * The control object (MV_SAMPLER_CTL_SYMBOL, struct memvigil_sampler_ctl):
 * memvigil writes its mode, period and session through /proc/PID/mem and
 * reads the library's counters the same way. Its address in the process is
 * the library's load base (from /proc/PID/maps) plus the symbol's st_value.
 *
 * The probe functions (MV_SAMPLER_ALLOC_SYMBOL, MV_SAMPLER_FREE_SYMBOL):
 * their first instruction is MV_SAMPLER_PROBE_NOP, nothing precedes it (no
 * endbr64), and a ret follows it. Attach the uprobes at offset 0.
 *
 * Only threads of a process whose library is in a mode other than DORMANT
 * ever call the probe functions, so the probes may be attached system-wide
 * by file, or per process.
 */
#ifndef MEMVIGIL_SAMPLER_H
#define MEMVIGIL_SAMPLER_H

#ifndef __VMLINUX_H__	/* BPF code gets the kernel's types from vmlinux.h */
#include <linux/types.h>
#endif

/* File name of the library, as it appears in /proc/PID/maps. */
#ifdef __cplusplus
#define MV_SAMPLER_STATIC_ASSERT static_assert
extern "C" {
#else
#define MV_SAMPLER_STATIC_ASSERT _Static_assert
#endif

#define MV_SAMPLER_LIB_NAME "libmemvigil-sampler.so"

#define MV_SAMPLER_CTL_SYMBOL "memvigil_sampler_ctl"
#define MV_SAMPLER_ALLOC_SYMBOL "memvigil_sampler_alloc"
#define MV_SAMPLER_FREE_SYMBOL "memvigil_sampler_free"

/* The first instruction of each probe function: nopl 0x0(%rax,%rax,1). */
#define MV_SAMPLER_PROBE_NOP { 0x0f, 0x1f, 0x44, 0x00, 0x00 }
#define MV_SAMPLER_PROBE_NOP_LEN 5

#define MV_SAMPLER_MAGIC 0x31524c504d53564dull	/* "MVSMPLR1" in memory */
/*
 * Raised when a field changes meaning or moves. Fields are only ever added
 * at the end (ctl_bytes grows); memvigil refuses another abi_version.
 */
#define MV_SAMPLER_ABI_VERSION 1

enum mv_sampler_mode {
	MV_SAMPLER_DORMANT = 0,	/* forward every call; the only cost is one load and branch */
	MV_SAMPLER_SAMPLED = 1,	/* byte sampling: probe sampled allocations and their frees */
	MV_SAMPLER_EXACT = 2,	/* probe every allocation and every free */
};

/* Bits of flags, set by the library. */
enum mv_sampler_flag {
	/* The constructor ran: the next definitions are resolved. */
	MV_SAMPLER_F_READY = 1u << 0,
	/*
	 * malloc, free, calloc or realloc resolves to another definition first
	 * (the executable defines its own, or an allocator was preloaded before
	 * this library): the library does not see every call. Use uprobes on
	 * the allocator instead.
	 */
	MV_SAMPLER_F_SHADOWED = 1u << 1,
	/* The sampled-address table could not be mapped: samples are dropped. */
	MV_SAMPLER_F_SET_FAILED = 1u << 2,
	/*
	 * Every child made by a fork repairs the probe functions before its
	 * first probe call, whether it ran fork handlers or not (_Fork(), raw
	 * clone/fork system calls): the library has a MADV_WIPEONFORK page.
	 * Without it only fork()'s children are repaired, and where the kernel
	 * turns a traced probe's nop into a call to a trampoline no child
	 * inherits (Linux 6.18), the others die of SIGSEGV at their first
	 * probe call. Libraries older than this flag never set it.
	 */
	MV_SAMPLER_F_FORK_GUARD = 1u << 3,
};

/*
 * Live sampled blocks the library's table is sized for when live_max is 0;
 * its slots are the next power of two >= 2 * live_max (8 bytes each, plus
 * 2 bytes per 8 slots), between MV_SAMPLER_SLOTS_MIN and MV_SAMPLER_SLOTS_MAX.
 */
#define MV_SAMPLER_LIVE_MAX_DEFAULT 65536u
#define MV_SAMPLER_SLOTS_MIN (1u << 12)
#define MV_SAMPLER_SLOTS_MAX (1u << 25)

/*
 * The control object. The first cache line is read on every allocator call
 * and written only at attach and detach; the counters live on the second
 * one, so that counting never slows the first.
 *
 * Attach (after checking magic, abi_version and ctl_bytes), only while mode
 * is DORMANT (as the library starts, or after a detach), with separate
 * pwrites to /proc/PID/mem, in this order:
 *   1. live_max (optional), period_bytes, lease_end_ns (0: none),
 *   2. generation: a value this process has not seen before (e.g. a
 *      counter memvigil keeps per process, starting at 1; never 0),
 *   3. mode, last.
 * The library reads mode with acquire semantics at each call; a call that
 * reports reads the generation (acquire) and then mode again, and reports
 * nothing unless mode is unchanged. With DORMANT always between two
 * sessions, a report therefore carries the generation of the session whose
 * mode it acted in, even when its thread was descheduled across a switch.
 * (Each pwrite completes before the next begins; x86 keeps stores in
 * order. mode's value fits in its lowest byte, so a write of it cannot tear.)
 *
 * Detach: write mode = MV_SAMPLER_DORMANT first, then remove the uprobes.
 * Threads already past their mode check may still call a probe once, with
 * the old generation.
 *
 * Change the period or start another session: detach (DORMANT), then attach
 * again with a new generation. Drop probe calls whose generation is not the
 * session's. Blocks sampled under an earlier generation are forgotten: their
 * frees are never reported.
 *
 * Liveness: a memvigil killed without detaching leaves the library in its
 * mode; the uprobes go with memvigil, so each sampled allocation and its
 * free then cost a call to an empty function (each call in EXACT mode),
 * and the sampled table keeps its entries. To bound that, memvigil writes
 * lease_end_ns = now + lease (CLOCK_MONOTONIC as the target sees it: add
 * the target's /proc/PID/timens_offsets when it is in a time namespace) and
 * renews it well before it ends. Past lease_end_ns the library stops calling
 * the probes and sampling new blocks: SAMPLED mode notices at the next
 * sample, EXACT mode within 256 calls per thread. 0 means no lease.
 *
 * Counters are monotonic, updated by the library with relaxed atomic adds;
 * read them at attach and again later, and use the differences.
 */
struct memvigil_sampler_ctl {
	/* identity: written by the library's static initializer */
	__u64 magic;			/* MV_SAMPLER_MAGIC */
	__u32 abi_version;		/* MV_SAMPLER_ABI_VERSION */
	__u32 ctl_bytes;		/* sizeof(struct memvigil_sampler_ctl) */
	/* written by memvigil */
	__u32 mode;			/* enum mv_sampler_mode; any other value acts as DORMANT */
	__u32 flags;			/* written by the library: enum mv_sampler_flag bits */
	__u64 period_bytes;		/* mean bytes between samples, 1..MV_SAMPLE_BYTES_MAX
					 * (clamped to that range) */
	__u64 generation;		/* session id, nonzero; passed to every probe call */
	__u64 lease_end_ns;		/* CLOCK_MONOTONIC deadline; 0 = no lease */
	__u32 live_max;			/* sampled blocks to size the table for, read when the
					 * table is first needed; 0 = MV_SAMPLER_LIVE_MAX_DEFAULT */
	__u32 reserved0;
	__u64 reserved1;
	/* counters: written by the library */
	__u64 alloc_probe_cnt;		/* calls of the alloc probe */
	__u64 free_probe_cnt;		/* calls of the free probe */
	__u64 sample_drop_cnt;		/* sampled allocations not reported: table full or absent */
	__u64 stale_drop_cnt;		/* frees of blocks sampled under an earlier generation */
	__u64 realloc_fail_cnt;		/* realloc failures of a block whose free was reported: the
					 * block stays live, untracked */
	__u64 lease_expired_cnt;	/* lease checks that found the lease over */
	__u64 arena_bytes;		/* bytes served from the start-up arena (while resolving) */
	__u64 set_slots;		/* slots of the sampled-address table; 0 until mapped */
} __attribute__((aligned(64)));

MV_SAMPLER_STATIC_ASSERT(sizeof(struct memvigil_sampler_ctl) == 128, "memvigil_sampler_ctl layout");
MV_SAMPLER_STATIC_ASSERT(__builtin_offsetof(struct memvigil_sampler_ctl, mode) == 16, "ctl mode offset");
MV_SAMPLER_STATIC_ASSERT(__builtin_offsetof(struct memvigil_sampler_ctl, period_bytes) == 24,
	       "ctl period offset");
MV_SAMPLER_STATIC_ASSERT(__builtin_offsetof(struct memvigil_sampler_ctl, generation) == 32,
	       "ctl generation offset");
MV_SAMPLER_STATIC_ASSERT(__builtin_offsetof(struct memvigil_sampler_ctl, lease_end_ns) == 40,
	       "ctl lease offset");
MV_SAMPLER_STATIC_ASSERT(__builtin_offsetof(struct memvigil_sampler_ctl, alloc_probe_cnt) == 64,
	       "ctl counters start on the second cache line");

/*
 * The probe functions (System V x86-64 calling convention: ptr in %rdi,
 * then %rsi, %rdx, %rcx, %r8). Each is called directly from the frame of the
 * interposed entry point (malloc, operator new, ...), built with frame
 * pointers: at the probe's first instruction *(%rsp) is the return into that
 * entry point, %rbp is its frame, and 8(%rbp) is the return address into the
 * code that called the allocator. A frame-pointer walk from %rbp therefore
 * starts at the allocation site, with no frame of the library in it.
 *
 * memvigil_sampler_alloc: ptr was allocated with size bytes requested.
 *   weight_bytes: the bytes this sample stands for, size / p where
 *   p = 1 - exp(-size / period_bytes) is its probability of being sampled
 *   (rounded; equals the bytes weight memvigil's --sample-bytes estimator
 *   gives the same size and period); the count weight is weight_bytes / size.
 *   In EXACT mode weight_bytes == size. kind: enum mv_alloc_kind
 *   (memvigil/events.h) of the outermost call; a realloc reports its new
 *   block with MV_KIND_REALLOC (or REALLOCARRAY) after the free of its old
 *   one. generation: the ctl generation the decision was made under.
 *
 * memvigil_sampler_free: ptr is about to be freed (called before the block
 *   goes back to the allocator, so the free is always ordered before any
 *   reuse of the address). kind: MV_KIND_FREE, MV_KIND_REALLOC,
 *   MV_KIND_REALLOCARRAY, MV_KIND_OPERATOR_DELETE[_ARRAY]. In SAMPLED mode
 *   only blocks reported through the alloc probe in the same generation are
 *   reported; in EXACT mode every non-NULL free is.
 *
 * Calls made while the allocator is already inside one of the library's
 * entry points on the same thread (libstdc++'s operator new calling malloc)
 * are nested: they are forwarded and never reported, so one allocation is
 * one call of the alloc probe.
 */
void memvigil_sampler_alloc(void *ptr, __u64 size, __u64 weight_bytes, __u32 kind,
			    __u64 generation);
void memvigil_sampler_free(void *ptr, __u32 kind, __u64 generation);

/*
 * Environment read once by the library's constructor (ignored in secure
 * mode, AT_SECURE): the mode to start in, so that a launcher such as
 * `memvigil --preload -- CMD` sees allocations from the first one after the
 * constructor. The constructor writes period, generation, then mode, as an
 * attach would. Calls made before it (by the dynamic loader, by constructors
 * of libraries initialized earlier) run DORMANT.
 *   MEMVIGIL_SAMPLER_MODE        dormant | sampled | exact
 *   MEMVIGIL_SAMPLER_PERIOD      bytes (a decimal number, optional k/m/g suffix);
 *                                default MV_SAMPLER_PERIOD_DEFAULT
 *   MEMVIGIL_SAMPLER_GENERATION  decimal, nonzero; default 1
 */
#define MV_SAMPLER_ENV_MODE "MEMVIGIL_SAMPLER_MODE"
#define MV_SAMPLER_ENV_PERIOD "MEMVIGIL_SAMPLER_PERIOD"
#define MV_SAMPLER_ENV_GENERATION "MEMVIGIL_SAMPLER_GENERATION"
#define MV_SAMPLER_PERIOD_DEFAULT (512u << 10)

#ifdef __cplusplus
}
#endif

#endif /* MEMVIGIL_SAMPLER_H */
