// SPDX-License-Identifier: GPL-2.0
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>
#include "procfs/proc_info.h"
#include "sites/linkmap.h"

#define MAX_PHDRS 128
#define MAX_DYNS 1024

/* Offsets in glibc's struct r_debug and struct link_map (the public part). */
#define R_DEBUG_MAP 8
#define LINK_MAP_LD 16
#define LINK_MAP_NEXT 24

static int read_mem(int fd, uint64_t addr, void *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len, (off_t)addr);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* Runtime address of the executable's dynamic section. */
static int find_dynamic(int fd, uint64_t phdr_addr, uint64_t phnum, uint64_t *dyn)
{
	Elf64_Phdr ph[MAX_PHDRS];
	uint64_t bias = 0, i;
	bool have_bias = false;
	int ret;

	if (phnum > MAX_PHDRS)
		return -E2BIG;
	ret = read_mem(fd, phdr_addr, ph, phnum * sizeof(ph[0]));
	if (ret)
		return ret;
	for (i = 0; i < phnum; i++) {
		if (ph[i].p_type == PT_PHDR) {
			bias = phdr_addr - ph[i].p_vaddr;
			have_bias = true;
		}
	}
	for (i = 0; i < phnum && have_bias; i++) {
		if (ph[i].p_type == PT_DYNAMIC) {
			*dyn = bias + ph[i].p_vaddr;
			return 0;
		}
	}
	return -ENOENT;
}

static int find_r_debug(int fd, uint64_t dyn, uint64_t *r_debug)
{
	Elf64_Dyn d;
	int i, ret;

	for (i = 0; i < MAX_DYNS; i++) {
		ret = read_mem(fd, dyn + i * sizeof(d), &d, sizeof(d));
		if (ret)
			return ret;
		if (d.d_tag == DT_NULL)
			break;
		if (d.d_tag == DT_DEBUG) {
			*r_debug = d.d_un.d_ptr;
			return *r_debug ? 0 : -ENOENT;
		}
	}
	return -ENOENT;
}

int linkmap__read(pid_t pid, uint64_t *dyn_addrs, size_t max, size_t *cnt)
{
	uint64_t phdr, phnum, dyn, r_debug, map;
	char path[64];
	size_t n = 0;
	int fd, ret;

	*cnt = 0;
	phdr = proc_info__auxv(pid, AT_PHDR);
	phnum = proc_info__auxv(pid, AT_PHNUM);
	if (!phdr || !phnum)
		return -ENOENT;
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = find_dynamic(fd, phdr, phnum, &dyn);
	if (!ret)
		ret = find_r_debug(fd, dyn, &r_debug);
	if (!ret)
		ret = read_mem(fd, r_debug + R_DEBUG_MAP, &map, sizeof(map));
	while (!ret && map && n < max && n < LINKMAP_MAX_OBJECTS) {
		ret = read_mem(fd, map + LINK_MAP_LD, &dyn_addrs[n], sizeof(dyn_addrs[n]));
		if (!ret)
			ret = read_mem(fd, map + LINK_MAP_NEXT, &map, sizeof(map));
		n += !ret;
	}
	close(fd);
	*cnt = n;
	return n ? 0 : ret ? ret : -ENOENT;
}
