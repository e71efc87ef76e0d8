// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "binary/elf_file.h"
#include "procfs/procmaps.h"
#include "symbolize/symbolizer.h"

/* Big enough that a few bytes in are still inside it at any -O level. */
__attribute__((noinline)) int mv_test_target(int n)
{
	volatile int acc = 0;
	int i;

	for (i = 0; i < n; i++)
		acc += i * 7;
	return acc;
}

static uint64_t target_addr(void)
{
	return (uint64_t)(uintptr_t)&mv_test_target;
}

/* Functions whose symbol names are a C++ one and a malformed "_Z" one. */
int mv_cxx_target(int n) __asm__("_ZN2mv4demo6targetEi");
int mv_bad_mangled(int n) __asm__("_Zmv_not_cxx");

__attribute__((noinline)) int mv_cxx_target(int n)
{
	return mv_test_target(n) + 1;
}

__attribute__((noinline)) int mv_bad_mangled(int n)
{
	return mv_test_target(n) + 2;
}

static void self_exe(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	cr_assert_gt(n, 0);
	buf[n] = '\0';
}

static struct symbolizer *new_sym(void)
{
	struct symbolizer *sym = symbolizer__new();

	cr_assert_not_null(sym);
	return sym;
}

/* A copy of this process that waits to be killed (and dies with us). */
static pid_t fork_sleeper(void)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	return pid;
}

static void kill_and_reap(pid_t pid)
{
	cr_assert_eq(kill(pid, SIGKILL), 0);
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
	cr_assert_eq(kill(pid, 0), -1, "PID %d still exists", pid);
}

Test(symbolizer, function_in_this_binary_resolves_to_its_name_and_module)
{
	struct symbolizer *sym = new_sym();
	struct mv_symbol s;
	char exe[4096];

	self_exe(exe, sizeof(exe));
	cr_assert_eq(symbolizer__capture(sym, getpid()), 0);
	cr_assert_eq(symbolizer__resolve(sym, getpid(), target_addr() + 5, &s), 0);
	cr_assert_str_eq(s.symbol, "mv_test_target");
	cr_assert_eq(s.offset, 5);
	cr_assert_str_eq(s.module, exe);
	symbolizer__free(sym);
}

Test(symbolizer, live_process_resolves_without_an_explicit_capture)
{
	struct symbolizer *sym = new_sym();
	struct mv_symbol s;

	cr_assert_eq(symbolizer__resolve(sym, getpid(), target_addr() + 9, &s), 0);
	cr_assert_str_eq(s.symbol, "mv_test_target");
	cr_assert_eq(s.offset, 9);
	symbolizer__free(sym);
}

Test(symbolizer, cxx_symbol_is_demangled_and_keeps_its_mangled_name)
{
	struct symbolizer *sym = new_sym();
	struct mv_symbol s;

	cr_assert_eq(symbolizer__resolve(sym, getpid(), (uintptr_t)&mv_cxx_target + 3, &s), 0);
	cr_assert_str_eq(s.symbol, "mv::demo::target(int)");
	cr_assert_str_eq(s.mangled, "_ZN2mv4demo6targetEi");
	cr_assert_eq(s.offset, 3);
	/* The second lookup is served by the cache, with the same strings. */
	cr_assert_eq(symbolizer__resolve(sym, getpid(), (uintptr_t)&mv_cxx_target + 4, &s), 0);
	cr_assert_str_eq(s.symbol, "mv::demo::target(int)");
	cr_assert_str_eq(s.mangled, "_ZN2mv4demo6targetEi");
	symbolizer__free(sym);
}

