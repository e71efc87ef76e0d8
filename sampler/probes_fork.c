// SPDX-License-Identifier: GPL-2.0
/*
 * The probe functions in a forked child, after Linux 6.18's optimization of
 * uprobes on a 5-byte nop: the kernel rewrites the traced parent's nop into
 * a call to a trampoline page of the parent's. The child inherits that code
 * page (the parent's private copy) but not the trampoline mapping, so its
 * first call of a probe function jumps to an unmapped page and dies of
 * SIGSEGV. In the child, a probe function that starts with a call instead
 * of its nop gets its nop back; a tracer that attaches to the child puts its
 * own uprobe there. (A breakpoint, the unoptimized form, is left alone: the
 * kernel itself handles it in a process it does not trace.)
 *
 * Fork handlers run only for glibc's fork(): a child made by _Fork() or by
 * a raw clone/fork system call runs none. So the constructor also maps one
 * page with MADV_WIPEONFORK and marks it: the kernel gives every child made
 * without CLONE_VM, however it was made, a zeroed copy. Each probe call is
 * preceded by a look at the mark (probes__fork_check); a zero mark means a
 * child that was not repaired yet. A child that shares its parent's memory
 * (vfork, threads) keeps the mark, and the trampoline is its parent's too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "probes.h"

#define CALL_REL32 0xe8

static const unsigned char nop5[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };

/* Marked until probes__fork_guard_init maps the page; never zero in this process. */
static uint32_t mark_fallback = 1;
uint32_t *mvs_fork_mark = &mark_fallback;

/* Write the nop over code at addr: through /proc/self/mem, else by unprotecting its page. */
static void restore_nop(unsigned char *addr)
{
	uintptr_t page = (uintptr_t)addr & ~(uintptr_t)(getpagesize() - 1);
	size_t len = (uintptr_t)addr + sizeof(nop5) - page;
	int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	bool done = false;

	if (fd >= 0) {
		done = pwrite(fd, nop5, sizeof(nop5), (off_t)(uintptr_t)addr) == sizeof(nop5);
		close(fd);
	}
	if (done || mprotect((void *)page, len, PROT_READ | PROT_WRITE | PROT_EXEC))
		return;
	memcpy(addr, nop5, sizeof(nop5));
	mprotect((void *)page, len, PROT_READ | PROT_EXEC);
}

void probes__fork_child(void)
{
	unsigned char *fns[] = { (unsigned char *)mvs_probe_alloc, (unsigned char *)mvs_probe_free };
	int saved_errno = errno;
	size_t i;

	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		if (fns[i][0] == CALL_REL32)
			restore_nop(fns[i]);
	trace__fork_child();
	__atomic_store_n(mvs_fork_mark, 1, __ATOMIC_RELAXED);
	errno = saved_errno;
}

bool probes__fork_guard_init(void)
{
	size_t len = (size_t)getpagesize();
	uint32_t *page;

	page = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return false;
	if (madvise(page, len, MADV_WIPEONFORK)) {
		munmap(page, len);
		return false;
	}
	*page = 1;
	__atomic_store_n(&mvs_fork_mark, page, __ATOMIC_RELEASE);
	return true;
}
