// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Defines the maps every memvigil BPF object shares (see maps.bpf.h). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#define MV_DEFINE_SHARED_MAPS
#include "maps.bpf.h"
#include "unwind_maps.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
