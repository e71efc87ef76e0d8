/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report_fixture: a fixed session for the writers' golden tests, built by
 * hand without the kernel: a model (processes, sites, kernel samples,
 * mappings, OOM kills, PSI), the metrics sampled from it each second, the
 * alerts fired, a fixed symbol table standing in for the symbolizer, and a
 * comparison of a writer's bytes with a file in tests/unit/data/golden/.
 *
 * Two sessions: fixture__exact (a cgroup traced exactly, ten seconds, every
 * section filled, stacks walked by unwind tables) and fixture__sampled (a
 * command traced by byte sampling, no kernel side, frame pointers).
 *
 * Golden files are the writers' output, reviewed by eye when written.
 * Regenerate them after an intended change of output with
 *     MV_GOLDEN_UPDATE=1 make test-unit
 * and read the diff before committing it. The JSON report's tool version is
 * stored as @MV_VERSION@ so a release does not touch the files.
 */
#ifndef MV_TEST_REPORT_FIXTURE_H
#define MV_TEST_REPORT_FIXTURE_H

#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "analysis/kernel_metrics.h"
#include "analysis/metrics.h"
#include "memvigil/events.h"
#include "model/model.h"
#include "output/metrics_json.h"
#include "output/report_context.h"
#include "probes/unwind_maps.h"
#include "session/options.h"
#include "symbolize/symbolizer.h"

#define FX_GOLDEN_DIR "tests/unit/data/golden/"
#define FX_T0 1000000000ull
#define FX_NS(ms) (FX_T0 + (uint64_t)(ms) * 1000000ull)
#define FX_NOW_MS 10000u
#define FX_TIME "2026-01-02T03:04:15Z"
#define FX_STARTED "2026-01-02T03:04:05Z"
#define FX_KINDS ((1u << MV_KIND_MALLOC) | (1u << MV_KIND_CALLOC) | (1u << MV_KIND_REALLOC))

/* The symbol table fixture_resolve answers from. */
struct fx_symbol {
	uint64_t addr;
	struct mv_symbol sym;
};

/* A symbol and the mapping that holds it (start, end, file offset, build-id). */
#define FX_SYM(mod, name, mangled_name, off, start, end, map_off, id) \
	{ .module = mod, .symbol = name, .mangled = mangled_name, .offset = off, \
	  .map_start = start, .map_end = end, .map_offset = map_off, .build_id = id, \
	  .executable = true }
#define FX_APP_ID "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"

/* Functions inlined into leak_one at 0x401000, innermost first (DWARF). */
static const struct mv_inlined fx_leak_inlined[] = {
	{ .symbol = "xmalloc", .file = "/src/app/util.h", .line = 12 },
	{ .symbol = "record_new", .file = "/src/app/record.c", .line = 40 },
};

static const struct fx_symbol fx_symbols[] = {
	{ 0x401000, { .module = "/usr/bin/app", .symbol = "leak_one", .offset = 0x1a,
		      .map_start = 0x400000, .map_end = 0x403000, .build_id = FX_APP_ID,
		      .file = "/src/app/leak.c", .line = 77, .inlined = fx_leak_inlined,
		      .inlined_cnt = 2, .executable = true } },
	{ 0x401100, FX_SYM("/usr/bin/app", "cache_fill", NULL, 0x22, 0x400000, 0x403000, 0,
			   FX_APP_ID) },
	{ 0x402000, { .module = "/usr/bin/app", .symbol = "main", .offset = 0x5e,
		      .map_start = 0x400000, .map_end = 0x403000, .build_id = FX_APP_ID,
		      .file = "/src/app/main.c", .line = 9, .executable = true } },
	{ 0x403000, FX_SYM("/usr/lib/libfoo.so.1", NULL, NULL, 0x3000, 0x403000, 0x404000,
			   0x3000, NULL) },
	{ 0x405000, FX_SYM("/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
			   "std::vector<int, std::allocator<int> >::push_back(int const&)",
			   "_ZNSt6vectorIiSaIiEE9push_backERKi", 0x10, 0x405000, 0x406000, 0x9000,
			   "00ff") },
	{ 0x406000, { .module = "/opt/odd\x01lib.so", .symbol = "odd\tname\x7f\xff",
		      .offset = 0x8, .map_start = 0x406000, .map_end = 0x407000,
		      .file = "odd\x01" "file.c", .executable = true } },
	/* 0x404000 is in no mapping: a stack through it is cut there */
};

