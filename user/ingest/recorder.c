// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "ingest/recorder.h"
#include "lib/grow.h"
#include "lib/log.h"
#include "lib/output_file.h"

#define RECORDER_BUF_BYTES (256u << 10)

/* What was last said of the process at one index of model->procs. */
struct said_proc {
	uint64_t hash;
	pid_t key;
};

struct recorder {
	struct output_file *of;
	char *path;
	z_stream z;
	bool z_open;
	int err;			/* first write error (negative errno), 0 if none */
	uint8_t *in;			/* records not yet compressed */
	size_t in_len;
	uint8_t *out;			/* compressed bytes for one fwrite */
	uint64_t records, bytes;
	struct said_proc *said;
	size_t said_cnt, said_cap;
};

/* Stop recording on the first failed write, said once. */
static void recorder_fail(struct recorder *r, int err)
{
	if (r->err)
		return;
	r->err = err;
	log_error("writing the recording %s failed: %s; the recording stops and is removed at "
		  "the end, tracing goes on", r->path, strerror(-err));
}

/* Compress what is buffered (flush: Z_NO_FLUSH or Z_FINISH) and write it out. */
static void recorder_deflate(struct recorder *r, int flush)
{
	FILE *f = output_file__stream(r->of);
	size_t have;
	int ret;

	r->z.next_in = r->in;
	r->z.avail_in = r->in_len;
	do {
		r->z.next_out = r->out;
		r->z.avail_out = RECORDER_BUF_BYTES;
		ret = deflate(&r->z, flush);
		if (ret == Z_STREAM_ERROR) {
			recorder_fail(r, -EIO);
			return;
		}
		have = RECORDER_BUF_BYTES - r->z.avail_out;
		if (have && fwrite(r->out, 1, have, f) != have) {
			recorder_fail(r, errno ? -errno : -EIO);
			return;
		}
		r->bytes += have;
	} while (r->z.avail_out == 0 || (flush == Z_FINISH && ret != Z_STREAM_END));
	r->in_len = 0;
}

/* Buffer len bytes, compressing when the buffer is full. */
static void recorder_write(struct recorder *r, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t n;

	while (len && !r->err) {
		n = RECORDER_BUF_BYTES - r->in_len;
		if (n > len)
			n = len;
		memcpy(r->in + r->in_len, p, n);
		r->in_len += n;
		p += n;
		len -= n;
		if (r->in_len == RECORDER_BUF_BYTES)
			recorder_deflate(r, Z_NO_FLUSH);
	}
}

void recorder__put(struct recorder *r, enum record_type type, const void *payload, size_t len)
{
	struct rec_head h = { type, (uint32_t)len };

	if (!r || r->err || len > RECORD_MAX_PAYLOAD)
		return;
	recorder_write(r, &h, sizeof(h));
	recorder_write(r, payload, len);
	r->records++;
}

/* A record whose payload is two parts. */
static void recorder_put2(struct recorder *r, enum record_type type, const void *a, size_t a_len,
			  const void *b, size_t b_len)
{
	struct rec_head h = { type, (uint32_t)(a_len + b_len) };

	if (!r || r->err || a_len + b_len > RECORD_MAX_PAYLOAD)
		return;
	recorder_write(r, &h, sizeof(h));
	recorder_write(r, a, a_len);
	recorder_write(r, b, b_len);
	r->records++;
}

