// SPDX-License-Identifier: GPL-2.0
#include <stdint.h>
#include <stdlib.h>
#include "lib/grow.h"

void *grow__array(void *items, size_t *cap, size_t need, size_t size, size_t first_cap)
{
	size_t room = *cap ? *cap : first_cap;
	void *grown;

	if (need <= *cap)
		return items;
	while (room < need && room <= SIZE_MAX / 2)
		room *= 2;
	if (room < need || room > SIZE_MAX / size)
		return NULL;
	grown = realloc(items, room * size);
	if (grown)
		*cap = room;
	return grown;
}
