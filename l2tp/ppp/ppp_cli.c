/* PPP client: see ppp_cli.h. Written independently of the responder in this folder (it shares
 * no code with fsm.c), so a test of one against the other checks both. */
#include "ppp_cli.h"

#include "auth.h"

#include <string.h>

void ppp_cli_emit(struct ppp_cli *c, uint16_t proto, uint8_t code, uint8_t id, const uint8_t *d, size_t n)
{
	uint8_t b[600];
	if (n + 8 > sizeof b || !c->send)
		return;
	b[0] = 0xff;
	b[1] = 0x03;
	rp_put_u16(b + 2, proto);
	b[4] = code;
	b[5] = id;
	rp_put_u16(b + 6, (uint16_t)(n + 4));
	if (n)
		memcpy(b + 8, d, n);
	c->send(c->ctx, b, n + 8);
}

void ppp_cli_lcp_req(struct ppp_cli *c)
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
	ppp_cli_emit(c, 0xc021, 1, ++c->lcp_id, o, n);
}

void ppp_cli_ipcp_req(struct ppp_cli *c)
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
	ppp_cli_emit(c, 0x8021, 1, ++c->ipcp_id, o, n);
}

void ppp_cli_start(struct ppp_cli *c, const char *user, const char *pass, uint32_t magic)
{
	void (*send)(void *, const uint8_t *, size_t) = c->send;
	void *ctx = c->ctx;
	void (*ip_in)(void *, const uint8_t *, size_t) = c->ip_in;
	memset(c, 0, sizeof *c);
	c->send = send;
	c->ctx = ctx;
	c->ip_in = ip_in;
	c->user = user;
	c->pass = pass;
	c->magic = magic;
	c->offer_mrru = true;
	ppp_cli_lcp_req(c);
}

void ppp_cli_chap(struct ppp_cli *c, uint8_t id, const uint8_t *d, size_t n)
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
	ppp_cli_emit(c, 0xc223, 2, id, r, 50 + ul);
	memcpy(c->resp, r, 50 + ul);
	c->resp_len = 50 + ul;
	c->resp_id = id;
}

static void pap_maybe(struct ppp_cli *c);

