// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "output_file.h"

static char dir[] = "/tmp/memvigil-test-output-XXXXXX";
static char err[512];

static void make_dir(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static int remove_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void remove_dir(void)
{
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* DIR/name in a static buffer of its own per slot. */
static const char *in_dir(const char *name, int slot)
{
	static char paths[4][512];

	snprintf(paths[slot], sizeof(paths[slot]), "%s/%s", dir, name);
	return paths[slot];
}

static void write_text(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
	cr_assert_eq(chmod(path, mode), 0);
}

static const char *read_text(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	size_t n;

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Entries in the directory besides . and .. */
static int entry_cnt(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	cr_assert_eq(lstat(path, &st), 0, "%s: %s", path, strerror(errno));
	return st.st_mode & 07777;
}

static int try_open(const char *path, enum output_mode mode)
{
	struct output_file *of = (void *)1;
	int ret = output_file__open(path, mode, &of, err, sizeof(err));

	cr_assert(ret ? of == NULL : of != NULL);
	output_file__free(of);
	return ret;
}

static const enum output_mode modes[] = { OUTPUT_REPORT, OUTPUT_APPEND };

TestSuite(output_file, .init = make_dir, .fini = remove_dir, .timeout = 10);

Test(output_file, symbolic_link_is_refused_and_its_target_left_unchanged)
{
	const char *secret = in_dir("secret", 0), *out = in_dir("out", 1);
	size_t i;

	write_text(secret, "keep\n", 0600);
	cr_assert_eq(symlink(secret, out), 0);
	for (i = 0; i < 2; i++) {
		cr_assert_eq(try_open(out, modes[i]), -ELOOP, "%s", err);
		cr_assert(strstr(err, "it is a symbolic link; give a path that is not a link"),
			  "%s", err);
		cr_assert(strstr(err, out), "%s", err);
	}
	cr_assert_str_eq(read_text(secret), "keep\n");
	cr_assert_eq(entry_cnt(), 2, "a temporary file was left behind");
}

Test(output_file, dangling_symbolic_link_is_not_followed_to_create_its_target)
{
	const char *target = in_dir("created-through-link", 0), *out = in_dir("out", 1);
	size_t i;

	cr_assert_eq(symlink(target, out), 0);
	for (i = 0; i < 2; i++)
		cr_assert_eq(try_open(out, modes[i]), -ELOOP, "%s", err);
	cr_assert_eq(access(target, F_OK), -1, "a file was created through the link");
}

Test(output_file, fifo_is_refused_without_blocking)
{
	const char *fifo = in_dir("fifo", 0);
	size_t i;

	cr_assert_eq(mkfifo(fifo, 0600), 0);
	for (i = 0; i < 2; i++) {
		cr_assert_eq(try_open(fifo, modes[i]), -ENXIO, "%s", err);
		cr_assert(strstr(err, "it is a FIFO, not a regular file"), "%s", err);
	}
}

Test(output_file, directory_and_device_are_refused)
{
	const char *sub = in_dir("sub", 0), *slash = in_dir("new/", 1);
	size_t i;

	cr_assert_eq(mkdir(sub, 0700), 0);
	for (i = 0; i < 2; i++) {
		cr_assert_eq(try_open(sub, modes[i]), -EISDIR, "%s", err);
		cr_assert(strstr(err, "it is a directory"), "%s", err);
		cr_assert_eq(try_open(slash, modes[i]), -EISDIR, "%s", err);
		cr_assert_eq(try_open("/dev/null", modes[i]), -ENXIO, "%s", err);
		cr_assert(strstr(err, "it is a character device"), "%s", err);
	}
	cr_assert_eq(entry_cnt(), 1, "a temporary file was left behind");
}

Test(output_file, file_of_another_user_is_refused)
{
	const char *out = in_dir("planted", 0);
	size_t i;

	if (geteuid())
		cr_skip_test("needs root to give a file to uid 65534");
	write_text(out, "planted\n", 0666);
	cr_assert_eq(chown(out, 65534, 65534), 0, "%s", strerror(errno));
	for (i = 0; i < 2; i++) {
		cr_assert_eq(try_open(out, modes[i]), -EPERM, "%s", err);
		cr_assert(strstr(err, "it belongs to uid 65534"), "%s", err);
	}
	cr_assert_str_eq(read_text(out), "planted\n");
	cr_assert_eq(entry_cnt(), 1, "a temporary file was left behind");
}

Test(output_file, new_files_are_created_0600_whatever_the_umask)
{
	struct output_file *of;
	size_t i;

	umask(0);
	for (i = 0; i < 2; i++) {
		const char *out = in_dir(i ? "new.jsonl" : "new.json", i);

		cr_assert_eq(output_file__open(out, modes[i], &of, err, sizeof(err)), 0, "%s", err);
		fputs("x\n", output_file__stream(of));
		cr_assert_eq(output_file__commit(of, err, sizeof(err)), 0, "%s", err);
		output_file__free(of);
		cr_assert_eq(mode_of(out), 0600, "%s is %o", out, mode_of(out));
		cr_assert_str_eq(read_text(out), "x\n");
	}
}

/* The one entry of the directory other than name. */
static const char *other_entry(const char *name)
{
	static char found[256];
	DIR *d = opendir(dir);
	struct dirent *e;

	found[0] = '\0';
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, name))
			snprintf(found, sizeof(found), "%s", e->d_name);
	closedir(d);
	return found;
}

Test(output_file, report_replaces_an_existing_file_only_when_committed)
{
	const char *out = in_dir("report.json", 0);
	struct output_file *of;
	struct stat before, after;

	write_text(out, "old\n", 0644);
	cr_assert_eq(stat(out, &before), 0);
	cr_assert_eq(output_file__open(out, OUTPUT_REPORT, &of, err, sizeof(err)), 0, "%s", err);
	fputs("new\n", output_file__stream(of));
	fflush(output_file__stream(of));
	cr_assert_str_eq(read_text(out), "old\n", "the target changed before the commit");
	cr_assert_eq(strncmp(other_entry("report.json"), ".report.json.", 13), 0, "%s",
		     other_entry("report.json"));
	cr_assert_eq(mode_of(in_dir(other_entry("report.json"), 1)), 0600);
	cr_assert_eq(output_file__commit(of, err, sizeof(err)), 0, "%s", err);
	output_file__free(of);
	cr_assert_str_eq(read_text(out), "new\n");
	cr_assert_eq(stat(out, &after), 0);
	cr_assert_neq(before.st_ino, after.st_ino, "the old file was written in place");
	cr_assert_eq(mode_of(out), 0600);
	cr_assert_eq(entry_cnt(), 1, "the temporary file is still there");
}

Test(output_file, report_never_committed_leaves_the_target_and_no_temporary_file)
{
	const char *out = in_dir("report.json", 0);
	struct output_file *of;

	write_text(out, "old\n", 0644);
	cr_assert_eq(output_file__open(out, OUTPUT_REPORT, &of, err, sizeof(err)), 0, "%s", err);
	fputs("half a rep", output_file__stream(of));
	output_file__free(of);
	cr_assert_str_eq(read_text(out), "old\n");
	cr_assert_eq(entry_cnt(), 1, "the temporary file is still there");
}

Test(output_file, link_planted_after_the_checks_is_replaced_not_followed)
{
	const char *secret = in_dir("secret", 0), *out = in_dir("report.json", 1);
	struct output_file *of;
	struct stat st;

	write_text(secret, "keep\n", 0600);
	cr_assert_eq(output_file__open(out, OUTPUT_REPORT, &of, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(symlink(secret, out), 0);
	fputs("report\n", output_file__stream(of));
	cr_assert_eq(output_file__commit(of, err, sizeof(err)), 0, "%s", err);
	output_file__free(of);
	cr_assert_str_eq(read_text(secret), "keep\n");
	cr_assert_eq(lstat(out, &st), 0);
	cr_assert(S_ISREG(st.st_mode), "the link is still there");
	cr_assert_str_eq(read_text(out), "report\n");
}

Test(output_file, append_adds_to_an_existing_file_and_keeps_its_mode)
{
	const char *out = in_dir("lines.jsonl", 0);
	struct output_file *of;

	write_text(out, "{\"n\":1}\n", 0640);
	cr_assert_eq(output_file__open(out, OUTPUT_APPEND, &of, err, sizeof(err)), 0, "%s", err);
	fputs("{\"n\":2}\n", output_file__stream(of));
	cr_assert_eq(output_file__commit(of, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(read_text(out), "{\"n\":1}\n{\"n\":2}\n", "not flushed at the commit");
	output_file__free(of);
	cr_assert_eq(mode_of(out), 0640);
	cr_assert_eq(entry_cnt(), 1);
}

Test(output_file, append_refuses_a_file_with_another_hard_link)
{
	const char *secret = in_dir("secret", 0), *out = in_dir("lines.jsonl", 1);

	write_text(secret, "keep\n", 0600);
	cr_assert_eq(link(secret, out), 0);
	cr_assert_eq(try_open(out, OUTPUT_APPEND), -EPERM, "%s", err);
	cr_assert(strstr(err, "it has 2 hard links"), "%s", err);
	cr_assert_str_eq(read_text(secret), "keep\n");
}

Test(output_file, missing_directory_is_named_in_the_error)
{
	const char *out = in_dir("no-such-dir/x.json", 0);
	size_t i;

	for (i = 0; i < 2; i++) {
		cr_assert_eq(try_open(out, modes[i]), -ENOENT, "%s", err);
		cr_assert(strstr(err, out), "%s", err);
		cr_assert(strstr(err, "check that its directory exists"), "%s", err);
	}
}

Test(output_file, dash_is_standard_output)
{
	struct output_file *of;
	size_t i;

	for (i = 0; i < 2; i++) {
		cr_assert_eq(output_file__open("-", modes[i], &of, err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(output_file__stream(of), stdout);
		cr_assert_eq(output_file__commit(of, err, sizeof(err)), 0, "%s", err);
		output_file__free(of);
	}
	cr_assert_eq(fileno(stdout), 1, "stdout was closed");
}
