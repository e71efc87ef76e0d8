// SPDX-License-Identifier: GPL-2.0
/*
 * plugin.so: a C++ library that st_dlopen loads and unloads over and over
 * from a C program, so that the C++ runtime and its operators new and
 * delete arrive after start-up. Its static objects allocate when it is
 * loaded and free when it is unloaded.
 */
#include <cstdint>
#include <map>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

static std::vector<std::string> names(64, std::string(100, 'x'));

extern "C" int plugin_work(int n)
{
	std::map<int, std::string> m;
	int sum = 0;

	for (int i = 0; i < n; i++) {
		m[i] = std::string(50 + i % 200, 'a');
		int *a = new int[i % 31 + 1];
		a[0] = i;
		sum += a[0];
		delete[] a;
		auto *d = new (std::align_val_t(64)) double(i);
		::operator delete(d, std::align_val_t(64));
		int *nt = new (std::nothrow) int(i);
		delete nt;
	}
	try {
		throw std::runtime_error(std::string(300, 'e'));
	} catch (const std::exception &e) {
		sum += (int)names.size() + (int)e.what()[0];
	}
	return sum + (int)m.size();
}

/* Whether a throwing operator new that gets no memory throws std::bad_alloc here. */
extern "C" int plugin_huge_new_throws(void)
{
	try {
		char *p = new char[SIZE_MAX / 4];
		asm volatile("" : : "r"(p) : "memory");
		return 0;
	} catch (const std::bad_alloc &) {
		return 1;
	}
}