static const uint64_t fx_leak_stack[] = { 0x401000, 0x402000, 0x403000 };
static const uint64_t fx_cache_stack[] = { 0x401100, 0x402000 };
static const uint64_t fx_cxx_stack[] = { 0x405000, 0x404000, 0x402000 };
static const uint64_t fx_odd_stack[] = { 0x406000 };
static const uint64_t fx_mmap_stack[] = { 0x403000, 0x402000 };
static const uint64_t fx_no_stack[1];	/* depth 0: the record carried no frames */

static const char *const fx_feature_names[] = { "mappings", "faults", "reclaim", "oom" };

/* A resolver with symbolizer__resolve's contract, from fx_symbols. */
static inline int fixture_resolve(void *ctx, pid_t pid, uint64_t addr, struct mv_symbol *out)
{
	size_t i;

	(void)ctx;
	(void)pid;
	for (i = 0; i < sizeof(fx_symbols) / sizeof(fx_symbols[0]); i++) {
		if (fx_symbols[i].addr == addr) {
			*out = fx_symbols[i].sym;
			return 0;
		}
	}
	memset(out, 0, sizeof(*out));
	return -ENOENT;
}

struct fixture {
	struct model *m;
	struct metrics *mt;		/* NULL in the sampled session */
	struct alert alert_defs[2];
	unsigned int alert_def_cnt;
	struct alert_event alerts[2];
	size_t alert_cnt;
	struct unwind_health unwind;	/* by tables (exact session) or frame pointers */
};

static inline void fx_alloc(struct model *m, pid_t pid, uint32_t ms, uint64_t addr, uint64_t size,
			    uint32_t kind, const uint64_t *stack, uint32_t depth)
{
	cr_assert_eq(model__alloc(m, pid, FX_NS(ms), addr, size, 0, kind, stack, depth), 0);
}

static inline struct proc *fx_proc(struct model *m, pid_t pid, const char *comm, const char *lib,
				   pid_t ns_pid, pid_t parent, const char *cgroup)
{
	struct proc *p = model__proc(m, pid);

	cr_assert_not_null(p);
	cr_assert_eq(model__set_image(p, comm, "/usr/bin/app", lib, lib ? FX_KINDS : 0), 0);
	cr_assert_eq(model__set_origin(p, ns_pid, parent, cgroup), 0);
	return p;
}

/* One second of pid 100: leaks 1000 bytes, fills a cache for five seconds, churns. */
static inline void fx_app_second(struct model *m, uint32_t t)
{
	fx_alloc(m, 100, t * 1000, 0x10000 + t * 0x100, 1000, MV_KIND_MALLOC, fx_leak_stack, 3);
	if (t < 5)
		fx_alloc(m, 100, t * 1000, 0x20000 + t * 0x1000, 4096, MV_KIND_CALLOC,
			 fx_cache_stack, 2);
	fx_alloc(m, 100, t * 1000, 0x30000, 64, MV_KIND_REALLOC, fx_cxx_stack, 3);
	model__free_block(m, 100, 0x30000);
}

/* A kernel reading of pid 100 at second t: RSS grows 64 KiB a second. */
static inline void fx_app_reading(struct kernel_reading *r, uint32_t t)
{
	memset(r, 0, sizeof(*r));
	r->has_task = r->has_mm = true;
	r->min_flt = 1000 + 250 * t;
	r->maj_flt = 3 + t / 5;
	r->rss_pages[MV_RSS_ANON] = 2048 + 16 * t;
	r->rss_pages[MV_RSS_FILE] = 1024;
	r->rss_pages[MV_RSS_SHMEM] = 8;
	r->rss_pages[MV_RSS_SWAP] = 2;
	r->vm_pages = 65536;
	r->start_brk = 0x600000;
	r->brk = 0x600000 + 0x21000;
	r->memcg = (struct mv_memcg){ .id = 0xabc, .usage_pages = 40960, .limit_pages = 131072 };
	r->has_kstat = true;
	r->kstat = (struct mv_kstat){ .faults_user = 200 * t, .faults_kernel = 7 * t,
				      .reclaim_ns = 1500000ull * t, .reclaim_cnt = t };
	r->has_smaps = true;
	r->smaps = (struct smaps_rollup){ .rss_bytes = 12 << 20, .pss_bytes = 10 << 20,
					  .uss_bytes = 9 << 20 };
	r->has_cgroup = true;
	r->cgroup.version = 2;
	snprintf(r->cgroup.dir, sizeof(r->cgroup.dir), "/sys/fs/cgroup/workload.slice/app");
	r->cgroup.ino = 0xabc;
	r->cgroup.limit_bytes = 512ull << 20;
	r->cgroup.usage_bytes = 160ull << 20;
	r->has_cgroup_psi = true;
	r->cgroup_psi = (struct psi){ .some = { 1.25, 0.5, 0.125, 123456 },
				      .full = { 0.75, 0.25, 0.0625, 65432 }, .has_full = true };
}