int recorder__open(const char *path, struct recorder **out, char *err, size_t err_len)
{
	struct recorder *r = calloc(1, sizeof(*r));
	uint32_t words[2] = { RECORD_VERSION, 0 };
	int ret;

	*out = NULL;
	if (!r || !(r->path = strdup(path)) || !(r->in = malloc(RECORDER_BUF_BYTES)) ||
	    !(r->out = malloc(RECORDER_BUF_BYTES))) {
		snprintf(err, err_len, "out of memory");
		recorder__free(r);
		return -ENOMEM;
	}
	ret = output_file__open(path, OUTPUT_REPORT, &r->of, err, err_len);
	if (ret) {
		recorder__free(r);
		return ret;
	}
	/* windowBits 15 + 16: a gzip stream, so zcat reads it too */
	if (deflateInit2(&r->z, 3, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		snprintf(err, err_len, "cannot start compressing the recording %s", path);
		recorder__free(r);
		return -ENOMEM;
	}
	r->z_open = true;
	recorder_write(r, RECORD_MAGIC, RECORD_MAGIC_LEN);
	recorder_write(r, words, sizeof(words));
	*out = r;
	return 0;
}

void recorder__meta(struct recorder *r, const char *key, const char *value)
{
	recorder_put2(r, REC_META, key, strlen(key) + 1, value, strlen(value) + 1);
}

/* FNV-1a of len bytes, continuing from h. */
static uint64_t hash_bytes(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

/* p's identity as REC_PROC says it: the fixed part, and its strings in strs. */
static size_t proc_identity(const struct proc *p, uint32_t index, struct rec_proc *rp,
			    char *strs, size_t cap)
{
	const char *parts[4] = { p->comm, p->exe ? p->exe : "", p->alloc_lib ? p->alloc_lib : "",
				 p->cgroup ? p->cgroup : "" };
	size_t len = 0, n, i;

	*rp = (struct rec_proc){
		.index = index, .pid = p->pid, .key = p->key, .ns_pid = p->ns_pid,
		.parent_pid = p->parent_pid, .exit_status = p->exit_status,
		.alloc_kinds = p->alloc_kinds, .traced_ms = p->traced_ms, .exited = p->exited,
		.detached = p->detached, .via_sampler = p->via_sampler,
		.maps_unfollowed = p->kernel.maps_unfollowed, .has_exe = p->exe != NULL,
		.has_alloc_lib = p->alloc_lib != NULL, .has_cgroup = p->cgroup != NULL,
	};
	for (i = 0; i < 4; i++) {
		n = strnlen(parts[i], cap - len - 1 - (3 - i));
		memcpy(strs + len, parts[i], n);
		strs[len + n] = '\0';
		len += n + 1;
	}
	return len;
}

/* Say the process at index if it changed (a retire first when its key moved). */
static void sync_proc(struct recorder *r, const struct proc *p, uint32_t index)
{
	char strs[3 * 4096 + 16 + 4];
	struct rec_proc rp;
	size_t len = proc_identity(p, index, &rp, strs, sizeof(strs));
	uint64_t h = hash_bytes(hash_bytes(0xcbf29ce484222325ull, &rp, sizeof(rp)), strs, len);
	struct said_proc *said = &r->said[index];

	if (index < r->said_cnt && said->hash == h)
		return;
	if (index < r->said_cnt && said->key > 0 && p->key < 0)
		recorder__put(r, REC_RETIRE, &index, sizeof(index));
	recorder_put2(r, REC_PROC, &rp, sizeof(rp), strs, len);
	said->hash = h;
	said->key = p->key;
}

void recorder__sync(struct recorder *r, const struct model *m)
{
	struct said_proc *said;
	size_t i;

	if (!r || r->err)
		return;
	if (m->proc_cnt > r->said_cap) {
		said = grow__array(r->said, &r->said_cap, m->proc_cnt, sizeof(*said), 16);
		if (!said) {
			recorder_fail(r, -ENOMEM);
			return;
		}
		r->said = said;
	}
	for (i = 0; i < m->proc_cnt; i++) {
		if (i >= r->said_cnt)
			r->said[i] = (struct said_proc){ 0 };
		sync_proc(r, m->procs[i], i);
		if (i >= r->said_cnt)
			r->said_cnt = i + 1;
	}
}

void recorder__ring(struct recorder *r, const struct model *m, const void *data, size_t size)
{
	if (!r || r->err)
		return;
	if (m->proc_cnt != r->said_cnt)
		recorder__sync(r, m);
	recorder__put(r, REC_RING, data, size);
}

void recorder__ksample(struct recorder *r, pid_t key, const struct kernel_reading *s,
		       uint64_t ts_ns)
{
	struct rec_ksample k = { .ts_ns = ts_ns, .key = key, .reading = *s };

	recorder__put(r, REC_KSAMPLE, &k, sizeof(k));
}

void recorder__psi(struct recorder *r, const struct system_psi *psi)
{
	recorder__put(r, REC_PSI, psi, sizeof(*psi));
}

void recorder__exit(struct recorder *r, pid_t pid, int status)
{
	struct rec_exit e = { pid, status };

	recorder__put(r, REC_EXIT, &e, sizeof(e));
}

void recorder__drop(struct recorder *r, const struct model *m, size_t index)
{
	uint32_t i = index;

	recorder__sync(r, m);
	if (!r || r->err || index >= r->said_cnt)
		return;
	recorder__put(r, REC_DROP, &i, sizeof(i));
	memmove(&r->said[index], &r->said[index + 1],
		(r->said_cnt - index - 1) * sizeof(*r->said));
	r->said_cnt--;
}

void recorder__mark(struct recorder *r, const struct model *m, enum record_type type,
		    uint32_t ms)
{
	recorder__sync(r, m);
	recorder__put(r, type, &ms, sizeof(ms));
}

/* One REC_OBJECT (a symbolizer__each_mapping callback). */
static void put_object(void *ctx, pid_t key, const struct mv_mapping *m, const char *build_id)
{
	struct recorder *r = ctx;
	struct rec_object o = {
		.start = m->start, .end = m->end, .file_offset = m->file_offset,
		.inode = m->inode, .key = key, .dev_major = m->dev_major,
		.dev_minor = m->dev_minor,
	};
	char strs[4096 + 130];
	size_t n = strnlen(m->path, 4095);

	memcpy(o.perms, m->perms, sizeof(o.perms));
	memcpy(strs, m->path, n);
	strs[n++] = '\0';
	snprintf(strs + n, sizeof(strs) - n, "%s", build_id ? build_id : "");
	recorder_put2(r, REC_OBJECT, &o, sizeof(o), strs, n + strlen(strs + n) + 1);
}

void recorder__objects(struct recorder *r, struct symbolizer *sym)
{
	if (r && !r->err)
		symbolizer__each_mapping(sym, put_object, r);
}

uint64_t recorder__records(const struct recorder *r)
{
	return r ? r->records : 0;
}

uint64_t recorder__bytes(const struct recorder *r)
{
	return r ? r->bytes : 0;
}

bool recorder__failed(const struct recorder *r)
{
	return r && r->err;
}

int recorder__close(struct recorder *r, char *err, size_t err_len)
{
	if (!r)
		return 0;
	recorder__put(r, REC_END, NULL, 0);
	if (!r->err)
		recorder_deflate(r, Z_FINISH);
	if (r->err) {
		snprintf(err, err_len, "the recording %s was not written: %s", r->path,
			 strerror(-r->err));
		return r->err;
	}
	return output_file__commit(r->of, err, err_len);
}

void recorder__free(struct recorder *r)
{
	if (!r)
		return;
	if (r->z_open)
		deflateEnd(&r->z);
	output_file__free(r->of);
	free(r->said);
	free(r->in);
	free(r->out);
	free(r->path);
	free(r);
}
