// SPDX-License-Identifier: GPL-2.0
/*
 * floor: run a command with empty uprobes (and uretprobes on the allocating
 * functions) at the allocator functions memvigil probes, only in that process,
 * either at every function's entry or at memvigil's chosen sites. Its cost is
 * the floor any tracer probing those sites pays before doing any work.
 * With --sites=session the allocating functions get an empty uprobe session
 * whose entry tells the kernel to skip the return (kernel >= 6.13): the floor
 * of memvigil's sampled mode, where unsampled calls take no return probe.
 *
 * The command must stop itself at the start of main when BENCH_HOLD=1 is in
 * its environment (the bench workloads do), so libc is mapped when we attach.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "memvigil/events.h"
#include "probes/uprobe_session.h"
#include "sites/allocator.h"
#include "floor.skel.h"

#define EX_USAGE 64
#define MAX_LINKS 4

enum floor_sites { SITES_ENTRY, SITES_MEMVIGIL, SITES_SESSION };

struct floor_opts {
	enum floor_sites sites;
	bool verbose;
	char **command;
};

static const char usage_text[] =
	"usage: floor [-v] --sites=entry|memvigil|session -- COMMAND [ARG...]\n"
	"  --sites=entry     empty probes at every allocator function's entry\n"
	"  --sites=memvigil  empty probes at the sites memvigil chooses\n"
	"  --sites=session   memvigil's sites, the allocating functions as uprobe\n"
	"                    sessions that skip their return (kernel >= 6.13)\n"
	"  -v, --verbose     print the probe sites on stderr\n";

static int parse_opts(int argc, char **argv, struct floor_opts *o)
{
	static const struct option longopts[] = {
		{ "sites", required_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool have_sites = false;
	int c;

	while ((c = getopt_long(argc, argv, "+vh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!strcmp(optarg, "entry")) {
				o->sites = SITES_ENTRY;
			} else if (!strcmp(optarg, "memvigil")) {
				o->sites = SITES_MEMVIGIL;
			} else if (!strcmp(optarg, "session")) {
				o->sites = SITES_SESSION;
			} else {
				fprintf(stderr, "floor: --sites must be entry, memvigil or session\n");
				return -EINVAL;
			}
			have_sites = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		default:
			fputs(usage_text, stderr);
			return -EINVAL;
		}
	}
	if (!have_sites || optind >= argc) {
		fputs(usage_text, stderr);
		return -EINVAL;
	}
	o->command = argv + optind;
	return 0;
}

/* Fork the command with BENCH_HOLD=1 and wait until it has stopped itself. */
static pid_t launch_held(char **command)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		setenv("BENCH_HOLD", "1", 1);
		execvp(command[0], command);
		fprintf(stderr, "floor: cannot run %s: %s\n", command[0], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, WUNTRACED) != pid)
		return -errno;
	if (!WIFSTOPPED(status)) {
		fprintf(stderr, "floor: %s ended before stopping itself (does it honour "
			"BENCH_HOLD=1?)\n", command[0]);
		return -ECHILD;
	}
	return pid;
}

/* Offsets of the allocating functions (want_free false) or of free (true). */
/* Sites in object obj: the entry-only free (want_free), or the rest (entry + return). */
static size_t collect_sites(const struct allocator *a, size_t obj, bool want_free,
			    unsigned long *offsets)
{
	size_t i, n = 0;

	for (i = 0; i < a->func_cnt; i++) {
		const struct alloc_func *f = &a->funcs[i];

		if (f->alias_of || f->object != obj || f->leaf_free != want_free)
			continue;
		offsets[n++] = f->offset;
	}
	return n;
}

struct links {
	struct bpf_link *l[MAX_LINKS + 2 * MV_ALLOCATOR_MAX_FUNCS];
	size_t cnt;
	int fds[MV_ALLOCATOR_MAX_OBJECTS];	/* session links */
	size_t fd_cnt;
};

static int attach_sites(struct links *ls, bool multi, struct bpf_program *prog, pid_t pid,
			const char *path, const unsigned long *offsets, size_t n, bool ret_probe)
{
	LIBBPF_OPTS(bpf_uprobe_multi_opts, mopts, .offsets = offsets, .cnt = n,
		    .retprobe = ret_probe);
	struct bpf_link *link;
	size_t i;

	if (!n)
		return 0;
	if (multi) {
		link = bpf_program__attach_uprobe_multi(prog, pid, path, NULL, &mopts);
		if (!link)
			return -errno;
		ls->l[ls->cnt++] = link;
		return 0;
	}
	for (i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = ret_probe);

		link = bpf_program__attach_uprobe_opts(prog, pid, path, offsets[i], &opts);
		if (!link)
			return -errno;
		ls->l[ls->cnt++] = link;
	}
	return 0;
}

