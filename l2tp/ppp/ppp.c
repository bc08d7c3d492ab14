/* PPP session: frame parsing, phases (RFC 1661 §3.2), Protocol-Reject, timers and keepalive. */
#include "ppp_local.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PH_DEAD, PH_ESTABLISH, PH_AUTH, PH_NETWORK, PH_TERMINATE };

void ppp_conf_defaults(struct ppp_conf *c)
{
	memset(c, 0, sizeof *c);
	c->mru = 1400;
	c->auth_methods = PPP_AUTH_MSCHAPV2 | PPP_AUTH_PAP;
	c->echo_interval_s = 30;
	c->echo_fails = 4;
	c->restart_ms = 3000;
	c->max_configure = 10;
	c->max_terminate = 2;
	c->max_failure = 5;
	c->auth_retries = 2;
	c->phase_timeout_s = 60;
	c->name = "rampart";
}

int ppp_frame_parse(const uint8_t *f, size_t n, uint16_t *proto)
{
	size_t o = 0;
	/* RFC 1661 §6.6 ACFC: address/control may be absent; RFC 2661 §5.4 says the LAC removes
	 * the HDLC framing but ff 03 is normally still there */
	if (n >= 2 && f[0] == 0xff && f[1] == 0x03)
		o = 2;
	if (o >= n)
		return -1;
	/* §6.5 PFC: a protocol with an odd first octet is the 1-octet compressed form */
	if (f[o] & 1) {
		*proto = f[o];
		return (int)(o + 1);
	}
	if (o + 2 > n || !(f[o + 1] & 1))
		return -1; /* the low octet of a protocol number is always odd */
	*proto = rp_get_u16(f + o);
	return (int)(o + 2);
}

int ppp_ctl_validate(const uint8_t *p, size_t n, bool has_options)
{
	struct rp_rd r, o;
	uint8_t code, id;
	uint16_t len;
	rp_rd_init(&r, p, n);
	if (rp_rd_u8(&r, &code) || rp_rd_u8(&r, &id) || rp_rd_u16(&r, &len))
		return -1;
	/* §5: Length covers the packet; octets beyond it are padding and ignored */
	if (len < 4 || len > n)
		return -1;
	if (has_options) {
		rp_rd_init(&o, p + 4, len - 4u);
		while (rp_rd_left(&o)) {
			uint8_t t, l;
			if (rp_rd_u8(&o, &t) || rp_rd_u8(&o, &l) || l < 2 || rp_rd_skip(&o, l - 2u))
				return -1;
		}
	}
	return len;
}

struct ppp *ppp_new(const struct ppp_conf *conf, const struct ppp_cb *cb, struct rp_rng *rng,
                    struct rp_log *log, uint64_t now_ms)
{
	struct ppp *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->conf = *conf;
	if (!p->conf.mru)
		p->conf.mru = 1400;
	if (!p->conf.name)
		p->conf.name = "rampart";
	if (!p->conf.restart_ms)
		p->conf.restart_ms = 3000;
	if (!p->conf.max_configure)
		p->conf.max_configure = 10;
	if (!p->conf.max_terminate)
		p->conf.max_terminate = 2;
	if (!p->conf.max_failure)
		p->conf.max_failure = 5;
	if (!p->conf.auth_methods)
		p->conf.auth_methods = PPP_AUTH_MSCHAPV2 | PPP_AUTH_PAP;
	if (!p->conf.phase_timeout_s)
		p->conf.phase_timeout_s = 60;
	if (!p->conf.echo_fails)
		p->conf.echo_fails = 4;
	p->cb = *cb;
	p->rng = rng;
	p->log = log;
	p->now = p->started = p->last_rx = now_ms;
	fsm_init(&p->lcp, p, PPP_LCP, &ppp_lcp_cb);
	fsm_init(&p->ipcp, p, PPP_IPCP, &ppp_ipcp_cb);
	fsm_init(&p->ipv6cp, p, PPP_IPV6CP, &ppp_ipv6cp_cb);
	p->our_ifid = p->conf.ifid6 ? p->conf.ifid6 : 1;
	return p;
}

void ppp_free(struct ppp *p)
{
	if (!p)
		return;
	rp_wipe(p->chal, sizeof p->chal);
	free(p);
}

void ppp_start(struct ppp *p, uint64_t now_ms)
{
	/* the negotiation deadline (phase_timeout_s) counts from here: the owner may open PPP well
	 * after ppp_new (the L2TP session waits for the peer's PPP to speak first) */
	p->now = p->started = p->last_rx = now_ms;
	p->phase = PH_ESTABLISH;
	fsm_lowerup(&p->lcp);
	fsm_open(&p->lcp);
}

