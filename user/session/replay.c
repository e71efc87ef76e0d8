// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lib/grow.h"
#include "lib/log.h"
#include "session/evict.h"
#include "session/replay.h"

/* Keep a copy of s in the array *arr of *cnt strings; 0 or -ENOMEM. */
static int keep_string(char ***arr, size_t *cnt, const char *s)
{
	char **a = realloc(*arr, (*cnt + 2) * sizeof(*a));

	if (!a)
		return -ENOMEM;
	*arr = a;
	a[*cnt] = strdup(s);
	if (!a[*cnt])
		return -ENOMEM;
	a[++*cnt] = NULL;
	return 0;
}

/* One REC_META pair. */
static int apply_meta(struct replay *r, const char *p, size_t len)
{
	const char *key = p, *nul = memchr(p, '\0', len), *value, *end;
	size_t argc;

	if (!nul || !(end = memchr(nul + 1, '\0', len - (nul + 1 - p))))
		return -EBADMSG;
	value = nul + 1;
	if (!strcmp(key, "arg")) {
		argc = r->argc;
		if (keep_string(&r->argv, &argc, value))
			return -ENOMEM;
		r->argc = argc;
	} else if (!strcmp(key, "env")) {
		if (!strncmp(value, "MEMVIGIL_", 9) && strchr(value, '=') &&
		    keep_string(&r->env, &r->env_cnt, value))
			return -ENOMEM;
	} else if (!strcmp(key, "t0_ns")) {
		r->t0_ns = strtoull(value, NULL, 10);
	}
	return 0;
}

/* The live run's options: its command line, with its MEMVIGIL_* variables only. */
static int parse_options(struct replay *r)
{
	extern char **environ;
	char name[128];
	size_t i, n;

	for (i = 0; environ && environ[i]; ) {
		n = strcspn(environ[i], "=");
		if (strncmp(environ[i], "MEMVIGIL_", 9) || n >= sizeof(name)) {
			i++;
			continue;
		}
		snprintf(name, sizeof(name), "%.*s", (int)n, environ[i]);
		unsetenv(name);
	}
	for (i = 0; i < r->env_cnt; i++) {
		n = strcspn(r->env[i], "=");
		snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) - 1 ? n : 0), r->env[i]);
		if (*name)
			setenv(name, r->env[i] + n + 1, 1);
	}
	if (r->argc < 1 || options__parse_recorded(r->argc, r->argv, &r->opts, r->err, sizeof(r->err))) {
		log_error("the options recorded do not parse (%s): the recording is damaged",
			  r->argc < 1 ? "none" : r->err);
		return -EINVAL;
	}
	return 0;
}

static int resolve(void *ctx, pid_t pid, uint64_t addr, struct mv_symbol *out)
{
	return symbolizer__resolve(ctx, pid, addr, out);
}

/* An OOM kill in the recording: the monitor hears of it as the live one did. */
static void on_oom(void *ctx, const struct oom_kill *k)
{
	struct replay *r = ctx;

	monitor__oom(r->mon, r->m, k, k->ms);
}

/* The model, symbolizer and monitor the records are applied to. */
static int replay_start(struct replay *r)
{
	const struct options *o = &r->opts;
	struct monitor_opts mo = {
		.interval_s = o->interval_s, .window_s = o->window_s, .top = o->top,
		.heap_traced = !o->kernel_only, .alerts = o->alerts, .alert_cnt = o->alert_cnt,
		.jsonl_path = r->jsonl_path, .resolve = resolve,
	};
	int ret;

	r->m = model__new(r->t0_ns);
	if (!r->m) {
		log_error("out of memory");
		return -ENOMEM;
	}
	model__set_sampling(r->m, o->sample_bytes);
	mo.resolve_ctx = r->sym;
	ret = monitor__new(&mo, &r->mon, r->err, sizeof(r->err));
	if (ret) {
		log_error("%s", r->err);
		return ret;
	}
	r->consumer = (struct consumer){ .model = r->m, .on_oom = on_oom, .ctx = r };
	return 0;
}

