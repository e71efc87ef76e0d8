// SPDX-License-Identifier: GPL-2.0
/*
 * memvigil: trace processes' heaps with eBPF and report outstanding
 * allocations by call stack. main() runs the phases in order: options,
 * environment checks, target, probes, the event loop, the final report.
 * Which processes are traced, and attaching each, is the targets module's.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "allocator.h"
#include "cgroup.h"
#include "consumer.h"
#include "kernel_sampler.h"
#include "format.h"
#include "log.h"
#include "model.h"
#include "monitor.h"
#include "options.h"
#include "output_file.h"
#include "probes.h"
#include "report_json.h"
#include "report_text.h"
#include "symbolizer.h"
#include "target.h"
#include "targets.h"
#include "text_escape.h"

#define POLL_MS 100
/* How often a traced cgroup is scanned for processes that entered or left it. */
#define CGROUP_SCAN_MS 200
/*
 * A process found in the middle of an exec has no allocator mapped yet:
 * scans try it again, up to this many times, a second apart.
 */
#define CGROUP_ATTACH_TRIES 3
#define CGROUP_RETRY_NS (1000ull * 1000000)
#define TERMINATE_GRACE_MS 2000
#define KERNEL_SAMPLE_MS 1000

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t report_requested;

struct session {
	struct options opts;
	pid_t pid;			/* -p PID or the launched command */
	bool launched;			/* pid is our child */
	bool held;			/* child still held at its entry point */
	int child_status;		/* wait(2) status once reaped */
	bool child_reaped;
	struct output_file *json_file;	/* -j */
	FILE *json_out;
	uint64_t t0_ns;
	time_t started_wall;
	struct model *model;
	struct symbolizer *sym;
	struct probes *probes;
	struct targets *targets;
	bool cgroup_mode;		/* --cgroup */
	struct cgroup_root cg;
	uint64_t last_scan_ns;
	pid_t *scan_seen;		/* processes the current scan found */
	size_t scan_seen_cnt, scan_seen_cap;
	struct monitor *mon;		/* metrics, alerts, --jsonl */
	struct consumer consumer;
	uint32_t last_report_ms;
	uint32_t last_sample_ms;
	char err[512];
};

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		report_requested = 1;
	else
		stop_requested = 1;
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

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint32_t now_ms(const struct session *s)
{
	return (mono_ns() - s->t0_ns) / 1000000;
}

static int resolve_symbol(void *ctx, pid_t pid, uint64_t addr, struct mv_symbol *out)
{
	return symbolizer__resolve(ctx, pid, addr, out);
}

static int debug_delay(const char *name);

static void on_exec(void *ctx, pid_t pid, const struct mv_exec_image *img)
{
	struct session *s = ctx;
	struct proc *p;

	debug_delay("MEMVIGIL_TEST_EXEC_DELAY_MS");
	if (targets__exec(s->targets, pid, img, s->err, sizeof(s->err)))
		log_warn("%s", s->err);
	p = model__find(s->model, pid);
	if (p)
		log_info("PID %d exec'd %s: outstanding allocations of the old image dropped", pid,
			 p->exe ? p->exe : "?");
}

static void on_exit_event(void *ctx, pid_t pid, int status)
{
	struct session *s = ctx;

	kernel_sampler__exited(s->probes, s->model, pid, mono_ns());
	targets__exited(s->targets, pid, status);
}

/*
 * pid names a new process where a traced one exited: the old one keeps its
 * report under a key of its own, the new one becomes a target of its own.
 */
