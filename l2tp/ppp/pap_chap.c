/* Authentication phase framing: PAP (RFC 1334 §2), CHAP (RFC 1994) with MD5 and MS-CHAPv2 (RFC
 * 2759). The responses are handed to the owner's verify callback: the computations live in
 * auth/ only. */
#include "ppp_local.h"

#include <stdio.h>
#include <string.h>

enum { CHAP_CHALLENGE = 1, CHAP_RESPONSE = 2, CHAP_SUCCESS = 3, CHAP_FAILURE = 4 };
enum { PAP_REQ = 1, PAP_ACK = 2, PAP_NAK = 3 };

static void send_ctl(struct ppp *p, uint16_t proto, uint8_t code, uint8_t id, const void *d, size_t n)
{
	uint8_t b[300];
	if (n + 4 > sizeof b)
		return;
	b[0] = code;
	b[1] = id;
	rp_put_u16(b + 2, (uint16_t)(n + 4));
	memcpy(b + 4, d, n);
	ppp_send_proto(p, proto, b, n + 4);
}

static void send_challenge(struct ppp *p)
{
	uint8_t b[1 + 16 + 64];
	size_t nl = strlen(p->conf.name);
	if (nl > 64)
		nl = 64;
	b[0] = 16;
	memcpy(b + 1, p->chal, 16);
	memcpy(b + 17, p->conf.name, nl);
	send_ctl(p, PPP_CHAP, CHAP_CHALLENGE, p->chal_id, b, 17 + nl);
	p->chal_sends++;
	p->auth_timer = p->now + p->conf.restart_ms;
}

static void new_challenge(struct ppp *p)
{
	rp_rng_fill(p->rng, p->chal, sizeof p->chal);
}

void auth_start(struct ppp *p)
{
	p->auth_done = false;
	p->auth_fails = 0;
	p->chal_sends = 0;
	p->success_len = 0;
	p->auth_pending = false;
	if (p->auth == PPP_AUTH_MSCHAPV2 || p->auth == PPP_AUTH_CHAP_MD5) {
		new_challenge(p);
		p->chal_id = (uint8_t)rp_rng_u32(p->rng);
		send_challenge(p);
	} else {
		/* PAP: the peer speaks first; the phase timeout bounds the wait */
		p->auth_timer = 0;
	}
}

void auth_timeout(struct ppp *p)
{
	p->auth_timer = 0;
	if (p->auth_done || p->auth_pending || p->phase != 2)
		return;
	if (p->chal_sends >= p->conf.max_configure) {
		ppp_close_r(p, PPP_DOWN_TIMEOUT, "no answer to the CHAP challenge");
		return;
	}
	send_challenge(p);
}

static void hex(char *out, const uint8_t *p, size_t n)
{
	static const char h[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = h[p[i] >> 4];
		out[2 * i + 1] = h[p[i] & 15];
	}
	out[2 * n] = 0;
}

static const char *verdict_text(int v)
{
	switch (v) {
	case PPP_AUTH_DISABLED:
		return "account disabled";
	case PPP_AUTH_NO_PERMISSION:
		return "no dial-in permission";
	default:
		return "authentication failure";
	}
}

static void verified(struct ppp *p, const struct ppp_auth_res *res)
{
	memcpy(p->account, res->account, sizeof p->account);
	p->account[sizeof p->account - 1] = 0;
	p->peer_ip = res->peer_ip;
	p->auth_done = true;
	p->auth_timer = 0;
	rp_logf(p->log, RP_LOG_INFO, "ppp", "user \"%s\" authenticated", p->account);
	ppp_auth_ok(p);
}

static void failed(struct ppp *p, const char *user, size_t ul, int verdict)
{
	/* the name is the peer's: escaped here, since msg also becomes the session's down text */
	char u[4 * 64 + 1], msg[320];
	rp_esc(user, ul > 64 ? 64 : ul, u, sizeof u);
	snprintf(msg, sizeof msg, "authentication of \"%s\" failed: %s", u, verdict_text(verdict));
	rp_logf(p->log, RP_LOG_WARN, "ppp", "%s", msg);
	ppp_close_r(p, PPP_DOWN_AUTH, msg);
}

