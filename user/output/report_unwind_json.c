// SPDX-License-Identifier: GPL-2.0
/* The report's health.unwind object: how stacks were walked (report_json.h). */
#include "lib/json_writer.h"
#include "output/report_json.h"
#include "probes/unwind_maps.h"

static void write_objects(struct json_writer *w, const struct unwind_tables_stats *o)
{
	uint32_t r;

	json_object_begin(w);
	json_u64_field(w, "with_table", o->objects);
	json_u64_field(w, "tables_built", o->tables_built);
	json_key(w, "build_ms");
	json_double(w, o->build_ns / 1e6);
	json_u64_field(w, "rows_used", o->rows_used);
	json_u64_field(w, "rows_cap", o->rows_cap);
	json_key(w, "refused");
	json_object_begin(w);
	for (r = 0; r < UNWIND_REFUSED_CNT; r++)
		json_u64_field(w, unwind_tables__refusal_name(r), o->refused[r]);
	json_object_end(w);
	json_u64_field(w, "mappings_dropped", o->mappings_dropped);
	json_object_end(w);
}

void report_json__unwind(struct json_writer *w, const struct unwind_health *h)
{
	uint32_t s;

	json_object_begin(w);
	json_key(w, "method");
	json_string(w, h->tables ? "tables" : "frame_pointers");
	if (h->tables) {
		json_key(w, "objects");
		write_objects(w, &h->objects);
		json_u64_field(w, "processes_updated", h->procs_updated);
		json_u64_field(w, "processes_failed", h->procs_failed);
		json_key(w, "walks");
		json_object_begin(w);
		for (s = 0; s < UNWIND_STOP_CNT; s++)
			json_u64_field(w, unwind_maps__stop_name(s), h->walks[s]);
		json_object_end(w);
		json_u64_field(w, "frames_table", h->frames_table);
		json_u64_field(w, "frames_fp", h->frames_fp);
	}
	json_object_end(w);
}
