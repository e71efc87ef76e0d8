/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The user stack at a probe, unwound in BPF from tables of call frame
 * information (user/unwind/cfi_table.h), with a frame-pointer step where a
 * piece of code has no table.
 *
 * Maps, and why they are shaped so:
 *   unwind_rows     ARRAY of struct unwind_row, every object's rows back to
 *                   back. One array for all objects: a lookup in a plain
 *                   array is inlined by the verifier (no helper call), and a
 *                   binary search does ~15 of them per frame in glibc's
 *                   table, up to UNWIND_ROW_SEARCH_STEPS. User space
 *                   sizes it (bpf_map__set_max_entries) and hands out
 *                   ranges; 8 bytes a row, ~28k rows (220 KiB) for glibc.
 *   unwind_objects  ARRAY of struct unwind_object by object id: which range
 *                   of unwind_rows is whose. An object (a file, by build id
 *                   or device+inode) gets one id and one table per host, and
 *                   every process mapping it shares them.
 *   unwind_procs    HASH tgid -> struct unwind_proc: only the executable
 *                   mappings of the process, sorted, each naming its object
 *                   id and where its rows start in the address space. This
 *                   is all a process costs (at most 8 KiB, allocated on
 *                   insert), so thousands of processes share one libc table.
 *   unwind_stats    PERCPU_ARRAY of counters: walks by stop reason, frames
 *                   by method (enum unwind_stop, enum unwind_stat).
 *
 * A walk, per frame (at most UNWIND_MAX_DEPTH, one bpf_loop iteration each):
 *   1. Record pc. Unless it lies in the mapping of the frame before,
 *      search the process's mappings for it (bounded binary search,
 *      UNWIND_MAPPING_SEARCH_STEPS). Callers' pcs are return
 *      addresses, so they are looked up at pc - 1 (inside the call); the
 *      first frame, where the probe stopped the thread, at pc itself: a
 *      probe inside a function (free+9, past its NULL check) gets the rule
 *      of that very instruction.
 *   2. In the object's rows, the last row at or below the pc (bounded
 *      binary search, UNWIND_ROW_SEARCH_STEPS iterations: 2^22 rows).
 *   3. CFA = %rsp or %rbp + offset (or the .plt rule); the return address
 *      is at CFA - 8 and the caller's %rbp, if the row says it was saved,
 *      at CFA + 8 * rbp_off (one 16-byte read when it sits just below the
 *      return address, as after "push %rbp"). The caller's %rsp is the CFA.
 *   4. No process entry, or a mapping without a table (JIT code, the vDSO,
 *      objects whose table failed): one frame-pointer step. A pc in none of
 *      the process's mappings (code mapped since the list was read, or a
 *      garbage return address) ends the walk, cut short.
 * A walk stops at an END row (the outermost frame: whole), a zero return
 * address, or a zero frame pointer; it is cut (enum unwind_stop) at the
 * depth limit, a pc without a rule, an unsupported rule, an unreadable
 * stack, a CFA that does not move up the stack, or a CFA based on a %rbp
 * that is no longer known.
 *
 * For the verifier: each frame is one bpf_loop step, so the callback is
 * checked once rather than once per depth; it records frame i at the
 * loop's own index i, which keeps depth out of the state the verifier
 * compares. The walk and its two searches are global functions, verified
 * once per program on their own, whatever state the program reaches the
 * walk in; the searches' halving steps are branchless, so each step leaves
 * one path. The walk as a global function took memvigil's load from ~1.0 s
 * to ~0.35 s of verifier time on 6.18 (alloc_exit 0.48 -> 0.14 s, map_exit
 * 0.32 -> 0.05 s).
 * The unwind proof's program (this walk plus a frame-pointer walk) takes
 * ~2.1k processed instructions on 6.1, ~14k on 6.12, ~37k on 6.18.
 * Inlined searches had taken ~770k of the 1M limit on 6.18; keeping the
 * last mapping's index (not its fields) in the context, ~130k.
 *
 * Cost (AMD EPYC VM, 6.18): ~90 ns per frame, ~2.7 us for 29 frames, about
 * half of it the row search; a frame-pointer walk takes ~17 ns per frame.
 *
 * The maps are in unwind_maps.bpf.h. Include this header in one BPF object;
 * define UNWIND_MAPS_EXTERN before including it in further objects that the
 * BPF linker joins to that one (or where another object defines the maps),
 * and UNWIND_FUNCS_EXTERN in those whose searches another object defines.
 */
