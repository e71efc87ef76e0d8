/* SPDX-License-Identifier: GPL-2.0 */
/*
 * diff_command: `memvigil diff OLD.json NEW.json [-j]`, how the outstanding
 * heap of two JSON reports (-j) differs by stack: the stacks that grew,
 * shrank, appeared and disappeared, matched by their frames' names
 * (analysis/stack_diff.h), with their byte and block changes. Text by
 * default; -j writes JSON (docs/diff.schema.json). No tracing, no root.
 */
#ifndef MV_DIFF_COMMAND_H
#define MV_DIFF_COMMAND_H

/* argv[0] is "diff". Returns the exit status: 0, 1 on failure, 64 on bad usage. */
int diff_command__run(int argc, char **argv);

#endif
