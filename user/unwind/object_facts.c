// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <sys/stat.h>
#include "unwind/object_facts.h"

/* The GNU build id among the notes of one PT_NOTE segment, if there. */
static void read_build_id(Elf *elf, const GElf_Phdr *ph, struct object_facts *f)
{
	Elf_Data *d = elf_getdata_rawchunk(elf, ph->p_offset, ph->p_filesz, ELF_T_NHDR);
	size_t off, name_off, desc_off;
	GElf_Nhdr nh;

	for (off = 0; d && (off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0;) {
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    !memcmp((char *)d->d_buf + name_off, "GNU", 4) &&
		    nh.n_descsz <= OBJECT_BUILD_ID_MAX) {
			memcpy(f->build_id, (char *)d->d_buf + desc_off, nh.n_descsz);
			f->build_id_len = nh.n_descsz;
			return;
		}
	}
}

int object_facts__read(int fd, struct object_facts *f)
{
	Elf *elf;
	size_t phnum = 0, i;
	struct stat st;
	GElf_Phdr ph;

	memset(f, 0, sizeof(*f));
	if (fstat(fd, &st))
		return -EINVAL;
	f->size = (uint64_t)st.st_size;
	f->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return -EINVAL;
	if (elf_kind(elf) != ELF_K_ELF || elf_getphdrnum(elf, &phnum)) {
		elf_end(elf);
		return -EINVAL;
	}
	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph))
			continue;
		if (ph.p_type == PT_LOAD && f->load_cnt < OBJECT_MAX_LOADS)
			f->loads[f->load_cnt++] = (struct object_load){ ph.p_offset, ph.p_vaddr,
									ph.p_filesz };
		else if (ph.p_type == PT_NOTE && !f->build_id_len)
			read_build_id(elf, &ph, f);
	}
	elf_end(elf);
	return 0;
}

bool object_facts__same(const struct object_facts *a, const struct object_facts *b)
{
	if (a->build_id_len != b->build_id_len ||
	    memcmp(a->build_id, b->build_id, a->build_id_len))
		return false;
	if (!a->build_id_len && (a->size != b->size || a->mtime_ns != b->mtime_ns))
		return false;
	return a->load_cnt == b->load_cnt &&
	       !memcmp(a->loads, b->loads, a->load_cnt * sizeof(a->loads[0]));
}

int object_facts__vaddr(const struct object_facts *f, uint64_t pgoff, uint64_t *vaddr)
{
	uint32_t i;

	for (i = 0; i < f->load_cnt; i++) {
		const struct object_load *l = &f->loads[i];

		/* mmap maps from the page holding p_offset */
		if (pgoff >= (l->offset & ~0xfffull) && pgoff < l->offset + l->filesz) {
			*vaddr = l->vaddr - l->offset + pgoff;
			return 0;
		}
	}
	return -ENOENT;
}
