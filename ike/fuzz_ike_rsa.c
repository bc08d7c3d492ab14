/* libFuzzer target: the responder with RSA-signature authentication (RFC 2409 §5.1), over the
 * certtool PKI in tests/data/ike-pki and auth/'s real chain validation (trust list, CRL, a fixed
 * wall-clock time so a run replays exactly). fuzz_ike_responder is PSK-only and fuzz_ike_frag
 * stops at MM5; here the input is a program for a test initiator, as in fuzz_ike_responder:
 * byte 0 picks the proposal, the client's certificate and key (alice, stranger: unknown CA,
 * mallory: revoked, old: expired), its ID type, CR, NAT-T and our certificate policy; then each
 * op advances the honest handshake (on to Quick Mode and phase 2), replays, mutates, truncates,
 * moves time, sends authenticated phase-2 payloads, or sends an MM5 encrypted under the real
 * phase-1 keys built from fuzzed parts: ID (honest DN, address, fuzzed string or raw), 0-3 CERT
 * payloads (any of the PKI's certificates, with a fuzzed byte flipped, or fuzz bytes), SIG (a
 * real signature over the real HASH_I by any of the keys, flipped, or fuzz bytes), INITIAL-CONTACT
 * and CR. So every refusal and the accept path of ike_mm_sig.c run under real keys, and an MM5
 * that the responder accepts carries the handshake on to MM6 and phase 2. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "ike_cli.h"

static const struct ike_p1_alg p1s[] = {{IKE_ENC_AES, 256, IKE_HASH_SHA1, 14},
                                        {IKE_ENC_3DES, 0, IKE_HASH_SHA256, 2}};
static const struct ike_cli_p2 p2s[] = {{IKE_ESP_AES, 128, IKE_AUTH_HMAC_SHA1}};

#define NOW_UNIX 1800000000 /* 2027-01-15: inside the PKI's validity; "old" has expired */

/* the PKI, loaded once: certificates (DER) and the clients' keys */
enum { C_ALICE, C_STRANGER, C_REVOKED, C_EXPIRED, C_SERVER, C_CA, C_OTHER_CA, NCERT };
static const char *const cert_files[NCERT] = {"alice",  "stranger", "revoked", "expired",
                                              "server", "ca",       "other-ca"};
static uint8_t *cert[NCERT];
static size_t cert_len[NCERT];
static gnutls_privkey_t ckey[4]; /* of C_ALICE .. C_EXPIRED */
static uint8_t *srv_key;
static size_t srv_key_len;
static struct auth_trust *trust;
static gnutls_pubkey_t srv_pub; /* for the initiator when MM6 carries no certificate */

static uint8_t *load(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/ike-pki/%s", RP_DATA, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *p = malloc(16384);
	*len = p ? fread(p, 1, 16384, f) : 0;
	fclose(f);
	return p;
}

static int init_pki(void)
{
	char name[64];
	for (int i = 0; i < NCERT; i++) {
		snprintf(name, sizeof name, "%s.der", cert_files[i]);
		if (!(cert[i] = load(name, &cert_len[i])) || !cert_len[i])
			return -1;
	}
	for (int i = 0; i < 4; i++) {
		size_t l;
		snprintf(name, sizeof name, "%s.key.der", cert_files[i]);
		uint8_t *k = load(name, &l);
		gnutls_datum_t d = {k, (unsigned)l};
		if (!k || gnutls_privkey_init(&ckey[i]) ||
		    gnutls_privkey_import_x509_raw(ckey[i], &d, GNUTLS_X509_FMT_DER, NULL, 0))
			return -1;
		free(k);
	}
	if (!(srv_key = load("server.key.der", &srv_key_len)))
		return -1;
	gnutls_datum_t sd = {cert[C_SERVER], (unsigned)cert_len[C_SERVER]};
	if (gnutls_pubkey_init(&srv_pub) ||
	    gnutls_pubkey_import_x509_raw(srv_pub, &sd, GNUTLS_X509_FMT_DER, 0))
		return -1;
	trust = auth_trust_new();
	if (!trust || auth_trust_add_ca_file(trust, RP_DATA "/ike-pki/ca.pem") <= 0 ||
	    auth_trust_add_crl_file(trust, RP_DATA "/ike-pki/ca.crl.pem") <= 0)
		return -1;
	return 0;
}

