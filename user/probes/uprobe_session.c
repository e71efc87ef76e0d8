// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "probes/uprobe_session.h"

bool uprobe_session__supported(void)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	const struct btf_enum *e;
	const struct btf_type *t;
	bool found = false;
	int id, i;

	if (!vmlinux)
		return false;
	id = btf__find_by_name_kind(vmlinux, "bpf_attach_type", BTF_KIND_ENUM);
	t = id > 0 ? btf__type_by_id(vmlinux, id) : NULL;
	for (i = 0, e = t ? btf_enum(t) : NULL; t && i < btf_vlen(t) && !found; i++, e++)
		found = e->val == MV_BPF_TRACE_UPROBE_SESSION &&
			!strcmp(btf__name_by_offset(vmlinux, e->name_off), "BPF_TRACE_UPROBE_SESSION");
	btf__free(vmlinux);
	return found;
}

bool uprobe_session__multi_supported(void)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	bool found;

	if (!vmlinux)
		return false;
	found = btf__find_by_name_kind(vmlinux, "bpf_uprobe_multi_link", BTF_KIND_STRUCT) > 0;
	btf__free(vmlinux);
	return found;
}

int uprobe_session__attach(int prog_fd, pid_t pid, const char *path,
			   const unsigned long *offsets, const __u64 *cookies, size_t n)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = prog_fd;
	attr.link_create.attach_type = MV_BPF_TRACE_UPROBE_SESSION;
	attr.link_create.uprobe_multi.path = (__u64)(unsigned long)path;
	attr.link_create.uprobe_multi.offsets = (__u64)(unsigned long)offsets;
	attr.link_create.uprobe_multi.cookies = (__u64)(unsigned long)cookies;
	attr.link_create.uprobe_multi.cnt = n;
	attr.link_create.uprobe_multi.pid = pid;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}
