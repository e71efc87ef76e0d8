// SPDX-License-Identifier: GPL-2.0
/*
 * crafted_names: a leak through functions whose symbol names, and a comm,
 * carry what a hostile program can put there: newlines that forge report
 * lines, terminal escapes (ESC ] retitles the terminal, \r ESC [2K erases
 * the line), DEL, a C1 control, invalid UTF-8, a backslash, and valid
 * UTF-8 that must pass. C names cannot hold these bytes, so the build
 * (Makefile) renames the two leaking functions in the object file to the
 * names this program prints:
 *
 *   crafted_names --symbol-name c     the name of leak_crafted
 *   crafted_names --symbol-name cxx   the name of leak_crafted_cxx, a
 *                                     mangled C++ name ("_Z<len><name>v")
 *   crafted_names --wait   set the comm, print "READY <pid>", wait for
 *                          SIGUSR1, leak, print the truth, wait for SIGTERM
 *
 * The truth, names as hex of their bytes (they hold newlines):
 *   COMM <hex>                          the comm set with PR_SET_NAME
 *   TRUTH symbol=<hex> bytes=<N> allocs=<K>   one per leaking function, the
 *                                       symbol as the symbol table holds it
 *   TRUTH done
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include "truth.h"

#define C_NAME "leak\x1b]0;pwned\x07\n=== final report at +0ms\nPID 1 (sshd): 0 B" \
	"\r\x1b[2K\x7f\xc2\x9b" "31m\xff\xc0\xaf\\x41 gr\xc3\xbc\xc3\x9f \xe6\x97\xa5\xe6\x9c\xac " \
	"\xf0\x9f\x90\x9b"
#define CXX_NAME "cxx\n=== final report\n\x1b]2;owned\x07\x1b[31m"
#define COMM "ev\r\x1b[2Kil"

#define C_ALLOCS 7
#define C_BYTES 1237
#define CXX_ALLOCS 3
#define CXX_BYTES 2011

static void *volatile kept[C_ALLOCS + CXX_ALLOCS];
static int kept_cnt;

static void keep(void *p, size_t n)
{
	if (!p) {
		perror("crafted_names: malloc");
		exit(2);
	}
	memset(p, 0x5a, n);
	kept[kept_cnt++] = p;
}

/* Renamed to C_NAME in the object file. */
__attribute__((noinline)) void leak_crafted(void)
{
	for (int i = 0; i < C_ALLOCS; i++)
		keep(malloc(C_BYTES), C_BYTES);
}

/* Renamed to the mangled form of CXX_NAME in the object file. */
__attribute__((noinline)) void leak_crafted_cxx(void)
{
	for (int i = 0; i < CXX_ALLOCS; i++)
		keep(malloc(CXX_BYTES), CXX_BYTES);
}

static void print_hex(const char *s)
{
	for (; *s; s++)
		printf("%02x", (unsigned char)*s);
}

/* The mangled C++ name of "void CXX_NAME()": _Z<len><name>v. */
static const char *cxx_mangled(void)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "_Z%zu%sv", strlen(CXX_NAME), CXX_NAME);
	return buf;
}

static void print_truth(void)
{
	printf("COMM ");
	print_hex(COMM);
	printf("\nTRUTH symbol=");
	print_hex(C_NAME);
	printf(" bytes=%d allocs=%d\nTRUTH symbol=", C_BYTES * C_ALLOCS, C_ALLOCS);
	print_hex(cxx_mangled());
	printf(" bytes=%d allocs=%d\n", CXX_BYTES * CXX_ALLOCS, CXX_ALLOCS);
	truth_done();
}

static int symbol_name(const char *which)
{
	if (!strcmp(which, "c"))
		fputs(C_NAME, stdout);
	else if (!strcmp(which, "cxx"))
		fputs(cxx_mangled(), stdout);
	else
		return 64;
	return 0;
}

static void leak_all(void)
{
	leak_crafted();
	leak_crafted_cxx();
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--symbol-name"))
		return symbol_name(argv[2]);
	if (argc != 2 || strcmp(argv[1], "--wait")) {
		fprintf(stderr, "usage: crafted_names --wait | --symbol-name c|cxx\n");
		return 64;
	}
	if (prctl(PR_SET_NAME, COMM, 0, 0, 0)) {
		perror("crafted_names: prctl");
		return 2;
	}
	return truth_when_signalled(leak_all, print_truth);
}
