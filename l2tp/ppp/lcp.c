/* LCP (RFC 1661 §6) callbacks: MRU, Auth-Protocol, Magic-Number with loopback detection, and the
 * HDLC-only options as L2TP framing requires (RFC 2661 §5.4: the LAC does the framing, so ACCM
 * is meaningless and acknowledged; PFC/ACFC are accepted because we parse both forms). Echo
 * keepalives and Protocol-Reject handling. */
#include "ppp_local.h"

#include <string.h>

enum {
	LCP_MRU = 1,
	LCP_ACCM = 2,
	LCP_AUTH = 3,
	LCP_QUALITY = 4,
	LCP_MAGIC = 5,
	LCP_PFC = 7,
	LCP_ACFC = 8,
	LCP_CALLBACK = 13,
	LCP_MRRU = 17,
	LCP_SSNHF = 18,
	LCP_EPDISC = 19,
};

#define CHAP_ALG_MD5 5
#define CHAP_ALG_MSV2 0x81

static struct ppp *P(struct ppp_fsm *f)
{
	return f->ppp;
}

/* the best method we still offer, MS-CHAPv2 first (what Windows expects, docs/clients.md) */
static unsigned next_auth(struct ppp *p)
{
	static const unsigned order[] = {PPP_AUTH_MSCHAPV2, PPP_AUTH_CHAP_MD5, PPP_AUTH_PAP};
	for (size_t i = 0; i < RP_ARRAY_LEN(order); i++)
		if ((p->conf.auth_methods & order[i]) && !(p->auth_tried & order[i]))
			return order[i];
	return 0;
}

static void lcp_resetci(struct ppp_fsm *f)
{
	struct ppp *p = P(f);
	p->auth_tried = 0;
	p->want_auth = next_auth(p);
	p->peer_mru = 1500;
	do
		p->magic = rp_rng_u32(p->rng);
	while (!p->magic);
}

static void put_auth(struct rp_wr *w, unsigned m)
{
	rp_wr_u8(w, LCP_AUTH);
	if (m == PPP_AUTH_PAP) {
		rp_wr_u8(w, 4);
		rp_wr_u16(w, PPP_PAP);
	} else {
		rp_wr_u8(w, 5);
		rp_wr_u16(w, PPP_CHAP);
		rp_wr_u8(w, m == PPP_AUTH_MSCHAPV2 ? CHAP_ALG_MSV2 : CHAP_ALG_MD5);
	}
}

static void lcp_addci(struct ppp_fsm *f, struct rp_wr *w)
{
	struct ppp *p = P(f);
	if (p->conf.mru != 1500) {
		rp_wr_u8(w, LCP_MRU);
		rp_wr_u8(w, 4);
		rp_wr_u16(w, p->conf.mru);
	}
	if (p->want_auth)
		put_auth(w, p->want_auth);
	rp_wr_u8(w, LCP_MAGIC);
	rp_wr_u8(w, 6);
	rp_wr_u32(w, p->magic);
}

static int lcp_reqopt(struct ppp_fsm *f, uint8_t type, const uint8_t *v, size_t n, uint8_t *sugg, size_t *sl)
{
	struct ppp *p = P(f);
	switch (type) {
	case LCP_MRU:
		if (n != 2)
			return OPT_REJ;
		/* RFC 1661 §6.1: we can always receive 1500; a smaller peer MRU bounds what we send
		 * (and what the daemon should use as the TUN MTU). Below 576 is not sensible for IP. */
		if (rp_get_u16(v) < 576) {
			rp_put_u16(sugg, 576);
			*sl = 2;
			return OPT_NAK;
		}
		p->peer_mru = rp_get_u16(v);
		return OPT_ACK;
	case LCP_ACCM:
		return n == 4 ? OPT_ACK : OPT_REJ;
	case LCP_MAGIC:
		if (n != 4)
			return OPT_REJ;
		/* §6.4: the same number as ours suggests a looped-back link: Nak with a new random
		 * number; several in a row mean loopback and the link is closed (lcp_tick/finish). */
		if (rp_get_u32(v) == 0 || rp_get_u32(v) == p->magic) {
			uint32_t m;
			if (rp_get_u32(v) == p->magic)
				p->loop_naks++;
			do
				m = rp_rng_u32(p->rng);
			while (!m || m == p->magic);
			rp_put_u32(sugg, m);
			*sl = 4;
			return OPT_NAK;
		}
		p->loop_naks = 0;
		p->peer_magic = rp_get_u32(v);
		return OPT_ACK;
	case LCP_PFC:
	case LCP_ACFC:
		return n == 0 ? OPT_ACK : OPT_REJ;
	case LCP_EPDISC:
		return n >= 1 ? OPT_ACK : OPT_REJ; /* informational (Windows sends it) */
	case LCP_AUTH:                             /* we do not authenticate ourselves to clients */
	case LCP_QUALITY:
	case LCP_CALLBACK:
	case LCP_MRRU: /* no multilink */
	case LCP_SSNHF:
	default:
		return OPT_REJ;
	}
}

