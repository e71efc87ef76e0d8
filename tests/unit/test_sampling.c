// SPDX-License-Identifier: GPL-2.0
/*
 * Byte sampling: the integer exponential draw the BPF programs use
 * (include/memvigil/sampling.h), and the weights that make estimates
 * unbiased, checked by simulating the kernel's sampler with a seeded RNG.
 */
#include <criterion/criterion.h>
#include <math.h>
#include "memvigil/events.h"
#include "memvigil/sampling.h"
#include "model/model.h"
#include "model/sampling.h"

static uint32_t table[MV_LOG2_TABLE_LEN];

static void fill(void)
{
	sampling__fill_log2_table(table);
}

/* xorshift64*: a seeded stand-in for bpf_get_prandom_u32. */
static uint32_t rnd32(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return (uint32_t)((*s * 0x2545F4914F6CDD1Dull) >> 32);
}

/* One allocation through the sampler exactly as bpf/heap.bpf.c runs it. */
static int sample_take(__u64 *left, uint64_t size, uint64_t period, uint64_t *seed)
{
	if (!*left)
		*left = mv_sample_gap(rnd32(seed), period, table);
	return mv_sample_consume(left, size);
}

Test(sampling, log2_table_holds_log2_of_one_plus_i_over_1024_in_q31, .init = fill)
{
	uint32_t i;

	cr_assert_eq(table[0], 0);
	cr_assert_eq(table[MV_LOG2_TABLE_LEN - 1], 1u << 31);
	for (i = 0; i < MV_LOG2_TABLE_LEN; i++)
		cr_assert_float_eq(table[i] / 2147483648.0, log2(1 + i / 1024.0), 1e-9, "i=%u", i);
}

Test(sampling, integer_log2_is_within_2e_7_of_log2, .init = fill)
{
	uint64_t seed = 1, x;
	int i;

	for (i = 0; i < 200000; i++) {
		x = (i < 33) ? (1ull << i) : (uint64_t)rnd32(&seed) + 1;
		if (i >= 33 && i % 3 == 0)
			x >>= rnd32(&seed) % 31;
		if (!x)
			x = 1;
		cr_assert_float_eq(mv_log2_q32(x, table) / 4294967296.0, log2((double)x), 2e-7,
				   "x=%llu", (unsigned long long)x);
	}
}

Test(sampling, gaps_are_exponential_with_the_period_as_mean, .init = fill)
{
	const uint64_t period = 65536, n = 2000000;
	uint64_t seed = 42, i, below_tenth = 0, below_period = 0, g, min = UINT64_MAX;
	double sum = 0;

	for (i = 0; i < n; i++) {
		g = mv_sample_gap(rnd32(&seed), period, table);
		sum += g;
		below_tenth += g <= period / 10;
		below_period += g <= period;
		if (g < min)
			min = g;
	}
	/* standard errors: mean 0.07%, fractions about 0.03% */
	cr_assert_float_eq(sum / n / period, 1.0, 0.004);
	cr_assert_float_eq((double)below_tenth / n, -expm1(-0.1), 0.002);
	cr_assert_float_eq((double)below_period / n, -expm1(-1.0), 0.002);
	cr_assert_geq(min, 1);
}

Test(sampling, gap_extremes_stay_in_range_at_the_largest_period, .init = fill)
{
	/* rnd 0 is the farthest point: -ln(2^-32) = 22.18 periods; the largest rnd the nearest */
	cr_assert_float_eq(mv_sample_gap(0, MV_SAMPLE_BYTES_MAX, table) / (double)MV_SAMPLE_BYTES_MAX,
			   32 * log(2), 1e-6);
	cr_assert_eq(mv_sample_gap(UINT32_MAX, MV_SAMPLE_BYTES_MAX, table), 1);
	cr_assert_eq(mv_sample_gap(UINT32_MAX, 1, table), 1);
}

Test(sampling, weights_are_one_over_the_probability)
{
	struct sample_weight w = sampling__weight(65536, 65536);

	cr_assert_float_eq(sampling__probability(65536, 65536), 1 - exp(-1), 1e-12);
	cr_assert_float_eq(w.count, 1 / (1 - exp(-1)), 1e-9);
	cr_assert_float_eq(w.bytes, 65536 / (1 - exp(-1)), 1e-6);
	cr_assert_float_eq(w.bytes_var, w.bytes * w.bytes * exp(-1), 1e-3);
	w = sampling__weight(100, 0);
	cr_assert_eq(w.count, 1);
	cr_assert_eq(w.bytes, 100);
	cr_assert_eq(w.bytes_var, 0);
	/* a tiny block at a large period stands for about period / size blocks */
	w = sampling__weight(16, 1 << 20);
	cr_assert_float_eq(w.count, (1 << 20) / 16.0, 1.0);
}

#define SIZES 7
/*
 * Simulate one thread allocating a random mix of sizes from 16 B to 4 MiB
 * through the kernel's sampler; per size, the weighted samples must match
 * the true bytes and counts within 4 standard errors of the estimator, and
 * so must the total.
 */
