/* libFuzzer target: IKEv1 fragments (payload 132) and the RSA-signature Main Mode behind them.
 * The responder runs with a certificate (an RSA key and self-signed certificate made once at
 * start-up, no files) and a validator that accepts every chain, so fuzzed certificates reach
 * the ID match, the public key import and the signature check. The test initiator takes the
 * handshake to MM4; then each op sends a fuzzed fragment (id, number, flags, data) under the
 * SA's cookies, a raw 132 message, the honest MM5 split into fragments of a fuzzed size (in a
 * fuzzed order), an MM5 encrypted under the real phase-1 keys whose payloads are fuzz bytes
 * (CERT, SIG, ID...), or moves time (reassembly timeout). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/x509.h>

#include "ike_cli.h"

static const struct ike_p1_alg p1s[] = {{IKE_ENC_AES, 128, IKE_HASH_SHA1, 2},
                                        {IKE_ENC_3DES, 0, IKE_HASH_SHA256, 2}};
static const struct ike_cli_p2 p2s[] = {{IKE_ESP_AES, 128, IKE_AUTH_HMAC_SHA1}};

static gnutls_datum_t key_der, crt_der;
static gnutls_privkey_t pkey;

static int make_identity(void)
{
	gnutls_x509_privkey_t k;
	gnutls_x509_crt_t c;
	unsigned char serial[1] = {1};
	if (gnutls_x509_privkey_init(&k) || gnutls_x509_privkey_generate(k, GNUTLS_PK_RSA, 1024, 0) ||
	    gnutls_x509_privkey_export2(k, GNUTLS_X509_FMT_DER, &key_der) || gnutls_x509_crt_init(&c) ||
	    gnutls_x509_crt_set_key(c, k) || gnutls_x509_crt_set_version(c, 3) ||
	    gnutls_x509_crt_set_serial(c, serial, 1) ||
	    gnutls_x509_crt_set_dn(c, "CN=fuzz,O=rampart", NULL) ||
	    gnutls_x509_crt_set_issuer_dn(c, "CN=fuzz,O=rampart", NULL) ||
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
	memcpy(out->account, "fuzz", 5);
	return 0;
}

struct st {
	struct ike *r;
	struct ike_cli *t;
	struct rp_addr srv, cli;
	uint64_t now;
	uint8_t reply[IKE_MAXBUF];
	size_t replylen;
};

static void deliver(struct st *s, const uint8_t *p, size_t n)
{
	struct rp_pkt pk = {.data = p, .len = n, .src = s->cli, .dst = s->srv, .rx_ms = s->now};
	s->replylen = 0;
	ike_input(s->r, &pk, s->now);
	struct rp_ev *ev;
	while ((ev = ike_next_event(s->r))) {
		if (ev->type == IKE_EV_SEND && ev->len <= sizeof s->reply) {
			memcpy(s->reply, ev->data, ev->len);
			s->replylen = ev->len;
		}
		rp_ev_free(ev);
	}
}

static size_t frag(uint8_t *f, const uint8_t *hdr, uint16_t id, uint8_t num, uint8_t flags, const uint8_t *d,
                   size_t dl)
{
	memcpy(f, hdr, 28);
	f[16] = ISAKMP_PL_FRAG;
	f[19] = 0;
	rp_put_u32(f + 24, (uint32_t)(36 + dl));
	f[28] = f[29] = 0;
	rp_put_u16(f + 30, (uint16_t)(8 + dl));
	rp_put_u16(f + 32, id);
	f[34] = num;
	f[35] = flags;
	memcpy(f + 36, d, dl);
	return 36 + dl;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	static struct st s;
	static uint8_t mm5[IKE_MAXBUF], buf[IKE_MAXBUF + 64];
	if (!init) {
		if (make_identity())
			abort();
		init = true;
	}
	struct rp_rng rr, ri;
	struct rp_log lg;
	struct ike_conf c;
	struct rp_rd in;
	uint8_t cfg, op;
	const uint8_t *chain[1] = {crt_der.data};
	size_t chain_len[1] = {crt_der.size};

	rp_rd_init(&in, data, size);
	if (rp_rd_u8(&in, &cfg))
		return 0;
	memset(&s, 0, sizeof s);
	ike_conf_defaults(&c);
	c.cert_chain = chain;
	c.cert_chain_lens = chain_len;
	c.ncert_chain = 1;
	c.key_der = key_der.data;
	c.key_der_len = key_der.size;
	c.cert_verify = accept_all;
	c.frag_mtu = (uint16_t)(576 + (cfg & 0x30) * 8); /* MM4 whole, MM6 in fragments */
	rp_rng_seeded(&rr, 1);
	rp_rng_seeded(&ri, 2);
	rp_log_init(&lg, 0, NULL, NULL);
	s.r = ike_new(&c, &rr, &lg);
	rp_addr_v4(&s.srv, 0xcb007101, 500);
	rp_addr_v4(&s.cli, 0x64400a0a, 500);
	struct ike_cli_conf tc = {.p1 = &p1s[cfg & 1],
	                         .np1 = 1,
	                         .p2 = p2s,
	                         .np2 = 1,
	                         .p1_auth = IKE_AUTH_RSA_SIG,
	                         .key = pkey,
	                         .certs = chain,
	                         .cert_lens = chain_len,
	                         .ncerts = 1,
	                         .send_cr = (cfg >> 1) & 1,
	                         .id_type = ISAKMP_ID_DER_ASN1_DN,
	                         .windows = true, /* FRAGMENTATION VID: our MM6 goes in fragments */
	                         .client_port = 1701};
	tc.remote = s.srv;
	tc.local = s.cli;
	s.t = ike_cli_new(&tc, &ri);
	s.now = 1000;
	/* honest MM1..MM4; MM5 kept */
	long len = (long)ike_cli_start(s.t, buf, sizeof buf);
	deliver(&s, buf, (size_t)len);
	len = s.replylen ? ike_cli_input(s.t, s.reply, s.replylen, buf, sizeof buf) : -1;
	if (len > 0)
		deliver(&s, buf, (size_t)len);
	long mm5len = s.replylen ? ike_cli_input(s.t, s.reply, s.replylen, mm5, sizeof mm5) : -1;
	if (mm5len <= 0)
		goto out;

	for (int ops = 0; ops < 48 && rp_rd_u8(&in, &op) == 0; ops++) {
		uint8_t a = 0, b = 0, num = 0, flags = 0;
		uint16_t id = 0;
		const uint8_t *blob;
		switch (op % 6) {
		case 0: /* one fuzzed fragment */
			if (rp_rd_u16(&in, &id) || rp_rd_u8(&in, &num) || rp_rd_u8(&in, &flags) ||
			    rp_rd_u8(&in, &a) || rp_rd_ref(&in, &blob, a))
				break;
			deliver(&s, buf, frag(buf, mm5, id, num, flags, blob, a));
			break;
		case 1: /* a raw message of type 132 under the SA's cookies */
			if (rp_rd_u8(&in, &a) || rp_rd_ref(&in, &blob, a))
				break;
			memcpy(buf, mm5, 28);
			buf[16] = ISAKMP_PL_FRAG;
			memcpy(buf + 28, blob, a);
			rp_put_u32(buf + 24, (uint32_t)(28 + a));
			deliver(&s, buf, 28 + (size_t)a);
			break;
		case 2: { /* the honest MM5 in fragments of a fuzzed size, order rotated */
			if (rp_rd_u8(&in, &a) || rp_rd_u8(&in, &b) || rp_rd_u16(&in, &id))
				break;
			size_t chunk = 64 + (size_t)a * 4, nf = ((size_t)mm5len + chunk - 1) / chunk;
			for (size_t k = 0; k < nf; k++) {
				size_t i = (k + b) % nf, off = i * chunk;
				size_t dl = (size_t)mm5len - off < chunk ? (size_t)mm5len - off : chunk;
				deliver(&s, buf,
				        frag(buf, mm5, id, (uint8_t)(i + 1), i + 1 == nf, mm5 + off, dl));
			}
			break;
		}
		case 3: { /* MM5 under the real phase-1 keys, payload chain from the input */
			uint8_t np;
			uint16_t l;
			uint8_t iv[IKE_MAXBLK];
			if (rp_rd_u8(&in, &np) || rp_rd_u16(&in, &l) || l > IKE_MAXBUF - 64 ||
			    rp_rd_ref(&in, &blob, l))
				break;
			memcpy(buf, mm5, 28);
			buf[16] = np;
			memcpy(buf + 28, blob, l);
			rp_put_u32(buf + 24, (uint32_t)(28 + l));
			ike_iv_p1(s.t->k.hash, s.t->k.blk, s.t->dh.pub, s.t->dh.publen, s.t->gxr, s.t->gxrlen,
			          iv);
			size_t n = ike_encrypt(&s.t->k, iv, buf, 28 + (size_t)l, sizeof buf);
			if (n)
				deliver(&s, buf, n);
			break;
		}
		case 4: /* the honest MM5 whole */
			deliver(&s, mm5, (size_t)mm5len);
			break;
		case 5: /* time passes (reassembly timeout, half-open expiry) */
			if (rp_rd_u8(&in, &a) == 0) {
				s.now += (uint64_t)a * 100;
				ike_tick(s.r, s.now);
				deliver(&s, NULL, 0);
			}
			break;
		}
	}
out:
	ike_cli_free(s.t);
	ike_free(s.r);
	return 0;
}
