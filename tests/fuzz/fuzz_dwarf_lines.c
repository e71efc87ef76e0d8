// SPDX-License-Identifier: GPL-2.0
/*
 * The DWARF line wrapper (binary/dwarf_lines, through libdw) on a file
 * image opened as the ELF reader opens a mapped file: the source lines and
 * inlined calls of each function symbol's address and of a few others. A
 * chain found is at most what was asked for, innermost first, its strings
 * readable.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>
#include "fuzz_input.h"
#include "binary/dwarf_lines.h"
#include "binary/elf_file.h"

#define LOOKUPS_MAX 32

struct addrs {
	uint64_t vaddr[LOOKUPS_MAX];
	size_t cnt;
};

static int remember(const struct elf_sym *sym, void *ctx)
{
	struct addrs *a = ctx;

	if (a->cnt < LOOKUPS_MAX)
		a->vaddr[a->cnt++] = sym->vaddr;
	if (a->cnt < LOOKUPS_MAX && sym->size)
		a->vaddr[a->cnt++] = sym->vaddr + sym->size - 1;
	return 0;
}

/* A descriptor of a memfd holding data[0..size); the reader takes it. */
static int image_fd(const uint8_t *data, size_t size)
{
	static int memfd = -1;

	if (memfd < 0)
		memfd = memfd_create("fuzz_dwarf_lines", MFD_CLOEXEC);
	FUZZ_CHECK(memfd >= 0);
	FUZZ_CHECK(ftruncate(memfd, 0) == 0);
	FUZZ_CHECK(pwrite(memfd, data, size, 0) == (ssize_t)size);
	return dup(memfd);
}

/* Where the strings' lengths go, so that reading them is not optimized away. */
static volatile size_t text_len;

/* The chain at vaddr, within max frames, each string readable. */
static void check_find(struct dwarf_lines *dl, uint64_t vaddr, size_t max)
{
	struct src_frame out[DWARF_LINES_MAX_FRAMES];
	int i, n = dwarf_lines__find(dl, vaddr, out, max);

	FUZZ_CHECK(n == -ENOENT || (n >= 1 && (size_t)n <= max));
	for (i = 0; i < n; i++) {
		if (out[i].func)
			text_len += strlen(out[i].func);
		if (out[i].file)
			text_len += strlen(out[i].file);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addrs a = { .cnt = 0 };
	struct dwarf_lines *dl;
	struct elf_file *ef;
	int fd = image_fd(data, size);
	size_t i;

	FUZZ_CHECK(fd >= 0);
	ef = elf_file__open_fd(fd);
	if (!ef)
		return 0;
	elf_file__for_each_func(ef, remember, &a);
	dl = dwarf_lines__new(ef, NULL);
	if (dl) {
		for (i = 0; i < a.cnt; i++)
			check_find(dl, a.vaddr[i], DWARF_LINES_MAX_FRAMES);
		if (a.cnt)
			check_find(dl, a.vaddr[0], 1);
		check_find(dl, 0, DWARF_LINES_MAX_FRAMES);
		check_find(dl, UINT64_MAX, DWARF_LINES_MAX_FRAMES);
		dwarf_lines__free(dl);
	}
	elf_file__free(ef);
	return 0;
}
