// SPDX-License-Identifier: GPL-2.0
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include "binary/elf_debug.h"
#include "symbolize/dwarf_cache.h"

struct dwarf_slot {
	const void *owner;	/* NULL: free */
	struct dwarf_lines *dl;
	uint64_t used;		/* tick of the last use */
};

struct dwarf_cache {
	struct dwarf_slot slots[DWARF_CACHE_MAX];
	uint64_t tick;
};

struct dwarf_cache *dwarf_cache__new(void)
{
	return calloc(1, sizeof(struct dwarf_cache));
}

void dwarf_cache__free(struct dwarf_cache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < DWARF_CACHE_MAX; i++)
		dwarf_lines__free(c->slots[i].dl);
	free(c);
}

/* owner's slot, or a free one, or the least recently used one emptied. */
static struct dwarf_slot *slot_for(struct dwarf_cache *c, const void *owner, bool *hit)
{
	struct dwarf_slot *s, *victim = &c->slots[0];
	size_t i;

	for (i = 0; i < DWARF_CACHE_MAX; i++) {
		s = &c->slots[i];
		if (s->owner == owner) {
			*hit = true;
			return s;
		}
		if (!s->owner || (victim->owner && s->used < victim->used))
			victim = s;
	}
	*hit = false;
	dwarf_lines__free(victim->dl);
	victim->dl = NULL;
	victim->owner = owner;
	return victim;
}

struct dwarf_lines *dwarf_cache__get(struct dwarf_cache *c, const void *owner,
				     struct elf_file *ef, struct elf_file *alt)
{
	struct dwarf_slot *s;
	bool hit;

	if (!ef || !elf_debug__has_dwarf(ef))
		return NULL;
	s = slot_for(c, owner, &hit);
	if (!hit)
		s->dl = dwarf_lines__new(ef, alt);
	s->used = ++c->tick;
	return s->dl;
}

void dwarf_cache__drop(struct dwarf_cache *c, const void *owner)
{
	size_t i;

	for (i = 0; c && i < DWARF_CACHE_MAX; i++) {
		if (c->slots[i].owner != owner)
			continue;
		dwarf_lines__free(c->slots[i].dl);
		c->slots[i].dl = NULL;
		c->slots[i].owner = NULL;
	}
}
