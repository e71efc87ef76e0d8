/* SPDX-License-Identifier: GPL-2.0 */
/* proc_info: small facts about one process read from /proc/PID (its comm, its auxv). */
#ifndef MV_PROC_INFO_H
#define MV_PROC_INFO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* comm of pid ("?" if unknown) into buf. */
void proc_info__comm(pid_t pid, char *buf, size_t len);

/* The value of auxiliary vector entry type (AT_ENTRY, AT_BASE, ...) of pid, 0 if absent. */
uint64_t proc_info__auxv(pid_t pid, uint64_t type);

#endif
