// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "lib/clock.h"
#include "lib/grow.h"
#include "lib/log.h"
#include "procfs/procmaps.h"
#include "probes/probes_state.h"
#include "probes/unwind_maps.h"
#include "memvigil.skel.h"

#define NS_PER_MS 1000000ull

struct refreshed {
	pid_t pid;
	uint64_t ns;
};

struct unwind_maps {
	struct unwind_tables *tables;
	int rows_fd, objects_fd, procs_fd, stale_fd;
	struct unwind_proc *scratch;	/* 8 KiB: one list being written */
	uint64_t stale_checked_ns;
	struct refreshed *recent;	/* processes refreshed in the last UNWIND_MAPS_REFRESH_MS */
	size_t recent_cnt, recent_cap;
	uint64_t updated, failed;
};

const char *unwind_maps__mode_name(enum mv_unwind mode)
{
	static const char *const names[] = {
		[MV_UNWIND_AUTO] = "auto", [MV_UNWIND_FP] = "fp", [MV_UNWIND_DWARF] = "dwarf",
	};

	return mode <= MV_UNWIND_DWARF ? names[mode] : "?";
}

const char *unwind_maps__stop_name(enum unwind_stop stop)
{
	static const char *const names[] = {
		[UNWIND_STOP_END] = "end",
		[UNWIND_STOP_FP_END] = "fp_end",
		[UNWIND_STOP_DEPTH] = "depth",
		[UNWIND_STOP_NO_RULE] = "no_rule",
		[UNWIND_STOP_UNSUPPORTED] = "unsupported",
		[UNWIND_STOP_READ] = "unreadable",
		[UNWIND_STOP_BAD_FRAME] = "bad_frame",
		[UNWIND_STOP_RBP_LOST] = "rbp_lost",
		[UNWIND_STOP_SEARCH] = "bad_table",
	};

	return stop < UNWIND_STOP_CNT ? names[stop] : "?";
}

int unwind_maps__configure(struct probes *pr, enum mv_unwind mode, uint32_t rows)
{
	struct memvigil_bpf *sk = pr->skel;
	bool fp = mode == MV_UNWIND_FP;
	int err;

	sk->rodata->unwind_tables = !fp;
	/* frame pointers only: the maps stay, at their smallest */
	err = bpf_map__set_max_entries(sk->maps.unwind_rows,
				       fp ? 1 : rows ? rows : UNWIND_ROWS_DEFAULT);
	if (!err && fp)
		err = bpf_map__set_max_entries(sk->maps.unwind_objects, 1);
	return err;
}

/* unwind_sink: rows, then the object entry naming them. */
static int put_object(void *ctx, uint32_t obj_id, uint32_t first_row, const struct unwind_row *rows,
		      uint32_t row_cnt)
{
	struct unwind_maps *um = ctx;
	struct unwind_object obj = { .first_row = first_row, .row_cnt = row_cnt };
	__u32 *keys, n = row_cnt, i, id = obj_id;
	int err = 0;

	if (row_cnt) {
		keys = malloc(row_cnt * sizeof(*keys));
		if (!keys)
			return -ENOMEM;
		for (i = 0; i < row_cnt; i++)
			keys[i] = first_row + i;
		if (bpf_map_update_batch(um->rows_fd, keys, rows, &n, NULL))
			err = -errno;
		free(keys);
	} else {
		obj.first_row = 0;
	}
	if (!err && bpf_map_update_elem(um->objects_fd, &id, &obj, BPF_ANY))
		err = -errno;
	return err;
}

int unwind_maps__start(struct probes *pr, enum mv_unwind mode)
{
	struct memvigil_bpf *sk = pr->skel;
	struct unwind_maps *um;
	struct unwind_sink sink = { .put_object = put_object };

	if (mode == MV_UNWIND_FP)
		return 0;
	um = calloc(1, sizeof(*um));
	if (!um)
		return -ENOMEM;
	sink.ctx = um;
	um->rows_fd = bpf_map__fd(sk->maps.unwind_rows);
	um->objects_fd = bpf_map__fd(sk->maps.unwind_objects);
	um->procs_fd = bpf_map__fd(sk->maps.unwind_procs);
	um->stale_fd = bpf_map__fd(sk->maps.unwind_stale);
	um->scratch = calloc(1, sizeof(*um->scratch));
	um->tables = unwind_tables__new(bpf_map__max_entries(sk->maps.unwind_rows), &sink);
	if (!um->scratch || !um->tables) {
		unwind_maps__free(um);
		return -ENOMEM;
	}
	unwind_tables__set_loud(um->tables, mode == MV_UNWIND_DWARF);
	pr->unwind = um;
	return 0;
}