static void retire_pid(struct session *s, pid_t pid)
{
	pid_t key = targets__retire(s->targets, pid);

	if (key)
		monitor__rekey(s->mon, pid, key);
	log_info("PID %d is a new process (the one traced with that PID is gone)", pid);
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
		log_info("PID %d (forked by %d) exited before its probes were attached", child,
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

/* Checks that need no BPF: privileges, kernel BTF, the JSON destination. */
static int check_environment(struct session *s)
{
	const char *path = s->opts.json_path;

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
	return 0;
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

static void remember_seen(struct session *s, pid_t pid)
{
	pid_t *grown;

	if (s->scan_seen_cnt == s->scan_seen_cap) {
		size_t cap = s->scan_seen_cap ? s->scan_seen_cap * 2 : 64;

		grown = realloc(s->scan_seen, cap * sizeof(*grown));
		if (!grown)
			return;	/* then a process may look absent: checked before detaching */
		s->scan_seen = grown;
		s->scan_seen_cap = cap;
	}
	s->scan_seen[s->scan_seen_cnt++] = pid;
}

/* Whether a scan should (re)attach the known process tg. */
static bool attach_again(const struct target *tg, uint64_t now_ns)
{
	if (tg->state == TARGET_DETACHED)
		return true;	/* it came back */
	return tg->state == TARGET_FAILED && tg->attach_tries < CGROUP_ATTACH_TRIES &&
	       now_ns - tg->tried_ns >= CGROUP_RETRY_NS;
}

/* An attached process seen in cgroup rel: it is reported where it is now. */
static void note_cgroup(struct session *s, pid_t pid, const char *rel)
{
	struct proc *p = model__find(s->model, pid);

	if (!p || (p->cgroup && !strcmp(p->cgroup, rel)))
		return;
	log_info("PID %d moved from cgroup %s to %s", pid, p->cgroup ? p->cgroup : "?", rel);
	if (model__set_cgroup(p, rel))
		log_warn("out of memory for the cgroup of PID %d", pid);
}

/* A process found in the traced cgroup: attach it unless it is known. */
static void on_cgroup_proc(void *ctx, pid_t pid, const char *rel)
{
	struct session *s = ctx;
	const struct target *tg = targets__find(s->targets, pid);
	bool came_back = tg && tg->state == TARGET_DETACHED;
	uint64_t now = mono_ns();
	int ret;

	remember_seen(s, pid);
	if (pid == getpid())
		return;
	if (tg && targets__pid_reused(s->targets, pid)) {
		retire_pid(s, pid);
		tg = NULL;
		came_back = false;
	}
	if (tg && tg->state == TARGET_ATTACHED)
		note_cgroup(s, pid, rel);
	if (tg && !attach_again(tg, now))
		return;
	ret = targets__attach(s->targets, pid, 0, rel, now, s->err, sizeof(s->err));
	tg = targets__find(s->targets, pid);
	if (ret && ret != -ESRCH && tg && tg->attach_tries >= CGROUP_ATTACH_TRIES)
		log_warn("PID %d in cgroup %s is not traced: %s", pid, rel, s->err);
	else if (ret && ret != -ESRCH)
		log_info("PID %d in cgroup %s: %s; trying again", pid, rel, s->err);
	else if (!ret && came_back)
		log_info("PID %d came back into cgroup %s: attached again", pid, rel);
}

static bool seen_in_scan(const struct session *s, pid_t pid)
{
	size_t i;

	for (i = 0; i < s->scan_seen_cnt; i++)
		if (s->scan_seen[i] == pid)
			return true;
	return false;
}

/* Detach attached processes that are no longer in the traced cgroup. */
static void detach_leavers(struct session *s)
{
	char rel[PATH_MAX];
	size_t i;

	for (i = 0; i < targets__cnt(s->targets); i++) {
		const struct target *tg = targets__at(s->targets, i);

		if (tg->state != TARGET_ATTACHED || seen_in_scan(s, tg->pid) ||
		    cgroup__holds(&s->cg, tg->pid, rel, sizeof(rel)) ||
		    (kill(tg->pid, 0) && errno == ESRCH))
			continue;
		log_info("PID %d left cgroup %s: detached", tg->pid, s->cg.path);
		targets__detach(s->targets, tg->pid);
	}
}

/*
 * Attach the processes that entered the cgroup since the last scan, detach
 * those that left. Returns 0, or -ENOENT once the cgroup is gone.
 */
static int scan_cgroup(struct session *s)
{
	int ret;

	s->last_scan_ns = mono_ns();
	s->scan_seen_cnt = 0;
	/*
	 * Exits first: a process that exited before its PID was reused is then
	 * known to be gone when the scan finds the PID again.
	 */
	probes__drain(s->probes);
	ret = cgroup__scan(&s->cg, on_cgroup_proc, s);
	if (ret)
		return ret;
	detach_leavers(s);
	return 0;
}

static int start_cgroup(struct session *s)
{
	uint64_t t0 = mono_ns();
	size_t n;
	int ret;

	ret = scan_cgroup(s);
	if (ret) {
		snprintf(s->err, sizeof(s->err), "cgroup %s was removed before tracing began",
			 s->opts.cgroup);
		return ret;
	}
	n = targets__count_state(s->targets, TARGET_ATTACHED);
	log_info("cgroup %s: %zu processes attached in %.1f ms (first scan to last attach)",
		 s->cg.path, n, (mono_ns() - t0) / 1e6);
	if (!targets__cnt(s->targets))
		log_warn("cgroup %s has no processes yet; waiting for some to enter it "
			 "(Ctrl-C or -d ends tracing)", s->opts.cgroup);
	return 0;
}

/* Test hook: MEMVIGIL_TEST_NO_SESSIONS=1 takes the uretprobe path on any kernel. */
static bool sessions_disabled(void)
{
	const char *v = getenv("MEMVIGIL_TEST_NO_SESSIONS");

	return v && *v && strcmp(v, "0");
}

static int start_target(struct session *s)
{
	int ret;

	if (s->cgroup_mode)
		return start_cgroup(s);
	if (s->opts.command) {
		ret = target__launch_held(s->opts.command, &s->pid, s->err, sizeof(s->err));
		if (ret)
			return ret;
		s->launched = s->held = true;
	} else {
		s->pid = s->opts.pid;
	}
	debug_delay("MEMVIGIL_TEST_ATTACH_DELAY_MS");
	ret = targets__attach(s->targets, s->pid, 0, NULL, mono_ns(), s->err, sizeof(s->err));
	if (ret == -ESRCH && !s->launched)
		snprintf(s->err, sizeof(s->err),
			 "PID %d exited while memvigil was attaching; nothing is attached", s->pid);
	return ret;
}

static bool stdout_is_data(const struct session *s)
{
	return s->json_out == stdout || (s->opts.jsonl_path && !strcmp(s->opts.jsonl_path, "-"));
}

/*
 * The banner goes where reports go: stderr when stdout carries JSON. The
 * process's comm and paths are escaped (text_escape.h).
 */
static void print_banner(struct session *s)
{
	struct proc *p = model__find(s->model, s->pid);
	FILE *out = stdout_is_data(s) ? stderr : stdout;
	char sampling[96] = "", period[32], comm[TEXT_ESCAPE_SIZE(sizeof(p->comm))];

	if (s->opts.sample_bytes)
		snprintf(sampling, sizeof(sampling), ", sampled every %s (figures are estimates)",
			 format_bytes(s->opts.sample_bytes, period, sizeof(period)));
	if (s->cgroup_mode) {
		fputs("Tracing cgroup ", out);
		text_escape__fputs(out, s->cg.path);
		fprintf(out, " (%s, %zu processes)%s... Ctrl-C to end.\n", s->cg.v2 ? "v2" : "v1",
			targets__count_state(s->targets, TARGET_ATTACHED), sampling);
		fflush(out);
		return;
	}

	text_escape__copy(comm, sizeof(comm), p ? p->comm : "?");
	if (s->opts.kernel_only) {
		fprintf(out, "Tracing PID %d (%s) kernel signals only, no heap probes%s... "
			"Ctrl-C to end.\n", s->pid, comm, s->launched ? ", command held until now" : "");
	} else {
		fprintf(out, "Tracing PID %d (%s) heap via ", s->pid, comm);
		text_escape__fputs(out, p && p->alloc_lib ? p->alloc_lib : "?");
		fprintf(out, "%s%s... Ctrl-C to end.\n",
			s->launched ? ", command held until now" : "", sampling);
	}
	fflush(out);
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void sample_kernel(struct session *s)
{
	int ret = kernel_sampler__run(s->probes, s->model, mono_ns());

	if (ret)
		log_warn("reading the kernel's process counters failed: %s", strerror(-ret));
	s->last_sample_ms = now_ms(s);
}

/* The OOM killer struck a traced process or its memory cgroup: a line at once. */
static void on_oom(void *ctx, const struct oom_kill *k)
{
	struct session *s = ctx;
	struct text_report_opts o = { .now_ms = now_ms(s), .frames = s->opts.frames,
				      .resolve = resolve_symbol, .resolve_ctx = s->sym };

	report_text__oom(stdout_is_data(s) ? stderr : stdout, s->model, k, &o);
	monitor__oom(s->mon, s->model, k, now_ms(s));
}

static void print_report(struct session *s, bool final)
{
	uint64_t lost[MV_LOSS_CNT], cpu0;
	struct text_report_opts o = {
		.now_ms = now_ms(s),
		.min_age_ms = s->opts.min_age_s * 1000,
		.top = s->opts.top,
		.frames = s->opts.frames,
		.mappings_off = !(probes__kernel_features(s->probes) & PROBES_K_MAPS),
		.final = final,
		.resolve = resolve_symbol,
		.resolve_ctx = s->sym,
		.metrics = monitor__metrics(s->mon),
	};

	probes__drain(s->probes);
	probes__losses(s->probes, lost);
	o.lost_events = lost[MV_LOSS_RINGBUF] + lost[MV_LOSS_INFLIGHT] + lost[MV_LOSS_KSTATS] +
			lost[MV_LOSS_SYSCALL] + lost[MV_LOSS_SAMPLED_FULL];
	o.elapsed_ms = o.now_ms - s->last_report_ms;
	if (stdout_is_data(s))
		return;	/* stdout carries the JSON document or lines */
	cpu0 = cpu_ns();
	report_text__print(stdout, s->model, &o);
	log_info("report took %.3f ms of CPU", (cpu_ns() - cpu0) / 1e6);
	s->last_report_ms = o.now_ms;
	model__start_interval(s->model);
}

static void reap_child(struct session *s, bool block)
{
	int status;
	pid_t r;

	if (!s->launched || s->child_reaped)
		return;
	r = waitpid(s->pid, &status, block ? 0 : WNOHANG);
	if (r == s->pid) {
		s->child_status = status;
		s->child_reaped = true;
		targets__exited(s->targets, s->pid, status);
	}
}

static int run_loop(struct session *s)
{
	uint32_t interval_ms = s->opts.interval_s * 1000;
	uint32_t duration_ms = s->opts.duration_s * 1000;
	int ret;

	while (!stop_requested) {
		ret = probes__poll(s->probes, POLL_MS);
		if (ret) {
			log_error("reading events failed: %s", strerror(-ret));
			return ret;
		}
		if (now_ms(s) - s->last_sample_ms >= KERNEL_SAMPLE_MS)
			sample_kernel(s);
		reap_child(s, false);
		monitor__poll(s->mon, s->model, now_ms(s));
		targets__recheck(s->targets, mono_ns());
		targets__reap_gone(s->targets);
		if (s->cgroup_mode && mono_ns() - s->last_scan_ns >= CGROUP_SCAN_MS * 1000000ull &&
		    scan_cgroup(s) == -ENOENT) {
			log_warn("cgroup %s was removed while traced; tracing ends", s->opts.cgroup);
			break;
		}
		if (!s->cgroup_mode && !targets__count_state(s->targets, TARGET_ATTACHED))
			break;	/* every traced process has exited */
		if (duration_ms && now_ms(s) >= duration_ms)
			break;
		if (interval_ms && now_ms(s) - s->last_report_ms >= interval_ms) {
			probes__drain(s->probes);
			monitor__tick(s->mon, s->model, now_ms(s));
			report_requested = 1;
		}
		if (report_requested) {
			report_requested = 0;
			print_report(s, false);
		}
	}
	return 0;
}

/* A launched command still running when tracing ends is asked to stop. */
static void end_child(struct session *s)
{
	int waited_ms = 0;

	if (!s->launched)
		return;
	if (s->held) {
		target__kill_held(s->pid);
		return;
	}
	reap_child(s, false);
	if (s->child_reaped)
		return;
	kill(s->pid, SIGTERM);
	while (waited_ms < TERMINATE_GRACE_MS) {
		reap_child(s, false);
		if (s->child_reaped)
			return;
		usleep(20000);
		waited_ms += 20;
	}
	kill(s->pid, SIGKILL);
	reap_child(s, true);
}

static int write_json(struct session *s)
{
	struct utsname u;
	char started[64];
	struct json_report_info info = {
		.target_pid = s->opts.pid,
		.command = s->opts.command,
		.command_argc = s->opts.command_argc,
		.interval_s = s->opts.interval_s,
		.duration_opt_s = s->opts.duration_s,
		.top = s->opts.top,
		.stack_depth = s->opts.stack_depth,
		.frames = s->opts.frames,
		.mappings = options__mappings_name(s->opts.mappings),
		.mappings_followed = probes__mappings_via(s->probes) != NULL,
		.min_age_s = s->opts.min_age_s,
		.now_ms = now_ms(s),
		.malformed = s->consumer.malformed,
		.sample_bytes = s->opts.sample_bytes,
		.return_probe = probes__return_probe(s->probes),
		.resolve = resolve_symbol,
		.resolve_ctx = s->sym,
		.mode = options__mode_name(s->opts.mode),
		.window_s = s->opts.window_s,
		.alert_defs = s->opts.alerts,
		.alert_def_cnt = s->opts.alert_cnt,
		.on_alert = s->opts.on_alert,
		.metrics = monitor__metrics(s->mon),
		.alerts_not_kept = monitor__events_dropped(s->mon),
		.on_alert_skipped = monitor__actions_skipped(s->mon),
		.files_skipped = s->targets ? targets__files_skipped(s->targets) : 0,
	};
	int ret;

	size_t forks, i;
	uint64_t max_ns, median_ns;

	static const char *feature_names[PROBES_K_FEATURE_CNT];

	for (i = 0; i < PROBES_K_FEATURE_CNT; i++)
		feature_names[i] = probes__kernel_feature_name(1u << i);
	info.kernel_features = probes__kernel_features(s->probes);
	info.kernel_feature_names = feature_names;
	info.kernel_feature_cnt = PROBES_K_FEATURE_CNT;
	info.alerts = monitor__events(s->mon, &info.alert_cnt);
	uname(&u);
	targets__fork_delays(s->targets, &forks, &max_ns, &median_ns);
	info.follow = s->opts.follow;
	info.cgroup = s->cgroup_mode ? s->cg.path : NULL;
	for (i = 0; i < targets__cnt(s->targets); i++) {
		if (targets__at(s->targets, i)->attached_ns)
			info.attached++;
		else
			info.attach_failed++;
	}
	info.fork_attach_cnt = forks;
	info.fork_attach_max_ms = max_ns / 1e6;
	info.fork_attach_median_ms = median_ns / 1e6;
	strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", gmtime(&s->started_wall));
	info.kernel = u.release;
	info.started_at = started;
	info.duration_s = info.now_ms / 1000.0;
	probes__losses(s->probes, info.lost);
	ret = report_json__write(s->json_out, s->model, &info);
	if (ret) {
		log_error("writing the JSON report failed: %s", strerror(-ret));
		return ret;
	}
	ret = output_file__commit(s->json_file, s->err, sizeof(s->err));
	if (ret)
		log_error("%s", s->err);
	return ret;
}

static int exit_status_of_child(const struct session *s)
{
	if (!s->child_reaped)
		return 1;
	if (WIFEXITED(s->child_status))
		return WEXITSTATUS(s->child_status);
	if (WIFSIGNALED(s->child_status))
		return 128 + WTERMSIG(s->child_status);
	return 1;
}

/* Final report first, then detach (in session_free): the report's clock stops here. */
static int finish(struct session *s)
{
	struct proc *p;
	int ret = 0;

	probes__drain(s->probes);
	sample_kernel(s);
	end_child(s);
	probes__drain(s->probes);
	sample_kernel(s);
	p = model__find(s->model, s->pid);
	if (p && s->child_reaped)
		model__exit(s->model, s->pid, s->child_status);
	monitor__finish(s->mon, s->model, now_ms(s));
	print_report(s, true);
	if (s->json_out)
		ret = write_json(s);
	return ret;
}

static int trace(struct session *s)
{
	struct probes_opts po = {
		.sample_bytes = s->opts.sample_bytes,
		.sample_max_live = s->opts.sample_max_live,
		.no_sessions = sessions_disabled(),
		.stack_depth = s->opts.stack_depth,
		.mappings = s->opts.mappings,
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
	ret = start_target(s);
	if (ret) {
		log_error("%s", s->err);
		return ret;
	}
	sample_kernel(s);	/* the baseline, before a launched command runs */
	print_banner(s);
	monitor__tick(s->mon, s->model, now_ms(s));
	if (s->held) {
		ret = target__release(s->pid);
		if (ret) {
			log_error("cannot release %s: %s", s->opts.command[0], strerror(-ret));
			return ret;
		}
		s->held = false;
	}
	ret = run_loop(s);
	if (ret)
		return ret;
	return finish(s);
}

static void session_free(struct session *s)
{
	if (s->launched)
		end_child(s);
	probes__free(s->probes);
	targets__free(s->targets);
	free(s->scan_seen);
	monitor__free(s->mon);
	symbolizer__free(s->sym);
	model__free(s->model);
	output_file__free(s->json_file);
}

static int check_target(struct session *s)
{
	int ret;

	s->cgroup_mode = s->opts.cgroup != NULL;
	if (s->cgroup_mode)
		ret = cgroup__open(s->opts.cgroup, &s->cg, s->err, sizeof(s->err));
	else if (s->opts.pid)
		ret = target__check_pid(s->opts.pid, s->err, sizeof(s->err));
	else
		ret = target__check_command(s->opts.command, s->err, sizeof(s->err));
	if (ret)
		log_error("%s", s->err);
	return ret;
}

int main(int argc, char **argv)
{
	static struct session s;
	int ret;

	if (options__parse(argc, argv, &s.opts, s.err, sizeof(s.err))) {
		log_error("%s", s.err);
		return MV_EXIT_USAGE;
	}
	log_set_level(LOG_WARN + s.opts.verbose);
	if (check_environment(&s))
		return 1;
	ret = check_target(&s);
	if (ret)
		return s.opts.command ? (ret == -ENOENT ? 127 : 126) : 1;
	s.t0_ns = mono_ns();
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
	ret = monitor__new(&s.opts, resolve_symbol, s.sym, &s.mon, s.err, sizeof(s.err));
	if (ret) {
		log_error("%s", s.err);
		session_free(&s);
		return ret == -EINVAL ? MV_EXIT_USAGE : 1;
	}
	s.consumer = (struct consumer){ .model = s.model, .on_exec = on_exec,
					.on_exit = on_exit_event, .on_fork = on_fork, .on_oom = on_oom,
					.ctx = &s };
	ret = trace(&s);
	session_free(&s);
	if (ret)
		return 1;
	return s.launched ? exit_status_of_child(&s) : 0;
}
