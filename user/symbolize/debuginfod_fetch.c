// SPDX-License-Identifier: GPL-2.0
#include <dlfcn.h>
#include <elfutils/debuginfod.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/grow.h"
#include "lib/log.h"
#include "symbolize/debuginfod_fetch.h"

#define DEBUGINFOD_DEFAULT_TIMEOUT "5"
#define DEBUGINFOD_DEFAULT_RETRIES "0"
#define DEBUGINFOD_LIB "libdebuginfod.so.1"
#define FETCH_ID_MAX 64
#define FETCH_MAX_REQUESTS 4096	/* objects asked for in one run */

/*
 * libdebuginfod, loaded only when DEBUGINFOD_URLS asks for it: it brings
 * libcurl and its TLS and Kerberos libraries, which memvigil does not load
 * otherwise (nor need installed).
 */
struct debuginfod_api {
	debuginfod_client *(*begin)(void);
	int (*find_debuginfo)(debuginfod_client *c, const unsigned char *id, int len,
			      char **path);
	void (*end)(debuginfod_client *c);
	void (*set_progressfn)(debuginfod_client *c, debuginfod_progressfn_t fn);
	void (*set_user_data)(debuginfod_client *c, void *value);
	void *(*get_user_data)(debuginfod_client *c);
};

struct fetch_request {
	uint8_t id[FETCH_ID_MAX];
	size_t len;
	enum fetch_state state;
	int fd;			/* FETCH_READY: the debug file */
	char *path;		/* FETCH_READY: where libdebuginfod keeps it */
};

struct debuginfod_fetch {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t asked;		/* a request was added, or stop was set */
	pthread_cond_t answered;	/* a request was answered, or the thread ended */
	struct fetch_request *reqs;	/* in the order asked */
	size_t cnt, cap;
	size_t next;			/* the first request the thread has not taken */
	bool stop;			/* read by the progress call without the lock */
	bool off;			/* a failure turned debuginfod off */
	int failure;			/* its errno */
	bool said;
	void *lib;
	struct debuginfod_api api;
	debuginfod_client *client;	/* the fetch thread's alone once it runs */
};

/* libdebuginfod's get_user_data, for the progress call (the library is the process's). */
static void *(*progress_user_data)(debuginfod_client *c);

/* Load libdebuginfod's entry points into f->api; 0, or -1 (said once). */
static int api_load(struct debuginfod_fetch *f)
{
	/*
	 * Never unloaded: libcurl, which it starts, keeps global state that
	 * would otherwise be left behind as unreachable blocks.
	 */
	f->lib = dlopen(DEBUGINFOD_LIB, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (f->lib) {
		*(void **)&f->api.begin = dlsym(f->lib, "debuginfod_begin");
		*(void **)&f->api.find_debuginfo = dlsym(f->lib, "debuginfod_find_debuginfo");
		*(void **)&f->api.end = dlsym(f->lib, "debuginfod_end");
		*(void **)&f->api.set_progressfn = dlsym(f->lib, "debuginfod_set_progressfn");
		*(void **)&f->api.set_user_data = dlsym(f->lib, "debuginfod_set_user_data");
		*(void **)&f->api.get_user_data = dlsym(f->lib, "debuginfod_get_user_data");
		if (f->api.begin && f->api.find_debuginfo && f->api.end &&
		    f->api.set_progressfn && f->api.set_user_data && f->api.get_user_data) {
			progress_user_data = f->api.get_user_data;
			return 0;
		}
		dlclose(f->lib);
		f->lib = NULL;
	}
	log_warn("debuginfod: DEBUGINFOD_URLS is set but %s cannot be loaded; going on without "
		 "it (apt-get install libdebuginfod1)", DEBUGINFOD_LIB);
	return -1;
}

/* libdebuginfod's progress call, about once a second while it waits: non-zero abandons. */
static int fetch_progress(debuginfod_client *c, long done, long total)
{
	struct debuginfod_fetch *f = progress_user_data(c);

	(void)done;
	(void)total;
	return f && __atomic_load_n(&f->stop, __ATOMIC_RELAXED);
}

/* Post request i's answer (the lock held): the file, "none", or a failure that turns it off. */
static void answer(struct debuginfod_fetch *f, size_t i, int fd, char *path)
{
	struct fetch_request *r = &f->reqs[i];

	if (fd >= 0) {
		r->state = FETCH_READY;
		r->fd = fd;
		r->path = path;
		return;
	}
	free(path);
	r->state = FETCH_NONE;
	if (fd != -ENOENT && !f->stop && !f->off) {
		f->off = true;
		f->failure = -fd;
	}
}

/* The fetch thread: one request at a time, in the order asked, until stop or off. */
static void *fetch_thread(void *arg)
{
	struct debuginfod_fetch *f = arg;
	uint8_t id[FETCH_ID_MAX];
	char *path;
	size_t i, len;
	int fd;

	pthread_mutex_lock(&f->lock);
	for (;;) {
		while (!f->stop && !f->off && f->next == f->cnt)
			pthread_cond_wait(&f->asked, &f->lock);
		if (f->stop || f->off)
			break;
		i = f->next++;
		len = f->reqs[i].len;
		memcpy(id, f->reqs[i].id, len);	/* reqs may grow while we wait */
		pthread_mutex_unlock(&f->lock);
		path = NULL;
		fd = f->api.find_debuginfo(f->client, id, (int)len, &path);
		pthread_mutex_lock(&f->lock);
		answer(f, i, fd, path);
		pthread_cond_broadcast(&f->answered);
	}
	for (i = f->next; i < f->cnt; i++)	/* never to be asked: say so to waiters */
		f->reqs[i].state = FETCH_OFF;
	f->next = f->cnt;
	pthread_cond_broadcast(&f->answered);
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

/* Start the thread with every signal blocked: they are the session's to take. */
static int start_thread(struct debuginfod_fetch *f)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&f->thread, NULL, fetch_thread, f);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

struct debuginfod_fetch *debuginfod_fetch__new(void)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	struct debuginfod_fetch *f;

	if (!urls || !urls[0])
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	/*
	 * libdebuginfod waits 90 s for a server by default, and asks again
	 * twice after a failure; the final report should not wait that long.
	 */
	setenv("DEBUGINFOD_TIMEOUT", DEBUGINFOD_DEFAULT_TIMEOUT, 0);
	setenv("DEBUGINFOD_RETRY_LIMIT", DEBUGINFOD_DEFAULT_RETRIES, 0);
	if (api_load(f)) {
		free(f);
		return NULL;
	}
	f->client = f->api.begin();
	if (!f->client) {
		log_warn("debuginfod: cannot start its client; going on without it");
		free(f);
		return NULL;
	}
	f->api.set_user_data(f->client, f);
	f->api.set_progressfn(f->client, fetch_progress);
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->asked, NULL);
	pthread_cond_init(&f->answered, NULL);
	if (start_thread(f)) {
		log_warn("debuginfod: cannot start a thread for it; going on without it");
		f->api.end(f->client);
		pthread_cond_destroy(&f->answered);
		pthread_cond_destroy(&f->asked);
		pthread_mutex_destroy(&f->lock);
		free(f);
		return NULL;
	}
	return f;
}

