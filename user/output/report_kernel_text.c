// SPDX-License-Identifier: GPL-2.0
/* The kernel half of the text report: RSS, faults, reclaim, mappings, cgroup, PSI, OOM. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/format.h"
#include "lib/text_escape.h"
#include "output/frames.h"
#include "output/report_kernel_text.h"
#include "output/verdict_text.h"

#define MAP_STACKS_SHOWN 3
#define TEXT_COLUMNS 100	/* the width every report line fits */
#define CGROUP_PATH_MIN 24	/* the least of a cgroup's path a compact line keeps */

static const char *map_kind(uint32_t flags)
{
	if (flags & MV_MAP_ALLOCATOR)
		return "allocator";
	return flags & MV_MAP_FILE ? "file" : "anon";
}

static void print_rss(FILE *out, const struct proc_kernel *k)
{
	char b[5][32];

	fprintf(out, "  RSS %s: anon %s, file %s, shmem %s, swap %s\n",
		format_bytes(k->rss_total_bytes, b[0], 32),
		format_bytes(k->rss_bytes[MV_RSS_ANON], b[1], 32),
		format_bytes(k->rss_bytes[MV_RSS_FILE], b[2], 32),
		format_bytes(k->rss_bytes[MV_RSS_SHMEM], b[3], 32),
		format_bytes(k->rss_bytes[MV_RSS_SWAP], b[4], 32));
	fprintf(out, "  RSS peak %s", format_bytes(k->rss_peak_bytes, b[0], 32));
	if (k->has_smaps)
		fprintf(out, ", USS %s, PSS %s", format_bytes(k->uss_bytes, b[1], 32),
			format_bytes(k->pss_bytes, b[2], 32));
	fprintf(out, "\n");
}

static void print_faults(FILE *out, const struct proc_kernel *k)
{
	fprintf(out, "  faults since attach: %llu minor, %llu major; %.0f/s, major %.0f/s\n",
		(unsigned long long)(k->min_flt - k->min_flt_first),
		(unsigned long long)(k->maj_flt - k->maj_flt_first), k->min_flt_rate + k->maj_flt_rate,
		k->maj_flt_rate);
	fprintf(out, "  fault hooks: %llu user, %llu in-kernel | reclaim stalls %llu, %.1f ms"
		" (%.1f ms/s)\n", (unsigned long long)k->faults_user,
		(unsigned long long)k->faults_kernel, (unsigned long long)k->reclaim_cnt,
		k->reclaim_ns / 1e6, k->reclaim_ns_per_s / 1e6);
}

/* The cgroup's path, its head cut to fit one line (at a UTF-8 character's start). */
static const char *path_tail(const char *path, size_t max)
{
	size_t len = strlen(path);
	const char *tail = len > max ? path + len - max : path;

	while (((unsigned char)*tail & 0xc0) == 0x80)
		tail++;
	return tail;
}

static void print_cgroup(FILE *out, const struct proc_kernel *k)
{
	uint64_t limit, usage, headroom;
	const char *dir = k->cgroup.dir;
	char b[3][32];

	if (!k->has_cgroup)
		return;
	fprintf(out, "  cgroup v%d %s", k->cgroup.version, strlen(dir) > 84 ? "..." : "");
	text_escape__fputs(out, path_tail(dir, 84));
	fputc('\n', out);
	if (proc_kernel__limit_headroom(k, &limit, &usage, &headroom))
		fprintf(out, "    usage %s of %s limit, %s to the limit", format_bytes(usage, b[0], 32),
			format_bytes(limit, b[1], 32), format_bytes(headroom, b[2], 32));
	else
		fprintf(out, "    usage %s, no limit", format_bytes(k->cgroup.usage_bytes, b[0], 32));
	if (k->has_cgroup_psi)
		fprintf(out, " | PSI some %.2f%% full %.2f%% (avg10)", k->cgroup_psi.some.avg10,
			k->cgroup_psi.full.avg10);
	fprintf(out, "\n");
}

