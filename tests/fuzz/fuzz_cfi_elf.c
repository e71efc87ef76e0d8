// SPDX-License-Identifier: GPL-2.0
/*
 * The unwind table builder from an ELF object (cfi_table__build_fd): its
 * section headers, or its PT_GNU_EH_FRAME segment and .eh_frame_hdr when
 * they are missing, its .eh_frame and .debug_frame. The input's first byte
 * says whether the same image is also handed as the separate debug file
 * (bit 0); the rest is the object. A table built has its rows in pc order.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>
#include "fuzz_input.h"
#include "unwind/cfi_table.h"

/* A memfd holding data[0..size) (kept open: the builder neither closes nor moves it). */
static int image_fd(const uint8_t *data, size_t size)
{
	static int memfd = -1;

	if (memfd < 0)
		memfd = memfd_create("fuzz_cfi_elf", MFD_CLOEXEC);
	FUZZ_CHECK(memfd >= 0);
	FUZZ_CHECK(ftruncate(memfd, 0) == 0);
	FUZZ_CHECK(pwrite(memfd, data, size, 0) == (ssize_t)size);
	return memfd;
}

/* Rows in pc order, each found again by its address. */
static void check_rows(const struct cfi_table *t)
{
	size_t cnt, i;
	const struct unwind_row *rows = cfi_table__rows(t, &cnt);
	struct unwind_row found;

	FUZZ_CHECK(cnt && cnt == cfi_table__row_cnt(t));
	FUZZ_CHECK(cfi_table__bytes(t) >= cnt * sizeof(*rows));
	for (i = 0; i < cnt; i++) {
		FUZZ_CHECK(!i || rows[i - 1].pc <= rows[i].pc);
		cfi_table__lookup(t, cfi_table__base_vaddr(t) + rows[i].pc, &found);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfi_table *t = NULL;
	int fd, err;

	if (!size)
		return 0;
	fd = image_fd(data + 1, size - 1);
	err = cfi_table__build_fd(fd, data[0] & 1 ? fd : -1, &t);
	FUZZ_CHECK(err == 0 || err == -ENOENT || err == -ENOTSUP || err == -EINVAL ||
		   err == -E2BIG || err == -ENOMEM);
	FUZZ_CHECK(!err == !!t);
	FUZZ_CHECK(lseek(fd, 0, SEEK_CUR) == 0);
	if (t) {
		check_rows(t);
		cfi_table__stats(t);
	}
	cfi_table__free(t);
	return 0;
}
