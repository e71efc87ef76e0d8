// SPDX-License-Identifier: GPL-2.0
/*
 * syscalls: N cheap system calls (getppid through syscall(2), so no vDSO or
 * libc cache answers them), after a warm-up (BENCH_WARMUP_MS).
 * Usage: syscalls [N]. Prints NS_PER_OP (one op = one system call).
 * No allocator calls, no faults, no mappings: what it pays under a tracer is
 * what the tracer's system-wide syscall hooks cost every process.
 */
#include <sys/syscall.h>
#include <unistd.h>
#include "bench.h"

int main(int argc, char **argv)
{
	long n = bench_arg_count(argc, argv, 1, 1000000), i;
	unsigned long long t0;

	bench_hold_if_asked();
	t0 = bench_now_ns() + bench_warmup_ns();
	while (bench_now_ns() < t0)
		syscall(SYS_getppid);
	t0 = bench_now_ns();
	for (i = 0; i < n; i++)
		syscall(SYS_getppid);
	bench_report(bench_now_ns() - t0, n);
	return 0;
}
