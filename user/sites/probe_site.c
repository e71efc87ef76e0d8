// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "binary/x86_insn.h"
#include "sites/probe_site.h"

#define MAX_SKIPPED_INSNS 4

static void at_entry(struct probe_site *out, const struct x86_insn *first, const char *why)
{
	out->offset = 0;
	out->emulated = first && x86_insn__uprobe_emulated(first);
	snprintf(out->why, sizeof(out->why), "%s", why);
}

void probe_site__choose(const uint8_t *code, size_t avail, struct probe_site *out)
{
	struct x86_insn insn, first;
	size_t off = 0;
	int i;

	memset(out, 0, sizeof(*out));
	if (x86_insn__decode(code, avail, &first)) {
		at_entry(out, NULL, "entry: first instruction not decoded");
		return;
	}
	if (x86_insn__uprobe_emulated(&first)) {
		at_entry(out, &first, "entry: emulated instruction");
		snprintf(out->why, sizeof(out->why), "entry: emulated %s",
			 x86_insn__class_name(first.cls));
		return;
	}
	insn = first;
	for (i = 0; i < MAX_SKIPPED_INSNS; i++) {
		if (insn.cls != INSN_FLAGS_ONLY && insn.cls != INSN_ENDBR)
			break;
		off += insn.len;
		if (off >= avail || x86_insn__decode(code + off, avail - off, &insn))
			break;
		if (x86_insn__uprobe_emulated(&insn)) {
			out->offset = off;
			out->emulated = true;
			snprintf(out->why, sizeof(out->why),
				 "first emulated instruction (%s) after flags-only ones",
				 x86_insn__class_name(insn.cls));
			return;
		}
	}
	snprintf(out->why, sizeof(out->why), "entry: %s is single-stepped and no equivalent "
		 "emulated site follows", x86_insn__class_name(first.cls));
	out->offset = 0;
	out->emulated = false;
}

bool probe_site__is_branch_target(const uint8_t *text, size_t len, uint64_t text_vaddr,
				  uint64_t target_vaddr)
{
	size_t i;
	int32_t rel;

	for (i = 0; i < len; i++) {
		uint8_t b = text[i];
		uint64_t next = 0;

		if ((b == 0xe8 || b == 0xe9) && i + 5 <= len) {
			memcpy(&rel, text + i + 1, 4);
			next = text_vaddr + i + 5;
		} else if (b == 0x0f && i + 6 <= len && text[i + 1] >= 0x80 && text[i + 1] <= 0x8f) {
			memcpy(&rel, text + i + 2, 4);
			next = text_vaddr + i + 6;
		} else if ((b == 0xeb || (b >= 0x70 && b <= 0x7f)) && i + 2 <= len) {
			rel = (int8_t)text[i + 1];
			next = text_vaddr + i + 2;
		} else {
			continue;
		}
		if (next + (int64_t)rel == target_vaddr)
			return true;
	}
	return false;
}
