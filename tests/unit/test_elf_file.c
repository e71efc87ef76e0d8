// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "binary/elf_file.h"

#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"

static char data_bin[4096];

static void find_data_bin(void)
{
	const char *dir = getenv("MV_BUILD_DIR");

	snprintf(data_bin, sizeof(data_bin), "%s/tests/unit/data/known_symbols",
		 dir && *dir ? dir : "build");
	cr_assert_eq(access(data_bin, R_OK), 0, "%s is missing: build it first", data_bin);
}

TestSuite(elf_file, .init = find_data_bin);

/* The first word of the first line of `cmd` that contains needle, as hex. */
static uint64_t hex_from_cmd(const char *cmd, const char *needle, int word)
{
	char line[1024], *tok, *save;
	FILE *f = popen(cmd, "r");
	uint64_t v = 0;
	bool found = false;
	int i;

	cr_assert_not_null(f, "cannot run %s", cmd);
	while (!found && fgets(line, sizeof(line), f)) {
		if (!strstr(line, needle))
			continue;
		tok = strtok_r(line, " \t\n", &save);
		for (i = 0; tok && i < word; i++)
			tok = strtok_r(NULL, " \t\n", &save);
		cr_assert_not_null(tok, "short line from %s", cmd);
		v = strtoull(tok, NULL, 16);
		found = true;
	}
	pclose(f);
	cr_assert(found, "'%s' printed no line with '%s'", cmd, needle);
	return v;
}

static uint64_t nm_value(const char *nm_args, const char *path, const char *tail)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), "nm %s '%s'", nm_args, path);
	return hex_from_cmd(cmd, tail, 0);
}

static struct elf_file *open_data_bin(void)
{
	struct elf_file *ef = elf_file__open(data_bin);

	cr_assert_not_null(ef, "cannot open %s: %s", data_bin, strerror(errno));
	return ef;
}

Test(elf_file, build_id_equals_what_readelf_prints)
{
	struct elf_file *ef = open_data_bin();
	char cmd[8192], line[1024], hex[256] = "", *p;
	const uint8_t *id;
	size_t len, i;
	FILE *f;

	cr_assert_eq(elf_file__build_id(ef, &id, &len), 0);
	for (i = 0, p = hex; i < len; i++)
		p += sprintf(p, "%02x", id[i]);
	snprintf(cmd, sizeof(cmd), "readelf -n '%s'", data_bin);
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f) && !(p = strstr(line, "Build ID: ")))
		;
	pclose(f);
	cr_assert_not_null(p, "readelf shows no build-id");
	line[strcspn(line, "\n")] = '\0';
	cr_assert_str_eq(hex, p + strlen("Build ID: "));
	cr_assert_eq(len, 20);
	elf_file__free(ef);
}

Test(elf_file, global_function_has_the_value_and_size_nm_shows)
{
	struct elf_file *ef = open_data_bin();
	uint64_t vaddr, size;
	char cmd[8192];

	cr_assert_eq(elf_file__find_symbol(ef, "mv_known_alpha", &vaddr, &size), 0);
	cr_assert_eq(vaddr, nm_value("", data_bin, " T mv_known_alpha\n"));
	snprintf(cmd, sizeof(cmd), "nm -S '%s'", data_bin);
	cr_assert_eq(size, hex_from_cmd(cmd, " T mv_known_alpha\n", 1));
	elf_file__free(ef);
}

Test(elf_file, static_function_is_found_in_symtab)
{
	struct elf_file *ef = open_data_bin();
	uint64_t vaddr;

	cr_assert_eq(elf_file__find_symbol(ef, "mv_known_gamma", &vaddr, NULL), 0);
	cr_assert_eq(vaddr, nm_value("", data_bin, " t mv_known_gamma\n"));
	elf_file__free(ef);
}

Test(elf_file, missing_name_and_prefix_of_a_name_are_not_found)
{
	struct elf_file *ef = open_data_bin();
	uint64_t vaddr = 42;

	cr_assert_eq(elf_file__find_symbol(ef, "mv_known_nothing", &vaddr, NULL), -ENOENT);
	cr_assert_eq(elf_file__find_symbol(ef, "mv_known_alph", &vaddr, NULL), -ENOENT);
	cr_assert_eq(vaddr, 42);
	elf_file__free(ef);
}

