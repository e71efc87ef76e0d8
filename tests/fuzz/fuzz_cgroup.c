// SPDX-License-Identifier: GPL-2.0
/*
 * The traced cgroup's path handling (target/cgroup): an input holds three
 * parts separated by NUL bytes: a cgroup directory's path, the text of
 * /proc/self/mountinfo, and a process's /proc/PID/cgroup. The mount is
 * found, the process's cgroup read and placed relative to the traced one.
 */
#include <errno.h>
#include "fuzz_input.h"
#include "target/cgroup.h"

/* The membership of proc_cgroup in cg, and where it lies relative to cg. */
static void check_membership(const struct cgroup_root *cg, const char *proc_cgroup)
{
	char hier[PATH_MAX], small[8];
	const char *rel;

	if (cgroup__parse_membership(cg, proc_cgroup, hier, sizeof(hier)))
		return;
	FUZZ_CHECK(!strchr(hier, '\n'));
	FUZZ_CHECK(cgroup__parse_membership(cg, proc_cgroup, small, sizeof(small)) == 0);
	rel = cgroup__relative(cg, hier);
	FUZZ_CHECK(!rel || rel[0] == '/');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cgroup_root cg;
	char *parts[3];
	int err;

	fuzz_input__split(data, size, parts, 3);
	memset(&cg, 0, sizeof(cg));
	err = cgroup__find_mount(parts[1], parts[0], &cg);
	FUZZ_CHECK(!err || err == -ENOENT || err == -EXDEV);
	if (!err) {
		check_membership(&cg, parts[2]);
	}
	fuzz_input__free(parts, 3);
	return 0;
}
