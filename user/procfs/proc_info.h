/* SPDX-License-Identifier: GPL-2.0 */
/*
 * proc_info: small facts about one process read from /proc/PID: its comm,
 * executable, auxv, namespace PID, start time and flags. The parsers are pure.
 */
#ifndef MV_PROC_INFO_H
#define MV_PROC_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* comm of pid ("?" if unknown) into buf. */
void proc_info__comm(pid_t pid, char *buf, size_t len);

/* The value of auxiliary vector entry type (AT_ENTRY, AT_BASE, ...) of pid, 0 if absent. */
uint64_t proc_info__auxv(pid_t pid, uint64_t type);

/* The path of pid's executable (the /proc/PID/exe link) into buf, "" if unreadable. */
void proc_info__exe(pid_t pid, char *buf, size_t len);

/*
 * The start of /proc/PID/name into buf (len bytes with its NUL); false if
 * unreadable, with errno saying why (ESRCH: the file was empty).
 */
bool proc_info__read(pid_t pid, const char *name, char *buf, size_t len);

/*
 * The innermost PID of a /proc/PID/status text's NSpid line (the process's
 * own namespace), or 0 when the line is missing or lists one namespace. Pure.
 */
pid_t proc_info__parse_ns_pid(const char *status);

/*
 * The start time (field 22, clock ticks since boot) of a /proc/PID/stat
 * text, or 0 if it cannot be parsed. Pure.
 */
uint64_t proc_info__parse_start_ticks(const char *stat);

/* The flags (field 9: PF_*) of a /proc/PID/stat text; false if they cannot be parsed. Pure. */
bool proc_info__parse_flags(const char *stat, unsigned long long *flags);

/*
 * Whether the flags (field 9) of a /proc/PID/stat text say the process is
 * exiting (PF_EXITING), false if they cannot be parsed. Pure.
 */
bool proc_info__parse_exiting(const char *stat);

/* pid's own PID in its namespace (proc_info__parse_ns_pid), 0 if none or unreadable. */
pid_t proc_info__ns_pid(pid_t pid);

/* pid's start time in clock ticks since boot, 0 if unreadable. */
uint64_t proc_info__start_ticks(pid_t pid);

#endif
