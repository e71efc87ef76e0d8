// SPDX-License-Identifier: GPL-2.0
/*
 * paced_churn [ROUNDS]: a fixed amount of heap work, paced so that it lasts
 * (25 ms between rounds), with an answer that does not depend on timing: a
 * tracer may attach and detach any number of times while it runs, and the
 * answer must come out the same as untraced.
 *
 * Each of 4 threads runs ROUNDS rounds (default 150) of 1000 operations from
 * its own seeded generator: malloc, calloc or realloc of 1..8192 bytes, filled
 * with a pattern of the thread, the operation and the size; a block stays in a
 * 256-slot ring until replaced, and is checked against its pattern before it
 * is freed or grown (a block whose contents changed is counted as corrupt).
 * Every 50th round a thread forks a child that does one round of its own and
 * exits 0 when its blocks checked out. A thread exits with blocks still live
 * in its ring (freed by main). Prints "READY <pid>" first and last
 * "RESULT sum=<S> corrupt=<C> children_failed=<F>"; S sums what every block
 * held, so it is the same whatever interleaving or tracer.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "truth.h"
#include "wl_rand.h"

#define THREADS 4
#define OPS 1000
#define SLOTS 256
#define MAX_BYTES 8192
#define FORK_EVERY 50

struct block {
	unsigned char *p;
	size_t size;
	unsigned char fill;
};

struct worker {
	pthread_t thread;
	uint64_t rng;
	struct block ring[SLOTS];
	uint64_t sum, corrupt, children_failed;
	long rounds;
};

/* Check b against its pattern and add what it held to w's sum. */
static void block_check(struct worker *w, const struct block *b)
{
	size_t i;

	for (i = 0; i < b->size; i++)
		if (b->p[i] != (unsigned char)(b->fill + i)) {
			w->corrupt++;
			return;
		}
	w->sum += b->size * b->fill;
}

static void block_fill(struct block *b)
{
	size_t i;

	for (i = 0; i < b->size; i++)
		b->p[i] = (unsigned char)(b->fill + i);
}

/* One operation on slot s of w's ring. */
static void op(struct worker *w, size_t s)
{
	struct block *b = &w->ring[s];
	uint64_t r = wl_rand_next(&w->rng);
	size_t size = 1 + (r >> 2) % MAX_BYTES;
	unsigned char *p;

	if (b->p)
		block_check(w, b);
	if (b->p && r % 3 == 2) {
		p = realloc(b->p, size);
		if (!p)
			return;
		b->p = p;
	} else {
		free(b->p);
		b->p = r % 3 == 1 ? calloc(1, size) : malloc(size);
		if (!b->p)
			return;
	}
	b->size = size;
	b->fill = (unsigned char)(r >> 15);
	block_fill(b);
}

static void round_of(struct worker *w)
{
	long i;

	for (i = 0; i < OPS; i++)
		op(w, wl_rand_next(&w->rng) % SLOTS);
}

/* A child of w does one round on a copy of w's ring and says whether it checked out. */
static void fork_child(struct worker *w)
{
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		w->children_failed++;
		return;
	}
	if (!pid) {
		w->corrupt = 0;
		round_of(w);
		_exit(w->corrupt ? 1 : 0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "paced_churn: child %d ended with status 0x%x\n", (int)pid, status);
		w->children_failed++;
	}
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct timespec pace = { 0, 25 * 1000 * 1000 };
	long r;

	for (r = 0; r < w->rounds; r++) {
		round_of(w);
		if (r % FORK_EVERY == FORK_EVERY - 1)
			fork_child(w);
		nanosleep(&pace, NULL);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static struct worker w[THREADS];
	long rounds = argc > 1 ? atol(argv[1]) : 150;
	uint64_t sum = 0, corrupt = 0, failed = 0;
	int i, s;

	truth_ready();
	for (i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .rng = 0x9e3779b97f4a7c15ull * (i + 1), .rounds = rounds };
		if (pthread_create(&w[i].thread, NULL, work, &w[i]))
			return 2;
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(w[i].thread, NULL);
		for (s = 0; s < SLOTS; s++)
			if (w[i].ring[s].p) {
				block_check(&w[i], &w[i].ring[s]);
				free(w[i].ring[s].p);
			}
		sum += w[i].sum;
		corrupt += w[i].corrupt;
		failed += w[i].children_failed;
	}
	printf("RESULT sum=%llu corrupt=%llu children_failed=%llu\n", (unsigned long long)sum,
	       (unsigned long long)corrupt, (unsigned long long)failed);
	return corrupt || failed ? 1 : 0;
}