void ppp_cli_input(struct ppp_cli *c, const uint8_t *f, size_t n)
{
	/* IP: with or without address/control and a compressed protocol field (RFC 1661 §6.5/6.6,
	 * should the server use what our Ack of its request allowed) */
	size_t off = n >= 2 && f[0] == 0xff && f[1] == 0x03 ? 2 : 0;
	if (n > off + 1 && f[off] == 0x21) {
		if (c->ip_in && ppp_cli_up(c))
			c->ip_in(c->ctx, f + off + 1, n - off - 1);
		return;
	}
	if (n > off + 2 && f[off] == 0x00 && f[off + 1] == 0x21) {
		if (c->ip_in && ppp_cli_up(c))
			c->ip_in(c->ctx, f + off + 2, n - off - 2);
		return;
	}
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
							ppp_cli_emit(c, 0xc021, 3, id, nk1, 4);
						else
							ppp_cli_emit(c, 0xc021, 3, id, nk2, 5);
						return;
					}
				}
			}
			for (size_t i = 0; i + 4 <= dn && d[i + 1] >= 2; i += d[i + 1])
				if (d[i] == 3 && rp_get_u16(d + i + 2) == 0xc023)
					c->pap_agreed = true;
			ppp_cli_emit(c, 0xc021, 2, id, d, dn);
			c->lcp_ack_sent = true;
			pap_maybe(c);
		} else if (code == 2 && id == c->lcp_id) {
			c->lcp_acked = true;
			pap_maybe(c);
		} else if (code == 4 && id == c->lcp_id) {
			c->offer_mrru = false;
			ppp_cli_lcp_req(c);
		} else if (code == 5) {
			c->terminated = true;
			ppp_cli_emit(c, 0xc021, 6, id, NULL, 0);
		} else if (code == 8) {
			c->got_proto_rej = true;
		} else if (code == 9 && !c->no_echo_reply && dn >= 4) {
			uint8_t m[4];
			rp_put_u32(m, c->magic);
			ppp_cli_emit(c, 0xc021, 10, id, m, 4);
			c->echo_replies++;
		}
	} else if (proto == 0xc223) {
		if (code == 1 && c->auth_kind == 2 && dn >= 17) {
			uint8_t r[1 + 16 + 64];
			size_t ul = strlen(c->user);
			r[0] = 16;
			auth_chap_md5(id, c->pass, strlen(c->pass), d + 1, d[0], r + 1);
			memcpy(r + 17, c->user, ul);
			ppp_cli_emit(c, 0xc223, 2, id, r, 17 + ul);
		} else if (code == 1)
			ppp_cli_chap(c, id, d, dn);
		else if (code == 3 && c->auth_kind == 2) {
			c->auth_ok = true;
			ppp_cli_ipcp_req(c);
		} else if (code == 3) {
			char want[43];
			uint8_t h[16];
			auth_nt_hash(c->pass, strlen(c->pass), h);
			auth_mschapv2_auth_response(h, c->ntresp, c->peer_chal, c->auth_chal, c->user,
			                            strlen(c->user), want);
			/* the client checks the server's authenticator response (RFC 2759 §5) */
			if (dn >= 42 && !memcmp(d, want, 42)) {
				c->auth_ok = true;
				ppp_cli_ipcp_req(c);
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
			ppp_cli_ipcp_req(c);
		} else if (code == 3)
			c->auth_failed = true;
	} else if (proto == 0x8021) {
		if (code == 1) {
			for (size_t i = 0; i + 6 <= dn && d[i + 1] >= 2; i += d[i + 1])
				if (d[i] == 3 && d[i + 1] == 6)
					c->peer_ip = rp_get_u32(d + i + 2);
			ppp_cli_emit(c, 0x8021, 2, id, d, dn);
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
			ppp_cli_ipcp_req(c);
		} else if (code == 4 && id == c->ipcp_id) {
			for (size_t i = 0; i + 2 <= dn && d[i + 1] >= 2; i += d[i + 1]) {
				if (d[i] == 2)
					c->rej_vj = true;
				if (d[i] == 129)
					c->rej_dns1 = true;
				if (d[i] == 131)
					c->rej_dns2 = true;
			}
			ppp_cli_ipcp_req(c);
		} else if (code == 2 && id == c->ipcp_id) {
			c->ipcp_acked = true;
		}
	}
}

/* the client's PAP request (after the server agreed PAP) */
void ppp_cli_pap(struct ppp_cli *c)
{
	uint8_t b[200];
	size_t ul = strlen(c->user), pl = strlen(c->pass), n = 0;
	b[n++] = (uint8_t)ul;
	memcpy(b + n, c->user, ul), n += ul;
	b[n++] = (uint8_t)pl;
	memcpy(b + n, c->pass, pl), n += pl;
	ppp_cli_emit(c, 0xc023, 1, 1, b, n);
}

bool ppp_cli_up(const struct ppp_cli *c)
{
	return c->ipcp_acked && c->ipcp_ack_sent && c->auth_ok;
}

/* RFC 1334 §2: the peer sends its Authenticate-Request once LCP is open (both Acks). */
static void pap_maybe(struct ppp_cli *c)
{
	if (c->pap_auto && c->pap_agreed && !c->pap_sent && c->lcp_acked && c->lcp_ack_sent) {
		c->pap_sent = true;
		ppp_cli_pap(c);
	}
}

void ppp_cli_kick(struct ppp_cli *c)
{
	if (!c->lcp_acked) {
		ppp_cli_lcp_req(c);
	} else if (!c->auth_ok && c->pap_sent) {
		ppp_cli_pap(c);
	} else if (!c->auth_ok && c->resp_len) {
		ppp_cli_emit(c, 0xc223, 2, c->resp_id, c->resp, c->resp_len);
	} else if (c->auth_ok && !c->ipcp_acked) {
		c->ipcp_id--; /* the same request again, same identifier */
		ppp_cli_ipcp_req(c);
	}
}

void ppp_cli_send_ip(struct ppp_cli *c, const uint8_t *pkt, size_t n)
{
	uint8_t b[1600];
	if (n + 4 > sizeof b || !c->send)
		return;
	b[0] = 0xff;
	b[1] = 0x03;
	rp_put_u16(b + 2, 0x0021);
	memcpy(b + 4, pkt, n);
	c->send(c->ctx, b, n + 4);
}
