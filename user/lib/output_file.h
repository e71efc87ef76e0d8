/* SPDX-License-Identifier: GPL-2.0 */
/*
 * output_file: the one way memvigil opens a file it writes (--json, --jsonl).
 * memvigil runs as root, often in directories other users can write to, so
 * a path it is given may be a link or a file someone planted there:
 *
 *  - The last component is never followed if it is a symbolic link, and only
 *    a regular file is written: a directory, FIFO, socket or device there is
 *    refused (opened, if at all, with O_NONBLOCK|O_NOCTTY so that a FIFO
 *    cannot block; fstat decides). Directories above it are trusted.
 *  - An existing file must belong to memvigil's effective user: one owned by
 *    another user may have been planted by that user and is refused.
 *  - A file memvigil creates gets mode 0600 (fchmod, whatever the umask).
 *
 * OUTPUT_REPORT (--json): the report is written to a new temporary file in
 * the target's directory (".NAME.XXXXXX", created O_EXCL, mode 0600) and
 * renamed over the target by output_file__commit once complete. A reader
 * never sees half a report, a failed run leaves an earlier report as it was,
 * and whatever is at the target when the rename happens (even a link planted
 * after the checks) is replaced, never written through. The target is
 * checked at open as well, so that a link, a non-regular file or another
 * user's file there is refused before anything is attached rather than
 * silently replaced. Replacing rather than truncating in place was chosen
 * because a truncating open has to trust that the inode it reaches is the
 * one it checked; a rename only ever touches the directory entry.
 *
 * OUTPUT_APPEND (--jsonl): appends to an existing regular file (opened
 * O_NOFOLLOW|O_APPEND, checked with fstat after the open, and refused when
 * it has more than one hard link, as another link may be a planted one to a
 * file elsewhere) or creates it O_EXCL with mode 0600. An existing file
 * keeps its mode. Lines are appended in place, so a follower (tail -f) sees
 * them as written.
 *
 * The path "-" is standard output in both modes, used as it is.
 */
#ifndef MV_OUTPUT_FILE_H
#define MV_OUTPUT_FILE_H

#include <stddef.h>
#include <stdio.h>

enum output_mode {
	OUTPUT_REPORT,	/* written whole to a temporary file, renamed into place */
	OUTPUT_APPEND,	/* appended to in place */
};

#define OUTPUT_FILE_MODE 0600

struct output_file;

/*
 * Open path for mode as described above. Returns 0 with *out set, or a
 * negative errno with a one-line sentence in err (no "memvigil:" prefix)
 * saying what is wrong and what to do: -ELOOP for a symbolic link, -EISDIR
 * for a directory, -ENXIO for another file that is not regular, -EPERM for
 * a file of another user or (append) with several hard links, or the errno
 * of the failed call.
 */
int output_file__open(const char *path, enum output_mode mode, struct output_file **out,
		      char *err, size_t err_len);

/* The stream to write to (stdout for "-"). */
FILE *output_file__stream(const struct output_file *of);

/* The path given to output_file__open, for messages. */
const char *output_file__path(const struct output_file *of);

/*
 * Flush what was written. A report is also synced and renamed over its
 * target; the stream stays usable until output_file__free. Returns 0 or a
 * negative errno with a sentence in err.
 */
int output_file__commit(struct output_file *of, char *err, size_t err_len);

/* Close; a report never committed is removed and its target left as it was. */
void output_file__free(struct output_file *of);

#endif
