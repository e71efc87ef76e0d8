// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include "model/sampling.h"

void sampling__fill_log2_table(uint32_t table[MV_LOG2_TABLE_LEN])
{
	uint32_t i;

	for (i = 0; i < MV_LOG2_TABLE_LEN; i++)
		table[i] = (uint32_t)llround(log2(1.0 + (double)i / (1u << MV_LOG2_TABLE_BITS)) *
					     2147483648.0);
}

double sampling__probability(uint64_t size, uint64_t period)
{
	if (!period)
		return 1.0;
	return -expm1(-(double)size / (double)period);
}

struct sample_weight sampling__weight(uint64_t size, uint64_t period)
{
	struct sample_weight w = { .count = 1.0, .bytes = (double)size, .bytes_var = 0 };
	double p = sampling__probability(size, period);

	if (!period || p <= 0)
		return w;
	w.count = 1.0 / p;
	w.bytes = (double)size / p;
	w.bytes_var = w.bytes * w.bytes * (1.0 - p);
	return w;
}
