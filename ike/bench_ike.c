/* rampart-bench ike: full Main Mode + Quick Mode handshakes (PSK) of the test initiator against
 * the responder core, MODP2048 (group 14) and ECP256 (group 19), and ECP256 with RSA-2048
 * signatures (certificate parse, ID match, one signature and one verification per handshake). Only the
 * responder's calls (ike_input and draining its events) are timed; beside it, in the same run, the rate of
 * the responder's DH work alone (key generation + shared secret) with the same code and rng. The two are
 * interleaved (one handshake, one DH pair) and timed in thread CPU time, so other load on a shared machine
 * shifts neither figure nor their ratio. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/x509.h>

#include "ike_cli.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct hs {
	struct ike *r;
	double t_resp;
	uint8_t reply[IKE_MAXBUF];
	size_t replylen;
	int installs;
};

static void resp_call(struct hs *h, const uint8_t *p, size_t n, const struct rp_addr *src,
                      const struct rp_addr *dst)
{
	struct rp_pkt pk = {.data = p, .len = n, .src = *src, .dst = *dst};
	double t0 = now_s();
	ike_input(h->r, &pk, 1000);
	struct rp_ev *ev;
	h->replylen = 0;
	while ((ev = ike_next_event(h->r))) {
		if (ev->type == IKE_EV_SEND && ev->len <= sizeof h->reply) {
			memcpy(h->reply, ev->data, ev->len);
			h->replylen = ev->len;
		} else if (ev->type == IKE_EV_SA_INSTALL) {
			h->installs++;
		}
		rp_ev_free(ev);
	}
	h->t_resp += now_s() - t0;
}

/* RSA signatures: one 2048-bit key and self-signed certificate made here (both sides use it),
 * a validator that accepts (chain validation is auth/'s cost, measured there). */
static gnutls_datum_t key_der, crt_der;
static gnutls_privkey_t pkey;

static int make_identity(void)
{
	gnutls_x509_privkey_t k;
	gnutls_x509_crt_t c;
	unsigned char serial[1] = {1};
	if (gnutls_x509_privkey_init(&k) || gnutls_x509_privkey_generate(k, GNUTLS_PK_RSA, 2048, 0) ||
	    gnutls_x509_privkey_export2(k, GNUTLS_X509_FMT_DER, &key_der) || gnutls_x509_crt_init(&c) ||
	    gnutls_x509_crt_set_key(c, k) || gnutls_x509_crt_set_version(c, 3) ||
	    gnutls_x509_crt_set_serial(c, serial, 1) ||
	    gnutls_x509_crt_set_dn(c, "CN=bench,O=rampart", NULL) ||
	    gnutls_x509_crt_set_issuer_dn(c, "CN=bench,O=rampart", NULL) ||
	    gnutls_x509_crt_set_activation_time(c, 1000000000) ||
	    gnutls_x509_crt_set_expiration_time(c, 2000000000) ||
	    gnutls_x509_crt_sign2(c, c, k, GNUTLS_DIG_SHA256, 0) ||
	    gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_DER, &crt_der) || gnutls_privkey_init(&pkey) ||
	    gnutls_privkey_import_x509(pkey, k, GNUTLS_PRIVKEY_IMPORT_COPY))
		return -1;
	gnutls_x509_crt_deinit(c);
	gnutls_x509_privkey_deinit(k);
	return 0;
}

static int accept_all(void *ctx, const uint8_t *const *chain, const size_t *lens, size_t n,
                      const struct ike_peer_id *id, const struct ike_peer_policy *pol, uint64_t now, struct ike_cert_verdict *out)
{
	(void)ctx, (void)chain, (void)lens, (void)n, (void)id, (void)pol, (void)now;
	out->accept = true;
	return 0;
}