static void lcp_nakopt(struct ppp_fsm *f, uint8_t type, const uint8_t *v, size_t n)
{
	struct ppp *p = P(f);
	if (type == LCP_AUTH) {
		/* the peer suggests another method: take it if we allow it, else offer the next one */
		unsigned sug = 0;
		if (n >= 2 && rp_get_u16(v) == PPP_PAP)
			sug = PPP_AUTH_PAP;
		else if (n >= 3 && rp_get_u16(v) == PPP_CHAP)
			sug = v[2] == CHAP_ALG_MSV2  ? PPP_AUTH_MSCHAPV2
			      : v[2] == CHAP_ALG_MD5 ? PPP_AUTH_CHAP_MD5
			                             : 0;
		p->auth_tried |= p->want_auth;
		if (sug && (p->conf.auth_methods & sug) && !(p->auth_tried & sug))
			p->want_auth = sug;
		else
			p->want_auth = next_auth(p);
		if (!p->want_auth)
			ppp_close_r(p, PPP_DOWN_NEGOTIATION,
			            "peer refused every allowed authentication method");
	} else if (type == LCP_MAGIC && n == 4) {
		do
			p->magic = rp_rng_u32(p->rng);
		while (!p->magic);
	} else if (type == LCP_MRU && n == 2) {
		/* we keep our MRU unless the peer wants smaller, which we can honour */
		uint16_t m = rp_get_u16(v);
		if (m >= 576 && m < p->conf.mru)
			p->conf.mru = m;
	}
}

static void lcp_rejopt(struct ppp_fsm *f, uint8_t type)
{
	struct ppp *p = P(f);
	if (type == LCP_AUTH) {
		/* a client refusing to authenticate at all cannot be served */
		p->want_auth = 0;
		ppp_close_r(p, PPP_DOWN_NEGOTIATION, "peer rejected authentication");
	} else if (type == LCP_MRU)
		p->conf.mru = 1500;
}

static void lcp_up(struct ppp_fsm *f)
{
	struct ppp *p = P(f);
	p->auth = p->want_auth;
	p->echo_due = p->conf.echo_interval_s ? p->now + p->conf.echo_interval_s * 1000ull : 0;
	ppp_lcp_up(p);
}

static void lcp_down(struct ppp_fsm *f)
{
	struct ppp *p = P(f);
	fsm_lowerdown(&p->ipcp);
	fsm_lowerdown(&p->ipv6cp);
	p->echo_due = 0;
}

static void lcp_finished(struct ppp_fsm *f)
{
	struct ppp *p = P(f);
	if (p->loop_naks >= 3)
		ppp_finish(p, PPP_DOWN_NEGOTIATION, "LCP loopback detected (magic number)");
	else if (f->term_reason && p->down_reason == 0)
		ppp_finish(p, PPP_DOWN_PEER, "LCP terminated by peer");
	else if (f->state == ST_STOPPED && p->down_reason == 0)
		ppp_finish(p, PPP_DOWN_TIMEOUT, "LCP negotiation failed");
	else
		ppp_finish(p, p->down_reason ? p->down_reason : PPP_DOWN_PEER,
		           p->down_text[0] ? p->down_text : "LCP terminated by peer");
}

static bool lcp_extcode(struct ppp_fsm *f, uint8_t code, uint8_t id, const uint8_t *d, size_t n)
{
	struct ppp *p = P(f);
	switch (code) {
	case CP_PROTO_REJ:
		/* §5.7: if the peer rejects IPCP, there is nothing left to do */
		if (n >= 2 && rp_get_u16(d) == PPP_IPCP)
			fsm_protreject(&p->ipcp);
		/* a peer without IPv6 (pppd without +ipv6): IPV6CP stops, IPv4 goes on */
		if (n >= 2 && rp_get_u16(d) == PPP_IPV6CP)
			fsm_protreject(&p->ipv6cp);
		return true;
	case CP_ECHO_REQ:
		if (f->state != ST_OPENED)
			return true; /* §5.8: only in Opened, otherwise silently discarded */
		if (n >= 4 && p->magic && rp_get_u32(d) == p->magic)
			return true; /* our own echo looped back */
		{
			uint8_t b[1500];
			size_t k = n < sizeof b ? n : sizeof b;
			if (k < 4)
				return true;
			memcpy(b, d, k);
			rp_put_u32(b, p->magic);
			fsm_send(f, CP_ECHO_REP, id, b, k);
		}
		return true;
	case CP_ECHO_REP:
		p->echo_out = 0;
		return true;
	case CP_DISCARD:
	case 12: /* RFC 1570 Identification: Windows sends "MSRASV5.20..." after LCP opens */
	case 13: /* RFC 1570 Time-Remaining */
		return true;
	default:
		return false;
	}
}

const struct ppp_fsm_cb ppp_lcp_cb = {
    .name = "LCP",
    .resetci = lcp_resetci,
    .addci = lcp_addci,
    .reqopt = lcp_reqopt,
    .nakopt = lcp_nakopt,
    .rejopt = lcp_rejopt,
    .up = lcp_up,
    .down = lcp_down,
    .finished = lcp_finished,
    .extcode = lcp_extcode,
};

/* Keepalive: an Echo-Request after echo_interval of silence; echo_fails unanswered ones close
 * the link. Any received frame counts as an answer (ppp_input resets echo_out). */
void lcp_echo_tick(struct ppp *p)
{
	uint64_t iv = p->conf.echo_interval_s * 1000ull;
	if (!p->echo_due || p->now < p->echo_due || p->lcp.state != ST_OPENED)
		return;
	if (p->echo_out == 0 && p->now < p->last_rx + iv) {
		/* traffic flowed recently: no need to probe yet */
		p->echo_due = p->last_rx + iv;
		return;
	}
	if (p->echo_out >= p->conf.echo_fails) {
		ppp_close_r(p, PPP_DOWN_TIMEOUT, "no answer to LCP Echo-Request");
		return;
	}
	uint8_t m[4];
	rp_put_u32(m, p->magic);
	fsm_send(&p->lcp, CP_ECHO_REQ, p->lcp.id++, m, 4);
	p->echo_out++;
	p->echo_due = p->now + iv;
}
