/* SPDX-License-Identifier: GPL-2.0 */
/*
 * name_store: the strings the symbolizer hands out (module paths, source
 * files, symbol names and their demangled forms), each kept once and for as
 * long as the store; C++ names are demangled on first sight.
 */
#ifndef MV_NAME_STORE_H
#define MV_NAME_STORE_H

struct name_store;

struct name_store *name_store__new(void);
void name_store__free(struct name_store *ns);

/* A copy of name that lives as long as ns, or NULL on ENOMEM. */
const char *name_store__intern(struct name_store *ns, const char *name);

/*
 * The demangled form of a symbol name, kept as long as ns; NULL when name
 * is not a mangled C++ name (or on ENOMEM: the name is then shown as it is).
 */
const char *name_store__demangled(struct name_store *ns, const char *name);

/*
 * name (NULL allowed) as shown and as mangled: *plain its demangled form or
 * its copy, *mangled its copy when it was demangled, else NULL.
 */
void name_store__forms(struct name_store *ns, const char *name, const char **plain,
		       const char **mangled);

#endif
