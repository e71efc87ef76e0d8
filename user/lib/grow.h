/* SPDX-License-Identifier: GPL-2.0 */
/* grow: room in an array that doubles when full. */
#ifndef MV_GROW_H
#define MV_GROW_H

#include <stddef.h>

/*
 * items (room for *cap elements of size bytes) with room for at least need:
 * itself when it has it, else reallocated to twice *cap (first_cap at first,
 * more if need asks) and *cap updated. NULL without memory, when items and
 * *cap stay as they were.
 */
void *grow__array(void *items, size_t *cap, size_t need, size_t size, size_t first_cap);

#endif
