// SPDX-License-Identifier: GPL-2.0
/*
 * demo_leak: the README demo, a small "request handler" with one leak.
 *
 * 30 rounds of 100 ms; each round handles a few requests. Every request
 * uses temporary buffers that it frees and puts an entry in a bounded cache
 * that evicts (and frees) its oldest entry; both hold memory for a while but
 * never leak. leak_sessions forgets the session objects it allocates on
 * every other round. At the end the cache is emptied and the program says on
 * stderr exactly what it leaked:
 *
 *   demo_leak: leaked N bytes in M blocks from leak_sessions
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS 30
#define ROUND_MS 100
#define REQUESTS_PER_ROUND 7
#define CACHE_SLOTS 16
#define SESSION_BYTES 4136
#define MAX_SESSIONS (ROUNDS * 2)

struct cache_entry {
	unsigned key;
	size_t len;
	char data[];
};

static struct cache_entry *cache[CACHE_SLOTS];
static unsigned cache_next;
static void *volatile sessions[MAX_SESSIONS];
static unsigned session_cnt;
static unsigned long long leaked_bytes;
static volatile unsigned long long checksum;

static __attribute__((noinline)) void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p) {
		perror("demo_leak: malloc");
		exit(2);
	}
	return p;
}

/* Bounded: the 17th entry evicts the oldest one. */
static __attribute__((noinline)) void cache_put(unsigned key, const char *val, size_t len)
{
	struct cache_entry *e = malloc(sizeof(*e) + len);

	if (!e) {
		perror("demo_leak: malloc");
		exit(2);
	}
	e->key = key;
	e->len = len;
	memcpy(e->data, val, len);
	free(cache[cache_next]);
	cache[cache_next] = e;
	cache_next = (cache_next + 1) % CACHE_SLOTS;
}

static __attribute__((noinline)) void cache_clear(void)
{
	for (unsigned i = 0; i < CACHE_SLOTS; i++) {
		free(cache[i]);
		cache[i] = NULL;
	}
}

/* The bug: sessions are opened and never closed. */
static __attribute__((noinline)) void leak_sessions(unsigned round)
{
	unsigned n = round % 2 + 1;

	for (unsigned i = 0; i < n && session_cnt < MAX_SESSIONS; i++) {
		char *s = malloc(SESSION_BYTES);

		if (!s) {
			perror("demo_leak: malloc");
			exit(2);
		}
		memset(s, (int)round, SESSION_BYTES);
		sessions[session_cnt++] = s;
		leaked_bytes += SESSION_BYTES;
	}
}

static __attribute__((noinline)) void handle_request(unsigned round, unsigned req)
{
	size_t len = 200 + (round * 31 + req * 17) % 700;
	char *body = xmalloc(len), *reply = xmalloc(2 * len + 1);

	memset(body, 'a' + req % 26, len);
	for (size_t i = 0; i < len; i++)
		reply[2 * i] = reply[2 * i + 1] = body[i];
	reply[2 * len] = '\0';
	checksum += (unsigned char)reply[len];
	cache_put(round * REQUESTS_PER_ROUND + req, reply, 2 * len + 1);
	free(reply);
	free(body);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int main(void)
{
	for (unsigned round = 0; round < ROUNDS; round++) {
		for (unsigned req = 0; req < REQUESTS_PER_ROUND; req++)
			handle_request(round, req);
		leak_sessions(round);
		sleep_ms(ROUND_MS);
	}
	cache_clear();
	fprintf(stderr, "demo_leak: leaked %llu bytes in %u blocks from leak_sessions\n",
		leaked_bytes, session_cnt);
	return 0;
}
