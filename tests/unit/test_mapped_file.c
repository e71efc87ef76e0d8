// SPDX-License-Identifier: GPL-2.0
/*
 * mapped_file: a traced process's file is opened only when it is the regular
 * file the maps line names (device and inode), never through a link out of
 * the process's root, and never by blocking on a FIFO or opening a device.
 * The jail is a directory built here; the tests that need root (a device
 * node, map_files) say so when they fail without it.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "procfs/mapped_file.h"
#include "procfs/procmaps.h"

static char top[64];	/* holds root/ (the jail) and outside/ */
static int root_fd = -1;

static void make_tree(void)
{
	char path[128];

	snprintf(top, sizeof(top), "/tmp/mv-mapped-file-XXXXXX");
	cr_assert_not_null(mkdtemp(top));
	snprintf(path, sizeof(path), "%s/root", top);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/root/lib", top);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/outside", top);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/root", top);
	root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(root_fd, 0);
}

static void remove_tree(void)
{
	char cmd[96];

	close(root_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(mapped_file, .init = make_tree, .fini = remove_tree);

/* Write a small file at top/rel; its identity goes into m. */
static void write_file(const char *rel, struct mv_mapping *m)
{
	char path[128];
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs("\177ELF not really\n", f);
	fclose(f);
	cr_assert_eq(stat(path, &st), 0);
	if (m) {
		m->inode = st.st_ino;
		m->dev_major = major(st.st_dev);
		m->dev_minor = minor(st.st_dev);
	}
}

static void at(const char *rel, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", top, rel);
}

Test(mapped_file, the_regular_file_the_maps_line_names_is_opened_inside_the_root)
{
	struct mv_mapping m = { .path = "/lib/libc.so.6" };
	struct stat st;
	int fd;

	write_file("root/lib/libc.so.6", &m);
	fd = mapped_file__open_in_root(root_fd, &m);
	cr_assert_geq(fd, 0, "%s", mapped_file__strerror(fd));
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_eq(st.st_ino, m.inode);
	cr_assert_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	close(fd);
}

Test(mapped_file, a_deleted_file_s_suffix_is_not_part_of_its_name)
{
	struct mv_mapping m = { .path = "/lib/libc.so.6 (deleted)" };
	int fd;

	write_file("root/lib/libc.so.6", &m);
	fd = mapped_file__open_in_root(root_fd, &m);
	cr_assert_geq(fd, 0, "%s", mapped_file__strerror(fd));
	close(fd);
}

Test(mapped_file, an_absolute_link_to_a_file_outside_the_root_is_refused)
{
	struct mv_mapping m = { .path = "/lib/libc.so.6" };
	char secret[128], link[128];
	int fd;

	write_file("outside/secret", &m);	/* even with the secret's identity */
	at("outside/secret", secret, sizeof(secret));
	at("root/lib/libc.so.6", link, sizeof(link));
	cr_assert_eq(symlink(secret, link), 0);
	fd = mapped_file__open_in_root(root_fd, &m);
	cr_assert_lt(fd, 0, "a link out of the root was opened");
	cr_assert_eq(fd, -ELOOP, "%s", mapped_file__strerror(fd));
	cr_assert_str_eq(mapped_file__strerror(fd), "a symbolic link");
}

Test(mapped_file, a_directory_link_resolves_inside_the_root_not_outside)
{
	struct mv_mapping m = { .path = "/lib/x/secret" };
	char outside[128], link[128];
	int fd;

	write_file("outside/secret", &m);
	at("outside", outside, sizeof(outside));
	at("root/lib/x", link, sizeof(link));
	cr_assert_eq(symlink(outside, link), 0);	/* /lib/x -> TOP/outside */
	fd = mapped_file__open_in_root(root_fd, &m);
	cr_assert_lt(fd, 0, "resolution left the root");
	cr_assert_eq(fd, -ENOENT, "%s", mapped_file__strerror(fd));
}

Test(mapped_file, neither_dot_dot_nor_a_host_path_climbs_out_of_the_root)
{
	struct mv_mapping m = { .path = "/../../outside/secret" };
	char path[128];
	int fd;

	write_file("outside/secret", &m);
	fd = mapped_file__open_in_root(root_fd, &m);
	cr_assert_eq(fd, -ENOENT, "..: %s", mapped_file__strerror(fd));
	at("outside/secret", path, sizeof(path));
	m.path = path;	/* absolute on the host, as a chrooted process's maps line is */
	fd = mapped_file__open_in_root(root_fd, &m);
	cr_assert_eq(fd, -ENOENT, "host path: %s", mapped_file__strerror(fd));
}

Test(mapped_file, another_file_in_place_of_the_mapped_one_is_refused)
{
	struct mv_mapping m = { .path = "/lib/libc.so.6" }, other;
	int fd;

	write_file("root/lib/libc.so.6", &m);
	write_file("root/lib/other", &other);
	m.inode = other.inode;	/* the process maps "other"; the name leads elsewhere */
	fd = mapped_file__open_in_root(root_fd, &m);
	cr_assert_eq(fd, -MAPPED_FILE_NOT_MAPPED, "%s", mapped_file__strerror(fd));
}

Test(mapped_file, a_fifo_is_refused_without_blocking)
{
	struct mv_mapping m = { .path = "/lib/libc.so.6" };
	char path[128];
	struct stat st;
	int fd;

	at("root/lib/libc.so.6", path, sizeof(path));
	cr_assert_eq(mkfifo(path, 0644), 0);
	cr_assert_eq(stat(path, &st), 0);
	m.inode = st.st_ino;
	m.dev_major = major(st.st_dev);
	m.dev_minor = minor(st.st_dev);
	alarm(10);	/* a blocking open ends the test as a crash, not a hang */
	fd = mapped_file__open_in_root(root_fd, &m);
	alarm(0);
	cr_assert_eq(fd, -MAPPED_FILE_NOT_REGULAR, "%s", mapped_file__strerror(fd));
}

Test(mapped_file, a_device_node_is_refused)
{
	struct mv_mapping m = { .path = "/lib/libc.so.6" };
	char path[128];
	struct stat st;
	int fd;

	at("root/lib/libc.so.6", path, sizeof(path));
	cr_assert_eq(mknod(path, S_IFCHR | 0644, makedev(1, 3)), 0,
		     "mknod needs root (make test runs as root): %s", strerror(errno));
	cr_assert_eq(stat(path, &st), 0);
	m.inode = st.st_ino;
	m.dev_major = major(st.st_dev);
	m.dev_minor = minor(st.st_dev);
	fd = mapped_file__open_in_root(root_fd, &m);
	cr_assert_eq(fd, -MAPPED_FILE_NOT_REGULAR, "%s", mapped_file__strerror(fd));
}

Test(mapped_file, a_relative_or_empty_path_is_not_looked_up)
{
	struct mv_mapping m = { .path = "lib/libc.so.6" };

	write_file("root/lib/libc.so.6", NULL);
	cr_assert_eq(mapped_file__open_in_root(root_fd, &m), -ENOENT);
	m.path = "";
	cr_assert_eq(mapped_file__open_in_root(root_fd, &m), -ENOENT);
	m.path = NULL;
	cr_assert_eq(mapped_file__open_in_root(root_fd, &m), -ENOENT);
}

Test(mapped_file, check_refuses_what_is_not_the_mapped_regular_file)
{
	struct mv_mapping m = { .inode = 42, .dev_major = 8, .dev_minor = 1 };
	struct stat st = { .st_mode = S_IFREG | 0644, .st_ino = 42, .st_dev = makedev(8, 1),
			   .st_size = 4096 };

	cr_assert_eq(mapped_file__check(&st, &m), 0);
	st.st_dev = makedev(8, 2);
	cr_assert_eq(mapped_file__check(&st, &m), -MAPPED_FILE_NOT_MAPPED);
	st.st_dev = makedev(8, 1);
	st.st_ino = 43;
	cr_assert_eq(mapped_file__check(&st, &m), -MAPPED_FILE_NOT_MAPPED);
	st.st_ino = 42;
	st.st_size = (off_t)MAPPED_FILE_MAX_BYTES + 1;
	cr_assert_eq(mapped_file__check(&st, &m), -MAPPED_FILE_TOO_LARGE);
	st.st_size = 4096;
	st.st_mode = S_IFIFO | 0644;
	cr_assert_eq(mapped_file__check(&st, &m), -MAPPED_FILE_NOT_REGULAR);
	st.st_mode = S_IFDIR | 0755;
	cr_assert_eq(mapped_file__check(&st, &m), -MAPPED_FILE_NOT_REGULAR);
}

Test(mapped_file, this_process_s_c_library_opens_through_map_files)
{
	struct procmaps *pm = procmaps__read(getpid());
	const struct mv_mapping *libc = NULL;
	struct stat st;
	size_t i;
	int fd;

	cr_assert_not_null(pm);
	for (i = 0; i < pm->cnt && !libc; i++)
		if (strstr(pm->maps[i].path, "libc.so") && pm->maps[i].perms[2] == 'x')
			libc = &pm->maps[i];
	cr_assert_not_null(libc);
	fd = mapped_file__open(getpid(), libc);
	cr_assert_geq(fd, 0, "%s", mapped_file__strerror(fd));
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_eq(st.st_ino, libc->inode);
	close(fd);
	procmaps__free(pm);
}

Test(mapped_file, a_process_that_is_gone_gives_esrch)
{
	struct mv_mapping m = { .start = 0x1000, .end = 0x2000, .path = "/lib/libc.so.6" };

	cr_assert_eq(mapped_file__open(0x3fffffff, &m), -ESRCH);
}

Test(mapped_file, a_debug_file_is_opened_by_its_path_inside_the_root)
{
	char path[128];
	int fd;

	at("root/lib/debug", path, sizeof(path));
	cr_assert_eq(mkdir(path, 0755), 0);
	write_file("root/lib/debug/app.debug", NULL);
	fd = mapped_file__open_path(root_fd, "/lib/debug/app.debug");
	cr_assert_geq(fd, 0, "%s", mapped_file__strerror(fd));
	cr_assert_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	close(fd);
	cr_assert_eq(mapped_file__open_path(root_fd, "lib/debug/app.debug"), -ENOENT);
}

Test(mapped_file, a_debug_file_path_neither_follows_links_nor_opens_fifos)
{
	char secret[128], link[128], fifo[128];
	int fd;

	write_file("outside/secret", NULL);
	at("outside/secret", secret, sizeof(secret));
	at("root/lib/app.debug", link, sizeof(link));
	cr_assert_eq(symlink(secret, link), 0);
	cr_assert_eq(mapped_file__open_path(root_fd, "/lib/app.debug"), -ELOOP);
	cr_assert_eq(mapped_file__open_path(root_fd, "/../outside/secret"), -ENOENT);
	at("root/lib/fifo.debug", fifo, sizeof(fifo));
	cr_assert_eq(mkfifo(fifo, 0644), 0);
	alarm(10);
	fd = mapped_file__open_path(root_fd, "/lib/fifo.debug");
	alarm(0);
	cr_assert_eq(fd, -MAPPED_FILE_NOT_REGULAR, "%s", mapped_file__strerror(fd));
}

Test(mapped_file, a_chroot_s_own_path_is_stripped_only_where_it_leads)
{
	cr_assert_str_eq(mapped_file__strip_root("/jail/usr/bin/app", "/jail"), "/usr/bin/app");
	cr_assert_str_eq(mapped_file__strip_root("/jailbreak/app", "/jail"), "/jailbreak/app");
	cr_assert_str_eq(mapped_file__strip_root("/usr/bin/app", "/"), "/usr/bin/app");
	cr_assert_str_eq(mapped_file__strip_root("/usr/bin/app", NULL), "/usr/bin/app");
}

Test(mapped_file, refusals_have_words)
{
	cr_assert_str_eq(mapped_file__strerror(-MAPPED_FILE_NOT_REGULAR), "not a regular file");
	cr_assert(strstr(mapped_file__strerror(-MAPPED_FILE_NOT_MAPPED), "inode"));
	cr_assert(strstr(mapped_file__strerror(-MAPPED_FILE_TOO_LARGE), "4 GiB"));
}
