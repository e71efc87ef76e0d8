/* SPDX-License-Identifier: GPL-2.0 */
/* clock: the clocks memvigil reads, in nanoseconds. */
#ifndef MV_CLOCK_H
#define MV_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC: the clock of event times and of the session. */
uint64_t clock__mono_ns(void);

/* CLOCK_PROCESS_CPUTIME_ID: memvigil's own CPU time. */
uint64_t clock__cpu_ns(void);

#endif
