// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>
#include "lib/grow.h"
#include "lib/id_table.h"

struct id_key {
	void *bytes;
	size_t len;
	uint64_t hash;
};

struct id_table {
	struct id_key *keys;	/* keys[id - 1] */
	size_t cnt, cap;
	uint64_t *slots;	/* open addressing: id, 0 = empty */
	size_t slot_cnt;	/* a power of two, at least twice cnt */
};

struct id_table *id_table__new(void)
{
	return calloc(1, sizeof(struct id_table));
}

void id_table__free(struct id_table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->cnt; i++)
		free(t->keys[i].bytes);
	free(t->keys);
	free(t->slots);
	free(t);
}

/* FNV-1a over 8-byte words (keys are often arrays of addresses), then the tail. */
static uint64_t hash_bytes(const void *key, size_t len)
{
	const uint8_t *p = key;
	uint64_t h = 0xcbf29ce484222325ull ^ len, w;

	for (; len >= sizeof(w); p += sizeof(w), len -= sizeof(w)) {
		memcpy(&w, p, sizeof(w));
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	while (len--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h ^ (h >> 32);
}

/* The slot holding key, or the empty slot where it would go. */
static size_t find_slot(const struct id_table *t, const void *key, size_t len, uint64_t hash)
{
	size_t mask = t->slot_cnt - 1, i = hash & mask;
	const struct id_key *k;

	for (; t->slots[i]; i = (i + 1) & mask) {
		k = &t->keys[t->slots[i] - 1];
		if (k->hash == hash && k->len == len && !memcmp(k->bytes, key, len))
			break;
	}
	return i;
}

/* Twice the slots, every id placed again. 0 or -1 without memory. */
static int rehash(struct id_table *t)
{
	size_t n = t->slot_cnt ? t->slot_cnt * 2 : 64, i;
	uint64_t *old = t->slots;

	t->slots = calloc(n, sizeof(*t->slots));
	if (!t->slots) {
		t->slots = old;
		return -1;
	}
	t->slot_cnt = n;
	for (i = 0; i < t->cnt; i++)
		t->slots[find_slot(t, t->keys[i].bytes, t->keys[i].len, t->keys[i].hash)] = i + 1;
	free(old);
	return 0;
}

uint64_t id_table__get(struct id_table *t, const void *key, size_t len, bool *added)
{
	uint64_t hash = hash_bytes(key, len);
	struct id_key *keys;
	size_t slot;

	*added = false;
	if ((t->cnt + 1) * 2 > t->slot_cnt && rehash(t))
		return 0;
	slot = find_slot(t, key, len, hash);
	if (t->slots[slot])
		return t->slots[slot];
	keys = grow__array(t->keys, &t->cap, t->cnt + 1, sizeof(*keys), 64);
	if (!keys)
		return 0;
	t->keys = keys;
	keys[t->cnt] = (struct id_key){ .bytes = malloc(len ? len : 1), .len = len, .hash = hash };
	if (!keys[t->cnt].bytes)
		return 0;
	memcpy(keys[t->cnt].bytes, key, len);
	t->slots[slot] = ++t->cnt;
	*added = true;
	return t->cnt;
}

uint64_t id_table__cnt(const struct id_table *t)
{
	return t->cnt;
}

const void *id_table__key(const struct id_table *t, uint64_t id, size_t *len)
{
	*len = t->keys[id - 1].len;
	return t->keys[id - 1].bytes;
}
