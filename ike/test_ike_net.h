/* Test harness shared by test_ike.c and test_ike_life.c: the responder core and the test
 * initiator wired back-to-back through an optional NAT, events collected. */
#ifndef IKE_TEST_NET_H
#define IKE_TEST_NET_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ike_cli.h"

struct net {
	struct ike_conf conf;
	struct ike_psk psks[4];
	struct ike *r;
	struct ike_cli *t;
	struct ike_cli_conf tc;
	struct rp_rng rr, ri;
	struct rp_log lg;
	struct rp_addr srv, priv, pub;
	bool nat;
	uint16_t float_port; /* the NAT's mapping for the client's 4500 */
	uint64_t now;
	struct ike_ev_sa inst[8];
	int ninst, nup, ndown, ndel, nsend, nkeylog;
	uint32_t p1_life;                 /* from the last IKE_UP */
	char up_account[IKE_ACCOUNT_LEN]; /* from the last IKE_UP */
	char keylog[200];
	uint8_t reply[IKE_MAXBUF];
	size_t reply_len;
	struct rp_addr reply_src, reply_dst;
	char logbuf[16384];
	/* IKEv1 fragmentation, done here independently of ike_frag.c: the responder's fragments
	 * are reassembled into reply; with frag_out the initiator's messages go out split into
	 * fragments of that many data bytes (optionally in reverse order, each sent twice) */
	size_t frag_out;
	bool frag_reverse, frag_dup;
	int nfrag_rx;          /* fragments received from the responder */
	size_t frag_rx_maxlen; /* largest fragment datagram */
	uint8_t rf[16][IKE_MAXBUF];
	size_t rflen[16];
	int rflast;
};

static inline void sink(void *ctx, int level, const char *module, const char *msg)
{
	struct net *n = ctx;
	size_t l = strlen(n->logbuf);
	(void)module;
	(void)level;
	snprintf(n->logbuf + l, sizeof n->logbuf - l, "%s\n", msg);
}

/* how often s occurs in the captured log */
static inline int count_lines(const char *log, const char *s)
{
	int k = 0;
	for (const char *p = log; (p = strstr(p, s)); p++)
		k++;
	return k;
}

static const uint8_t PSK[] = "rampart-test-psk";

static inline void net_init(struct net *n, bool nat)
{
	memset(n, 0, sizeof *n);
	ike_conf_defaults(&n->conf);
	n->psks[0] = (struct ike_psk){.kind = IKE_PSK_ANY, .key = PSK, .keylen = sizeof PSK - 1};
	n->conf.psks = n->psks;
	n->conf.npsk = 1;
	n->conf.keylog = true;
	rp_rng_seeded(&n->rr, 1);
	rp_rng_seeded(&n->ri, 2);
	rp_log_init(&n->lg, RP_LOG_TRACE, sink, n);
	n->lg.burst = 1000;
	rp_addr_v4(&n->srv, 0xcb007101, 500);   /* 203.0.113.1 */
	rp_addr_v4(&n->priv, 0x64400a0a, 500);  /* 100.64.10.10 */
	rp_addr_v4(&n->pub, 0xcb007102, 40123); /* 203.0.113.2, NAT-mapped port */
	n->nat = nat;
	n->float_port = 40124;
	n->tc.psk = PSK;
	n->tc.psklen = sizeof PSK - 1;
	n->tc.local = n->priv;
	n->tc.remote = n->srv;
	n->tc.natt = IKE_NATT_RFC;
	n->tc.client_port = 1701;
	n->now = 1000;
}

/* What the test initiator offers: Main Mode transforms, then Quick Mode ones */
static inline void net_offer(struct net *n, const struct ike_p1_alg *p1, size_t np1, const struct ike_cli_p2 *p2,
                             size_t np2)
{
	n->tc.p1 = p1;
	n->tc.np1 = np1;
	n->tc.p2 = p2;
	n->tc.np2 = np2;
}

static inline void net_start(struct net *n)
{
	n->r = ike_new(&n->conf, &n->rr, &n->lg);
	ck_assert_ptr_nonnull(n->r);
	n->t = ike_cli_new(&n->tc, &n->ri);
}

static inline void net_free(struct net *n)
{
	ike_cli_free(n->t);
	ike_free(n->r);
}

