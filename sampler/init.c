// SPDX-License-Identifier: GPL-2.0
/*
 * The library's constructor: resolves the next definitions, records whether
 * the library really is first in line for the allocator, arranges for fork
 * children to reseed, and starts in the mode the environment asks for.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include "interpose.h"
#include "probes.h"
#include "resolve.h"
#include "trace.h"

/* The value of NAME=value in envp, or NULL. */
static const char *env_get(char **envp, const char *name)
{
	size_t len = strlen(name);

	for (; envp && *envp; envp++)
		if (!strncmp(*envp, name, len) && (*envp)[len] == '=')
			return *envp + len + 1;
	return NULL;
}

/* A decimal number with an optional k, m or g suffix (powers of 1024); 0 if malformed. */
static uint64_t parse_bytes(const char *s)
{
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return 0;
	v = strtoull(s, &end, 10);
	switch (*end) {
	case 'k': case 'K':
		v <<= 10;
		end++;
		break;
	case 'm': case 'M':
		v <<= 20;
		end++;
		break;
	case 'g': case 'G':
		v <<= 30;
		end++;
		break;
	}
	return *end ? 0 : v;
}

static void start_from_env(char **envp)
{
	const char *mode = env_get(envp, MV_SAMPLER_ENV_MODE);
	uint64_t period = parse_bytes(env_get(envp, MV_SAMPLER_ENV_PERIOD));
	uint64_t generation = parse_bytes(env_get(envp, MV_SAMPLER_ENV_GENERATION));

	if (!mode)
		return;
	if (!period)
		period = MV_SAMPLER_PERIOD_DEFAULT;
	if (!generation)
		generation = 1;
	if (!strcmp(mode, "sampled"))
		trace__start(MV_SAMPLER_SAMPLED, period, generation);
	else if (!strcmp(mode, "exact"))
		trace__start(MV_SAMPLER_EXACT, period, generation);
}

__attribute__((constructor)) static void sampler_init(int argc, char **argv, char **envp)
{
	(void)argc;
	(void)argv;
	resolve__all();
	interpose__resolve_cxx();
	if (interpose__shadowed())
		trace__set_flags(MV_SAMPLER_F_SHADOWED);
	if (probes__fork_guard_init())	/* without it, only fork()'s handler below repairs */
		trace__set_flags(MV_SAMPLER_F_FORK_GUARD);
	pthread_atfork(NULL, NULL, probes__fork_child);	/* first: child handlers run in order */
	if (!getauxval(AT_SECURE))
		start_from_env(envp);
	trace__set_flags(MV_SAMPLER_F_READY);
}
