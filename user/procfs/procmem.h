/* SPDX-License-Identifier: GPL-2.0 */
/*
 * procmem: what /proc says of a process's and the system's memory:
 * USS/PSS from /proc/PID/smaps_rollup, memory pressure (PSI) from
 * /proc/pressure/memory or a cgroup2 memory.pressure. The parsers are pure
 * (text in, numbers out); the readers only open the files.
 */
#ifndef MV_PROCMEM_H
#define MV_PROCMEM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct smaps_rollup {
	uint64_t rss_bytes;
	uint64_t pss_bytes;
	uint64_t uss_bytes;	/* Private_Clean + Private_Dirty */
	uint64_t swap_bytes;
};

/* One PSI line: share of time some (or all, "full") tasks stalled. */
struct psi_line {
	double avg10, avg60, avg300;	/* percent */
	uint64_t total_us;
};

struct psi {
	struct psi_line some;
	struct psi_line full;
	bool has_full;
};

/* Parse smaps_rollup text. 0, or -EINVAL when it has no Rss/Pss lines. */
int procmem__parse_smaps_rollup(const char *text, struct smaps_rollup *out);
/* Read /proc/PID/smaps_rollup. 0 or a negative errno (-ENOENT: gone). */
int procmem__read_smaps_rollup(pid_t pid, struct smaps_rollup *out);

/* Parse a pressure file ("some avg10=... total=..." [+ "full ..."]). 0 or -EINVAL. */
int procmem__parse_psi(const char *text, struct psi *out);
/* Read a pressure file. 0, -ENOENT when the kernel has no PSI there, or -errno. */
int procmem__read_psi(const char *path, struct psi *out);

/* Read a small file whole into buf (NUL-terminated). Bytes read or -errno. */
long procmem__read_file(const char *path, char *buf, size_t len);

#endif
