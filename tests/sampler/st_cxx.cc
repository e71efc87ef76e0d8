// SPDX-License-Identifier: GPL-2.0
/*
 * st_cxx: every form of operator new and delete, from two threads, in
 * EXACT mode. One alloc probe call per new and one free probe call per
 * delete of a non-null pointer, never a second one for the malloc that
 * libstdc++'s operator new makes; the kinds tell new from new[] and delete
 * from delete[]. A throwing new that gets no memory throws std::bad_alloc
 * and reports nothing, and the thread's next allocation is reported again;
 * a nothrow new returns nullptr. Runs in front of libstdc++'s operators and
 * of tcmalloc's, jemalloc's and mimalloc's own.
 */
#include <cstdint>
#include <cstdlib>
#include <new>
#include <pthread.h>
#include "stress.h"

static const int threads = 2;
static const int rounds = 5000;
static pthread_barrier_t start, done;

struct counts {
	uint64_t alloc[MV_KIND_CNT] = {};
	uint64_t free[MV_KIND_CNT] = {};
};

static void *escape(void *p)
{
	asm volatile("" : : "r"(p) : "memory");
	if (!p)
		stress_fail("operator new returned nullptr");
	return p;
}

static void one_round(counts &e, size_t n)
{
	const std::align_val_t al = static_cast<std::align_val_t>(64);
	void *p;

	p = escape(::operator new(n));
	::operator delete(p);
	p = escape(::operator new(n));
	::operator delete(p, n);
	p = escape(::operator new(n, std::nothrow));
	::operator delete(p, std::nothrow);
	p = escape(::operator new(n, al));
	::operator delete(p, al);
	p = escape(::operator new(n, al));
	::operator delete(p, n, al);
	p = escape(::operator new(n, al, std::nothrow));
	::operator delete(p, al, std::nothrow);
	e.alloc[MV_KIND_OPERATOR_NEW] += 6;
	e.free[MV_KIND_OPERATOR_DELETE] += 6;

	p = escape(::operator new[](n));
	::operator delete[](p);
	p = escape(::operator new[](n));
	::operator delete[](p, n);
	p = escape(::operator new[](n, std::nothrow));
	::operator delete[](p, std::nothrow);
	p = escape(::operator new[](n, al));
	::operator delete[](p, al);
	p = escape(::operator new[](n, al));
	::operator delete[](p, n, al);
	p = escape(::operator new[](n, al, std::nothrow));
	::operator delete[](p, al, std::nothrow);
	e.alloc[MV_KIND_OPERATOR_NEW_ARRAY] += 6;
	e.free[MV_KIND_OPERATOR_DELETE_ARRAY] += 6;

	::operator delete(nullptr);	/* nothing freed: no probe */
	::operator delete[](nullptr, al);
}

/*
 * Allocations that fail: nothing reported, and the thread is reported again
 * afterwards. Each exception thrown is itself a malloc'd and freed block
 * (__cxa_allocate_exception).
 */
static void failing_news(counts &e)
{
	const size_t huge = SIZE_MAX / 4;
	bool thrown = false;
	void *p;

	try {
		p = ::operator new(huge);
		asm volatile("" : : "r"(p) : "memory");
	} catch (const std::bad_alloc &) {
		thrown = true;
	}
	if (!thrown)
		stress_fail("operator new(SIZE_MAX / 4) did not throw");
	thrown = false;
	try {
		p = ::operator new[](huge, static_cast<std::align_val_t>(64));
		asm volatile("" : : "r"(p) : "memory");
	} catch (const std::bad_alloc &) {
		thrown = true;
	}
	if (!thrown)
		stress_fail("operator new[](SIZE_MAX / 4, align 64) did not throw");
	if (::operator new(huge, std::nothrow))
		stress_fail("operator new(SIZE_MAX / 4, nothrow) did not return nullptr");
	e.alloc[MV_KIND_MALLOC] += 2;	/* the two exceptions */
	e.free[MV_KIND_FREE] += 2;
	p = escape(malloc(24));
	free(p);
	e.alloc[MV_KIND_MALLOC]++;
	e.free[MV_KIND_FREE]++;
}

static void *run(void *arg)
{
	counts *e = static_cast<counts *>(arg);

	pthread_barrier_wait(&start);
	for (int i = 0; i < rounds; i++)
		one_round(*e, 8 + (size_t)i % 700);
	failing_news(*e);
	pthread_barrier_wait(&done);
	return nullptr;
}

static uint64_t total(const uint64_t *v)
{
	uint64_t n = 0;

	for (int k = 0; k < MV_KIND_CNT; k++)
		n += v[k];
	return n;
}

int main()
{
	counts e[threads], want;
	pthread_t t[threads];

	stress_init("st_cxx", 60);
	pthread_barrier_init(&start, nullptr, threads + 1);
	pthread_barrier_init(&done, nullptr, threads + 1);
	for (int i = 0; i < threads; i++)
		if (pthread_create(&t[i], nullptr, run, &e[i]))
			stress_fail("pthread_create");
	memvigil_sampler_ctl c0 = stress_ctl();
	stress_generation = 5;
	stress_exact = true;
	stress_attach(MV_SAMPLER_EXACT, 4096, 5);
	pthread_barrier_wait(&start);
	pthread_barrier_wait(&done);
	stress_detach();
	memvigil_sampler_ctl c1 = stress_ctl();
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], nullptr);
		for (int k = 0; k < MV_KIND_CNT; k++) {
			want.alloc[k] += e[i].alloc[k];
			want.free[k] += e[i].free[k];
		}
	}
	if (c1.alloc_probe_cnt - c0.alloc_probe_cnt != total(want.alloc) ||
	    c1.free_probe_cnt - c0.free_probe_cnt != total(want.free))
		stress_fail("probe calls: %llu allocs and %llu frees, made %llu and %llu",
			    (unsigned long long)(c1.alloc_probe_cnt - c0.alloc_probe_cnt),
			    (unsigned long long)(c1.free_probe_cnt - c0.free_probe_cnt),
			    (unsigned long long)total(want.alloc),
			    (unsigned long long)total(want.free));
	if (stress_hooks_expected()) {
		for (int k = 0; k < MV_KIND_CNT; k++)
			if (stress_hooks.alloc[k] != want.alloc[k] ||
			    stress_hooks.free[k] != want.free[k])
				stress_fail("kind %d: hooks saw %llu allocs and %llu frees, made "
					    "%llu and %llu", k,
					    (unsigned long long)stress_hooks.alloc[k],
					    (unsigned long long)stress_hooks.free[k],
					    (unsigned long long)want.alloc[k],
					    (unsigned long long)want.free[k]);
		stress_check_hooks();
	}
	stress_note("exact: %llu operator calls and 6 failing ones, each reported once%s",
		    (unsigned long long)(total(want.alloc) + total(want.free)),
		    stress_hooks_expected() ? " (hooks: kinds, weights and sites checked)" : "");
	return 0;
}
