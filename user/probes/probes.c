// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "memvigil/call_state.h"
#include "lib/log.h"
#include "lib/text_escape.h"
#include "model/sampling.h"
#include "probes/link_reaper.h"
#include "probes/probes.h"
#include "probes/probes_state.h"
#include "probes/uprobe_session.h"
#include "probes/unwind_maps.h"
#include "memvigil.skel.h"

/*
 * libbpf's messages name the traced process's files and symbols: each line
 * is escaped (text_escape.h), the line breaks of a multi-line message kept.
 */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *msg, *line, *nl;
	int len;

	(void)level;
	/* Errors are reported once, with context, by the caller; -vv shows libbpf's own. */
	if (log_get_level() < LOG_DEBUG)
		return 0;
	len = vasprintf(&msg, fmt, ap);
	if (len < 0)
		return -ENOMEM;
	for (line = msg; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		text_escape__fputs(stderr, line);
		if (!nl)
			break;
		fputc('\n', stderr);
	}
	free(msg);
	return len;
}

/* Sampling knobs and map sizes, set before load. */
static int configure_sampling(struct probes *pr, const struct probes_opts *o)
{
	struct memvigil_bpf *skel = pr->skel;

	skel->rodata->sample_bytes = o->sample_bytes;
	skel->rodata->stack_depth = o->stack_depth ? o->stack_depth : MV_DEFAULT_STACK_DEPTH;
	sampling__fill_log2_table((uint32_t *)skel->rodata->log2_tab);
	pr->session = pr->multi && o->sample_bytes && !o->no_sessions && uprobe_session__supported();
	if (pr->session)
		bpf_program__set_expected_attach_type(skel->progs.alloc_session,
						      MV_BPF_TRACE_UPROBE_SESSION);
	else
		bpf_program__set_autoload(skel->progs.alloc_session, false);
	if (o->sample_bytes)
		log_info("sampling: one sample per %llu bytes on average; returns seen through %s%s",
			 (unsigned long long)o->sample_bytes,
			 pr->session ? "uprobe sessions (only sampled calls pay the return)"
				     : "uretprobes",
			 !pr->session && o->no_sessions ? " (sessions turned off)" :
			 !pr->session ? " (this kernel has no uprobe sessions)" : "");
	return bpf_map__set_max_entries(skel->maps.sampled_live,
					o->sample_bytes ? o->sample_max_live : 1);
}

/* The ring buffer size asked for, as the kernel takes it: a power of two within the bounds. */
static uint32_t ringbuf_size(uint64_t asked)
{
	uint32_t size = MV_RINGBUF_MIN_BYTES;

	if (!asked)
		return MV_RINGBUF_BYTES;
	while (size < asked && size < MV_RINGBUF_MAX_BYTES)
		size <<= 1;
	return size;
}

/* Size the ring buffer and the fill level that wakes the consumer. */
static int configure_ringbuf(struct probes *pr, const struct probes_opts *o)
{
	uint32_t size = ringbuf_size(o->ringbuf_bytes);

	if (size != MV_RINGBUF_BYTES)
		log_info("ring buffer: %u KiB", size >> 10);
	pr->skel->rodata->ringbuf_wakeup_bytes = size / MV_RINGBUF_WAKEUP_DIVISOR;
	return bpf_map__set_max_entries(pr->skel->maps.events, size);
}

const char *probes__mappings_via(const struct probes *pr)
{
	if (!(pr->kfeatures & PROBES_K_MAPS))
		return NULL;
	return pr->mappings == MV_MAPPINGS_SYSCALLS ? "syscalls" : "wrappers";
}

/* Load only the programs of the chosen way to follow the mmap family. */
static void configure_mappings(struct probes *pr)
{
	struct memvigil_bpf *sk = pr->skel;
	bool wrappers = pr->mappings == MV_MAPPINGS_WRAPPERS;
	bool syscalls = pr->mappings == MV_MAPPINGS_SYSCALLS;

	bpf_program__set_autoload(sk->progs.handle_sys_enter, syscalls);
	bpf_program__set_autoload(sk->progs.handle_sys_exit, syscalls);
	bpf_program__set_autoload(sk->progs.map_syscall_return, wrappers);
	bpf_program__set_autoload(sk->progs.map_enter, wrappers);
	bpf_program__set_autoload(sk->progs.map_exit, wrappers);
	if (wrappers && pr->multi) {
		bpf_program__set_expected_attach_type(sk->progs.map_syscall_return,
						      BPF_TRACE_UPROBE_MULTI);
		bpf_program__set_expected_attach_type(sk->progs.map_enter, BPF_TRACE_UPROBE_MULTI);
		bpf_program__set_expected_attach_type(sk->progs.map_exit, BPF_TRACE_UPROBE_MULTI);
	}
}

