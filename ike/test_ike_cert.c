/* RSA signature Main Mode (RFC 2409 §5.1) between the test initiator and the responder, over the
 * certtool PKI in tests/data/ike-pki (made by ike/interop/mkpki.sh). The validator callback is
 * written here with GnuTLS directly (trust list + CRL + chain verification), independent of
 * the core, as auth/ will provide the real one. Refusals: bad signature, wrong key, wrong ID,
 * unknown CA, revoked, expired, no certificate, and the e=3 signature forgery. */
#include <gmp.h>
#include <gnutls/x509.h>
#include <nettle/bignum.h>
#include <nettle/rsa.h>

#include "check_main.h"
#include "test_ike_net.h"

struct blob {
	uint8_t *p;
	size_t n;
};

static struct blob load(const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/ike-pki/%s", RP_DATA, name);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "%s", path);
	struct blob b = {malloc(16384), 0};
	b.n = fread(b.p, 1, 16384, f);
	fclose(f);
	ck_assert_uint_gt(b.n, 0);
	return b;
}

/* ---- the validator (test implementation of conf.cert_verify) -------------------------------- */

struct val {
	gnutls_x509_trust_list_t tl;
	gnutls_pubkey_t force_pub; /* returned instead of the leaf's key (the e=3 tests) */
	int calls;
	bool had_pol; /* the rule the core passed at the last call */
	char pol_rootca[256];
	int pol_certmap;
};

