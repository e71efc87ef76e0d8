// SPDX-License-Identifier: GPL-2.0
/*
 * st_modes: the control object written through /proc/self/mem while
 * threads allocate, as memvigil attaches, switches and detaches.
 *   1. storm: dormant -> sampled -> exact -> dormant, a new generation each
 *      time, while threads allocate and free each other's blocks;
 *   2. right after it, exact counts of a known number of calls;
 *   3. blocks sampled in one session and freed while dormant are forgotten:
 *      the next session reports only its own frees;
 *   4. a lease that runs out stops the reports (EXACT within 256 calls per
 *      thread, SAMPLED at the next sample), and a new attach resumes them.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "stress.h"

#define WORKERS 4
#define RING 1024		/* blocks handed from one worker to the next */
#define EXACT_CALLS 3000

struct ring {
	void *slot[RING];
	uint64_t head, tail;
};

static struct ring rings[WORKERS];	/* worker i fills rings[i], worker i+1 drains it */
static int phase;			/* 0 storm, 1 quiet (workers wait), 2 counted, 3 end */
static pthread_barrier_t sync_point;

static void ring_put(struct ring *r, void *p)
{
	uint64_t h = r->head;

	if (h - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) >= RING) {
		free(p);	/* full: free it here */
		return;
	}
	__atomic_store_n(&r->slot[h % RING], p, __ATOMIC_RELAXED);
	__atomic_store_n(&r->head, h + 1, __ATOMIC_RELEASE);
}

static void *ring_take(struct ring *r)
{
	uint64_t t = r->tail;
	void *p;

	if (t == __atomic_load_n(&r->head, __ATOMIC_ACQUIRE))
		return NULL;
	p = __atomic_load_n(&r->slot[t % RING], __ATOMIC_RELAXED);
	__atomic_store_n(&r->tail, t + 1, __ATOMIC_RELEASE);
	return p;
}

static void *one_alloc(unsigned int i)
{
	void *p;

	switch (i % 5) {
	case 0:
		return calloc(3, 10 + i % 400);
	case 1:
		p = malloc(64);
		return realloc(p, 16 + i % 9000);
	case 2:
		return posix_memalign(&p, 32, 100 + i % 100) ? NULL : p;
	default:
		return malloc(8 + i % 3000);
	}
}

static void *work(void *arg)
{
	int id = (int)(intptr_t)arg, k;
	struct ring *out = &rings[id], *in = &rings[(id + WORKERS - 1) % WORKERS];
	unsigned int i;
	void *p;

	for (i = 0; __atomic_load_n(&phase, __ATOMIC_ACQUIRE) == 0; i++) {
		ring_put(out, one_alloc(i));
		free(ring_take(in));
	}
	pthread_barrier_wait(&sync_point);	/* quiet: main drains the rings */
	pthread_barrier_wait(&sync_point);	/* counted */
	for (k = 0; k < EXACT_CALLS; k++) {
		p = malloc(40 + k % 100);
		free(p);
	}
	pthread_barrier_wait(&sync_point);
	return NULL;
}

static void storm(void)
{
	struct timespec pause = { 0, 5 * 1000 * 1000 };
	uint64_t generation = 300;
	int cycle;

	for (cycle = 0; cycle < 100; cycle++) {
		stress_attach(MV_SAMPLER_SAMPLED, 1024 + cycle * 64, ++generation);
		nanosleep(&pause, NULL);
		stress_attach(MV_SAMPLER_EXACT, 1024, ++generation);
		nanosleep(&pause, NULL);
		stress_detach();
		nanosleep(&pause, NULL);
	}
}

static void counted(pthread_t *t)
{
	struct memvigil_sampler_ctl c0, c1;
	uint64_t want = (uint64_t)WORKERS * EXACT_CALLS;
	void *p;
	int i;

	__atomic_store_n(&phase, 1, __ATOMIC_RELEASE);
	pthread_barrier_wait(&sync_point);
	for (i = 0; i < WORKERS; i++)
		while ((p = ring_take(&rings[i])))
			free(p);
	c0 = stress_ctl();
	stress_attach(MV_SAMPLER_EXACT, 1024, 500);
	pthread_barrier_wait(&sync_point);
	pthread_barrier_wait(&sync_point);
	stress_detach();
	c1 = stress_ctl();
	for (i = 0; i < WORKERS; i++)
		pthread_join(t[i], NULL);
	if (c1.alloc_probe_cnt - c0.alloc_probe_cnt != want ||
	    c1.free_probe_cnt - c0.free_probe_cnt != want)
		stress_fail("after the storm: %llu allocs and %llu frees reported, made %llu each",
			    (unsigned long long)(c1.alloc_probe_cnt - c0.alloc_probe_cnt),
			    (unsigned long long)(c1.free_probe_cnt - c0.free_probe_cnt),
			    (unsigned long long)want);
}