static inline void drain(struct net *n)
{
	struct rp_ev *ev;
	while ((ev = ike_next_event(n->r))) {
		switch (ev->type) {
		case IKE_EV_SEND: {
			size_t skip = ev->src.port == 4500 ? 4 : 0;
			if (skip)
				ck_assert(ev->len >= 4 && rp_get_u32(ev->data) == 0); /* non-ESP marker */
			ck_assert_uint_le(ev->len - skip, sizeof n->reply);
			const uint8_t *d = ev->data + skip;
			size_t dl = ev->len - skip;
			if (dl > 36 && d[16] == ISAKMP_PL_FRAG) {
				unsigned num = d[34];
				ck_assert(num >= 1 && num <= 16);
				n->nfrag_rx++;
				if (ev->len > n->frag_rx_maxlen)
					n->frag_rx_maxlen = ev->len;
				memcpy(n->rf[num - 1], d + 36, dl - 36);
				n->rflen[num - 1] = dl - 36;
				if (d[35] & 1)
					n->rflast = (int)num;
				n->reply_len = 0;
				bool all = n->rflast > 0;
				for (int i = 0; all && i < n->rflast; i++)
					all = n->rflen[i] > 0;
				if (all) {
					size_t off = 0;
					for (int i = 0; i < n->rflast; i++) {
						memcpy(n->reply + off, n->rf[i], n->rflen[i]);
						off += n->rflen[i];
						n->rflen[i] = 0;
					}
					n->rflast = 0;
					n->reply_len = off;
				}
			} else {
				memcpy(n->reply, d, dl);
				n->reply_len = dl;
			}
			n->reply_src = ev->src;
			n->reply_dst = ev->dst;
			n->nsend++;
			break;
		}
		case IKE_EV_SA_INSTALL:
			ck_assert_int_lt(n->ninst, 8);
			memcpy(&n->inst[n->ninst++], ev->data, sizeof(struct ike_ev_sa));
			break;
		case IKE_EV_SA_DELETE:
			n->ndel++;
			break;
		case IKE_EV_IKE_UP:
			n->nup++;
			n->p1_life = ((const struct ike_ev_ike *)(const void *)ev->data)->life_s;
			snprintf(n->up_account, sizeof n->up_account, "%s",
			         ((const struct ike_ev_ike *)(const void *)ev->data)->account);
			break;
		case IKE_EV_IKE_DOWN:
			n->ndown++;
			break;
		case IKE_EV_KEYLOG:
			n->nkeylog++;
			snprintf(n->keylog, sizeof n->keylog, "%.*s", (int)ev->len, (const char *)ev->data);
			break;
		}
		rp_ev_free(ev);
	}
}

/* Deliver one initiator message as the network would: through the NAT when there is one,
 * and on 4500 once the initiator floated. */
static inline int deliver1(struct net *n, const uint8_t *msg, size_t len);

/* The initiator's message split into fragments (payload 132) and delivered one by one. */
static inline int deliver_frags(struct net *n, const uint8_t *msg, size_t len)
{
	size_t nf = (len + n->frag_out - 1) / n->frag_out;
	int rc = 0;
	static uint8_t keep[IKE_MAXBUF];
	size_t keep_len = 0;
	ck_assert_uint_le(nf, 16);
	for (size_t k = 0; k < nf; k++) {
		size_t i = n->frag_reverse ? nf - 1 - k : k, off = i * n->frag_out;
		size_t dl = len - off < n->frag_out ? len - off : n->frag_out;
		uint8_t f[IKE_MAXBUF];
		memcpy(f, msg, 28);
		f[16] = ISAKMP_PL_FRAG;
		f[19] &= (uint8_t)~ISAKMP_FLAG_ENC;
		rp_put_u32(f + 24, (uint32_t)(36 + dl));
		f[28] = 0;
		f[29] = 0;
		rp_put_u16(f + 30, (uint16_t)(8 + dl));
		rp_put_u16(f + 32, 7);
		f[34] = (uint8_t)(i + 1);
		f[35] = i + 1 == nf ? 1 : 0;
		memcpy(f + 36, msg + off, dl);
		for (int rep = 0; rep < (n->frag_dup ? 2 : 1); rep++) {
			rc = deliver1(n, f, 36 + dl);
			if (n->reply_len) { /* the answer to the completed message */
				memcpy(keep, n->reply, n->reply_len);
				keep_len = n->reply_len;
			}
		}
	}
	memcpy(n->reply, keep, keep_len);
	n->reply_len = keep_len;
	return rc;
}

static inline int deliver(struct net *n, const uint8_t *msg, size_t len)
{
	static const uint8_t z[8];
	if (n->frag_out && len > n->frag_out && len > 28 && memcmp(msg + 8, z, 8) != 0) /* never MM1 */
		return deliver_frags(n, msg, len);
	return deliver1(n, msg, len);
}

static inline int deliver1(struct net *n, const uint8_t *msg, size_t len)
{
	struct rp_pkt p = {.data = msg, .len = len, .rx_ms = n->now};
	bool f = n->t && n->t->use4500;
	p.src = n->nat ? n->pub : n->priv;
	if (f)
		p.src.port = n->nat ? n->float_port : 4500;
	p.dst = n->srv;
	p.dst.port = f ? 4500 : 500;
	n->reply_len = 0;
	int rc = ike_input(n->r, &p, n->now);
	drain(n);
	return rc;
}

/* Full Main Mode + Quick Mode; returns 0 when the initiator finished and the SA got installed. */
static inline int handshake(struct net *n)
{
	uint8_t out[IKE_MAXBUF];
	long len = (long)ike_cli_start(n->t, out, sizeof out);
	while (len > 0) {
		int step = n->t->step;
		deliver(n, out, (size_t)len);
		if (step == 9)
			return n->ninst > 0 ? 0 : -1;
		if (!n->reply_len)
			return -1;
		len = ike_cli_input(n->t, n->reply, n->reply_len, out, sizeof out);
	}
	return -1;
}

