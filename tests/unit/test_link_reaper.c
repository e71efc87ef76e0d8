// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <stddef.h>
#include "probes/link_reaper.h"

/* libbpf's bpf_link__destroy accepts NULL, so NULL links exercise the queue alone. */
Test(link_reaper, every_group_handed_over_is_consumed_before_free_returns)
{
	struct link_reaper *r = link_reaper__new(4);
	struct bpf_link *links[3] = { NULL, NULL, NULL };
	int i;

	cr_assert_not_null(r);
	for (i = 0; i < 200; i++)
		link_reaper__push(r, links, 1 + i % 3);
	link_reaper__free(r);
}

Test(link_reaper, without_a_reaper_links_are_destroyed_in_place)
{
	struct bpf_link *links[2] = { NULL, NULL };

	link_reaper__push(NULL, links, 2);
	link_reaper__free(NULL);
}

Test(link_reaper, an_empty_group_is_ignored)
{
	struct link_reaper *r = link_reaper__new(1);

	link_reaper__push(r, NULL, 0);
	link_reaper__free(r);
}

Test(link_reaper, wait_returns_once_everything_handed_over_is_gone, .timeout = 20)
{
	struct link_reaper *r = link_reaper__new(8);
	struct bpf_link *links[2] = { NULL, NULL };
	int round, i;

	link_reaper__wait(r);	/* idle: at once */
	for (round = 0; round < 20; round++) {
		for (i = 0; i < 50; i++)
			link_reaper__push(r, links, 2);
		link_reaper__wait(r);
	}
	link_reaper__wait(NULL);
	link_reaper__free(r);
}
