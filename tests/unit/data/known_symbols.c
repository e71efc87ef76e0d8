// SPDX-License-Identifier: GPL-2.0
/*
 * Functions with names and shapes the ELF and symbolizer tests look for.
 * Run with "wait", it prints the addresses of mv_known_alpha and
 * mv_known_in_data and sleeps until killed, so a test can symbolize it as a
 * live (or exited) process.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int mv_known_alpha(int x)
{
	return x * 3 + 1;
}

int mv_known_beta(int x)
{
	return mv_known_alpha(x) - 2;
}

/* Local binding: only in .symtab. */
static int mv_known_gamma(int x)
{
	return mv_known_beta(x) ^ 5;
}

/* Two global names at one address: lookups by address show the plainer one. */
int __mv_known_delta_impl(int x)
{
	return mv_known_gamma(x) + 7;
}
int mv_known_delta(int x) __attribute__((alias("__mv_known_delta_impl")));

/* A function whose symbol has no size (no .size directive). */
__asm__(".pushsection .text\n"
	".globl mv_known_unsized\n"
	".type mv_known_unsized, @function\n"
	"mv_known_unsized:\n"
	"\tnop\n\tnop\n\tnop\n\tnop\n"
	"\tret\n"
	".popsection\n");
void mv_known_unsized(void);

/* Two names at one address, only the longer one sized: the sized one names it. */
__asm__(".pushsection .text\n"
	".globl mv_known_twin, mv_known_twin_sized\n"
	".type mv_known_twin, @function\n"
	".type mv_known_twin_sized, @function\n"
	"mv_known_twin:\n"
	"mv_known_twin_sized:\n"
	"\tnop\n\tnop\n\tnop\n\tnop\n"
	"\tret\n"
	".size mv_known_twin_sized, 5\n"
	".popsection\n");
void mv_known_twin(void);

/*
 * A function symbol in .data (never run): there, unlike in .text, file
 * offsets and addresses differ, which symbolizing it has to get right.
 */
__asm__(".pushsection .data\n"
	".globl mv_known_in_data\n"
	".type mv_known_in_data, @function\n"
	"mv_known_in_data:\n"
	"\t.byte 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0xc3\n"
	".size mv_known_in_data, 8\n"
	".popsection\n");
extern char mv_known_in_data[];

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "wait")) {
		printf("%p %p\n", (void *)mv_known_alpha, (void *)mv_known_in_data);
		fflush(stdout);
		for (;;)
			pause();
	}
	mv_known_unsized();
	mv_known_twin();
	return mv_known_delta(argc) & 1;
}
