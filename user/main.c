// SPDX-License-Identifier: GPL-2.0
/*
 * memvigil: trace processes' heaps with eBPF and report outstanding
 * allocations by call stack. main() parses the options and runs the
 * session (session/session.c); docs/ARCHITECTURE.md shows the stages.
 */
#include "lib/log.h"
#include "session/options.h"
#include "session/session.h"

int main(int argc, char **argv)
{
	static struct options opts;
	char err[512];

	if (options__parse(argc, argv, &opts, err, sizeof(err))) {
		log_error("%s", err);
		return MV_EXIT_USAGE;
	}
	log_set_level(LOG_WARN + opts.verbose);
	return session__run(&opts);
}