/* conf.cert_verify: auth/'s chain validation; accepted chains map to their subject */
static int validate(void *ctx, const uint8_t *const *chain, const size_t *lens, size_t n,
                    const struct ike_peer_id *id, const struct ike_peer_policy *pol, uint64_t now, struct ike_cert_verdict *out)
{
	struct auth_der d[8];
	struct auth_cert_info info;
	(void)ctx, (void)id, (void)pol, (void)now;
	if (n > 8)
		n = 8;
	for (size_t i = 0; i < n; i++)
		d[i] = (struct auth_der){chain[i], lens[i]};
	int r = auth_cert_validate(trust, d, n, NOW_UNIX, &info, out->reason, sizeof out->reason);
	out->accept = r == AUTH_CERT_OK;
	if (out->accept)
		snprintf(out->account, sizeof out->account, "%.40s", info.subject);
	else if (r == AUTH_CERT_UNKNOWN_CA)
		out->notify = ISAKMP_N_INVALID_CERT_AUTHORITY;
	else if (r > 0)
		out->notify = ISAKMP_N_INVALID_CERTIFICATE;
	return r < 0 ? -1 : 0;
}

struct st {
	struct ike *r;
	struct ike_cli *t;
	struct rp_addr srv, cli;
	uint64_t now;
	uint8_t next[IKE_MAXBUF], last[IKE_MAXBUF], reply[IKE_MAXBUF * 4];
	long nextlen;
	size_t lastlen, replylen;
};

static void deliver(struct st *s, const uint8_t *p, size_t n)
{
	struct rp_pkt pk = {.data = p, .len = n, .src = s->cli, .dst = s->srv, .rx_ms = s->now};
	if (s->t->use4500) {
		pk.src.port = 4500;
		pk.dst.port = 4500;
	}
	s->replylen = 0;
	ike_input(s->r, &pk, s->now);
	struct rp_ev *ev;
	while ((ev = ike_next_event(s->r))) {
		if (ev->type == IKE_EV_SEND) {
			size_t skip = ev->src.port == 4500 ? 4 : 0;
			if (ev->len - skip <= sizeof s->reply) {
				memcpy(s->reply, ev->data + skip, ev->len - skip);
				s->replylen = ev->len - skip;
			}
		}
		rp_ev_free(ev);
	}
}

static void advance(struct st *s)
{
	if (s->nextlen <= 0)
		return;
	memcpy(s->last, s->next, (size_t)s->nextlen);
	s->lastlen = (size_t)s->nextlen;
	int step = s->t->step;
	deliver(s, s->last, s->lastlen);
	s->nextlen = 0;
	if (step < 9 && s->replylen)
		s->nextlen = ike_cli_input(s->t, s->reply, s->replylen, s->next, sizeof s->next);
}

