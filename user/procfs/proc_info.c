// SPDX-License-Identifier: GPL-2.0
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "procfs/proc_info.h"

void proc_info__comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;
	size_t n;

	snprintf(buf, len, "?");
	if (len < 2)
		return;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	/* the whole name: a process may put a newline in it; the kernel ends it with one */
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	if (!n)
		snprintf(buf, len, "?");
	fclose(f);
}

uint64_t proc_info__auxv(pid_t pid, uint64_t type)
{
	char path[64];
	Elf64_auxv_t aux;
	uint64_t value = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/auxv", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while (read(fd, &aux, sizeof(aux)) == sizeof(aux) && aux.a_type != AT_NULL) {
		if (aux.a_type == type) {
			value = aux.a_un.a_val;
			break;
		}
	}
	close(fd);
	return value;
}

pid_t proc_info__parse_ns_pid(const char *status)
{
	const char *line = strstr(status, "\nNSpid:");
	long first = 0, last = 0, v;
	char *end;
	int n;

	if (!line)
		return 0;
	line += strlen("\nNSpid:");
	for (n = 0; n < 64; n++, line = end) {
		while (*line == ' ' || *line == '\t')
			line++;
		v = strtol(line, &end, 10);
		if (end == line)
			break;
		if (!n)
			first = v;
		last = v;
	}
	return n > 1 && last != first && last > 0 && last <= INT_MAX ? (pid_t)last : 0;
}

bool proc_info__read(pid_t pid, const char *name, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd, err;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	err = n < 0 ? errno : ESRCH;
	close(fd);
	if (n <= 0) {
		errno = err;
		return false;
	}
	buf[n] = '\0';
	return true;
}

void proc_info__exe(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
}

pid_t proc_info__ns_pid(pid_t pid)
{
	char buf[4096];

	buf[0] = '\n';	/* proc_info__parse_ns_pid looks for "\nNSpid:" */
	if (!proc_info__read(pid, "status", buf + 1, sizeof(buf) - 1))
		return 0;
	return proc_info__parse_ns_pid(buf);
}

/* Field n (n >= 3) of a /proc/PID/stat text, or NULL if it is cut short. */
static const char *stat_field(const char *stat, int n)
{
	/* comm (field 2) may hold spaces and parentheses: count from the last ')' */
	const char *p = strrchr(stat, ')');
	int field;

	if (!p || !p[1])	/* nothing after the comm */
		return NULL;
	p++;
	for (field = 3; field < n; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return NULL;
	}
	return p + 1;
}

static bool stat_number(const char *stat, int n, unsigned long long *out)
{
	const char *p = stat_field(stat, n);
	char *end;

	if (!p)
		return false;
	errno = 0;
	*out = strtoull(p, &end, 10);
	return end != p && !errno && (*end == ' ' || *end == '\n' || !*end);
}

uint64_t proc_info__parse_start_ticks(const char *stat)
{
	unsigned long long v;

	return stat_number(stat, 22, &v) ? v : 0;
}

#define PF_EXITING_FLAG 0x4	/* include/linux/sched.h */

bool proc_info__parse_flags(const char *stat, unsigned long long *flags)
{
	return stat_number(stat, 9, flags);
}

bool proc_info__parse_exiting(const char *stat)
{
	unsigned long long flags;

	return proc_info__parse_flags(stat, &flags) && (flags & PF_EXITING_FLAG);
}

uint64_t proc_info__start_ticks(pid_t pid)
{
	char buf[1024];

	if (!proc_info__read(pid, "stat", buf, sizeof(buf)))
		return 0;
	return proc_info__parse_start_ticks(buf);
}
