/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api: the live server's endpoints (docs/api.md): each route answered from
 * one report context, taken by the session at the moment of the request.
 * The JSON bodies reuse the JSON report's objects (docs/report.schema.json).
 */
#ifndef MV_API_H
#define MV_API_H

#include "output/report_context.h"
#include "serve/api_route.h"
#include "serve/metrics_prom.h"
#include "serve/server.h"

/* Answer r (r->status is 200) into out. */
void api__answer(const struct report_ctx *ctx, const struct prom_extra *x,
		 const struct api_route *r, struct server_reply *out);

#endif
