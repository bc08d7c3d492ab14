/* Test-only LAC: an independent, minimal implementation of the LAC side of RFC 2661 (its own
 * Ns/Nr bookkeeping: in-order acceptance, ZLB after every message, retransmission of everything
 * unacknowledged every second, no reorder queue), driving the test PPP client per session. */
#ifndef RP_TEST_LAC_H
#define RP_TEST_LAC_H

#include "l2tp_local.h"
#include "test_pppc.h"

#include <stdlib.h>

#define LAC_MAX_SESS 8

struct lac_tx {
	uint16_t ns;
	size_t len;
	uint8_t d[512];
};

struct lac_sess {
	uint16_t sid, lns_sid;
	bool icrp, cdn_rcvd, cdn_sent, ppp_started;
	struct pppc c;
	uint64_t kick_at;
};

struct lac_tun {
	struct l2tp_link link;
	uint16_t tid, lns_tid;
	uint16_t ns, nr;
	struct lac_tx tx[32];
	int ntx;
	uint64_t rexmit_at;
	bool sccrp, stopccn_rcvd, stopccn_sent;
	bool ignore_hello; /* Android 9/10 */
	bool silent;       /* stops answering anything */
	uint16_t stop_result, stop_error;
	const uint8_t *secret;
	size_t secret_len;
	uint8_t chal[16];
	bool auth_ok;
	int nsess;
	struct lac_sess s[LAC_MAX_SESS];
	/* packets for the LNS, drained by the test */
	uint8_t out[64][1700];
	size_t out_len[64];
	int nout;
	unsigned hellos, zlb_sent;
};

static inline void lac_out(struct lac_tun *t, const uint8_t *p, size_t n)
{
	if (t->nout < 64 && n <= sizeof t->out[0]) {
		memcpy(t->out[t->nout], p, n);
		t->out_len[t->nout++] = n;
	}
}

static inline void lac_ctl_send(struct lac_tun *t, struct rp_wr *w, uint64_t now)
{
	l2tp_ctl_end(w);
	ck_assert(rp_wr_ok(w));
	struct lac_tx *x = &t->tx[t->ntx++];
	ck_assert_int_le(t->ntx, 32);
	x->ns = t->ns++;
	x->len = w->len;
	memcpy(x->d, w->p, w->len);
	rp_put_u16(x->d + 8, x->ns);
	rp_put_u16(x->d + 10, t->nr);
	lac_out(t, x->d, x->len);
	if (!t->rexmit_at)
		t->rexmit_at = now + 1000;
}

static inline void lac_zlb(struct lac_tun *t)
{
	uint8_t b[12];
	struct rp_wr w;
	rp_wr_init(&w, b, sizeof b);
	l2tp_ctl_begin(&w, t->lns_tid, 0, t->ns, t->nr);
	l2tp_ctl_end(&w);
	lac_out(t, b, w.len);
	t->zlb_sent++;
}

static inline void lac_begin(struct lac_tun *t, struct rp_wr *w, uint8_t *b, size_t cap, uint16_t sid,
                             uint16_t mt)
{
	rp_wr_init(w, b, cap);
	l2tp_ctl_begin(w, t->lns_tid, sid, 0, 0);
	l2tp_avp_u16(w, L2TP_AVP_MSG_TYPE, true, mt);
}

static inline void lac_start(struct lac_tun *t, uint64_t sa, uint16_t tid, uint64_t now)
{
	uint8_t b[256];
	struct rp_wr w;
	memset(t, 0, sizeof *t);
	t->link.sa = sa;
	rp_addr_v4(&t->link.peer, 0x64400001, 1701);
	t->tid = tid;
	rp_wr_init(&w, b, sizeof b);
	l2tp_ctl_begin(&w, 0, 0, 0, 0);
	l2tp_avp_u16(&w, L2TP_AVP_MSG_TYPE, true, L2TP_SCCRQ);
	l2tp_avp_u16(&w, L2TP_AVP_PROTO_VER, true, 0x0100);
	l2tp_avp_u32(&w, L2TP_AVP_FRAMING_CAP, true, 1);
	l2tp_avp_u32(&w, L2TP_AVP_BEARER_CAP, true, 0);
	l2tp_avp_u16(&w, L2TP_AVP_FIRMWARE, false, 0x0a00);
	l2tp_avp_put(&w, L2TP_AVP_HOST_NAME, true, "testlac", 7);
	l2tp_avp_put(&w, L2TP_AVP_VENDOR_NAME, false, "Microsoft", 9);
	l2tp_avp_u16(&w, L2TP_AVP_ASSIGNED_TID, true, tid);
	l2tp_avp_u16(&w, L2TP_AVP_RECV_WINDOW, true, 8); /* what Windows advertises */
	t->ns = 0;
	lac_ctl_send(t, &w, now);
}

