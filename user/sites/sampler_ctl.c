// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "lib/clock.h"
#include "procfs/procmem.h"
#include "sites/sampler_ctl.h"

int64_t sampler_ctl__parse_timens(const char *text)
{
	const char *line = text;
	int64_t sec, nsec;

	while (line && *line) {
		if (sscanf(line, "monotonic %" SCNd64 " %" SCNd64, &sec, &nsec) == 2)
			return sec * 1000000000LL + nsec;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return 0;
}

int sampler_ctl__open(struct sampler_ctl *c, pid_t pid)
{
	char path[64], text[256];

	c->generation = c->lease_end_ns = 0;
	snprintf(path, sizeof(path), "/proc/%d/timens_offsets", pid);
	c->clock_offset_ns = procmem__read_file(path, text, sizeof(text)) > 0 ?
			     sampler_ctl__parse_timens(text) : 0;
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	c->mem_fd = open(path, O_RDWR | O_CLOEXEC);
	return c->mem_fd < 0 ? -errno : 0;
}

void sampler_ctl__close(struct sampler_ctl *c)
{
	if (c->mem_fd >= 0)
		close(c->mem_fd);
	c->mem_fd = -1;
}

int sampler_ctl__read(const struct sampler_ctl *c, struct memvigil_sampler_ctl *out)
{
	ssize_t n = pread(c->mem_fd, out, sizeof(*out), (off_t)c->addr);

	if (n < 0)
		return -errno;
	return n == sizeof(*out) ? 0 : -EIO;
}

/* One field, one pwrite: the library sees the fields change in the order written. */
static int write_field(const struct sampler_ctl *c, size_t offset, const void *v, size_t len)
{
	ssize_t n = pwrite(c->mem_fd, v, len, (off_t)(c->addr + offset));

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

#define WRITE_FIELD(c, field, value) \
	write_field(c, offsetof(struct memvigil_sampler_ctl, field), &(value), sizeof(value))

/* now + lease_ns on the process's CLOCK_MONOTONIC. */
static uint64_t lease_end(const struct sampler_ctl *c, uint64_t lease_ns)
{
	return clock__mono_ns() + c->clock_offset_ns + lease_ns;
}

uint64_t sampler_ctl__next_generation(uint64_t held)
{
	return held + 1 ? held + 1 : 1;
}

int sampler_ctl__attach(struct sampler_ctl *c, uint32_t mode, uint64_t period_bytes,
			uint64_t generation, uint64_t lease_ns)
{
	struct memvigil_sampler_ctl cur;
	uint32_t dormant = MV_SAMPLER_DORMANT;
	int ret = sampler_ctl__read(c, &cur);
	uint64_t lease;

	if (!ret && cur.mode != MV_SAMPLER_DORMANT)
		ret = WRITE_FIELD(c, mode, dormant);
	lease = lease_end(c, lease_ns);
	if (!ret && mode == MV_SAMPLER_SAMPLED)
		ret = WRITE_FIELD(c, period_bytes, period_bytes);
	if (!ret)
		ret = WRITE_FIELD(c, lease_end_ns, lease);
	if (!ret)
		ret = WRITE_FIELD(c, generation, generation);
	if (!ret)
		ret = WRITE_FIELD(c, mode, mode);
	if (ret)
		return ret;
	c->generation = generation;
	c->lease_end_ns = lease;
	return 0;
}

int sampler_ctl__renew(struct sampler_ctl *c, uint64_t lease_ns)
{
	uint64_t lease = lease_end(c, lease_ns);
	int ret = WRITE_FIELD(c, lease_end_ns, lease);

	if (!ret)
		c->lease_end_ns = lease;
	return ret;
}

int sampler_ctl__detach(struct sampler_ctl *c)
{
	uint32_t dormant = MV_SAMPLER_DORMANT;

	c->generation = 0;
	return c->mem_fd < 0 ? -EBADF : WRITE_FIELD(c, mode, dormant);
}
