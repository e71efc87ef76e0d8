// SPDX-License-Identifier: GPL-2.0
/* session_record: what the session writes to --record besides the taps of ingest/. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/log.h"
#include "session/record_final.h"
#include "session/session_state.h"

extern char **environ;

void session__record_meta(struct session *s)
{
	char buf[64];
	struct utsname u;
	char **e;
	int i;

	if (!s->rec)
		return;
	recorder__meta(s->rec, "memvigil", MV_VERSION);
	recorder__meta(s->rec, "kernel", uname(&u) ? "" : u.release);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)s->t0_ns);
	recorder__meta(s->rec, "t0_ns", buf);
	snprintf(buf, sizeof(buf), "%lld", (long long)s->started_wall);
	recorder__meta(s->rec, "started", buf);
	for (i = 0; i < s->opts.argc; i++)
		recorder__meta(s->rec, "arg", s->opts.argv[i]);
	/* the options a MEMVIGIL_* variable gave */
	for (e = environ; e && *e; e++)
		if (!strncmp(*e, "MEMVIGIL_", 9) && strncmp(*e, "MEMVIGIL_TEST_", 14))
			recorder__meta(s->rec, "env", *e);
}

int session__record_close(struct session *s)
{
	static char buf[RECORD_MAX_PAYLOAD];
	struct final_report fr;
	struct record_final rf;
	bool failed;
	size_t len;
	int ret;

	session__build_report(s, &fr);
	rf = (struct record_final){
		.now_ms = fr.ctx.now_ms, .health = fr.ctx.health, .unwind = fr.unwind,
		.has_unwind = fr.ctx.health.unwind != NULL,
		.text_mappings_followed = probes__kernel_features(s->probes) & PROBES_K_MAPS,
		.return_probe = fr.ctx.health.return_probe, .cgroup = fr.ctx.target.cgroup,
		.kernel = fr.ctx.kernel, .started_at = fr.ctx.started_at,
	};
	recorder__objects(s->rec, s->sym);
	len = record_final__encode(&rf, buf, sizeof(buf));
	recorder__put(s->rec, REC_FINAL, buf, len);
	failed = recorder__failed(s->rec);	/* a write error already said */
	ret = recorder__close(s->rec, s->err, sizeof(s->err));
	if (ret && !failed)
		log_error("%s", s->err);
	else
		log_info("recorded %llu records, %llu bytes compressed, to %s",
			 (unsigned long long)recorder__records(s->rec),
			 (unsigned long long)recorder__bytes(s->rec), s->opts.record_path);
	return ret;
}