static inline void lac_start_auth(struct lac_tun *t, uint64_t sa, uint16_t tid, uint64_t now,
                                  const uint8_t *secret, size_t sl)
{
	uint8_t b[256];
	struct rp_wr w;
	memset(t, 0, sizeof *t);
	t->link.sa = sa;
	rp_addr_v4(&t->link.peer, 0x64400001, 1701);
	t->tid = tid;
	t->secret = secret;
	t->secret_len = sl;
	for (int i = 0; i < 16; i++)
		t->chal[i] = (uint8_t)(i + tid);
	rp_wr_init(&w, b, sizeof b);
	l2tp_ctl_begin(&w, 0, 0, 0, 0);
	l2tp_avp_u16(&w, L2TP_AVP_MSG_TYPE, true, L2TP_SCCRQ);
	l2tp_avp_u16(&w, L2TP_AVP_PROTO_VER, true, 0x0100);
	l2tp_avp_u32(&w, L2TP_AVP_FRAMING_CAP, true, 1);
	l2tp_avp_put(&w, L2TP_AVP_HOST_NAME, true, "authlac", 7);
	l2tp_avp_u16(&w, L2TP_AVP_ASSIGNED_TID, true, tid);
	l2tp_avp_put(&w, L2TP_AVP_CHALLENGE, true, t->chal, 16);
	lac_ctl_send(t, &w, now);
}

static inline void lac_add_session(struct lac_tun *t, uint16_t sid, const char *user, const char *pass,
                                   uint64_t now)
{
	uint8_t b[256];
	struct rp_wr w;
	struct lac_sess *s = &t->s[t->nsess++];
	memset(s, 0, sizeof *s);
	s->sid = sid;
	s->c.user = user;
	s->c.pass = pass;
	lac_begin(t, &w, b, sizeof b, 0, L2TP_ICRQ);
	l2tp_avp_u16(&w, L2TP_AVP_ASSIGNED_SID, true, sid);
	l2tp_avp_u32(&w, L2TP_AVP_CALL_SERIAL, true, sid * 7u);
	l2tp_avp_u32(&w, L2TP_AVP_BEARER_TYPE, true, 0);
	lac_ctl_send(t, &w, now);
}

static inline struct lac_sess *lac_sess_by_sid(struct lac_tun *t, uint16_t sid)
{
	for (int i = 0; i < t->nsess; i++)
		if (t->s[i].sid == sid)
			return &t->s[i];
	return NULL;
}

static inline void lac_flush_ppp(struct lac_tun *t, struct lac_sess *s)
{
	for (int i = 0; i < s->c.nout; i++) {
		uint8_t b[700];
		int h = l2tp_data_hdr(b, sizeof b, t->lns_tid, s->lns_sid, (uint16_t)(s->c.out_len[i] + 8));
		memcpy(b + h, s->c.out[i], s->c.out_len[i]);
		lac_out(t, b, s->c.out_len[i] + 8);
	}
	s->c.nout = 0;
}

static inline void lac_ctl(struct lac_tun *t, const struct l2tp_hdr *h, const struct l2tp_msg *m,
                           uint64_t now)
{
	uint8_t b[256];
	struct rp_wr w;
	switch (m->type) {
	case L2TP_SCCRP:
		if (t->sccrp)
			return;
		t->sccrp = true;
		t->lns_tid = m->assigned_tid;
		lac_begin(t, &w, b, sizeof b, 0, L2TP_SCCCN);
		if (t->secret) {
			uint8_t d[16];
			/* check the LNS's answer to our challenge, answer its challenge */
			l2tp_chal_digest(d, L2TP_SCCRP, t->secret, t->secret_len, t->chal, 16);
			t->auth_ok = m->challenge_resp.len == 16 && !memcmp(d, m->challenge_resp.p, 16);
			if (m->challenge.len) {
				l2tp_chal_digest(d, L2TP_SCCCN, t->secret, t->secret_len, m->challenge.p,
				                 m->challenge.len);
				l2tp_avp_put(&w, L2TP_AVP_CHALLENGE_RESP, true, d, 16);
			}
		}
		lac_ctl_send(t, &w, now);
		break;
	case L2TP_ICRP: {
		struct lac_sess *s = lac_sess_by_sid(t, h->sid);
		if (!s || s->icrp)
			return;
		s->icrp = true;
		s->lns_sid = m->assigned_sid;
		lac_begin(t, &w, b, sizeof b, s->lns_sid, L2TP_ICCN);
		l2tp_avp_u32(&w, L2TP_AVP_TX_SPEED, true, 100000000);
		l2tp_avp_u32(&w, L2TP_AVP_FRAMING_TYPE, true, 1);
		lac_ctl_send(t, &w, now);
		pppc_start(&s->c, s->c.user, s->c.pass, 0xa0000000u | (uint32_t)(s->sid * 977u + t->tid));
		s->ppp_started = true;
		s->kick_at = now + 3000;
		lac_flush_ppp(t, s);
		break;
	}
	case L2TP_CDN: {
		struct lac_sess *s = lac_sess_by_sid(t, h->sid);
		if (s)
			s->cdn_rcvd = true;
		break;
	}
	case L2TP_STOPCCN:
		t->stopccn_rcvd = true;
		t->stop_result = m->result;
		t->stop_error = m->error;
		if (!t->lns_tid)
			t->lns_tid = m->assigned_tid;
		break;
	case L2TP_HELLO:
		t->hellos++;
		break;
	default:
		break;
	}
}