/* The verdict on a CHAP Response (now, or later through ppp_auth_answer). */
static void chap_result(struct ppp *p, uint8_t id, const char *user, size_t ul,
                        const struct ppp_auth_res *res)
{
	if (res->verdict == PPP_AUTH_OK) {
		char m[96];
		int ml = p->auth == PPP_AUTH_MSCHAPV2
		             ? snprintf(m, sizeof m, "%s M=Access granted", res->auth_response)
		             : snprintf(m, sizeof m, "Access granted");
		uint8_t *b = p->success_pkt;
		b[0] = CHAP_SUCCESS;
		b[1] = id;
		rp_put_u16(b + 2, (uint16_t)(4 + ml));
		memcpy(b + 4, m, (size_t)ml);
		p->success_len = 4 + (size_t)ml;
		ppp_send_proto(p, PPP_CHAP, p->success_pkt, p->success_len);
		verified(p, res);
		return;
	}
	p->auth_fails++;
	if (p->auth == PPP_AUTH_MSCHAPV2) {
		/* RFC 2759 §6 failure packet, in the form Windows shows the user (error 691/647/649):
		 * "E=eeeeeeeeee R=r C=cccccccccccccccccccccccccccccccc V=vvvvvvvvvv M=<msg>" */
		int e = res->verdict == PPP_AUTH_DISABLED        ? 647
		        : res->verdict == PPP_AUTH_NO_PERMISSION ? 649
		                                                 : 691;
		bool retry = e == 691 && p->auth_fails <= p->conf.auth_retries;
		char c[33], m[160];
		new_challenge(p);
		hex(c, p->chal, 16);
		int ml = snprintf(m, sizeof m, "E=%d R=%d C=%s V=3 M=%s", e, retry ? 1 : 0, c,
		                  verdict_text(res->verdict));
		send_ctl(p, PPP_CHAP, CHAP_FAILURE, id, m, (size_t)ml);
		if (retry) {
			p->chal_id = (uint8_t)(id + 1);
			p->auth_timer = p->now + p->conf.phase_timeout_s * 1000ull;
			return;
		}
	} else {
		static const char m[] = "Authentication failure";
		send_ctl(p, PPP_CHAP, CHAP_FAILURE, id, m, sizeof m - 1);
	}
	failed(p, user, ul, res->verdict);
}

static void pap_result(struct ppp *p, uint8_t id, const char *user, size_t ul, const struct ppp_auth_res *res)
{
	if (res->verdict == PPP_AUTH_OK) {
		send_ctl(p, PPP_PAP, PAP_ACK, id, "\0", 1);
		p->success_len = 1;
		verified(p, res);
		return;
	}
	const char *t = verdict_text(res->verdict);
	uint8_t b[64];
	b[0] = (uint8_t)strlen(t);
	memcpy(b + 1, t, b[0]);
	send_ctl(p, PPP_PAP, PAP_NAK, id, b, 1u + b[0]);
	failed(p, user, ul, res->verdict);
}

/* Asks the owner; a pending answer parks the request (the peer's retransmissions are then
 * ignored: one question per Response, however long the answer takes). Returns true when res
 * holds the verdict now. */
static bool ask(struct ppp *p, uint8_t id, const struct ppp_auth_req *q, struct ppp_auth_res *res)
{
	int rc = p->cb.verify ? p->cb.verify(p->cb.ctx, q, res) : -1;
	if (rc == PPP_VERIFY_PENDING) {
		p->auth_pending = true;
		p->pend_id = id;
		p->pend_user_len = q->user_len > sizeof p->pend_user ? sizeof p->pend_user : q->user_len;
		memcpy(p->pend_user, q->user, p->pend_user_len);
		p->auth_timer = 0; /* the peer answered our Challenge: no more resends while we wait */
		return false;
	}
	if (rc)
		res->verdict = PPP_AUTH_NO_PERMISSION;
	return true;
}

bool ppp_auth_pending(const struct ppp *p)
{
	return p->auth_pending;
}