void debuginfod_fetch__free(struct debuginfod_fetch *f)
{
	size_t i;

	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	__atomic_store_n(&f->stop, true, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&f->asked);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->thread, NULL);
	f->api.end(f->client);
	for (i = 0; i < f->cnt; i++) {
		if (f->reqs[i].state == FETCH_READY)
			close(f->reqs[i].fd);
		free(f->reqs[i].path);
	}
	free(f->reqs);
	pthread_cond_destroy(&f->answered);
	pthread_cond_destroy(&f->asked);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* The index of id's request, asking for it when it is new (the lock held); -1: cannot. */
static long request_of(struct debuginfod_fetch *f, const uint8_t *id, size_t len)
{
	struct fetch_request *grown;
	size_t i;

	for (i = 0; i < f->cnt; i++)
		if (f->reqs[i].len == len && !memcmp(f->reqs[i].id, id, len))
			return (long)i;
	if (f->off || f->stop || f->cnt >= FETCH_MAX_REQUESTS)
		return -1;
	grown = grow__array(f->reqs, &f->cap, f->cnt + 1, sizeof(*grown), 16);
	if (!grown)
		return -1;
	f->reqs = grown;
	f->reqs[f->cnt] = (struct fetch_request){ .len = len, .state = FETCH_PENDING, .fd = -1 };
	memcpy(f->reqs[f->cnt].id, id, len);
	pthread_cond_signal(&f->asked);
	return (long)f->cnt++;
}

enum fetch_state debuginfod_fetch__get(struct debuginfod_fetch *f, const uint8_t *id,
				       size_t len, bool wait, int *fd, char **path)
{
	enum fetch_state state = FETCH_OFF;
	struct fetch_request *r;
	int failure = 0;
	long i;

	*fd = -1;
	*path = NULL;
	if (!f || !len || len > FETCH_ID_MAX)
		return FETCH_OFF;
	pthread_mutex_lock(&f->lock);
	i = request_of(f, id, len);
	while (i >= 0 && wait && f->reqs[i].state == FETCH_PENDING)
		pthread_cond_wait(&f->answered, &f->lock);
	if (i >= 0) {
		r = &f->reqs[i];
		state = r->state;
		if (state == FETCH_READY) {
			*fd = r->fd;
			*path = r->path;
			r->state = FETCH_NONE;
			r->fd = -1;
			r->path = NULL;
		}
	}
	if (f->off && !f->said) {
		f->said = true;
		failure = f->failure;
	}
	pthread_mutex_unlock(&f->lock);
	if (failure)
		log_warn("debuginfod: no answer from DEBUGINFOD_URLS (%s); going on without it: "
			 "check the URLs or unset DEBUGINFOD_URLS", strerror(failure));
	return state;
}