static inline void lac_input(struct lac_tun *t, const uint8_t *p, size_t n, uint64_t now)
{
	struct l2tp_hdr h;
	struct l2tp_msg m;
	if (t->silent)
		return;
	ck_assert_int_eq(l2tp_hdr_parse(p, n, &h), 0);
	ck_assert_uint_eq(h.tid, t->tid);
	if (!h.ctrl) {
		struct lac_sess *s = lac_sess_by_sid(t, h.sid);
		ck_assert_ptr_nonnull(s);
		pppc_input(&s->c, p + h.payload_off, h.len - h.payload_off);
		lac_flush_ppp(t, s);
		return;
	}
	/* acknowledgements */
	while (t->ntx && seq_lt(t->tx[0].ns, h.nr)) {
		memmove(t->tx, t->tx + 1, sizeof t->tx[0] * (size_t)(t->ntx - 1));
		t->ntx--;
		t->rexmit_at = t->ntx ? now + 1000 : 0;
	}
	if (h.len == h.payload_off)
		return;
	ck_assert_int_eq(
	    l2tp_msg_parse(&m, p + h.payload_off, h.len - h.payload_off, t->secret, t->secret_len), 0);
	if (m.type == L2TP_HELLO && t->ignore_hello)
		return; /* neither processed nor acknowledged */
	if (h.ns != t->nr) {
		if (seq_lt(h.ns, t->nr))
			lac_zlb(t); /* duplicate: ack again */
		return;             /* ahead: dropped, the LNS retransmits */
	}
	t->nr++;
	lac_ctl(t, &h, &m, now);
	lac_zlb(t);
}

static inline void lac_tick(struct lac_tun *t, uint64_t now)
{
	if (t->silent)
		return;
	if (t->rexmit_at && now >= t->rexmit_at) {
		for (int i = 0; i < t->ntx; i++) {
			rp_put_u16(t->tx[i].d + 10, t->nr);
			lac_out(t, t->tx[i].d, t->tx[i].len);
		}
		t->rexmit_at = now + 1000;
	}
	/* the test PPP client does not retransmit by itself: resend its current request */
	for (int i = 0; i < t->nsess; i++) {
		struct lac_sess *s = &t->s[i];
		if (!s->ppp_started || s->cdn_rcvd || s->cdn_sent || now < s->kick_at)
			continue;
		s->kick_at = now + 3000;
		if (!s->c.lcp_acked)
			pppc_lcp_req(&s->c);
		else if (!s->c.auth_ok && s->c.resp_len)
			pppc_emit(&s->c, 0xc223, 2, s->c.resp_id, s->c.resp, s->c.resp_len);
		else if (s->c.auth_ok && !s->c.ipcp_acked) {
			s->c.ipcp_id--;
			pppc_ipcp_req(&s->c);
		}
		lac_flush_ppp(t, s);
	}
}

static inline uint64_t lac_deadline(const struct lac_tun *t)
{
	uint64_t d = t->rexmit_at ? t->rexmit_at : UINT64_MAX;
	if (t->silent)
		return UINT64_MAX;
	for (int i = 0; i < t->nsess; i++) {
		const struct lac_sess *s = &t->s[i];
		if (s->ppp_started && !s->cdn_rcvd && !s->cdn_sent && !pppc_up(&s->c) && s->kick_at < d)
			d = s->kick_at;
	}
	return d;
}

static inline void lac_cdn(struct lac_tun *t, struct lac_sess *s, uint64_t now)
{
	uint8_t b[256];
	struct rp_wr w;
	lac_begin(t, &w, b, sizeof b, s->lns_sid, L2TP_CDN);
	l2tp_avp_result(&w, 1, 0, NULL);
	l2tp_avp_u16(&w, L2TP_AVP_ASSIGNED_SID, true, s->sid);
	lac_ctl_send(t, &w, now);
	s->cdn_sent = true;
}

static inline void lac_stopccn(struct lac_tun *t, uint64_t now)
{
	uint8_t b[256];
	struct rp_wr w;
	lac_begin(t, &w, b, sizeof b, 0, L2TP_STOPCCN);
	l2tp_avp_u16(&w, L2TP_AVP_ASSIGNED_TID, true, t->tid);
	l2tp_avp_result(&w, 1, 0, NULL);
	lac_ctl_send(t, &w, now);
	t->stopccn_sent = true;
}

#endif
