// SPDX-License-Identifier: GPL-2.0
/*
 * unwind_test: the standalone proof of the table-driven stack walk.
 *
 *   unwind_test DIR                 the checks; last line "N passed, N failed"
 *   unwind_test --bench LOOPS ROUNDS DIR   cost of the walks: medians of ROUNDS rounds
 *
 * DIR holds deep_chain and libdeep_chain.so built without frame pointers,
 * and fp/ the same two built with them. Each check starts deep_chain, builds
 * the unwind tables of everything it maps, loads them with its own BPF
 * program (unwind_test.bpf.c), probes malloc in the libc it maps, runs the
 * chain once and symbolizes the one stack recorded: it must be malloc, then
 * exactly chain_c08..c01, chain_b08..b01, chain_a08..a01 and main.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "unwind/cfi_table.h"
#include "deep_chain.h"
#include "elf_syms.h"
#include "proc_unwind.h"
#include "unwind_test.h"
#include "unwind_test.skel.h"

enum probe_at { PROBE_NONE, PROBE_ENTRY, PROBE_INSIDE };

struct run_cfg {
	const char *variant;		/* "" or "fp/" */
	enum unwind_test_mode mode;
	enum probe_at probe;
	const char *no_table;		/* file suffix left without a table */
	long loops;
};

struct run_result {
	struct unwind_test_rec rec;
	bool got_rec;
	double ns_per_chain;
	struct unwind_test_time time;
	struct proc_unwind *pu;		/* for symbolization; caller frees */
	uint64_t probe_vaddr;
};

struct workload {
	pid_t pid;
	FILE *out;
	FILE *in;
};

static const char *const stop_names[] = {
	"end", "fp-end", "depth", "no-rule", "unsupported", "read", "bad-frame", "rbp-lost",
	"search",
};

static int workload_start(const char *dir, const char *variant, long loops, struct workload *w)
{
	char path[PATH_MAX], arg[32];
	int to_child[2], from_child[2], pid;

	snprintf(path, sizeof(path), "%s/%sdeep_chain", dir, variant);
	snprintf(arg, sizeof(arg), "%ld", loops);
	if (pipe(to_child) || pipe(from_child))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		dup2(to_child[0], 0);
		dup2(from_child[1], 1);
		close(to_child[1]);
		close(from_child[0]);
		execl(path, path, arg, (char *)NULL);
		_exit(127);
	}
	close(to_child[0]);
	close(from_child[1]);
	w->pid = pid;
	w->in = fdopen(to_child[1], "w");
	w->out = fdopen(from_child[0], "r");
	return w->in && w->out ? 0 : -ENOMEM;
}

/* Wait for "READY", or for "NS_PER_CHAIN" into *ns. */
static int workload_line(struct workload *w, const char *key, double *ns)
{
	char line[128];

	while (fgets(line, sizeof(line), w->out)) {
		if (!strncmp(line, key, strlen(key))) {
			if (ns)
				*ns = atof(line + strlen(key));
			return 0;
		}
	}
	return -EIO;
}

static void workload_end(struct workload *w)
{
	if (w->in)
		fclose(w->in);
	if (w->out)
		fclose(w->out);
	if (w->pid > 0) {
		kill(w->pid, SIGKILL);
		waitpid(w->pid, NULL, 0);
	}
}

/* A row boundary inside malloc after its entry: a probe there is not at a function entry. */
static int inside_malloc(const char *libc, uint64_t start, uint64_t size, uint64_t *vaddr)
{
	struct cfi_table *t = NULL;
	const struct unwind_row *rows;
	size_t cnt;
	FILE *f = fopen(libc, "re");
	int err = -ENOENT;

	if (!f)
		return -errno;
	if (!cfi_table__build_fd(fileno(f), -1, &t)) {
		rows = cfi_table__rows(t, &cnt);
		for (size_t i = 0; i < cnt && err; i++) {
			uint64_t a = cfi_table__base_vaddr(t) + rows[i].pc;

			if (a > start && a < start + size) {
				*vaddr = a;
				err = 0;
			}
		}
	}
	cfi_table__free(t);
	fclose(f);
	return err;
}

static int attach_malloc(struct unwind_test_bpf *skel, pid_t pid, const char *libc,
			 enum probe_at at, uint64_t *probe_vaddr)
{
	uint64_t vaddr, size, off;
	struct bpf_link *link;
	int err;

