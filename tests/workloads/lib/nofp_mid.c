// SPDX-License-Identifier: GPL-2.0
/*
 * libnofp_mid.so: three calls built the way distributions build shared
 * libraries (-O2, no frame pointers) between an executable that has them and
 * the executable's own callback: nofp_mid_call -> nofp_mid_2 -> nofp_mid_3 ->
 * callback. A frame-pointer walk from the callback skips nofp_mid_2 and
 * nofp_mid_call (they never set %rbp); a table walk names all three.
 */

long nofp_mid_call(long (*cb)(long), long x);

/* The add after each call keeps it a call, not a jump; noipa keeps each level its own frame. */
__attribute__((noinline, noipa, visibility("hidden"))) long nofp_mid_3(long (*cb)(long), long x)
{
	volatile long pad[3] = { x, x + 1, x + 2 };

	return cb(pad[0]) + pad[2];
}

__attribute__((noinline, noipa, visibility("hidden"))) long nofp_mid_2(long (*cb)(long), long x)
{
	return nofp_mid_3(cb, x) + 1;
}

long nofp_mid_call(long (*cb)(long), long x)
{
	return nofp_mid_2(cb, x) + 1;
}