/* A kernel reading of pid 101: a plain task, no cgroup files. */
static inline void fx_worker_reading(struct kernel_reading *r, uint32_t t)
{
	memset(r, 0, sizeof(*r));
	r->has_task = r->has_mm = true;
	r->min_flt = 50 + 10 * t;
	r->rss_pages[MV_RSS_ANON] = 300;
	r->rss_pages[MV_RSS_FILE] = 200;
	r->vm_pages = 4096;
	r->memcg = (struct mv_memcg){ .id = 0xabc, .usage_pages = 40960, .limit_pages = ~0ull };
}

static inline void fx_map(struct model *m, uint32_t type, uint32_t ms, uint64_t addr, uint64_t len,
			  uint32_t flags, const uint64_t *stack, uint32_t depth)
{
	struct mv_map_event e = { .type = type, .pid = 100, .flags = flags, .stack_depth = depth,
				  .ts_ns = FX_NS(ms), .addr = addr, .len = len };

	if (type == MV_EV_BRK) {
		e.old_addr = 0x600000;
		e.len = 0;
	}
	cr_assert_eq(model__map_event(m, &e, stack), 0);
}

static inline void fx_mappings(struct model *m)
{
	fx_map(m, MV_EV_MMAP, 2000, 0x7f0000000000, 1 << 20, 0, fx_mmap_stack, 2);
	fx_map(m, MV_EV_MMAP, 3000, 0x7f0000200000, 64 << 10, MV_MAP_FILE, fx_cache_stack, 2);
	fx_map(m, MV_EV_MMAP, 4000, 0x7f0000400000, 256 << 10, MV_MAP_ALLOCATOR, fx_leak_stack, 3);
	fx_map(m, MV_EV_MMAP, 5000, 0x7f0000600000, 8192, 0, fx_cxx_stack, 3);
	fx_map(m, MV_EV_MMAP, 6000, 0x7f0000700000, 4096, 0, fx_odd_stack, 1);
	fx_map(m, MV_EV_MUNMAP, 6000, 0x7f0000000000, 4096, 0, NULL, 0);
	fx_map(m, MV_EV_BRK, 7000, 0x600000 + 0x21000, 0, 0, NULL, 0);
}

static inline void fx_ooms(struct model *m)
{
	struct mv_oom_event victim = {
		.type = MV_EV_OOM_KILL, .pid = 101, .tid = 101, .killer_pid = 100,
		.ts_ns = FX_NS(9000), .rss_pages = { 200, 300, 0, 0 },
		.memcg = { .id = 0xabc, .usage_pages = 131000, .limit_pages = 131072 },
	};
	struct mv_oom_event peer = {
		.type = MV_EV_OOM_KILL, .pid = 555, .tid = 556, .killer_pid = 555,
		.ts_ns = FX_NS(9500), .rss_pages = { 10, 5000, 1, 3 },
		.memcg = { .id = 0xabc, .usage_pages = 131072, .limit_pages = ~0ull },
		.comm = "stranger",
	};

	cr_assert_not_null(model__oom(m, &victim));
	cr_assert_not_null(model__oom(m, &peer));
}

/* One metrics sample of every process, as the monitor takes it. */
static inline void fx_sample_metrics(struct fixture *f, uint32_t now_ms)
{
	struct kernel_sample ks;
	size_t i;

	for (i = 0; i < f->m->proc_cnt; i++) {
		const struct proc *p = f->m->procs[i];
		uint32_t *oom_seen = metrics__oom_seen(f->mt, p->key);

		cr_assert_not_null(oom_seen);
		kernel_metrics__input(f->m, p, oom_seen, &ks);
		if (!isnan(ks.rss_bytes))
			ks.rss_t_ms = p->kernel.sample_ms;
		cr_assert_eq(metrics__sample(f->mt, p, now_ms, &ks), 0);
	}
}

