/* Test-only: the LNS-and-LACs simulations (test_l2tp_lns.c, test_l2tp_caps.c) route each message
 * the LNS sends to the LAC it is for. */
#ifndef RP_L2TP_TEST_LAC_H
#define RP_L2TP_TEST_LAC_H

#include "l2tp_lac.h"
#include "l2tp_local.h"

/* The index of the LAC (by link and tunnel ID) a message from the LNS is for, -1 for none. */
static inline int tl_lac_for(const struct l2tp_lac *lac, int nlac, const struct l2tp_link *link,
                             const uint8_t *p, size_t n)
{
	struct l2tp_hdr h;
	if (l2tp_hdr_parse(p, n, &h))
		return -1;
	for (int i = 0; i < nlac; i++)
		if (l2tp_link_eq(&lac[i].link, link) && lac[i].tid == h.tid)
			return i;
	return -1;
}
#endif
