/* SPDX-License-Identifier: GPL-2.0 */
/*
 * replay_command: `memvigil replay FILE [OUTPUT...]`, the reports of a
 * trace --record wrote, without tracing and without root: the final text
 * report on stdout, and -j, --jsonl, --pprof, --folded, --html as a live
 * run writes them, from the same model rebuilt record by record (replay.h).
 */
#ifndef MV_REPLAY_COMMAND_H
#define MV_REPLAY_COMMAND_H

/* argv[0] is "replay". Returns the exit status: 0, 1 on failure, 64 on bad usage. */
int replay_command__run(int argc, char **argv);

#endif