static inline void fx_alert(struct fixture *f, const char *expr, double t_s, pid_t pid,
			    const char *comm, double value, bool run)
{
	struct alert_event *ev = &f->alerts[f->alert_cnt++];
	char err[128];

	cr_assert_eq(alert__parse(expr, &f->alert_defs[f->alert_def_cnt], err, sizeof(err)), 0,
		     "%s", err);
	*ev = (struct alert_event){ .t_s = t_s, .pid = pid, .value = value, .command_run = run,
				    .alert = f->alert_defs[f->alert_def_cnt++] };
	snprintf(ev->time, sizeof(ev->time), "2026-01-02T03:04:%02dZ", 5 + (int)t_s);
	snprintf(ev->comm, sizeof(ev->comm), "%s", comm);
}

/* Unwinding by tables: two objects with one, one refused, walks that ended each way. */
static inline void fx_unwind_tables(struct unwind_health *u)
{
	uint32_t i;

	*u = (struct unwind_health){ .tables = true, .frames_table = 4000, .frames_fp = 120,
				     .procs_updated = 5, .procs_failed = 1 };
	u->objects = (struct unwind_tables_stats){ .objects = 2, .rows_used = 3000,
						   .rows_cap = 65536, .tables_built = 2, .tables_shared = 1,
						   .build_ns = 1500000 };
	u->objects.refused[UNWIND_REFUSED_NO_CFI] = 1;
	for (i = 0; i < UNWIND_STOP_CNT; i++)
		u->walks[i] = 10 * i;
}

/*
 * A cgroup traced exactly for ten seconds: pid 100 (app) leaks, caches and
 * maps; its child 101 (in its own PID namespace) is OOM-killed at 9 s; 102
 * has no allocator traced and left the cgroup; an untraced process of the
 * same memory cgroup is OOM-killed too; 103 exited at once holding 48 bytes
 * and was dropped (--keep-exited).
 */
static inline void fixture__exact(struct fixture *f)
{
	struct kernel_reading r;
	struct proc *p;
	uint32_t t;

	memset(f, 0, sizeof(*f));
	f->m = model__new(FX_T0);
	f->mt = metrics__new(60000, 1000);
	cr_assert(f->m && f->mt);
	fx_proc(f->m, 100, "app", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0, 0,
		"/workload.slice/app");
	fx_proc(f->m, 101, "worker\x1b[1m", "/usr/lib/x86_64-linux-gnu/libc.so.6", 7, 100,
		"/workload.slice/app");
	p = fx_proc(f->m, 102, "helper", NULL, 0, 0, "/workload.slice/helper");
	p->detached = true;
	model__free_block(f->m, 100, 0xdead0);
	/* a short-lived child that exited holding 48 bytes, dropped (--keep-exited) */
	fx_proc(f->m, 103, "short", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0, 100,
		"/workload.slice/app");
	fx_alloc(f->m, 103, 0, 0x60000, 48, MV_KIND_MALLOC, fx_odd_stack, 1);
	model__free_block(f->m, 103, 0xdead0);
	model__exit(f->m, 103, 0);
	model__drop(f->m, f->m->proc_cnt - 1);
	for (t = 0; t <= 10; t++) {
		fx_app_second(f->m, t);
		if (t == 1) {
			fx_alloc(f->m, 101, 1000, 0x50000, 500, MV_KIND_MALLOC, fx_odd_stack, 1);
			fx_alloc(f->m, 101, 1000, 0x51000, 500, MV_KIND_MALLOC, fx_odd_stack, 1);
			fx_alloc(f->m, 101, 1500, 0x52000, 100, MV_KIND_CALLOC, fx_no_stack, 0);
		}
		if (t == 2)
			fx_mappings(f->m);
		if (t == 3)
			fx_alloc(f->m, 100, 3000, 0x40000, 32, MV_KIND_MALLOC, fx_odd_stack, 1);
		fx_app_reading(&r, t);
		model__kernel_sample(f->m, 100, &r, FX_NS(t * 1000));
		if (t < 9) {
			fx_worker_reading(&r, t);
			model__kernel_sample(f->m, 101, &r, FX_NS(t * 1000));
		}
		if (t == 9) {
			fx_ooms(f->m);
			model__exit(f->m, 101, SIGKILL);
		}
		f->m->events += 3;
		fx_sample_metrics(f, t * 1000);
	}
	f->m->psi = (struct system_psi){ .state = 1, .psi = {
		.some = { 0.5, 0.25, 0.125, 999 }, .full = { 0.1, 0.05, 0.01, 111 },
		.has_full = true } };
	fx_alert(f, "heap>8K", 8, 100, "app", 9000, true);
	fx_alert(f, "oom", 9, 101, "worker", 1, false);
	fx_unwind_tables(&f->unwind);
}