Test(sampling, weighted_samples_estimate_every_size_without_bias, .init = fill)
{
	static const uint64_t sizes[SIZES] = { 16, 100, 1000, 4096, 20000, 300000, 4 << 20 };
	const uint64_t period = 4096, n = 7000000;
	double est_bytes[SIZES] = { 0 }, est_count[SIZES] = { 0 }, var[SIZES] = { 0 };
	double true_bytes[SIZES] = { 0 }, true_count[SIZES] = { 0 };
	double tot_est = 0, tot_true = 0, tot_var = 0;
	uint64_t seed = 2024, size_seed = 7, i;
	__u64 left = 0;
	int k;

	for (i = 0; i < n; i++) {
		k = rnd32(&size_seed) % SIZES;
		if (k == SIZES - 1 && rnd32(&size_seed) % 64)
			k = 0;	/* keep the huge blocks rare */
		true_bytes[k] += sizes[k];
		true_count[k] += 1;
		if (sample_take(&left, sizes[k], period, &seed)) {
			struct sample_weight w = sampling__weight(sizes[k], period);

			est_bytes[k] += w.bytes;
			est_count[k] += w.count;
		}
	}
	for (k = 0; k < SIZES; k++) {
		double p = sampling__probability(sizes[k], period);

		/* variance of the weighted sum: n_k * s^2 * (1 - p) / p */
		var[k] = true_count[k] * (double)sizes[k] * sizes[k] * (1 - p) / p;
		cr_assert(fabs(est_bytes[k] - true_bytes[k]) <= 4 * sqrt(var[k]) + 1e-6,
			  "size %llu: estimated %.0f bytes, true %.0f (sd %.0f)",
			  (unsigned long long)sizes[k], est_bytes[k], true_bytes[k], sqrt(var[k]));
		cr_assert(fabs(est_count[k] - true_count[k]) <=
			  4 * sqrt(var[k]) / sizes[k] + 1e-6,
			  "size %llu: estimated %.0f blocks, true %.0f", (unsigned long long)sizes[k],
			  est_count[k], true_count[k]);
		tot_est += est_bytes[k];
		tot_true += true_bytes[k];
		tot_var += var[k];
	}
	cr_assert(fabs(tot_est - tot_true) <= 4 * sqrt(tot_var));
	/* the small sizes are the hard case: make sure they were really sampled */
	cr_assert_gt(est_count[0], 0);
}

Test(sampling, model_in_sampled_mode_keeps_weighted_estimates)
{
	static const uint64_t stack[] = { 0x401000 };
	struct model *m = model__new(0);
	double w = 65536 / (1 - exp(-1));
	struct proc *p;

	model__set_sampling(m, 65536);
	cr_assert_eq(model__alloc(m, 7, 1, 0x1000, 65536, 0, MV_KIND_MALLOC, stack, 1), 0);
	cr_assert_eq(model__alloc(m, 7, 1, 0x2000, 65536, 0, MV_KIND_MALLOC, stack, 1), 0);
	p = model__find(m, 7);
	cr_assert_eq(p->heap.outstanding_allocs, 2, "integer counts count samples");
	cr_assert_float_eq(p->heap.est_outstanding_bytes, 2 * w, 1e-6);
	cr_assert_float_eq(p->heap.est_total_allocs, 2 / (1 - exp(-1)), 1e-9);
	cr_assert_float_eq(p->sites[0].est_total_bytes, 2 * w, 1e-6);
	model__free_block(m, 7, 0x1000);
	cr_assert_float_eq(p->heap.est_outstanding_bytes, w, 1e-6);
	cr_assert_float_eq(p->heap.est_total_frees, 1 / (1 - exp(-1)), 1e-9);
	model__free_block(m, 7, 0x2000);
	cr_assert_eq(p->heap.est_outstanding_bytes, 0);
	cr_assert_float_eq(p->heap.est_peak_outstanding_bytes, 2 * w, 1e-6);
	model__free(m);
}

Test(sampling, model_when_exact_has_estimates_equal_to_counts)
{
	static const uint64_t stack[] = { 0x401000 };
	struct model *m = model__new(0);
	struct proc *p;

	cr_assert_eq(model__alloc(m, 7, 1, 0x1000, 100, 0, MV_KIND_MALLOC, stack, 1), 0);
	cr_assert_eq(model__alloc(m, 7, 1, 0x2000, 300, 0x1000, MV_KIND_REALLOC, stack, 1), 0);
	p = model__find(m, 7);
	cr_assert_eq(p->heap.est_outstanding_bytes, 300);
	cr_assert_eq(p->heap.est_outstanding_allocs, 1);
	cr_assert_eq(p->heap.est_total_bytes, 400);
	cr_assert_eq(p->heap.est_total_frees, 1);
	cr_assert_eq(p->heap.est_outstanding_bytes_var, 0);
	model__free(m);
}