int ppp_auth_answer(struct ppp *p, const struct ppp_auth_res *res, uint64_t now_ms)
{
	if (!p->auth_pending)
		return -1;
	p->now = now_ms;
	p->auth_pending = false;
	if (p->auth_done || p->phase != 2)
		return -1; /* the session moved on (closing) while the answer was on its way */
	if (p->auth == PPP_AUTH_PAP)
		pap_result(p, p->pend_id, p->pend_user, p->pend_user_len, res);
	else
		chap_result(p, p->pend_id, p->pend_user, p->pend_user_len, res);
	return 0;
}

static void chap_response(struct ppp *p, uint8_t id, const uint8_t *d, size_t n)
{
	struct ppp_auth_req q;
	struct ppp_auth_res res;
	uint8_t vs;
	memset(&q, 0, sizeof q);
	memset(&res, 0, sizeof res);
	if (n < 1)
		return;
	vs = d[0];
	if ((size_t)vs + 1 > n)
		return;
	if (p->auth_done) {
		/* our Success was lost and the peer repeats its Response: repeat the Success */
		if (p->success_len && id == p->chal_id)
			ppp_send_proto(p, PPP_CHAP, p->success_pkt, p->success_len);
		return;
	}
	if (p->auth_pending)
		return; /* a retransmission while the owner decides: the answer will come */
	/* RFC 1994 §4.1: the Response's Identifier matches the Challenge; an MS-CHAPv2 retry after
	 * a Failure with R=1 comes with the next Identifier (RFC 2759 §6). */
	if (id != p->chal_id)
		return;
	q.user = (const char *)d + 1 + vs;
	q.user_len = n - 1 - vs;
	q.chap_id = id;
	q.challenge = p->chal;
	q.challenge_len = 16;
	if (p->auth == PPP_AUTH_MSCHAPV2) {
		if (vs != 49)
			return;
		q.method = PPP_AUTH_MSCHAPV2;
		q.peer_challenge = d + 1;
		q.nt_response = d + 1 + 24;
	} else {
		if (vs != 16)
			return;
		q.method = PPP_AUTH_CHAP_MD5;
		q.response = d + 1;
	}
	if (ask(p, id, &q, &res))
		chap_result(p, id, q.user, q.user_len, &res);
	rp_wipe(&res, sizeof res);
}

static void pap_request(struct ppp *p, uint8_t id, const uint8_t *d, size_t n)
{
	struct rp_rd r;
	uint8_t ul, pl;
	const uint8_t *u, *pw;
	struct ppp_auth_req q;
	struct ppp_auth_res res;
	rp_rd_init(&r, d, n);
	if (rp_rd_u8(&r, &ul) || rp_rd_ref(&r, &u, ul) || rp_rd_u8(&r, &pl) || rp_rd_ref(&r, &pw, pl))
		return;
	if (p->auth_done) {
		/* a repeated request after our Ack was lost */
		if (p->success_len)
			send_ctl(p, PPP_PAP, PAP_ACK, id, "\0", 1);
		return;
	}
	if (p->auth_pending)
		return; /* a retransmission while the owner decides */
	memset(&q, 0, sizeof q);
	memset(&res, 0, sizeof res);
	q.method = PPP_AUTH_PAP;
	q.user = (const char *)u;
	q.user_len = ul;
	q.password = pw;
	q.password_len = pl;
	if (ask(p, id, &q, &res))
		pap_result(p, id, q.user, q.user_len, &res);
	rp_wipe(&res, sizeof res);
}

void auth_input(struct ppp *p, uint16_t proto, const uint8_t *d, size_t n)
{
	/* RFC 1661 §3.5: authentication packets before the phase, or for a method we did not
	 * negotiate, are silently discarded */
	int len = ppp_ctl_validate(d, n, false);
	if (len < 0 || (p->phase != 2 && p->phase != 3))
		return;
	if (proto == PPP_CHAP && (p->auth == PPP_AUTH_MSCHAPV2 || p->auth == PPP_AUTH_CHAP_MD5) &&
	    d[0] == CHAP_RESPONSE)
		chap_response(p, d[1], d + 4, (size_t)len - 4);
	else if (proto == PPP_PAP && p->auth == PPP_AUTH_PAP && d[0] == PAP_REQ)
		pap_request(p, d[1], d + 4, (size_t)len - 4);
}