void ppp_send_proto(struct ppp *p, uint16_t proto, const uint8_t *data, size_t n)
{
	uint8_t b[1600];
	if (n + 4 > sizeof b || !p->cb.send)
		return;
	/* always the full ff 03 + 2-octet protocol: LCP must be sent uncompressed (§6.5, §6.6) */
	b[0] = 0xff;
	b[1] = 0x03;
	rp_put_u16(b + 2, proto);
	memcpy(b + 4, data, n);
	p->cb.send(p->cb.ctx, b, n + 4);
}

void ppp_finish(struct ppp *p, int reason, const char *text)
{
	if (p->closed_reported)
		return;
	p->closed_reported = true;
	p->phase = PH_DEAD;
	p->ip_up = p->ip6_up = false;
	rp_logf(p->log, RP_LOG_INFO, "ppp", "link down: %s", text);
	if (p->cb.closed)
		p->cb.closed(p->cb.ctx, reason, text);
}

void ppp_close_r(struct ppp *p, int reason, const char *why)
{
	if (!p->down_reason) {
		p->down_reason = reason;
		snprintf(p->down_text, sizeof p->down_text, "%s", why);
	}
	if (p->phase == PH_DEAD)
		return;
	p->phase = PH_TERMINATE;
	if (p->ipcp.state == ST_OPENED)
		fsm_lowerdown(&p->ipcp);
	if (p->ipv6cp.state == ST_OPENED)
		fsm_lowerdown(&p->ipv6cp);
	if (p->lcp.state == ST_INITIAL || p->lcp.state == ST_STARTING || p->lcp.state == ST_CLOSED ||
	    p->lcp.state == ST_STOPPED) {
		ppp_finish(p, p->down_reason, p->down_text);
		return;
	}
	fsm_close(&p->lcp, why);
}

void ppp_close(struct ppp *p, const char *why, uint64_t now_ms)
{
	p->now = now_ms;
	ppp_close_r(p, PPP_DOWN_ADMIN, why);
}

void ppp_lcp_up(struct ppp *p)
{
	if (!p->auth) {
		/* reached only if the peer accepted a request without authentication: never allow
		 * an unauthenticated network phase */
		ppp_close_r(p, PPP_DOWN_NEGOTIATION, "no authentication protocol agreed");
		return;
	}
	p->phase = PH_AUTH;
	auth_start(p);
}

void ppp_auth_ok(struct ppp *p)
{
	p->phase = PH_NETWORK;
	fsm_lowerup(&p->ipcp);
	fsm_open(&p->ipcp);
	if (p->conf.ipv6) {
		fsm_lowerup(&p->ipv6cp);
		fsm_open(&p->ipv6cp);
	}
}

static void proto_reject(struct ppp *p, uint16_t proto, const uint8_t *d, size_t n)
{
	/* §5.7: Rejected-Protocol (uncompressed) then as much of the information as fits the
	 * peer's MRU */
	uint8_t b[1500];
	size_t max = p->peer_mru > 8 ? p->peer_mru - 8u : 0;
	if (max > sizeof b - 2)
		max = sizeof b - 2;
	if (n > max)
		n = max;
	rp_put_u16(b, proto);
	memcpy(b + 2, d, n);
	fsm_send(&p->lcp, CP_PROTO_REJ, p->lcp.id++, b, n + 2);
}

void ppp_input(struct ppp *p, const uint8_t *f, size_t n, uint64_t now_ms)
{
	uint16_t proto;
	p->now = now_ms;
	if (p->phase == PH_DEAD)
		return;
	int off = ppp_frame_parse(f, n, &proto);
	if (off < 0)
		return;
	p->last_rx = now_ms;
	p->echo_out = 0; /* any frame proves the peer alive */
	const uint8_t *d = f + off;
	size_t dn = n - (size_t)off;
	switch (proto) {
	case PPP_LCP:
		fsm_input(&p->lcp, d, dn);
		if (p->loop_naks >= 3)
			ppp_close_r(p, PPP_DOWN_NEGOTIATION, "LCP loopback detected (magic number)");
		return;
	case PPP_PAP:
	case PPP_CHAP:
		if (p->lcp.state == ST_OPENED)
			auth_input(p, proto, d, dn);
		return;
	case PPP_IPCP:
		/* §3.5 network-layer packets before the network phase are discarded */
		if (p->phase == PH_NETWORK)
			fsm_input(&p->ipcp, d, dn);
		return;
	case PPP_IPV6CP:
		if (!p->conf.ipv6)
			break; /* Protocol-Reject below */
		if (p->phase == PH_NETWORK)
			fsm_input(&p->ipv6cp, d, dn);
		return;
	case PPP_IPV6:
		if (!p->conf.ipv6)
			break;
		if (p->ip6_up && p->cb.ip6_in && dn >= 40 && (d[0] >> 4) == 6)
			p->cb.ip6_in(p->cb.ctx, d, dn);
		return;
	case PPP_IP:
		if (p->ip_up && p->cb.ip_in && dn >= 20 && (d[0] >> 4) == 4 &&
		    rp_get_u32(d + 12) == p->peer_ip) /* only the address we gave: no spoofing */
			p->cb.ip_in(p->cb.ctx, d, dn);
		return;
	default:
		break;
	}
	/* CCP (MPPE is pointless inside IPsec), IPV6CP and IPv6 unless enabled, anything unknown:
	 * §5.7 Protocol-Reject, only once LCP is Opened */
	if (p->lcp.state == ST_OPENED)
		proto_reject(p, proto, d, dn);
}

