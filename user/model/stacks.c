// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lib/grow.h"
#include "model/stacks.h"

struct stack_rec {
	uint64_t hash;
	uint64_t *frames;
	uint32_t depth;
};

struct stacks {
	struct stack_rec *recs;		/* by id */
	uint32_t cnt;
	size_t recs_cap;
	uint32_t *index;		/* open addressing: id + 1, 0 = empty */
	uint32_t index_cap;		/* power of two */
};

static uint64_t hash_frames(const uint64_t *frames, uint32_t depth)
{
	uint64_t h = 0xcbf29ce484222325ull ^ depth;
	uint32_t i;

	for (i = 0; i < depth; i++) {
		h ^= frames[i];
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	return h;
}

struct stacks *stacks__new(void)
{
	struct stacks *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->index_cap = 256;
	st->index = calloc(st->index_cap, sizeof(*st->index));
	if (!st->index) {
		free(st);
		return NULL;
	}
	return st;
}

void stacks__free(struct stacks *st)
{
	uint32_t i;

	if (!st)
		return;
	for (i = 0; i < st->cnt; i++)
		free(st->recs[i].frames);
	free(st->recs);
	free(st->index);
	free(st);
}

static void index_put(uint32_t *index, uint32_t cap, uint64_t hash, uint32_t id)
{
	uint32_t i = hash & (cap - 1);

	while (index[i])
		i = (i + 1) & (cap - 1);
	index[i] = id + 1;
}

static int grow(struct stacks *st)
{
	uint32_t cap = st->index_cap * 2, i;
	uint32_t *index = calloc(cap, sizeof(*index));

	if (!index)
		return -ENOMEM;
	for (i = 0; i < st->cnt; i++)
		index_put(index, cap, st->recs[i].hash, i);
	free(st->index);
	st->index = index;
	st->index_cap = cap;
	return 0;
}

static int add(struct stacks *st, const uint64_t *frames, uint32_t depth, uint64_t hash)
{
	struct stack_rec *rec = grow__array(st->recs, &st->recs_cap, st->cnt + 1, sizeof(*rec), 64);

	if (!rec)
		return -ENOMEM;
	st->recs = rec;
	rec = &st->recs[st->cnt];
	rec->frames = malloc(depth ? depth * sizeof(*frames) : 1);
	if (!rec->frames)
		return -ENOMEM;
	memcpy(rec->frames, frames, depth * sizeof(*frames));
	rec->depth = depth;
	rec->hash = hash;
	index_put(st->index, st->index_cap, hash, st->cnt);
	return st->cnt++;
}

int64_t stacks__intern(struct stacks *st, const uint64_t *frames, uint32_t depth)
{
	uint64_t hash = hash_frames(frames, depth);
	uint32_t i, id;
	int err;

	for (i = hash & (st->index_cap - 1); st->index[i]; i = (i + 1) & (st->index_cap - 1)) {
		const struct stack_rec *rec = &st->recs[st->index[i] - 1];

		if (rec->hash == hash && rec->depth == depth &&
		    !memcmp(rec->frames, frames, depth * sizeof(*frames)))
			return st->index[i] - 1;
	}
	if ((st->cnt + 1) * 2 > st->index_cap) {
		err = grow(st);
		if (err)
			return err;
	}
	id = st->cnt;
	err = add(st, frames, depth, hash);
	if (err < 0)
		return err;
	return id;
}

bool stacks__truncated(const struct stacks *st, uint32_t id)
{
	const struct stack_rec *rec = id < st->cnt ? &st->recs[id] : NULL;

	return rec && rec->depth && rec->frames[rec->depth - 1] == STACKS_TRUNCATED_MARK;
}

const uint64_t *stacks__frames(const struct stacks *st, uint32_t id, uint32_t *depth)
{
	if (id >= st->cnt)
		return NULL;
	*depth = st->recs[id].depth - stacks__truncated(st, id);
	return st->recs[id].frames;
}

uint32_t stacks__count(const struct stacks *st)
{
	return st->cnt;
}
