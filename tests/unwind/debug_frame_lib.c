// SPDX-License-Identifier: GPL-2.0
/*
 * A library whose only call frame information is .debug_frame (built with
 * -fno-asynchronous-unwind-tables -g), split by the Makefile into a
 * stripped object and its separate debug file, for cfi_table's unit test.
 */
int debug_frame_callee(int x);

__attribute__((noinline)) int debug_frame_fn(int x)
{
	volatile char buf[64];

	buf[x & 63] = (char)x;
	return debug_frame_callee(x) + buf[3];
}
