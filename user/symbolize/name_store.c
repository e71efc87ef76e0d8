// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "symbolize/demangle.h"
#include "symbolize/name_store.h"
#include "symbolize/sorted_vec.h"

/* A symbol name and its demangled form (NULL: not a C++ name). */
struct cxx_name {
	char *mangled;
	char *plain;
};

struct name_store {
	struct sorted_vec names;	/* char *, by string */
	struct sorted_vec cxx;		/* struct cxx_name *, symbol names seen, by name */
};

static int cmp_name(const void *key, const void *item)
{
	return strcmp(key, item);
}

static int cmp_cxx(const void *key, const void *item)
{
	return strcmp(key, ((const struct cxx_name *)item)->mangled);
}

struct name_store *name_store__new(void)
{
	return calloc(1, sizeof(struct name_store));
}

void name_store__free(struct name_store *ns)
{
	size_t i;

	if (!ns)
		return;
	for (i = 0; i < ns->names.cnt; i++)
		free(ns->names.items[i]);
	for (i = 0; i < ns->cxx.cnt; i++) {
		struct cxx_name *c = ns->cxx.items[i];

		free(c->mangled);
		free(c->plain);
		free(c);
	}
	free(ns->names.items);
	free(ns->cxx.items);
	free(ns);
}

const char *name_store__intern(struct name_store *ns, const char *name)
{
	bool found;
	size_t idx = sorted_vec__search(&ns->names, name, cmp_name, &found);
	char *copy;

	if (found)
		return ns->names.items[idx];
	copy = strdup(name);
	if (!copy || sorted_vec__insert(&ns->names, idx, copy)) {
		free(copy);
		return NULL;
	}
	return copy;
}

const char *name_store__demangled(struct name_store *ns, const char *name)
{
	struct cxx_name *c;
	bool found;
	size_t idx;

	if (strncmp(name, "_Z", 2))
		return NULL;
	idx = sorted_vec__search(&ns->cxx, name, cmp_cxx, &found);
	if (found)
		return ((struct cxx_name *)ns->cxx.items[idx])->plain;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->mangled = strdup(name)))
		goto nomem;
	c->plain = demangle__cxx(name);
	if (!c->plain && errno == ENOMEM)
		goto nomem;
	if (sorted_vec__insert(&ns->cxx, idx, c))
		goto nomem;
	return c->plain;

nomem:
	if (c) {
		free(c->mangled);
		free(c->plain);
	}
	free(c);
	return NULL;
}

void name_store__forms(struct name_store *ns, const char *name, const char **plain,
		       const char **mangled)
{
	const char *kept = name ? name_store__intern(ns, name) : NULL;

	*plain = kept ? name_store__demangled(ns, kept) : NULL;
	*mangled = *plain ? kept : NULL;
	if (!*plain)
		*plain = kept;
}
