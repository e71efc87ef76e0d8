// SPDX-License-Identifier: GPL-2.0
/*
 * st_fork: forks from a process whose threads allocate all the while, in
 * the mode given (sampled or exact). Each child: allocates and frees from
 * its one thread and from a thread it starts, with exact probe counts in
 * exact mode; in sampled mode frees the sampled blocks it inherited, whose
 * frees it reports (the table is the parent's, copied), and (every fourth
 * fork) draws samples other than its parent's (the generator is reseeded). Children and parent
 * end within the time bound. Under TSan the child starts no thread
 * (stress_under_tsan).
 *
 *   st_fork sampled|exact
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "stress.h"

#define THREADS 3
#define FORKS 24
#define INHERITED 2000
#define PATTERN_ALLOCS 512

static int stop;
static bool exact;

static void *churn(void *arg)
{
	void *ring[64] = { 0 };
	unsigned int i;

	(void)arg;
	for (i = 0; !__atomic_load_n(&stop, __ATOMIC_RELAXED); i++) {
		free(ring[i % 64]);
		ring[i % 64] = malloc(16 + i % 4000);
	}
	for (i = 0; i < 64; i++)
		free(ring[i]);
	return NULL;
}

/* Which of PATTERN_ALLOCS allocations of 1 KiB this thread samples, as bits. */
static void sample_pattern(uint8_t *bits)
{
	struct memvigil_sampler_ctl c;
	uint64_t before;
	int i;

	memset(bits, 0, PATTERN_ALLOCS / 8);
	for (i = 0; i < PATTERN_ALLOCS; i++) {
		before = stress_ctl().alloc_probe_cnt;
		free(malloc(1024));
		c = stress_ctl();
		if (c.alloc_probe_cnt != before)
			bits[i / 8] |= 1 << (i % 8);
	}
}

static void *child_thread(void *arg)
{
	int i;

	for (i = 0; i < 1000; i++)
		free(malloc(100 + i));
	*(int *)arg = 1;
	return NULL;
}

/* The child's checks; its exit status tells the parent. pattern_fd < 0: no pattern. */
static int child(void **inherited, int pattern_fd)
{
	struct memvigil_sampler_ctl c0, c1;
	uint8_t bits[PATTERN_ALLOCS / 8];
	pthread_t t;
	int i, ran = 0;

	stress_reopen();
	c0 = stress_ctl();
	for (i = 0; i < INHERITED; i++)
		free(inherited[i]);
	c1 = stress_ctl();
	if (!exact && c1.free_probe_cnt == c0.free_probe_cnt)
		return 10;	/* no inherited sampled block reported freed */
	if (!stress_under_tsan() &&
	    (pthread_create(&t, NULL, child_thread, &ran) || pthread_join(t, NULL) || !ran))
		return 11;
	c0 = stress_ctl();
	for (i = 0; i < 500; i++)
		free(malloc(33));
	c1 = stress_ctl();
	/* other threads of the parent are gone: only this one allocates */
	if (exact && (c1.alloc_probe_cnt - c0.alloc_probe_cnt != 500 ||
		      c1.free_probe_cnt - c0.free_probe_cnt != 500)) {
		stress_note("child: %llu allocs and %llu frees reported, made 500 and 500",
			    (unsigned long long)(c1.alloc_probe_cnt - c0.alloc_probe_cnt),
			    (unsigned long long)(c1.free_probe_cnt - c0.free_probe_cnt));
		return 12;
	}
	if (!exact && pattern_fd >= 0) {
		sample_pattern(bits);
		if (write(pattern_fd, bits, sizeof(bits)) != sizeof(bits))
			return 13;
	}
	return 0;
}

static void fork_once(int n)
{
	static void *inherited[INHERITED];
	uint8_t mine[PATTERN_ALLOCS / 8], theirs[PATTERN_ALLOCS / 8];
	int fds[2], status, i;
	pid_t pid;

	for (i = 0; i < INHERITED; i++)
		inherited[i] = malloc(512);
	if (pipe(fds))
		stress_fail("pipe");
	pid = fork();
	if (pid < 0)
		stress_fail("fork");
	if (!pid)
		_exit(child(inherited, n % 4 ? -1 : fds[1]));
	close(fds[1]);
	for (i = 0; i < INHERITED; i++)
		free(inherited[i]);
	if (!exact && n % 4 == 0) {
		sample_pattern(mine);
		if (read(fds[0], theirs, sizeof(theirs)) != sizeof(theirs))
			stress_fail("fork %d: no sample pattern from the child", n);
		if (!memcmp(mine, theirs, sizeof(mine)))
			stress_fail("fork %d: the child sampled exactly what its parent did", n);
	}
	close(fds[0]);
	if (waitpid(pid, &status, 0) != pid)
		stress_fail("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		stress_fail("fork %d: child ended with status %#x", n, status);
}

int main(int argc, char **argv)
{
	pthread_t t[THREADS];
	int i;

	stress_init("st_fork", 120);
	exact = argc > 1 && !strcmp(argv[1], "exact");
	for (i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, churn, NULL))
			stress_fail("pthread_create");
	/* a short period in sampled mode: inherited blocks are surely sampled */
	stress_attach(exact ? MV_SAMPLER_EXACT : MV_SAMPLER_SAMPLED, 8192, 31);
	for (i = 0; i < FORKS; i++)
		fork_once(i);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	stress_detach();
	if (stress_hooks_expected())
		stress_check_hooks();
	stress_note("%s: %d forks from %d allocating threads, children checked", argv[1] ? argv[1] :
		    "sampled", FORKS, THREADS);
	return 0;
}
