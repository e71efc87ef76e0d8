// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "symbolize/demangle.h"

/* The C++ runtime's demangler (cxxabi.h; in libsupc++), callable from C. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

char *demangle__cxx(const char *name)
{
	char *out;
	int status = 0;

	/*
	 * Only "_Z" names are function symbols: __cxa_demangle also accepts
	 * bare type encodings, and would turn a C function named "i" into "int".
	 */
	if (!name || strncmp(name, "_Z", 2)) {
		errno = EINVAL;
		return NULL;
	}
	out = __cxa_demangle(name, NULL, NULL, &status);
	if (out && !status)
		return out;
	free(out);
	errno = status == -1 ? ENOMEM : EINVAL;
	return NULL;
}
