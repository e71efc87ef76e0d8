// SPDX-License-Identifier: GPL-2.0
/* /metrics: the Prometheus text of a report context; labels escaped, series bounded. */
#include "report_fixture.h"
#include "output/report_html.h"
#include "serve/api.h"
#include "serve/metrics_prom.h"

static char *prom_of(const struct report_ctx *ctx)
{
	struct server_stats http = { .requests = 5, .rejected = 2 };
	struct prom_extra x = { .http = &http, .self_cpu_s = 1.5, .self_rss_bytes = NAN };
	struct fx_buf b;

	cr_assert_eq(metrics_prom__write(fx_buf_open(&b), ctx, &x), 0);
	return (char *)fx_buf_text(&b);
}

static char *label_of(const char *s)
{
	struct fx_buf b;

	metrics_prom__label_value(fx_buf_open(&b), s);
	return (char *)fx_buf_text(&b);
}

Test(metrics_prom, label_values_escape_quotes_backslashes_and_newlines)
{
	char *v = label_of("a\"b\\c\nd\x01" "e\x7f");

	cr_assert_str_eq(v, "a\\\"b\\\\c\\nd?e?");
	free(v);
	v = label_of("gr\xc3\xbc\xc3\x9f \xff\xc3");
	cr_assert_str_eq(v, "gr\xc3\xbc\xc3\x9f ??", "valid UTF-8 kept, invalid bytes replaced");
	free(v);
}

Test(metrics_prom, each_process_has_its_series_with_pid_comm_and_cgroup)
{
	struct fixture f;
	struct report_ctx ctx;
	char *text;

	fixture__exact(&f);
	fixture__ctx(&f, &ctx);
	text = prom_of(&ctx);
	cr_assert(strstr(text, "memvigil_heap_outstanding_bytes{pid=\"100\",comm=\"app\","
			 "cgroup=\"/workload.slice/app\"} "), "%s", text);
	cr_assert(strstr(text, "memvigil_rss_bytes{pid=\"101\",comm=\"worker?[1m\""), "%s", text);
	cr_assert(strstr(text, "memvigil_events_lost_total{reason=\"ringbuf_full\"} 1\n"));
	cr_assert(strstr(text, "memvigil_http_requests_total 5\n"));
	cr_assert_null(strstr(text, "memvigil_self_resident_bytes"), "unknown: no series");
	cr_assert_null(strstr(text, "pid=\"102\",comm=\"helper\"} "), "no heap: no heap series");
	free(text);
	fixture__free(&f);
}

Test(metrics_prom, every_family_is_declared_once_before_its_samples)
{
	struct fixture f;
	struct report_ctx ctx;
	char *text, *save = NULL, *line, declared[64] = "";

	fixture__exact(&f);
	fixture__ctx(&f, &ctx);
	text = prom_of(&ctx);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "# TYPE ", 7)) {
			cr_assert(sscanf(line + 7, "%63s", declared) == 1);
			cr_assert(!strcmp(line + 7 + strlen(declared), " gauge") ||
				  !strcmp(line + 7 + strlen(declared), " counter"), "%s", line);
			cr_assert(strstr(declared, "memvigil_") == declared);
			cr_assert_eq(!strcmp(line + 7 + strlen(declared), " counter"),
				     strlen(declared) > 6 &&
				     !strcmp(declared + strlen(declared) - 6, "_total"), "%s", line);
		} else if (line[0] != '#') {
			cr_assert(!strncmp(line, declared, strlen(declared)) &&
				  (line[strlen(declared)] == '{' || line[strlen(declared)] == ' '),
				  "%s outside its family %s", line, declared);
		}
	}
	free(text);
	fixture__free(&f);
}

Test(metrics_prom, an_exited_process_is_dropped_after_the_grace_period)
{
	struct fixture f;
	struct report_ctx ctx;
	char *text;

	fixture__exact(&f);
	fixture__ctx(&f, &ctx);
	text = prom_of(&ctx);
	cr_assert(strstr(text, "pid=\"101\""), "exited at 9 s, now 10 s: still shown");
	free(text);
	ctx.now_ms = 8000 + PROM_EXITED_GRACE_MS + 1;	/* last seen alive at 8 s */
	text = prom_of(&ctx);
	cr_assert_null(strstr(text, "pid=\"101\""));
	cr_assert(strstr(text, "pid=\"100\""), "the running one stays");
	free(text);
	fixture__free(&f);
}