Test(symbolizer, rekeyed_process_resolves_under_its_new_key_only)
{
	struct symbolizer *sym = new_sym();
	pid_t pid = fork_sleeper();
	struct mv_symbol s;

	cr_assert_eq(symbolizer__capture(sym, pid), 0);
	cr_assert_eq(symbolizer__rekey(sym, pid, -1), 0);
	kill_and_reap(pid);
	cr_assert_eq(symbolizer__resolve(sym, -1, target_addr() + 5, &s), 0);
	cr_assert_str_eq(s.symbol, "mv_test_target");
	cr_assert_eq(symbolizer__resolve(sym, pid, target_addr() + 5, &s), -ENOENT,
		     "the PID no longer names the rekeyed process");
	cr_assert_eq(symbolizer__rekey(sym, pid, -2), -ENOENT);
	cr_assert_eq(symbolizer__capture(sym, getpid()), 0);
	cr_assert_eq(symbolizer__rekey(sym, getpid(), -1), -EEXIST);
	symbolizer__free(sym);
}

Test(symbolizer, c_symbol_is_untouched_and_has_no_mangled_name)
{
	struct symbolizer *sym = new_sym();
	struct mv_symbol s;

	cr_assert_eq(symbolizer__resolve(sym, getpid(), target_addr() + 5, &s), 0);
	cr_assert_str_eq(s.symbol, "mv_test_target");
	cr_assert_null(s.mangled);
	symbolizer__free(sym);
}

Test(symbolizer, malformed_mangled_symbol_is_kept_as_it_is)
{
	struct symbolizer *sym = new_sym();
	struct mv_symbol s;

	cr_assert_eq(symbolizer__resolve(sym, getpid(), (uintptr_t)&mv_bad_mangled + 2, &s), 0);
	cr_assert_str_eq(s.symbol, "_Zmv_not_cxx");
	cr_assert_null(s.mangled);
	symbolizer__free(sym);
}

/* The size of mv_test_target as this binary's symbol table records it. */
static uint64_t target_size(void)
{
	struct elf_file *ef = elf_file__open("/proc/self/exe");
	uint64_t vaddr, size;

	cr_assert_not_null(ef);
	cr_assert_eq(elf_file__find_symbol(ef, "mv_test_target", &vaddr, &size), 0);
	elf_file__free(ef);
	cr_assert_gt(size, 0);
	return size;
}

Test(symbolizer, return_address_names_the_function_holding_the_call)
{
	struct symbolizer *sym = new_sym();
	uint64_t size = target_size();
	struct mv_symbol s;

	/* A call that is the function's last instruction returns past its end. */
	cr_assert_eq(symbolizer__resolve(sym, getpid(), target_addr() + size, &s), 0);
	cr_assert_str_eq(s.symbol, "mv_test_target");
	cr_assert_eq(s.offset, size);
	/* A return to the first byte comes from a call in whatever precedes it. */
	cr_assert_eq(symbolizer__resolve(sym, getpid(), target_addr(), &s), 0);
	cr_assert(!s.symbol || strcmp(s.symbol, "mv_test_target"), "got %s", s.symbol);
	symbolizer__free(sym);
}

/* libc's own malloc, whatever a sanitizer may have interposed on the name. */
static uint64_t libc_malloc(void)
{
	void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	void *f;

	cr_assert_not_null(h, "%s", dlerror());
	f = dlsym(h, "malloc");
	dlclose(h);
	cr_assert_not_null(f);
	return (uint64_t)(uintptr_t)f;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && !strcmp(s + n - t, tail);
}

Test(symbolizer, libc_malloc_resolves_to_malloc_in_libc)
{
	struct symbolizer *sym = new_sym();
	struct mv_symbol s;

	cr_assert_eq(symbolizer__resolve(sym, getpid(), libc_malloc() + 5, &s), 0);
	cr_assert_str_eq(s.symbol, "malloc");
	cr_assert_eq(s.offset, 5);
	cr_assert(ends_with(s.module, "/libc.so.6"), "module %s", s.module);
	symbolizer__free(sym);
}

/* The separate debug file of libc by build-id, if installed. */
static void libc_debug_file(const char *libc, char *path, size_t len)
{
	struct elf_file *ef = elf_file__open(libc);
	const uint8_t *id;
	size_t n, i, off;

	cr_assert_not_null(ef);
	cr_assert_eq(elf_file__build_id(ef, &id, &n), 0);
	off = snprintf(path, len, "/usr/lib/debug/.build-id/%02x/", id[0]);
	for (i = 1; i < n; i++)
		off += snprintf(path + off, len - off, "%02x", id[i]);
	snprintf(path + off, len - off, ".debug");
	elf_file__free(ef);
}