static int run(uint16_t group, bool rsa, double seconds, double *hs_per_s, double *dh_per_s)
{
	static const uint8_t psk[] = "bench-psk";
	struct ike_psk k = {.kind = IKE_PSK_ANY, .key = psk, .keylen = sizeof psk - 1};
	const uint8_t *chain[1] = {crt_der.data};
	size_t chain_len[1] = {crt_der.size};
	struct ike_conf c;
	struct rp_rng rr, ri;
	struct rp_log lg;
	struct hs h = {0};
	ike_conf_defaults(&c);
	c.psks = &k;
	c.npsk = 1;
	if (rsa) {
		c.cert_chain = chain;
		c.cert_chain_lens = chain_len;
		c.ncert_chain = 1;
		c.key_der = key_der.data;
		c.key_der_len = key_der.size;
		c.cert_verify = accept_all;
	}
	rp_rng_gnutls(&rr, 2);
	rp_rng_seeded(&ri, 42);
	rp_log_init(&lg, 0, NULL, NULL);
	h.r = ike_new(&c, &rr, &lg);
	struct ike_p1_alg p1 = {IKE_ENC_AES, 128, IKE_HASH_SHA1, group};
	struct ike_cli_p2 p2 = {IKE_ESP_AES, 128, IKE_AUTH_HMAC_SHA1};
	struct ike_cli_conf tc = {.p1 = &p1,
	                         .np1 = 1,
	                         .p2 = &p2,
	                         .np2 = 1,
	                         .psk = psk,
	                         .psklen = sizeof psk - 1,
	                         .natt = IKE_NATT_RFC,
	                         .client_port = 1701};
	if (rsa) {
		tc.p1_auth = IKE_AUTH_RSA_SIG;
		tc.key = pkey;
		tc.certs = chain;
		tc.cert_lens = chain_len;
		tc.ncerts = 1;
		tc.send_cr = true; /* our chain goes back in MM6, as with Windows */
		tc.id_type = ISAKMP_ID_DER_ASN1_DN;
	}
	rp_addr_v4(&tc.remote, 0xcb007101, 500);
	rp_addr_v4(&tc.local, 0x64400a0a, 500);
	struct ike_dh peer, me;
	uint8_t sec[IKE_MAXPUB];
	size_t sl;
	ike_dh_init(&peer, group, &ri);
	int n = 0, m = 0;
	double start = now_s(), t_dh = 0;
	uint8_t out[IKE_MAXBUF];
	while (now_s() - start < seconds) {
		struct ike_cli *t = ike_cli_new(&tc, &ri);
		long len = (long)ike_cli_start(t, out, sizeof out);
		while (len > 0) {
			int step = t->step;
			resp_call(&h, out, (size_t)len, &tc.local, &tc.remote);
			if (step == 9 || !h.replylen)
				break;
			len = ike_cli_input(t, h.reply, h.replylen, out, sizeof out);
		}
		ike_cli_free(t);
		n++;
		if (n % 2000 == 0) { /* keep the table at a realistic, bounded size */
			ike_free(h.r);
			h.r = ike_new(&c, &rr, &lg);
		}
		/* the responder's DH work alone: its key pair and the shared secret */
		double t0 = now_s();
		ike_dh_init(&me, group, &rr);
		ike_dh_shared(&me, peer.pub, peer.publen, sec, &sl);
		ike_dh_clear(&me);
		t_dh += now_s() - t0;
		m++;
	}
	ike_dh_clear(&peer);
	ike_free(h.r);
	if (h.installs != n) {
		fprintf(stderr, "bench: %d handshakes, %d installs\n", n, h.installs);
		return -1;
	}
	*hs_per_s = n / h.t_resp;
	*dh_per_s = m / t_dh;
	printf("group %u%s: %d handshakes, responder %.3f s -> %.0f hs/s; DH-only %.0f ops/s; ratio %.2f\n",
	       group, rsa ? " RSA-2048 signatures" : " PSK", n, h.t_resp, *hs_per_s, *dh_per_s,
	       *hs_per_s / *dh_per_s);
	return 0;
}

int bench_ike(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 3.0, hs14, dh14, hs19, dh19, hsr, dhr;
	if (make_identity() || run(14, false, secs, &hs14, &dh14) || run(19, false, secs, &hs19, &dh19) ||
	    run(19, true, secs, &hsr, &dhr))
		return 1;
	printf("ike-bench modp2048_hs_per_s=%.0f modp2048_ratio=%.2f ecp256_hs_per_s=%.0f ecp256_ratio=%.2f "
	       "ecp256_rsa2048_hs_per_s=%.0f\n",
	       hs14, hs14 / dh14, hs19, hs19 / dh19, hsr);
	return 0;
}
