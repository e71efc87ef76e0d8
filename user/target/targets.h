/* SPDX-License-Identifier: GPL-2.0 */
/*
 * targets: the set of processes memvigil traces and the state of each
 * (attached, exited, detached). Attaching a process finds its allocator,
 * captures its mappings for the symbolizer, registers it with the BPF side
 * and attaches its heap probes (per process, PID-filtered); detaching
 * undoes that. Every process ever traced stays in the set, so reports can
 * show processes that exited or left.
 */
#ifndef MV_TARGETS_H
#define MV_TARGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "model/model.h"
#include "probes/probes.h"
#include "sites/sampler_ctl.h"
#include "symbolize/symbolizer.h"

enum target_state {
	TARGET_ATTACHED,	/* heap probes live */
	TARGET_FAILED,		/* could not be attached (reason logged) */
	TARGET_EXITED,		/* exited while traced; probes gone */
	TARGET_DETACHED,	/* left the traced cgroup, still running; probes gone */
};

struct target {
	pid_t pid;		/* as the host sees it */
	pid_t ns_pid;		/* in its own PID namespace, 0 if the same */
	pid_t parent_pid;	/* traced process it was forked from, 0 if none */
	enum target_state state;
	bool has_heap;		/* heap probes are attached */
	uint64_t lib_dev[2], lib_ino[2];	/* allocator and C++ runtime probed, 0 if none */
	uint64_t seen_ns;	/* CLOCK_MONOTONIC when memvigil learnt of it */
	uint64_t tried_ns;	/* last attach attempt */
	uint32_t attach_tries;	/* attach attempts so far */
	uint64_t attached_ns;	/* when its probes went live, 0 if never */
	uint64_t exec_ns;	/* its last exec */
	uint64_t exec_try_ns;	/* last look at the new image's allocator */
	bool exec_pending;	/* allocator of the new image not resolved yet */
	bool exec_held;		/* its last exec was held: its entry point is sure to be seen */
	bool entry_watched;	/* a uprobe waits at its new image's entry point */
	uint64_t start_ticks;	/* its start time (/proc/PID/stat), 0 if unknown */
	bool retired;		/* a later process reuses its PID (targets__retire) */
	bool gone;		/* known to have exited (its model process marked so) */
	bool on_sampler;	/* heap seen through libmemvigil-sampler.so's probes */
	struct sampler_ctl sampler;	/* its control object while on_sampler */
	uint64_t sampler_dev, sampler_ino;	/* library whose probes are attached, 0 if none */
};

struct targets;

/* A set using pr, m and sym (not owned). at_entry: see allocator__resolve. */
struct targets *targets__new(struct probes *pr, struct model *m, struct symbolizer *sym,
			     bool at_entry);
/* Frees the set; the probes themselves are detached by probes__free. */
void targets__free(struct targets *t);

/*
 * Trace pid: registered with the BPF side first (so its fork, exec and exit
 * are seen), then its allocator resolved and its heap probes attached; a
 * process held at an exec (probes__held) gets them from targets__exec and
 * targets__entry instead.
 * parent_pid is the traced process it was forked from (0 if none), cgroup
 * the traced cgroup it is in (NULL if none), seen_ns when it was noticed.
 * On failure the process stays in the set as TARGET_FAILED, nothing of it
 * stays attached, and a negative errno is returned with a reason in err
 * (-ESRCH: it exited first).
 */
int targets__attach(struct targets *t, pid_t pid, pid_t parent_pid, const char *cgroup,
		    uint64_t seen_ns, char *err, size_t err_len);

/*
 * pid replaced its image (flags: MV_PROC_* of the record): its mappings are
 * captured again (if it is already gone, img, the code mapping the kernel
 * reported at the exec, stands in). A dynamically linked image is watched
 * at its entry point, where targets__entry attaches its allocator; a static
 * one is attached at once. A held process is released before this returns.
 * Returns 0 or a negative errno with a reason in err.
 */