/* sh_addr and sh_offset of a section, from readelf. */
static void readelf_section(const char *name, uint64_t *addr, uint64_t *off)
{
	char cmd[8192], needle[64];

	snprintf(cmd, sizeof(cmd), "readelf -SW '%s' | sed 's/^ *\\[ *[0-9]*\\]//'", data_bin);
	snprintf(needle, sizeof(needle), " %s ", name);
	*addr = hex_from_cmd(cmd, needle, 2);
	*off = hex_from_cmd(cmd, needle, 3);
}

/* A function's file offset is where readelf says its section lies. */
static void assert_offset_round_trip(struct elf_file *ef, const char *func, const char *sec)
{
	uint64_t vaddr, off, back, sec_addr, sec_off;

	readelf_section(sec, &sec_addr, &sec_off);
	cr_assert_eq(elf_file__find_symbol(ef, func, &vaddr, NULL), 0);
	cr_assert_eq(elf_file__vaddr_to_offset(ef, vaddr + 3, &off), 0);
	cr_assert_eq(off, vaddr + 3 - sec_addr + sec_off, "%s: offset 0x%" PRIx64, func, off);
	cr_assert_eq(elf_file__offset_to_vaddr(ef, off, &back), 0);
	cr_assert_eq(back, vaddr + 3);
}

Test(elf_file, function_vaddr_maps_to_its_file_offset_and_back)
{
	struct elf_file *ef = open_data_bin();

	assert_offset_round_trip(ef, "mv_known_beta", ".text");
	elf_file__free(ef);
}

/* In the RW segment the two differ (by a page here); in .text they need not. */
Test(elf_file, function_in_data_maps_to_an_offset_unlike_its_vaddr)
{
	struct elf_file *ef = open_data_bin();
	uint64_t vaddr, off;

	assert_offset_round_trip(ef, "mv_known_in_data", ".data");
	cr_assert_eq(elf_file__find_symbol(ef, "mv_known_in_data", &vaddr, NULL), 0);
	cr_assert_eq(vaddr, nm_value("", data_bin, " D mv_known_in_data\n"));
	cr_assert_eq(elf_file__vaddr_to_offset(ef, vaddr, &off), 0);
	cr_assert_neq(off, vaddr);
	elf_file__free(ef);
}

struct segment {
	uint64_t off, vaddr, filesz;
};

/* The PT_LOAD headers readelf lists, in file order. */
static int readelf_loads(struct segment *segs, int max)
{
	char cmd[8192], line[1024];
	int n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "readelf -lW '%s'", data_bin);
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	while (n < max && fgets(line, sizeof(line), f))
		if (sscanf(line, " LOAD 0x%" SCNx64 " 0x%" SCNx64 " 0x%*x 0x%" SCNx64,
			   &segs[n].off, &segs[n].vaddr, &segs[n].filesz) == 3)
			n++;
	pclose(f);
	return n;
}

Test(elf_file, every_load_segment_translates_like_readelf_says)
{
	struct elf_file *ef = open_data_bin();
	struct segment segs[16], *s;
	uint64_t got;
	int i, n = readelf_loads(segs, 16);

	cr_assert_geq(n, 2);
	for (i = 0; i < n; i++) {
		s = &segs[i];
		cr_assert_eq(elf_file__vaddr_to_offset(ef, s->vaddr + s->filesz - 1, &got), 0);
		cr_assert_eq(got, s->off + s->filesz - 1);
		cr_assert_eq(elf_file__offset_to_vaddr(ef, s->off + s->filesz / 2, &got), 0);
		cr_assert_eq(got, s->vaddr + s->filesz / 2);
	}
	cr_assert_eq(elf_file__offset_to_vaddr(ef, 1ull << 40, &got), -ENOENT);
	cr_assert_eq(elf_file__vaddr_to_offset(ef, 1ull << 40, &got), -ENOENT);
	elf_file__free(ef);
}

/* A copy of the data binary with its first PT_LOAD at a file offset whose range wraps. */
static int wrapping_segment_copy(uint64_t *vaddr)
{
	FILE *f = fopen(data_bin, "rb");
	static char buf[1 << 20];
	Elf64_Ehdr eh;
	Elf64_Phdr *ph = NULL;
	size_t len;
	int i, fd;

	cr_assert_not_null(f);
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	cr_assert(len > sizeof(eh) && len < sizeof(buf));
	memcpy(&eh, buf, sizeof(eh));
	for (i = 0; i < eh.e_phnum; i++) {
		ph = (Elf64_Phdr *)(buf + eh.e_phoff + i * sizeof(*ph));
		if (ph->p_type == PT_LOAD)
			break;
	}
	cr_assert_lt(i, eh.e_phnum);
	ph->p_offset = UINT64_MAX - 0xff;
	*vaddr = ph->p_vaddr;
	fd = memfd_create("wrapping_segment", MFD_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, buf, len), (ssize_t)len);
	return fd;
}