const char *probes__return_probe(const struct probes *pr)
{
	return pr->session ? "session" : "uretprobe";
}

struct probes *probes__open(const struct probes_opts *opts, probes_record_fn fn, void *ctx,
			    char *err, size_t err_len)
{
	struct probes *pr = calloc(1, sizeof(*pr));
	int ret;

	if (!pr) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	libbpf_set_print(libbpf_print);
	pr->reaper = link_reaper__new(REAPER_THREADS);	/* NULL: links destroyed in place */
	pr->skel = memvigil_bpf__open();
	if (!pr->skel) {
		snprintf(err, err_len, "cannot open the BPF objects: %s", strerror(errno));
		goto fail;
	}
	pr->multi = uprobe_session__multi_supported();
	if (pr->multi) {
		bpf_program__set_expected_attach_type(pr->skel->progs.alloc_enter,
						      BPF_TRACE_UPROBE_MULTI);
		bpf_program__set_expected_attach_type(pr->skel->progs.free_enter,
						      BPF_TRACE_UPROBE_MULTI);
		bpf_program__set_expected_attach_type(pr->skel->progs.alloc_exit,
						      BPF_TRACE_UPROBE_MULTI);
		bpf_program__set_expected_attach_type(pr->skel->progs.image_entry,
						      BPF_TRACE_UPROBE_MULTI);
		bpf_program__set_expected_attach_type(pr->skel->progs.sampler_alloc,
						      BPF_TRACE_UPROBE_MULTI);
		bpf_program__set_expected_attach_type(pr->skel->progs.sampler_free,
						      BPF_TRACE_UPROBE_MULTI);
	}
	log_info("uprobe attach: %s", pr->multi ? "uprobe_multi links (one per program)"
						: "one perf event per probe site (no uprobe_multi)");
	pr->mappings = opts->mappings;
	pr->on_code_changed = opts->on_code_changed;
	pr->on_code_ctx = opts->on_code_ctx;
	configure_mappings(pr);
	ret = configure_sampling(pr, opts);
	if (!ret)
		ret = configure_ringbuf(pr, opts);
	if (!ret)
		ret = unwind_maps__configure(pr, opts->unwind, opts->unwind_rows);
	if (ret) {
		snprintf(err, err_len, "cannot size the BPF maps: %s", strerror(-ret));
		goto fail;
	}
	ret = memvigil_bpf__load(pr->skel);
	if (ret == -ENOMEM) {
		snprintf(err, err_len, "cannot create the BPF maps: out of memory (kernel memory is "
			 "charged to memvigil's memory cgroup): raise its limit, or lower "
			 "--ring-buffer or --unwind-rows");
		goto fail;
	}
	if (ret) {
		snprintf(err, err_len, "cannot load the BPF programs: %s (run with -vv for the verifier log)",
			 strerror(-ret));
		goto fail;
	}
	pr->skel->links.handle_exec = bpf_program__attach(pr->skel->progs.handle_exec);
	pr->skel->links.handle_exit = bpf_program__attach(pr->skel->progs.handle_exit);
	if (!pr->skel->links.handle_exec || !pr->skel->links.handle_exit) {
		snprintf(err, err_len, "cannot attach the sched_process_exec/exit tracepoints: %s",
			 strerror(errno));
		goto fail;
	}
	if (unwind_maps__start(pr, opts->unwind)) {
		snprintf(err, err_len, "out of memory");
		goto fail;
	}
	probes__attach_kernel(pr);
	pr->rb = ring_buffer__new(bpf_map__fd(pr->skel->maps.events), fn, ctx, NULL);
	if (!pr->rb) {
		snprintf(err, err_len, "cannot set up the ring buffer: %s", strerror(errno));
		goto fail;
	}
	return pr;

fail:
	probes__free(pr);
	return NULL;
}

