// SPDX-License-Identifier: GPL-2.0
/*
 * The smaps_rollup and pressure (PSI) parsers of procmem: any text is
 * parsed or refused, never read past its end.
 */
#include "fuzz_input.h"
#include "procfs/procmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_input__string(data, size);
	struct smaps_rollup sr;
	struct psi psi;

	if (procmem__parse_smaps_rollup(text, &sr) == 0)
		FUZZ_CHECK(sr.rss_bytes % 1024 == 0 && sr.pss_bytes % 1024 == 0);
	if (procmem__parse_psi(text, &psi) == 0)
		FUZZ_CHECK(!strncmp(text, "some ", 5));
	free(text);
	return 0;
}