static int validate(void *ctx, const uint8_t *const *chain, const size_t *lens, size_t n,
                    const struct ike_peer_id *id, const struct ike_peer_policy *pol, uint64_t now, struct ike_cert_verdict *out)
{
	struct val *v = ctx;
	(void)id;
	(void)now;
	v->calls++;
	v->had_pol = pol != NULL;
	if (pol) {
		snprintf(v->pol_rootca, sizeof v->pol_rootca, "%s", pol->rootca);
		v->pol_certmap = pol->certmap;
	}
	gnutls_x509_crt_t crts[8];
	size_t nc = 0;
	for (; nc < n && nc < 8; nc++) {
		gnutls_datum_t d = {(unsigned char *)chain[nc], (unsigned)lens[nc]};
		gnutls_x509_crt_init(&crts[nc]);
		if (gnutls_x509_crt_import(crts[nc], &d, GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(crts[nc]);
			break;
		}
	}
	unsigned status = 0;
	if (!nc || gnutls_x509_trust_list_verify_crt(v->tl, crts, (unsigned)nc, 0, &status, NULL) < 0)
		status = GNUTLS_CERT_INVALID;
	out->accept = status == 0;
	if (status & GNUTLS_CERT_REVOKED) {
		snprintf(out->reason, sizeof out->reason, "revoked");
		out->notify = ISAKMP_N_INVALID_CERTIFICATE;
	} else if (status & GNUTLS_CERT_EXPIRED) {
		snprintf(out->reason, sizeof out->reason, "expired");
		out->notify = ISAKMP_N_INVALID_CERTIFICATE;
	} else if (status & GNUTLS_CERT_SIGNER_NOT_FOUND) {
		snprintf(out->reason, sizeof out->reason, "unknown CA");
		out->notify = ISAKMP_N_INVALID_CERT_AUTHORITY;
	} else if (status) {
		snprintf(out->reason, sizeof out->reason, "invalid (status 0x%x)", status);
	} else {
		size_t l = sizeof out->account;
		gnutls_x509_crt_get_dn_by_oid(crts[0], GNUTLS_OID_X520_COMMON_NAME, 0, 0, out->account, &l);
		if (v->force_pub) {
			out->pubkey = v->force_pub;
			v->force_pub = NULL; /* the core owns it now */
		}
	}
	for (size_t i = 0; i < nc; i++)
		gnutls_x509_crt_deinit(crts[i]);
	return 0;
}

/* ---- fixture ------------------------------------------------------------------------------ */

struct pki {
	struct blob ca, crl, srv, srvkey, cli, clikey;
	const uint8_t *chain[1], *cli_chain[1], *cas[1];
	size_t chain_len[1], cli_len[1], ca_len[1];
	struct val val;
	gnutls_privkey_t ckey;
};

static void pki_client(struct pki *p, const char *name)
{
	char f[64];
	free(p->cli.p);
	free(p->clikey.p);
	if (p->ckey)
		gnutls_privkey_deinit(p->ckey);
	snprintf(f, sizeof f, "%s.der", name);
	p->cli = load(f);
	snprintf(f, sizeof f, "%s.key.der", name);
	p->clikey = load(f);
	gnutls_datum_t d = {p->clikey.p, (unsigned)p->clikey.n};
	ck_assert_int_eq(gnutls_privkey_init(&p->ckey), 0);
	ck_assert_int_eq(gnutls_privkey_import_x509_raw(p->ckey, &d, GNUTLS_X509_FMT_DER, NULL, 0), 0);
	p->cli_chain[0] = p->cli.p;
	p->cli_len[0] = p->cli.n;
}

static void pki_init(struct pki *p, struct net *n, const char *client)
{
	memset(p, 0, sizeof *p);
	p->ca = load("ca.der");
	p->crl = load("ca.crl.der");
	p->srv = load("server.der");
	p->srvkey = load("server.key.der");
	pki_client(p, client);
	p->chain[0] = p->srv.p;
	p->chain_len[0] = p->srv.n;
	p->cas[0] = p->ca.p;
	p->ca_len[0] = p->ca.n;
	gnutls_x509_crt_t ca;
	gnutls_x509_crl_t crl;
	gnutls_datum_t d = {p->ca.p, (unsigned)p->ca.n}, c = {p->crl.p, (unsigned)p->crl.n};
	gnutls_x509_crt_init(&ca);
	gnutls_x509_crl_init(&crl);
	ck_assert_int_eq(gnutls_x509_crt_import(ca, &d, GNUTLS_X509_FMT_DER), 0);
	ck_assert_int_eq(gnutls_x509_crl_import(crl, &c, GNUTLS_X509_FMT_DER), 0);
	gnutls_x509_trust_list_init(&p->val.tl, 0);
	ck_assert_int_eq(gnutls_x509_trust_list_add_cas(p->val.tl, &ca, 1, 0), 1);
	ck_assert_int_eq(gnutls_x509_trust_list_add_crls(p->val.tl, &crl, 1, GNUTLS_TL_VERIFY_CRL, 0), 1);

	net_init(n, false);
	n->conf.cert_chain = p->chain;
	n->conf.cert_chain_lens = p->chain_len;
	n->conf.ncert_chain = 1;
	n->conf.key_der = p->srvkey.p;
	n->conf.key_der_len = p->srvkey.n;
	n->conf.cr_cas = p->cas;
	n->conf.cr_ca_lens = p->ca_len;
	n->conf.ncr_ca = 1;
	n->conf.cert_verify = validate;
	n->conf.cert_ctx = &p->val;
	net_offer(n, win_modern, 5, p2_win, 3);
	n->tc.p1_auth = IKE_AUTH_RSA_SIG;
	n->tc.key = p->ckey;
	n->tc.certs = p->cli_chain;
	n->tc.cert_lens = p->cli_len;
	n->tc.ncerts = 1;
	n->tc.send_cr = true;
	n->tc.id_type = ISAKMP_ID_DER_ASN1_DN;
}

static void pki_free(struct pki *p, struct net *n)
{
	net_free(n);
	gnutls_x509_trust_list_deinit(p->val.tl, 1);
	if (p->val.force_pub)
		gnutls_pubkey_deinit(p->val.force_pub);
	gnutls_privkey_deinit(p->ckey);
	free(p->ca.p);
	free(p->crl.p);
	free(p->srv.p);
	free(p->srvkey.p);
	free(p->cli.p);
	free(p->clikey.p);
}

/* ---- tests ------------------------------------------------------------------------------- */

START_TEST(t_rsa_ok)
{
	struct pki p;
	struct net n;
	pki_init(&p, &n, "alice");
	net_start(&n);
	ck_assert_int_eq(handshake(&n), 0);
	ck_assert_int_eq(p.val.calls, 1);
	ck_assert(n.t->got_cr);                                    /* our CR in MM4 */
	ck_assert_uint_eq(n.t->resp_ncert, 1);                     /* asked with a CR: our chain in MM6 */
	ck_assert_str_eq(n.up_account, "alice");                   /* mapped account into IKE_UP ... */
	ck_assert_str_eq(n.inst[0].account, "alice");              /* ... and SA_INSTALL */
	ck_assert_str_eq(n.inst[0].peer_id, "CN=alice,O=rampart"); /* the DN ID as text */
	ck_assert_ptr_nonnull(strstr(n.logbuf, "account alice"));
	check_keys(&n, &n.inst[0]);
	pki_free(&p, &n);
}
END_TEST

/* The peer's IPsec policy rule reaches the validator at MM5 (its CA and mapping decide there), is
 * asked again at MM5, and a rule that by then accepts only its PSK refuses the certificate. */
struct mm5pol {
	struct ike_peer_policy ans;
	int calls, psk_only_from; /* from this call on the rule allows only its PSK */
};

static void mm5pol_fn(void *ctx, const struct rp_addr *peer, struct ike_peer_policy *out)
{
	struct mm5pol *p = ctx;
	(void)peer;
	*out = p->ans;
	if (++p->calls >= p->psk_only_from && p->psk_only_from) {
		out->auth_cert = false;
		out->auth_psk = true;
		out->psk_len = 8;
		memcpy(out->psk, "rule-psk", 8);
	}
}

START_TEST(t_rsa_rule_reaches_validator)
{
	for (int psk_only = 0; psk_only < 2; psk_only++) {
		struct pki p;
		struct net n;
		struct mm5pol mp = {.ans = {.action = IKE_POL_NEGOTIATE, .auth_cert = true, .certmap = 0},
		                    .psk_only_from = psk_only ? 2 : 0};
		snprintf(mp.ans.rule, sizeof mp.ans.rule, "certs");
		snprintf(mp.ans.store, sizeof mp.ans.store, "local");
		snprintf(mp.ans.rootca, sizeof mp.ans.rootca, "CN=rampart test CA");
		pki_init(&p, &n, "alice");
		n.conf.policy = mm5pol_fn;
		n.conf.policy_ctx = &mp;
		net_start(&n);
		if (!psk_only) {
			ck_assert_int_eq(handshake(&n), 0);
			ck_assert(p.val.had_pol);
			ck_assert_str_eq(p.val.pol_rootca, "CN=rampart test CA");
			ck_assert_int_eq(p.val.pol_certmap, 0);
		} else {
			ck_assert_int_ne(handshake(&n), 0);
			ck_assert_int_eq(p.val.calls, 0);
			ck_assert_ptr_nonnull(strstr(n.logbuf, "rule certs (store local) accepts only its preshared key"));
		}
		ck_assert_int_ge(mp.calls, 2); /* MM1 and MM5 */
		pki_free(&p, &n);
	}
}
END_TEST

START_TEST(t_rsa_cert_send_policy)
{
	struct pki p;
	struct net n;
	pki_init(&p, &n, "alice");
	n.tc.send_cr = false; /* not asked: no chain by default; the initiator has our key */
	gnutls_datum_t d = {p.srv.p, (unsigned)p.srv.n};
	gnutls_pubkey_init(&n.tc.resp_pub);
	ck_assert_int_eq(gnutls_pubkey_import_x509_raw(n.tc.resp_pub, &d, GNUTLS_X509_FMT_DER, 0), 0);
	net_start(&n);
	ck_assert_int_eq(handshake(&n), 0);
	ck_assert_uint_eq(n.t->resp_ncert, 0);
	ike_cli_free(n.t);
	ike_free(n.r);
	n.conf.cert_send = IKE_CERT_SEND_ALWAYS;
	n.ninst = 0;
	net_start(&n);
	ck_assert_int_eq(handshake(&n), 0);
	ck_assert_uint_eq(n.t->resp_ncert, 1);
	gnutls_pubkey_deinit(n.tc.resp_pub);
	pki_free(&p, &n);
}
END_TEST

static void ids_case(uint8_t type, const char *id, bool ok)
{
	struct pki p;
	struct net n;
	pki_init(&p, &n, "alice");
	n.tc.id_type = type;
	n.tc.id = id;
	net_start(&n);
	if (ok) {
		ck_assert_msg(handshake(&n) == 0, "%s: %s", id ? id : "ipv4", n.t->err);
	} else {
		ck_assert_int_ne(handshake(&n), 0);
		ck_assert_str_eq(n.t->err, "notify 18"); /* INVALID-ID-INFORMATION, authenticated */
		ck_assert_ptr_nonnull(strstr(n.logbuf, "ID does not match the certificate"));
		ck_assert_int_eq(p.val.calls, 0);
	}
	pki_free(&p, &n);
}

START_TEST(t_rsa_ids)
{
	ids_case(ISAKMP_ID_USER_FQDN, "alice@example.test", true);
	ids_case(ISAKMP_ID_FQDN, "Alice.Example.Test", true);
	ids_case(ISAKMP_ID_IPV4, NULL, true); /* 100.64.10.10 is in the SAN */
	ids_case(ISAKMP_ID_USER_FQDN, "mallory@example.test", false);
	ids_case(ISAKMP_ID_FQDN, "vpn.example.test", false);
}
END_TEST

static void refused(const char *client, void (*tweak)(struct pki *, struct net *), const char *notify,
                    const char *log)
{
	struct pki p;
	struct net n;
	pki_init(&p, &n, client);
	if (tweak)
		tweak(&p, &n);
	net_start(&n);
	ck_assert_int_ne(handshake(&n), 0);
	ck_assert_msg(strcmp(n.t->err, notify) == 0, "%s: got %s", client, n.t->err);
	ck_assert_msg(strstr(n.logbuf, log) != NULL, "%s: log lacks %s:\n%s", client, log, n.logbuf);
	ck_assert_int_eq(n.nup, 0);
	ck_assert_int_eq(n.ninst, 0);
	/* the initiator's retransmission of MM5 gets nothing new */
	pki_free(&p, &n);
}

static void t_corrupt(struct pki *p, struct net *n)
{
	(void)p;
	n->tc.corrupt_sig = true;
}
static void t_wronghash(struct pki *p, struct net *n)
{
	(void)p;
	n->tc.corrupt_hash_i = true; /* a valid signature of another hash */
}
static void t_otherkey(struct pki *p, struct net *n)
{
	/* alice's certificate, signed with the stranger's key */
	struct blob k = load("stranger.key.der");
	gnutls_datum_t d = {k.p, (unsigned)k.n};
	gnutls_privkey_deinit(p->ckey);
	gnutls_privkey_init(&p->ckey);
	ck_assert_int_eq(gnutls_privkey_import_x509_raw(p->ckey, &d, GNUTLS_X509_FMT_DER, NULL, 0), 0);
	n->tc.key = p->ckey;
	free(k.p);
}
static void t_nocert(struct pki *p, struct net *n)
{
	(void)p;
	n->tc.ncerts = 0;
}

START_TEST(t_rsa_initial_contact_authenticated_id)
{
	/* With certificates the ID is proven: alice crashes and comes back behind the same NAT from
	 * another port (her NAT mapping is new), with INITIAL-CONTACT: her old SAs go (a PSK
	 * client with an equal ID from another port is not the same entity: test_ike_life.c). */
	struct pki p;
	struct net n;
	pki_init(&p, &n, "alice");
	n.nat = true;
	net_start(&n);
	ck_assert_int_eq(handshake(&n), 0);
	ck_assert_uint_eq(ike_child_count(n.r), 1);
	ike_cli_free(n.t);
	n.pub.port = 40200;
	n.float_port = 40201;
	n.tc.initial_contact = true;
	n.t = ike_cli_new(&n.tc, &n.ri);
	ck_assert_int_eq(handshake(&n), 0);
	ck_assert_int_eq(n.ndown, 1);
	ck_assert_int_eq(n.ndel, 1);
	ck_assert_uint_eq(ike_sa_count(n.r), 1);
	ck_assert_uint_eq(ike_child_count(n.r), 1);
	ck_assert_ptr_nonnull(strstr(n.logbuf, "INITIAL-CONTACT"));
	pki_free(&p, &n);
}
END_TEST

/* Issue 10 item 6: the peer's DER_ASN1_DN ID is rendered (by GnuTLS) before anything is validated;
 * a newline in its CN once printed a forged "warn ike:" line. It is escaped into one line. */
START_TEST(t_rsa_dn_id_escaped)
{
	static const uint8_t dn[] = {
	    0x30, 0x33, /* Name */
	    0x31, 0x10, 0x30, 0x0e, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x07, 'r',  'a', 'm', 'p', 'a', 'r',
	    't',  0x31, 0x1f, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x16, 'a', 'l', 'i', 'c', 'e',
	    '\n', 'w',  'a',  'r',  'n',  ' ',  'i',  'k',  'e',  ':',  ' ',  'f',  'o', 'r', 'g', 'e', 'd'};
	struct pki p;
	struct net n;
	pki_init(&p, &n, "alice");
	n.tc.id_der = dn;
	n.tc.id_der_len = sizeof dn;
	net_start(&n);
	ck_assert_int_ne(handshake(&n), 0);
	ck_assert_str_eq(n.t->err, "notify 18");
	ck_assert_msg(strstr(n.logbuf, "ID CN=alice\\x0awarn ike: forged,O=rampart is not the certificate") !=
	                  NULL,
	              "DN not escaped:\n%s", n.logbuf);
	ck_assert_ptr_null(strstr(n.logbuf, "\nwarn ike: forged"));
	pki_free(&p, &n);
}
END_TEST

START_TEST(t_rsa_refusals)
{
	refused("alice", t_corrupt, "notify 24", "SIG_I invalid");
	refused("alice", t_wronghash, "notify 24", "SIG_I invalid");
	refused("alice", t_otherkey, "notify 24", "SIG_I invalid");
	refused("stranger", NULL, "notify 22", "certificate refused (Main Mode, RSA signature): unknown CA");
	refused("revoked", NULL, "notify 20", "certificate refused (Main Mode, RSA signature): revoked");
	refused("expired", NULL, "notify 20", "certificate refused (Main Mode, RSA signature): expired");
	refused("alice", t_nocert, "notify 28", "no certificate");
}
END_TEST

START_TEST(t_rsa_not_configured)
{
	/* without our key/chain/validator, RSA proposals are refused as before */
	struct pki p;
	struct net n;
	pki_init(&p, &n, "alice");
	n.conf.cert_verify = NULL;
	net_start(&n);
	ck_assert_int_ne(handshake(&n), 0);
	ck_assert_str_eq(n.t->err, "notify 14");
	pki_free(&p, &n);
}
END_TEST

START_TEST(t_rsa_bad_key_conf)
{
	struct pki p;
	struct net n;
	pki_init(&p, &n, "alice");
	n.conf.key_der = p.srv.p; /* a certificate, not a key */
	n.conf.key_der_len = p.srv.n;
	ck_assert_ptr_null(ike_new(&n.conf, &n.rr, &n.lg));
	n.conf.key_der = NULL;
	pki_free(&p, &n);
}
END_TEST

/* ---- e=3 forgery (Bleichenbacher 2006; strongSwan CVE-2018-16151/16152, Libreswan/Openswan) --- */

struct e3 {
	struct rsa_public_key pub;
	struct rsa_private_key priv;
	bool forge;    /* garbage after the hash, cube root */
	bool long_sig; /* a valid signature with a leading zero byte (length k+1) */
	int bad_em;    /* 1 block type 02, 2 one padding byte FE, 3 DigestInfo (RFC 8017 style), 4 short
	                * padding with garbage after the hash: signed with the real key; 5 correct */
	int calls;
};

/* A raw RSA signature (with the private key) over an encoded message we build wrongly on
 * purpose: only the padding check can refuse it. */
static void sign_em(struct e3 *e, const uint8_t *h, size_t hl, mpz_t s)
{
	static const uint8_t sha1_di[] = {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e,
	                                  0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14};
	size_t k = e->pub.size, tl = hl;
	uint8_t em[512], t[128];
	memcpy(t, h, hl);
	if (e->bad_em == 3) { /* DigestInfo in front: a standard PKCS#1 signature, not IKEv1's */
		memcpy(t, sha1_di, sizeof sha1_di);
		memcpy(t + sizeof sha1_di, h, hl);
		tl = sizeof sha1_di + hl;
	}
	memset(em, 0xff, k);
	em[0] = 0;
	em[1] = e->bad_em == 1 ? 2 : 1;
	if (e->bad_em == 4) { /* 00 01 FF*8 00 H garbage(0x42) */
		em[10] = 0;
		memcpy(em + 11, t, tl);
		memset(em + 11 + tl, 0x42, k - 11 - tl);
	} else {
		em[k - tl - 1] = 0;
		memcpy(em + k - tl, t, tl);
		if (e->bad_em == 2)
			em[5] = 0xfe;
	}
	mpz_t m;
	mpz_init(m);
	nettle_mpz_set_str_256_u(m, k, em);
	rsa_compute_root(&e->priv, s, m);
	mpz_clear(m);
}

static void nrng(void *ctx, size_t n, uint8_t *dst)
{
	rp_rng_fill(ctx, dst, n);
}

static int e3_sign(void *ctx, const uint8_t *h, size_t hl, uint8_t *sig, size_t *sl)
{
	struct e3 *e = ctx;
	size_t k = e->pub.size;
	mpz_t s;
	mpz_init(s);
	e->calls++;
	if (e->forge) {
		/* EM = 00 01 FF FF FF FF 00 H garbage: a verifier that stops parsing after H accepts
		 * s = ceil(cbrt(EM)), since s^3 differs from EM only far below H. */
		uint8_t em[512];
		memset(em, 0, k);
		em[1] = 1;
		memset(em + 2, 0xff, 4);
		memcpy(em + 7, h, hl);
		mpz_t t, c;
		mpz_inits(t, c, NULL);
		nettle_mpz_set_str_256_u(t, k, em);
		mpz_root(s, t, 3);
		mpz_add_ui(s, s, 1);
		mpz_pow_ui(c, s, 3);
		/* check the forgery is real: c < n and starts with the padded hash */
		ck_assert(mpz_cmp(c, e->pub.n) < 0);
		uint8_t cb[512];
		nettle_mpz_get_str_256(k, cb, c);
		ck_assert_mem_eq(cb, em, 7 + hl);
		mpz_clears(t, c, NULL);
	} else if (e->bad_em) {
		sign_em(e, h, hl, s);
	} else {
		ck_assert(rsa_pkcs1_sign(&e->priv, hl, h, s));
	}
	size_t off = e->long_sig ? 1 : 0;
	sig[0] = 0;
	nettle_mpz_get_str_256(k, sig + off, s);
	*sl = k + off;
	mpz_clear(s);
	return 0;
}

static void e3_case(bool forge, bool long_sig, int bad_em, bool ok)
{
	struct pki p;
	struct net n;
	struct e3 e;
	memset(&e, 0, sizeof e);
	rsa_public_key_init(&e.pub);
	rsa_private_key_init(&e.priv);
	mpz_set_ui(e.pub.e, 3);
	struct rp_rng r;
	rp_rng_seeded(&r, 77);
	ck_assert(rsa_generate_keypair(&e.pub, &e.priv, &r, nrng, NULL, NULL, 2048, 0));
	pki_init(&p, &n, "alice");
	uint8_t nb[256], eb[1] = {3};
	nettle_mpz_get_str_256(256, nb, e.pub.n);
	gnutls_datum_t m = {nb, 256}, ed = {eb, 1};
	gnutls_pubkey_init(&p.val.force_pub);
	ck_assert_int_eq(gnutls_pubkey_import_rsa_raw(p.val.force_pub, &m, &ed), 0);
	e.forge = forge;
	e.long_sig = long_sig;
	e.bad_em = bad_em;
	n.tc.sign = e3_sign;
	n.tc.sign_ctx = &e;
	net_start(&n);
	int rc = handshake(&n);
	ck_assert_int_eq(e.calls, 1);
	if (ok) {
		ck_assert_msg(rc == 0, "%s", n.t->err);
	} else {
		ck_assert_int_ne(rc, 0);
		ck_assert_str_eq(n.t->err, "notify 24");
		ck_assert_ptr_nonnull(strstr(n.logbuf, "SIG_I invalid"));
		ck_assert_int_eq(n.nup, 0);
	}
	rsa_public_key_clear(&e.pub);
	rsa_private_key_clear(&e.priv);
	pki_free(&p, &n);
}

START_TEST(t_rsa_e3)
{
	e3_case(false, false, 0, true); /* control: a real signature with the e=3 key is accepted */
	e3_case(true, false, 0, false); /* the forgery is refused */
	e3_case(false, true, 0, false); /* length k+1 refused although the value is right */
	/* signed with the real key but wrongly padded: block type 2, a padding byte not FF, a
	 * DigestInfo (what a generic PKCS#1 verifier would want), short padding + trailing garbage */
	for (int b = 1; b <= 4; b++)
		e3_case(false, false, b, false);
	e3_case(false, false, 5, true); /* control: the same raw construction, padded right, passes */
}
END_TEST

/* ---- IKEv1 fragmentation (ike_frag.c) --------------------------------------------------------- */

START_TEST(t_frag_windows_rsa)
{
	/* Windows with a certificate: it announced FRAGMENTATION, sends MM5 in fragments, and our
	 * MM6 (chain + signature, ~1.3 kB) comes back in fragments within 576-byte packets */
	struct pki p;
	struct net n;
	pki_init(&p, &n, "alice");
	n.tc.windows = true;
	n.frag_out = 400;
	net_start(&n);
	ck_assert_msg(handshake(&n) == 0, "%s", n.t->err);
	ck_assert_int_ge(n.nfrag_rx, 3);
	ck_assert_uint_le(n.frag_rx_maxlen, 576 - 28);
	ck_assert_uint_eq(n.t->resp_ncert, 1);
	ck_assert_str_eq(n.up_account, "alice");
	pki_free(&p, &n);
}
END_TEST

START_TEST(t_frag_reverse_dup)
{
	struct pki p;
	struct net n;
	pki_init(&p, &n, "alice");
	n.tc.windows = true;
	n.frag_out = 300;
	n.frag_reverse = true;
	n.frag_dup = true;
	net_start(&n);
	ck_assert_msg(handshake(&n) == 0, "%s", n.t->err);
	ck_assert_ptr_nonnull(strstr(n.logbuf, "duplicate fragment"));
	pki_free(&p, &n);
}
END_TEST

START_TEST(t_frag_not_announced)
{
	/* no FRAGMENTATION VID from the peer: MM6 goes whole however large */
	struct pki p;
	struct net n;
	pki_init(&p, &n, "alice");
	net_start(&n);
	ck_assert_int_eq(handshake(&n), 0);
	ck_assert_int_eq(n.nfrag_rx, 0);
	ck_assert_uint_eq(n.t->resp_ncert, 1);
	pki_free(&p, &n);
}
END_TEST

static size_t mkfrag(uint8_t *f, const uint8_t *hdr, uint16_t id, uint8_t num, bool last, const uint8_t *d,
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
	f[35] = last;
	memcpy(f + 36, d, dl);
	return 36 + dl;
}

#define LOGGED(s) ck_assert_msg(strstr(n.logbuf, s) != NULL, "log lacks %s", s)

START_TEST(t_frag_limits)
{
	struct pki p;
	struct net n;
	static uint8_t f[70000], big[4200];
	uint8_t mm5[IKE_MAXBUF], out[IKE_MAXBUF];
	pki_init(&p, &n, "alice");
	n.tc.windows = true;
	net_start(&n);
	long len = (long)ike_cli_start(n.t, out, sizeof out);
	deliver(&n, out, (size_t)len);
	len = ike_cli_input(n.t, n.reply, n.reply_len, out, sizeof out);
	deliver(&n, out, (size_t)len);
	len = ike_cli_input(n.t, n.reply, n.reply_len, mm5, sizeof mm5); /* MM5, not yet sent */
	ck_assert_int_gt(len, 600);
	memset(big, 0x5a, sizeof big);

	deliver(&n, f, mkfrag(f, mm5, 1, 0, false, big, 10));
	deliver(&n, f, mkfrag(f, mm5, 1, 17, false, big, 10));
	LOGGED("fragment number out of range");
	size_t fl = mkfrag(f, mm5, 1, 2, false, big, 10);
	f[31]++; /* payload length one more than the message holds */
	deliver(&n, f, fl);
	LOGGED("fragment payload length or chain invalid");
	deliver(&n, f, mkfrag(f, mm5, 2, 1, false, big, 100));
	deliver(&n, f, mkfrag(f, mm5, 2, 1, false, mm5, 100));
	LOGGED("conflicting copy of a fragment");
	deliver(&n, f, mkfrag(f, mm5, 1, 3, false, big, 10));
	LOGGED("fragment of an older message");
	deliver(&n, f, mkfrag(f, mm5, 3, 2, true, big, 10));
	deliver(&n, f, mkfrag(f, mm5, 3, 3, false, big, 10));
	LOGGED("fragment beyond the last one");
	deliver(&n, f, mkfrag(f, mm5, 3, 4, true, big, 10));
	LOGGED("second last fragment");
	for (uint8_t i = 1; i <= 16; i++) /* 16 x 4100 > 64 KiB */
		deliver(&n, f, mkfrag(f, mm5, 4, i, i == 16, big, 4100));
	LOGGED("reassembled message too large");
	/* a fragment whose reassembly is itself a fragment message */
	uint8_t inner[64];
	size_t il = mkfrag(inner, mm5, 9, 1, true, big, 10);
	deliver(&n, f, mkfrag(f, mm5, 5, 1, true, inner, il));
	LOGGED("reassembled message invalid");
	/* unknown cookies, and a first message (no responder cookie) are never reassembled */
	uint8_t h2[28];
	memcpy(h2, mm5, 28);
	h2[9] ^= 1;
	deliver(&n, f, mkfrag(f, h2, 6, 1, true, big, 10));
	LOGGED("IKE fragment dropped (unknown cookies)");
	memset(h2 + 8, 0, 8);
	deliver(&n, f, mkfrag(f, h2, 6, 1, true, big, 10));
	LOGGED("no responder cookie");
	ck_assert_int_eq(n.nup, 0);

	/* timeout: the first half of MM5, 6 s of silence, the second half: the stale part is
	 * gone, nothing completes; the whole set again completes and MM6 verifies */
	size_t half = (size_t)len / 2;
	deliver(&n, f, mkfrag(f, mm5, 10, 1, false, mm5, half));
	n.now += 6000;
	deliver(&n, f, mkfrag(f, mm5, 10, 2, true, mm5 + half, (size_t)len - half));
	ck_assert_uint_eq(n.reply_len, 0);
	ck_assert_int_eq(n.nup, 0);
	deliver(&n, f, mkfrag(f, mm5, 10, 1, false, mm5, half));
	ck_assert_int_eq(n.nup, 1);
	ck_assert_uint_gt(n.reply_len, 0);
	ck_assert_int_gt(ike_cli_input(n.t, n.reply, n.reply_len, out, sizeof out), 0); /* SIG_R ok */
	pki_free(&p, &n);
}
END_TEST

START_TEST(t_frag_global_cap)
{
	/* one client with many half-open IKE SAs, each holding an almost full reassembly: the
	 * total is capped (4 MiB), so 64 KiB per SA cannot be multiplied by the SA limit */
	struct net n;
	static uint8_t f[8192], big[4100];
	uint8_t out[IKE_MAXBUF], hdr[28];
	struct rp_rng ri;
	net_init(&n, false);
	n.tc.p1 = win_modern + 1; /* ECP256: cheap */
	n.tc.np1 = 1;
	n.tc.p2 = p2_win;
	n.tc.np2 = 1;
	n.conf.frag_per_ip = 8u << 20; /* the per-address cap would stop this one client first */
	net_start(&n);
	rp_rng_seeded(&ri, 9);
	for (int k = 0; k < 72 && !strstr(n.logbuf, "at its cap"); k++) {
		struct ike_cli *t = ike_cli_new(&n.tc, &ri);
		size_t len = ike_cli_start(t, out, sizeof out);
		deliver(&n, out, len);
		ck_assert_uint_gt(n.reply_len, 0);
		ck_assert_int_gt(ike_cli_input(t, n.reply, n.reply_len, out, sizeof out), 0);
		memcpy(hdr, out, 28); /* MM3's header: this SA's cookies */
		for (uint8_t i = 1; i <= 15; i++)
			deliver(&n, f, mkfrag(f, hdr, 1, i, false, big, sizeof big));
		ike_cli_free(t);
	}
	ck_assert_ptr_nonnull(strstr(n.logbuf, "reassembly memory of all IKE SAs at its cap"));
	ck_assert_uint_le(ike_sa_count(n.r), 72);
	net_free(&n);
}
END_TEST

START_TEST(t_frag_per_ip)
{
	/* the finding (issue 12): 70 unauthenticated half-open SAs of one address, each holding an
	 * almost full reassembly, filled the 4 MiB of all reassemblies, and then a Windows client
	 * with a certificate (MM5 in fragments) could not connect. Per address they now get
	 * ike.frag_per_ip, and an abandoned reassembly is freed on its timer. */
	struct pki p;
	struct net n;
	static uint8_t f[8192], big[4100];
	uint8_t out[IKE_MAXBUF], hdr[28];
	struct rp_rng ri;
	pki_init(&p, &n, "alice");
	n.tc.windows = true;
	n.frag_out = 400;
	net_start(&n);
	struct ike_cli_conf ac = n.tc;
	ac.p1 = win_modern + 1; /* ECP256, PSK: cheap */
	ac.np1 = 1;
	ac.p2 = p2_win;
	ac.np2 = 1;
	ac.psk = PSK;
	ac.psklen = sizeof PSK - 1;
	rp_rng_seeded(&ri, 9);
	for (int k = 0; k < 70; k++) {
		struct ike_cli *t = ike_cli_new(&ac, &ri);
		size_t len = ike_cli_start(t, out, sizeof out);
		struct rp_pkt pk = {.data = out, .len = len, .rx_ms = n.now};
		rp_addr_v4(&pk.src, 0xcb0071ee, (uint16_t)(2000 + k));
		pk.dst = n.srv;
		n.reply_len = 0;
		ike_input(n.r, &pk, n.now);
		drain(&n);
		ck_assert_uint_gt(n.reply_len, 0);
		ck_assert_int_gt(ike_cli_input(t, n.reply, n.reply_len, out, sizeof out), 0);
		memcpy(hdr, out, 28); /* MM3's header: this SA's cookies */
		for (uint8_t i = 1; i <= 15; i++) {
			pk.data = f;
			pk.len = mkfrag(f, hdr, 1, i, false, big, sizeof big);
			ike_input(n.r, &pk, n.now);
			drain(&n);
		}
		ike_cli_free(t);
	}
	ck_assert_msg(handshake(&n) == 0, "Windows certificate client after the attack: %s", n.t->err);
	ck_assert_str_eq(n.up_account, "alice");
	struct ike_stats st;
	ike_get_stats(n.r, &st);
	ck_assert_uint_le(st.frag_bytes, 256 * 1024);
	ck_assert_uint_gt(st.adm[IKE_A_FRAG_IP], 0);
	/* the attacker's reassemblies go when their timeout passes, not with the half-open SAs */
	n.now += 6000;
	ike_tick(n.r, n.now);
	ike_get_stats(n.r, &st);
	ck_assert_uint_eq(st.frag_bytes, 0);
	ck_assert_uint_eq(st.halfopen, 70);
	pki_free(&p, &n);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ike_cert");
	TCase *tc = tcase_create("rsa");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_rsa_ok);
	tcase_add_test(tc, t_rsa_cert_send_policy);
	tcase_add_test(tc, t_rsa_rule_reaches_validator);
	tcase_add_test(tc, t_rsa_ids);
	tcase_add_test(tc, t_rsa_initial_contact_authenticated_id);
	tcase_add_test(tc, t_rsa_dn_id_escaped);
	tcase_add_test(tc, t_rsa_refusals);
	tcase_add_test(tc, t_rsa_not_configured);
	tcase_add_test(tc, t_rsa_bad_key_conf);
	tcase_add_test(tc, t_rsa_e3);
	suite_add_tcase(s, tc);
	TCase *tf = tcase_create("frag");
	tcase_set_timeout(tf, 60);
	tcase_add_test(tf, t_frag_windows_rsa);
	tcase_add_test(tf, t_frag_reverse_dup);
	tcase_add_test(tf, t_frag_not_announced);
	tcase_add_test(tf, t_frag_limits);
	tcase_add_test(tf, t_frag_global_cap);
	tcase_add_test(tf, t_frag_per_ip);
	suite_add_tcase(s, tf);
	return s;
}

RP_CHECK_MAIN(suite)
