// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include "output/verdict_text.h"

const char *verdict_text__column(const struct proc_metrics *pm, const struct site_metrics *sm,
				 char *buf, size_t len)
{
	if (!pm)
		buf[0] = '\0';
	else if (!sm)
		snprintf(buf, len, "%-7s %4s  ", "-", "");
	else
		snprintf(buf, len, "%-7s %4.2f  ", verdict__name(sm->verdict), sm->score);
	return buf;
}

const char *verdict_text__process(const struct proc_metrics *pm)
{
	static const enum verdict order[] = { VERDICT_LEAK, VERDICT_GROWING, VERDICT_STABLE,
					      VERDICT_EARLY };
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (pm->verdicts[order[i]])
			return verdict__name(order[i]);
	return "none";
}
