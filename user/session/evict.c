// SPDX-License-Identifier: GPL-2.0
#include "session/evict.h"

void evict__drop(const struct evict_holders *h, size_t index)
{
	pid_t key;

	if (index >= h->m->proc_cnt)
		return;
	key = h->m->procs[index]->key;
	recorder__drop(h->rec, h->m, index);
	monitor__forget(h->mon, key);
	if (h->sym)
		symbolizer__forget(h->sym, key);
	model__drop(h->m, index);
}

size_t evict__run(const struct evict_holders *h, uint32_t keep)
{
	size_t dropped = 0;
	ssize_t i;

	while ((i = model__evict_pick(h->m, keep)) >= 0) {
		evict__drop(h, (size_t)i);
		dropped++;
	}
	return dropped;
}
