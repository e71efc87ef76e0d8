/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kernel_sampler: takes one reading of every live traced process's kernel
 * state (task iterator, kstats map, smaps_rollup, its memory cgroup) and of
 * system PSI, and hands it to the model. Called about once a second.
 */
#ifndef MV_KERNEL_SAMPLER_H
#define MV_KERNEL_SAMPLER_H

#include <stdint.h>
#include "ingest/recorder.h"
#include "model/model.h"
#include "probes/probes.h"

/* System PSI file; MEMVIGIL_PSI_PATH overrides it (tests use an absent path). */
#define MV_SYSTEM_PSI_PATH "/proc/pressure/memory"

/*
 * Sample now (ts_ns: CLOCK_MONOTONIC); each reading is also written to rec
 * (NULL: none). 0 or a negative errno from the iterator.
 */
int kernel_sampler__run(struct probes *pr, struct model *m, struct recorder *rec, uint64_t ts_ns);

/*
 * pid's last thread exited: take its final kernel counters (left by the exit
 * tracepoint in the kstats map) before the map entry goes with the pid.
 */
void kernel_sampler__exited(struct probes *pr, struct model *m, struct recorder *rec, pid_t pid,
			    uint64_t ts_ns);

#endif
