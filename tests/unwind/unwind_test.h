/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the unwind proof's BPF program and its loader share: the record of
 * one captured stack and the timing totals.
 */
#ifndef UNWIND_TEST_H
#define UNWIND_TEST_H

#include "memvigil/unwind.h"

enum unwind_test_mode {
	UNWIND_TEST_EMPTY,	/* probe only: the trap's own cost */
	UNWIND_TEST_FP,		/* bpf/ustack.bpf.h's frame-pointer walk */
	UNWIND_TEST_TABLE,	/* bpf/unwind.bpf.h */
};

struct unwind_test_rec {
	__u64 walk_ns;
	__u32 frame_cnt;
	__u32 stop;		/* enum unwind_stop; table walks only */
	__u64 frames[UNWIND_MAX_DEPTH];
};

struct unwind_test_time {
	__u64 walk_ns;
	__u64 walk_cnt;
	__u64 frame_cnt;
};

#endif /* UNWIND_TEST_H */
