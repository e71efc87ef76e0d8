// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "probes/link_reaper.h"

#define MAX_THREADS 64

struct link_group {
	struct link_group *next;
	size_t cnt;
	struct bpf_link *links[];
};

struct link_reaper {
	pthread_mutex_t lock;
	pthread_cond_t more;
	pthread_cond_t settled;		/* nothing queued and no group being destroyed */
	struct link_group *head, *tail;
	bool stopping;
	unsigned int started, max_threads, idle, busy;
	pthread_t threads[MAX_THREADS];
};

static void destroy_group(struct link_group *g)
{
	size_t i;

	for (i = 0; i < g->cnt; i++)
		bpf_link__destroy(g->links[i]);
	free(g);
}

static void *worker(void *arg)
{
	struct link_reaper *r = arg;
	struct link_group *g;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (!r->head && !r->stopping) {
			r->idle++;
			pthread_cond_wait(&r->more, &r->lock);
			r->idle--;
		}
		g = r->head;
		if (!g)
			break;	/* stopping and nothing left */
		r->head = g->next;
		if (!r->head)
			r->tail = NULL;
		r->busy++;
		pthread_mutex_unlock(&r->lock);
		destroy_group(g);
		pthread_mutex_lock(&r->lock);
		if (!--r->busy && !r->head)
			pthread_cond_broadcast(&r->settled);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

struct link_reaper *link_reaper__new(unsigned int threads)
{
	struct link_reaper *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->more, NULL);
	pthread_cond_init(&r->settled, NULL);
	r->max_threads = threads < 1 ? 1 : threads > MAX_THREADS ? MAX_THREADS : threads;
	return r;
}

/* Start one more worker, with every signal blocked (they belong to the main thread). */
static int start_worker(struct link_reaper *r)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&r->threads[r->started], NULL, worker, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return -err;
	r->started++;
	return 0;
}

void link_reaper__push(struct link_reaper *r, struct bpf_link *const *links, size_t cnt)
{
	struct link_group *g;

	if (!cnt)
		return;
	g = r ? malloc(sizeof(*g) + cnt * sizeof(g->links[0])) : NULL;
	if (!g) {
		while (cnt)
			bpf_link__destroy(links[--cnt]);
		return;
	}
	g->next = NULL;
	g->cnt = cnt;
	memcpy(g->links, links, cnt * sizeof(g->links[0]));
	pthread_mutex_lock(&r->lock);
	if (r->tail)
		r->tail->next = g;
	else
		r->head = g;
	r->tail = g;
	if (!r->idle && r->started < r->max_threads)
		start_worker(r);	/* on failure the running ones take it */
	if (!r->started) {
		/* no thread at all: destroy in place */
		r->head = r->tail = NULL;
		pthread_mutex_unlock(&r->lock);
		destroy_group(g);
		return;
	}
	pthread_cond_signal(&r->more);
	pthread_mutex_unlock(&r->lock);
}

void link_reaper__wait(struct link_reaper *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	while (r->head || r->busy)
		pthread_cond_wait(&r->settled, &r->lock);
	pthread_mutex_unlock(&r->lock);
}

void link_reaper__free(struct link_reaper *r)
{
	unsigned int i;

	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stopping = true;
	pthread_cond_broadcast(&r->more);
	pthread_mutex_unlock(&r->lock);
	for (i = 0; i < r->started; i++)
		pthread_join(r->threads[i], NULL);
	pthread_cond_destroy(&r->more);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
