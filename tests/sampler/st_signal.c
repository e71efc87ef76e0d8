// SPDX-License-Identifier: GPL-2.0
/*
 * st_signal: allocations in signal handlers that interrupt allocating
 * threads at any instruction, including inside the library, while the mode
 * cycles. Run with bump_alloc.so preloaded after the library: glibc's
 * malloc is not async-signal-safe, bump_alloc.so is, so whatever breaks is
 * the library's. Ends with a sampled session in which every block allocated
 * is also freed: the frees reported in that session equal the samples
 * reported in it, so the table stayed consistent under reentrancy. A call
 * that passed its mode check in an earlier session may still reach a probe
 * after the switch, with its own generation (include/memvigil/sampler.h:
 * memvigil drops those): the hooks of the test builds count the last
 * session's calls by generation and must balance exactly; the installed
 * build's counters also hold such late calls, at most a few per thread.
 *
 * Under TSan (STRESS_TSAN=1) the program runs without bump_alloc.so: TSan
 * delivers signals only at its own safe points, where its allocator may be
 * called, so the handlers interrupt the library less freely but their
 * allocations race with the other threads' under TSan's eye.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include "stress.h"

#define WORKERS 3
#define LAST_GENERATION 1000
/* Late calls of earlier sessions the installed build's counters may hold (per thread, nesting). */
#define LATE_CALLS_MAX (2 * (WORKERS + 2))

static pthread_t workers[WORKERS];
static int stop_workers, stop_signals;
static uint64_t handled;

static void handler(int sig)
{
	uint64_t n = __atomic_load_n(&handled, __ATOMIC_RELAXED);
	int saved = errno;
	char *p, *q;

	(void)sig;
	p = malloc(24 + n % 500);
	q = calloc(3, 40);
	if (p)
		p = realloc(p, 1000 + n % 3000);
	free(p);
	free(q);
	__atomic_fetch_add(&handled, 1, __ATOMIC_RELAXED);
	errno = saved;
}

/* Probe calls of the last session, as the test builds' hooks see them. */
static uint64_t last_allocs, last_frees;

static void on_alloc(void *ptr, uint64_t size, uint64_t weight, uint32_t kind,
		     uint64_t generation)
{
	(void)ptr;
	(void)size;
	(void)weight;
	(void)kind;
	if (generation == LAST_GENERATION)
		__atomic_fetch_add(&last_allocs, 1, __ATOMIC_RELAXED);
}

static void on_free(void *ptr, uint32_t kind, uint64_t generation)
{
	(void)ptr;
	(void)kind;
	if (generation == LAST_GENERATION)
		__atomic_fetch_add(&last_frees, 1, __ATOMIC_RELAXED);
}

/* Whether the last session's allocations and frees balance, as far as this build can tell. */
static bool last_session_balanced(const struct memvigil_sampler_ctl *c0,
				  const struct memvigil_sampler_ctl *c1)
{
	int64_t diff = (int64_t)(c1->alloc_probe_cnt - c0->alloc_probe_cnt) -
		       (int64_t)(c1->free_probe_cnt - c0->free_probe_cnt);

	if (stress_hooks_expected())
		return last_allocs && last_allocs == last_frees;
	return diff <= LATE_CALLS_MAX && diff >= -LATE_CALLS_MAX;
}

static void *work(void *arg)
{
	void *ring[32] = { 0 }, *p;
	unsigned int i;

	(void)arg;
	for (i = 0; !__atomic_load_n(&stop_workers, __ATOMIC_RELAXED); i++) {
		free(ring[i % 32]);
		switch (i % 4) {
		case 0:
			ring[i % 32] = malloc(16 + i % 2000);
			break;
		case 1:
			ring[i % 32] = calloc(2, 8 + i % 700);
			break;
		case 2:
			p = malloc(32);
			ring[i % 32] = realloc(p, 64 + i % 5000);
			break;
		default:
			ring[i % 32] = posix_memalign(&p, 64, 100) ? NULL : p;
			break;
		}
	}
	for (i = 0; i < 32; i++)
		free(ring[i]);
	return NULL;
}