static uint64_t nm_local_func(const char *path, const char *name)
{
	char cmd[8192], line[1024], tail[256];
	uint64_t v = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "nm '%s'", path);
	snprintf(tail, sizeof(tail), " t %s\n", name);
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	while (!v && fgets(line, sizeof(line), f))
		if (ends_with(line, tail))
			v = strtoull(line, NULL, 16);
	pclose(f);
	cr_assert_neq(v, 0, "nm finds no %s in %s", name, path);
	return v;
}

/* _int_malloc is not exported: only the debug file's .symtab names it. */
Test(symbolizer, libc_internal_function_is_named_from_the_debug_file)
{
	struct symbolizer *sym = new_sym();
	const struct mv_mapping *m;
	char dbg[512], libc[4096];
	struct procmaps *pm;
	struct mv_symbol s;
	uint64_t vaddr, base = 0;
	size_t i;

	pm = procmaps__read(getpid());
	cr_assert_not_null(pm);
	m = procmaps__find(pm, libc_malloc());
	cr_assert_not_null(m);
	snprintf(libc, sizeof(libc), "%s", m->path);
	libc_debug_file(libc, dbg, sizeof(dbg));
	if (access(dbg, R_OK))
		cr_skip_test("no debug file %s for %s (install libc6-dbg)", dbg, libc);
	vaddr = nm_local_func(dbg, "_int_malloc");
	for (i = 0; i < pm->cnt && !base; i++)	/* libc's first PT_LOAD is at 0 */
		if (!strcmp(pm->maps[i].path, libc) && !pm->maps[i].file_offset)
			base = pm->maps[i].start;
	cr_assert_neq(base, 0);
	procmaps__free(pm);
	cr_assert_eq(symbolizer__resolve(sym, getpid(), base + vaddr + 3, &s), 0);
	cr_assert_str_eq(s.symbol, "_int_malloc");
	cr_assert_eq(s.offset, 3);
	symbolizer__free(sym);
}

Test(symbolizer, captured_process_still_symbolizes_after_it_exits)
{
	struct symbolizer *sym = new_sym();
	pid_t child = fork_sleeper();
	struct mv_symbol s;
	char exe[4096];

	self_exe(exe, sizeof(exe));
	cr_assert_eq(symbolizer__capture(sym, child), 0);
	kill_and_reap(child);
	cr_assert_eq(symbolizer__resolve(sym, child, target_addr() + 5, &s), 0);
	cr_assert_str_eq(s.symbol, "mv_test_target");
	cr_assert_eq(s.offset, 5);
	cr_assert_str_eq(s.module, exe);
	cr_assert_eq(symbolizer__resolve(sym, child, libc_malloc() + 5, &s), 0);
	cr_assert_str_eq(s.symbol, "malloc");
	symbolizer__free(sym);
}

Test(symbolizer, forgotten_exited_process_no_longer_resolves)
{
	struct symbolizer *sym = new_sym();
	pid_t child = fork_sleeper();
	struct mv_symbol s;

	cr_assert_eq(symbolizer__capture(sym, child), 0);
	kill_and_reap(child);
	symbolizer__forget(sym, child);
	cr_assert_eq(symbolizer__resolve(sym, child, target_addr() + 5, &s), -ENOENT);
	cr_assert_null(s.module);
	cr_assert_null(s.symbol);
	symbolizer__free(sym);
}

Test(symbolizer, capture_of_a_reaped_process_is_esrch)
{
	struct symbolizer *sym = new_sym();
	pid_t child = fork_sleeper();
	struct mv_symbol s;

	kill_and_reap(child);
	cr_assert_eq(symbolizer__capture(sym, child), -ESRCH);
	cr_assert_eq(symbolizer__resolve(sym, child, target_addr(), &s), -ENOENT);
	symbolizer__free(sym);
}