	if (!libc)
		return -ENOENT;
	err = elf_syms__addr(libc, "malloc", &vaddr, &size);
	if (!err && at == PROBE_INSIDE)
		err = inside_malloc(libc, vaddr, size, &vaddr);
	if (!err)
		err = elf_syms__file_offset(libc, vaddr, &off);
	if (err)
		return err;
	*probe_vaddr = vaddr;
	link = bpf_program__attach_uprobe(skel->progs.malloc_probe, false, pid, libc, off);
	if (!link)
		return -errno;
	skel->links.malloc_probe = link;
	return 0;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct run_result *res = ctx;

	if (!res->got_rec && size >= sizeof(res->rec)) {
		memcpy(&res->rec, data, sizeof(res->rec));
		res->got_rec = true;
	}
	return 0;
}

static void sum_times(struct unwind_test_bpf *skel, struct unwind_test_time *sum)
{
	int cpus = libbpf_num_possible_cpus();
	struct unwind_test_time t[cpus > 0 ? cpus : 1];
	__u32 zero = 0;

	memset(sum, 0, sizeof(*sum));
	if (cpus <= 0 || bpf_map__lookup_elem(skel->maps.times, &zero, sizeof(zero), t,
					      sizeof(t), 0))
		return;
	for (int i = 0; i < cpus; i++) {
		sum->walk_ns += t[i].walk_ns;
		sum->walk_cnt += t[i].walk_cnt;
		sum->frame_cnt += t[i].frame_cnt;
	}
}

static int load_and_attach(struct unwind_test_bpf **out, const struct run_cfg *cfg,
			   struct run_result *res, pid_t pid)
{
	struct unwind_test_bpf *skel = unwind_test_bpf__open();
	int err;

	if (!skel)
		return -errno;
	skel->rodata->mode = cfg->mode;
	skel->rodata->record = cfg->loops == 1;
	err = bpf_map__set_max_entries(skel->maps.unwind_rows,
				       proc_unwind__row_cnt(res->pu) ? proc_unwind__row_cnt(res->pu) : 1);
	if (!err)
		err = unwind_test_bpf__load(skel);
	if (!err)
		err = proc_unwind__fill(res->pu, bpf_map__fd(skel->maps.unwind_rows),
					bpf_map__fd(skel->maps.unwind_objects),
					bpf_map__fd(skel->maps.unwind_procs));
	if (!err && cfg->probe != PROBE_NONE)
		err = attach_malloc(skel, pid, proc_unwind__path(res->pu, "/libc.so.6"), cfg->probe,
				    &res->probe_vaddr);
	*out = skel;
	return err;
}

static int run_one(const char *dir, const struct run_cfg *cfg, struct run_result *res)
{
	struct unwind_test_bpf *skel = NULL;
	struct ring_buffer *rb = NULL;
	struct workload w = {};
	int err;

	memset(res, 0, sizeof(*res));
	err = workload_start(dir, cfg->variant, cfg->loops, &w);
	if (!err)
		err = workload_line(&w, "READY", NULL);
	if (!err)
		err = proc_unwind__new(w.pid, cfg->no_table, &res->pu);
	if (!err)
		err = load_and_attach(&skel, cfg, res, w.pid);
	if (!err) {
		rb = ring_buffer__new(bpf_map__fd(skel->maps.records), on_record, res, NULL);
		err = rb ? 0 : -errno;
	}
	if (!err) {
		fputs("go\n", w.in);
		fflush(w.in);
		err = workload_line(&w, "NS_PER_CHAIN", &res->ns_per_chain);
	}
	if (!err) {
		ring_buffer__consume(rb);
		sum_times(skel, &res->time);
	}
	ring_buffer__free(rb);
	unwind_test_bpf__destroy(skel);
	workload_end(&w);
	return err;
}

/* The name of frame i (callers looked up inside their call instruction). */
static void frame_name(const struct run_result *res, uint32_t i, char *buf, size_t size)
{
	uint64_t pc = res->rec.frames[i];
	const struct proc_mapping *m = proc_unwind__mapping(res->pu, pc);

	if (!m || elf_syms__name(m->path, pc - m->bias - (i ? 1 : 0), buf, size))
		snprintf(buf, size, "?");
}

/* The chain's names, innermost first: malloc, c08..c01, b08..b01, a08..a01, main. */
static int expected_name(int i, char *buf, size_t size)
{
	const int per = DEEP_CHAIN_PER_PART;

	if (i == 0)
		return snprintf(buf, size, "malloc");
	if (i == 3 * per + 1)
		return snprintf(buf, size, "main");
	if (i > 3 * per + 1)
		return -1;
	i--;
	return snprintf(buf, size, "chain_%c%02d", "cba"[i / per], per - i % per);
}