Test(elf_file, load_segment_whose_file_range_wraps_is_ignored)
{
	uint64_t vaddr, off;
	struct elf_file *ef = elf_file__open_fd(wrapping_segment_copy(&vaddr));

	cr_assert_not_null(ef);
	cr_assert_eq(elf_file__vaddr_to_offset(ef, vaddr, &off), -ENOENT, "offset %#" PRIx64, off);
	elf_file__free(ef);
}

/* mmap maps a segment from the start of the page that holds its first byte. */
Test(elf_file, offset_below_an_unaligned_segment_translates_through_it)
{
	struct elf_file *ef = open_data_bin();
	struct segment segs[16];
	uint64_t got;
	int i, n = readelf_loads(segs, 16), checked = 0;

	for (i = 1; i < n; i++) {
		if (!(segs[i].off % 4096) ||
		    segs[i - 1].off + segs[i - 1].filesz >= segs[i].off)
			continue;	/* aligned, or the byte below is the previous one's */
		cr_assert_eq(elf_file__offset_to_vaddr(ef, segs[i].off - 1, &got), 0);
		cr_assert_eq(got, segs[i].vaddr - 1);
		checked++;
	}
	cr_assert_gt(checked, 0, "no segment of %s starts inside a page", data_bin);
	elf_file__free(ef);
}

Test(elf_file, address_inside_a_function_finds_it)
{
	struct elf_file *ef = open_data_bin();
	uint64_t vaddr, size;
	struct elf_sym s;

	cr_assert_eq(elf_file__find_symbol(ef, "mv_known_beta", &vaddr, &size), 0);
	cr_assert_eq(elf_file__find_addr(ef, vaddr, &s), 0);
	cr_assert_str_eq(s.name, "mv_known_beta");
	cr_assert_eq(elf_file__find_addr(ef, vaddr + size - 1, &s), 0);
	cr_assert_str_eq(s.name, "mv_known_beta");
	cr_assert_eq(s.vaddr, vaddr);
	cr_assert_eq(s.size, size);
	cr_assert_eq(elf_file__find_addr(ef, vaddr + size, &s), 0);
	cr_assert_str_neq(s.name, "mv_known_beta");
	cr_assert_eq(elf_file__find_addr(ef, 0, &s), -ENOENT);
	elf_file__free(ef);
}

Test(elf_file, unsized_symbol_covers_addresses_up_to_the_next_one)
{
	struct elf_file *ef = open_data_bin();
	uint64_t vaddr, size;
	struct elf_sym s;

	cr_assert_eq(elf_file__find_symbol(ef, "mv_known_unsized", &vaddr, &size), 0);
	cr_assert_eq(size, 0);
	cr_assert_eq(vaddr, nm_value("", data_bin, " T mv_known_unsized\n"));
	cr_assert_eq(elf_file__find_addr(ef, vaddr + 4, &s), 0);
	cr_assert_str_eq(s.name, "mv_known_unsized");
	cr_assert_eq(s.vaddr, vaddr);
	elf_file__free(ef);
}

Test(elf_file, sized_symbol_wins_over_an_unsized_one_at_its_address)
{
	struct elf_file *ef = open_data_bin();
	uint64_t twin, sized;
	struct elf_sym s;

	cr_assert_eq(elf_file__find_symbol(ef, "mv_known_twin", &twin, NULL), 0);
	cr_assert_eq(elf_file__find_symbol(ef, "mv_known_twin_sized", &sized, NULL), 0);
	cr_assert_eq(twin, sized);
	cr_assert_eq(elf_file__find_addr(ef, twin + 2, &s), 0);
	cr_assert_str_eq(s.name, "mv_known_twin_sized");
	cr_assert_eq(s.size, 5);
	elf_file__free(ef);
}

/* _fini (in .fini) has no size; .rodata after it holds no function. */
Test(elf_file, unsized_symbol_ends_with_its_section)
{
	struct elf_file *ef = open_data_bin();
	uint64_t fini, rodata, off;
	struct elf_sym s;

	cr_assert_eq(elf_file__find_symbol(ef, "_fini", &fini, NULL), 0);
	cr_assert_eq(elf_file__find_addr(ef, fini + 1, &s), 0);
	cr_assert_str_eq(s.name, "_fini");
	readelf_section(".rodata", &rodata, &off);
	cr_assert_gt(rodata, fini);
	cr_assert_eq(elf_file__find_addr(ef, rodata, &s), -ENOENT, "found %s", s.name);
	elf_file__free(ef);
}

