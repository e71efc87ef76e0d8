// SPDX-License-Identifier: GPL-2.0
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ctl_access.h"

#define PROC_PATH_MAX 64

uint64_t ctl_access__dynsym(int fd, const char *name)
{
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	const Elf64_Sym *sym;
	const char *strtab;
	uint64_t value = 0;
	struct stat st;
	size_t i, j, n;
	void *map;

	if (fstat(fd, &st) || (size_t)st.st_size < sizeof(*eh))
		return 0;
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return 0;
	eh = map;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(*sh) > (uint64_t)st.st_size)
		goto out;
	sh = (const Elf64_Shdr *)((const char *)map + eh->e_shoff);
	for (i = 0; i < eh->e_shnum && !value; i++) {
		if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= eh->e_shnum ||
		    sh[i].sh_offset + sh[i].sh_size > (uint64_t)st.st_size)
			continue;
		sym = (const Elf64_Sym *)((const char *)map + sh[i].sh_offset);
		strtab = (const char *)map + sh[sh[i].sh_link].sh_offset;
		n = sh[i].sh_size / sizeof(*sym);
		for (j = 0; j < n; j++)
			if (sym[j].st_shndx != SHN_UNDEF &&
			    sym[j].st_name < sh[sh[i].sh_link].sh_size &&
			    !strcmp(strtab + sym[j].st_name, name)) {
				value = sym[j].st_value;
				break;
			}
	}
out:
	munmap(map, st.st_size);
	return value;
}

/* The library's mappings in pid's maps: the one at file offset 0 and the executable one. */
static int find_mappings(pid_t pid, uint64_t *base, uint64_t *base_end, uint64_t *text_start,
			 uint64_t *text_end)
{
	char path[PROC_PATH_MAX], line[4096], perms[8];
	uint64_t start, end, off;
	int found = 0, n;
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		len = strcspn(line, "\n");
		line[len] = 0;
		if (len < sizeof(MV_SAMPLER_LIB_NAME) ||
		    strcmp(line + len - strlen(MV_SAMPLER_LIB_NAME), MV_SAMPLER_LIB_NAME) ||
		    line[len - strlen(MV_SAMPLER_LIB_NAME) - 1] != '/')
			continue;
		n = sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64, &start, &end, perms, &off);
		if (n != 4)
			continue;
		if (off == 0 && !(found & 1)) {
			*base = start;
			*base_end = end;
			found |= 1;
		}
		if (perms[2] == 'x' && !(found & 2)) {
			*text_start = start;
			*text_end = end;
			found |= 2;
		}
	}
	fclose(f);
	return found == 3 ? 0 : -ENOENT;
}

int ctl_access__open(struct ctl_access *c, pid_t pid)
{
	uint64_t base, base_end, value;
	char path[PROC_PATH_MAX];
	int fd, err;

	if (!pid)
		pid = getpid();
	err = find_mappings(pid, &base, &base_end, &c->text_start, &c->text_end);
	if (err)
		return err;
	/* a shared object's first PT_LOAD is at vaddr 0: symbol values are offsets from base */
	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)pid, base,
		 base_end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	value = ctl_access__dynsym(fd, MV_SAMPLER_CTL_SYMBOL);
	close(fd);
	if (!value)
		return -ENOENT;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	c->mem_fd = open(path, O_RDWR | O_CLOEXEC);
	if (c->mem_fd < 0)
		return -errno;
	c->addr = base + value;
	return 0;
}

void ctl_access__close(struct ctl_access *c)
{
	if (c->mem_fd >= 0)
		close(c->mem_fd);
	c->mem_fd = -1;
}

int ctl_access__read(const struct ctl_access *c, struct memvigil_sampler_ctl *out)
{
	ssize_t n = pread(c->mem_fd, out, sizeof(*out), (off_t)c->addr);

	if (n < 0)
		return -errno;
	return n == sizeof(*out) ? 0 : -EIO;
}

static int write_field(const struct ctl_access *c, size_t offset, const void *v, size_t len)
{
	ssize_t n = pwrite(c->mem_fd, v, len, (off_t)(c->addr + offset));

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

#define WRITE(c, field, value) \
	write_field(c, offsetof(struct memvigil_sampler_ctl, field), &(value), sizeof(value))

int ctl_access__attach(const struct ctl_access *c, uint32_t mode, uint64_t period,
		       uint64_t generation, uint64_t lease_end_ns, uint32_t live_max)
{
	struct memvigil_sampler_ctl now;
	int err = ctl_access__read(c, &now);

	if (err)
		return err;
	if (now.magic != MV_SAMPLER_MAGIC || now.abi_version != MV_SAMPLER_ABI_VERSION ||
	    now.ctl_bytes < sizeof(now))
		return -EPROTO;
	if (now.mode != MV_SAMPLER_DORMANT)
		err = ctl_access__detach(c);	/* a session starts only from DORMANT */
	err = err ?: WRITE(c, live_max, live_max);
	err = err ?: WRITE(c, period_bytes, period);
	err = err ?: WRITE(c, lease_end_ns, lease_end_ns);
	err = err ?: WRITE(c, generation, generation);
	return err ?: WRITE(c, mode, mode);
}

int ctl_access__detach(const struct ctl_access *c)
{
	uint32_t mode = MV_SAMPLER_DORMANT;

	return WRITE(c, mode, mode);
}

int ctl_access__renew(const struct ctl_access *c, uint64_t lease_end_ns)
{
	return WRITE(c, lease_end_ns, lease_end_ns);
}
