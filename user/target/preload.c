// SPDX-License-Identifier: GPL-2.0
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "memvigil/sampler.h"
#include "target/launch.h"
#include "target/preload.h"

/* Bytes of an executable read to find its program headers. */
#define PRELOAD_HEAD_BYTES 4096

int preload__find_library(const char *exe, char *out, size_t out_len)
{
	static const char *const rel[] = { "lib/memvigil/", "../lib/memvigil/" };
	char dir[PATH_MAX];
	size_t i;

	snprintf(dir, sizeof(dir), "%s", exe);
	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(out, out_len, "%s/%s%s", dirname(dir), rel[i], MV_SAMPLER_LIB_NAME);
		if (!access(out, R_OK))
			return 0;
		snprintf(dir, sizeof(dir), "%s", exe);
	}
	return -ENOENT;
}

int preload__value(const char *lib, const char *existing, char *out, size_t out_len)
{
	int n;

	if (existing && *existing)
		n = snprintf(out, out_len, "%s %s", lib, existing);
	else
		n = snprintf(out, out_len, "%s", lib);
	return n < 0 || (size_t)n >= out_len ? -ENAMETOOLONG : 0;
}

int preload__elf_is_dynamic(const void *buf, size_t len)
{
	const Elf64_Ehdr *eh = buf;
	Elf64_Phdr ph;
	size_t i;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_phentsize != sizeof(ph))
		return -ENOEXEC;
	for (i = 0; i < eh->e_phnum; i++) {
		if (eh->e_phoff > len || (len - eh->e_phoff) / sizeof(ph) <= i)
			return -ENOEXEC;
		memcpy(&ph, (const char *)buf + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_INTERP)
			return 1;
	}
	return 0;
}

/* Whether the executable at path can take a preload: 0, or -EPERM / -ENOEXEC with why. */
static int check_preloadable(const char *path, char *err, size_t err_len)
{
	char head[PRELOAD_HEAD_BYTES];
	struct stat st;
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, err_len, "cannot read %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	n = read(fd, head, sizeof(head));
	close(fd);
	if (st.st_mode & (S_ISUID | S_ISGID)) {
		snprintf(err, err_len, "--preload: %s is set-user-ID or set-group-ID, which ignores "
			 "LD_PRELOAD; trace it without --preload (allocator uprobes)", path);
		return -EPERM;
	}
	if (n > 0 && preload__elf_is_dynamic(head, n) == 0) {
		snprintf(err, err_len, "--preload: %s is statically linked and cannot preload a "
			 "library; trace it without --preload (allocator uprobes)", path);
		return -ENOEXEC;
	}
	return 0;
}

int preload__prepare(const char *command, char *out, size_t out_len, char *err,
		     size_t err_len)
{
	char exe[PATH_MAX], lib[PATH_MAX], path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int ret;

	exe[n > 0 ? n : 0] = '\0';
	if (n <= 0 || preload__find_library(exe, lib, sizeof(lib))) {
		snprintf(err, err_len, "--preload: %s not found next to %s (lib/memvigil/ or "
			 "../lib/memvigil/); build it with make or install it with make install",
			 MV_SAMPLER_LIB_NAME, n > 0 ? exe : "memvigil");
		return -ENOENT;
	}
	ret = launch__find_command(command, path, sizeof(path));
	if (!ret)
		ret = check_preloadable(path, err, err_len);
	else
		snprintf(err, err_len, "command not found: %s; give a path or check PATH", command);
	if (ret)
		return ret;
	ret = preload__value(lib, getenv("LD_PRELOAD"), out, out_len);
	if (ret)
		snprintf(err, err_len, "--preload: LD_PRELOAD is too long to add the sampler to");
	return ret;
}
