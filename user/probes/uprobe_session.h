/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uprobe_session: uprobe session links (kernel >= 6.13), where one program
 * runs at a function's entry and return and its entry decides whether the
 * return probe runs at all. libbpf 1.4 predates them, so the link is made
 * with the raw bpf(BPF_LINK_CREATE) call.
 */
#ifndef MV_UPROBE_SESSION_H
#define MV_UPROBE_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

/* enum bpf_attach_type's BPF_TRACE_UPROBE_SESSION in the kernel's UAPI. */
#define MV_BPF_TRACE_UPROBE_SESSION 57

/* Whether this kernel's BTF names the session attach type with that value. */
bool uprobe_session__supported(void);

/* Whether this kernel has uprobe_multi links (6.6 and later), from its BTF. */
bool uprobe_session__multi_supported(void);

/*
 * Attach the program prog_fd (loaded with expected attach type
 * MV_BPF_TRACE_UPROBE_SESSION) at the n offsets of path, in pid only, with
 * their cookies (NULL for none). Returns the link fd, or a negative errno.
 */
int uprobe_session__attach(int prog_fd, pid_t pid, const char *path,
			   const unsigned long *offsets, const __u64 *cookies, size_t n);

#endif