/* One MM5 from fuzzed parts, encrypted under the initiator's phase-1 keys. */
static void crafted_mm5(struct st *s, struct rp_rd *in)
{
	struct ike_cli *t = s->t;
	static uint8_t buf[IKE_MAXBUF * 4], cbuf[3][4096];
	uint8_t sel, b, idb[4 + 1024], h[IKE_MAXHASH], sig[1024], iv[IKE_MAXBLK];
	const uint8_t *blob;
	uint16_t l;
	size_t idn = 0, sl = 0;
	if (t->step != 5 || rp_rd_u8(in, &sel))
		return;
	const uint8_t flags = sel; /* bits 0-1 ID, 2-3 SIG, 4 INITIAL-CONTACT, 5 CR, 6 SIG first */
	/* ID */
	idb[0] = ISAKMP_ID_DER_ASN1_DN;
	idb[1] = 17;
	rp_put_u16(idb + 2, 500);
	switch (sel & 3) {
	case 0: /* the DN of a certificate of the PKI */
		if (rp_rd_u8(in, &b))
			return;
		idn = 4 + ike_cert_subject(cert[b % NCERT], cert_len[b % NCERT], idb + 4, sizeof idb - 4);
		break;
	case 1: /* the client's address (alice's SAN has it) */
		idb[0] = ISAKMP_ID_IPV4;
		memcpy(idb + 4, t->c.local.ip, 4);
		idn = 8;
		break;
	case 2: { /* a string of a fuzzed type */
		uint8_t sl8;
		if (rp_rd_u8(in, &b) || rp_rd_u8(in, &sl8) || rp_rd_ref(in, &blob, sl8))
			return;
		idb[0] = b;
		memcpy(idb + 4, blob, sl8);
		idn = 4 + (size_t)sl8;
		break;
	}
	case 3: /* the whole body */
		if (rp_rd_u8(in, &b) || rp_rd_ref(in, &blob, b))
			return;
		memcpy(idb, blob, b);
		idn = b;
		break;
	}
	/* CERT payloads */
	uint8_t nc = 0;
	const uint8_t *cp[3];
	size_t cl[3];
	if (rp_rd_u8(in, &nc))
		return;
	nc %= 4;
	for (unsigned i = 0; i < nc; i++) {
		if (rp_rd_u8(in, &b))
			return;
		if ((b & 7) == 7) { /* fuzz bytes */
			if (rp_rd_u16(in, &l))
				return;
			l %= 4096;
			if (rp_rd_ref(in, &blob, l))
				return;
			cp[i] = blob;
			cl[i] = l;
		} else {
			unsigned k = (b & 7) % NCERT;
			cp[i] = cert[k];
			cl[i] = cert_len[k];
		}
		if (b & 0x80) { /* one byte flipped */
			uint16_t off;
			uint8_t x;
			if (!cl[i] || rp_rd_u16(in, &off) || rp_rd_u8(in, &x))
				return;
			memcpy(cbuf[i], cp[i], cl[i]);
			cbuf[i][off % cl[i]] ^= (uint8_t)(x | 1);
			cp[i] = cbuf[i];
		}
	}
	/* SIG over the real HASH_I (RFC 2409 §5.1) of this ID */
	struct ike_iov v[] = {{t->dh.pub, t->dh.publen}, {t->gxr, t->gxrlen}, {t->icky, 8}, {t->rcky, 8},
	                      {t->sai_b, t->sai_len},    {idb, idn}};
	if (ike_prf(t->k.hash, t->k.skeyid, t->k.hlen, v, 6, h) || rp_rd_u8(in, &b))
		return;
	switch ((flags >> 2) & 3) {
	case 0:
	case 1:
		if (ike_sig_sign(ckey[b & 3], h, t->k.hlen, sig, &sl, sizeof sig))
			return;
		if ((flags >> 2) & 1)
			sig[(b >> 2) % sl] ^= 1;
		break;
	case 2:
		if (rp_rd_ref(in, &blob, b))
			return;
		memcpy(sig, blob, b);
		sl = b;
		break;
	}
	struct isakmp_wr w;
	isakmp_wr_init(&w, buf, sizeof buf);
	isakmp_wr_hdr(&w, t->icky, t->rcky, ISAKMP_EX_IDPROT, 0, 0);
	isakmp_wr_pl(&w, ISAKMP_PL_ID, idb, idn);
	if (((flags >> 2) & 3) != 3 && (flags & 0x40)) /* SIG before the certificates */
		isakmp_wr_pl(&w, ISAKMP_PL_SIG, sig, sl);
	for (unsigned i = 0; i < nc; i++) {
		size_t p = isakmp_wr_begin(&w, ISAKMP_PL_CERT);
		rp_wr_u8(&w.w, ISAKMP_CERT_X509_SIG);
		rp_wr_bytes(&w.w, cp[i], cl[i]);
		isakmp_wr_end(&w, p);
	}
	if (((flags >> 2) & 3) != 3 && !(flags & 0x40))
		isakmp_wr_pl(&w, ISAKMP_PL_SIG, sig, sl);
	if (flags & 0x10) {
		uint8_t spi[16];
		memcpy(spi, t->icky, 8);
		memcpy(spi + 8, t->rcky, 8);
		isakmp_wr_notify(&w, ISAKMP_PROTO_ISAKMP, spi, 16, ISAKMP_N_INITIAL_CONTACT, NULL, 0);
	}
	if (flags & 0x20) { /* a CR naming our CA */
		size_t p = isakmp_wr_begin(&w, ISAKMP_PL_CR);
		rp_wr_u8(&w.w, ISAKMP_CERT_X509_SIG);
		rp_wr_bytes(&w.w, idb + 4, idn > 4 ? idn - 4 : 0);
		isakmp_wr_end(&w, p);
	}
	size_t n = isakmp_wr_finish(&w);
	ike_iv_p1(t->k.hash, t->k.blk, t->dh.pub, t->dh.publen, t->gxr, t->gxrlen, iv);
	n = n ? ike_encrypt(&t->k, iv, buf, n, sizeof buf) : 0;
	if (!n)
		return;
	deliver(s, buf, n);
	/* accepted: MM6 is encrypted on from our last block; the initiator goes on to Quick Mode */
	if (s->replylen) {
		uint8_t keep[IKE_MAXBLK];
		memcpy(keep, t->iv, sizeof keep);
		memcpy(t->iv, iv, sizeof iv);
		long nl = ike_cli_input(t, s->reply, s->replylen, s->next, sizeof s->next);
		if (nl > 0)
			s->nextlen = nl;
		else
			memcpy(t->iv, keep, sizeof keep);
	}
}

