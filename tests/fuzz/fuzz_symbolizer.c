// SPDX-License-Identifier: GPL-2.0
/*
 * The symbolizer (symbolize/) on a file image: written to a file of its own,
 * recorded as the only mapping of this process as memvigil records a
 * process's mapping at exec (symbolizer__capture_mapping), then asked for
 * the addresses of the file's own function symbols and of its edges: ELF
 * headers, symbol tables, debug links, MiniDebugInfo, DWARF lines and
 * inlined calls, C++ names, all through the code memvigil runs on them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "fuzz_input.h"
#include "binary/elf_file.h"
#include "symbolize/symbolizer.h"

#define MAP_START	0x400000ull	/* where the image is said to be mapped */
#define LOOKUPS_MAX	32		/* function symbols resolved per input */

struct addrs {
	uint64_t vaddr[LOOKUPS_MAX];
	size_t cnt;
};

static int remember(const struct elf_sym *sym, void *ctx)
{
	struct addrs *a = ctx;

	if (a->cnt < LOOKUPS_MAX)
		a->vaddr[a->cnt++] = sym->vaddr;
	return 0;
}

static char image[64];

static void image_unlink(void)
{
	unlink(image);
}

/* The path of a file holding data[0..size), rewritten for each input. */
static const char *image_path(const uint8_t *data, size_t size)
{
	const char *path = image;
	int fd;

	if (!image[0]) {
		snprintf(image, sizeof(image), "/tmp/fuzz_symbolizer.%d", getpid());
		atexit(image_unlink);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(write(fd, data, size) == (ssize_t)size);
	close(fd);
	return path;
}

/* The image as one executable mapping of this process, from MAP_START. */
static void image_mapping(const char *path, size_t size, struct mv_mapping *m)
{
	struct stat st;

	FUZZ_CHECK(stat(path, &st) == 0);
	*m = (struct mv_mapping){ .start = MAP_START, .file_offset = 0, .inode = st.st_ino,
				  .dev_major = major(st.st_dev), .dev_minor = minor(st.st_dev),
				  .perms = "r-xp", .path = (char *)path };
	m->end = MAP_START + ((size + 4095) & ~4095ull);
	if (m->end == MAP_START)
		m->end += 4096;
}

/* The function symbols' addresses, as the mapped image's process addresses. */
static void symbol_addrs(const char *path, struct addrs *a)
{
	struct elf_file *ef = elf_file__open(path);
	uint64_t off;
	size_t i, kept = 0;

	if (!ef)
		return;
	elf_file__for_each_func(ef, remember, a);
	for (i = 0; i < a->cnt; i++)
		if (elf_file__vaddr_to_offset(ef, a->vaddr[i], &off) == 0 && off < UINT64_MAX / 2)
			a->vaddr[kept++] = MAP_START + off + 1;	/* a return address past it */
	a->cnt = kept;
	elf_file__free(ef);
}

/* What a resolve answers is within its contract. */
static void check_resolve(struct symbolizer *sym, uint64_t addr)
{
	struct mv_symbol s;
	size_t i;
	int err = symbolizer__resolve(sym, getpid(), addr, &s);

	FUZZ_CHECK(err == 0 || err == -ENOENT);
	if (err)
		return;
	FUZZ_CHECK(s.module && s.map_start <= addr && addr < s.map_end);
	FUZZ_CHECK(!s.inlined_cnt || s.inlined);
	for (i = 0; i < s.inlined_cnt; i++)
		FUZZ_CHECK(!s.inlined[i].file || s.inlined[i].line < UINT32_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addrs a = { .cnt = 0 };
	struct symbolizer *sym;
	struct mv_mapping m;
	const char *path = image_path(data, size);
	size_t i;

	image_mapping(path, size, &m);
	symbol_addrs(path, &a);
	sym = symbolizer__new();
	FUZZ_CHECK(sym);
	if (symbolizer__capture_mapping(sym, getpid(), &m) == 0) {
		for (i = 0; i < a.cnt; i++)
			check_resolve(sym, a.vaddr[i]);
		check_resolve(sym, m.start);
		check_resolve(sym, m.start + size / 2);
		check_resolve(sym, m.end - 1);
		symbolizer__debug_files_skipped(sym);
	}
	symbolizer__free(sym);
	return 0;
}
