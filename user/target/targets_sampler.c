// SPDX-License-Identifier: GPL-2.0
/*
 * The sampler path of a traced process: when it preloads
 * libmemvigil-sampler.so, its heap is seen through the library's two probe
 * functions instead of the allocator's uprobes. Attach: probes, then the
 * session's generation on the BPF side, then the library's mode. Detach:
 * the library dormant first, then the probes go.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "lib/log.h"
#include "memvigil/events.h"
#include "target/targets_state.h"

/* The entry points the library interposes, as enum mv_alloc_kind bits. */
static uint32_t sampler_kinds(void)
{
	uint32_t k, kinds = 0;

	for (k = MV_KIND_MALLOC; k <= MV_KIND_OPERATOR_DELETE_ARRAY; k++)
		kinds |= 1u << k;
	return kinds;
}

int targets__find_sampler(struct targets *t, struct target *tg, struct sampler_site *site,
			  char *err, size_t err_len)
{
	int ret;

	(void)t;
	site->object.fd = -1;
	ret = sampler_ctl__open(&tg->sampler, tg->pid);
	if (!ret)
		ret = sampler_site__find(tg->pid, &tg->sampler, site, err, err_len);
	else
		snprintf(err, err_len, "cannot open the memory of PID %d: %s", tg->pid,
			 strerror(-ret));
	if (!ret)
		return 0;
	sampler_ctl__close(&tg->sampler);
	sampler_site__release(site);
	if (ret != -ENOENT)
		return ret;
	if (err[0])
		return -EIO;	/* it could not be read: not "not mapped" */
	snprintf(err, err_len, "%s is not loaded in PID %d", MV_SAMPLER_LIB_NAME, tg->pid);
	return -ENOENT;
}

bool targets__choose_sampler(struct targets *t, struct target *tg, struct sampler_site *site,
			     int *ret, char *err, size_t err_len)
{
	*ret = 0;
	site->object.fd = -1;
	if (t->allocator && tg->pid != t->sampler_pid)
		return false;	/* --allocator names what to probe */
	*ret = targets__find_sampler(t, tg, site, err, err_len);
	if (!*ret)
		return true;
	if (tg->pid == t->sampler_pid) {
		/* --preload asked for the sampler: anything else is an error */
		snprintf(err + strlen(err), err_len - strlen(err), "; --preload traces only "
			 "through the sampler");
		return false;
	}
	if (*ret == -EPROTO)
		log_warn("PID %d: %s; using the allocator's uprobes", tg->pid, err);
	else if (*ret != -ENOENT)
		log_info("PID %d: %s; using the allocator's uprobes", tg->pid, err);
	*ret = 0;
	return false;
}

void targets__require_sampler(struct targets *t, pid_t pid)
{
	t->sampler_pid = pid;
}

/* The session's mode and the words -v says it with. */
static uint32_t session_mode(const struct targets *t, char *words, size_t len)
{
	if (!t->model->sample_period) {
		snprintf(words, len, "exact");
		return MV_SAMPLER_EXACT;
	}
	snprintf(words, len, "sampled every %llu bytes on average",
		 (unsigned long long)t->model->sample_period);
	return MV_SAMPLER_SAMPLED;
}

/* tg's image in the model, the sampler named as its allocator library. */
static int record_path(struct targets *t, struct target *tg, const char *lib)
{
	char comm[16], exe[PATH_MAX];
	struct proc *p;

	targets__read_image(tg->pid, comm, sizeof(comm), exe, sizeof(exe));
	p = model__proc(t->model, tg->pid);
	if (!p || model__set_image(p, comm, exe[0] ? exe : NULL, lib, sampler_kinds()))
		return -ENOMEM;
	p->via_sampler = true;
	return 0;
}

