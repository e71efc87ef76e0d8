// SPDX-License-Identifier: GPL-2.0
/*
 * The x86-64 decoder: from every offset of the input, an instruction is
 * refused or decoded within the bytes given, 1 to 15 bytes long.
 */
#include "fuzz_input.h"
#include "binary/x86_insn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *code = fuzz_input__bytes(data, size);
	struct x86_insn insn;
	size_t off;

	for (off = 0; off < size; off++) {
		if (x86_insn__decode(code + off, size - off, &insn))
			continue;
		FUZZ_CHECK(insn.len >= 1 && insn.len <= 15 && insn.len <= size - off);
		FUZZ_CHECK(insn.cls != INSN_UNKNOWN && insn.cls <= INSN_OTHER);
		FUZZ_CHECK(insn.writes >= X86_WRITES_UNKNOWN && insn.writes <= 15);
		FUZZ_CHECK(strcmp(x86_insn__class_name(insn.cls), "?"));
		x86_insn__uprobe_emulated(&insn);
	}
	free(code);
	return 0;
}
