// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include "memvigil/sampling.h"
#include "addr_set.h"
#include "probes.h"
#include "sample_math.h"
#include "trace.h"

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

/* EXACT mode checks the lease once every this many calls of a thread. */
#define LEASE_CHECK_CALLS 256

MVS_EXPORT struct memvigil_sampler_ctl memvigil_sampler_ctl = {
	.magic = MV_SAMPLER_MAGIC,
	.abi_version = MV_SAMPLER_ABI_VERSION,
	.ctl_bytes = sizeof(struct memvigil_sampler_ctl),
	.mode = MV_SAMPLER_DORMANT,
	.period_bytes = MV_SAMPLER_PERIOD_DEFAULT,
};
extern struct memvigil_sampler_ctl mvs_ctl
	__attribute__((alias("memvigil_sampler_ctl"), visibility("hidden")));

__thread uint32_t mvs_depth MVS_TLS;

__thread struct thread_sampler mvs_thread MVS_TLS;

static uint32_t fork_epoch;
struct addr_set *mvs_sampled_set;	/* mapped at the first sample, never unmapped */

static inline uint64_t ctl_load(const __u64 *field)
{
	return __atomic_load_n(field, __ATOMIC_RELAXED);
}

static inline void ctl_count(__u64 *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * The generation a call that acted in mode reports under, or 0 (report
 * nothing) when the mode changed meanwhile. memvigil writes DORMANT, then
 * the new generation, then the new mode: a call that read its mode at its
 * entry, then the generation, then the same mode again belongs to that
 * generation, whatever happened while it was descheduled in between.
 */
static inline uint64_t generation_for(uint32_t mode)
{
	uint64_t generation = __atomic_load_n(&mvs_ctl.generation, __ATOMIC_ACQUIRE);

	return __atomic_load_n(&mvs_ctl.mode, __ATOMIC_RELAXED) == mode ? generation : 0;
}

/* A thread's sampler starts afresh in each session. */
static inline void thread_sync(struct thread_sampler *t, uint64_t generation)
{
	if (likely(t->generation == generation))
		return;
	t->generation = generation;
	t->left = 0;
	t->lease_calls = 0;
}

/* Seed the thread's generator at its first sample, and again in a fork's child. */
static inline void rng_ready(struct thread_sampler *t)
{
	uint32_t epoch = __atomic_load_n(&fork_epoch, __ATOMIC_RELAXED);

	if (likely(t->rng && t->fork_epoch == epoch))
		return;
	t->rng = sample_rng__seed((uint64_t)gettid() << 40 ^ now_ns() ^ (uintptr_t)t ^
				  (uint64_t)epoch << 20);
	t->fork_epoch = epoch;
}

static uint64_t period_now(void)
{
	uint64_t period = ctl_load(&mvs_ctl.period_bytes);

	if (!period)
		return 1;
	return period > MV_SAMPLE_BYTES_MAX ? MV_SAMPLE_BYTES_MAX : period;
}

static bool lease_over(void)
{
	uint64_t end = ctl_load(&mvs_ctl.lease_end_ns);

	if (!end || now_ns() <= end)
		return false;
	ctl_count(&mvs_ctl.lease_expired_cnt);
	return true;
}

static bool exact_lease_over(struct thread_sampler *t)
{
	if (t->lease_calls) {
		t->lease_calls--;
		return t->lease_over;
	}
	t->lease_calls = LEASE_CHECK_CALLS - 1;
	t->lease_over = lease_over();
	return t->lease_over;
}

static uint32_t set_slots_for(uint32_t live_max)
{
	uint64_t want = 2ull * (live_max ? live_max : MV_SAMPLER_LIVE_MAX_DEFAULT);
	uint32_t slots = MV_SAMPLER_SLOTS_MIN;

	while (slots < want && slots < MV_SAMPLER_SLOTS_MAX)
		slots <<= 1;
	return slots;
}

/* Map the table; the first thread to publish one wins, the others unmap theirs. */
static struct addr_set *set_create(void)
{
	uint32_t slots = set_slots_for(__atomic_load_n(&mvs_ctl.live_max, __ATOMIC_RELAXED));
	size_t bytes = addr_set__bytes(slots);
	struct addr_set *set, *published = NULL;
	int saved_errno = errno;
	void *mem;

	mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	if (mem == MAP_FAILED) {
		trace__set_flags(MV_SAMPLER_F_SET_FAILED);
		errno = saved_errno;
		return NULL;
	}
	/* a name in /proc/PID/maps where the kernel has them; optional */
	prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)mem, bytes,
	      (unsigned long)"memvigil-sampler");
	set = addr_set__init(mem, slots);
	if (!__atomic_compare_exchange_n(&mvs_sampled_set, &published, set, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		munmap(mem, bytes);
		set = published;
	} else {
		__atomic_store_n(&mvs_ctl.set_slots, slots, __ATOMIC_RELAXED);
	}
	errno = saved_errno;
	return set;
}

