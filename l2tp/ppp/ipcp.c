/* IPCP (RFC 1332) with the address the owner leased at authentication, and the RFC 1877 name
 * server options. */
#include "ppp_local.h"

#include <string.h>

enum {
	IPCP_ADDRS = 1, /* deprecated (RFC 1172) */
	IPCP_COMP = 2,
	IPCP_ADDR = 3,
	IPCP_DNS1 = 129,
	IPCP_NBNS1 = 130,
	IPCP_DNS2 = 131,
	IPCP_NBNS2 = 132,
};

static void ipcp_resetci(struct ppp_fsm *f)
{
	f->ppp->local_ip_rejected = false;
}

static void ipcp_addci(struct ppp_fsm *f, struct rp_wr *w)
{
	struct ppp *p = f->ppp;
	if (!p->local_ip_rejected) {
		rp_wr_u8(w, IPCP_ADDR);
		rp_wr_u8(w, 6);
		rp_wr_u32(w, p->conf.local_ip);
	}
}

/* Ack the configured value, Nak with it, or Reject when none is configured. */
static int want_value(uint32_t have, const uint8_t *v, size_t n, uint8_t *sugg, size_t *sl)
{
	if (n != 4 || !have)
		return OPT_REJ;
	if (rp_get_u32(v) == have)
		return OPT_ACK;
	rp_put_u32(sugg, have);
	*sl = 4;
	return OPT_NAK;
}

static int ipcp_reqopt(struct ppp_fsm *f, uint8_t type, const uint8_t *v, size_t n, uint8_t *sugg, size_t *sl)
{
	struct ppp *p = f->ppp;
	switch (type) {
	case IPCP_ADDR:
		p->ipcp_saw_addr = true;
		return want_value(p->peer_ip, v, n, sugg, sl);
	case IPCP_DNS1:
		return want_value(p->conf.dns[0], v, n, sugg, sl);
	case IPCP_DNS2:
		return want_value(p->conf.dns[1], v, n, sugg, sl);
	case IPCP_NBNS1:
		return want_value(p->conf.nbns[0], v, n, sugg, sl);
	case IPCP_NBNS2:
		return want_value(p->conf.nbns[1], v, n, sugg, sl);
	case IPCP_COMP: /* no Van Jacobson compression */
	case IPCP_ADDRS:
	default:
		return OPT_REJ;
	}
}

/* A peer that asks for no address at all is told which one it gets (RFC 1332 §3.3: Nak may
 * carry options the peer did not include). */
static bool ipcp_reqmissing(struct ppp_fsm *f, struct rp_wr *nak)
{
	struct ppp *p = f->ppp;
	bool saw = p->ipcp_saw_addr;
	p->ipcp_saw_addr = false;
	if (saw || !p->peer_ip)
		return false;
	rp_wr_u8(nak, IPCP_ADDR);
	rp_wr_u8(nak, 6);
	rp_wr_u32(nak, p->peer_ip);
	return true;
}

static void ipcp_nakopt(struct ppp_fsm *f, uint8_t type, const uint8_t *v, size_t n)
{
	(void)f;
	(void)type;
	(void)v;
	(void)n; /* our address is not negotiable; we keep asking until max-configure */
}

static void ipcp_rejopt(struct ppp_fsm *f, uint8_t type)
{
	if (type == IPCP_ADDR)
		f->ppp->local_ip_rejected = true; /* some peers do not want to learn ours: fine */
}

static void ipcp_up(struct ppp_fsm *f)
{
	struct ppp *p = f->ppp;
	p->ip_up = true;
	if (!p->up_reported && p->cb.up) {
		p->up_reported = true;
		p->cb.up(p->cb.ctx, p->account, p->peer_ip);
	}
}

static void ipcp_down(struct ppp_fsm *f)
{
	f->ppp->ip_up = false;
}

static void ipcp_finished(struct ppp_fsm *f)
{
	/* without IP there is nothing to carry: close the link (RFC 1661 §3.7 note on NCPs) */
	ppp_close_r(f->ppp, PPP_DOWN_NEGOTIATION, "IPCP negotiation failed");
}

const struct ppp_fsm_cb ppp_ipcp_cb = {
    .name = "IPCP",
    .resetci = ipcp_resetci,
    .addci = ipcp_addci,
    .reqopt = ipcp_reqopt,
    .reqmissing = ipcp_reqmissing,
    .nakopt = ipcp_nakopt,
    .rejopt = ipcp_rejopt,
    .up = ipcp_up,
    .down = ipcp_down,
    .finished = ipcp_finished,
};
