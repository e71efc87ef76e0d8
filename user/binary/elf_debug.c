// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <gelf.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "binary/elf_debug.h"
#include "lib/grow.h"

/* The first section named name with contents in the file, or NULL. */
static Elf_Data *section_data(Elf *elf, const char *name)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	const char *n;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		n = elf_strptr(elf, shstrndx, sh.sh_name);
		if (n && !strcmp(n, name))
			return elf_rawdata(scn, NULL);
	}
	return NULL;
}

int elf_debug__link(struct elf_file *ef, const char **name, uint32_t *crc)
{
	Elf_Data *d = section_data(elf_file__elf(ef), ".gnu_debuglink");
	const char *s;
	size_t len, crc_off;

	if (!d || !d->d_buf)
		return -ENOENT;
	s = d->d_buf;
	len = strnlen(s, d->d_size);
	/* name, NUL, padding to 4, then the CRC in the file's byte order */
	crc_off = (len + 4) & ~(size_t)3;
	if (!len || len == d->d_size || crc_off + 4 > d->d_size || strchr(s, '/'))
		return -EINVAL;
	memcpy(crc, (const char *)d->d_buf + crc_off, 4);
	if (elf_getident(elf_file__elf(ef), NULL)[EI_DATA] != ELFDATA2LSB)
		*crc = __builtin_bswap32(*crc);
	*name = s;
	return 0;
}

int elf_debug__altlink(struct elf_file *ef, const char **name, const uint8_t **id,
		       size_t *id_len)
{
	Elf_Data *d = section_data(elf_file__elf(ef), ".gnu_debugaltlink");
	size_t len;

	if (!d || !d->d_buf)
		return -ENOENT;
	len = strnlen(d->d_buf, d->d_size);
	/* name, NUL, then the build-id to the end of the section */
	if (!len || len == d->d_size || d->d_size - len - 1 < 1 || d->d_size - len - 1 > 64)
		return -EINVAL;
	*name = d->d_buf;
	*id = (const uint8_t *)d->d_buf + len + 1;
	*id_len = d->d_size - len - 1;
	return 0;
}

/* in[0..len) xz-decoded into a malloc'd buffer: 0 with *out, *out_len, or a negative errno. */
static int xz_decode(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
	lzma_stream st = LZMA_STREAM_INIT;
	size_t cap = 0;
	uint8_t *buf = NULL, *grown;
	lzma_ret ret;
	int err = 0;

	if (lzma_stream_decoder(&st, ELF_DEBUG_MINI_MAX_BYTES, 0) != LZMA_OK)
		return -ENOMEM;
	st.next_in = in;
	st.avail_in = len;
	do {
		if (!st.avail_out) {
			if (st.total_out >= ELF_DEBUG_MINI_MAX_BYTES) {
				err = -EFBIG;
				break;
			}
			grown = grow__array(buf, &cap, st.total_out + 1, 1, len * 4 + 4096);
			if (!grown) {
				err = -ENOMEM;
				break;
			}
			buf = grown;
			st.next_out = buf + st.total_out;
			st.avail_out = cap - st.total_out;
		}
		ret = lzma_code(&st, LZMA_FINISH);
	} while (ret == LZMA_OK);
	if (!err && ret != LZMA_STREAM_END)
		err = ret == LZMA_MEM_ERROR ? -ENOMEM : ret == LZMA_MEMLIMIT_ERROR ? -EFBIG : -EINVAL;
	*out_len = st.total_out;
	lzma_end(&st);
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	return 0;
}

struct elf_file *elf_debug__mini(struct elf_file *ef)
{
	Elf_Data *d = section_data(elf_file__elf(ef), ".gnu_debugdata");
	size_t len;
	uint8_t *img;
	int err;

	if (!d || !d->d_buf || !d->d_size) {
		errno = ENOENT;
		return NULL;
	}
	err = xz_decode(d->d_buf, d->d_size, &img, &len);
	if (err) {
		errno = -err;
		return NULL;
	}
	return elf_file__open_mem(img, len);
}

bool elf_debug__has_dwarf(struct elf_file *ef)
{
	Elf_Data *d = section_data(elf_file__elf(ef), ".debug_info");

	return d && d->d_size;
}

int elf_debug__file_crc(int fd, uint32_t *crc)
{
	unsigned char buf[65536];
	uLong c = crc32(0, Z_NULL, 0);
	off_t off = 0;
	ssize_t n;

	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		c = crc32(c, buf, (uInt)n);
		off += n;
	}
	if (n < 0)
		return -errno;
	*crc = (uint32_t)c;
	return 0;
}
