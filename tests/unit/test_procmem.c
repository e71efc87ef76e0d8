// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include "procfs/procmem.h"

/* /proc/self/smaps_rollup as this machine's 6.18 kernel writes it. */
static const char smaps_rollup[] =
	"55b95bc96000-7ffcaccb6000 ---p 00000000 00:00 0                          [rollup]\n"
	"Rss:                1752 kB\n"
	"Pss:                 277 kB\n"
	"Pss_Dirty:           112 kB\n"
	"Pss_Anon:            112 kB\n"
	"Shared_Clean:       1600 kB\n"
	"Private_Clean:        40 kB\n"
	"Private_Dirty:       112 kB\n"
	"Swap:                  8 kB\n";

Test(procmem, smaps_rollup_gives_rss_pss_and_uss_as_private_pages)
{
	struct smaps_rollup r;

	cr_assert_eq(procmem__parse_smaps_rollup(smaps_rollup, &r), 0);
	cr_assert_eq(r.rss_bytes, 1752 * 1024);
	cr_assert_eq(r.pss_bytes, 277 * 1024);	/* not Pss_Dirty */
	cr_assert_eq(r.uss_bytes, (40 + 112) * 1024);
	cr_assert_eq(r.swap_bytes, 8 * 1024);
}

Test(procmem, smaps_rollup_without_rss_is_rejected)
{
	struct smaps_rollup r;

	cr_assert_eq(procmem__parse_smaps_rollup("garbage\n", &r), -EINVAL);
}

Test(procmem, psi_with_some_and_full_lines)
{
	struct psi p;

	cr_assert_eq(procmem__parse_psi("some avg10=1.50 avg60=0.25 avg300=0.00 total=123456\n"
					"full avg10=0.75 avg60=0.10 avg300=0.00 total=99\n", &p), 0);
	cr_assert_float_eq(p.some.avg10, 1.5, 1e-9);
	cr_assert_float_eq(p.some.avg60, 0.25, 1e-9);
	cr_assert_eq(p.some.total_us, 123456);
	cr_assert(p.has_full);
	cr_assert_float_eq(p.full.avg10, 0.75, 1e-9);
	cr_assert_eq(p.full.total_us, 99);
}

Test(procmem, psi_with_only_a_some_line_has_no_full)
{
	struct psi p;

	cr_assert_eq(procmem__parse_psi("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", &p), 0);
	cr_assert_not(p.has_full);
}

Test(procmem, malformed_psi_is_rejected)
{
	struct psi p;

	cr_assert_eq(procmem__parse_psi("some avg10=x\n", &p), -EINVAL);
	cr_assert_eq(procmem__parse_psi("", &p), -EINVAL);
}

Test(procmem, absent_pressure_file_reads_as_enoent)
{
	struct psi p;

	cr_assert_eq(procmem__read_psi("/nonexistent/pressure/memory", &p), -ENOENT);
}
