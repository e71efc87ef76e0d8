// SPDX-License-Identifier: GPL-2.0
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "binary/dwarf_lines.h"

struct dwarf_lines {
	Dwarf *dw;
	Dwarf *alt;	/* the dwz file's DWARF, or NULL */
};

/*
 * What libdw itself leaves in a Dwarf whose alt file it looked for and did
 * not find (dwarf_getalt's "only try once"): set, it never looks.
 */
#define DWARF_ALT_NOT_FOUND ((Dwarf *)-1)

/*
 * Whether dw has a skeleton unit (split DWARF, DWARF 5 or GNU's for DWARF
 * 4): libdw would open the .dwo or .dwp file it names, by a path the file
 * gives. Units are walked without their split units (no subdie asked).
 */
static bool has_split_units(Dwarf *dw)
{
	Dwarf_CU *cu = NULL;
	uint8_t unit_type;
	Dwarf_Half version;
	Dwarf_Die cudie;

	while (!dwarf_get_units(dw, cu, &cu, &version, &unit_type, &cudie, NULL)) {
		if (unit_type == DW_UT_skeleton || dwarf_hasattr(&cudie, DW_AT_dwo_name) ||
		    dwarf_hasattr(&cudie, DW_AT_GNU_dwo_name))
			return true;
	}
	return false;
}

/*
 * Whether every string section DWARF points into ends with a NUL. libdw
 * (0.188) runs strlen on a .debug_line_str string without this check, so a
 * file whose last string is cut reads past the section: such a file's DWARF
 * is refused. Compressed sections are decompressed first, as libdw would.
 */
static bool strings_terminated(Elf *elf)
{
	static const char *const names[] = { ".debug_str", ".debug_line_str" };
	size_t shstrndx, i;
	Elf_Scn *scn = NULL;
	Elf_Data *data;
	GElf_Shdr sh;
	const char *name;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return true;	/* no section names: libdw finds no DWARF */
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)))
			continue;
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (strcmp(name, names[i]) || sh.sh_type == SHT_NOBITS)
				continue;
			if ((sh.sh_flags & SHF_COMPRESSED) && elf_compress(scn, 0, 0) < 0)
				return false;
			data = elf_getdata(scn, NULL);
			if (data && data->d_size && ((const char *)data->d_buf)[data->d_size - 1])
				return false;
		}
	}
	return true;
}

struct dwarf_lines *dwarf_lines__new(struct elf_file *ef, struct elf_file *alt)
{
	struct dwarf_lines *dl;

	if (!strings_terminated(elf_file__elf(ef))) {
		errno = EINVAL;
		return NULL;
	}
	dl = calloc(1, sizeof(*dl));
	if (!dl)
		return NULL;
	dl->dw = dwarf_begin_elf(elf_file__elf(ef), DWARF_C_READ, NULL);
	if (!dl->dw) {
		free(dl);
		errno = ENOENT;
		return NULL;
	}
	if (alt && strings_terminated(elf_file__elf(alt)))
		dl->alt = dwarf_begin_elf(elf_file__elf(alt), DWARF_C_READ, NULL);
	dwarf_setalt(dl->dw, dl->alt ? dl->alt : DWARF_ALT_NOT_FOUND);
	if (has_split_units(dl->dw)) {
		dwarf_lines__free(dl);
		errno = EOPNOTSUPP;
		return NULL;
	}
	return dl;
}

void dwarf_lines__free(struct dwarf_lines *dl)
{
	if (!dl)
		return;
	dwarf_end(dl->dw);
	dwarf_end(dl->alt);
	free(dl);
}

/* die's linkage name (through abstract origins and specifications), else its name. */
static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	const char *name;

	name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
	if (!name)
		name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
	if (!name)
		name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
	return name;
}

/* Where the inlined call die was made: *file and *line, left alone if unknown. */
static void call_site(Dwarf_Die *cu, Dwarf_Die *die, const char **file, unsigned int *line)
{
	Dwarf_Attribute attr;
	Dwarf_Files *files;
	Dwarf_Word idx, ln;

	*file = NULL;
	*line = 0;
	if (!dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &attr), &ln))
		*line = (unsigned int)ln;
	if (!dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &attr), &idx) &&
	    !dwarf_getsrcfiles(cu, &files, NULL))
		*file = dwarf_filesrc(files, idx, NULL, NULL);
}

/* vaddr's own line in the compile unit cu: *file and *line (NULL, 0 if unknown). */
static void addr_line(Dwarf_Die *cu, uint64_t vaddr, const char **file, unsigned int *line)
{
	Dwarf_Line *l = dwarf_getsrc_die(cu, vaddr);
	int ln = 0;

	*file = l ? dwarf_linesrc(l, NULL, NULL) : NULL;
	*line = l && !dwarf_lineno(l, &ln) && ln > 0 ? (unsigned int)ln : 0;
}

/* Index of the first function (out-of-line or inlined) of scopes[from..n), or -1. */
static int first_func(Dwarf_Die *scopes, int from, int n)
{
	int i, tag;

	for (i = from; i < n; i++) {
		tag = dwarf_tag(&scopes[i]);
		if (tag == DW_TAG_inlined_subroutine || tag == DW_TAG_subprogram)
			return i;
	}
	return -1;
}

/*
 * dwarf_getscopes stops at an inlined function's abstract definition: the
 * function it was inlined into comes from the scopes holding its DIE.
 */
int dwarf_lines__find(struct dwarf_lines *dl, uint64_t vaddr, struct src_frame *out, size_t max)
{
	Dwarf_Die cu, die, *scopes = NULL;
	const char *file;
	unsigned int line;
	int n, i, cnt = 0, tag;

	if (!max || !dwarf_addrdie(dl->dw, vaddr, &cu))
		return -ENOENT;
	addr_line(&cu, vaddr, &file, &line);
	n = dwarf_getscopes(&cu, vaddr, &scopes);
	i = n > 0 ? first_func(scopes, 0, n) : -1;
	while (i >= 0) {
		tag = dwarf_tag(&scopes[i]);
		/* the last slot is kept for the out-of-line function */
		if ((size_t)cnt + 1 < max || tag == DW_TAG_subprogram) {
			out[cnt].func = die_name(&scopes[i]);
			out[cnt].file = file;
			out[cnt].line = line;
			cnt++;
		}
		if (tag == DW_TAG_subprogram)
			break;
		call_site(&cu, &scopes[i], &file, &line);
		die = scopes[i];
		free(scopes);
		scopes = NULL;
		n = dwarf_getscopes_die(&die, &scopes);
		i = n > 1 ? first_func(scopes, 1, n) : -1;
	}
	free(scopes);
	if (!cnt) {	/* a line but no function DIE (assembly): the line alone */
		out[0].func = NULL;
		out[0].file = file;
		out[0].line = line;
		cnt = 1;
	}
	return cnt;
}