int targets__attach_sampler(struct targets *t, struct target *tg, const struct sampler_site *site,
			    char *err, size_t err_len)
{
	uint64_t generation = sampler_ctl__next_generation(site->ctl.generation);
	uint32_t mode;
	char words[64];
	int ret;

	struct stat st;
	bool kept;

	mode = session_mode(t, words, sizeof(words));
	if (fstat(site->object.fd, &st))
		memset(&st, 0, sizeof(st));
	kept = tg->sampler_ino && tg->sampler_ino == st.st_ino && tg->sampler_dev == st.st_dev;
	if (!kept) {
		/* another library, or none: the process's heap probes go first */
		probes__detach_heap(t->pr, tg->pid);
		if (tg->has_heap)	/* its old links must not fire beside the new ones */
			probes__wait_detached(t->pr);
		tg->has_heap = false;
		ret = probes__attach_sampler(t->pr, tg->pid, site->object.open_path,
					     site->alloc_offset, site->free_offset, err, err_len);
		if (ret)
			return ret;
	}
	tg->sampler_dev = st.st_dev;
	tg->sampler_ino = st.st_ino;
	/* The BPF side knows the session before any probe call can carry it. */
	ret = probes__set_sampler_generation(t->pr, tg->pid, generation);
	if (!ret)
		ret = sampler_ctl__attach(&tg->sampler, mode, t->model->sample_period, generation,
					  TARGETS_SAMPLER_LEASE_NS);
	if (ret) {
		snprintf(err, err_len, "cannot start a session in the sampler of PID %d: %s",
			 tg->pid, strerror(-ret));
		goto fail;
	}
	ret = record_path(t, tg, site->object.path);
	if (ret) {
		snprintf(err, err_len, "out of memory");
		goto fail;
	}
	tg->on_sampler = true;
	tg->has_heap = true;
	memset(tg->lib_dev, 0, sizeof(tg->lib_dev));
	memset(tg->lib_ino, 0, sizeof(tg->lib_ino));
	log_info("PID %d: heap through %s (generation %llu, %s), not the allocator's uprobes",
		 tg->pid, site->object.path, (unsigned long long)tg->sampler.generation, words);
	if (!(site->ctl.flags & MV_SAMPLER_F_FORK_GUARD))
		log_warn("PID %d: its %s repairs only children made by fork(): a child it makes "
			 "by _Fork() or a raw clone/fork system call while traced dies of SIGSEGV "
			 "where the kernel optimizes uprobes on nops (6.18); preload the current "
			 "library", tg->pid, MV_SAMPLER_LIB_NAME);
	return 0;
fail:
	sampler_ctl__detach(&tg->sampler);
	probes__detach_heap(t->pr, tg->pid);
	tg->sampler_dev = tg->sampler_ino = 0;
	probes__set_sampler_generation(t->pr, tg->pid, 0);
	sampler_ctl__close(&tg->sampler);
	return ret;
}

void targets__end_sampler(struct targets *t, struct target *tg)
{
	int ret;

	(void)t;
	if (!tg->on_sampler)
		return;
	ret = sampler_ctl__detach(&tg->sampler);
	if (ret && ret != -ESRCH && ret != -EIO)
		log_debug("PID %d: cannot set its sampler dormant: %s", tg->pid, strerror(-ret));
	sampler_ctl__close(&tg->sampler);
	tg->on_sampler = false;
}

void targets__renew_leases(struct targets *t, uint64_t now_ns)
{
	size_t i;

	for (i = 0; i < t->cnt; i++) {
		struct target *tg = &t->items[i];

		if (!tg->on_sampler || tg->state != TARGET_ATTACHED ||
		    tg->sampler.lease_end_ns - tg->sampler.clock_offset_ns >
		    now_ns + TARGETS_SAMPLER_RENEW_NS)
			continue;
		if (sampler_ctl__renew(&tg->sampler, TARGETS_SAMPLER_LEASE_NS))
			log_debug("PID %d: cannot renew its sampler's lease", tg->pid);
	}
}

void targets__end_samplers(struct targets *t)
{
	size_t i;

	for (i = 0; t && i < t->cnt; i++)
		targets__end_sampler(t, &t->items[i]);
}
