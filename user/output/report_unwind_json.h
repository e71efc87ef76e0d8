/* SPDX-License-Identifier: GPL-2.0 */
/* report_unwind_json: the JSON report's health.unwind object: how stacks were walked. */
#ifndef MV_REPORT_UNWIND_JSON_H
#define MV_REPORT_UNWIND_JSON_H

#include "lib/json_writer.h"
#include "probes/unwind_maps.h"

/* h as the health.unwind object. report_json calls it. */
void report_json__unwind(struct json_writer *w, const struct unwind_health *h);

#endif