static bool sampled_alloc(struct thread_sampler *t, void *ptr, size_t size, uint64_t generation,
			  uint64_t *weight_bytes)
{
	uint64_t period = period_now();
	struct addr_set *set;
	/* a local copy: a signal handler's update in between is lost, never torn */
	__u64 left = __atomic_load_n(&t->left, __ATOMIC_RELAXED);
	bool sampled;

	if (!left)
		rng_ready(t);
	sampled = sample_math__take(&left, &t->rng, size, period);
	__atomic_store_n(&t->left, left, __ATOMIC_RELAXED);
	if (likely(!sampled))
		return false;
	if (lease_over())
		return false;
	set = __atomic_load_n(&mvs_sampled_set, __ATOMIC_ACQUIRE);
	if (!set)
		set = set_create();
	if (!set || addr_set__insert(set, (uintptr_t)ptr, (uint8_t)generation)) {
		ctl_count(&mvs_ctl.sample_drop_cnt);
		return false;
	}
	*weight_bytes = sample_math__weight_bytes(size, period);
	return true;
}

bool trace__alloc(void *ptr, size_t size, uint32_t mode, struct trace_alloc *out)
{
	struct thread_sampler *t = &mvs_thread;
	uint64_t generation;

	probes__fork_check();	/* before the draw and the probe call */
	generation = generation_for(mode);
	if (!generation)
		return false;
	thread_sync(t, generation);
	if (mode == MV_SAMPLER_SAMPLED) {
		if (!sampled_alloc(t, ptr, size, generation, &out->weight_bytes))
			return false;
	} else if (mode == MV_SAMPLER_EXACT) {
		if (exact_lease_over(t))
			return false;
		out->weight_bytes = size;
	} else {
		return false;
	}
	out->generation = generation;
	ctl_count(&mvs_ctl.alloc_probe_cnt);
	return true;
}

static bool sampled_free(void *ptr, uint64_t generation)
{
	struct addr_set *set = __atomic_load_n(&mvs_sampled_set, __ATOMIC_ACQUIRE);

	if (!set)
		return false;
	switch (addr_set__remove(set, (uintptr_t)ptr, (uint8_t)generation)) {
	case ADDR_SET_HIT:
		return true;
	case ADDR_SET_STALE:
		ctl_count(&mvs_ctl.stale_drop_cnt);
		return false;
	default:
		return false;
	}
}

bool trace__free(void *ptr, uint32_t mode, uint64_t *generation)
{
	struct thread_sampler *t;
	uint64_t gen;

	probes__fork_check();
	gen = generation_for(mode);
	if (!gen)
		return false;
	if (mode == MV_SAMPLER_SAMPLED) {
		if (likely(!sampled_free(ptr, gen)))
			return false;
	} else if (mode == MV_SAMPLER_EXACT) {
		t = &mvs_thread;
		thread_sync(t, gen);
		if (exact_lease_over(t))
			return false;
	} else {
		return false;
	}
	*generation = gen;
	ctl_count(&mvs_ctl.free_probe_cnt);
	return true;
}

void trace__realloc_failed(void)
{
	ctl_count(&mvs_ctl.realloc_fail_cnt);
}

void trace__fork_child(void)
{
	__atomic_fetch_add(&fork_epoch, 1, __ATOMIC_RELAXED);
}

void trace__set_flags(uint32_t flags)
{
	__atomic_fetch_or(&mvs_ctl.flags, flags, __ATOMIC_RELAXED);
}

void trace__start(uint32_t mode, uint64_t period, uint64_t generation)
{
	__atomic_store_n(&mvs_ctl.period_bytes, period, __ATOMIC_RELAXED);
	__atomic_store_n(&mvs_ctl.generation, generation, __ATOMIC_RELAXED);
	__atomic_store_n(&mvs_ctl.mode, mode, __ATOMIC_RELEASE);
}
