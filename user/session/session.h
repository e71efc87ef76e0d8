/* SPDX-License-Identifier: GPL-2.0 */
/*
 * session: one run of memvigil once its options are parsed: checks that need
 * no BPF, the target (a PID, a launched command, a cgroup), the probes, the
 * event loop with its interval reports and alerts, the final reports, and
 * nothing left attached.
 */
#ifndef MV_SESSION_H
#define MV_SESSION_H

#include "session/options.h"

/* Run the session opts describe; returns memvigil's exit status. */
int session__run(const struct options *opts);

#endif
