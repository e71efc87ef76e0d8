// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include "symbolize/demangle.h"

static void assert_demangles(const char *mangled, const char *want)
{
	char *got = demangle__cxx(mangled);

	cr_assert_not_null(got, "%s did not demangle", mangled);
	cr_assert_str_eq(got, want);
	free(got);
}

static void assert_kept(const char *name)
{
	errno = 0;
	cr_assert_null(demangle__cxx(name), "%s was demangled", name ? name : "(null)");
	cr_assert_eq(errno, EINVAL);
}

Test(demangle, function_gets_its_namespace_and_parameter_list)
{
	assert_demangles("_ZN5Cache3putERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE",
			 "Cache::put(std::__cxx11::basic_string<char, std::char_traits<char>, "
			 "std::allocator<char> > const&)");
	assert_demangles("_Z13leak_sessionsv", "leak_sessions()");
}

Test(demangle, operators_and_clones_demangle)
{
	assert_demangles("_Znwm", "operator new(unsigned long)");
	assert_demangles("_ZdlPvm", "operator delete(void*, unsigned long)");
	assert_demangles("_Z3fooi.cold", "foo(int) [clone .cold]");
}

Test(demangle, c_name_is_not_demangled)
{
	assert_kept("malloc");
	/* a bare type encoding is not a function symbol: "i" is not "int" */
	assert_kept("i");
	assert_kept("");
	assert_kept(NULL);
}

Test(demangle, malformed_mangled_name_is_not_demangled)
{
	assert_kept("_Z");
	assert_kept("_Zmv_not_cxx");
	assert_kept("_ZN3foo");
}