void probes__free(struct probes *pr)
{
	size_t i;

	if (!pr)
		return;
	if (pr->skel && pr->skel->bss)
		pr->skel->bss->hold_execs = false;
	for (i = 0; i < pr->pid_cnt; i++)
		probes__destroy_links(pr, &pr->pids[i]);
	link_reaper__free(pr->reaper);	/* waits until every link is gone */
	/*
	 * After the entry uprobes' grace periods no program that still saw
	 * hold_execs set is running: whatever it stopped is listed by now.
	 */
	if (pr->skel && pr->skel->bss)
		probes__release_all(pr);
	free(pr->pids);
	for (i = pr->klink_cnt; i > 0; i--)
		bpf_link__destroy(pr->klinks[i - 1]);
	bpf_link__destroy(pr->task_iter);
	ring_buffer__free(pr->rb);
	unwind_maps__free(pr->unwind);
	memvigil_bpf__destroy(pr->skel);
	free(pr);
}

int probes__follow_forks(struct probes *pr)
{
	if (pr->skel->links.handle_fork)
		return 0;
	pr->skel->links.handle_fork = bpf_program__attach(pr->skel->progs.handle_fork);
	return pr->skel->links.handle_fork ? 0 : -errno;
}

void probes__hold_execs(struct probes *pr, bool on)
{
	pr->skel->bss->hold_execs = on;
}

bool probes__held(struct probes *pr, pid_t pid)
{
	__u32 key = pid;
	__u8 v;

	return !bpf_map__lookup_elem(pr->skel->maps.held_pids, &key, sizeof(key), &v, sizeof(v), 0);
}

bool probes__release(struct probes *pr, pid_t pid)
{
	__u32 key = pid;

	/* Only the one who takes it off the list continues it: never a process not stopped here. */
	if (bpf_map__delete_elem(pr->skel->maps.held_pids, &key, sizeof(key), 0))
		return false;
	kill(pid, SIGCONT);
	return true;
}

void probes__release_all(struct probes *pr)
{
	__u32 key;

	pr->skel->bss->hold_execs = false;
	/* Each key found is taken off (here, or by the process's exit): the walk ends. */
	while (!bpf_map__get_next_key(pr->skel->maps.held_pids, NULL, &key, sizeof(key)))
		probes__release(pr, key);
}

int probes__trace_pid(struct probes *pr, pid_t pid)
{
	__u32 key = pid;
	__u8 one = 1;

	if (bpf_map__update_elem(pr->skel->maps.traced_pids, &key, sizeof(key),
				 &one, sizeof(one), BPF_ANY))
		return -errno;
	unwind_maps__update(pr, pid);
	return 0;
}

void probes__code_changed(struct probes *pr, pid_t pid)
{
	unwind_maps__update(pr, pid);
}

void probes__unwind_health(struct probes *pr, struct unwind_health *out)
{
	unwind_maps__health(pr, out);
}

int probes__poll(struct probes *pr, int timeout_ms)
{
	int ret = ring_buffer__poll(pr->rb, timeout_ms);

	if (ret < 0 && ret != -EINTR)
		return ret;
	/* Records below the wakeup threshold do not wake epoll: drain them too. */
	return probes__drain(pr);
}

int probes__ring_fd(const struct probes *pr)
{
	return ring_buffer__epoll_fd(pr->rb);
}

int probes__drain(struct probes *pr)
{
	int ret = ring_buffer__consume(pr->rb);

	unwind_maps__refresh_stale(pr);
	return ret < 0 ? ret : 0;
}

void probes__losses(struct probes *pr, uint64_t out[MV_LOSS_CNT])
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;
	__u32 key;
	int cpu;

	memset(out, 0, MV_LOSS_CNT * sizeof(*out));
	if (ncpu <= 0)
		return;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return;
	for (key = 0; key < MV_LOSS_CNT; key++) {
		if (bpf_map__lookup_elem(pr->skel->maps.losses, &key, sizeof(key), vals,
					 ncpu * sizeof(*vals), 0))
			continue;
		for (cpu = 0; cpu < ncpu; cpu++)
			out[key] += vals[cpu];
	}
	free(vals);
}