int report_text__mappings(FILE *out, const struct report_ctx *ctx, const struct proc *p)
{
	const struct proc_metrics *pm = ctx->metrics ? metrics__find(ctx->metrics, p->key) : NULL;
	const struct proc_kernel *k = &p->kernel;
	struct mapping_totals t;

	if (!k->samples && !k->maps.cnt && !k->mmaps)
		return 0;
	struct map_site *sites;
	char b[4][32], verdict[32];
	long n, i, shown = 0;

	if (!ctx->health.mappings_followed) {
		fprintf(out, "  mappings not followed (--mappings=off, or no syscall hook on "
			"this kernel)\n");
		return 0;
	}
	if (k->maps_unfollowed) {
		fprintf(out, "  mappings not followed (no mmap wrapper to probe in it; "
			"--mappings=syscalls sees them)\n");
		return 0;
	}
	mappings__totals(&k->maps, &t);
	fprintf(out, "  mapped while traced: anon %s, file %s | allocator %s | brk heap %s\n",
		format_bytes(t.anon_bytes, b[0], 32),
		format_bytes(t.file_bytes, b[1], 32), format_bytes(t.allocator_bytes, b[2], 32),
		format_bytes(k->brk_bytes, b[3], 32));
	n = mappings__by_stack(&k->maps, &sites);
	if (n < 0)
		return (int)n;
	for (i = 0; i < n && shown < MAP_STACKS_SHOWN; i++) {
		if (sites[i].flags & MV_MAP_ALLOCATOR)
			continue;	/* already in the heap figures */
		fprintf(out, "  %s%s (%llu bytes) %s mapped in %llu range%s, oldest %s\n",
			verdict_text__column(pm, metrics__map_site(pm, sites[i].stack_id,
								   sites[i].flags),
					     verdict, sizeof(verdict)),
			format_bytes(sites[i].bytes, b[0], 32), (unsigned long long)sites[i].bytes,
			map_kind(sites[i].flags), (unsigned long long)sites[i].ranges,
			format_plural(sites[i].ranges), format_age_ms(ctx->now_ms > sites[i].oldest_ms ?
				      ctx->now_ms - sites[i].oldest_ms : 0, b[1], 32));
		frames__text(out, ctx, p->key, sites[i].stack_id);
		shown++;
	}
	free(sites);
	return 0;
}

/* RSS, its change since attach and its trend (from the metrics), USS: one line. */
static void print_rss_compact(FILE *out, const struct proc_kernel *k,
			      const struct proc_metrics *pm)
{
	const struct series_stats *st = pm && pm->rss.series ? &pm->rss.st : NULL;
	char b[3][32];

	fprintf(out, "  rss %s", format_bytes(k->rss_total_bytes, b[0], 32));
	if (st && st->n)
		fprintf(out, ", %c%s since attach", st->delta < 0 ? '-' : '+',
			format_bytes(fabs(st->delta), b[1], 32));
	if (st && st->n >= TREND_MIN_SAMPLES)
		fprintf(out, ", %c%s/s %s", st->slope_per_s < 0 ? '-' : '+',
			format_bytes(fabs(st->slope_per_s), b[2], 32), trend__name(pm->rss.trend));
	if (k->has_smaps)
		fprintf(out, ", USS %s", format_bytes(k->uss_bytes, b[0], 32));
	fputc('\n', out);
}

/* Faults, reclaim and the pressure level: one line. */
static void print_activity_compact(FILE *out, const struct proc_kernel *k,
				   const struct proc_metrics *pm)
{
	fprintf(out, "  faults %llu minor, %llu major | reclaim %llu stall%s, %.1f ms",
		(unsigned long long)(k->min_flt - k->min_flt_first),
		(unsigned long long)(k->maj_flt - k->maj_flt_first),
		(unsigned long long)k->reclaim_cnt, format_plural(k->reclaim_cnt),
		k->reclaim_ns / 1e6);
	if (pm && pm->pressure.level != PRESSURE_UNKNOWN)
		fprintf(out, " | pressure %s (%s)", pressure__level_name(pm->pressure.level),
			pressure__signal_name(pm->pressure.cause));
	fputc('\n', out);
}

