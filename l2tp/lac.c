/* L2TP LAC: see l2tp_lac.h. */
#include "l2tp_lac.h"

#include "l2tp_local.h"

#include <errno.h>
#include <string.h>

static void out(struct l2tp_lac *t, const uint8_t *p, size_t n)
{
	if (t->send)
		t->send(t->ctx, p, n);
}

/* Resets t for a new tunnel, keeping what the caller set up once. */
static void reset(struct l2tp_lac *t, uint64_t sa, uint16_t tid)
{
	void (*send)(void *, const uint8_t *, size_t) = t->send;
	void *ctx = t->ctx;
	bool pap = t->pap;
	memset(t, 0, sizeof *t);
	t->send = send;
	t->ctx = ctx;
	t->pap = pap;
	t->link.sa = sa;
	rp_addr_v4(&t->link.peer, 0x64400001, 1701);
	t->tid = tid;
}

int l2tp_lac_ctl_send(struct l2tp_lac *t, struct rp_wr *w, uint64_t now)
{
	l2tp_ctl_end(w);
	if (!rp_wr_ok(w) || t->ntx >= L2TP_LAC_MAX_TX || w->len > sizeof t->tx[0].d)
		return -ENOSPC;
	struct l2tp_lac_tx *x = &t->tx[t->ntx++];
	x->ns = t->ns++;
	x->len = (uint16_t)w->len;
	memcpy(x->d, w->p, w->len);
	rp_put_u16(x->d + 8, x->ns);
	rp_put_u16(x->d + 10, t->nr);
	out(t, x->d, x->len);
	if (!t->rexmit_at)
		t->rexmit_at = now + 1000;
	return 0;
}

static void zlb(struct l2tp_lac *t)
{
	uint8_t b[12];
	struct rp_wr w;
	rp_wr_init(&w, b, sizeof b);
	l2tp_ctl_begin(&w, t->lns_tid, 0, t->ns, t->nr);
	l2tp_ctl_end(&w);
	out(t, b, w.len);
	t->zlb_sent++;
}

void l2tp_lac_begin(struct l2tp_lac *t, struct rp_wr *w, uint8_t *b, size_t cap, uint16_t sid, uint16_t mt)
{
	rp_wr_init(w, b, cap);
	l2tp_ctl_begin(w, t->lns_tid, sid, 0, 0);
	l2tp_avp_u16(w, L2TP_AVP_MSG_TYPE, true, mt);
}

void l2tp_lac_start(struct l2tp_lac *t, uint64_t sa, uint16_t tid, uint64_t now)
{
	uint8_t b[256];
	struct rp_wr w;
	reset(t, sa, tid);
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
	(void)l2tp_lac_ctl_send(t, &w, now);
}

void l2tp_lac_start_auth(struct l2tp_lac *t, uint64_t sa, uint16_t tid, uint64_t now, const uint8_t *secret,
                         size_t sl)
{
	uint8_t b[256];
	struct rp_wr w;
	reset(t, sa, tid);
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
	(void)l2tp_lac_ctl_send(t, &w, now);
}

struct l2tp_lac_sess *l2tp_lac_add_session(struct l2tp_lac *t, uint16_t sid, const char *user,
                                           const char *pass, uint64_t now)
{
	uint8_t b[256];
	struct rp_wr w;
	if (t->nsess >= L2TP_LAC_MAX_SESS)
		return NULL;
	struct l2tp_lac_sess *s = &t->s[t->nsess++];
	memset(s, 0, sizeof *s);
	s->tun = t;
	s->sid = sid;
	s->c.user = user;
	s->c.pass = pass;
	l2tp_lac_begin(t, &w, b, sizeof b, 0, L2TP_ICRQ);
	l2tp_avp_u16(&w, L2TP_AVP_ASSIGNED_SID, true, sid);
	l2tp_avp_u32(&w, L2TP_AVP_CALL_SERIAL, true, sid * 7u);
	l2tp_avp_u32(&w, L2TP_AVP_BEARER_TYPE, true, 0);
	(void)l2tp_lac_ctl_send(t, &w, now);
	return s;
}

struct l2tp_lac_sess *l2tp_lac_sess_by_sid(struct l2tp_lac *t, uint16_t sid)
{
	for (int i = 0; i < t->nsess; i++)
		if (t->s[i].sid == sid)
			return &t->s[i];
	return NULL;
}

void l2tp_lac_ppp_send(struct l2tp_lac_sess *s, const uint8_t *f, size_t n)
{
	uint8_t b[1600];
	if (n + 8 > sizeof b)
		return;
	int h = l2tp_data_hdr(b, sizeof b, s->tun->lns_tid, s->lns_sid, (uint16_t)(n + 8));
	if (h < 0)
		return;
	memcpy(b + h, f, n);
	out(s->tun, b, n + (size_t)h);
}

/* the PPP client's sink */
static void ppp_out(void *ctx, const uint8_t *f, size_t n)
{
	l2tp_lac_ppp_send(ctx, f, n);
}

