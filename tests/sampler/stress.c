// SPDX-License-Identifier: GPL-2.0
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "stress.h"

struct stress_hooks stress_hooks;
uint64_t stress_generation;
bool stress_exact;
void (*stress_on_alloc)(void *ptr, uint64_t size, uint64_t weight, uint32_t kind,
			uint64_t generation);
void (*stress_on_free)(void *ptr, uint32_t kind, uint64_t generation);

static struct ctl_access ctl = { .mem_fd = -1 };
static const char *prog = "stress";

void stress_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stdout, "%s: FAIL: ", prog);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	_exit(1);
}

void stress_note(const char *fmt, ...)
{
	va_list ap;

	fprintf(stdout, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static void on_alarm(int sig)
{
	static const char msg[] = "stress: FAIL: time bound exceeded (deadlock?)\n";
	ssize_t r;

	(void)sig;
	r = write(STDOUT_FILENO, msg, sizeof(msg) - 1);
	(void)r;
	_exit(2);
}

void stress_init(const char *name, int timeout_s)
{
	int err;

	prog = name;
	signal(SIGALRM, on_alarm);
	alarm(timeout_s);
	err = ctl_access__open(&ctl, 0);
	if (err)
		stress_fail("cannot find %s in this process (%s): run it with LD_PRELOAD",
			    MV_SAMPLER_LIB_NAME, strerror(-err));
}

void stress_reopen(void)
{
	int err;

	ctl_access__close(&ctl);
	err = ctl_access__open(&ctl, 0);
	if (err)
		stress_fail("cannot find %s in this process (%s)", MV_SAMPLER_LIB_NAME,
			    strerror(-err));
}

bool stress_under_tsan(void)
{
	const char *v = getenv("STRESS_TSAN");

	return v && !strcmp(v, "1");
}

bool stress_hooks_expected(void)
{
	const char *v = getenv("STRESS_HOOKS");

	return v && !strcmp(v, "1");
}

uint64_t stress_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void stress_attach_lease(uint32_t mode, uint64_t period, uint64_t generation,
			 uint64_t lease_end_ns)
{
	int err = ctl_access__attach(&ctl, mode, period, generation, lease_end_ns, 0);

	if (err)
		stress_fail("attach: %s", strerror(-err));
}

void stress_attach_live_max(uint32_t mode, uint64_t period, uint64_t generation,
			    uint32_t live_max)
{
	int err = ctl_access__attach(&ctl, mode, period, generation, 0, live_max);

	if (err)
		stress_fail("attach: %s", strerror(-err));
}

void stress_attach(uint32_t mode, uint64_t period, uint64_t generation)
{
	stress_attach_lease(mode, period, generation, 0);
}

void stress_detach(void)
{
	int err = ctl_access__detach(&ctl);

	if (err)
		stress_fail("detach: %s", strerror(-err));
}

struct memvigil_sampler_ctl stress_ctl(void)
{
	struct memvigil_sampler_ctl c;
	int err = ctl_access__read(&ctl, &c);

	if (err)
		stress_fail("reading the control object: %s", strerror(-err));
	return c;
}

static uint64_t sum(const uint64_t *v)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < MV_KIND_CNT; i++)
		n += __atomic_load_n(&v[i], __ATOMIC_RELAXED);
	return n;
}

uint64_t stress_hook_allocs(void)
{
	return sum(stress_hooks.alloc);
}

uint64_t stress_hook_frees(void)
{
	return sum(stress_hooks.free);
}

void stress_hooks_reset(void)
{
	uint64_t *v = (uint64_t *)&stress_hooks;
	size_t i;

	for (i = 0; i < sizeof(stress_hooks) / sizeof(*v); i++)
		__atomic_store_n(&v[i], 0, __ATOMIC_RELAXED);
}

void stress_check_hooks(void)
{
	struct stress_hooks *h = &stress_hooks;

	if (h->bad_site || h->bad_kind || h->bad_generation || h->bad_weight)
		stress_fail("probe calls: %llu with a bad site, %llu bad kind, %llu bad generation, "
			    "%llu bad weight", (unsigned long long)h->bad_site,
			    (unsigned long long)h->bad_kind, (unsigned long long)h->bad_generation,
			    (unsigned long long)h->bad_weight);
}

static bool in_library(uint64_t addr)
{
	return addr >= ctl.text_start && addr < ctl.text_end;
}

/*
 * The probe jumped here: our return address is in the library function that
 * called it, whose frame (our saved %rbp) holds the allocation site.
 */
static __attribute__((noinline)) void check_site(void **fp)
{
	void **lib_fp = fp[0];
	uint64_t lib_ret = (uint64_t)fp[1], site = lib_fp ? (uint64_t)lib_fp[1] : 0;

	if (!in_library(lib_ret) || !site || in_library(site))
		__atomic_fetch_add(&stress_hooks.bad_site, 1, __ATOMIC_RELAXED);
}

static void check_generation(uint64_t generation)
{
	uint64_t want = __atomic_load_n(&stress_generation, __ATOMIC_RELAXED);

	if (want && generation != want)
		__atomic_fetch_add(&stress_hooks.bad_generation, 1, __ATOMIC_RELAXED);
}

__attribute__((noinline)) void memvigil_sampler_test_on_alloc(void *ptr, uint64_t size,
							     uint64_t weight, uint32_t kind,
							     uint64_t generation)
{
	check_site(__builtin_frame_address(0));
	if (kind >= MV_KIND_CNT || kind == MV_KIND_FREE) {
		__atomic_fetch_add(&stress_hooks.bad_kind, 1, __ATOMIC_RELAXED);
		return;
	}
	if (weight < size || (stress_exact && weight != size))
		__atomic_fetch_add(&stress_hooks.bad_weight, 1, __ATOMIC_RELAXED);
	check_generation(generation);
	__atomic_fetch_add(&stress_hooks.alloc[kind], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&stress_hooks.weight_bytes, weight, __ATOMIC_RELAXED);
	__atomic_fetch_add(&stress_hooks.size_bytes, size, __ATOMIC_RELAXED);
	if (stress_on_alloc)
		stress_on_alloc(ptr, size, weight, kind, generation);
}

__attribute__((noinline)) void memvigil_sampler_test_on_free(void *ptr, uint32_t kind,
							    uint64_t generation)
{
	check_site(__builtin_frame_address(0));
	if (kind >= MV_KIND_CNT) {
		__atomic_fetch_add(&stress_hooks.bad_kind, 1, __ATOMIC_RELAXED);
		return;
	}
	check_generation(generation);
	__atomic_fetch_add(&stress_hooks.free[kind], 1, __ATOMIC_RELAXED);
	if (stress_on_free)
		stress_on_free(ptr, kind, generation);
}
