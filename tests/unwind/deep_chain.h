/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The known call chain of the unwind proof: main -> chain_a01..a08 (the
 * executable) -> chain_b01..b08 (libdeep_chain.so) -> chain_c01..c08 (the
 * executable again, through a function pointer) -> malloc(DEEP_CHAIN_MAGIC).
 * Every level first calls a sibling function, so stale return addresses of
 * siblings lie on the stack where a walk that guesses would find them.
 */
#ifndef DEEP_CHAIN_H
#define DEEP_CHAIN_H

/* The allocation size the proof's probe waits for. */
#define DEEP_CHAIN_MAGIC 0x7a31
#define DEEP_CHAIN_PER_PART 8

/*
 * The function bodies, one per level kind, so that the chain covers the
 * rules a compiler emits without frame pointers: pushes only, a fixed
 * stack array, alloca (which makes the function use %rbp as its frame
 * base), a frame over 32 KiB (a CFA offset beyond 16 bits), and enough
 * values live across the call that %rbp is saved as a plain register.
 */
#define DEEP_BODY_0(next) \
	int r = deep_sibling(x); \
	r += next(x + 1); \
	return r * 3 + x;

#define DEEP_BODY_1(next) \
	volatile char buf[200]; \
	buf[x & 127] = (char)x; \
	int r = deep_sibling(x) + next(x + 1); \
	return r + buf[(x * 7) & 127];

#define DEEP_BODY_2(next) \
	volatile char *p = __builtin_alloca((unsigned)(x & 63) + 16); \
	p[0] = (char)x; \
	int r = deep_sibling(x) + next(x + 1); \
	return r + p[0];

#define DEEP_BODY_3(next) \
	volatile char big[40 << 10]; \
	big[x & 4095] = (char)x; \
	big[sizeof(big) - 1 - (x & 4095)] = (char)x; \
	int r = deep_sibling(x) + next(x + 1); \
	return r + big[(x * 3) & 4095];

#define DEEP_BODY_4(next) \
	int a = x * 3, b = x ^ 5, c = x + 11, d = x * x, e = x - 9, f = x | 6; \
	int r = deep_sibling(x) + next(x + 1); \
	return r + a * b + c * d + e * f + a * e + b * f + c * a + d * e;

/* A level of a chain: function name running body with next as the level below. */
#define DEEP_LEVEL(name, next, body) \
	__attribute__((noinline)) int name(int x); \
	__attribute__((noinline)) int name(int x) { body(next) }

int deep_sibling(int x);
typedef int (*deep_fn)(int x);
int chain_b01(int x, deep_fn back);

#endif /* DEEP_CHAIN_H */
