// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "binary/elf_file.h"
#include "procfs/mapped_file.h"
#include "sites/sampler_site.h"

/* Whether path names the library: its file name, not one that merely ends so. */
static bool is_sampler_path(const char *path)
{
	size_t len = path ? strlen(path) : 0, name = strlen(MV_SAMPLER_LIB_NAME);

	return len > name && path[len - name - 1] == '/' &&
	       !strcmp(path + len - name, MV_SAMPLER_LIB_NAME);
}

const struct mv_mapping *sampler_site__mapping(const struct procmaps *pm)
{
	size_t i;

	for (i = 0; i < pm->cnt; i++)
		if (is_sampler_path(pm->maps[i].path))
			return &pm->maps[i];
	return NULL;
}

int sampler_site__check_ctl(const struct memvigil_sampler_ctl *ctl, char *why, size_t why_len)
{
	if (ctl->magic != MV_SAMPLER_MAGIC) {
		snprintf(why, why_len, "its control object has no valid magic number");
		return -EPROTO;
	}
	if (ctl->abi_version != MV_SAMPLER_ABI_VERSION || ctl->ctl_bytes < sizeof(*ctl)) {
		snprintf(why, why_len, "its ABI version is %u (%u bytes), memvigil speaks %u: "
			 "use the library built with this memvigil", ctl->abi_version,
			 ctl->ctl_bytes, MV_SAMPLER_ABI_VERSION);
		return -EPROTO;
	}
	if (!(ctl->flags & MV_SAMPLER_F_READY)) {
		snprintf(why, why_len, "it is not initialized yet");
		return -EAGAIN;
	}
	if (ctl->flags & MV_SAMPLER_F_SHADOWED) {
		snprintf(why, why_len, "another malloc comes before it in symbol lookup "
			 "(the executable's own, or an allocator preloaded first)");
		return -EBUSY;
	}
	return 0;
}

/* A probe function's file offset, checked to start with the 5-byte nop. */
static int probe_offset(struct elf_file *ef, int fd, const char *name, uint64_t *offset)
{
	static const uint8_t nop[MV_SAMPLER_PROBE_NOP_LEN] = MV_SAMPLER_PROBE_NOP;
	uint8_t code[MV_SAMPLER_PROBE_NOP_LEN];
	uint64_t vaddr;

	if (elf_file__find_symbol(ef, name, &vaddr, NULL) ||
	    elf_file__vaddr_to_offset(ef, vaddr, offset))
		return -ENOENT;
	if (pread(fd, code, sizeof(code), (off_t)*offset) != sizeof(code) ||
	    memcmp(code, nop, sizeof(nop)))
		return -EPROTO;
	return 0;
}

/* The address in pm of file offset offset of the file m maps. */
static uint64_t address_of(const struct procmaps *pm, const struct mv_mapping *m,
			   uint64_t offset)
{
	size_t i;

	for (i = 0; i < pm->cnt; i++) {
		const struct mv_mapping *o = &pm->maps[i];

		if (o->inode != m->inode || o->dev_major != m->dev_major ||
		    o->dev_minor != m->dev_minor || offset < o->file_offset ||
		    offset - o->file_offset >= o->end - o->start)
			continue;
		return o->start + (offset - o->file_offset);
	}
	return 0;
}

/* The probe functions' offsets and the control object's address, from the library's ELF. */
static int read_symbols(struct sampler_site *s, const struct procmaps *pm,
			const struct mv_mapping *m, char *err, size_t err_len)
{
	int dup_fd = dup(s->object.fd), ret;
	uint64_t vaddr, size, offset;
	struct elf_file *ef;

	ef = dup_fd < 0 ? NULL : elf_file__open_fd(dup_fd);
	if (!ef) {
		snprintf(err, err_len, "cannot read %s: %s", m->path, strerror(errno));
		return -errno;
	}
	ret = probe_offset(ef, s->object.fd, MV_SAMPLER_ALLOC_SYMBOL, &s->alloc_offset);
	if (!ret)
		ret = probe_offset(ef, s->object.fd, MV_SAMPLER_FREE_SYMBOL, &s->free_offset);
	if (ret) {
		snprintf(err, err_len, "%s: its probe functions are %s", m->path,
			 ret == -ENOENT ? "missing" : "not the ABI's (no 5-byte nop first)");
		ret = -EPROTO;
	}
	if (!ret && (elf_file__find_dynamic_object(ef, MV_SAMPLER_CTL_SYMBOL, &vaddr, &size) ||
		     size < sizeof(s->ctl) || elf_file__vaddr_to_offset(ef, vaddr, &offset) ||
		     !(s->ctl_addr = address_of(pm, m, offset)))) {
		snprintf(err, err_len, "%s: no control object %s mapped", m->path,
			 MV_SAMPLER_CTL_SYMBOL);
		ret = -EPROTO;
	}
	elf_file__free(ef);
	return ret;
}

int sampler_site__find(pid_t pid, struct sampler_ctl *c, struct sampler_site *s, char *err,
		       size_t err_len)
{
	struct procmaps *pm = procmaps__read(pid);
	const struct mv_mapping *m;
	char why[256];
	int ret;

	memset(s, 0, sizeof(*s));
	s->object.fd = -1;
	err[0] = '\0';
	if (!pm) {
		ret = -errno;
		snprintf(err, err_len, "cannot read the mappings of PID %d: %s", pid,
			 strerror(-ret));
		return ret;
	}
	m = sampler_site__mapping(pm);
	ret = m ? mapped_file__open(pid, m) : -ENOENT;
	if (m && ret < 0)
		snprintf(err, err_len, "cannot open %s: %s", m->path, mapped_file__strerror(ret));
	if (ret >= 0) {
		s->object.fd = ret;
		snprintf(s->object.path, sizeof(s->object.path), "%s", m->path);
		mapped_file__fd_path(ret, s->object.open_path, sizeof(s->object.open_path));
		ret = read_symbols(s, pm, m, err, err_len);
	}
	if (!ret) {
		c->addr = s->ctl_addr;
		ret = sampler_ctl__read(c, &s->ctl);
	}
	if (ret && m && !err[0])
		snprintf(err, err_len, "cannot read the control object of %s in PID %d: %s",
			 m->path, pid, strerror(-ret));
	if (!ret && (ret = sampler_site__check_ctl(&s->ctl, why, sizeof(why))))
		snprintf(err, err_len, "%s is loaded but %s", MV_SAMPLER_LIB_NAME, why);
	procmaps__free(pm);
	return ret;
}

void sampler_site__release(struct sampler_site *s)
{
	if (s->object.fd >= 0)
		close(s->object.fd);
	s->object.fd = -1;
}
