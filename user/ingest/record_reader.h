/* SPDX-License-Identifier: GPL-2.0 */
/*
 * record_reader: reads a --record file (record_format.h) record by record,
 * checking as it goes: a file that is not gzip, or not a recording, or of a
 * newer format version, or damaged, or cut short, gets one sentence naming
 * what is wrong. Pure reading: the caller applies the records.
 */
#ifndef MV_RECORD_READER_H
#define MV_RECORD_READER_H

#include <stddef.h>
#include <stdio.h>
#include "ingest/record_format.h"

struct record_reader;

/*
 * Check the header of the recording in f (read, never closed; name: for
 * messages). Returns 0 with *out set, or a negative errno with a sentence in
 * err: -EPROTO for a file that is not a memvigil recording,
 * -EPROTONOSUPPORT for a newer format version, -ENODATA for one cut short,
 * -EBADMSG for damaged data, -EIO or -ENOMEM.
 */
int record_reader__open(FILE *f, const char *name, struct record_reader **out, char *err,
			size_t err_len);

/*
 * The next record: 1 with *h and *payload set (the payload stays valid until
 * the next call), 0 after REC_END, or a negative errno with a sentence in err
 * as record_reader__open's (-ENODATA: the file ends before REC_END).
 */
int record_reader__next(struct record_reader *r, struct rec_head *h, const void **payload,
			char *err, size_t err_len);

/* The format version of the file. */
uint32_t record_reader__version(const struct record_reader *r);

void record_reader__free(struct record_reader *r);

#endif
