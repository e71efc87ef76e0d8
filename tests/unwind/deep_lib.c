// SPDX-License-Identifier: GPL-2.0
/*
 * libdeep_chain.so: the middle of the proof's chain, chain_b01..b08,
 * built without frame pointers; chain_b08 calls back into the executable.
 */
#include "deep_chain.h"

static deep_fn back_fn;
int deep_sibling_lib(int x);

__attribute__((noinline)) int deep_sibling_lib(int x)
{
	volatile int v = x * 13;

	return v + 1;
}

#define deep_sibling deep_sibling_lib

DEEP_LEVEL(chain_b08, back_fn, DEEP_BODY_2)
DEEP_LEVEL(chain_b07, chain_b08, DEEP_BODY_1)
DEEP_LEVEL(chain_b06, chain_b07, DEEP_BODY_0)
DEEP_LEVEL(chain_b05, chain_b06, DEEP_BODY_4)
DEEP_LEVEL(chain_b04, chain_b05, DEEP_BODY_3)
DEEP_LEVEL(chain_b03, chain_b04, DEEP_BODY_2)
DEEP_LEVEL(chain_b02, chain_b03, DEEP_BODY_1)

__attribute__((noinline)) int chain_b01(int x, deep_fn back)
{
	int r;

	back_fn = back;
	r = deep_sibling(x) + chain_b02(x + 1);
	return r * 5 + x;
}
