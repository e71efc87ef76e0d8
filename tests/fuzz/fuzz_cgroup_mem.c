// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup_mem's parsers: /proc/mounts, /proc/PID/cgroup and a limit file's
 * value, each fed the same text.
 */
#include "fuzz_input.h"
#include "procfs/cgroup_mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_input__string(data, size);
	struct cgroup_mounts mounts;
	struct cgroup_paths paths;
	uint64_t limit;

	FUZZ_CHECK(cgroup_mem__parse_mounts(text, &mounts) == 0);
	FUZZ_CHECK(strlen(mounts.v2) < sizeof(mounts.v2));
	FUZZ_CHECK(cgroup_mem__parse_proc_cgroup(text, &paths) == 0);
	FUZZ_CHECK(!strchr(paths.v2, '\n') && !strchr(paths.v1_memory, '\n'));
	cgroup_mem__parse_limit(text, &limit);
	free(text);
	return 0;
}
