// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/grow.h"
#include "model/model.h"
#include "model/sampling.h"

struct model *model__new(uint64_t t0_ns)
{
	struct model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->t0_ns = t0_ns;
	m->page_bytes = 4096;
	m->stacks = stacks__new();
	if (!m->stacks) {
		free(m);
		return NULL;
	}
	return m;
}

static void proc_free(struct proc *p)
{
	if (!p)
		return;
	liveset__free(p->live);
	proc_kernel__release(&p->kernel);
	free(p->exe);
	free(p->alloc_lib);
	free(p->cgroup);
	free(p->sites);
	free(p->site_index);
	free(p);
}

void model__free(struct model *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->proc_cnt; i++)
		proc_free(m->procs[i]);
	free(m->procs);
	free(m->ooms);
	stacks__free(m->stacks);
	free(m);
}

void model__set_sampling(struct model *m, uint64_t period_bytes)
{
	m->sample_period = period_bytes;
}

struct proc *model__find(const struct model *m, pid_t key)
{
	size_t i;

	for (i = 0; i < m->proc_cnt; i++)
		if (m->procs[i]->key == key)
			return m->procs[i];
	return NULL;
}

pid_t model__retire(struct model *m, pid_t pid)
{
	struct proc *p = pid > 0 ? model__find(m, pid) : NULL;

	if (!p)
		return 0;
	p->key = -++m->retired_cnt;
	return p->key;
}

struct proc *model__proc(struct model *m, pid_t pid)
{
	struct proc *p = model__find(m, pid), **procs;

	if (p)
		return p;
	procs = grow__array(m->procs, &m->procs_cap, m->proc_cnt + 1, sizeof(*procs), 4);
	if (!procs)
		return NULL;
	m->procs = procs;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	p->key = pid;
	proc_kernel__init(&p->kernel);
	p->sample_period = m->sample_period;
	p->live = liveset__new();
	if (!p->live) {
		free(p);
		return NULL;
	}
	m->procs[m->proc_cnt++] = p;
	return p;
}

static int set_string(char **dst, const char *src)
{
	char *copy = NULL;

	if (src) {
		copy = strdup(src);
		if (!copy)
			return -ENOMEM;
	}
	free(*dst);
	*dst = copy;
	return 0;
}

int model__set_image(struct proc *p, const char *comm, const char *exe,
		     const char *alloc_lib, uint32_t alloc_kinds)
{
	if (comm)
		snprintf(p->comm, sizeof(p->comm), "%s", comm);
	p->alloc_kinds = alloc_kinds;
	if (set_string(&p->exe, exe) || set_string(&p->alloc_lib, alloc_lib))
		return -ENOMEM;
	return 0;
}

int model__set_origin(struct proc *p, pid_t ns_pid, pid_t parent_pid, const char *cgroup)
{
	p->ns_pid = ns_pid;
	p->parent_pid = parent_pid;
	return set_string(&p->cgroup, cgroup);
}

int model__set_cgroup(struct proc *p, const char *cgroup)
{
	return set_string(&p->cgroup, cgroup);
}

uint32_t model__ms(const struct model *m, uint64_t ts_ns)
{
	if (ts_ns <= m->t0_ns)
		return 0;
	return (uint32_t)((ts_ns - m->t0_ns) / 1000000);
}

static uint32_t site_slot(uint32_t stack_id, uint32_t kind, uint32_t cap)
{
	uint64_t key = ((uint64_t)stack_id << 8) | kind;

	return (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 40) & (cap - 1);
}

static int site_index_grow(struct proc *p)
{
	uint32_t cap = p->site_index_cap ? p->site_index_cap * 2 : 64, i, j;
	uint32_t *index = calloc(cap, sizeof(*index));

	if (!index)
		return -ENOMEM;
	for (i = 0; i < p->site_cnt; i++) {
		j = site_slot(p->sites[i].stack_id, p->sites[i].kind, cap);
		while (index[j])
			j = (j + 1) & (cap - 1);
		index[j] = i + 1;
	}
	free(p->site_index);
	p->site_index = index;
	p->site_index_cap = cap;
	return 0;
}

