// SPDX-License-Identifier: GPL-2.0
/*
 * session: one run of memvigil once its options are parsed. The phases in
 * order: checks that need no BPF, the target, the probes, the event loop,
 * the final report. Which processes are traced, and attaching each, is the
 * targets module's; the reports are session_reports.c's.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "ingest/consumer.h"
#include "ingest/kernel_sampler.h"
#include "lib/clock.h"
#include "lib/event_loop.h"
#include "lib/log.h"
#include "lib/output_file.h"
#include "model/model.h"
#include "probes/probes.h"
#include "session/evict.h"
#include "session/monitor.h"
#include "session/options.h"
#include "session/session.h"
#include "session/session_state.h"
#include "symbolize/symbolizer.h"
#include "target/cgroup_watch.h"
#include "target/child.h"
#include "target/launch.h"
#include "target/preload.h"
#include "target/targets.h"

#define POLL_MS 100
#define KERNEL_SAMPLE_MS 1000

static volatile sig_atomic_t stop_requested;	/* the signal that asked to stop, or 0 */
static volatile sig_atomic_t report_requested;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		report_requested = 1;
	else
		stop_requested = sig;
}

static int install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int sigs[] = { SIGINT, SIGTERM, SIGUSR1 };
	size_t i;

	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL))
			return -errno;
	return 0;
}

static int debug_delay(const char *name);

static void on_exec(void *ctx, pid_t pid, const struct mv_exec_image *img, uint32_t flags)
{
	struct session *s = ctx;
	struct proc *p;

	debug_delay("MEMVIGIL_TEST_EXEC_DELAY_MS");
	if (targets__exec(s->targets, pid, img, flags, s->err, sizeof(s->err)))
		log_warn("%s", s->err);
	p = model__find(s->model, pid);
	if (p)
		log_info("PID %d exec'd %s%s: outstanding allocations of the old image dropped",
			 pid, p->exe ? p->exe : "?", flags & MV_PROC_HELD ? " (held)" : "");
}

/*
 * pid mapped a file executable (dlopen): its mappings are read again now,
 * while it lives, so frames in that code keep their names after it exits.
 */
static void on_code_mapped(void *ctx, pid_t pid)
{
	struct session *s = ctx;

	symbolizer__capture(s->sym, pid);
}

/* A process that exec'd reached its new image's entry point. */
static void on_entry(void *ctx, pid_t pid, uint32_t flags)
{
	struct session *s = ctx;

	targets__entry(s->targets, pid, flags);
	log_info("PID %d reached its entry point%s", pid,
		 flags & MV_PROC_HELD ? " (held until its allocator was attached)" : "");
}

static void on_exit_event(void *ctx, pid_t pid, int status)
{
	struct session *s = ctx;

	kernel_sampler__exited(s->probes, s->model, s->rec, pid, clock__mono_ns());
	targets__exited(s->targets, pid, status);
}

/*
 * pid names a new process where a traced one exited: the old one keeps its
 * report under a key of its own, the new one becomes a target of its own.
 */
static void retire_pid(void *ctx, pid_t pid)
{
	struct session *s = ctx;
	pid_t key = targets__retire(s->targets, pid);

	if (key)
		monitor__rekey(s->mon, pid, key);
	log_info("PID %d is a new process (the one traced with that PID is gone)", pid);
}

/* The launched command exited (or was ended): its process is gone. */
static void on_child_reaped(void *ctx, pid_t pid, int status)
{
	struct session *s = ctx;

	targets__exited(s->targets, pid, status);
}

/* The ring buffer has records: hand them to the consumer. */
static int on_records(void *ctx)
{
	struct session *s = ctx;

	return probes__drain(s->probes);
}

/* A traced process forked: trace the child too (only with --follow). */
static void on_fork(void *ctx, pid_t parent, pid_t child, uint64_t ts_ns)
{
	struct session *s = ctx;
	struct proc *pp = model__find(s->model, parent);
	const struct target *tg;
	int ret;

	if (targets__pid_reused(s->targets, child))
		retire_pid(s, child);
	ret = targets__attach(s->targets, child, parent, pp ? pp->cgroup : NULL, ts_ns, s->err,
			      sizeof(s->err));
	if (ret == -ESRCH) {
		log_warn("PID %d (forked by %d) exited before its probes were attached", child,
			 parent);
		return;
	}
	if (ret) {
		log_warn("%s", s->err);
		return;
	}
	tg = targets__find(s->targets, child);
	log_info("PID %d (forked by %d) attached %.1f ms after its fork", child, parent,
		 (tg->attached_ns - ts_ns) / 1e6);
}