#ifndef MV_UNWIND_BPF_H
#define MV_UNWIND_BPF_H

#include "memvigil/unwind.h"

#include "unwind_maps.bpf.h"

/* A walk in progress; it lives on the caller's stack, bpf_loop hands it to each step. */
struct unwind_walk_ctx {
	__u64 *frames;			/* UNWIND_MAX_DEPTH slots */
	struct unwind_proc *proc;	/* NULL: frame pointers only */
	__u64 ip;
	__u64 sp;
	__u64 bp;
	__u64 map_start;		/* the mapping of the frame before */
	__u64 map_end;
	__u64 map_row_base;
	__u32 map_obj_id;
	__u32 n;			/* frames recorded */
	__u32 max;			/* frames wanted, <= UNWIND_MAX_DEPTH */
	__u32 stop;			/* enum unwind_stop */
	__u8 bp_known;
	__u8 unknown_pc;		/* a pc in none of the process's mappings */
	__u8 pad[2];
};

/* The slots a walk fills, as one type: a global function takes its size from it. */
struct unwind_frames {
	__u64 slot[UNWIND_MAX_DEPTH];
};

static __always_inline void unwind_count(__u32 stat, __u64 n)
{
	__u64 *cnt = bpf_map_lookup_elem(&unwind_stats, &stat);

	if (cnt)
		*cnt += n;
}

/*
 * 1 when a <= b, computed without a branch: both are user addresses or
 * row offsets (below 2^63). A search whose halving steps do not branch
 * leaves the verifier one path per step instead of two.
 */
static __always_inline __u64 unwind_le(__u64 a, __u64 b)
{
	return 1 - ((b - a) >> 63);
}

/*
 * The two searches are global functions: the verifier checks each once, on
 * its own, and a caller sees only a number coming back. Inlined, their
 * loops would be followed again in every state the walk can be in.
 * Another object linked to the one defining them (UNWIND_MAPS_EXTERN, or
 * UNWIND_FUNCS_EXTERN) calls the same definitions; UNWIND_FUNCS_DEFINE
 * defines them in an object whose maps are extern.
 */
#if defined(UNWIND_FUNCS_EXTERN) || (defined(UNWIND_MAPS_EXTERN) && !defined(UNWIND_FUNCS_DEFINE))
#define UNWIND_FUNCS_ELSEWHERE
extern int unwind_mapping_index(struct unwind_proc *proc, __u64 pc);
extern long unwind_row_key(__u32 first, __u32 row_cnt, __u64 rel_pc);
extern __u64 unwind_walk_global(__u64 ip, __u64 sp, __u64 bp, struct unwind_frames *frames,
				__u32 max_depth);