/* Index of the site (stack_id, kind) in p, created if new; negative errno. */
static int64_t site_get(struct proc *p, uint32_t stack_id, uint32_t kind)
{
	uint32_t i;
	struct site *s;

	if ((p->site_cnt + 1) * 2 > p->site_index_cap && site_index_grow(p))
		return -ENOMEM;
	for (i = site_slot(stack_id, kind, p->site_index_cap); p->site_index[i];
	     i = (i + 1) & (p->site_index_cap - 1)) {
		s = &p->sites[p->site_index[i] - 1];
		if (s->stack_id == stack_id && s->kind == kind)
			return p->site_index[i] - 1;
	}
	s = grow__array(p->sites, &p->sites_cap, p->site_cnt + 1, sizeof(*s), 64);
	if (!s)
		return -ENOMEM;
	p->sites = s;
	s = &p->sites[p->site_cnt];
	memset(s, 0, sizeof(*s));
	s->stack_id = stack_id;
	s->kind = kind;
	p->site_index[i] = p->site_cnt + 1;
	return p->site_cnt++;
}

static double minus(double a, double b)
{
	return a > b ? a - b : 0;	/* sums of the same weights: never below 0 but for rounding */
}

/* Returns the weight of the block forgotten. */
static struct sample_weight forget_block(struct proc *p, const struct live_alloc *a)
{
	struct sample_weight w = sampling__weight(a->size, p->sample_period);
	struct site *s = &p->sites[a->site];
	struct heap_totals *h = &p->heap;

	s->outstanding_allocs--;
	s->outstanding_bytes -= a->size;
	h->outstanding_allocs--;
	h->outstanding_bytes -= a->size;
	h->est_outstanding_allocs = minus(h->est_outstanding_allocs, w.count);
	h->est_outstanding_bytes = minus(h->est_outstanding_bytes, w.bytes);
	h->est_outstanding_bytes_var = minus(h->est_outstanding_bytes_var, w.bytes_var);
	if (!h->outstanding_allocs)	/* no rounding residue once nothing is live */
		h->est_outstanding_allocs = h->est_outstanding_bytes =
			h->est_outstanding_bytes_var = 0;
	return w;
}

static void free_block(struct proc *p, uint64_t addr)
{
	struct sample_weight w;
	struct live_alloc a;

	if (!liveset__remove(p->live, addr, &a)) {
		p->heap.unmatched_frees++;
		return;
	}
	w = forget_block(p, &a);
	p->heap.total_frees++;
	p->heap.est_total_frees += w.count;
	p->interval_frees++;
	p->interval_est_frees += w.count;
}

static void count_block(struct proc *p, struct site *s, uint64_t size)
{
	struct sample_weight w = sampling__weight(size, p->sample_period);
	struct heap_totals *h = &p->heap;

	s->total_allocs++;
	s->total_bytes += size;
	s->outstanding_allocs++;
	s->outstanding_bytes += size;
	s->est_total_allocs += w.count;
	s->est_total_bytes += w.bytes;
	h->total_allocs++;
	h->total_bytes += size;
	h->outstanding_allocs++;
	h->outstanding_bytes += size;
	if (h->outstanding_bytes > h->peak_outstanding_bytes)
		h->peak_outstanding_bytes = h->outstanding_bytes;
	h->est_total_allocs += w.count;
	h->est_total_bytes += w.bytes;
	h->est_outstanding_allocs += w.count;
	h->est_outstanding_bytes += w.bytes;
	h->est_outstanding_bytes_var += w.bytes_var;
	if (h->est_outstanding_bytes > h->est_peak_outstanding_bytes)
		h->est_peak_outstanding_bytes = h->est_outstanding_bytes;
	p->interval_allocs++;
	p->interval_est_allocs += w.count;
}

