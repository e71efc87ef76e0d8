// SPDX-License-Identifier: GPL-2.0
/*
 * st_exact: every C allocator entry point, from several threads at once, in
 * EXACT mode. The alloc probe is called once per allocation and the free
 * probe once per free (the library's counters; with the test build, by kind,
 * with weight == size and the allocation site outside the library), a
 * failed realloc is counted, and nothing is reported while dormant. Calls
 * only the functions the next allocator defines itself, so it runs in front
 * of glibc, jemalloc, tcmalloc, mimalloc or bump_alloc.so alike.
 */
#include <dlfcn.h>
#include <link.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "stress.h"

#define THREADS 4
#define ROUNDS 5000
#define MAX_OBJECTS 64

enum optional_fn { F_REALLOCARRAY, F_PVALLOC, F_VALLOC, F_MEMALIGN, F_ALIGNED_ALLOC, F_CNT };
static const char *const optional_names[F_CNT] = {
	"reallocarray", "pvalloc", "valloc", "memalign", "aligned_alloc",
};
static bool have[F_CNT];

struct expect {
	uint64_t alloc[MV_KIND_CNT];
	uint64_t free[MV_KIND_CNT];
	uint64_t realloc_fail;
};

struct worker {
	pthread_t thread;
	int id;
	struct expect e;
};

static pthread_barrier_t start, done;

struct object {
	char name[256];
	uintptr_t base;
};

static struct object objects[MAX_OBJECTS];
static int object_cnt;

static int collect(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	if (object_cnt < MAX_OBJECTS) {
		snprintf(objects[object_cnt].name, sizeof(objects[0].name), "%s", info->dlpi_name);
		objects[object_cnt++].base = info->dlpi_addr;
	}
	return 0;
}

/* Base of the first object after the sampler, in load order, that defines name itself. */
static uintptr_t next_provider(const char *name)
{
	bool after = false;
	Dl_info info;
	void *h, *sym;
	int i;

	for (i = 0; i < object_cnt; i++) {
		if (strstr(objects[i].name, MV_SAMPLER_LIB_NAME)) {
			after = true;
			continue;
		}
		if (!after || !objects[i].name[0])
			continue;
		h = dlopen(objects[i].name, RTLD_LAZY | RTLD_NOLOAD);
		sym = h ? dlsym(h, name) : NULL;
		if (sym && dladdr(sym, &info) && (uintptr_t)info.dli_fbase == objects[i].base)
			return objects[i].base;
	}
	return 0;
}

static void find_optional_functions(void)
{
	uintptr_t allocator;
	int f;

	dl_iterate_phdr(collect, NULL);
	allocator = next_provider("malloc");
	if (!allocator)
		stress_fail("no allocator after the sampler in load order");
	for (f = 0; f < F_CNT; f++)
		have[f] = next_provider(optional_names[f]) == allocator;
}

static void *must(void *p)
{
	if (!p)
		stress_fail("allocation failed");
	return p;
}

/* One round of calls; e counts the probe calls they must make. */
static void one_round(struct expect *e, unsigned int i)
{
	size_t n = 16 + (i * 37u) % 3000;
	void *p[10], *q;
	int k = 0, j;

	p[k++] = must(malloc(n));
	e->alloc[MV_KIND_MALLOC]++;
	p[k++] = must(calloc(3, n));
	e->alloc[MV_KIND_CALLOC]++;
	q = must(realloc(NULL, n));
	e->alloc[MV_KIND_REALLOC]++;
	q = must(realloc(q, 2 * n));
	e->free[MV_KIND_REALLOC]++;
	e->alloc[MV_KIND_REALLOC]++;
	if (have[F_REALLOCARRAY]) {
		q = must(reallocarray(q, 3, n));
		e->free[MV_KIND_REALLOCARRAY]++;
		e->alloc[MV_KIND_REALLOCARRAY]++;
	}
	p[k++] = q;
	if (posix_memalign(&q, 64, n))
		stress_fail("posix_memalign failed");
	p[k++] = q;
	e->alloc[MV_KIND_POSIX_MEMALIGN]++;
	if (have[F_ALIGNED_ALLOC]) {
		p[k++] = must(aligned_alloc(64, (n + 63) & ~(size_t)63));
		e->alloc[MV_KIND_ALIGNED_ALLOC]++;
	}
	if (have[F_MEMALIGN]) {
		p[k++] = must(memalign(32, n));
		e->alloc[MV_KIND_MEMALIGN]++;
	}
	if (have[F_VALLOC] && i % 8 == 0) {
		p[k++] = must(valloc(n));
		e->alloc[MV_KIND_VALLOC]++;
	}
	if (have[F_PVALLOC] && i % 8 == 4) {
		p[k++] = must(pvalloc(n));
		e->alloc[MV_KIND_PVALLOC]++;
	}
	free(NULL);	/* not a free of anything: no probe */
	q = must(malloc(n));
	e->alloc[MV_KIND_MALLOC]++;
	q = realloc(q, 0);	/* glibc frees and returns NULL; others return a block */
	e->free[MV_KIND_REALLOC]++;
	if (q) {
		e->alloc[MV_KIND_REALLOC]++;
		p[k++] = q;
	}
	for (j = 0; j < k; j++)
		free(p[j]);
	e->free[MV_KIND_FREE] += k;
}