#else
/* The index in proc->mappings of the mapping holding pc, or -1. */
__noinline int unwind_mapping_index(struct unwind_proc *proc, __u64 pc)
{
	__u64 lo = 0, hi, mid, le, idx;
	__u32 i;

	if (!proc)
		return -1;
	hi = proc->mapping_cnt;
	if (hi > UNWIND_MAX_MAPPINGS)
		hi = UNWIND_MAX_MAPPINGS;
	/* lo: the number of mappings known to start at or below pc */
	for (i = 0; i < UNWIND_MAPPING_SEARCH_STEPS; i++) {
		if (lo >= hi)
			break;
		mid = lo + (hi - lo) / 2;
		le = unwind_le(proc->mappings[mid & (UNWIND_MAX_MAPPINGS - 1)].start, pc);
		lo += le * (mid + 1 - lo);
		hi = mid + le * (hi - mid);
	}
	if (lo < hi || !lo || lo > UNWIND_MAX_MAPPINGS)
		return -1;
	idx = lo - 1;
	/* keep the mask: the compiler knows idx < 256, the verifier must be told */
	barrier_var(idx);
	if (pc >= proc->mappings[idx & (UNWIND_MAX_MAPPINGS - 1)].end)
		return -1;
	return (int)idx;
}

/*
 * The unwind_rows key of the last row at or below rel_pc among the
 * row_cnt rows from first: -UNWIND_STOP_NO_RULE before the first row,
 * -UNWIND_STOP_SEARCH when the search did not end (a bad table).
 */
__noinline long unwind_row_key(__u32 first, __u32 row_cnt, __u64 rel_pc)
{
	__u64 lo = 0, hi = row_cnt, mid, le;
	struct unwind_row *row;
	__u32 key, i;

	for (i = 0; i < UNWIND_ROW_SEARCH_STEPS; i++) {
		if (lo >= hi)
			break;
		mid = lo + (hi - lo) / 2;
		key = first + (__u32)mid;
		row = bpf_map_lookup_elem(&unwind_rows, &key);
		if (!row)
			return -UNWIND_STOP_SEARCH;
		le = unwind_le(row->pc, rel_pc);
		lo += le * (mid + 1 - lo);
		hi = mid + le * (hi - mid);
	}
	if (lo < hi)
		return -UNWIND_STOP_SEARCH;
	if (!lo)
		return -UNWIND_STOP_NO_RULE;
	return (long)first + lo - 1;
}
#endif

#ifndef UNWIND_FUNCS_ELSEWHERE
/* The mapping holding pc, or NULL. */
static __always_inline struct unwind_mapping *unwind_find_mapping(struct unwind_proc *proc,
								  __u64 pc)
{
	int i = unwind_mapping_index(proc, pc);

	if (i < 0 || i >= UNWIND_MAX_MAPPINGS)
		return NULL;
	return &proc->mappings[i & (UNWIND_MAX_MAPPINGS - 1)];
}

/* The row of rel_pc in obj, NULL with *stop set when there is none. */
static __always_inline struct unwind_row *unwind_find_row(const struct unwind_object *obj,
							  __u64 rel_pc, __u32 *stop)
{
	long key = unwind_row_key(obj->first_row, obj->row_cnt, rel_pc);
	__u32 k;

	if (key < 0) {
		*stop = key == -UNWIND_STOP_NO_RULE ? UNWIND_STOP_NO_RULE : UNWIND_STOP_SEARCH;
		return NULL;
	}
	k = (__u32)key;
	return bpf_map_lookup_elem(&unwind_rows, &k);
}

/* One step through %rbp: [rbp] = caller's %rbp, [rbp + 8] = return address. */
static __always_inline long unwind_fp_step(struct unwind_walk_ctx *c)
{
	__u64 f[2];

	unwind_count(UNWIND_STAT_FRAMES_FP, 1);
	if (!c->bp_known || !c->bp) {
		c->stop = c->bp_known ? UNWIND_STOP_FP_END : UNWIND_STOP_RBP_LOST;
		return 1;
	}
	if ((c->bp & 7) || c->bp < c->sp) {
		c->stop = UNWIND_STOP_BAD_FRAME;
		return 1;
	}
	if (bpf_probe_read_user(f, sizeof(f), (void *)c->bp)) {
		c->stop = UNWIND_STOP_READ;
		return 1;
	}
	if (!f[1]) {
		c->stop = UNWIND_STOP_FP_END;
		return 1;
	}
	c->sp = c->bp + 16;
	c->bp = f[0];
	c->ip = f[1];
	return 0;
}