/* Frames of the chain found in order from frame 0; prints the stack when verbose. */
static int chain_prefix(const struct run_result *res, bool verbose)
{
	char got[128], want[32];
	int ok = 0;
	bool matching = true;

	for (uint32_t i = 0; i < res->rec.frame_cnt && i < UNWIND_MAX_DEPTH; i++) {
		frame_name(res, i, got, sizeof(got));
		if (matching && expected_name((int)i, want, sizeof(want)) > 0 && !strcmp(got, want))
			ok++;
		else
			matching = false;
		if (verbose)
			printf("    #%-2u %#014llx %s\n", i, (unsigned long long)res->rec.frames[i], got);
	}
	return ok;
}

static const int chain_len = 3 * DEEP_CHAIN_PER_PART + 2;

/* One check: the walk must give the whole chain (and, when must_end, reach _start's END row). */
static bool check(const char *dir, const char *name, const struct run_cfg *cfg, bool must_end)
{
	struct run_result res;
	int err = run_one(dir, cfg, &res), ok = 0;
	bool pass;

	if (!err && !res.got_rec)
		err = -ENODATA;
	if (!err)
		ok = chain_prefix(&res, false);
	pass = !err && ok == chain_len && (!must_end || res.rec.stop == UNWIND_STOP_END);
	printf("%s %s\n", pass ? "PASS" : "FAIL", name);
	if (err)
		printf("    error: %s\n", strerror(-err));
	else
		printf("    %u frames, %d of %d chain frames in order, stop=%s, walk %llu ns\n",
		       res.rec.frame_cnt, ok, chain_len,
		       res.rec.stop < UNWIND_STOP_CNT ? stop_names[res.rec.stop] : "?",
		       (unsigned long long)res.rec.walk_ns);
	if (!err && (!pass || getenv("UNWIND_TEST_VERBOSE")))
		chain_prefix(&res, true);
	proc_unwind__free(res.pu);
	return pass;
}

/* What a frame-pointer walk gets from the same chain: shown, not judged. */
static void show(const char *dir, const char *name, const struct run_cfg *cfg)
{
	struct run_result res;
	int err = run_one(dir, cfg, &res);

	if (!err && res.got_rec)
		printf("INFO %s: %u frames, %d of %d chain frames in order\n", name,
		       res.rec.frame_cnt, chain_prefix(&res, false), chain_len);
	else
		printf("INFO %s: no stack (%s)\n", name, strerror(err ? -err : ENODATA));
	proc_unwind__free(res.pu);
}

/* How much work the verifier did on the probe program (with the table walk and the fp walk). */
static void show_verifier(void)
{
	struct unwind_test_bpf *skel = unwind_test_bpf__open();
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct utsname u = {};

	uname(&u);
	if (!skel || unwind_test_bpf__load(skel) ||
	    bpf_prog_get_info_by_fd(bpf_program__fd(skel->progs.malloc_probe), &info, &len))
		printf("INFO verifier on %s: the program did not load\n", u.release);
	else
		printf("INFO verifier on %s: %u instructions processed, %u translated\n", u.release,
		       info.verified_insns, info.xlated_prog_len / 8);
	unwind_test_bpf__destroy(skel);
}

static int run_checks(const char *dir)
{
	static const struct {
		const char *name;
		struct run_cfg cfg;
	} checks[] = {
		{ "table walk, no frame pointers, probe at malloc's entry",
		  { "", UNWIND_TEST_TABLE, PROBE_ENTRY, NULL, 1 } },
		{ "table walk, no frame pointers, probe inside malloc past its entry",
		  { "", UNWIND_TEST_TABLE, PROBE_INSIDE, NULL, 1 } },
		{ "table walk, frame pointers",
		  { "fp/", UNWIND_TEST_TABLE, PROBE_ENTRY, NULL, 1 } },
		{ "table walk, frame-pointer steps through a library without a table",
		  { "fp/", UNWIND_TEST_TABLE, PROBE_ENTRY, "/libdeep_chain.so", 1 } },
	};
	int passed = 0, failed = 0;
	struct run_cfg fp = { "", UNWIND_TEST_FP, PROBE_ENTRY, NULL, 1 };

	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		if (check(dir, checks[i].name, &checks[i].cfg, true))
			passed++;
		else
			failed++;
	}
	show_verifier();
	show(dir, "frame-pointer walk, no frame pointers", &fp);
	fp.variant = "fp/";
	show(dir, "frame-pointer walk, frame pointers (entry probe: the caller is skipped)", &fp);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

