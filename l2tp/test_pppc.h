/* Test-only PPP client (the role pppd or Windows plays): LCP with a few options the server must
 * reject, MS-CHAPv2 / CHAP-MD5 / PAP computed with auth/'s functions, IPCP asking for an address
 * and DNS. Reactive: feed it the server's frames, collect its frames from out[]. */
#ifndef RP_TEST_PPPC_H
#define RP_TEST_PPPC_H

#include "auth.h"
#include "rp_base.h"

#include <string.h>

struct pppc {
	const char *user, *pass;
	uint32_t magic;
	bool offer_mrru; /* Windows-like extra options the server rejects */
	bool lcp_acked, lcp_ack_sent, auth_ok, ipcp_acked, ipcp_ack_sent;
	bool auth_failed, terminated, got_proto_rej;
	bool no_echo_reply;
	bool rej_dns1, rej_dns2, rej_vj;
	uint8_t resp[120]; /* last CHAP Response information, resent on a kick like Windows does */
	size_t resp_len;
	uint8_t resp_id;
	uint8_t lcp_id, ipcp_id;
	uint32_t ip, dns1, dns2;
	uint8_t peer_chal[16], ntresp[24], auth_chal[16];
	unsigned echo_replies, lcp_reqs_rcvd, chap_retries;
	char fail_msg[200];
	int auth_kind; /* 0 = answer what the server asks; 1 = Nak CHAP asking PAP; 2 = asking CHAP-MD5 */
	/* frames the client wants sent (caller drains) */
	uint8_t out[8][600];
	size_t out_len[8];
	int nout;
};

static inline void pppc_emit(struct pppc *c, uint16_t proto, uint8_t code, uint8_t id, const uint8_t *d,
                             size_t n)
{
	if (c->nout >= 8 || n + 8 > sizeof c->out[0])
		return;
	uint8_t *b = c->out[c->nout];
	b[0] = 0xff;
	b[1] = 0x03;
	rp_put_u16(b + 2, proto);
	b[4] = code;
	b[5] = id;
	rp_put_u16(b + 6, (uint16_t)(n + 4));
	if (n)
		memcpy(b + 8, d, n);
	c->out_len[c->nout++] = n + 8;
}

static inline void pppc_lcp_req(struct pppc *c)
{
	uint8_t o[64];
	size_t n = 0;
	o[n++] = 1, o[n++] = 4, rp_put_u16(o + n, 1400), n += 2;
	o[n++] = 2, o[n++] = 6, memset(o + n, 0, 4), n += 4;
	o[n++] = 5, o[n++] = 6, rp_put_u32(o + n, c->magic), n += 4;
	o[n++] = 7, o[n++] = 2;
	o[n++] = 8, o[n++] = 2;
	if (c->offer_mrru) {
		o[n++] = 17, o[n++] = 4, rp_put_u16(o + n, 1614), n += 2;
		o[n++] = 13, o[n++] = 3, o[n++] = 6; /* callback */
	}
	pppc_emit(c, 0xc021, 1, ++c->lcp_id, o, n);
}

static inline void pppc_ipcp_req(struct pppc *c)
{
	uint8_t o[32];
	size_t n = 0;
	o[n++] = 3, o[n++] = 6, rp_put_u32(o + n, c->ip), n += 4;
	if (!c->rej_dns1)
		o[n++] = 129, o[n++] = 6, rp_put_u32(o + n, c->dns1), n += 4;
	if (!c->rej_dns2)
		o[n++] = 131, o[n++] = 6, rp_put_u32(o + n, c->dns2), n += 4;
	if (!c->rej_vj) /* Van Jacobson compression: the server rejects it */
		o[n++] = 2, o[n++] = 6, o[n++] = 0, o[n++] = 0x2d, o[n++] = 15, o[n++] = 1;
	pppc_emit(c, 0x8021, 1, ++c->ipcp_id, o, n);
}

static inline void pppc_start(struct pppc *c, const char *user, const char *pass, uint32_t magic)
{
	memset(c, 0, sizeof *c);
	c->user = user;
	c->pass = pass;
	c->magic = magic;
	c->offer_mrru = true;
	pppc_lcp_req(c);
}

static inline void pppc_chap(struct pppc *c, uint8_t id, const uint8_t *d, size_t n)
{
	if (n < 17 || d[0] != 16)
		return;
	memcpy(c->auth_chal, d + 1, 16);
	for (int i = 0; i < 16; i++)
		c->peer_chal[i] = (uint8_t)(i * 31 + c->magic);
	uint8_t h[16], r[1 + 49 + 64];
	auth_nt_hash(c->pass, strlen(c->pass), h);
	auth_mschapv2_nt_response(h, c->auth_chal, c->peer_chal, c->user, strlen(c->user), c->ntresp);
	r[0] = 49;
	memcpy(r + 1, c->peer_chal, 16);
	memset(r + 17, 0, 8);
	memcpy(r + 25, c->ntresp, 24);
	r[49] = 0;
	size_t ul = strlen(c->user);
	memcpy(r + 50, c->user, ul);
	pppc_emit(c, 0xc223, 2, id, r, 50 + ul);
	memcpy(c->resp, r, 50 + ul);
	c->resp_len = 50 + ul;
	c->resp_id = id;
}

