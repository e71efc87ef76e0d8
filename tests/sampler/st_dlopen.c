// SPDX-License-Identifier: GPL-2.0
/*
 * st_dlopen: a C program (no C++ runtime at start-up) whose threads load and
 * unload a C++ library over and over (RTLD_LOCAL, as Python loads its
 * extensions), calling into it, while other threads allocate and the mode
 * cycles through dormant, sampled and exact. The C++ runtime's operators
 * then resolve late, from the library's own scope: a throwing new that gets
 * no memory still throws std::bad_alloc (not under TSan, whose operator new
 * does not return). Nothing crashes, everything ends in time.
 *
 *   st_dlopen PLUGIN.so
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include "stress.h"

#define LOADERS 2
#define MIN_LOADS 40		/* per loader */
#define MIN_CYCLES 30		/* mode changes */
#define WORKERS 2

static const char *plugin;
static int loaders_done, stop_loading, stop;
static uint64_t loads;

static void *load_loop(void *arg)
{
	int (*work)(int), (*huge)(void), i;
	void *h;

	(void)arg;
	for (i = 0; i < MIN_LOADS || !__atomic_load_n(&stop_loading, __ATOMIC_RELAXED); i++) {
		h = dlopen(plugin, RTLD_NOW | RTLD_LOCAL);
		if (!h)
			stress_fail("dlopen %s: %s", plugin, dlerror());
		work = (int (*)(int))dlsym(h, "plugin_work");
		huge = (int (*)(void))dlsym(h, "plugin_huge_new_throws");
		if (!work || !huge)
			stress_fail("plugin symbols missing");
		work(40);
		if (!stress_under_tsan() && i % 10 == 0 && !huge())
			stress_fail("operator new of SIZE_MAX / 4 in the plugin did not throw");
		if (dlclose(h))
			stress_fail("dlclose: %s", dlerror());
		__atomic_fetch_add(&loads, 1, __ATOMIC_RELAXED);
	}
	__atomic_fetch_add(&loaders_done, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void *alloc_loop(void *arg)
{
	void *ring[128] = { 0 };
	unsigned int i;

	(void)arg;
	for (i = 0; !__atomic_load_n(&stop, __ATOMIC_RELAXED); i++) {
		free(ring[i % 128]);
		ring[i % 128] = i % 3 ? malloc(8 + i % 1000) : calloc(4, 8 + i % 300);
	}
	for (i = 0; i < 128; i++)
		free(ring[i]);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t loaders[LOADERS], workers[WORKERS];
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	uint64_t generation = 100;
	int i, cycles = 0;

	stress_init("st_dlopen", 180);
	if (argc < 2)
		stress_fail("usage: st_dlopen PLUGIN.so");
	plugin = argv[1];
	if (stress_ctl().flags & MV_SAMPLER_F_SHADOWED)
		stress_fail("the library reports itself shadowed");
	for (i = 0; i < WORKERS; i++)
		if (pthread_create(&workers[i], NULL, alloc_loop, NULL))
			stress_fail("pthread_create");
	for (i = 0; i < LOADERS; i++)
		if (pthread_create(&loaders[i], NULL, load_loop, NULL))
			stress_fail("pthread_create");
	while (__atomic_load_n(&loaders_done, __ATOMIC_RELAXED) < LOADERS) {
		if (cycles == MIN_CYCLES)
			__atomic_store_n(&stop_loading, 1, __ATOMIC_RELAXED);
		switch (cycles++ % 3) {
		case 0:
			stress_attach(MV_SAMPLER_SAMPLED, 4096, ++generation);
			break;
		case 1:
			stress_attach(MV_SAMPLER_EXACT, 4096, ++generation);
			break;
		default:
			stress_detach();
			break;
		}
		nanosleep(&pause, NULL);
	}
	stress_detach();
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < LOADERS; i++)
		pthread_join(loaders[i], NULL);
	for (i = 0; i < WORKERS; i++)
		pthread_join(workers[i], NULL);
	if (stress_hooks_expected())
		stress_check_hooks();
	stress_note("%llu loads and unloads of a C++ library over %d mode changes",
		    (unsigned long long)loads, cycles);
	return 0;
}
