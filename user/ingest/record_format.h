/* SPDX-License-Identifier: GPL-2.0 */
/*
 * record_format: the layout of a --record file, shared by its writer
 * (recorder.h) and its reader (record_reader.h).
 *
 * The file is one gzip stream (zcat shows the bytes below). It begins with
 * RECORD_MAGIC, then the format version and a reserved word (both
 * little-endian u32), then records, each a u32 type, a u32 payload length
 * (at most RECORD_MAX_PAYLOAD) and the payload. The last record is
 * REC_END; a file without it was cut short. Integers are little-endian
 * (this is an x86-64 tool); the structs are written as they are in memory,
 * and the version changes whenever one of them does.
 *
 * What is recorded is every input of the model and of the metrics in the
 * order the live session applied it, so that a replay that applies the
 * same records rebuilds the same model and the same figures:
 *   REC_META      key NUL value NUL, repeated: memvigil's version, the
 *                 kernel, when tracing began, the options (argv, and the
 *                 MEMVIGIL_* variables)
 *   REC_RING      a ring-buffer record as the consumer received it
 *   REC_KSAMPLE   struct rec_ksample: one reading of a process's kernel state
 *   REC_PSI       struct system_psi: a reading of the system's PSI
 *   REC_PROC      struct rec_proc, then comm, exe, alloc_lib, cgroup (each
 *                 NUL-terminated): a process's identity whenever it changed
 *   REC_RETIRE    u32 index: model__retire of the process at that index
 *   REC_EXIT      struct rec_exit: model__exit outside a ring-buffer record
 *   REC_TICK, REC_POLL, REC_FINISH, REC_INTERVAL
 *                 u32 ms since tracing began: the monitor's sample at a
 *                 report, its once-a-second poll, its last sample, and the
 *                 start of a new text-report interval
 *   REC_OBJECT    struct rec_object, then path and build ID in hex (each
 *                 NUL-terminated): a mapping a report's frames are named from
 *   REC_FINAL     the final report's context (session/record_final.h)
 *   REC_END       nothing: the recording is complete
 *   REC_DROP      u32 index: model__drop of the exited process at that
 *                 index (--keep-exited), with what memvigil kept of it
 *
 * Version 2 added REC_DROP; a version 1 file is read as it was.
 */
#ifndef MV_RECORD_FORMAT_H
#define MV_RECORD_FORMAT_H

#include <stdint.h>
#include "model/model.h"

#define RECORD_MAGIC "MVRECRD\n"
#define RECORD_MAGIC_LEN 8
#define RECORD_VERSION 2
#define RECORD_MAX_PAYLOAD (1u << 20)

enum record_type {
	REC_META = 1,
	REC_RING,
	REC_KSAMPLE,
	REC_PSI,
	REC_PROC,
	REC_RETIRE,
	REC_EXIT,
	REC_TICK,
	REC_POLL,
	REC_FINISH,
	REC_INTERVAL,
	REC_OBJECT,
	REC_FINAL,
	REC_END,
	REC_DROP,
	REC_TYPE_CNT,
};

/* A record's leading words. */
struct rec_head {
	uint32_t type;		/* enum record_type */
	uint32_t len;		/* payload bytes that follow */
};

struct rec_ksample {
	uint64_t ts_ns;
	int32_t key;
	uint32_t pad;
	struct kernel_reading reading;
};

/* The fields of struct proc that the session sets besides the ring-buffer records. */
struct rec_proc {
	uint32_t index;		/* in model->procs */
	int32_t pid;
	int32_t key;
	int32_t ns_pid;
	int32_t parent_pid;
	int32_t exit_status;
	uint32_t alloc_kinds;
	uint32_t traced_ms;
	uint8_t exited;
	uint8_t detached;
	uint8_t via_sampler;
	uint8_t maps_unfollowed;
	uint8_t has_exe, has_alloc_lib, has_cgroup;
	uint8_t pad;
};

struct rec_exit {
	int32_t pid;
	int32_t status;
};

struct rec_object {
	uint64_t start, end, file_offset, inode;
	int32_t key;		/* the process (model key) */
	uint32_t dev_major, dev_minor;
	char perms[5];
	uint8_t pad[3];
};

#endif