/* The allocating functions as one uprobe session link. */
static int attach_session(struct links *ls, struct bpf_program *prog, pid_t pid,
			  const char *path, const unsigned long *offsets, size_t n)
{
	int fd;

	if (!n)
		return 0;
	fd = uprobe_session__attach(bpf_program__fd(prog), pid, path, offsets, NULL, n);
	if (fd < 0)
		return fd;
	ls->fds[ls->fd_cnt++] = fd;
	return 0;
}

static void print_sites(const struct allocator *a)
{
	size_t i;

	for (i = 0; i < a->func_cnt; i++) {
		const struct alloc_func *f = &a->funcs[i];

		if (f->alias_of)
			continue;
		fprintf(stderr, "floor:   %-15s probe at +%llu%s\n", allocator__kind_name(f->kind),
			(unsigned long long)(f->offset - f->entry),
			f->leaf_free ? "" : " and return");
	}
}

/* Load the empty programs and attach them in pid: returns first, then entries. */
static int attach_floor(struct floor_bpf *skel, struct links *ls, pid_t pid,
			const struct allocator *a, bool session)
{
	unsigned long allocs[MV_ALLOCATOR_MAX_FUNCS], frees[MV_ALLOCATOR_MAX_FUNCS];
	bool multi = uprobe_session__multi_supported();
	size_t n, nfree, obj;
	int ret;

	if (multi) {
		bpf_program__set_expected_attach_type(skel->progs.floor_enter,
						      BPF_TRACE_UPROBE_MULTI);
		bpf_program__set_expected_attach_type(skel->progs.floor_exit,
						      BPF_TRACE_UPROBE_MULTI);
	}
	if (session && !(multi && uprobe_session__supported()))
		return -EOPNOTSUPP;
	if (session)
		bpf_program__set_expected_attach_type(skel->progs.floor_session,
						      MV_BPF_TRACE_UPROBE_SESSION);
	else
		bpf_program__set_autoload(skel->progs.floor_session, false);
	ret = floor_bpf__load(skel);
	if (ret)
		return ret;
	for (obj = 0; !ret && obj < a->object_cnt; obj++) {
		const char *path = a->objects[obj].open_path;

		n = collect_sites(a, obj, false, allocs);
		nfree = collect_sites(a, obj, true, frees);
		if (session) {
			ret = attach_session(ls, skel->progs.floor_session, pid, path, allocs, n);
			if (!ret)
				ret = attach_sites(ls, multi, skel->progs.floor_enter, pid, path,
						   frees, nfree, false);
			continue;
		}
		ret = attach_sites(ls, multi, skel->progs.floor_exit, pid, path, allocs, n, true);
		if (!ret)
			ret = attach_sites(ls, multi, skel->progs.floor_enter, pid, path,
					   allocs, n, false);
		if (!ret)
			ret = attach_sites(ls, multi, skel->progs.floor_enter, pid, path,
					   frees, nfree, false);
	}
	return ret;
}

static int wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
}

static int run(const struct floor_opts *o, struct allocator *a)
{
	struct floor_bpf *skel = NULL;
	struct links ls = { .cnt = 0 };
	char err[512];
	int ret, status = 1;
	pid_t pid;
	size_t i;

	pid = launch_held(o->command);
	if (pid < 0)
		return 1;
	ret = allocator__resolve(pid, NULL, a, o->sites == SITES_ENTRY, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "floor: %s\n", err);
		goto kill_child;
	}
	skel = floor_bpf__open();
	if (!skel) {
		fprintf(stderr, "floor: cannot open the BPF object: %s\n", strerror(errno));
		goto kill_child;
	}
	ret = attach_floor(skel, &ls, pid, a, o->sites == SITES_SESSION);
	if (ret) {
		fprintf(stderr, "floor: cannot load or attach the probes in %s: %s\n", a->objects[0].path,
			strerror(-ret));
		goto kill_child;
	}
	if (o->verbose) {
		fprintf(stderr, "floor: PID %d, %s sites in %s\n", pid,
			o->sites == SITES_ENTRY ? "entry" :
			o->sites == SITES_SESSION ? "session" : "memvigil", a->objects[0].path);
		print_sites(a);
	}
	kill(pid, SIGCONT);
	status = wait_child(pid);
	goto detach;

kill_child:
	kill(pid, SIGKILL);
	wait_child(pid);
detach:
	for (i = ls.cnt; i > 0; i--)
		bpf_link__destroy(ls.l[i - 1]);
	for (i = 0; i < ls.fd_cnt; i++)
		close(ls.fds[i]);
	floor_bpf__destroy(skel);
	return status;
}

int main(int argc, char **argv)
{
	struct floor_opts o = { 0 };
	struct allocator *a;
	int status;

	if (parse_opts(argc, argv, &o))
		return EX_USAGE;
	if (geteuid() != 0) {
		fprintf(stderr, "floor: must run as root to load BPF programs\n");
		return 1;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return 1;
	status = run(&o, a);
	allocator__release(a);
	free(a);
	return status;
}