static void *signal_loop(void *arg)
{
	struct timespec gap = { 0, 20 * 1000 };
	unsigned int i;

	(void)arg;
	for (i = 0; !__atomic_load_n(&stop_signals, __ATOMIC_RELAXED); i++) {
		pthread_kill(workers[i % WORKERS], SIGUSR1);
		if (i % 4 == 0)
			pthread_kill(workers[(i / 4) % WORKERS], SIGUSR2);
		nanosleep(&gap, NULL);
	}
	return NULL;
}

static void set_timer(long usec)
{
	struct itimerval it = { { 0, usec }, { 0, usec } };

	setitimer(ITIMER_PROF, &it, NULL);
}

int main(void)
{
	struct timespec pause = { 0, 30 * 1000 * 1000 };
	struct memvigil_sampler_ctl c0, c1;
	struct sigaction sa;
	pthread_t signaller;
	int i, cycle;

	stress_init("st_signal", 90);
	if (!stress_under_tsan() && !dlsym(RTLD_DEFAULT, "bump_alloc_present"))
		stress_fail("run with bump_alloc.so preloaded after the library");
	stress_on_alloc = on_alloc;	/* before any thread: they count the last session only */
	stress_on_free = on_free;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGPROF, &sa, NULL);
	for (i = 0; i < WORKERS; i++)
		if (pthread_create(&workers[i], NULL, work, NULL))
			stress_fail("pthread_create");
	if (pthread_create(&signaller, NULL, signal_loop, NULL))
		stress_fail("pthread_create");
	set_timer(200);
	for (cycle = 0; cycle < 45; cycle++) {
		if (cycle % 3 == 0)
			stress_attach(MV_SAMPLER_SAMPLED, 2048, 200 + cycle);
		else if (cycle % 3 == 1)
			stress_attach(MV_SAMPLER_EXACT, 2048, 200 + cycle);
		else
			stress_detach();
		nanosleep(&pause, NULL);
	}

	/* a last session whose blocks are all freed within it */
	c0 = stress_ctl();
	stress_attach(MV_SAMPLER_SAMPLED, 1024, LAST_GENERATION);
	nanosleep(&pause, NULL);
	nanosleep(&pause, NULL);
	set_timer(0);
	__atomic_store_n(&stop_signals, 1, __ATOMIC_RELAXED);
	pthread_join(signaller, NULL);
	__atomic_store_n(&stop_workers, 1, __ATOMIC_RELAXED);
	for (i = 0; i < WORKERS; i++)
		pthread_join(workers[i], NULL);
	c1 = stress_ctl();
	stress_detach();
	if (!last_session_balanced(&c0, &c1))
		stress_fail("last session: %llu samples reported, %llu frees (%llu and %llu of its "
			    "generation): the table lost track",
			    (unsigned long long)(c1.alloc_probe_cnt - c0.alloc_probe_cnt),
			    (unsigned long long)(c1.free_probe_cnt - c0.free_probe_cnt),
			    (unsigned long long)last_allocs, (unsigned long long)last_frees);
	if (c1.alloc_probe_cnt == c0.alloc_probe_cnt || handled < 1000)
		stress_fail("too little happened: %llu samples, %llu signals handled",
			    (unsigned long long)(c1.alloc_probe_cnt - c0.alloc_probe_cnt),
			    (unsigned long long)handled);
	if (stress_hooks_expected())
		stress_check_hooks();
	stress_note("%llu signal handlers allocated over %d mode changes; last session: %llu "
		    "samples, %llu frees (%s)", (unsigned long long)handled, cycle,
		    (unsigned long long)(c1.alloc_probe_cnt - c0.alloc_probe_cnt),
		    (unsigned long long)(c1.free_probe_cnt - c0.free_probe_cnt),
		    stress_hooks_expected() ? "as many of its generation" : "late calls included");
	return 0;
}