/* A process's identity as the session set it (REC_PROC). */
static int apply_proc(struct replay *r, const char *p, size_t len)
{
	const char *s[4];
	struct rec_proc rp;
	struct proc *pr;
	size_t at = sizeof(rp), i;

	if (len < sizeof(rp))
		return -EBADMSG;
	memcpy(&rp, p, sizeof(rp));
	for (i = 0; i < 4; i++) {
		const char *nul = at < len ? memchr(p + at, '\0', len - at) : NULL;

		if (!nul)
			return -EBADMSG;
		s[i] = p + at;
		at = nul - p + 1;
	}
	if (rp.index > r->m->proc_cnt || rp.pid <= 0)
		return -EBADMSG;
	pr = rp.index < r->m->proc_cnt ? r->m->procs[rp.index] : model__proc(r->m, rp.pid);
	if (!pr || pr->key != rp.key)
		return pr ? -EBADMSG : -ENOMEM;
	if (model__set_image(pr, s[0], rp.has_exe ? s[1] : NULL, rp.has_alloc_lib ? s[2] : NULL,
			     rp.alloc_kinds) ||
	    model__set_origin(pr, rp.ns_pid, rp.parent_pid, rp.has_cgroup ? s[3] : NULL))
		return -ENOMEM;
	pr->exit_status = rp.exit_status;
	pr->traced_ms = rp.traced_ms;
	if (rp.exited)
		model__set_exited(r->m, pr, rp.exit_status);
	pr->detached = rp.detached;
	pr->via_sampler = rp.via_sampler;
	pr->kernel.maps_unfollowed = rp.maps_unfollowed;
	return 0;
}

/* model__retire of the process at an index (REC_RETIRE). */
static int apply_retire(struct replay *r, const void *p, size_t len)
{
	uint32_t index;
	pid_t pid, key;

	if (len != sizeof(index))
		return -EBADMSG;
	memcpy(&index, p, sizeof(index));
	if (index >= r->m->proc_cnt)
		return -EBADMSG;
	pid = r->m->procs[index]->pid;
	key = model__retire(r->m, pid);
	if (key)
		monitor__rekey(r->mon, pid, key);
	return 0;
}

/* The exited process at an index dropped, with what was kept of it (REC_DROP). */
static int apply_drop(struct replay *r, const void *p, size_t len)
{
	struct evict_holders h = { .m = r->m, .mon = r->mon, .sym = r->sym };
	uint32_t index;

	if (len != sizeof(index))
		return -EBADMSG;
	memcpy(&index, p, sizeof(index));
	if (index >= r->m->proc_cnt)
		return -EBADMSG;
	evict__drop(&h, index);
	return 0;
}

/* The group of objects of key, created if need be; NULL on ENOMEM. */
static struct replay_objects *objects_of(struct replay *r, pid_t key)
{
	struct replay_objects *o;
	size_t i;

	for (i = 0; i < r->obj_cnt; i++)
		if (r->objs[i].key == key)
			return &r->objs[i];
	o = grow__array(r->objs, &r->objs_cap, r->obj_cnt + 1, sizeof(*o), 8);
	if (!o)
		return NULL;
	r->objs = o;
	o = &r->objs[r->obj_cnt++];
	*o = (struct replay_objects){ .key = key };
	return o;
}

/* A mapping of a process (REC_OBJECT), kept until the end. */
static int apply_object(struct replay *r, const char *p, size_t len)
{
	const char *path = p + sizeof(struct rec_object), *nul, *bid;
	struct replay_objects *o;
	struct rec_object ro;
	struct mv_mapping m;
	void *grown;

	if (len < sizeof(ro) + 2 || p[len - 1])
		return -EBADMSG;
	memcpy(&ro, p, sizeof(ro));
	nul = memchr(path, '\0', len - sizeof(ro));
	bid = nul + 1;
	if (bid >= p + len || ro.end < ro.start)
		return -EBADMSG;
	o = objects_of(r, ro.key);
	if (!o)
		return -ENOMEM;
	if (o->cnt && ro.start < o->maps[o->cnt - 1].start)
		return -EBADMSG;	/* recorded sorted by start */
	m = (struct mv_mapping){ .start = ro.start, .end = ro.end, .file_offset = ro.file_offset,
				 .inode = ro.inode, .dev_major = ro.dev_major,
				 .dev_minor = ro.dev_minor };
	memcpy(m.perms, ro.perms, sizeof(m.perms));
	m.perms[sizeof(m.perms) - 1] = '\0';
	grown = grow__array(o->maps, &o->maps_cap, o->cnt + 1, sizeof(*o->maps), 32);
	if (grown)
		o->maps = grown;
	grown = grown ? grow__array(o->build_ids, &o->ids_cap, o->cnt + 1, sizeof(char *), 32) : NULL;
	if (!grown)
		return -ENOMEM;
	o->build_ids = grown;
	m.path = strdup(path);
	o->build_ids[o->cnt] = strdup(bid);
	o->maps[o->cnt++] = m;
	return m.path && o->build_ids[o->cnt - 1] ? 0 : -ENOMEM;
}

