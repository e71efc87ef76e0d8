// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Page faults of traced processes, counted per process in kstats (never one record each). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "maps.bpf.h"

/* tp_btf takes the tracepoint's prototype, which did not change when its
 * context struct was renamed (x86_exceptions -> exceptions): no flavors needed. */
SEC("tp_btf/page_fault_user")
int BPF_PROG(handle_fault_user)
{
	struct mv_kstat *s = kstat_of(bpf_get_current_pid_tgid() >> 32);

	if (s)
		__sync_fetch_and_add(&s->faults_user, 1);
	return 0;
}

SEC("tp_btf/page_fault_kernel")
int BPF_PROG(handle_fault_kernel, unsigned long address)
{
	struct mv_kstat *s;

	if (address >> 63)
		return 0;	/* a kernel address: not the process's memory */
	s = kstat_of(bpf_get_current_pid_tgid() >> 32);
	if (s)
		__sync_fetch_and_add(&s->faults_kernel, 1);
	return 0;
}