int targets__exec(struct targets *t, pid_t pid, const struct mv_exec_image *img, uint32_t flags,
		  char *err, size_t err_len);

/*
 * pid reached the entry point of the image it exec'd (flags: MV_PROC_* of
 * the record): its mappings are captured again, now with its libraries, its
 * allocator resolved and the probes re-attached if the new image uses
 * another library (a failure is warned of), then a held process released.
 */
void targets__entry(struct targets *t, pid_t pid, uint32_t flags);

/*
 * For execs whose entry point may pass unseen (not held, or not watched):
 * resolve the allocator 20 ms after the exec, then every 200 ms while none
 * is mapped; gives up with a warning 2 s after it. A held exec whose entry
 * point is not reported 2 s after it (its record lost) is resolved then.
 */
void targets__recheck(struct targets *t, uint64_t now_ns);

/* pid exited (status as from wait(2)): its probes are detached. */
void targets__exited(struct targets *t, pid_t pid, int status);

/* pid left the traced cgroup: its probes are detached, its report kept. */
void targets__detach(struct targets *t, pid_t pid);

/*
 * pid (a command launched with --preload) is traced through the sampler or
 * not at all: targets__attach fails for it when the sampler is missing or
 * unusable. 0: no such process (images it execs later are free to choose).
 */
void targets__require_sampler(struct targets *t, pid_t pid);
/*
 * Renew the lease of every process on the sampler path whose lease ends
 * within TARGETS_SAMPLER_RENEW_NS of now_ns (CLOCK_MONOTONIC).
 */
void targets__renew_leases(struct targets *t, uint64_t now_ns);
/*
 * Put every process on the sampler path back to dormant: before the probes
 * go (the end of a session, an error, Ctrl-C).
 */
void targets__end_samplers(struct targets *t);
/*
 * Mark attached processes that no longer exist as exited (a lost exit
 * event), and those that could not be attached once they are gone.
 */
void targets__reap_gone(struct targets *t);

/*
 * Delay from fork to probes live of the forked children attached: their
 * count, the largest and the median, in ns (0 when none).
 */
void targets__fork_delays(const struct targets *t, size_t *cnt, uint64_t *max_ns,
			  uint64_t *median_ns);

/*
 * Whether pid now names another process than the target known by that PID:
 * the target exited, or it had left the cgroup or failed to attach and the
 * process now holding pid started at another time (a PID reused; start
 * times are in clock ticks, so one reused within the same tick goes
 * unnoticed). An attached target is taken to be the process itself, and so
 * is an exited one still exiting with its start time (between its exit
 * record and its removal from its cgroup).
 */
bool targets__pid_reused(const struct targets *t, pid_t pid);

/*
 * The rule behind targets__pid_reused: whether the process now holding tg's
 * PID, started at start_ticks (0: unknown), is another process than tg. Pure.
 */
bool targets__reused_by(const struct target *tg, uint64_t start_ticks);

/*
 * A new process reuses pid: the target known by pid is retired with its
 * report and symbols (moved to a key of its own, see model__retire), so
 * that targets__attach adds the new process as a new target. Returns the
 * retired process's key, or 0 when there was nothing to move.
 */
pid_t targets__retire(struct targets *t, pid_t pid);

/* The target pid (the latest process with that PID, never a retired one), or NULL. */
struct target *targets__find(const struct targets *t, pid_t pid);
/* Number of targets ever added, and the i-th of them. */
size_t targets__cnt(const struct targets *t);
const struct target *targets__at(const struct targets *t, size_t i);
/* Targets currently in state. */
size_t targets__count_state(const struct targets *t, enum target_state state);


/* Probe the object --allocator names (NULL: detect it); not copied. */
void targets__set_allocator(struct targets *t, const char *allocator);

/* Attach no heap probes to processes attached from now on: kernel signals only. */
void targets__set_kernel_only(struct targets *t, bool kernel_only);

/* How many files of traced processes were refused (mapped_file.h), each counted once. */
size_t targets__files_skipped(const struct targets *t);

#endif
