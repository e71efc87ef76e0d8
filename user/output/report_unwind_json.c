// SPDX-License-Identifier: GPL-2.0
#include "output/report_unwind_json.h"

static void write_objects(struct json_writer *w, const struct unwind_tables_stats *o)
{
	uint32_t r;

	json_object_begin(w);
	json_u64_field(w, "with_table", o->objects);
	json_u64_field(w, "tables_built", o->tables_built);
	json_u64_field(w, "tables_shared", o->tables_shared);
	json_double_field(w, "build_ms", o->build_ns / 1e6);
	json_u64_field(w, "rows_used", o->rows_used);
	json_u64_field(w, "rows_cap", o->rows_cap);
	json_object_field_begin(w, "refused");
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
	json_string_field(w, "method", h->tables ? "tables" : "frame_pointers");
	if (h->tables) {
		json_key(w, "objects");
		write_objects(w, &h->objects);
		json_u64_field(w, "processes_updated", h->procs_updated);
		json_u64_field(w, "processes_failed", h->procs_failed);
		json_object_field_begin(w, "walks");
		for (s = 0; s < UNWIND_STOP_CNT; s++)
			json_u64_field(w, unwind_maps__stop_name(s), h->walks[s]);
		json_object_end(w);
		json_u64_field(w, "frames_table", h->frames_table);
		json_u64_field(w, "frames_fp", h->frames_fp);
	}
	json_object_end(w);
}