/* The CFA of a row, 0 with c->stop set when the row gives none. */
static __always_inline __u64 unwind_cfa(struct unwind_walk_ctx *c, const struct unwind_row *row)
{
	__s64 off = row->flags & UNWIND_ROW_CFA_X8 ? (__s64)row->cfa_off * 8 : row->cfa_off;

	switch (row->flags & UNWIND_ROW_KIND_MASK) {
	case UNWIND_CFA_RSP:
		return c->sp + off;
	case UNWIND_CFA_RBP:
		if (c->bp_known)
			return c->bp + off;
		c->stop = UNWIND_STOP_RBP_LOST;
		return 0;
	case UNWIND_CFA_PLT:
		return c->sp + off + ((c->ip & 15) >= (__u64)row->rbp_off ? 8 : 0);
	case UNWIND_CFA_END:
		c->stop = UNWIND_STOP_END;
		return 0;
	case UNWIND_CFA_NONE:
		c->stop = UNWIND_STOP_NO_RULE;
		return 0;
	}
	c->stop = UNWIND_STOP_UNSUPPORTED;
	return 0;
}

/* One step through a table row: the caller's pc, %rsp and, when saved, %rbp. */
static __always_inline long unwind_row_step(struct unwind_walk_ctx *c, const struct unwind_row *row)
{
	__u64 cfa = unwind_cfa(c, row), pair[2], ra;
	__s64 rbp_off = (__s64)row->rbp_off * 8;
	bool rbp_saved = row->flags & UNWIND_ROW_RBP_SAVED;

	unwind_count(UNWIND_STAT_FRAMES_TABLE, 1);
	if (!cfa)
		return 1;
	if (cfa <= c->sp) {
		c->stop = UNWIND_STOP_BAD_FRAME;
		return 1;
	}
	if (rbp_saved && rbp_off == -16) {
		/* push %rbp right after the call: [CFA-16] = %rbp, [CFA-8] = return address */
		if (bpf_probe_read_user(pair, sizeof(pair), (void *)(cfa - 16)))
			goto unreadable;
		c->bp = pair[0];
		ra = pair[1];
	} else {
		if (bpf_probe_read_user(&ra, sizeof(ra), (void *)(cfa - 8)))
			goto unreadable;
		if (rbp_saved && bpf_probe_read_user(&c->bp, sizeof(c->bp), (void *)(cfa + rbp_off)))
			goto unreadable;
	}
	if (rbp_saved)
		c->bp_known = 1;
	else if (row->flags & UNWIND_ROW_RBP_LOST)
		c->bp_known = 0;
	if (!ra) {
		c->stop = UNWIND_STOP_END;
		return 1;
	}
	c->ip = ra;
	c->sp = cfa;
	return 0;
unreadable:
	c->stop = UNWIND_STOP_READ;
	return 1;
}

