/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The probe functions of include/memvigil/sampler.h. Written in assembly so
 * that the 5-byte nop is exactly the first instruction (no endbr64, no
 * frame set-up before it) whatever the compiler flags. Each has a second,
 * hidden name at the same address for the library's own direct calls.
 *
 * With MVS_TEST_HOOKS (test builds only) each then jumps, with its
 * arguments untouched, to the program's memvigil_sampler_test_on_alloc or
 * memvigil_sampler_test_on_free when the program defines one.
 */

#define PROBE_FUNCTION(name, hidden_name, hook)	\
	.p2align 4;				\
	.globl name;				\
	.type name, @function;			\
	.globl hidden_name;			\
	.hidden hidden_name;			\
	.type hidden_name, @function;		\
name:						\
hidden_name:					\
	.cfi_startproc;				\
	.byte 0x0f, 0x1f, 0x44, 0x00, 0x00;	\
	HOOK(hook)				\
	ret;					\
	.cfi_endproc;				\
	.size name, . - name;			\
	.size hidden_name, . - hidden_name

#ifdef MVS_TEST_HOOKS
#define HOOK(hook)				\
	movq hook@GOTPCREL(%rip), %rax;		\
	testq %rax, %rax;			\
	jz 1f;					\
	jmp *%rax;				\
1:
	.weak memvigil_sampler_test_on_alloc
	.weak memvigil_sampler_test_on_free
#else
#define HOOK(hook)
#endif

	.text
PROBE_FUNCTION(memvigil_sampler_alloc, mvs_probe_alloc, memvigil_sampler_test_on_alloc)
PROBE_FUNCTION(memvigil_sampler_free, mvs_probe_free, memvigil_sampler_test_on_free)

	.section .note.GNU-stack, "", @progbits
