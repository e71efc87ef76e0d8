/* SPDX-License-Identifier: GPL-2.0 */
/*
 * demangle: C++ symbol names (Itanium ABI, "_Z...") to their source form,
 * through the C++ runtime's own demangler (__cxa_demangle, linked statically
 * from GCC's libsupc++).
 */
#ifndef MV_DEMANGLE_H
#define MV_DEMANGLE_H

/*
 * The demangled form of name, malloc'ed, with its full parameter list
 * ("ns::f(int)"); NULL with errno EINVAL when name is not a mangled C++
 * name (a C name, or "_Z..." that does not parse: such names are kept as
 * they are), or ENOMEM.
 */
char *demangle__cxx(const char *name);

#endif