#define STALE_BLOCKS 2000

static void stale_session(void)
{
	static void *blocks[STALE_BLOCKS];
	struct memvigil_sampler_ctl c0, c1;
	int i;

	stress_attach(MV_SAMPLER_SAMPLED, 256, 601);	/* 4 KiB blocks: almost all sampled */
	for (i = 0; i < STALE_BLOCKS; i++)
		blocks[i] = malloc(4096);
	stress_detach();
	for (i = 0; i < STALE_BLOCKS; i++)
		free(blocks[i]);	/* dormant: not reported, their entries stay */
	stress_hooks_reset();
	stress_generation = 602;
	c0 = stress_ctl();
	stress_attach(MV_SAMPLER_SAMPLED, 256, 602);
	for (i = 0; i < STALE_BLOCKS; i++)
		blocks[i] = malloc(2048 + i % 4096);
	for (i = 0; i < STALE_BLOCKS; i++)
		free(blocks[i]);
	stress_detach();
	c1 = stress_ctl();
	stress_generation = 0;
	if (c1.alloc_probe_cnt - c0.alloc_probe_cnt != c1.free_probe_cnt - c0.free_probe_cnt)
		stress_fail("second session: %llu samples but %llu frees reported",
			    (unsigned long long)(c1.alloc_probe_cnt - c0.alloc_probe_cnt),
			    (unsigned long long)(c1.free_probe_cnt - c0.free_probe_cnt));
	if (stress_hooks_expected())
		stress_check_hooks();	/* no call carried the first session's generation */
}

static uint64_t allocs_during(uint64_t ns)
{
	uint64_t end = stress_now_ns() + ns, before = stress_ctl().alloc_probe_cnt;

	while (stress_now_ns() < end)
		free(malloc(100));
	return stress_ctl().alloc_probe_cnt - before;
}

static void lease(uint32_t mode)
{
	uint64_t before, during, after;

	stress_attach_lease(mode, 64, 700 + mode, stress_now_ns() + 100 * 1000 * 1000ull);
	before = allocs_during(50 * 1000 * 1000ull);
	allocs_during(100 * 1000 * 1000ull);	/* the lease ends in here */
	during = stress_ctl().lease_expired_cnt;
	after = allocs_during(50 * 1000 * 1000ull);
	if (!before || after || !during)
		stress_fail("lease (mode %u): %llu reports before its end, %llu after, %llu checks "
			    "found it over", mode, (unsigned long long)before,
			    (unsigned long long)after, (unsigned long long)during);
	stress_attach(mode, 64, 710 + mode);
	if (!allocs_during(10 * 1000 * 1000ull))
		stress_fail("lease (mode %u): no reports after a new attach", mode);
	stress_detach();
}

int main(void)
{
	pthread_t t[WORKERS];
	int i;

	stress_init("st_modes", 120);
	pthread_barrier_init(&sync_point, NULL, WORKERS + 1);
	for (i = 0; i < WORKERS; i++)
		if (pthread_create(&t[i], NULL, work, (void *)(intptr_t)i))
			stress_fail("pthread_create");
	storm();
	counted(t);
	if (stress_hooks_expected())
		stress_check_hooks();
	stress_note("300 mode changes while 4 threads allocated; then exact counts of %d calls",
		    WORKERS * EXACT_CALLS * 2);
	stale_session();
	stress_note("blocks of a session freed while dormant: not reported in the next one");
	lease(MV_SAMPLER_EXACT);
	lease(MV_SAMPLER_SAMPLED);
	stress_note("an ended lease stops the reports in both modes; a new attach resumes them");
	return 0;
}