int model__alloc(struct model *m, pid_t pid, uint64_t ts_ns, uint64_t addr,
		 uint64_t size, uint64_t old_addr, uint32_t kind,
		 const uint64_t *frames, uint32_t depth)
{
	struct proc *p = model__proc(m, pid);
	struct live_alloc a, replaced;
	int64_t stack_id, site;
	int ret;

	if (!p)
		return -ENOMEM;
	m->events++;
	if (old_addr)
		free_block(p, old_addr);
	stack_id = stacks__intern(m->stacks, frames, depth);
	if (stack_id < 0)
		return stack_id;
	site = site_get(p, stack_id, kind);
	if (site < 0)
		return site;
	a = (struct live_alloc){ .addr = addr, .size = size,
				 .t_ms = model__ms(m, ts_ns), .site = site };
	ret = liveset__insert(p->live, &a, &replaced);
	if (ret < 0)
		return ret;
	if (ret == 1)	/* addr reused: its free was not seen */
		forget_block(p, &replaced);
	count_block(p, &p->sites[site], size);
	return 0;
}

void model__free_block(struct model *m, pid_t pid, uint64_t addr)
{
	struct proc *p = model__proc(m, pid);

	m->events++;
	if (p)
		free_block(p, addr);
}

void model__exec(struct model *m, pid_t pid)
{
	struct proc *p = model__find(m, pid);

	m->events++;
	if (!p)
		return;
	liveset__clear(p->live);
	p->site_cnt = 0;
	if (p->site_index)
		memset(p->site_index, 0, p->site_index_cap * sizeof(*p->site_index));
	memset(&p->heap, 0, sizeof(p->heap));
	p->interval_allocs = p->interval_frees = 0;
	mappings__release(&p->kernel.maps);	/* exec replaced the address space */
	p->interval_est_allocs = p->interval_est_frees = 0;
	p->execs++;
}

void model__set_exited(struct model *m, struct proc *p, int status)
{
	if (!p->exit_seq)
		p->exit_seq = ++m->exit_cnt;
	if (p->exited)
		return;
	p->exited = true;
	p->exit_status = status;
}

void model__exit(struct model *m, pid_t pid, int status)
{
	struct proc *p = model__proc(m, pid);

	m->events++;
	if (!p)
		return;
	model__set_exited(m, p, status);
	p->exit_status = status;
}

void model__start_interval(struct model *m)
{
	size_t i;

	for (i = 0; i < m->proc_cnt; i++) {
		m->procs[i]->interval_allocs = m->procs[i]->interval_frees = 0;
		m->procs[i]->interval_est_allocs = m->procs[i]->interval_est_frees = 0;
	}
}

void model__heap_add(struct heap_totals *sum, const struct heap_totals *h)
{
	sum->total_allocs += h->total_allocs;
	sum->total_frees += h->total_frees;
	sum->total_bytes += h->total_bytes;
	sum->outstanding_allocs += h->outstanding_allocs;
	sum->outstanding_bytes += h->outstanding_bytes;
	sum->unmatched_frees += h->unmatched_frees;
	sum->est_total_allocs += h->est_total_allocs;
	sum->est_total_frees += h->est_total_frees;
	sum->est_total_bytes += h->est_total_bytes;
	sum->est_outstanding_allocs += h->est_outstanding_allocs;
	sum->est_outstanding_bytes += h->est_outstanding_bytes;
	sum->est_outstanding_bytes_var += h->est_outstanding_bytes_var;
}

void model__drop(struct model *m, size_t index)
{
	if (index >= m->proc_cnt)
		return;
	model__heap_add(&m->dropped.heap, &m->procs[index]->heap);
	m->dropped.cnt++;
	proc_free(m->procs[index]);
	memmove(&m->procs[index], &m->procs[index + 1],
		(m->proc_cnt - index - 1) * sizeof(*m->procs));
	m->proc_cnt--;
}
