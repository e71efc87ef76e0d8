// SPDX-License-Identifier: GPL-2.0
/*
 * The /proc/PID/stat and /proc/PID/status parsers of proc_info: start
 * time, exiting flag and namespace PID from any text.
 */
#include "fuzz_input.h"
#include "procfs/proc_info.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_input__string(data, size);
	pid_t ns_pid;

	proc_info__parse_start_ticks(text);
	proc_info__parse_exiting(text);
	ns_pid = proc_info__parse_ns_pid(text);
	FUZZ_CHECK(ns_pid >= 0);
	free(text);
	return 0;
}