Test(metrics_prom, series_stop_at_the_cap_and_the_rest_is_counted)
{
	struct fixture f;
	struct report_ctx ctx;
	char *text, want[96];
	pid_t pid;

	fixture__exact(&f);
	for (pid = 1000; pid < 1000 + PROM_PROCS_MAX; pid++)
		fx_proc(f.m, pid, "many", NULL, 0, 0, NULL);
	fixture__ctx(&f, &ctx);
	text = prom_of(&ctx);
	snprintf(want, sizeof(want), "memvigil_series_processes_dropped %d\n", 3);
	cr_assert(strstr(text, want), "%s", strstr(text, "memvigil_series_processes_dropped"));
	cr_assert(strstr(text, "pid=\"100\""), "the most outstanding bytes are kept");
	free(text);
	fixture__free(&f);
}

Test(metrics_prom, exited_processes_dropped_are_counted)
{
	struct fixture f;
	struct report_ctx ctx;
	char *text;

	fixture__exact(&f);	/* pid 103 was dropped */
	fixture__ctx(&f, &ctx);
	text = prom_of(&ctx);
	cr_assert(strstr(text, "\nmemvigil_exited_processes_dropped_total 1\n"), "%s", text);
	cr_assert_null(strstr(text, "pid=\"103\""));
	free(text);
	fixture__free(&f);
}

/* The reply to target on the fixture. */
static struct server_reply answer(const struct report_ctx *ctx, const char *target)
{
	struct prom_extra x = { .self_rss_bytes = NAN };
	struct server_reply out;
	struct api_route r;

	cr_assert_eq(api_route__parse(target, &r), 200, "%s", target);
	api__answer(ctx, &x, &r, &out);
	return out;
}

Test(api, endpoints_answer_from_the_report_context)
{
	struct fixture f;
	struct report_ctx ctx;
	struct server_reply out;

	fixture__exact(&f);
	fixture__ctx(&f, &ctx);
	out = answer(&ctx, "/api/v1/processes");
	cr_assert_eq(out.status, 200);
	cr_assert_str_eq(out.type, "application/json");
	cr_assert(strstr(out.body, "\"pid\":101,\"comm\":\"worker\\u001b[1m\""), "%s", out.body);
	free(out.body);
	out = answer(&ctx, "/api/v1/processes/100/stacks?top=1");
	cr_assert_eq(out.status, 200);
	cr_assert(strstr(out.body, "\"stacks\":[{") && !strstr(out.body, "},{\"outstanding_bytes"),
		  "one stack: %s", out.body);
	free(out.body);
	out = answer(&ctx, "/api/v1/processes/4242");
	cr_assert_eq(out.status, 404);
	cr_assert(strstr(out.body, "\"error\":\"PID 4242 is not traced"), "%s", out.body);
	free(out.body);
	out = answer(&ctx, "/metrics");
	cr_assert_str_eq(out.type, "text/plain; version=0.0.4; charset=utf-8");
	free(out.body);
	out = answer(&ctx, "/");
	cr_assert(strstr(out.body, "{\"live\":\"api/v1/report\"}"), "the page in live mode");
	free(out.body);
	out = answer(&ctx, "/api/v1/alerts");
	cr_assert(strstr(out.body, "\"not_kept\":1"), "%s", out.body);
	free(out.body);
	fixture__free(&f);
}

Test(api, only_the_live_page_may_fetch_and_only_from_its_server)
{
	struct fx_buf b;
	const char *page;

	cr_assert_eq(report_html__live(fx_buf_open(&b)), 0);
	page = fx_buf_text(&b);
	cr_assert(strstr(page, "content=\"default-src 'none'; connect-src 'self'; style-src"));
	free(b.text);
	cr_assert_eq(report_html__from_json(fx_buf_open(&b), "{}", 2), 0);
	page = fx_buf_text(&b);
	cr_assert_null(strstr(page, "connect-src 'self';"), "a report page makes no request");
	cr_assert(strstr(page, "content=\"default-src 'none'; style-src"));
	free(b.text);
}

Test(metrics_prom, alerts_firing_counts_the_rules_that_hold_now)
{
	struct prom_extra x = { .self_rss_bytes = NAN };
	struct fixture f;
	struct report_ctx ctx;
	struct fx_buf b;
	const char *text;

	fixture__exact(&f);
	fixture__ctx(&f, &ctx);
	x.alerts = f.alert_defs;
	x.alert_cnt = f.alert_def_cnt;
	cr_assert_eq(metrics_prom__write(fx_buf_open(&b), &ctx, &x), 0);
	text = fx_buf_text(&b);
	cr_assert(strstr(text, "memvigil_alerts_firing{pid=\"100\",comm=\"app\","
			 "cgroup=\"/workload.slice/app\"} 1\n"), "heap>8K holds for app: %s",
		  strstr(text, "memvigil_alerts_firing"));
	free(b.text);
	x.alert_cnt = 0;
	cr_assert_eq(metrics_prom__write(fx_buf_open(&b), &ctx, &x), 0);
	text = fx_buf_text(&b);
	cr_assert_null(strstr(text, "memvigil_alerts_firing"), "no --alert, no series");
	free(b.text);
	fixture__free(&f);
}
