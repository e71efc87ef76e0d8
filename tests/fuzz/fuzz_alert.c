// SPDX-License-Identifier: GPL-2.0
/*
 * The --alert expression parser: any text is parsed into a known metric,
 * operator and finite threshold, or refused with a one-line reason.
 */
#include <math.h>
#include "fuzz_input.h"
#include "analysis/alert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_input__string(data, size);
	char err[128] = "";
	struct alert a;

	if (alert__parse(text, &a, err, sizeof(err)) == 0) {
		FUZZ_CHECK(strlen(a.expr) < sizeof(a.expr));
		FUZZ_CHECK(a.op <= ALERT_NE && alert__op_name(a.op));
		FUZZ_CHECK(!isnan(a.threshold));
		FUZZ_CHECK(!alert__holds(&a, NAN));
		alert__holds(&a, a.threshold);
	} else {
		FUZZ_CHECK(err[0] && !strchr(err, '\n'));
	}
	free(text);
	return 0;
}
