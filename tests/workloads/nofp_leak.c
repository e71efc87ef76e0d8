// SPDX-License-Identifier: GPL-2.0
/*
 * nofp_leak: a leak in a function compiled without a frame pointer.
 *
 * leak_without_frame_pointer never sets up %rbp, so a frame-pointer walk
 * from inside malloc skips it; a tracer must still name it as the first
 * frame (the allocator's caller). Stdout:
 *
 *   TRUTH func=leak_without_frame_pointer bytes=<N> allocs=<K>
 *   TRUTH done
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "truth.h"

#define LEAKS 9
#define LEAK_BYTES 2711

static void *volatile kept[LEAKS];

static __attribute__((noinline, optimize("omit-frame-pointer")))
void leak_without_frame_pointer(void)
{
	for (int i = 0; i < LEAKS; i++) {
		char *p = malloc(LEAK_BYTES);

		if (!p)
			abort();
		p[0] = (char)i;
		p[LEAK_BYTES - 1] = (char)i;
		kept[i] = p;
	}
}

int main(void)
{
	leak_without_frame_pointer();
	truth_leak("leak_without_frame_pointer", LEAKS * LEAK_BYTES, LEAKS);
	truth_done();
	return 0;
}
