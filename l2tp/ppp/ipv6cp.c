/* IPV6CP (RFC 5072): the Interface-Identifiers of both ends, from which each side forms its
 * link-local address fe80::IID. The global address comes later, from the /64 of our Router
 * Advertisement (SLAAC over the link, server/ra.c): IPV6CP carries no addresses. */
#include "ppp_local.h"

#include <string.h>

enum {
	IPV6CP_IFID = 1, /* §4.1 Interface-Identifier, 8 octets */
	IPV6CP_COMP = 2, /* §4.2 IPv6-Compression-Protocol: no header compression here */
};

static void v6_resetci(struct ppp_fsm *f)
{
	f->ppp->ifid_rejected = false;
}

static void v6_addci(struct ppp_fsm *f, struct rp_wr *w)
{
	struct ppp *p = f->ppp;
	if (!p->ifid_rejected) {
		rp_wr_u8(w, IPV6CP_IFID);
		rp_wr_u8(w, 10);
		rp_wr_u64(w, p->our_ifid);
	}
}

/* An identifier for the peer that is neither zero nor ours: derived from the random source. */
static uint64_t fresh_ifid(struct ppp *p)
{
	uint64_t v;
	do
		v = (uint64_t)rp_rng_u32(p->rng) << 32 | rp_rng_u32(p->rng);
	while (!v || v == p->our_ifid);
	/* §4.1 / RFC 4291 appendix A: the "u" bit clear marks it as not globally unique */
	return v & ~(1ull << 57);
}

static int v6_reqopt(struct ppp_fsm *f, uint8_t type, const uint8_t *v, size_t n, uint8_t *sugg, size_t *sl)
{
	struct ppp *p = f->ppp;
	if (type != IPV6CP_IFID || n != 8)
		return OPT_REJ; /* compression and anything unknown */
	uint64_t id = (uint64_t)rp_get_u32(v) << 32 | rp_get_u32(v + 4);
	/* §4.1: a zero identifier, or one equal to ours, is Nak'd with a value the peer may use */
	if (!id || id == p->our_ifid) {
		if (!p->sugg_ifid)
			p->sugg_ifid = fresh_ifid(p);
		rp_put_u32(sugg, (uint32_t)(p->sugg_ifid >> 32));
		rp_put_u32(sugg + 4, (uint32_t)p->sugg_ifid);
		*sl = 8;
		return OPT_NAK;
	}
	p->peer_ifid = id;
	return OPT_ACK;
}

static void v6_nakopt(struct ppp_fsm *f, uint8_t type, const uint8_t *v, size_t n)
{
	struct ppp *p = f->ppp;
	if (type != IPV6CP_IFID || n != 8)
		return;
	/* §4.1: the peer suggests another identifier for us (ours collided with its own): take it
	 * unless it is zero or the peer's */
	uint64_t id = (uint64_t)rp_get_u32(v) << 32 | rp_get_u32(v + 4);
	if (id && id != p->peer_ifid)
		p->our_ifid = id;
}

static void v6_rejopt(struct ppp_fsm *f, uint8_t type)
{
	if (type == IPV6CP_IFID)
		f->ppp->ifid_rejected = true; /* §4.1 allows it: the peer then cannot check uniqueness */
}

static void v6_up(struct ppp_fsm *f)
{
	struct ppp *p = f->ppp;
	p->ip6_up = true;
	rp_logf(p->log, RP_LOG_DETAIL, "ppp", "IPV6CP up: ours fe80::%llx, peer fe80::%llx",
	        (unsigned long long)p->our_ifid, (unsigned long long)p->peer_ifid);
	if (p->cb.up6)
		p->cb.up6(p->cb.ctx, p->our_ifid, p->peer_ifid);
}

static void v6_down(struct ppp_fsm *f)
{
	f->ppp->ip6_up = false;
}

/* Unlike IPCP, a failed IPV6CP leaves the link up: IPv4 still works (a client without IPv6, or
 * one that Protocol-Rejects IPV6CP as pppd without +ipv6 does). */
const struct ppp_fsm_cb ppp_ipv6cp_cb = {
    .name = "IPV6CP",
    .resetci = v6_resetci,
    .addci = v6_addci,
    .reqopt = v6_reqopt,
    .nakopt = v6_nakopt,
    .rejopt = v6_rejopt,
    .up = v6_up,
    .down = v6_down,
};
