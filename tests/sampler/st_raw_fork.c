// SPDX-License-Identifier: GPL-2.0
/*
 * st_raw_fork: children of every kind of fork of a process whose probe
 * functions start with a call into a page no child inherits, as Linux
 * 6.18's uprobe optimization leaves them in a traced process. The program
 * plays the kernel's part: it maps a page holding a ret near the library,
 * marks it MADV_DONTFORK (the kernel's trampoline is VM_DONTCOPY), and
 * writes a call to it over each probe function's 5-byte nop. The parent's
 * probe calls then pass through that page. Children made by fork(),
 * _Fork(), syscall(SYS_fork) and syscall(SYS_clone, SIGCHLD) must each find
 * their nops back before their first probe call (only fork() runs fork
 * handlers) and report every allocation and free in EXACT mode; the
 * parent's calls stay as written.
 *
 *   st_raw_fork sampled|exact
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../workloads/fork_ways.h"
#include "stress.h"

#define CHILD_ALLOCS 500
#define PAGE 4096ul

static unsigned char *probes[2];
static bool exact;

/* A page holding a ret within reach of a call from addr, left out of every child. */
static unsigned char *trampoline_near(uintptr_t addr)
{
	long step;
	void *p;

	for (step = 1; step < 1024; step++) {
		uintptr_t at = (addr & ~(PAGE - 1)) + (step % 2 ? 1 : -1) * (step / 2 + 1) * (1ul << 20);

		p = mmap((void *)at, PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (p == MAP_FAILED)
			continue;
		*(unsigned char *)p = 0xc3;	/* ret */
		if (mprotect(p, PAGE, PROT_READ | PROT_EXEC) || madvise(p, PAGE, MADV_DONTFORK))
			stress_fail("cannot make the trampoline page");
		return p;
	}
	stress_fail("no free page within reach of the probe functions");
}

/* Write "call tramp" over the nop at fn, through /proc/self/mem as a tracer would. */
static void optimize(unsigned char *fn, const unsigned char *tramp)
{
	int32_t rel = (int32_t)((intptr_t)tramp - (intptr_t)(fn + 5));
	unsigned char call[5] = { 0xe8 };
	int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);

	memcpy(call + 1, &rel, sizeof(rel));
	if (fd < 0 || pwrite(fd, call, sizeof(call), (off_t)(uintptr_t)fn) != sizeof(call))
		stress_fail("cannot write the call over the probe function's nop");
	close(fd);
}

/* The child's checks; its exit status tells the parent. */
static int child(void)
{
	struct memvigil_sampler_ctl c0, c1;
	void *volatile p;
	int i;

	stress_reopen();
	c0 = stress_ctl();
	for (i = 0; i < CHILD_ALLOCS; i++) {
		p = malloc(64 + i);
		free(p);
	}
	c1 = stress_ctl();
	if (probes[0][0] == 0xe8 || probes[1][0] == 0xe8)
		return 10;	/* still the parent's calls: no probe call was made? */
	if (exact && (c1.alloc_probe_cnt - c0.alloc_probe_cnt != CHILD_ALLOCS ||
		      c1.free_probe_cnt - c0.free_probe_cnt != CHILD_ALLOCS))
		return 11;
	return 0;
}

static void fork_and_check(const char *how)
{
	int status;
	pid_t pid = fork_way(how);

	if (pid < 0)
		stress_fail("%s failed", how);
	if (!pid)
		_exit(child());
	if (waitpid(pid, &status, 0) != pid)
		stress_fail("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		stress_fail("child of %s ended with status %#x (%s)", how, status,
			    WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "exit status");
	if (probes[0][0] != 0xe8 || probes[1][0] != 0xe8)
		stress_fail("after %s the parent's probe functions lost their calls", how);
}

int main(int argc, char **argv)
{
	struct memvigil_sampler_ctl c0, c1;
	unsigned char *tramp;
	void *volatile p;
	size_t i;

	stress_init("st_raw_fork", 60);
	exact = argc > 1 && !strcmp(argv[1], "exact");
	probes[0] = dlsym(RTLD_DEFAULT, MV_SAMPLER_ALLOC_SYMBOL);
	probes[1] = dlsym(RTLD_DEFAULT, MV_SAMPLER_FREE_SYMBOL);
	if (!probes[0] || !probes[1])
		stress_fail("the probe functions are not in this process");
	tramp = trampoline_near((uintptr_t)probes[0]);
	optimize(probes[0], tramp);
	optimize(probes[1], tramp);
	stress_attach(exact ? MV_SAMPLER_EXACT : MV_SAMPLER_SAMPLED, 4096, 41);
	c0 = stress_ctl();
	p = malloc(100000);	/* a probe call through the trampoline in either mode */
	free(p);
	c1 = stress_ctl();
	if (c1.alloc_probe_cnt == c0.alloc_probe_cnt || c1.free_probe_cnt == c0.free_probe_cnt)
		stress_fail("the parent's probe calls did not happen");
	for (i = 0; i < FORK_WAYS_CNT; i++)
		fork_and_check(fork_ways[i]);
	stress_detach();
	if (stress_hooks_expected())
		stress_check_hooks();
	stress_note("%s: children of fork, _Fork, SYS_fork and SYS_clone repaired their probe "
		    "functions", exact ? "exact" : "sampled");
	return 0;
}