/* Open path (if given) for a final report into *of; said on stderr. */
static int open_final(struct session *s, const char *path, struct output_file **of)
{
	int ret = path ? output_file__open(path, OUTPUT_REPORT, of, s->err, sizeof(s->err)) : 0;

	if (ret)
		log_error("%s", s->err);
	return ret;
}

/* Checks that need no BPF: privileges, kernel BTF, the final reports' destinations. */
static int check_environment(struct session *s)
{
	const char *path = s->opts.json_path;
	int ret;

	if (geteuid() != 0) {
		log_error("must run as root (loading BPF programs needs CAP_BPF and CAP_PERFMON); "
			  "try: sudo memvigil ...");
		return -EPERM;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		log_error("this kernel has no BTF (/sys/kernel/btf/vmlinux is missing); "
			  "memvigil needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
		return -ENOTSUP;
	}
	if (path) {
		int ret = output_file__open(path, OUTPUT_REPORT, &s->json_file, s->err,
					    sizeof(s->err));

		if (ret) {
			log_error("%s", s->err);
			return ret;
		}
		s->json_out = output_file__stream(s->json_file);
	}
	ret = open_final(s, s->opts.pprof_path, &s->pprof_file);
	if (!ret)
		ret = open_final(s, s->opts.folded_path, &s->folded_file);
	if (!ret && s->opts.record_path) {
		ret = recorder__open(s->opts.record_path, &s->rec, s->err, sizeof(s->err));
		if (ret)
			log_error("%s", s->err);
	}
	if (!ret)
		ret = open_final(s, s->opts.html_path, &s->html_file);
	return ret ? ret : session_serve__open(s);
}

/* Tests widen race windows with these: sleep the milliseconds env var name says. */
static int debug_delay(const char *name)
{
	const char *v = getenv(name);
	struct timespec ts;
	long ms;

	if (!v)
		return 0;
	ms = strtol(v, NULL, 10);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	return nanosleep(&ts, NULL);
}

/*
 * Test hooks: MEMVIGIL_TEST_NO_SESSIONS=1 takes the uretprobe path on any
 * kernel; MEMVIGIL_TEST_NO_HOLD=1 never holds an exec (the path of a
 * process that leads its own process group).
 */
static bool test_flag(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0");
}

static int start_target(struct session *s)
{
	int ret;

	if (s->cgroup_mode)
		return cgroup_watch__start(&s->cgw, s->err, sizeof(s->err));
	if (s->opts.command) {
		ret = launch__held(s->opts.command, s->opts.preload ? s->ld_preload : NULL,
				   session__stdout_is_data(s), &s->pid, s->err, sizeof(s->err));
		if (ret)
			return ret;
		s->child = (struct child){ .pid = s->pid, .launched = true, .held = true,
					   .on_reaped = on_child_reaped, .ctx = s };
	} else {
		s->pid = s->opts.pid;
	}
	if (s->opts.preload)
		targets__require_sampler(s->targets, s->pid);
	debug_delay("MEMVIGIL_TEST_ATTACH_DELAY_MS");
	ret = targets__attach(s->targets, s->pid, 0, NULL, clock__mono_ns(), s->err, sizeof(s->err));
	targets__require_sampler(s->targets, 0);	/* what it execs later may not preload */
	if (ret == -ESRCH && !s->child.launched)
		snprintf(s->err, sizeof(s->err),
			 "PID %d exited while memvigil was attaching; nothing is attached", s->pid);
	return ret;
}

static void sample_kernel(struct session *s)
{
	int ret = kernel_sampler__run(s->probes, s->model, s->rec, clock__mono_ns());

	if (ret)
		log_warn("reading the kernel's process counters failed: %s", strerror(-ret));
	s->last_sample_ms = session__now_ms(s);
}

/* The monitor's sample with a report (recorded first). */
static void tick_monitor(struct session *s)
{
	uint32_t now_ms = session__now_ms(s);

	recorder__mark(s->rec, s->model, REC_TICK, now_ms);
	monitor__tick(s->mon, s->model, now_ms);
}

/* The monitor's turn of the loop (recorded first). */
static void poll_monitor(struct session *s)
{
	uint32_t now_ms = session__now_ms(s);

	recorder__mark(s->rec, s->model, REC_POLL, now_ms);
	monitor__poll(s->mon, s->model, now_ms);
}

/* --keep-exited: the exited processes beyond the bound are dropped (evict.h). */
static void evict_exited(struct session *s)
{
	struct evict_holders h = { .m = s->model, .mon = s->mon, .sym = s->sym, .rec = s->rec };
	size_t n = evict__run(&h, s->opts.keep_exited);

	if (n)
		log_info("dropped %zu exited process%s beyond --keep-exited=%u (%llu so far)", n,
			 n == 1 ? "" : "es", s->opts.keep_exited,
			 (unsigned long long)s->model->dropped.cnt);
}

static int run_loop(struct session *s)
{
	uint32_t interval_ms = s->opts.interval_s * 1000;
	uint32_t duration_ms = s->opts.duration_s * 1000;
	int ret;

	while (!stop_requested) {
		ret = event_loop__wait(s->loop, POLL_MS);
		/* records below the ring buffer's wakeup threshold wake nothing: drain them */
		if (!ret)
			ret = probes__drain(s->probes);
		if (ret) {
			log_error("reading events failed: %s", strerror(-ret));
			return ret;
		}
		if (session__now_ms(s) - s->last_sample_ms >= KERNEL_SAMPLE_MS)
			sample_kernel(s);
		session_serve__poll(s);
		child__reap(&s->child, false);
		poll_monitor(s);
		evict_exited(s);
		targets__recheck(s->targets, clock__mono_ns());
		targets__renew_leases(s->targets, clock__mono_ns());
		targets__reap_gone(s->targets);
		if (s->cgroup_mode && cgroup_watch__poll(&s->cgw, clock__mono_ns()) == -ENOENT) {
			log_warn("cgroup %s was removed while traced; tracing ends", s->opts.cgroup);
			break;
		}
		if (!s->cgroup_mode && !targets__count_state(s->targets, TARGET_ATTACHED))
			break;	/* every traced process has exited */
		if (duration_ms && session__now_ms(s) - s->traced_from_ms >= duration_ms)
			break;
		if (interval_ms && session__now_ms(s) - s->last_report_ms >= interval_ms) {
			probes__drain(s->probes);
			tick_monitor(s);
			report_requested = 1;
		}
		if (report_requested) {
			report_requested = 0;
			session__print_report(s, false);
		}
	}
	return 0;
}

/* Final report first, then detach (in session_free): the report's clock stops here. */
static int finish(struct session *s)
{
	struct proc *p;
	int ret = 0;

	probes__release_all(s->probes);	/* none waits for the final report */
	probes__drain(s->probes);
	sample_kernel(s);
	s->child.stop_signal = stop_requested;
	child__end(&s->child);
	probes__drain(s->probes);
	sample_kernel(s);
	p = model__find(s->model, s->pid);
	if (p && s->child.reaped) {
		recorder__exit(s->rec, s->pid, s->child.status);
		model__exit(s->model, s->pid, s->child.status);
	}
	evict_exited(s);
	s->final_ms = session__now_ms(s);
	recorder__mark(s->rec, s->model, REC_FINISH, s->final_ms);
	monitor__finish(s->mon, s->model, s->final_ms);
	symbolizer__settle(s->sym);
	session__print_report(s, true);
	if (s->json_file || s->pprof_file || s->folded_file || s->html_file)
		ret = session__write_final(s);
	if (s->rec && session__record_close(s) && !ret)
		ret = -EIO;
	return ret;
}

/* Let the held command run: its tracing, and its baselines, begin now. */
static int release_command(struct session *s)
{
	struct proc *p;
	int ret = launch__release(s->pid);

	if (ret) {
		log_error("cannot release %s: %s", s->opts.command[0], strerror(-ret));
		return ret;
	}
	s->child.held = false;
	p = model__find(s->model, s->pid);
	if (p)
		p->traced_ms = session__now_ms(s);	/* none of its code ran before */
	return 0;
}

static int trace(struct session *s)
{
	struct probes_opts po = {
		.sample_bytes = s->opts.sample_bytes,
		.sample_max_live = s->opts.sample_max_live,
		.no_sessions = test_flag("MEMVIGIL_TEST_NO_SESSIONS"),
		.stack_depth = s->opts.stack_depth,
		.mappings = s->opts.mappings,
		.unwind = s->opts.unwind,
		.unwind_rows = s->opts.unwind_rows,
		.ringbuf_bytes = s->opts.ring_buffer_bytes,
		.on_code_changed = on_code_mapped,
		.on_code_ctx = s,
	};
	int ret;

	s->probes = probes__open(&po, consumer__handle, &s->consumer, s->err, sizeof(s->err));
	if (!s->probes) {
		log_error("%s", s->err);
		return -EINVAL;
	}
	s->targets = targets__new(s->probes, s->model, s->sym, s->opts.entry_probes);
	if (!s->targets) {
		log_error("out of memory");
		return -ENOMEM;
	}
	s->cgw.targets = s->targets;
	s->cgw.model = s->model;
	s->cgw.probes = s->probes;
	s->cgw.retire = retire_pid;
	s->cgw.ctx = s;
	s->loop = event_loop__new();
	ret = s->loop ? event_loop__add(s->loop, probes__ring_fd(s->probes), on_records, s) : -ENOMEM;
	if (ret) {
		log_error("cannot wait on the ring buffer: %s", strerror(-ret));
		return ret;
	}
	ret = session_serve__start(s);
	if (ret)
		return ret;
	targets__set_kernel_only(s->targets, s->opts.kernel_only);
	targets__set_allocator(s->targets, s->opts.allocator);
	if (s->opts.follow || s->cgroup_mode) {
		ret = probes__follow_forks(s->probes);
		if (ret) {
			log_error("cannot attach the sched_process_fork tracepoint to follow children:"
				  " %s", strerror(-ret));
			return ret;
		}
	}
	probes__hold_execs(s->probes, !test_flag("MEMVIGIL_TEST_NO_HOLD"));
	ret = start_target(s);
	if (ret) {
		log_error("%s", s->err);
		return ret;
	}
	sample_kernel(s);	/* the baseline, before a launched command runs */
	session__print_banner(s);
	s->traced_from_ms = session__now_ms(s);
	tick_monitor(s);
	if (s->child.held) {
		ret = release_command(s);
		if (ret)
			return ret;
	}
	ret = run_loop(s);
	if (ret)
		return ret;
	return finish(s);
}

static void session_free(struct session *s)
{
	if (s->child.launched)
		child__end(&s->child);
	targets__end_samplers(s->targets);	/* dormant before the probes go */
	probes__free(s->probes);
	targets__free(s->targets);
	cgroup_watch__release(&s->cgw);
	session_serve__free(s);
	event_loop__free(s->loop);
	monitor__free(s->mon);
	symbolizer__free(s->sym);
	model__free(s->model);
	output_file__free(s->json_file);
	output_file__free(s->pprof_file);
	output_file__free(s->folded_file);
	output_file__free(s->html_file);
	recorder__free(s->rec);
}

static int check_target(struct session *s)
{
	int ret;

	s->cgroup_mode = s->opts.cgroup != NULL;
	if (s->cgroup_mode)
		ret = cgroup_watch__open(&s->cgw, s->opts.cgroup, s->err, sizeof(s->err));
	else if (s->opts.pid)
		ret = launch__check_pid(s->opts.pid, s->err, sizeof(s->err));
	else
		ret = launch__check_command(s->opts.command, s->err, sizeof(s->err));
	if (!ret && s->opts.preload)
		ret = preload__prepare(s->opts.command[0], s->ld_preload, sizeof(s->ld_preload),
				       s->err, sizeof(s->err));
	if (ret)
		log_error("%s", s->err);
	return ret;
}

/* The monitor's part of the options. */
static int start_monitor(struct session *s)
{
	const struct options *o = &s->opts;
	struct monitor_opts mo = {
		.interval_s = o->interval_s, .window_s = o->window_s, .top = o->top,
		.heap_traced = !o->kernel_only, .alerts = o->alerts, .alert_cnt = o->alert_cnt,
		.on_alert = o->on_alert, .jsonl_path = o->jsonl_path,
		.resolve = session__resolve_symbol, .resolve_ctx = s->sym,
	};

	return monitor__new(&mo, &s->mon, s->err, sizeof(s->err));
}

int session__run(const struct options *opts)
{
	static struct session s;
	int ret;

	s.opts = *opts;
	s.listen_fd = -1;
	if (check_environment(&s))
		return 1;
	ret = check_target(&s);
	if (ret)
		return s.opts.command ? (ret == -ENOENT ? 127 : 126) : 1;
	s.t0_ns = clock__mono_ns();
	s.started_wall = time(NULL);
	s.model = model__new(s.t0_ns);
	s.sym = symbolizer__new();
	if (s.model)
		model__set_sampling(s.model, s.opts.sample_bytes);
	if (!s.model || !s.sym || install_signals()) {
		log_error("out of memory");
		session_free(&s);
		return 1;
	}
	ret = start_monitor(&s);
	if (ret) {
		log_error("%s", s.err);
		session_free(&s);
		return ret == -EINVAL ? MV_EXIT_USAGE : 1;
	}
	session__record_meta(&s);
	s.consumer = (struct consumer){ .model = s.model, .rec = s.rec, .on_exec = on_exec,
					.on_entry = on_entry, .on_exit = on_exit_event,
					.on_fork = on_fork, .on_oom = session__on_oom,
					.on_code_mapped = on_code_mapped, .ctx = &s };
	ret = trace(&s);
	session_free(&s);
	if (ret)
		return 1;
	return s.child.launched ? child__exit_status(&s.child) : 0;
}
