// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lib/grow.h"
#include "memvigil/events.h"
#include "model/mappings.h"

void mappings__init(struct mappings *ms)
{
	memset(ms, 0, sizeof(*ms));
}

void mappings__release(struct mappings *ms)
{
	free(ms->ranges);
	mappings__init(ms);
}

static int reserve(struct mappings *ms, size_t extra)
{
	struct map_range *r = grow__array(ms->ranges, &ms->cap, ms->cnt + extra, sizeof(*r), 16);

	if (!r)
		return -ENOMEM;
	ms->ranges = r;
	return 0;
}

/* First range whose end is above addr. */
static size_t first_after(const struct mappings *ms, uint64_t addr)
{
	size_t lo = 0, hi = ms->cnt;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (ms->ranges[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int mappings__unmap(struct mappings *ms, uint64_t start, uint64_t len)
{
	uint64_t end = start + len;
	size_t i;

	if (!len || end < start)
		return 0;
	/* One split at most: a range covering both ends becomes two. */
	if (reserve(ms, 1))
		return -ENOMEM;
	i = first_after(ms, start);
	while (i < ms->cnt && ms->ranges[i].start < end) {
		struct map_range *r = &ms->ranges[i];

		if (r->start < start && r->end > end) {		/* hole in the middle */
			memmove(r + 2, r + 1, (ms->cnt - i - 1) * sizeof(*r));
			r[1] = *r;
			r[0].end = start;
			r[1].start = end;
			ms->cnt++;
			return 0;
		}
		if (r->start < start) {				/* tail cut */
			r->end = start;
			i++;
		} else if (r->end > end) {			/* head cut */
			r->start = end;
			i++;
		} else {					/* whole range */
			memmove(r, r + 1, (ms->cnt - i - 1) * sizeof(*r));
			ms->cnt--;
		}
	}
	return 0;
}

int mappings__map(struct mappings *ms, uint64_t start, uint64_t len, uint32_t flags,
		  uint32_t stack_id, uint32_t now_ms)
{
	struct map_range *r;
	size_t i;

	if (!len || start + len < start)
		return 0;
	if (mappings__unmap(ms, start, len) || reserve(ms, 1))	/* MAP_FIXED replaces */
		return -ENOMEM;
	i = first_after(ms, start);
	r = &ms->ranges[i];
	memmove(r + 1, r, (ms->cnt - i) * sizeof(*r));
	*r = (struct map_range){ .start = start, .end = start + len, .stack_id = stack_id,
				 .flags = flags, .mapped_ms = now_ms };
	ms->cnt++;
	return 0;
}

int mappings__remap(struct mappings *ms, uint64_t old, uint64_t old_len,
		    uint64_t new, uint64_t new_len, uint32_t now_ms)
{
	size_t i = first_after(ms, old);
	struct map_range src;

	if (i >= ms->cnt || ms->ranges[i].start > old)
		return mappings__unmap(ms, old, old_len);	/* mapped before tracing */
	src = ms->ranges[i];
	if (mappings__unmap(ms, old, old_len))
		return -ENOMEM;
	return mappings__map(ms, new, new_len, src.flags, src.stack_id,
			     new == old ? src.mapped_ms : now_ms);
}

void mappings__totals(const struct mappings *ms, struct mapping_totals *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < ms->cnt; i++) {
		const struct map_range *r = &ms->ranges[i];
		uint64_t bytes = r->end - r->start;

		if (r->flags & MV_MAP_ALLOCATOR)
			out->allocator_bytes += bytes;
		else if (r->flags & MV_MAP_FILE)
			out->file_bytes += bytes;
		else
			out->anon_bytes += bytes;
		out->ranges++;
	}
}

static int by_bytes_desc(const void *a, const void *b)
{
	const struct map_site *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return x->stack_id < y->stack_id ? -1 : x->stack_id > y->stack_id;
}

long mappings__by_stack(const struct mappings *ms, struct map_site **out)
{
	const uint32_t kind_mask = MV_MAP_FILE | MV_MAP_ALLOCATOR;
	struct map_site *sites;
	size_t i, j, cnt = 0;

	*out = NULL;
	if (!ms->cnt)
		return 0;
	sites = calloc(ms->cnt, sizeof(*sites));
	if (!sites)
		return -ENOMEM;
	/* Quadratic in distinct stacks, which are few (mmap call sites). */
	for (i = 0; i < ms->cnt; i++) {
		const struct map_range *r = &ms->ranges[i];
		uint32_t kind = r->flags & kind_mask;

		for (j = 0; j < cnt; j++)
			if (sites[j].stack_id == r->stack_id && sites[j].flags == kind)
				break;
		if (j == cnt) {
			sites[cnt++] = (struct map_site){ .stack_id = r->stack_id, .flags = kind,
							  .oldest_ms = r->mapped_ms };
		}
		sites[j].bytes += r->end - r->start;
		sites[j].ranges++;
		if (r->mapped_ms < sites[j].oldest_ms)
			sites[j].oldest_ms = r->mapped_ms;
	}
	qsort(sites, cnt, sizeof(*sites), by_bytes_desc);
	*out = sites;
	return cnt;
}
