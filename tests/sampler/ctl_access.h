/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ctl_access: libmemvigil-sampler.so's control object in a process, found
 * and written the way memvigil must (include/memvigil/sampler.h): the
 * library's mapping in /proc/PID/maps, the symbol in the file's .dynsym
 * (read through /proc/PID/map_files), reads and writes through
 * /proc/PID/mem in the documented order. Tests use it on their own process
 * and sampler_ctl on another.
 */
#ifndef MVS_CTL_ACCESS_H
#define MVS_CTL_ACCESS_H

#include <stdint.h>
#include <sys/types.h>
#include "memvigil/sampler.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ctl_access {
	int mem_fd;		/* /proc/PID/mem, read-write */
	uint64_t addr;		/* the control object in the process */
	uint64_t text_start;	/* the library's executable mapping */
	uint64_t text_end;
};

/* Find the library in pid (0: this process). 0, or a negative errno (-ENOENT: not loaded). */
int ctl_access__open(struct ctl_access *c, pid_t pid);
void ctl_access__close(struct ctl_access *c);

/* Read the whole object. 0 or a negative errno. */
int ctl_access__read(const struct ctl_access *c, struct memvigil_sampler_ctl *out);

/*
 * Attach: DORMANT first unless it is, then live_max, period, lease_end_ns,
 * then generation, then mode, each its own pwrite. Checks magic,
 * abi_version and ctl_bytes first (-EPROTO).
 */
int ctl_access__attach(const struct ctl_access *c, uint32_t mode, uint64_t period,
		       uint64_t generation, uint64_t lease_end_ns, uint32_t live_max);

/* Detach: mode = DORMANT. */
int ctl_access__detach(const struct ctl_access *c);

/* Write lease_end_ns alone (renewal). */
int ctl_access__renew(const struct ctl_access *c, uint64_t lease_end_ns);

/* The value of a symbol in an ELF file's .dynsym; 0 if absent. */
uint64_t ctl_access__dynsym(int fd, const char *name);

#ifdef __cplusplus
}
#endif

#endif