Test(symbolizer, unmapped_address_is_enoent)
{
	struct symbolizer *sym = new_sym();
	struct mv_symbol s;

	cr_assert_eq(symbolizer__capture(sym, getpid()), 0);
	cr_assert_eq(symbolizer__resolve(sym, getpid(), 16, &s), -ENOENT);
	cr_assert_null(s.module);
	cr_assert_null(s.symbol);
	symbolizer__free(sym);
}

Test(symbolizer, anonymous_memory_mapped_after_capture_has_no_module)
{
	struct symbolizer *sym = new_sym();
	struct mv_symbol s;
	char *p;

	cr_assert_eq(symbolizer__capture(sym, getpid()), 0);
	p = mmap(NULL, 8192, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(p, MAP_FAILED);
	cr_assert_eq(symbolizer__resolve(sym, getpid(), (uint64_t)(uintptr_t)p + 100, &s), 0);
	cr_assert_null(s.module);
	cr_assert_null(s.symbol);
	cr_assert_eq(s.offset, 100);
	munmap(p, 8192);
	symbolizer__free(sym);
}

Test(symbolizer, vdso_address_has_a_module_but_no_symbol)
{
	struct symbolizer *sym = new_sym();
	uint64_t vdso = getauxval(AT_SYSINFO_EHDR);
	struct mv_symbol s;

	cr_assert_neq(vdso, 0);
	cr_assert_eq(symbolizer__resolve(sym, getpid(), vdso + 16, &s), 0);
	cr_assert_str_eq(s.module, "[vdso]");
	cr_assert_null(s.symbol);
	cr_assert_eq(s.offset, 16);
	symbolizer__free(sym);
}

Test(symbolizer, strings_outlive_forget_and_recapture)
{
	struct symbolizer *sym = new_sym();
	struct mv_symbol s;
	char exe[4096];

	self_exe(exe, sizeof(exe));
	cr_assert_eq(symbolizer__resolve(sym, getpid(), target_addr() + 5, &s), 0);
	symbolizer__forget(sym, getpid());
	cr_assert_eq(symbolizer__capture(sym, getpid()), 0);
	symbolizer__forget(sym, getpid());
	cr_assert_str_eq(s.symbol, "mv_test_target");
	cr_assert_str_eq(s.module, exe);
	symbolizer__free(sym);
}

/* A copy of the known_symbols data binary, to delete while it runs. */
static void copy_known_symbols(char *abs_path)
{
	const char *dir = getenv("MV_BUILD_DIR");
	char src[4096], copy[4200], buf[65536];
	int in, out;
	ssize_t n;

	snprintf(src, sizeof(src), "%s/tests/unit/data/known_symbols", dir && *dir ? dir : "build");
	snprintf(copy, sizeof(copy), "%s.copy.XXXXXX", src);
	in = open(src, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(in, 0, "%s is missing: build it first", src);
	out = mkostemp(copy, O_CLOEXEC);
	cr_assert_geq(out, 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		cr_assert_eq(write(out, buf, n), n);
	close(in);
	cr_assert_eq(fchmod(out, 0755), 0);
	close(out);
	/* As the kernel will list it in the maps. */
	cr_assert_not_null(realpath(copy, abs_path));
}

struct known {
	uint64_t alpha;		/* where the child says mv_known_alpha is */
	uint64_t in_data;	/* and mv_known_in_data */
};

/* Run path "wait" and read the addresses it prints. */
static pid_t spawn_known(const char *path, struct known *k)
{
	char line[64] = "";
	int pfd[2];
	pid_t pid;
	FILE *f;

	cr_assert_eq(pipe2(pfd, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(pfd[1], STDOUT_FILENO);
		execl(path, path, "wait", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	f = fdopen(pfd[0], "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(line, sizeof(line), f), "%s printed nothing", path);
	fclose(f);
	cr_assert_eq(sscanf(line, "%" SCNx64 " %" SCNx64, &k->alpha, &k->in_data), 2,
		     "%s printed '%s'", path, line);
	return pid;
}

static void assert_deleted_alpha(struct symbolizer *sym, pid_t pid, const struct known *k,
				 const char *path)
{
	char module[PATH_MAX + 16];
	struct mv_symbol s;

	snprintf(module, sizeof(module), "%s (deleted)", path);
	cr_assert_eq(symbolizer__resolve(sym, pid, k->alpha + 3, &s), 0);
	cr_assert_str_eq(s.module, module);
	cr_assert_str_eq(s.symbol, "mv_known_alpha");
	cr_assert_eq(s.offset, 3);
}

/* There, unlike in .text, file offset and ELF address differ. */
Test(symbolizer, function_in_a_data_segment_resolves_through_the_load_headers)
{
	struct symbolizer *sym = new_sym();
	char path[PATH_MAX];
	struct mv_symbol s;
	struct known k;
	pid_t pid;

	copy_known_symbols(path);
	pid = spawn_known(path, &k);
	cr_assert_eq(symbolizer__capture(sym, pid), 0);
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(symbolizer__resolve(sym, pid, k.in_data + 3, &s), 0);
	cr_assert_str_eq(s.symbol, "mv_known_in_data");
	cr_assert_eq(s.offset, 3);
	cr_assert_eq(symbolizer__resolve(sym, pid, k.in_data + 8, &s), 0);
	cr_assert_str_eq(s.symbol, "mv_known_in_data");
	cr_assert_eq(s.offset, 8);
	kill_and_reap(pid);
	symbolizer__free(sym);
}

Test(symbolizer, binary_deleted_after_capture_symbolizes_after_exit)
{
	struct symbolizer *sym = new_sym();
	char path[PATH_MAX];
	struct known k;
	pid_t pid;

	copy_known_symbols(path);
	pid = spawn_known(path, &k);
	cr_assert_eq(symbolizer__capture(sym, pid), 0);
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(symbolizer__capture(sym, pid), 0);	/* now lists " (deleted)" */
	kill_and_reap(pid);
	assert_deleted_alpha(sym, pid, &k, path);
	symbolizer__free(sym);
}

/* Only /proc/PID/map_files still reaches the file; it takes CAP_SYS_ADMIN. */
Test(symbolizer, binary_deleted_before_capture_is_read_through_map_files)
{
	struct symbolizer *sym;
	char path[PATH_MAX];
	struct known k;
	pid_t pid;

	if (geteuid())
		cr_skip_test("needs root to open /proc/PID/map_files");
	sym = new_sym();
	copy_known_symbols(path);
	pid = spawn_known(path, &k);
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(symbolizer__capture(sym, pid), 0);
	kill_and_reap(pid);
	assert_deleted_alpha(sym, pid, &k, path);
	symbolizer__free(sym);
}

static int open_fd_cnt(void)
{
	DIR *d = opendir("/proc/self/fd");
	int cnt = 0;

	cr_assert_not_null(d);
	while (readdir(d))
		cnt++;
	closedir(d);
	return cnt;
}

Test(symbolizer, free_closes_every_file_it_opened)
{
	int before = open_fd_cnt();
	struct symbolizer *sym = new_sym();
	pid_t child = fork_sleeper();
	struct mv_symbol s;

	cr_assert_eq(symbolizer__capture(sym, child), 0);
	cr_assert_eq(symbolizer__capture(sym, getpid()), 0);
	cr_assert_eq(symbolizer__resolve(sym, child, libc_malloc() + 5, &s), 0);
	kill_and_reap(child);
	cr_assert_gt(open_fd_cnt(), before + 1, "capture kept no files open");
	symbolizer__free(sym);
	cr_assert_eq(open_fd_cnt(), before);
}

Test(symbolizer, forget_closes_the_files_no_capture_needs)
{
	int before = open_fd_cnt();
	struct symbolizer *sym = new_sym();
	pid_t child = fork_sleeper();

	cr_assert_eq(symbolizer__capture(sym, child), 0);
	kill_and_reap(child);
	cr_assert_gt(open_fd_cnt(), before + 1, "capture kept no files open");
	symbolizer__forget(sym, child);
	cr_assert_eq(open_fd_cnt(), before);
	symbolizer__free(sym);
}

Test(symbolizer, free_accepts_null)
{
	symbolizer__free(NULL);
}