/* The final report's context (REC_FINAL), kept with its payload. */
static int apply_final(struct replay *r, const void *p, size_t len)
{
	free(r->final_buf);
	r->final_buf = malloc(len ? len : 1);
	if (!r->final_buf)
		return -ENOMEM;
	memcpy(r->final_buf, p, len);
	r->has_final = !record_final__decode(r->final_buf, len, &r->final);
	return r->has_final ? 0 : -EBADMSG;
}

/* A record of the model's own state, or of the kernel's. */
static int apply_state(struct replay *r, const struct rec_head *h, const void *p)
{
	struct rec_ksample k;
	struct rec_exit e;

	switch (h->type) {
	case REC_KSAMPLE:
		if (h->len != sizeof(k))
			return -EBADMSG;
		memcpy(&k, p, sizeof(k));
		model__kernel_sample(r->m, k.key, &k.reading, k.ts_ns);
		return 0;
	case REC_PSI:
		if (h->len != sizeof(r->m->psi))
			return -EBADMSG;
		memcpy(&r->m->psi, p, sizeof(r->m->psi));
		return 0;
	case REC_EXIT:
		if (h->len != sizeof(e))
			return -EBADMSG;
		memcpy(&e, p, sizeof(e));
		model__exit(r->m, e.pid, e.status);
		return 0;
	case REC_PROC:
		return apply_proc(r, p, h->len);
	case REC_RETIRE:
		return apply_retire(r, p, h->len);
	case REC_DROP:
		return apply_drop(r, p, h->len);
	default:
		return -EBADMSG;
	}
}

/* A record of the monitor's clock (REC_TICK, REC_POLL, REC_FINISH, REC_INTERVAL). */
static int apply_mark(struct replay *r, const struct rec_head *h, const void *p)
{
	uint32_t ms;

	if (h->len != sizeof(ms))
		return -EBADMSG;
	memcpy(&ms, p, sizeof(ms));
	if (h->type == REC_TICK)
		monitor__tick(r->mon, r->m, ms);
	else if (h->type == REC_POLL)
		monitor__poll(r->mon, r->m, ms);
	else if (h->type == REC_FINISH)
		monitor__finish(r->mon, r->m, ms);
	else {
		r->interval_pending = true;
		r->interval_ms = ms;
	}
	return 0;
}

/* Apply one record after the header's. */
static int apply(struct replay *r, const struct rec_head *h, const void *p)
{
	if (h->type == REC_OBJECT)
		return apply_object(r, p, h->len);
	if (h->type == REC_FINAL)
		return apply_final(r, p, h->len);
	if (h->type == REC_META)
		return -EBADMSG;
	/* the model moves on: the interval the last text report began starts now */
	if (r->interval_pending) {
		model__start_interval(r->m);
		r->last_interval_ms = r->interval_ms;
		r->interval_pending = false;
	}
	if (h->type == REC_RING) {
		consumer__handle(&r->consumer, (void *)p, h->len);
		return 0;
	}
	if (h->type >= REC_TICK && h->type <= REC_INTERVAL)
		return apply_mark(r, h, p);
	return apply_state(r, h, p);
}

/* The "changed" callback of symbolizer__restore: note the file once. */
static void note_changed(void *ctx, pid_t pid, const struct mv_mapping *m, const char *build_id)
{
	struct replay *r = ctx;
	size_t n = strlen(r->changed);

	(void)pid;
	(void)build_id;
	r->changed_cnt++;
	if (n + strlen(m->path) + 3 < sizeof(r->changed))
		snprintf(r->changed + n, sizeof(r->changed) - n, "%s%s", n ? ", " : "", m->path);
}

/* Every process's recorded mappings to the symbolizer (none read from /proc). */
static int restore_objects(struct replay *r)
{
	struct replay_objects *o;
	size_t i;

	for (i = 0; i < r->obj_cnt; i++) {
		o = &r->objs[i];
		if (symbolizer__restore(r->sym, o->key, o->maps, (const char *const *)o->build_ids,
					o->cnt, note_changed, r))
			return -ENOMEM;
	}
	if (r->changed_cnt)
		log_warn("%zu object%s recorded %s gone or changed (another build ID) here; frames "
			 "in %s stay addresses with module+offset: %s", r->changed_cnt,
			 r->changed_cnt == 1 ? "" : "s", r->changed_cnt == 1 ? "is" : "are",
			 r->changed_cnt == 1 ? "it" : "them", r->changed);
	return 0;
}

