// SPDX-License-Identifier: GPL-2.0
/*
 * The /proc/PID/maps parser: any text either parses into sorted, non-empty
 * mappings that procmaps__find agrees with, or is refused.
 */
#include "fuzz_input.h"
#include "procfs/procmaps.h"

/* procmaps__find's answer for addr is NULL or a mapping that holds it. */
static void check_find(const struct procmaps *pm, uint64_t addr)
{
	const struct mv_mapping *m = procmaps__find(pm, addr);

	FUZZ_CHECK(!m || (m->start <= addr && addr < m->end));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_input__string(data, size);
	struct procmaps *pm = NULL;
	size_t i;

	if (procmaps__parse(text, &pm) == 0) {
		for (i = 0; i < pm->cnt; i++) {
			const struct mv_mapping *m = &pm->maps[i];

			FUZZ_CHECK(m->start < m->end && strlen(m->perms) == 4 && m->path);
			FUZZ_CHECK(!i || pm->maps[i - 1].start <= m->start);
			check_find(pm, m->start);
			check_find(pm, m->end - 1);
			check_find(pm, m->end);
		}
		check_find(pm, 0);
		check_find(pm, UINT64_MAX);
	} else {
		FUZZ_CHECK(!pm);
	}
	procmaps__free(pm);
	free(text);
	return 0;
}