static inline void check_keys(struct net *n, const struct ike_ev_sa *e)
{
	ck_assert_uint_eq(e->spi_in, n->t->spi_r);
	ck_assert_uint_eq(e->spi_out, n->t->spi_i);
	ck_assert_uint_eq(e->in.enc_len, n->t->k_i2r.enc_len);
	ck_assert_uint_eq(e->in.auth_len, n->t->k_i2r.auth_len);
	ck_assert_mem_eq(e->in.enc, n->t->k_i2r.enc, e->in.enc_len);
	ck_assert_mem_eq(e->in.auth, n->t->k_i2r.auth, e->in.auth_len);
	ck_assert_mem_eq(e->out.enc, n->t->k_r2i.enc, e->out.enc_len);
	ck_assert_mem_eq(e->out.auth, n->t->k_r2i.auth, e->out.auth_len);
	ck_assert(memcmp(e->in.enc, e->out.enc, e->in.enc_len) != 0);
}

#define A(e, k, h, g)                                                                                        \
	{                                                                                                    \
		IKE_ENC_##e, k, IKE_HASH_##h, g                                                              \
	}
static const struct ike_p1_alg win_modern[]
    __attribute__((unused)) = {A(AES, 256, SHA1, 20), A(AES, 128, SHA1, 19), A(AES, 256, SHA1, 14),
                               A(3DES, 0, SHA1, 14), A(3DES, 0, SHA1, 2)};
static const struct ike_p1_alg win_legacy[] __attribute__((unused)) = {A(3DES, 0, SHA1, 2)};
static const struct ike_cli_p2 p2_win[] __attribute__((unused)) = {{IKE_ESP_AES, 256, IKE_AUTH_HMAC_SHA1},
                                                                   {IKE_ESP_AES, 128, IKE_AUTH_HMAC_SHA1},
                                                                   {IKE_ESP_3DES, 0, IKE_AUTH_HMAC_SHA1}};
/* The stock clients' proposal sets (docs/clients.md, What each client sends) */
static const struct ike_p1_alg ios[] __attribute__((unused)) = {
    A(AES, 256, SHA256, 14), A(AES, 256, SHA256, 5), A(AES, 256, SHA256, 2), A(AES, 256, SHA1, 14),
    A(AES, 256, SHA1, 5),    A(AES, 256, SHA1, 2),   A(AES, 128, SHA1, 14),  A(AES, 128, SHA1, 2),
    A(3DES, 0, SHA1, 14),    A(3DES, 0, SHA1, 2),    A(AES, 256, MD5, 2),    A(AES, 128, MD5, 2),
    A(3DES, 0, MD5, 2),      A(AES, 128, SHA256, 14)};
static const struct ike_p1_alg android5[]
    __attribute__((unused)) = {A(AES, 256, SHA1, 2), A(AES, 256, MD5, 2), A(AES, 128, SHA1, 2),
                               A(AES, 128, MD5, 2),  A(3DES, 0, SHA1, 2), A(3DES, 0, MD5, 2)};
static const struct ike_p1_alg android_new[]
    __attribute__((unused)) = {A(AES, 256, SHA1, 20), A(AES, 128, SHA1, 19)};
static const struct ike_p1_alg nm_l2tp[] __attribute__((unused)) = {
    A(AES, 256, SHA256, 14), A(AES, 256, SHA256, 5), A(AES, 256, SHA256, 2), A(AES, 256, SHA1, 14),
    A(AES, 256, SHA1, 5),    A(AES, 256, SHA1, 2),   A(AES, 256, SHA1, 20),  A(AES, 128, SHA1, 2),
    A(AES, 128, SHA1, 19),   A(3DES, 0, SHA1, 14),   A(3DES, 0, SHA1, 2)};

static const struct ike_cli_p2 p2_win1803[]
    __attribute__((unused)) = {{IKE_ESP_AES, 256, IKE_AUTH_HMAC_SHA256}};
static const struct ike_cli_p2 p2_android[] __attribute__((unused)) = {
    {IKE_ESP_AES, 256, IKE_AUTH_HMAC_SHA512}, {IKE_ESP_AES, 128, IKE_AUTH_HMAC_SHA1}};
static const struct ike_cli_p2 p2_android_sha256[] __attribute__((unused)) = {
    {IKE_ESP_AES, 256, IKE_AUTH_HMAC_SHA256}, {IKE_ESP_AES, 256, IKE_AUTH_HMAC_SHA1}};

static inline void up(struct net *n, bool dpd)
{
	n->tc.p1 = win_modern;
	n->tc.np1 = 5;
	n->tc.p2 = p2_win;
	n->tc.np2 = 3;
	n->tc.dpd = dpd;
	net_start(n);
	ck_assert_int_eq(handshake(n), 0);
}

#endif
