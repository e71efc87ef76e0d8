/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The user stack at a probe, walked through frame pointers in BPF.
 *
 * bpf_get_stack(BPF_F_USER_STACK) follows %rbp until a read faults, and
 * every chain ends in one: the outermost frame's saved %rbp is 0 (or junk in
 * code built without frame pointers), and the kernel reads address 0 and
 * takes the exception. On a VM that fault costs more than the rest of the
 * walk. This walk stops where a sane chain must end instead: at a zero or
 * misaligned frame pointer, or at one that does not move up the stack.
 */
#ifndef MV_USTACK_BPF_H
#define MV_USTACK_BPF_H

#include "memvigil/events.h"

struct ustack_frame {
	__u64 next_fp;		/* the caller's saved %rbp */
	__u64 ret;		/* return address into the caller */
};

/*
 * Fill frames[] (MV_MAX_STACK_DEPTH slots) innermost first, starting at the
 * probed instruction pointer (at a return probe: the allocator's caller),
 * with at most max_depth frames. Returns the number of frames, at least 1.
 * *truncated is set when the stack was cut short: the chain went on past
 * the last frame taken, a frame could not be read, or the chain broke (a
 * misaligned frame pointer, or one that does not move up the stack); a
 * zero frame pointer or return address is the chain's proper end.
 */
static __always_inline __u32 ustack_walk(struct pt_regs *regs, __u64 *frames, __u32 max_depth,
					 bool *truncated)
{
	struct ustack_frame f;
	__u64 fp = PT_REGS_FP(regs);
	__u32 i;

	*truncated = false;
	frames[0] = PT_REGS_IP(regs);
	for (i = 1; i < MV_MAX_STACK_DEPTH; i++) {
		if (!fp)
			return i;
		if (fp & 7) {
			*truncated = true;
			return i;
		}
		if (i >= max_depth) {
			*truncated = true;
			return i;
		}
		if (bpf_probe_read_user(&f, sizeof(f), (void *)fp)) {
			*truncated = true;
			return i;
		}
		if (!f.ret)
			return i;
		frames[i] = f.ret;
		if (f.next_fp && f.next_fp <= fp) {
			*truncated = true;
			return i + 1;
		}
		fp = f.next_fp;
	}
	*truncated = true;
	return MV_MAX_STACK_DEPTH;
}

#endif /* MV_USTACK_BPF_H */