/*
 * A command traced by sampling (one sample per 64 KiB on average) for five
 * seconds: pid 200 holds samples of two stacks, its child 201 exited with
 * status 3. No kernel side, no metrics, no PSI file.
 */
static inline void fixture__sampled(struct fixture *f)
{
	uint32_t i;

	memset(f, 0, sizeof(*f));
	f->m = model__new(FX_T0);
	cr_assert_not_null(f->m);
	model__set_sampling(f->m, 65536);
	fx_proc(f->m, 200, "sampler", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0, 0, NULL);
	fx_proc(f->m, 201, "child", "/usr/lib/memvigil/libmemvigil-sampler.so", 0, 200, NULL);
	model__find(f->m, 201)->via_sampler = true;	/* the child preloads the sampler */
	for (i = 0; i < 6; i++)
		fx_alloc(f->m, 200, 500 * i, 0x10000 + i * 0x100, 128 + i, MV_KIND_MALLOC,
			 fx_leak_stack, 3);
	for (i = 0; i < 3; i++)
		fx_alloc(f->m, 200, 1000 + 1000 * i, 0x20000 + i * 0x100, 100000, MV_KIND_CALLOC,
			 fx_cxx_stack, 3);
	model__free_block(f->m, 200, 0x10000);
	fx_alloc(f->m, 201, 2000, 0x30000, 4000, MV_KIND_MALLOC, fx_cache_stack, 2);
	model__exit(f->m, 201, 3 << 8);
	f->m->events = 11;
	f->m->psi.state = -ENOENT;
}

/*
 * The report context of f's session as main.c builds it at the end: the
 * exact session traced a cgroup, the sampled one launched a command.
 */
static inline void fixture__ctx(const struct fixture *f, struct report_ctx *ctx)
{
	static char *const command[] = { "./app", "--flag", "x\"y" };
	static const uint64_t lost[MV_LOSS_CNT] = { 1, 2, 3, 4, 5, 6 };
	bool sampled = f->m->sample_period != 0;
	static struct options exact = {
		.mode = MV_MODE_STANDARD, .interval_s = 5, .top = 2, .stack_depth = 127,
		.keep_exited = 2,
		.frames = 2, .mappings = MV_MAPPINGS_SYSCALLS, .unwind = MV_UNWIND_DWARF,
		.unwind_rows = 1u << 20,
		.min_age_s = 1.5, .window_s = 60, .on_alert = "/usr/local/bin/notify",
	};
	static const struct options sampled_opts = {
		.mode = MV_MODE_PRODUCTION, .interval_s = 10, .duration_s = 30, .top = 10,
		.stack_depth = 64, .mappings = MV_MAPPINGS_OFF, .unwind = MV_UNWIND_FP,
		.unwind_rows = 1u << 20,
		.window_s = 300, .sample_bytes = 65536,
	};

	memcpy(exact.alerts, f->alert_defs, sizeof(f->alert_defs));
	exact.alert_cnt = f->alert_def_cnt;
	*ctx = (struct report_ctx){
		.m = f->m, .metrics = f->mt, .alerts = f->alerts, .alert_cnt = f->alert_cnt,
		.resolve = fixture_resolve, .now_ms = sampled ? 5000 : FX_NOW_MS, .elapsed_ms = 5000,
		.time = FX_TIME, .started_at = FX_STARTED, .kernel = "6.1.0-test",
		.opts = { .top = 2, .frames = 2, .min_age_s = 1.5, .echo = options__echo_json,
			  .echo_arg = &exact },
		.health = { .attached = 3, .attach_failed = 1, .fork_attach_cnt = 1,
			    .fork_attach_max_ms = 2.5, .fork_attach_median_ms = 2.5,
			    .files_skipped = 3, .alerts_not_kept = 1, .on_alert_skipped = 2,
			    .return_probe = "session", .mappings_followed = true,
			    .kernel_signals = 0xb, .kernel_signal_names = fx_feature_names,
			    .kernel_signal_cnt = 4, .unwind = &f->unwind },
	};
	if (!sampled) {
		ctx->target.cgroup = "/workload.slice";
		memcpy(ctx->health.lost, lost, sizeof(lost));
		return;
	}
	ctx->target = (struct report_target){ .command = command, .command_argc = 3 };
	ctx->opts = (struct report_options){ .top = 10, .sample_bytes = 65536,
					     .echo = options__echo_json, .echo_arg = &sampled_opts };
	ctx->health = (struct report_health){ .attached = 2,
					      .kernel_signal_names = fx_feature_names,
					      .kernel_signal_cnt = 4, .unwind = &f->unwind };
}

