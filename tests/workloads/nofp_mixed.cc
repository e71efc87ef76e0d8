// SPDX-License-Identifier: GPL-2.0
/*
 * nofp_mixed: C++ with frame pointers calling through a shared library
 * without them (libnofp_mid.so) and back: main -> call_through_library ->
 * nofp_mid_call -> nofp_mid_2 -> nofp_mid_3 (library) -> leak_in_callback
 * (this executable) -> operator new. Stdout:
 *
 *   TRUTH func=leak_in_callback bytes=<N> allocs=<K>
 *   CHAIN leak_in_callback(long) nofp_mid_3 nofp_mid_2 nofp_mid_call call_through_library() main
 *   TRUTH done
 */
#include <cstdio>
#include "truth.h"

#define LEAKS 9

extern "C" long nofp_mid_call(long (*cb)(long), long x);

namespace {
struct Session {
	char bytes[1531];
};
}

static Session *volatile kept[LEAKS];

__attribute__((noinline)) long leak_in_callback(long i)
{
	kept[i] = new Session();
	kept[i]->bytes[0] = (char)i;
	return kept[i]->bytes[0];
}

__attribute__((noinline)) long call_through_library()
{
	long sum = 0;

	for (long i = 0; i < LEAKS; i++)
		sum += nofp_mid_call(leak_in_callback, i);
	return sum;
}

int main()
{
	long sum = call_through_library();

	truth_leak("leak_in_callback", (unsigned long long)sizeof(Session) * LEAKS, LEAKS);
	printf("CHAIN leak_in_callback(long) nofp_mid_3 nofp_mid_2 nofp_mid_call "
	       "call_through_library() main\n");
	truth_done();
	return sum > 0 ? 0 : 1;
}
