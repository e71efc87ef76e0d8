// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/clock.h"
#include "lib/grow.h"
#include "lib/log.h"
#include "target/cgroup_watch.h"

/* How often the cgroup is scanned for processes that entered or left it. */
#define SCAN_NS (200ull * 1000000)
/*
 * A process found in the middle of an exec has no allocator mapped yet:
 * scans try it again, up to this many times, a second apart.
 */
#define ATTACH_TRIES 3
#define RETRY_NS (1000ull * 1000000)

int cgroup_watch__open(struct cgroup_watch *w, const char *path, char *err, size_t err_len)
{
	w->given = path;
	return cgroup__open(path, &w->cg, err, err_len);
}

void cgroup_watch__release(struct cgroup_watch *w)
{
	free(w->seen);
	w->seen = NULL;
	w->seen_cnt = w->seen_cap = 0;
}

static void remember_seen(struct cgroup_watch *w, pid_t pid)
{
	pid_t *grown;

	grown = grow__array(w->seen, &w->seen_cap, w->seen_cnt + 1, sizeof(*grown), 64);
	if (!grown)
		return;	/* then a process may look absent: checked before detaching */
	w->seen = grown;
	w->seen[w->seen_cnt++] = pid;
}

/* Whether a scan should (re)attach the known process tg. */
static bool attach_again(const struct target *tg, uint64_t now_ns)
{
	if (tg->state == TARGET_DETACHED)
		return true;	/* it came back */
	return tg->state == TARGET_FAILED && tg->attach_tries < ATTACH_TRIES &&
	       now_ns - tg->tried_ns >= RETRY_NS;
}

/* An attached process seen in cgroup rel: it is reported where it is now. */
static void note_cgroup(struct cgroup_watch *w, pid_t pid, const char *rel)
{
	struct proc *p = model__find(w->model, pid);

	if (!p || (p->cgroup && !strcmp(p->cgroup, rel)))
		return;
	log_info("PID %d moved from cgroup %s to %s", pid, p->cgroup ? p->cgroup : "?", rel);
	if (model__set_cgroup(p, rel))
		log_warn("out of memory for the cgroup of PID %d", pid);
}

/* A process found in the traced cgroup: attach it unless it is known. */
static void on_cgroup_proc(void *ctx, pid_t pid, const char *rel)
{
	struct cgroup_watch *w = ctx;
	const struct target *tg = targets__find(w->targets, pid);
	bool came_back = tg && tg->state == TARGET_DETACHED;
	uint64_t now = clock__mono_ns();
	int ret;

	remember_seen(w, pid);
	if (pid == getpid())
		return;
	if (tg && targets__pid_reused(w->targets, pid)) {
		w->retire(w->ctx, pid);
		tg = NULL;
		came_back = false;
	}
	if (tg && tg->state == TARGET_ATTACHED)
		note_cgroup(w, pid, rel);
	if (tg && !attach_again(tg, now))
		return;
	ret = targets__attach(w->targets, pid, 0, rel, now, w->err, sizeof(w->err));
	tg = targets__find(w->targets, pid);
	if (ret && ret != -ESRCH && tg && tg->attach_tries >= ATTACH_TRIES)
		log_warn("PID %d in cgroup %s is not traced: %s", pid, rel, w->err);
	else if (ret && ret != -ESRCH)
		log_info("PID %d in cgroup %s: %s; trying again", pid, rel, w->err);
	else if (!ret && came_back)
		log_info("PID %d came back into cgroup %s: attached again", pid, rel);
}

static bool seen_in_scan(const struct cgroup_watch *w, pid_t pid)
{
	size_t i;

	for (i = 0; i < w->seen_cnt; i++)
		if (w->seen[i] == pid)
			return true;
	return false;
}

/* Detach attached processes that are no longer in the traced cgroup. */
static void detach_leavers(struct cgroup_watch *w)
{
	char rel[PATH_MAX];
	size_t i;

	for (i = 0; i < targets__cnt(w->targets); i++) {
		const struct target *tg = targets__at(w->targets, i);

		if (tg->state != TARGET_ATTACHED || seen_in_scan(w, tg->pid) ||
		    cgroup__holds(&w->cg, tg->pid, rel, sizeof(rel)) ||
		    (kill(tg->pid, 0) && errno == ESRCH))
			continue;
		log_info("PID %d left cgroup %s: detached", tg->pid, w->cg.path);
		targets__detach(w->targets, tg->pid);
	}
}

/*
 * Attach the processes that entered the cgroup since the last scan, detach
 * those that left. Returns 0, or -ENOENT once the cgroup is gone.
 */
static int scan_cgroup(struct cgroup_watch *w)
{
	int ret;

	w->last_scan_ns = clock__mono_ns();
	w->seen_cnt = 0;
	/*
	 * Exits first: a process that exited before its PID was reused is then
	 * known to be gone when the scan finds the PID again.
	 */
	probes__drain(w->probes);
	ret = cgroup__scan(&w->cg, on_cgroup_proc, w);
	if (ret)
		return ret;
	detach_leavers(w);
	return 0;
}

int cgroup_watch__start(struct cgroup_watch *w, char *err, size_t err_len)
{
	uint64_t t0 = clock__mono_ns();
	size_t n;
	int ret;

	ret = scan_cgroup(w);
	if (ret) {
		snprintf(err, err_len, "cgroup %s was removed before tracing began", w->given);
		return ret;
	}
	n = targets__count_state(w->targets, TARGET_ATTACHED);
	log_info("cgroup %s: %zu processes attached in %.1f ms (first scan to last attach)",
		 w->cg.path, n, (clock__mono_ns() - t0) / 1e6);
	if (!targets__cnt(w->targets))
		log_warn("cgroup %s has no processes yet; waiting for some to enter it "
			 "(Ctrl-C or -d ends tracing)", w->given);
	return 0;
}

int cgroup_watch__poll(struct cgroup_watch *w, uint64_t now_ns)
{
	if (now_ns - w->last_scan_ns < SCAN_NS)
		return 0;
	return scan_cgroup(w) == -ENOENT ? -ENOENT : 0;
}