/* The memory cgroup, its usage and limit, its PSI: one line, its path cut to fit. */
static void print_cgroup_compact(FILE *out, const struct proc_kernel *k)
{
	uint64_t limit, usage, headroom;
	const char *dir = k->cgroup.dir;
	char rest[160], b[2][32];
	size_t used, room;
	int n;

	if (!k->has_cgroup)
		return;
	if (proc_kernel__limit_headroom(k, &limit, &usage, &headroom))
		n = snprintf(rest, sizeof(rest), ": %s of %s",
			     format_bytes(usage, b[0], 32), format_bytes(limit, b[1], 32));
	else
		n = snprintf(rest, sizeof(rest), ": %s, no limit",
			     format_bytes(k->cgroup.usage_bytes, b[0], 32));
	if (k->has_cgroup_psi && n > 0 && (size_t)n < sizeof(rest))
		snprintf(rest + n, sizeof(rest) - n, " | PSI some %.2f%% full %.2f%%",
			 k->cgroup_psi.some.avg10, k->cgroup_psi.full.avg10);
	used = strlen("  cgroup v2 ") + strlen(rest);
	room = used + CGROUP_PATH_MIN < TEXT_COLUMNS ? TEXT_COLUMNS - used : CGROUP_PATH_MIN;
	fprintf(out, "  cgroup v%d %s", k->cgroup.version, strlen(dir) > room ? "..." : "");
	text_escape__fputs(out, path_tail(dir, strlen(dir) > room ? room - 3 : room));
	fprintf(out, "%s\n", rest);
}

int report_text__kernel(FILE *out, const struct report_ctx *ctx, const struct proc *p,
			const struct proc_metrics *pm)
{
	const struct proc_kernel *k = &p->kernel;

	if (!k->samples)
		return 0;	/* no reading of its RSS and faults yet */
	if (!ctx->opts.detail) {
		print_rss_compact(out, k, pm);
		print_activity_compact(out, k, pm);
		print_cgroup_compact(out, k);
		return 0;
	}
	print_rss(out, k);
	print_faults(out, k);
	print_cgroup(out, k);
	return 0;
}

void report_text__system(FILE *out, const struct report_ctx *ctx)
{
	const struct model *m = ctx->m;
	size_t i;

	if (m->psi.state == 1)
		fprintf(out, "system memory PSI: some %.2f%% full %.2f%% (avg10), some %.2f%% (avg60)\n",
			m->psi.psi.some.avg10, m->psi.psi.full.avg10, m->psi.psi.some.avg60);
	else if (m->psi.state < 0)
		fprintf(out, "system memory PSI: unavailable (no /proc/pressure/memory)\n");
	for (i = 0; i < m->oom_cnt; i++)
		report_text__oom_kill(out, ctx, &m->ooms[i]);
}

void report_text__oom_kill(FILE *out, const struct report_ctx *ctx, const struct oom_kill *k)
{
	const struct mv_oom_event *e = &k->ev;
	uint64_t page = ctx->m->page_bytes;
	char age[32], b[4][32], comm[TEXT_ESCAPE_SIZE(sizeof(e->comm))];
	uint32_t i;

	text_escape__copy(comm, sizeof(comm), e->comm);
	fprintf(out, "OOM kill at +%s: PID %u (%s) %s\n", format_age_ms(k->ms, age, sizeof(age)),
		e->pid, comm, k->victim_traced ? "[traced]" : "[in a traced process's memory cgroup]");
	fprintf(out, "  victim RSS anon %s, file %s, shmem %s",
		format_bytes(e->rss_pages[MV_RSS_ANON] * page, b[0], 32),
		format_bytes(e->rss_pages[MV_RSS_FILE] * page, b[1], 32),
		format_bytes(e->rss_pages[MV_RSS_SHMEM] * page, b[2], 32));
	if (e->memcg.limit_pages != ~0ull)
		fprintf(out, ", memcg limit %s", format_bytes(e->memcg.limit_pages * page, b[3], 32));
	fprintf(out, "\n");
	if (!k->victim_traced) {
		fflush(out);
		return;
	}
	fprintf(out, "  heap outstanding at the kill: %s; top stacks:\n",
		format_bytes(k->heap_outstanding_bytes, b[0], 32));
	for (i = 0; i < k->stack_cnt; i++) {
		fprintf(out, "  %s (%llu bytes) in %llu alloc%s\n",
			format_bytes(k->stacks[i].bytes, b[0], 32),
			(unsigned long long)k->stacks[i].bytes,
			(unsigned long long)k->stacks[i].allocs, format_plural(k->stacks[i].allocs));
		frames__text(out, ctx, e->pid, k->stacks[i].stack_id);
	}
	fflush(out);
}