static void cpu_model(char *buf, size_t size)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[256];

	snprintf(buf, size, "unknown");
	while (f && fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && v) {
			snprintf(buf, size, "%s", v + 2);
			buf[strcspn(buf, "\n")] = '\0';
			break;
		}
	}
	if (f)
		fclose(f);
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), dbl_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define BENCH_MAX_ROUNDS 15

static const struct {
	const char *name;
	struct run_cfg cfg;
} bench_rows[] = {
	{ "no fp, untraced", { "", UNWIND_TEST_EMPTY, PROBE_NONE, NULL, 0 } },
	{ "no fp, empty probe", { "", UNWIND_TEST_EMPTY, PROBE_ENTRY, NULL, 0 } },
	{ "no fp, table walk", { "", UNWIND_TEST_TABLE, PROBE_ENTRY, NULL, 0 } },
	{ "fp, untraced", { "fp/", UNWIND_TEST_EMPTY, PROBE_NONE, NULL, 0 } },
	{ "fp, empty probe", { "fp/", UNWIND_TEST_EMPTY, PROBE_ENTRY, NULL, 0 } },
	{ "fp, frame-pointer walk", { "fp/", UNWIND_TEST_FP, PROBE_ENTRY, NULL, 0 } },
	{ "fp, table walk", { "fp/", UNWIND_TEST_TABLE, PROBE_ENTRY, NULL, 0 } },
};

#define BENCH_ROWS (sizeof(bench_rows) / sizeof(bench_rows[0]))

/* Rounds interleave the runs, so that load from elsewhere hits all of them alike. */
static int run_bench(const char *dir, long loops, int rounds)
{
	static double chain_ns[BENCH_ROWS][BENCH_MAX_ROUNDS], walk_ns[BENCH_ROWS][BENCH_MAX_ROUNDS];
	double frames[BENCH_ROWS] = {};
	char cpu[128];

	cpu_model(cpu, sizeof(cpu));
	printf("cpu: %s\n%ld chains per run, medians of %d interleaved rounds\n", cpu, loops, rounds);
	for (int r = 0; r < rounds; r++) {
		for (size_t i = 0; i < BENCH_ROWS; i++) {
			struct run_cfg cfg = bench_rows[i].cfg;
			struct run_result res;
			double cnt;
			int err;

			cfg.loops = loops;
			err = run_one(dir, &cfg, &res);
			if (err) {
				fprintf(stderr, "unwind_test: %s: %s\n", bench_rows[i].name, strerror(-err));
				proc_unwind__free(res.pu);
				return 1;
			}
			cnt = res.time.walk_cnt ? (double)res.time.walk_cnt : 1;
			chain_ns[i][r] = res.ns_per_chain;
			walk_ns[i][r] = res.time.walk_ns / cnt;
			frames[i] = res.time.frame_cnt / cnt;
			if (!r && !i)
				proc_unwind__print(res.pu);
			proc_unwind__free(res.pu);
		}
	}
	printf("%-26s %12s %12s %8s\n", "run", "ns/chain", "ns/walk", "frames");
	for (size_t i = 0; i < BENCH_ROWS; i++)
		printf("%-26s %12.1f %12.1f %8.1f\n", bench_rows[i].name, median(chain_ns[i], rounds),
		       median(walk_ns[i], rounds), frames[i]);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "--bench")) {
		int rounds = atoi(argv[3]);

		if (rounds < 1 || rounds > BENCH_MAX_ROUNDS || atol(argv[2]) < 1) {
			fprintf(stderr, "unwind_test: LOOPS >= 1, ROUNDS 1-%d\n", BENCH_MAX_ROUNDS);
			return 64;
		}
		return run_bench(argv[4], atol(argv[2]), rounds);
	}
	if (argc != 2) {
		fprintf(stderr, "usage: unwind_test [--bench LOOPS ROUNDS] DIR\n");
		return 64;
	}
	if (geteuid()) {
		fprintf(stderr, "unwind_test: needs root (BPF, uprobes)\n");
		printf("0 passed, 1 failed\n");
		return 1;
	}
	return run_checks(argv[1]);
}
