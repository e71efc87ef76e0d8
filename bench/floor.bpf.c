// SPDX-License-Identifier: GPL-2.0
/*
 * The floor: empty programs at the probe sites, to measure what the uprobe
 * machinery alone costs before a tracer does any work.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("uprobe")
int floor_enter(void *ctx)
{
	return 0;
}

SEC("uretprobe")
int floor_exit(void *ctx)
{
	return 0;
}

/* Entry of a uprobe session that never wants its return probe. */
SEC("uprobe")
int floor_session(void *ctx)
{
	return 1;
}
