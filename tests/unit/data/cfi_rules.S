/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cfi_rules.so: functions whose call frame information the cfi_table unit
 * test knows row by row, written with the assembler's .cfi directives.
 * Assembled and linked, never run.
 */
	.text

	.globl	cfi_frame
	.type	cfi_frame, @function
cfi_frame:				/* rsp+8, then rsp+16 rbp=c-16, then rbp+16 */
	.cfi_startproc
	push	%rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	mov	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	nop
	pop	%rbp
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size	cfi_frame, .-cfi_frame

	.globl	cfi_outermost
	.type	cfi_outermost, @function
cfi_outermost:				/* the return address is undefined: end of stack */
	.cfi_startproc
	.cfi_undefined %rip
	nop
	hlt
	.cfi_endproc
	.size	cfi_outermost, .-cfi_outermost

	.globl	cfi_state
	.type	cfi_state, @function
cfi_state:				/* remember_state / restore_state around an early return */
	.cfi_startproc
	push	%rbx
	.cfi_def_cfa_offset 16
	.cfi_offset %rbx, -16
	test	%rdi, %rdi
	je	1f
	.cfi_remember_state
	pop	%rbx
	.cfi_def_cfa_offset 8
	.cfi_restore %rbx
	ret
1:
	.cfi_restore_state
	pop	%rbx
	.cfi_def_cfa_offset 8
	ret
	.cfi_endproc
	.size	cfi_state, .-cfi_state

	.globl	cfi_big
	.type	cfi_big, @function
cfi_big:				/* a frame of 128 KiB: the offset needs the x8 scale */
	.cfi_startproc
	sub	$0x20000, %rsp
	.cfi_def_cfa_offset 0x20008
	add	$0x20000, %rsp
	.cfi_def_cfa_offset 8
	ret
	.cfi_endproc
	.size	cfi_big, .-cfi_big

	.globl	cfi_realign
	.type	cfi_realign, @function
cfi_realign:				/* CFA in %r10 and then an expression: unsupported */
	.cfi_startproc
	lea	8(%rsp), %r10
	.cfi_def_cfa %r10, 0
	and	$-16, %rsp
	/* DW_CFA_def_cfa_expression: DW_OP_breg6 -8; DW_OP_deref */
	.cfi_escape 0x0f, 0x03, 0x76, 0x78, 0x06
	nop
	ret
	.cfi_endproc
	.size	cfi_realign, .-cfi_realign

	.globl	cfi_signal
	.type	cfi_signal, @function
cfi_signal:				/* a signal frame: unsupported */
	.cfi_startproc
	.cfi_signal_frame
	nop
	ret
	.cfi_endproc
	.size	cfi_signal, .-cfi_signal

	.section .note.GNU-stack, "", @progbits
