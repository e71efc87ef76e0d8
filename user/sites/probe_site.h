/* SPDX-License-Identifier: GPL-2.0 */
/*
 * probe_site: where in an allocator function a uprobe costs least while
 * seeing exactly what an entry probe would. From the entry, skip
 * instructions that only write flags (cmp, test, endbr64); the first push
 * or relative branch reached is emulated by the kernel and every call passes
 * it with the argument registers and %rsp (hence the return address a
 * uretprobe hijacks) untouched. If no such instruction comes first, or
 * some branch in the code jumps straight to it, the entry is used. Pure.
 */
#ifndef MV_PROBE_SITE_H
#define MV_PROBE_SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROBE_SITE_CODE_BYTES 64	/* bytes of the function to look at */

struct probe_site {
	uint64_t offset;	/* from the function's entry */
	bool emulated;		/* the kernel emulates the probed instruction */
	char why[96];		/* one line for -v */
};

/* Choose the site from the function's first bytes; always succeeds. */
void probe_site__choose(const uint8_t *code, size_t avail, struct probe_site *out);

/*
 * Whether any jmp/jcc/call rel8/rel32 encoded in text (mapped at text_vaddr)
 * targets target_vaddr. A byte scan: it may find branches that are not real
 * instructions, which only makes the choice more conservative.
 */
bool probe_site__is_branch_target(const uint8_t *text, size_t len, uint64_t text_vaddr,
				  uint64_t target_vaddr);

#endif