static inline void pppc_input(struct pppc *c, const uint8_t *f, size_t n)
{
	if (n < 8 || f[0] != 0xff || f[1] != 0x03)
		return;
	uint16_t proto = rp_get_u16(f + 2);
	uint8_t code = f[4], id = f[5];
	size_t len = rp_get_u16(f + 6);
	if (len < 4 || len + 4 > n)
		return;
	const uint8_t *d = f + 8;
	size_t dn = len - 4;
	if (proto == 0xc021) {
		if (code == 1) { /* server's request: Nak CHAP if we want PAP, else Ack */
			c->lcp_reqs_rcvd++;
			if (c->auth_kind) {
				for (size_t i = 0; i + 2 <= dn; i += d[i + 1]) {
					if (d[i + 1] < 2)
						break;
					if (d[i] == 3 && rp_get_u16(d + i + 2) == 0xc223 &&
					    (c->auth_kind == 1 || d[i + 4] != 5)) {
						uint8_t nk1[4] = {3, 4, 0xc0, 0x23},
						        nk2[5] = {3, 5, 0xc2, 0x23, 5};
						if (c->auth_kind == 1)
							pppc_emit(c, 0xc021, 3, id, nk1, 4);
						else
							pppc_emit(c, 0xc021, 3, id, nk2, 5);
						return;
					}
				}
			}
			pppc_emit(c, 0xc021, 2, id, d, dn);
			c->lcp_ack_sent = true;
		} else if (code == 2 && id == c->lcp_id) {
			c->lcp_acked = true;
		} else if (code == 4 && id == c->lcp_id) {
			c->offer_mrru = false;
			pppc_lcp_req(c);
		} else if (code == 5) {
			c->terminated = true;
			pppc_emit(c, 0xc021, 6, id, NULL, 0);
		} else if (code == 8) {
			c->got_proto_rej = true;
		} else if (code == 9 && !c->no_echo_reply && dn >= 4) {
			uint8_t m[4];
			rp_put_u32(m, c->magic);
			pppc_emit(c, 0xc021, 10, id, m, 4);
			c->echo_replies++;
		}
	} else if (proto == 0xc223) {
		if (code == 1 && c->auth_kind == 2 && dn >= 17) {
			uint8_t r[1 + 16 + 64];
			size_t ul = strlen(c->user);
			r[0] = 16;
			auth_chap_md5(id, c->pass, strlen(c->pass), d + 1, d[0], r + 1);
			memcpy(r + 17, c->user, ul);
			pppc_emit(c, 0xc223, 2, id, r, 17 + ul);
		} else if (code == 1)
			pppc_chap(c, id, d, dn);
		else if (code == 3 && c->auth_kind == 2) {
			c->auth_ok = true;
			pppc_ipcp_req(c);
		} else if (code == 3) {
			char want[43];
			uint8_t h[16];
			auth_nt_hash(c->pass, strlen(c->pass), h);
			auth_mschapv2_auth_response(h, c->ntresp, c->peer_chal, c->auth_chal, c->user,
			                            strlen(c->user), want);
			/* the client checks the server's authenticator response (RFC 2759 §5) */
			if (dn >= 42 && !memcmp(d, want, 42)) {
				c->auth_ok = true;
				pppc_ipcp_req(c);
			}
		} else if (code == 4) {
			size_t k = dn < sizeof c->fail_msg - 1 ? dn : sizeof c->fail_msg - 1;
			memcpy(c->fail_msg, d, k);
			c->fail_msg[k] = 0;
			c->auth_failed = true;
		}
	} else if (proto == 0xc023) {
		if (code == 2) {
			c->auth_ok = true;
			pppc_ipcp_req(c);
		} else if (code == 3)
			c->auth_failed = true;
	} else if (proto == 0x8021) {
		if (code == 1) {
			pppc_emit(c, 0x8021, 2, id, d, dn);
			c->ipcp_ack_sent = true;
		} else if (code == 3 && id == c->ipcp_id) {
			for (size_t i = 0; i + 6 <= dn; i += 6) {
				uint32_t v = rp_get_u32(d + i + 2);
				if (d[i] == 3)
					c->ip = v;
				if (d[i] == 129)
					c->dns1 = v;
				if (d[i] == 131)
					c->dns2 = v;
			}
			pppc_ipcp_req(c);
		} else if (code == 4 && id == c->ipcp_id) {
			for (size_t i = 0; i + 2 <= dn && d[i + 1] >= 2; i += d[i + 1]) {
				if (d[i] == 2)
					c->rej_vj = true;
				if (d[i] == 129)
					c->rej_dns1 = true;
				if (d[i] == 131)
					c->rej_dns2 = true;
			}
			pppc_ipcp_req(c);
		} else if (code == 2 && id == c->ipcp_id) {
			c->ipcp_acked = true;
		}
	}
}

/* the client's PAP request (after the server agreed PAP) */
static inline void pppc_pap(struct pppc *c)
{
	uint8_t b[200];
	size_t ul = strlen(c->user), pl = strlen(c->pass), n = 0;
	b[n++] = (uint8_t)ul;
	memcpy(b + n, c->user, ul), n += ul;
	b[n++] = (uint8_t)pl;
	memcpy(b + n, c->pass, pl), n += pl;
	pppc_emit(c, 0xc023, 1, 1, b, n);
}

static inline bool pppc_up(const struct pppc *c)
{
	return c->ipcp_acked && c->ipcp_ack_sent && c->auth_ok;
}

#endif
