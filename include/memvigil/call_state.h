/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMVIGIL_CALL_STATE_H
#define MEMVIGIL_CALL_STATE_H

#ifndef __VMLINUX_H__	/* BPF code gets the kernel's types from vmlinux.h */
#include <linux/types.h>
#endif

/*
 * Arguments of the outermost allocator call a thread is in (heap.bpf.c);
 * mappings.bpf.c reads depth to tell the allocator's own mmaps from the
 * program's. Kept in task-local storage: found through the thread's own
 * task_struct instead of a hash of its tid, created at the thread's first
 * allocator call and freed by the kernel when the thread exits. User space
 * reads it by a pidfd (probes__call_depth) and clears it (probes__reset_calls).
 */
struct inflight_call {
	__u64 size;
	__u64 old_addr;		/* realloc, reallocarray */
	__u64 memptr;		/* posix_memalign's out argument */
	__u64 sample_left;	/* sampled mode: bytes to this thread's next sample, 0 = draw */
	__u32 kind;
	__u32 depth;		/* allocator calls this thread is inside */
	__u32 sampled;		/* the outermost call's allocation is reported */
	__u32 layout;		/* enum mv_arg_layout of the outermost call */
};

#endif
