// SPDX-License-Identifier: GPL-2.0
/*
 * threads: allocations and frees on different threads.
 *
 * Two producer threads malloc blocks in produce_blocks and hand them through
 * a mutex-protected queue to a consumer thread that frees them all (every
 * free happens on another thread than its malloc). A fourth thread leaks a
 * known amount in leak_in_thread. The ground truth goes to stdout as in
 * alloc_family:
 *
 *   TRUTH func=leak_in_thread bytes=<N> allocs=<K>
 *   CLEAN func=produce_blocks
 *   TRUTH done
 *
 *   threads           run the threads, print the truth, exit 0
 *   threads --wait    print "READY <pid>", wait for SIGUSR1, run, print the
 *                     truth, wait for SIGTERM
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "truth.h"

#define PRODUCERS 2
#define BLOCKS_PER_PRODUCER 1501
#define QUEUE_SLOTS 64
#define LEAKS 11
#define LEAK_BYTES 3331

struct queue {
	pthread_mutex_t lock;
	pthread_cond_t not_empty;
	pthread_cond_t not_full;
	void *slot[QUEUE_SLOTS];
	unsigned head, tail, len;
	unsigned producers_left;
};

static struct queue q = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.not_empty = PTHREAD_COND_INITIALIZER,
	.not_full = PTHREAD_COND_INITIALIZER,
	.producers_left = PRODUCERS,
};

static void *volatile leaked[LEAKS];
static volatile unsigned char sink;
static unsigned long long consumed;

static __attribute__((noinline)) void touch(void *p, size_t n)
{
	memset(p, 0x5a, n);
	sink = ((unsigned char *)p)[n - 1];
}

static void queue_push(void *p)
{
	pthread_mutex_lock(&q.lock);
	while (q.len == QUEUE_SLOTS)
		pthread_cond_wait(&q.not_full, &q.lock);
	q.slot[q.tail] = p;
	q.tail = (q.tail + 1) % QUEUE_SLOTS;
	q.len++;
	pthread_cond_signal(&q.not_empty);
	pthread_mutex_unlock(&q.lock);
}

/* NULL once the queue is empty and every producer is done. */
static void *queue_pop(void)
{
	void *p = NULL;

	pthread_mutex_lock(&q.lock);
	while (q.len == 0 && q.producers_left)
		pthread_cond_wait(&q.not_empty, &q.lock);
	if (q.len) {
		p = q.slot[q.head];
		q.head = (q.head + 1) % QUEUE_SLOTS;
		q.len--;
		pthread_cond_signal(&q.not_full);
	}
	pthread_mutex_unlock(&q.lock);
	return p;
}

static void producer_done(void)
{
	pthread_mutex_lock(&q.lock);
	q.producers_left--;
	pthread_cond_broadcast(&q.not_empty);
	pthread_mutex_unlock(&q.lock);
}

/* Blocks of 24..1024 bytes, every one freed by the consumer. */
static __attribute__((noinline)) void produce_blocks(unsigned seed)
{
	for (unsigned i = 0; i < BLOCKS_PER_PRODUCER; i++) {
		size_t n = 24 + (i * 37 + seed) % 1001;
		void *p = malloc(n);

		if (!p) {
			perror("threads: malloc");
			exit(2);
		}
		touch(p, n);
		queue_push(p);
	}
}

static void *producer_main(void *arg)
{
	produce_blocks((unsigned)(size_t)arg);
	producer_done();
	return NULL;
}

static __attribute__((noinline)) void free_blocks(void)
{
	void *p;

	while ((p = queue_pop())) {
		free(p);
		consumed++;
	}
}

static void *consumer_main(void *arg)
{
	(void)arg;
	free_blocks();
	return NULL;
}

static __attribute__((noinline)) void leak_in_thread(void)
{
	for (int i = 0; i < LEAKS; i++) {
		void *p = malloc(LEAK_BYTES);

		if (!p) {
			perror("threads: malloc");
			exit(2);
		}
		touch(p, LEAK_BYTES);
		leaked[i] = p;
	}
}

static void *leaker_main(void *arg)
{
	(void)arg;
	leak_in_thread();
	return NULL;
}

static void run_threads(void)
{
	pthread_t t[PRODUCERS + 2];
	int i, err;

	for (i = 0; i < PRODUCERS; i++) {
		err = pthread_create(&t[i], NULL, producer_main, (void *)(size_t)(i * 500 + 1));
		if (err)
			goto fail;
	}
	err = pthread_create(&t[PRODUCERS], NULL, consumer_main, NULL);
	if (err)
		goto fail;
	err = pthread_create(&t[PRODUCERS + 1], NULL, leaker_main, NULL);
	if (err)
		goto fail;
	for (i = 0; i < PRODUCERS + 2; i++)
		pthread_join(t[i], NULL);
	if (consumed != (unsigned long long)PRODUCERS * BLOCKS_PER_PRODUCER) {
		fprintf(stderr, "threads: consumed %llu blocks, expected %d\n", consumed,
			PRODUCERS * BLOCKS_PER_PRODUCER);
		exit(2);
	}
	return;
fail:
	fprintf(stderr, "threads: pthread_create: %s\n", strerror(err));
	exit(2);
}

static void print_truth(void)
{
	truth_leak("leak_in_thread", LEAKS * LEAK_BYTES, LEAKS);
	truth_clean("produce_blocks");
	truth_clean("free_blocks");
	truth_done();
}

int main(int argc, char **argv)
{
	return truth_main(argc, argv, "threads", run_threads, print_truth);
}
