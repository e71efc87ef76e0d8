// SPDX-License-Identifier: GPL-2.0
/*
 * The ELF reader (binary/elf_file) on a file image: opened through a memfd
 * as memvigil opens a mapped file, then asked for its build-id, its function
 * symbols by name and by address, and its offset/address translation.
 */
#include <errno.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <unistd.h>
#include "fuzz_input.h"
#include "binary/elf_file.h"

/* How many symbols of a file are looked up again by name and address. */
#define LOOKUPS_MAX 32

struct seen {
	struct elf_sym syms[LOOKUPS_MAX];
	size_t cnt;
};

static int remember(const struct elf_sym *sym, void *ctx)
{
	struct seen *s = ctx;

	FUZZ_CHECK(sym->name && sym->name[0]);
	if (s->cnt < LOOKUPS_MAX)
		s->syms[s->cnt++] = *sym;
	return 0;
}

/* A descriptor of a memfd holding data[0..size); the reader takes it. */
static int image_fd(const uint8_t *data, size_t size)
{
	static int memfd = -1;

	if (memfd < 0)
		memfd = memfd_create("fuzz_elf_file", MFD_CLOEXEC);
	FUZZ_CHECK(memfd >= 0);
	FUZZ_CHECK(ftruncate(memfd, 0) == 0);
	FUZZ_CHECK(pwrite(memfd, data, size, 0) == (ssize_t)size);
	return dup(memfd);
}

/*
 * Each remembered symbol found again by address (or a better one there) and,
 * when the walk that gave it read the whole file (walk_ok), by name.
 */
static void check_lookups(struct elf_file *ef, const struct seen *s, bool walk_ok)
{
	struct elf_sym found;
	uint64_t vaddr, off;
	size_t i;

	for (i = 0; i < s->cnt; i++) {
		const struct elf_sym *sym = &s->syms[i];

		FUZZ_CHECK(elf_file__find_symbol(ef, sym->name, &vaddr, NULL) == 0 || !walk_ok);
		if (elf_file__find_addr(ef, sym->vaddr, &found) == 0)
			FUZZ_CHECK(found.name && found.vaddr <= sym->vaddr);
		if (sym->size)
			elf_file__find_addr(ef, sym->vaddr + sym->size - 1, &found);
		if (elf_file__vaddr_to_offset(ef, sym->vaddr, &off) == 0)
			FUZZ_CHECK(elf_file__offset_to_vaddr(ef, off, &vaddr) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen seen = { .cnt = 0 };
	struct elf_file *ef;
	const uint8_t *id;
	struct elf_sym found;
	uint64_t v;
	size_t len;
	bool walk_ok;
	int fd = image_fd(data, size);

	FUZZ_CHECK(fd >= 0);
	ef = elf_file__open_fd(fd);
	if (!ef)
		return 0;
	if (elf_file__build_id(ef, &id, &len) == 0)
		FUZZ_CHECK(id && len);
	walk_ok = elf_file__for_each_func(ef, remember, &seen) == 0;
	check_lookups(ef, &seen, walk_ok);
	elf_file__find_symbol(ef, "malloc", &v, NULL);
	elf_file__find_addr(ef, 0, &found);
	elf_file__find_addr(ef, UINT64_MAX, &found);
	elf_file__offset_to_vaddr(ef, size / 2, &v);
	elf_file__free(ef);
	return 0;
}