Test(elf_file, alias_at_one_address_resolves_to_the_plainer_name)
{
	struct elf_file *ef = open_data_bin();
	uint64_t impl, alias;
	struct elf_sym s;

	cr_assert_eq(elf_file__find_symbol(ef, "__mv_known_delta_impl", &impl, NULL), 0);
	cr_assert_eq(elf_file__find_symbol(ef, "mv_known_delta", &alias, NULL), 0);
	cr_assert_eq(impl, alias);
	cr_assert_eq(elf_file__find_addr(ef, impl + 2, &s), 0);
	cr_assert_str_eq(s.name, "mv_known_delta");
	elf_file__free(ef);
}

static int count_known(const struct elf_sym *s, void *ctx)
{
	int *cnt = ctx;

	if (!strncmp(s->name, "mv_known_", 9)) {
		cr_expect(s->type == 2 /* STT_FUNC */, "%s has type %d", s->name, s->type);
		(*cnt)++;
	}
	return *cnt == 100 ? 7 : 0;
}

Test(elf_file, walk_visits_every_function_and_stops_when_asked)
{
	struct elf_file *ef = open_data_bin();
	int cnt = 0;

	/* alpha, beta, gamma, delta, unsized, twin, twin_sized, in_data. */
	cr_assert_eq(elf_file__for_each_func(ef, count_known, &cnt), 0);
	cr_assert_eq(cnt, 8);
	cnt = 99;
	cr_assert_eq(elf_file__for_each_func(ef, count_known, &cnt), 7);
	cr_assert_eq(cnt, 100);
	elf_file__free(ef);
}

Test(elf_file, libc_malloc_comes_from_dynsym_with_the_value_nm_shows)
{
	struct elf_file *ef = elf_file__open(LIBC);
	uint64_t vaddr, size;

	cr_assert_not_null(ef, "cannot open " LIBC ": %s", strerror(errno));
	cr_assert_eq(elf_file__find_symbol(ef, "malloc", &vaddr, &size), 0);
	cr_assert_eq(vaddr, nm_value("-D --defined-only", LIBC, " malloc@@"));
	cr_assert_gt(size, 0);
	elf_file__free(ef);
}

/* realpath@GLIBC_2.2.5 and memcpy@GLIBC_2.2.5 are compat versions elsewhere. */
Test(elf_file, default_symbol_version_wins_over_a_hidden_one)
{
	struct elf_file *ef = elf_file__open(LIBC);
	uint64_t vaddr;

	cr_assert_not_null(ef);
	cr_assert_eq(elf_file__find_symbol(ef, "realpath", &vaddr, NULL), 0);
	cr_assert_eq(vaddr, nm_value("-D --defined-only", LIBC, " realpath@@"));
	cr_assert_neq(vaddr, nm_value("-D --defined-only", LIBC, " realpath@GLIBC_2.2.5"));
	/* Here the hidden one comes first in .dynsym, and is a plain function. */
	cr_assert_eq(elf_file__find_symbol(ef, "memcpy", &vaddr, NULL), 0);
	cr_assert_eq(vaddr, nm_value("-D --defined-only", LIBC, " memcpy@@"));
	elf_file__free(ef);
}

Test(elf_file, non_elf_file_is_rejected_and_its_fd_closed)
{
	char path[] = "/tmp/mv_not_elf_XXXXXX";
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "#!/bin/sh\necho hello\n", 21), 21);
	cr_assert_null(elf_file__open(path));
	cr_assert_eq(errno, ENOEXEC);
	cr_assert_null(elf_file__open_fd(fd));
	cr_assert_eq(errno, ENOEXEC);
	cr_assert_eq(fcntl(fd, F_GETFD), -1, "elf_file__open_fd left fd open");
	unlink(path);
}

Test(elf_file, empty_and_missing_files_are_errors)
{
	char path[] = "/tmp/mv_empty_XXXXXX";
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_null(elf_file__open(path));
	cr_assert_eq(errno, ENOEXEC);
	unlink(path);
	cr_assert_null(elf_file__open("/nonexistent/mv/known_symbols"));
	cr_assert_eq(errno, ENOENT);
}

Test(elf_file, free_accepts_null)
{
	elf_file__free(NULL);
}
