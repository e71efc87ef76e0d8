// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include "session/record_final.h"

/* The fixed part of REC_FINAL; four NUL-terminated strings follow. */
struct final_fixed {
	uint64_t lost[MV_LOSS_CNT];
	uint64_t files_skipped, debug_files_skipped, alerts_not_kept, on_alert_skipped;
	double fork_attach_max_ms, fork_attach_median_ms;
	struct unwind_health unwind;
	uint32_t now_ms, pad0;
	uint32_t attached, attach_failed, fork_attach_cnt, kernel_signals;
	uint8_t mappings_followed, text_mappings_followed, has_unwind, has_return_probe;
	uint8_t has_cgroup, pad[3];
};

/* Append s (NULL as "") with its NUL at *at; false when it does not fit. */
static bool put_string(char *buf, size_t cap, size_t *at, const char *s)
{
	size_t n = strlen(s ? s : "") + 1;

	if (*at + n > cap)
		return false;
	memcpy(buf + *at, s ? s : "", n);
	*at += n;
	return true;
}

size_t record_final__encode(const struct record_final *rf, void *buf, size_t cap)
{
	const struct report_health *h = &rf->health;
	struct final_fixed f = {
		.files_skipped = h->files_skipped, .debug_files_skipped = h->debug_files_skipped,
		.alerts_not_kept = h->alerts_not_kept, .on_alert_skipped = h->on_alert_skipped,
		.fork_attach_max_ms = h->fork_attach_max_ms,
		.fork_attach_median_ms = h->fork_attach_median_ms, .unwind = rf->unwind,
		.now_ms = rf->now_ms,
		.attached = h->attached, .attach_failed = h->attach_failed,
		.fork_attach_cnt = h->fork_attach_cnt, .kernel_signals = h->kernel_signals,
		.mappings_followed = h->mappings_followed,
		.text_mappings_followed = rf->text_mappings_followed, .has_unwind = rf->has_unwind,
		.has_return_probe = rf->return_probe != NULL, .has_cgroup = rf->cgroup != NULL,
	};
	size_t at = sizeof(f);

	memcpy(f.lost, h->lost, sizeof(f.lost));
	if (cap < sizeof(f))
		return 0;
	memcpy(buf, &f, sizeof(f));
	if (!put_string(buf, cap, &at, rf->return_probe) || !put_string(buf, cap, &at, rf->cgroup) ||
	    !put_string(buf, cap, &at, rf->kernel) || !put_string(buf, cap, &at, rf->started_at))
		return 0;
	return at;
}

/* The next NUL-terminated string of p[*at..len), or NULL. */
static const char *get_string(const char *p, size_t len, size_t *at)
{
	const char *s = p + *at, *nul = *at < len ? memchr(s, '\0', len - *at) : NULL;

	if (!nul)
		return NULL;
	*at += nul - s + 1;
	return s;
}

int record_final__decode(const void *payload, size_t len, struct record_final *rf)
{
	struct final_fixed f;
	size_t at = sizeof(f);

	if (len < sizeof(f))
		return -EBADMSG;
	memcpy(&f, payload, sizeof(f));
	*rf = (struct record_final){
		.now_ms = f.now_ms,
		.text_mappings_followed = f.text_mappings_followed, .has_unwind = f.has_unwind,
		.unwind = f.unwind,
		.health = {
			.files_skipped = f.files_skipped, .debug_files_skipped = f.debug_files_skipped,
			.alerts_not_kept = f.alerts_not_kept, .on_alert_skipped = f.on_alert_skipped,
			.fork_attach_max_ms = f.fork_attach_max_ms,
			.fork_attach_median_ms = f.fork_attach_median_ms,
			.attached = f.attached, .attach_failed = f.attach_failed,
			.fork_attach_cnt = f.fork_attach_cnt, .kernel_signals = f.kernel_signals,
			.mappings_followed = f.mappings_followed,
		},
	};
	memcpy(rf->health.lost, f.lost, sizeof(f.lost));
	rf->return_probe = get_string(payload, len, &at);
	rf->cgroup = get_string(payload, len, &at);
	rf->kernel = get_string(payload, len, &at);
	rf->started_at = get_string(payload, len, &at);
	if (!rf->return_probe || !rf->cgroup || !rf->kernel || !rf->started_at)
		return -EBADMSG;
	if (!f.has_return_probe)
		rf->return_probe = NULL;
	if (!f.has_cgroup)
		rf->cgroup = NULL;
	return 0;
}