/* bpf_loop callback: record the current frame, then step to its caller. */
static long unwind_step(__u64 index, void *data)
{
	struct unwind_walk_ctx *c = data;
	const struct unwind_object *obj;
	struct unwind_mapping *m;
	struct unwind_row *row;
	__u64 pc, rel;
	__u32 id;

	/*
	 * Step index records frame index: every step records one frame or
	 * ends the loop. Indexing by the loop's own index (not by a count kept
	 * in *c) keeps the verifier from following each depth on its own.
	 */
	if (index >= c->max || index >= UNWIND_MAX_DEPTH) {
		c->stop = UNWIND_STOP_DEPTH;
		return 1;
	}
	c->frames[index & (UNWIND_MAX_DEPTH - 1)] = c->ip;
	c->n = (__u32)index + 1;
	pc = index ? c->ip - 1 : c->ip;
	/* Callers are often in the mapping of the frame before: try it first. */
	if (pc < c->map_start || pc >= c->map_end) {
		if (!c->proc)
			return unwind_fp_step(c);
		m = unwind_find_mapping(c->proc, pc);
		if (!m) {
			/*
			 * Code the list does not know (mapped since it was read, or a
			 * garbage return address): stepping through it by frame
			 * pointers could skip callers unseen, so the walk ends here,
			 * cut short, and the list is read again.
			 */
			c->unknown_pc = 1;
			c->stop = UNWIND_STOP_NO_RULE;
			return 1;
		}
		c->map_start = m->start;
		c->map_end = m->end;
		c->map_row_base = m->row_base;
		c->map_obj_id = m->obj_id;
	}
	id = c->map_obj_id;
	obj = id ? bpf_map_lookup_elem(&unwind_objects, &id) : NULL;
	if (!obj || !obj->row_cnt)
		return unwind_fp_step(c);
	rel = pc - c->map_row_base;
	if (pc < c->map_row_base || rel > 0xffffffffULL) {
		c->stop = UNWIND_STOP_NO_RULE;
		return 1;
	}
	row = unwind_find_row(obj, rel, &c->stop);
	if (!row)
		return 1;
	return unwind_row_step(c, row);
}


/*
 * The walk as a global function: the verifier checks it once per program,
 * on its own, instead of once in every state a program reaches it in.
 * Returns the number of frames | the stop reason << 32.
 */
__noinline __u64 unwind_walk_global(__u64 ip, __u64 sp, __u64 bp, struct unwind_frames *frames,
				    __u32 max_depth)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct unwind_walk_ctx c = {
		.ip = ip,
		.sp = sp,
		.bp = bp,
		.bp_known = 1,
		.stop = UNWIND_STOP_DEPTH,
	};
	__u8 one = 1;

	if (!frames)
		return 1 | ((__u64)UNWIND_STOP_READ << 32);
	c.frames = frames->slot;
	c.max = max_depth < UNWIND_MAX_DEPTH ? max_depth : UNWIND_MAX_DEPTH;
	if (!c.max)
		c.max = 1;
	c.proc = bpf_map_lookup_elem(&unwind_procs, &tgid);
	bpf_loop(UNWIND_MAX_DEPTH + 1, unwind_step, &c, 0);
	unwind_count(c.stop, 1);
	if (c.unknown_pc && !bpf_map_lookup_elem(&unwind_stale, &tgid))
		bpf_map_update_elem(&unwind_stale, &tgid, &one, BPF_ANY);
	return (c.n ? c.n : 1) | ((__u64)c.stop << 32);
}
#endif /* UNWIND_FUNCS_ELSEWHERE */

/*
 * Walk the user stack of the current process from the registers ip, sp and
 * bp into frames[] (UNWIND_MAX_DEPTH slots, in a map value), innermost
 * first, at most max_depth frames. Returns the number of frames, at least
 * 1; *stop says why the walk ended (enum unwind_stop) and is counted in
 * unwind_stats. A pc in none of the process's mappings ends the walk
 * (UNWIND_STOP_NO_RULE) and marks the process in unwind_stale.
 */
static __always_inline __u32 unwind_walk_from(__u64 ip, __u64 sp, __u64 bp, __u64 *frames,
					      __u32 max_depth, __u32 *stop)
{
	__u64 r = unwind_walk_global(ip, sp, bp, (struct unwind_frames *)frames, max_depth);

	*stop = (__u32)(r >> 32);
	return (__u32)r;
}

/* unwind_walk_from with the registers of regs (a uprobe's or uretprobe's). */
static __always_inline __u32 unwind_walk(struct pt_regs *regs, __u64 *frames, __u32 max_depth,
					 __u32 *stop)
{
	return unwind_walk_from(PT_REGS_IP(regs), PT_REGS_SP(regs), PT_REGS_FP(regs), frames,
				max_depth, stop);
}

#endif /* MV_UNWIND_BPF_H */