void unwind_maps__free(struct unwind_maps *um)
{
	if (!um)
		return;
	unwind_tables__free(um->tables);
	free(um->scratch);
	free(um->recent);
	free(um);
}

void unwind_maps__update(struct probes *pr, pid_t pid)
{
	struct unwind_maps *um = pr->unwind;
	struct procmaps *pm;
	__u32 key = pid;
	int err;

	if (!um)
		return;
	pm = procmaps__read(pid);
	if (!pm) {
		err = -errno;
		goto fail;
	}
	err = unwind_tables__proc(um->tables, pid, pm, um->scratch);
	procmaps__free(pm);
	if (!err && bpf_map_update_elem(um->procs_fd, &key, um->scratch, BPF_ANY))
		err = -errno;
	if (err)
		goto fail;
	um->updated++;
	log_debug("unwind: PID %d: %u executable mappings", pid, um->scratch->mapping_cnt);
	return;
fail:
	um->failed++;
	/* no list: its stacks are walked by frame pointers */
	bpf_map_delete_elem(um->procs_fd, &key);
	log_debug("unwind: PID %d: no mapping list (%s)", pid, strerror(-err));
}

void unwind_maps__forget(struct probes *pr, pid_t pid)
{
	struct unwind_maps *um = pr->unwind;
	__u32 key = pid;

	if (!um)
		return;
	bpf_map_delete_elem(um->procs_fd, &key);
	bpf_map_delete_elem(um->stale_fd, &key);
	unwind_tables__forget(um->tables, pid);
}

/* Whether pid was refreshed too recently; forgets old entries on the way. */
static bool refreshed_recently(struct unwind_maps *um, pid_t pid, uint64_t now)
{
	size_t i = 0;
	bool recent = false;

	while (i < um->recent_cnt) {
		if (now - um->recent[i].ns >= UNWIND_MAPS_REFRESH_MS * NS_PER_MS) {
			um->recent[i] = um->recent[--um->recent_cnt];
			continue;
		}
		recent |= um->recent[i].pid == pid;
		i++;
	}
	return recent;
}

static void note_refreshed(struct unwind_maps *um, pid_t pid, uint64_t now)
{
	struct refreshed *r = grow__array(um->recent, &um->recent_cap, um->recent_cnt + 1,
					  sizeof(*r), 16);

	if (!r)
		return;
	um->recent = r;
	r[um->recent_cnt++] = (struct refreshed){ pid, now };
}

void unwind_maps__refresh_stale(struct probes *pr)
{
	struct unwind_maps *um = pr->unwind;
	__u32 key, next, traced_fd;
	uint64_t now = clock__mono_ns();
	__u8 one;
	int ret;

	if (!um || now - um->stale_checked_ns < UNWIND_MAPS_STALE_MS * NS_PER_MS)
		return;
	um->stale_checked_ns = now;
	traced_fd = bpf_map__fd(pr->skel->maps.traced_pids);
	for (ret = bpf_map_get_next_key(um->stale_fd, NULL, &next); !ret;
	     ret = bpf_map_get_next_key(um->stale_fd, &key, &next)) {
		key = next;
		if (refreshed_recently(um, (pid_t)key, now))
			continue;
		bpf_map_delete_elem(um->stale_fd, &key);
		if (bpf_map_lookup_elem(traced_fd, &key, &one))
			continue;	/* no longer traced */
		unwind_maps__update(pr, (pid_t)key);
		note_refreshed(um, (pid_t)key, now);
		if (pr->on_code_changed)
			pr->on_code_changed(pr->on_code_ctx, (pid_t)key);
	}
}

void unwind_maps__health(struct probes *pr, struct unwind_health *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct unwind_maps *um = pr->unwind;
	__u64 *vals;
	__u32 key;
	int cpu;

	memset(out, 0, sizeof(*out));
	out->tables = um != NULL;
	if (!um)
		return;
	unwind_tables__stats(um->tables, &out->objects);
	out->procs_updated = um->updated;
	out->procs_failed = um->failed;
	vals = ncpu > 0 ? calloc(ncpu, sizeof(*vals)) : NULL;
	if (!vals)
		return;
	for (key = 0; key < UNWIND_STAT_CNT; key++) {
		uint64_t sum = 0;

		if (bpf_map_lookup_elem(bpf_map__fd(pr->skel->maps.unwind_stats), &key, vals))
			continue;
		for (cpu = 0; cpu < ncpu; cpu++)
			sum += vals[cpu];
		if (key < UNWIND_STOP_CNT)
			out->walks[key] = sum;
		else if (key == UNWIND_STAT_FRAMES_TABLE)
			out->frames_table = sum;
		else if (key == UNWIND_STAT_FRAMES_FP)
			out->frames_fp = sum;
	}
	free(vals);
}