/* A realloc that fails leaves its block live; its reported free is counted as a failure. */
static void failing_realloc(struct expect *e)
{
	void *p = must(malloc(64)), *q;

	e->alloc[MV_KIND_MALLOC]++;
	q = realloc(p, (size_t)1 << 62);
	e->free[MV_KIND_REALLOC]++;
	if (q)
		stress_fail("a realloc of 2^62 bytes succeeded");
	e->realloc_fail++;
	free(p);
	e->free[MV_KIND_FREE]++;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	unsigned int i;

	pthread_barrier_wait(&start);
	for (i = 0; i < ROUNDS; i++)
		one_round(&w->e, i + w->id * ROUNDS);
	if (w->id == 0)
		failing_realloc(&w->e);
	pthread_barrier_wait(&done);
	return NULL;
}

static uint64_t total(const uint64_t *v)
{
	uint64_t n = 0;
	int k;

	for (k = 0; k < MV_KIND_CNT; k++)
		n += v[k];
	return n;
}

static void check_counts(const struct expect *e, const struct memvigil_sampler_ctl *c0,
			 const struct memvigil_sampler_ctl *c1)
{
	int k;

	if (c1->alloc_probe_cnt - c0->alloc_probe_cnt != total(e->alloc) ||
	    c1->free_probe_cnt - c0->free_probe_cnt != total(e->free))
		stress_fail("probe calls: %llu allocs and %llu frees, made %llu and %llu",
			    (unsigned long long)(c1->alloc_probe_cnt - c0->alloc_probe_cnt),
			    (unsigned long long)(c1->free_probe_cnt - c0->free_probe_cnt),
			    (unsigned long long)total(e->alloc), (unsigned long long)total(e->free));
	if (c1->realloc_fail_cnt - c0->realloc_fail_cnt != e->realloc_fail)
		stress_fail("realloc failures counted: %llu, made %llu",
			    (unsigned long long)(c1->realloc_fail_cnt - c0->realloc_fail_cnt),
			    (unsigned long long)e->realloc_fail);
	if (!stress_hooks_expected())
		return;
	for (k = 0; k < MV_KIND_CNT; k++)
		if (stress_hooks.alloc[k] != e->alloc[k] || stress_hooks.free[k] != e->free[k])
			stress_fail("kind %d: hooks saw %llu allocs and %llu frees, made %llu and %llu",
				    k, (unsigned long long)stress_hooks.alloc[k],
				    (unsigned long long)stress_hooks.free[k],
				    (unsigned long long)e->alloc[k], (unsigned long long)e->free[k]);
	stress_check_hooks();
}

int main(void)
{
	struct memvigil_sampler_ctl c0, c1;
	struct worker w[THREADS];
	struct expect e = { 0 };
	int i, k;

	stress_init("st_exact", 60);
	find_optional_functions();
	pthread_barrier_init(&start, NULL, THREADS + 1);
	pthread_barrier_init(&done, NULL, THREADS + 1);
	for (i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .id = i };
		if (pthread_create(&w[i].thread, NULL, run, &w[i]))
			stress_fail("pthread_create");
	}
	c0 = stress_ctl();
	stress_generation = 11;
	stress_exact = true;
	stress_attach(MV_SAMPLER_EXACT, 4096, 11);
	pthread_barrier_wait(&start);
	pthread_barrier_wait(&done);
	stress_detach();
	c1 = stress_ctl();
	for (i = 0; i < THREADS; i++) {
		pthread_join(w[i].thread, NULL);
		for (k = 0; k < MV_KIND_CNT; k++) {
			e.alloc[k] += w[i].e.alloc[k];
			e.free[k] += w[i].e.free[k];
		}
		e.realloc_fail += w[i].e.realloc_fail;
	}
	check_counts(&e, &c0, &c1);
	stress_note("exact: %llu allocs and %llu frees, each reported once%s",
		    (unsigned long long)total(e.alloc), (unsigned long long)total(e.free),
		    stress_hooks_expected() ? " (hooks: kinds, weights and sites checked)" : "");

	/* dormant: the same calls report nothing */
	memset(&e, 0, sizeof(e));
	for (i = 0; i < 1000; i++)
		one_round(&e, i);
	c0 = stress_ctl();
	if (c0.alloc_probe_cnt != c1.alloc_probe_cnt || c0.free_probe_cnt != c1.free_probe_cnt)
		stress_fail("dormant: probes were called");
	return 0;
}
