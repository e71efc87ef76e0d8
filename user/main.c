// SPDX-License-Identifier: GPL-2.0
/*
 * memvigil: trace processes' heaps with eBPF and report outstanding
 * allocations by call stack. main() parses the options and runs the
 * session (session/session.c), `memvigil html` (session/html_command.c),
 * `memvigil replay` (session/replay_command.c) or `memvigil diff` (session/diff_command.c);
 * docs/ARCHITECTURE.md shows the stages.
 */
#include <string.h>
#include "lib/log.h"
#include "session/diff_command.h"
#include "session/html_command.h"
#include "session/options.h"
#include "session/replay_command.h"
#include "session/session.h"

int main(int argc, char **argv)
{
	static struct options opts;
	char err[512];

	if (argc > 1 && !strcmp(argv[1], "html"))
		return html_command__run(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "diff"))
		return diff_command__run(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "replay"))
		return replay_command__run(argc - 1, argv + 1);
	if (options__parse(argc, argv, &opts, err, sizeof(err))) {
		log_error("%s", err);
		return MV_EXIT_USAGE;
	}
	log_set_level(LOG_WARN + opts.verbose);
	return session__run(&opts);
}