static void ctl(struct l2tp_lac *t, const struct l2tp_hdr *h, const struct l2tp_msg *m, uint64_t now)
{
	uint8_t b[256];
	struct rp_wr w;
	switch (m->type) {
	case L2TP_SCCRP:
		if (t->sccrp)
			return;
		t->sccrp = true;
		t->lns_tid = m->assigned_tid;
		l2tp_lac_begin(t, &w, b, sizeof b, 0, L2TP_SCCCN);
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
		(void)l2tp_lac_ctl_send(t, &w, now);
		break;
	case L2TP_ICRP: {
		struct l2tp_lac_sess *s = l2tp_lac_sess_by_sid(t, h->sid);
		if (!s || s->icrp)
			return;
		s->icrp = true;
		s->lns_sid = m->assigned_sid;
		l2tp_lac_begin(t, &w, b, sizeof b, s->lns_sid, L2TP_ICCN);
		l2tp_avp_u32(&w, L2TP_AVP_TX_SPEED, true, 100000000);
		l2tp_avp_u32(&w, L2TP_AVP_FRAMING_TYPE, true, 1);
		(void)l2tp_lac_ctl_send(t, &w, now);
		s->c.send = ppp_out;
		s->c.ctx = s;
		ppp_cli_start(&s->c, s->c.user, s->c.pass, 0xa0000000u | (uint32_t)(s->sid * 977u + t->tid));
		if (t->pap) {
			s->c.auth_kind = PPP_CLI_AUTH_PAP;
			s->c.pap_auto = true;
		}
		s->ppp_started = true;
		s->kick_at = now + 3000;
		break;
	}
	case L2TP_CDN: {
		struct l2tp_lac_sess *s = l2tp_lac_sess_by_sid(t, h->sid);
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

int l2tp_lac_input(struct l2tp_lac *t, const uint8_t *p, size_t n, uint64_t now)
{
	struct l2tp_hdr h;
	struct l2tp_msg m;
	if (t->silent)
		return 0;
	if (l2tp_hdr_parse(p, n, &h) || h.tid != t->tid) {
		t->drops++;
		return -EBADMSG;
	}
	if (!h.ctrl) {
		struct l2tp_lac_sess *s = l2tp_lac_sess_by_sid(t, h.sid);
		if (!s || !s->ppp_started) {
			t->drops++;
			return -EBADMSG;
		}
		ppp_cli_input(&s->c, p + h.payload_off, h.len - h.payload_off);
		return 0;
	}
	/* acknowledgements */
	while (t->ntx && seq_lt(t->tx[0].ns, h.nr)) {
		memmove(t->tx, t->tx + 1, sizeof t->tx[0] * (size_t)(t->ntx - 1));
		t->ntx--;
		t->rexmit_at = t->ntx ? now + 1000 : 0;
	}
	if (h.len == h.payload_off)
		return 0;
	if (l2tp_msg_parse(&m, p + h.payload_off, h.len - h.payload_off, t->secret, t->secret_len) < 0) {
		t->drops++;
		return -EBADMSG;
	}
	if (m.type == L2TP_HELLO && t->ignore_hello)
		return 0; /* neither processed nor acknowledged */
	if (h.ns != t->nr) {
		if (seq_lt(h.ns, t->nr))
			zlb(t); /* duplicate: ack again */
		return 0;       /* ahead: dropped, the LNS retransmits */
	}
	t->nr++;
	ctl(t, &h, &m, now);
	zlb(t);
	return 0;
}

void l2tp_lac_tick(struct l2tp_lac *t, uint64_t now)
{
	if (t->silent)
		return;
	if (t->rexmit_at && now >= t->rexmit_at) {
		for (int i = 0; i < t->ntx; i++) {
			rp_put_u16(t->tx[i].d + 10, t->nr);
			out(t, t->tx[i].d, t->tx[i].len);
		}
		t->rexmit_at = now + 1000;
	}
	/* the PPP client does not retransmit by itself: resend its current request */
	for (int i = 0; i < t->nsess; i++) {
		struct l2tp_lac_sess *s = &t->s[i];
		if (!s->ppp_started || s->cdn_rcvd || s->cdn_sent || now < s->kick_at)
			continue;
		s->kick_at = now + 3000;
		ppp_cli_kick(&s->c);
	}
}

uint64_t l2tp_lac_deadline(const struct l2tp_lac *t)
{
	uint64_t d = t->rexmit_at ? t->rexmit_at : UINT64_MAX;
	if (t->silent)
		return UINT64_MAX;
	for (int i = 0; i < t->nsess; i++) {
		const struct l2tp_lac_sess *s = &t->s[i];
		if (s->ppp_started && !s->cdn_rcvd && !s->cdn_sent && !ppp_cli_up(&s->c) && s->kick_at < d)
			d = s->kick_at;
	}
	return d;
}

void l2tp_lac_cdn(struct l2tp_lac *t, struct l2tp_lac_sess *s, uint64_t now)
{
	uint8_t b[256];
	struct rp_wr w;
	l2tp_lac_begin(t, &w, b, sizeof b, s->lns_sid, L2TP_CDN);
	l2tp_avp_result(&w, 1, 0, NULL);
	l2tp_avp_u16(&w, L2TP_AVP_ASSIGNED_SID, true, s->sid);
	(void)l2tp_lac_ctl_send(t, &w, now);
	s->cdn_sent = true;
}

void l2tp_lac_stopccn(struct l2tp_lac *t, uint64_t now)
{
	uint8_t b[256];
	struct rp_wr w;
	l2tp_lac_begin(t, &w, b, sizeof b, 0, L2TP_STOPCCN);
	l2tp_avp_u16(&w, L2TP_AVP_ASSIGNED_TID, true, t->tid);
	l2tp_avp_result(&w, 1, 0, NULL);
	(void)l2tp_lac_ctl_send(t, &w, now);
	t->stopccn_sent = true;
}