/* The header's records, then the options they give, then the model to apply the rest to. */
static int replay_begin(struct replay *r, struct record_reader *rd, struct rec_head *h,
			const void **p)
{
	int ret;

	while ((ret = record_reader__next(rd, h, p, r->err, sizeof(r->err))) > 0 &&
	       h->type == REC_META) {
		ret = apply_meta(r, *p, h->len);
		if (ret) {
			snprintf(r->err, sizeof(r->err), "a header record is damaged");
			break;
		}
	}
	if (ret < 0) {
		log_error("%s", r->err);
		return ret;
	}
	if (!ret) {
		log_error("the recording holds no trace (it ends after its header)");
		return -ENODATA;
	}
	ret = parse_options(r);
	return ret ? ret : replay_start(r);
}

/*
 * The first reading: the mappings recorded at the end, so that frames are
 * named while the records are applied (the --jsonl lines) as at the end.
 */
static int read_objects(struct replay *r, FILE *f, const char *name)
{
	struct record_reader *rd = NULL;
	struct rec_head h;
	const void *p;
	int ret;

	ret = record_reader__open(f, name, &rd, r->err, sizeof(r->err));
	while (!ret && (ret = record_reader__next(rd, &h, &p, r->err, sizeof(r->err))) > 0) {
		ret = h.type == REC_OBJECT ? apply_object(r, p, h.len) : 0;
		if (ret)
			snprintf(r->err, sizeof(r->err), "%s is damaged: a mapping record is malformed",
				 name);
	}
	record_reader__free(rd);
	if (ret < 0)
		log_error("%s", r->err);
	return ret < 0 ? ret : restore_objects(r);
}

/* The second reading: every record applied in order. */
static int apply_records(struct replay *r, FILE *f, const char *name)
{
	struct record_reader *rd = NULL;
	const void *p;
	struct rec_head h;
	int ret;

	ret = record_reader__open(f, name, &rd, r->err, sizeof(r->err));
	if (ret) {
		log_error("%s", r->err);
		return ret;
	}
	ret = replay_begin(r, rd, &h, &p);
	while (!ret) {
		ret = h.type == REC_OBJECT ? 0 : apply(r, &h, p);
		if (ret) {
			log_error("%s is damaged: a record of type %u does not fit the trace so far",
				  name, h.type);
			break;
		}
		ret = record_reader__next(rd, &h, &p, r->err, sizeof(r->err));
		if (ret < 0)
			log_error("%s", r->err);
		ret = ret > 0 ? 0 : ret ? ret : 1;
	}
	record_reader__free(rd);
	return ret < 0 ? ret : 0;
}

int replay__run(struct replay *r, FILE *f, const char *name)
{
	int ret;

	r->sym = symbolizer__new();
	if (!r->sym) {
		log_error("out of memory");
		return -ENOMEM;
	}
	symbolizer__set_offline(r->sym);	/* the PIDs recorded are not this host's now */
	symbolizer__settle(r->sym);	/* no trace runs: debuginfod's answers are waited for */
	ret = read_objects(r, f, name);
	if (!ret && fseek(f, 0, SEEK_SET)) {
		ret = -errno;
		log_error("cannot read %s twice: %s (give a file, not a pipe)", name, strerror(-ret));
	}
	if (!ret)
		ret = apply_records(r, f, name);
	if (ret)
		return ret;
	if (!r->has_final) {
		log_error("%s holds no final report: the recording is damaged", name);
		return -EBADMSG;
	}
	return 0;
}

uint32_t replay__text_elapsed(struct replay *r)
{
	return r->final.now_ms - r->last_interval_ms;
}

void replay__free(struct replay *r)
{
	size_t i, j;

	for (i = 0; i < r->obj_cnt; i++) {
		for (j = 0; j < r->objs[i].cnt; j++) {
			free(r->objs[i].maps[j].path);
			free(r->objs[i].build_ids[j]);
		}
		free(r->objs[i].maps);
		free(r->objs[i].build_ids);
	}
	free(r->objs);
	for (i = 0; i < (size_t)r->argc; i++)
		free(r->argv[i]);
	free(r->argv);
	for (i = 0; i < r->env_cnt; i++)
		free(r->env[i]);
	free(r->env);
	free(r->final_buf);
	monitor__free(r->mon);
	symbolizer__free(r->sym);
	model__free(r->m);
}
