/* IPv6 between the sessions and the TUN ([pool] prefix6): a session's link-scoped packets stay
 * here (a Router Solicitation is answered by server/ra.c), the rest goes to the TUN; from the
 * TUN, the L2TP core finds the session owning the destination /64. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "srv_local.h"

/* The session's /64s come from the prefix read at start (the TUN address is its ::1 and cannot
 * change once privileges are dropped); the RA's DNS servers and lifetime follow reloads. */
void srv_ip6_conf(struct srv *s, const struct conf *cf, struct l2tp_conf *lc, struct ra_conf *ra)
{
	memset(ra, 0, sizeof *ra);
	ra->router_lifetime_s = 1800;
	for (unsigned i = 0; i < cf->n_dns6 && i < 2; i++)
		memcpy(ra->dns[ra->ndns++], cf->dns6[i].ip, 16);
	ra->domain = cf->domain;
	const struct conf *b = s->boot ? s->boot : cf;
	if (b->prefix6.family != 6)
		return;
	memcpy(lc->prefix6, b->prefix6.ip, 16);
	lc->prefix6_len = b->prefix6_len;
	lc->ip6_deliver = srv_ip6_deliver;
}

void srv_ip6_deliver(void *ctx, const struct l2tp_ip6_from *f, const uint8_t *p, size_t n)
{
	struct srv *s = ctx;
	struct srv_core *c = s->core;
	const struct ra_link l = {.prefix = f->prefix, .our_ifid = f->our_ifid};
	struct srv_ra_answer *a = c->nras < RP_ARRAY_LEN(c->ras) ? &c->ras[c->nras] : NULL;
	uint8_t scratch[RA_MAX];
	size_t len = 0;
	const char *why = "";
	switch (ra_input(&c->ra, &l, p, n, a ? a->pkt : scratch, &len, &why)) {
	case RA_FORWARD:
		srv_tun_write(s, (uint8_t *)p, n); /* the decrypted receive buffer: ours */
		return;
	case RA_ANSWER:
		/* queued: this runs inside the L2TP core, which must not be re-entered */
		if (a) {
			a->link = f->link;
			a->tid = f->tid;
			a->sid = f->sid;
			a->len = len;
			c->nras++;
			c->ra_answered++;
			return;
		}
		why = "too many Router Solicitations at once";
		break;
	case RA_LOCAL:
		break;
	}
	c->ip6_link_dropped++;
	rp_log_drop(&s->log, srv_now(s), "ipv6", &f->link.peer, why, NULL);
}

void srv_ip6_flush(struct srv *s, uint64_t now)
{
	struct srv_core *c = s->core;
	for (size_t i = 0; i < c->nras; i++)
		l2tp_output_ip6_to(c->l2tp, &c->ras[i].link, c->ras[i].tid, c->ras[i].sid, c->ras[i].pkt,
		                   c->ras[i].len, now);
	c->nras = 0;
}

void srv_ip6_tun(struct srv *s, const uint8_t *pkt, size_t len)
{
	if (len < 40)
		return;
	l2tp_output_ip6(s->core->l2tp, pkt, len, srv_now(s));
}