void ppp_tick(struct ppp *p, uint64_t now_ms)
{
	p->now = now_ms;
	if (p->phase == PH_DEAD)
		return;
	if (p->lcp.timer && now_ms >= p->lcp.timer)
		fsm_timeout(&p->lcp);
	if (p->ipcp.timer && now_ms >= p->ipcp.timer)
		fsm_timeout(&p->ipcp);
	if (p->ipv6cp.timer && now_ms >= p->ipv6cp.timer)
		fsm_timeout(&p->ipv6cp);
	if (p->auth_timer && now_ms >= p->auth_timer)
		auth_timeout(p);
	/* the whole setup must finish in time, whatever the peer keeps sending */
	if (!p->ip_up && p->phase != PH_TERMINATE && p->phase != PH_DEAD &&
	    now_ms >= p->started + p->conf.phase_timeout_s * 1000ull)
		ppp_close_r(p, PPP_DOWN_TIMEOUT, "PPP negotiation did not complete in time");
	lcp_echo_tick(p);
}

static uint64_t min_nz(uint64_t a, uint64_t b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return a < b ? a : b;
}

uint64_t ppp_next_deadline(const struct ppp *p)
{
	uint64_t d = 0;
	if (p->phase == PH_DEAD)
		return UINT64_MAX;
	d = min_nz(d, p->lcp.timer);
	d = min_nz(d, p->ipcp.timer);
	d = min_nz(d, p->ipv6cp.timer);
	d = min_nz(d, p->auth_timer);
	if (p->lcp.state == ST_OPENED)
		d = min_nz(d, p->echo_due);
	if (!p->ip_up && p->phase != PH_TERMINATE)
		d = min_nz(d, p->started + p->conf.phase_timeout_s * 1000ull);
	return d ? d : UINT64_MAX;
}

int ppp_output_ip(struct ppp *p, const uint8_t *pkt, size_t len)
{
	if (!p->ip_up || len + 4 > 1600 || len > p->peer_mru)
		return -1;
	ppp_send_proto(p, PPP_IP, pkt, len);
	return 0;
}

int ppp_output_ip_buf(struct ppp *p, struct rp_buf *b)
{
	if (!p->ip_up || b->len + 4 > 1600 || b->len > p->peer_mru || rp_buf_headroom(b) < 4 || !p->cb.send)
		return -1;
	uint8_t *h = rp_buf_push(b, 4);
	h[0] = 0xff; /* the full header, as ppp_send_proto sends it */
	h[1] = 0x03;
	rp_put_u16(h + 2, PPP_IP);
	if (p->cb.send_buf)
		p->cb.send_buf(p->cb.ctx, b);
	else
		p->cb.send(p->cb.ctx, rp_buf_data(b), b->len);
	return 0;
}

int ppp_output_ip6(struct ppp *p, const uint8_t *pkt, size_t len)
{
	if (!p->ip6_up || len + 4 > 1600 || len > p->peer_mru)
		return -1;
	ppp_send_proto(p, PPP_IPV6, pkt, len);
	return 0;
}

bool ppp_ipv6_up(const struct ppp *p)
{
	return p->ip6_up;
}

bool ppp_is_up(const struct ppp *p)
{
	return p->ip_up;
}
uint64_t ppp_last_rx(const struct ppp *p)
{
	return p->last_rx;
}
uint32_t ppp_peer_ip(const struct ppp *p)
{
	return p->peer_ip;
}
uint16_t ppp_peer_mru(const struct ppp *p)
{
	return p->peer_mru;
}
size_t ppp_sizeof(void)
{
	return sizeof(struct ppp);
}
