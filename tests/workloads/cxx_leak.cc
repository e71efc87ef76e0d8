// SPDX-License-Identifier: GPL-2.0
/*
 * cxx_leak: leaks through C++ operator new and new[], with known sizes, and
 * churns through new/delete (sized and unsized) and aligned new/delete. The
 * ground truth (as in alloc_family) names the leaking functions as in
 * the source; memvigil reports them demangled ("leak_sessions()").
 */
#include <cstdio>
#include <cstring>
#include <new>
#include "truth.h"

namespace {

struct Session {
	char name[200];
	long id;
};

struct alignas(64) Aligned {
	char bytes[192];
};

struct Truth {
	const char *func;
	unsigned long long bytes, allocs;
};

Truth truth[2] = { { "leak_sessions", 0, 0 }, { "leak_buffers", 0, 0 } };
void *volatile kept[64];
int kept_cnt;
volatile unsigned char sink;

void keep(int which, void *p, unsigned long long bytes)
{
	memset(p, 0x33, bytes);
	sink = static_cast<unsigned char *>(p)[bytes - 1];
	kept[kept_cnt++] = p;
	truth[which].bytes += bytes;
	truth[which].allocs++;
}

} // namespace

/* 7 objects of sizeof(Session) bytes through operator new */
__attribute__((noinline)) void leak_sessions()
{
	for (int i = 0; i < 7; i++)
		keep(0, new Session(), sizeof(Session));
}

/* 5 arrays of 1000 + 8 * i chars through operator new[] */
__attribute__((noinline)) void leak_buffers()
{
	for (int i = 0; i < 5; i++)
		keep(1, new char[1000 + 8 * i], 1000 + 8 * i);
}

/* new and delete of every flavour; nothing stays */
__attribute__((noinline)) void churn_objects()
{
	for (int i = 0; i < 9; i++) {
		Session *s = new Session();
		char *a = new char[300];
		Aligned *al = new Aligned();
		Session *nt = new (std::nothrow) Session();

		s->id = i;
		a[0] = 1;
		al->bytes[0] = 2;
		delete s;
		delete[] a;
		delete al;
		delete nt;
	}
}

int main()
{
	churn_objects();
	leak_sessions();
	leak_buffers();
	churn_objects();
	for (const Truth &t : truth)
		truth_leak(t.func, t.bytes, t.allocs);
	truth_clean("churn_objects");
	truth_done();
	return 0;
}