static inline void fixture__free(struct fixture *f)
{
	metrics__free(f->mt);
	model__free(f->m);
}

/* An in-memory stream; fx_buf_text gives what was written. */
struct fx_buf {
	char *text;
	size_t len;
	FILE *f;
};

static inline FILE *fx_buf_open(struct fx_buf *b)
{
	b->text = NULL;
	b->len = 0;
	b->f = open_memstream(&b->text, &b->len);
	cr_assert_not_null(b->f);
	return b->f;
}

static inline const char *fx_buf_text(struct fx_buf *b)
{
	cr_assert_eq(fclose(b->f), 0);
	b->f = NULL;
	return b->text;
}

static inline char *fx_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t cap = 0, n;

	*len = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (*len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			text = realloc(text, cap);
			cr_assert_not_null(text);
		}
		n = fread(text + *len, 1, 4096, f);
		*len += n;
		if (n < 4096)
			break;
	}
	fclose(f);
	text[*len] = '\0';
	return text;
}

/* text with each occurrence of from replaced by to (newly allocated). */
static inline char *fx_replace(const char *text, const char *from, const char *to)
{
	size_t from_len = strlen(from), to_len = strlen(to), n = 0;
	const char *s;
	char *out, *o;

	for (s = strstr(text, from); s; s = strstr(s + from_len, from))
		n++;
	out = malloc(strlen(text) + n * (to_len + 1) + 1);
	cr_assert_not_null(out);
	for (o = out; (s = strstr(text, from)); text = s + from_len) {
		memcpy(o, text, s - text);
		o += s - text;
		memcpy(o, to, to_len);
		o += to_len;
	}
	strcpy(o, text);
	return out;
}

/* The 1-based line where a and b first differ. */
static inline int fx_first_diff_line(const char *a, const char *b)
{
	int line = 1;

	for (; *a && *a == *b; a++, b++)
		line += *a == '\n';
	return line;
}

/*
 * Compare text with the golden file name byte for byte; with
 * MV_GOLDEN_UPDATE=1 in the environment, write it instead.
 */
static inline void golden__check(const char *name, const char *text)
{
	char path[256], actual_path[256];
	char *stored = fx_replace(text, "\"" MV_VERSION "\"", "\"@MV_VERSION@\"");
	char *want;
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), FX_GOLDEN_DIR "%s", name);
	if (getenv("MV_GOLDEN_UPDATE") && !strcmp(getenv("MV_GOLDEN_UPDATE"), "1")) {
		f = fopen(path, "w");
		cr_assert_not_null(f, "cannot write %s: %s", path, strerror(errno));
		fputs(stored, f);
		cr_assert_eq(fclose(f), 0);
		free(stored);
		return;
	}
	want = fx_read_file(path, &len);
	cr_assert_not_null(want, "cannot read %s: %s (MV_GOLDEN_UPDATE=1 writes it)", path,
			   strerror(errno));
	if (strlen(want) != len || strcmp(want, stored)) {
		snprintf(actual_path, sizeof(actual_path), "/tmp/memvigil-golden-%s", name);
		f = fopen(actual_path, "w");
		if (f) {
			fputs(stored, f);
			fclose(f);
		}
		cr_assert_fail("%s differs from the output from line %d on (output in %s)", path,
			       fx_first_diff_line(want, stored), actual_path);
	}
	free(want);
	free(stored);
}

/* What write renders of the session build makes, as the session writes it at the end. */
static inline char *fixture__render(void (*build)(struct fixture *f),
				    int (*write)(FILE *out, const struct report_ctx *ctx))
{
	struct fixture f;
	struct report_ctx ctx;
	struct fx_buf b;

	build(&f);
	fixture__ctx(&f, &ctx);
	cr_assert_eq(write(fx_buf_open(&b), &ctx), 0);
	fx_buf_text(&b);
	fixture__free(&f);
	return b.text;
}

/* Render ctx with write (report_text__write, report_json__document) and check it. */
static inline void golden__check_writer(const char *name,
					int (*write)(FILE *out, const struct report_ctx *ctx),
					const struct report_ctx *ctx)
{
	struct fx_buf b;

	cr_assert_eq(write(fx_buf_open(&b), ctx), 0);
	golden__check(name, fx_buf_text(&b));
	free(b.text);
}

#endif
