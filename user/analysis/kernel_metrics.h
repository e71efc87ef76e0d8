/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kernel_metrics: the kernel half of a metrics sample. Turns what the model
 * keeps of a process's kernel side (struct proc_kernel, system PSI, OOM
 * kills) into the struct kernel_sample metrics__sample takes. Pure.
 */
#ifndef MV_KERNEL_METRICS_H
#define MV_KERNEL_METRICS_H

#include <stdint.h>
#include "analysis/metrics.h"
#include "model/model.h"

/*
 * Fill ks for p. Unknown signals are NaN. PSI is the cgroup's
 * memory.pressure when there is one, else the system's. oom_seen holds the
 * OOM kills concerning p (p the victim, or a victim in p's memory cgroup)
 * already passed on; ks->oom_kills gets the new ones and *oom_seen is updated.
 */
void kernel_metrics__input(const struct model *m, const struct proc *p, uint32_t *oom_seen,
			   struct kernel_sample *ks);

#endif