/* RAMPART_FUZZ_LOG=1: the responder's log on stderr, to see what a seed reaches */
static void log_sink(void *ctx, int level, const char *module, const char *msg)
{
	(void)ctx, (void)level;
	fprintf(stderr, "%s: %s\n", module, msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init, verbose;
	static struct st s;
	struct rp_rng rr, ri;
	struct rp_log lg;
	struct ike_conf c;
	struct rp_rd in;
	uint8_t cfg, op;
	if (!init) {
		if (init_pki())
			abort();
		verbose = getenv("RAMPART_FUZZ_LOG") != NULL;
		init = true;
	}
	const uint8_t *chain[1] = {cert[C_SERVER]}, *cas[1] = {cert[C_CA]};
	size_t chain_len[1] = {cert_len[C_SERVER]}, ca_len[1] = {cert_len[C_CA]};
	rp_rd_init(&in, data, size);
	if (rp_rd_u8(&in, &cfg))
		return 0;
	unsigned who = (cfg >> 2) & 3; /* alice, stranger, revoked, expired */
	memset(&s, 0, sizeof s);
	ike_conf_defaults(&c);
	c.cert_chain = chain;
	c.cert_chain_lens = chain_len;
	c.ncert_chain = 1;
	c.key_der = srv_key;
	c.key_der_len = srv_key_len;
	c.cr_cas = cas;
	c.cr_ca_lens = ca_len;
	c.ncr_ca = 1;
	c.cert_verify = validate;
	c.cert_send = (cfg & 0x20) ? IKE_CERT_SEND_ALWAYS : IKE_CERT_SEND_IF_ASKED;
	rp_rng_seeded(&rr, 1);
	rp_rng_seeded(&ri, 2);
	rp_log_init(&lg, verbose ? RP_LOG_TRACE : 0, verbose ? log_sink : NULL, NULL);
	lg.burst = 1000;
	s.r = ike_new(&c, &rr, &lg);
	rp_addr_v4(&s.srv, 0xcb007101, 500);
	rp_addr_v4(&s.cli, 0x64400a0a, 500); /* 100.64.10.10: in alice's SAN */
	const uint8_t *cc[1] = {cert[who]};
	size_t ccl[1] = {cert_len[who]};
	struct ike_cli_conf tc = {.p1 = &p1s[cfg & 1],
	                         .np1 = 1,
	                         .p2 = p2s,
	                         .np2 = 1,
	                         .p1_auth = IKE_AUTH_RSA_SIG,
	                         .key = ckey[who],
	                         .certs = cc,
	                         .cert_lens = ccl,
	                         .ncerts = 1,
	                         .send_cr = (cfg >> 1) & 1,
	                         .resp_pub = srv_pub,
	                         .id_type = (cfg & 0x40) ? ISAKMP_ID_IPV4 : ISAKMP_ID_DER_ASN1_DN,
	                         .natt = (cfg & 0x10) ? IKE_NATT_RFC : IKE_NATT_NONE,
	                         .dpd = cfg >> 7,
	                         .client_port = 1701};
	tc.remote = s.srv;
	tc.local = s.cli;
	if (cfg & 0x10)
		s.cli.ip[0] = 198; /* seen from elsewhere: a NAT, so the initiator floats to 4500 */
	s.t = ike_cli_new(&tc, &ri);
	s.now = 1000;
	s.nextlen = (long)ike_cli_start(s.t, s.next, sizeof s.next);

	for (int ops = 0; ops < 48 && rp_rd_u8(&in, &op) == 0; ops++) {
		uint8_t a = 0, buf[IKE_MAXBUF];
		const uint8_t *blob;
		switch (op % 10) {
		case 0:
		case 1:
			advance(&s);
			break;
		case 2: /* the previous request again */
			if (s.lastlen)
				deliver(&s, s.last, s.lastlen);
			break;
		case 3: /* the next honest message with one byte changed */
			if (s.nextlen > 0 && rp_rd_u8(&in, &a) == 0) {
				memcpy(buf, s.next, (size_t)s.nextlen);
				buf[a % s.nextlen] ^= (uint8_t)(a | 1);
				deliver(&s, buf, (size_t)s.nextlen);
			}
			break;
		case 4: /* the next honest message truncated */
			if (s.nextlen > 0 && rp_rd_u8(&in, &a) == 0)
				deliver(&s, s.next, a % s.nextlen);
			break;
		case 5: /* time passes */
			if (rp_rd_u8(&in, &a) == 0) {
				s.now += (uint64_t)a * 1000 * (a > 200 ? 60 : 1);
				ike_tick(s.r, s.now);
				deliver(&s, NULL, 0);
			}
			break;
		case 6: /* authenticated phase-2 message with arbitrary payloads */
		case 7: {
			uint8_t np;
			if (rp_rd_u8(&in, &np) || rp_rd_u8(&in, &a) || rp_rd_ref(&in, &blob, a))
				break;
			size_t n = ike_cli_raw(s.t, op % 10 == 6 ? ISAKMP_EX_INFO : ISAKMP_EX_QUICK, np, blob,
			                      a, buf, sizeof buf);
			if (n)
				deliver(&s, buf, n);
			break;
		}
		case 8:
		case 9:
			crafted_mm5(&s, &in);
			break;
		}
	}
	ike_cli_free(s.t);
	ike_free(s.r);
	return 0;
}
