/* auth certificates: validation refusals, leaf info, ID matching, CRL reload, mapping precedence,
 * ambiguity, rights (deny wins), schema migration 1 -> 2. The PKI is tests/data/pki, made by
 * etc/make-pki.sh with GnuTLS certtool (an independent producer of the names, EKUs and CRL we parse);
 * the SHA-256 fingerprint below was printed by `certtool --fingerprint --hash sha256` and sha256sum. */
#include "auth_local.h"
#include "check_main.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PKI RP_DATA "/pki/"
static const int64_t NOW = 1893456000;    /* 2030-01-01: every valid demo cert is current */
static const int64_t BEFORE = 1590969600; /* 2020-06-01: before the demo PKI was made */

struct blob {
	uint8_t d[8192];
	size_t n;
};

static struct blob *load(const char *name)
{
	static struct blob b[8];
	static int next;
	char path[512];
	snprintf(path, sizeof path, PKI "%s.der", name);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "%s", path);
	struct blob *x = &b[next++ % 8];
	x->n = fread(x->d, 1, sizeof x->d, f);
	fclose(f);
	ck_assert_uint_gt(x->n, 100);
	return x;
}

static struct auth_trust *trust(bool crl)
{
	struct auth_trust *t = auth_trust_new();
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(auth_trust_add_ca_file(t, PKI "ca.pem"), 1);
	if (crl)
		ck_assert_int_gt(auth_trust_add_crl_file(t, PKI "crl.pem"), 0);
	return t;
}

static int check1(struct auth_trust *t, const char *name, int64_t now, struct auth_cert_info *info, char *why)
{
	struct blob *b = load(name);
	struct auth_der c = {b->d, b->n};
	return auth_cert_validate(t, &c, 1, now, info, why, 256);
}

START_TEST(valid_and_info)
{
	struct auth_trust *t = trust(true);
	static struct auth_cert_info in;
	char why[256];
	ck_assert_int_eq(check1(t, "alice", NOW, &in, why), AUTH_CERT_OK);
	ck_assert_str_eq(in.subject, "CN=alice,OU=Staff,O=Example");
	ck_assert_str_eq(in.issuer, "CN=rampart demo CA,O=Example");
	ck_assert_str_eq(in.o, "Example");
	ck_assert_uint_eq(in.n_ou, 1);
	ck_assert_str_eq(in.ou[0], "Staff");
	ck_assert_uint_eq(in.n_upn, 1);
	ck_assert_str_eq(in.upn[0], "alice@example.test");
	ck_assert_uint_eq(in.n_email, 1);
	ck_assert_str_eq(in.email[0], "alice@example.test");
	static const uint8_t fp[32] = {0x91, 0xf1, 0x84, 0xeb, 0xbd, 0xda, 0xe2, 0x2a, 0x45, 0x32, 0x51,
	                               0xbc, 0x11, 0xa0, 0x31, 0xfb, 0x59, 0x7d, 0x99, 0xb7, 0x99, 0x9b,
	                               0xdc, 0xe1, 0xf9, 0xa5, 0xfb, 0x5f, 0xa5, 0x97, 0xfe, 0x96};
	ck_assert_mem_eq(in.sha256, fp, 32);
	ck_assert_uint_gt(in.spki_len, 270); /* RSA 2048 SubjectPublicKeyInfo is 294 bytes */
	ck_assert_uint_eq(in.spki[0], 0x30);
	ck_assert_uint_eq(in.pk_bits, 2048);
	/* the server certificate: serverAuth + ipsecIKE, DNS and IP SANs */
	ck_assert_int_eq(check1(t, "server", NOW, &in, why), AUTH_CERT_OK);
	ck_assert_uint_eq(in.n_dns, 1);
	ck_assert_str_eq(in.dns[0], "vpn.example.test");
	ck_assert_uint_eq(in.n_ip, 1);
	ck_assert_uint_eq(in.ip_len[0], 4);
	/* no EKU at all, as many Windows client certificates: accepted */
	ck_assert_int_eq(check1(t, "noeku", NOW, &in, why), AUTH_CERT_OK);
	auth_trust_free(t);
}
END_TEST

START_TEST(refusals)
{
	struct auth_trust *t = trust(true);
	static struct auth_cert_info in;
	char why[256];
	ck_assert_int_eq(check1(t, "expired", NOW, &in, why), AUTH_CERT_EXPIRED);
	ck_assert_ptr_nonnull(strstr(why, "expired"));
	ck_assert_str_eq(in.subject, "CN=expired,OU=Staff,O=Example"); /* info filled for the log */
	ck_assert_int_eq(check1(t, "alice", BEFORE, &in, why), AUTH_CERT_NOT_YET_VALID);
	ck_assert_int_eq(check1(t, "stranger", NOW, &in, why), AUTH_CERT_UNKNOWN_CA);
	ck_assert_int_eq(check1(t, "revoked", NOW, &in, why), AUTH_CERT_REVOKED);
	ck_assert_int_eq(check1(t, "codesign", NOW, &in, why), AUTH_CERT_KEY_USAGE);
	ck_assert_ptr_nonnull(strstr(why, "extended key usage"));
	ck_assert_int_eq(check1(t, "encipher", NOW, &in, why), AUTH_CERT_KEY_USAGE);
	ck_assert_ptr_nonnull(strstr(why, "digitalSignature"));
	/* a flipped bit in the signature value (the last bytes of the DER) */
	struct blob *b = load("alice");
	b->d[b->n - 5] ^= 0x01;
	struct auth_der c = {b->d, b->n};
	ck_assert_int_eq(auth_cert_validate(t, &c, 1, NOW, &in, why, sizeof why), AUTH_CERT_BAD_SIGNATURE);
	/* garbage */
	uint8_t junk[64] = {0x30, 0x82, 0x10, 0x00};
	struct auth_der j = {junk, sizeof junk};
	ck_assert_int_eq(auth_cert_validate(t, &j, 1, NOW, &in, why, sizeof why), AUTH_CERT_BAD_INPUT);
	ck_assert_int_lt(auth_cert_validate(t, &j, 0, NOW, &in, why, sizeof why), 0);
	/* a CA certificate that the peer presents as its own is still from the trusted CA, but a
	 * self-signed untrusted one is an unknown CA */
	ck_assert_int_eq(check1(t, "other-ca", NOW, &in, why), AUTH_CERT_UNKNOWN_CA);
	/* the untrusted CA sent along as "intermediate" does not help */
	struct blob *s = load("stranger"), *o = load("other-ca");
	struct auth_der ch[2] = {{s->d, s->n}, {o->d, o->n}};
	ck_assert_int_eq(auth_cert_validate(t, ch, 2, NOW, &in, why, sizeof why), AUTH_CERT_UNKNOWN_CA);
	for (int r = AUTH_CERT_OK; r <= AUTH_CERT_ID_MISMATCH; r++)
		ck_assert_str_ne(auth_cert_result_str(r), "?");
	auth_trust_free(t);
}
END_TEST

/* chain building: the peer sends the intermediate (in any order, the anchor too or not) */
START_TEST(chain_with_intermediate)
{
	struct auth_trust *t = trust(true);
	static struct auth_cert_info in;
	char why[256];
	struct blob *c = load("carol"), *sub = load("sub-ca"), *ca = load("ca"), *o = load("other-ca");
	ck_assert_int_eq(check1(t, "carol", NOW, &in, why), AUTH_CERT_UNKNOWN_CA);
	struct auth_der ch[3] = {{c->d, c->n}, {sub->d, sub->n}, {ca->d, ca->n}};
	ck_assert_int_eq(auth_cert_validate(t, ch, 2, NOW, &in, why, sizeof why), AUTH_CERT_OK);
	ck_assert_str_eq(in.subject, "CN=carol,OU=Sales,O=Example");
	ck_assert_str_eq(in.issuer, "CN=rampart demo issuing CA,O=Example");
	ck_assert_int_eq(auth_cert_validate(t, ch, 3, NOW, &in, why, sizeof why), AUTH_CERT_OK);
	struct auth_der rev[3] = {{c->d, c->n}, {ca->d, ca->n}, {sub->d, sub->n}};
	ck_assert_int_eq(auth_cert_validate(t, rev, 3, NOW, &in, why, sizeof why), AUTH_CERT_OK);
	/* an unrelated CA in place of the intermediate does not help */
	struct auth_der bad[2] = {{c->d, c->n}, {o->d, o->n}};
	ck_assert_int_ne(auth_cert_validate(t, bad, 2, NOW, &in, why, sizeof why), AUTH_CERT_OK);
	/* time applies to the intermediate too */
	ck_assert_int_eq(auth_cert_validate(t, ch, 2, BEFORE, &in, why, sizeof why), AUTH_CERT_NOT_YET_VALID);
	/* the intermediate presented as a leaf: a CA key usage without digitalSignature */
	ck_assert_int_eq(check1(t, "sub-ca", NOW, &in, why), AUTH_CERT_KEY_USAGE);
	auth_trust_free(t);
}
END_TEST

START_TEST(trust_dir_and_crl_reload)
{
	char dir[] = "/tmp/auth-crl-XXXXXX", crl[64], cmd[256];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(crl, sizeof crl, "%s/crl.pem", dir);
	snprintf(cmd, sizeof cmd, "cp " PKI "crl-empty.pem %s", crl);
	ck_assert_int_eq(system(cmd), 0);
	struct auth_trust *t = auth_trust_new();
	ck_assert_int_eq(auth_trust_add_ca_dir(t, PKI "anchors"), 1);
	ck_assert_int_gt(auth_trust_add_crl_file(t, crl), 0);
	char why[256];
	ck_assert_int_eq(check1(t, "revoked", NOW, NULL, why), AUTH_CERT_OK);
	/* the CA publishes a CRL revoking the certificate; reload picks it up */
	snprintf(cmd, sizeof cmd, "cp " PKI "crl.pem %s", crl);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(check1(t, "revoked", NOW, NULL, why), AUTH_CERT_OK);
	ck_assert_int_gt(auth_trust_reload(t), 0);
	ck_assert_int_eq(check1(t, "revoked", NOW, NULL, why), AUTH_CERT_REVOKED);
	ck_assert_int_eq(check1(t, "alice", NOW, NULL, why), AUTH_CERT_OK);
	/* a broken file on reload is refused and the previous state kept */
	FILE *f = fopen(crl, "w");
	fputs("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n", f);
	fclose(f);
	ck_assert_int_lt(auth_trust_reload(t), 0);
	ck_assert_int_eq(check1(t, "revoked", NOW, NULL, why), AUTH_CERT_REVOKED);
	/* a CRL signed by another CA is not accepted */
	ck_assert_int_lt(auth_trust_add_crl_file(t, PKI "other-ca.pem"), 0);
	ck_assert_int_eq(auth_trust_add_ca_file(t, "/nonexistent/ca.pem"), -EIO);
	auth_trust_free(t);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(id_match)
{
	static struct auth_cert_info a, s, m;
	struct blob *b = load("alice");
	ck_assert_int_eq(auth_cert_parse(b->d, b->n, &a), 0);
	b = load("server");
	ck_assert_int_eq(auth_cert_parse(b->d, b->n, &s), 0);
	b = load("mallory");
	ck_assert_int_eq(auth_cert_parse(b->d, b->n, &m), 0);
	/* DER_ASN1_DN: the exact encoding, and a hand-built PrintableString encoding of the same name */
	ck_assert(auth_cert_id_match(&a, AUTH_ID_DER_ASN1_DN, a.subject_der, a.subject_der_len));
	ck_assert(!auth_cert_id_match(&a, AUTH_ID_DER_ASN1_DN, m.subject_der, m.subject_der_len));
	static const uint8_t dn[] = {0x30, 0x32, 0x31, 0x10, 0x30, 0x0e, 0x06, 0x03, 0x55, 0x04, 0x0a,
	                             0x13, 0x07, 'E',  'x',  'a',  'm',  'p',  'l',  'e',  0x31, 0x0e,
	                             0x30, 0x0c, 0x06, 0x03, 0x55, 0x04, 0x0b, 0x13, 0x05, 'S',  't',
	                             'a',  'f',  'f',  0x31, 0x0e, 0x30, 0x0c, 0x06, 0x03, 0x55, 0x04,
	                             0x03, 0x13, 0x05, 'a',  'l',  'i',  'c',  'e'};
	ck_assert(auth_cert_id_match(&a, AUTH_ID_DER_ASN1_DN, dn, sizeof dn));
	ck_assert(!auth_cert_id_match(&m, AUTH_ID_DER_ASN1_DN, dn, sizeof dn));
	ck_assert(!auth_cert_id_match(&a, AUTH_ID_DER_ASN1_DN, dn, sizeof dn - 1));
	/* FQDN: DNS SAN, case-insensitive */
	ck_assert(auth_cert_id_match(&s, AUTH_ID_FQDN, (const uint8_t *)"vpn.example.test", 16));
	ck_assert(auth_cert_id_match(&s, AUTH_ID_FQDN, (const uint8_t *)"VPN.Example.TEST", 16));
	ck_assert(!auth_cert_id_match(&s, AUTH_ID_FQDN, (const uint8_t *)"vpn.example.tes", 15));
	ck_assert(!auth_cert_id_match(&a, AUTH_ID_FQDN, (const uint8_t *)"alice", 5));
	/* USER_FQDN: e-mail or UPN */
	ck_assert(auth_cert_id_match(&a, AUTH_ID_USER_FQDN, (const uint8_t *)"alice@example.test", 18));
	ck_assert(auth_cert_id_match(&m, AUTH_ID_USER_FQDN, (const uint8_t *)"mallory@example.test", 20));
	ck_assert(!auth_cert_id_match(&m, AUTH_ID_USER_FQDN, (const uint8_t *)"alice@example.test", 18));
	ck_assert(!auth_cert_id_match(&a, AUTH_ID_USER_FQDN, (const uint8_t *)"alice@example.test\0", 19));
	/* IPV4_ADDR: IP SAN */
	static const uint8_t ip[4] = {203, 0, 113, 1}, ip2[4] = {203, 0, 113, 2};
	ck_assert(auth_cert_id_match(&s, AUTH_ID_IPV4_ADDR, ip, 4));
	ck_assert(!auth_cert_id_match(&s, AUTH_ID_IPV4_ADDR, ip2, 4));
	ck_assert(!auth_cert_id_match(&s, AUTH_ID_IPV4_ADDR, ip, 3));
	ck_assert(!auth_cert_id_match(&a, AUTH_ID_IPV4_ADDR, ip, 4));
	ck_assert(!auth_cert_id_match(&s, 4 /* IPV4_ADDR_SUBNET */, ip, 4));
}
END_TEST

/* ---- mapping and rights ------------------------------------------------------------------ */

static struct auth_db *mkdb(void)
{
	struct auth_db *db = auth_db_open_file(":memory:", NULL, 0);
	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(auth_db_schema_version(db), 4);
	const char *names[] = {"alice", "mallory", "bob", "carol", "dave", "erin", "frank"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		ck_assert_int_eq(auth_account_add(db, names[i], "pw", NULL), 0);
	return db;
}

static struct auth_cert_info *info_of(const char *name)
{
	static struct auth_cert_info in[4];
	static int k;
	struct auth_cert_info *p = &in[k++ % 4];
	struct blob *b = load(name);
	ck_assert_int_eq(auth_cert_parse(b->d, b->n, p), 0);
	return p;
}

static const char *mapped(struct auth_db *db, const char *cert, int expect)
{
	static struct auth_cert_res r;
	ck_assert_int_eq(auth_cert_map(db, info_of(cert), &r), 0);
	ck_assert_msg(r.result == expect, "%s: got %s (%s), want %s", cert, auth_cert_result_str(r.result),
	              r.detail, auth_cert_result_str(expect));
	return r.account;
}

static int64_t rule(struct auth_db *db, int kind, const char *issuer, const char *subject, const char *o,
                    const char *ou, int byname, const char *account)
{
	struct auth_certmap_rule r = {.kind = kind, .byname = byname};
	snprintf(r.issuer, sizeof r.issuer, "%s", issuer ? issuer : "");
	snprintf(r.subject, sizeof r.subject, "%s", subject ? subject : "");
	snprintf(r.o, sizeof r.o, "%s", o ? o : "");
	snprintf(r.ou, sizeof r.ou, "%s", ou ? ou : "");
	snprintf(r.account, sizeof r.account, "%s", account ? account : "");
	if (kind == AUTH_MAP_FINGERPRINT)
		memcpy(r.fingerprint, info_of("alice")->sha256, 32);
	return auth_certmap_add(db, &r);
}

START_TEST(mapping_precedence)
{
	struct auth_db *db = mkdb();
	ck_assert_int_eq(auth_certmap_enabled(db), 1); /* default on */
	mapped(db, "alice", AUTH_CERT_NOT_MAPPED);
	/* by name: UPN -> local part; then an account named by the full UPN wins */
	ck_assert_int_gt(rule(db, AUTH_MAP_BYNAME, 0, 0, 0, 0, AUTH_BYNAME_UPN, 0), 0);
	ck_assert_str_eq(mapped(db, "alice", AUTH_CERT_OK), "alice");
	mapped(db, "mallory", AUTH_CERT_NOT_MAPPED); /* no UPN */
	ck_assert_int_eq(auth_account_add(db, "alice@example.test", "pw", NULL), 0);
	ck_assert_str_eq(mapped(db, "alice", AUTH_CERT_OK), "alice@example.test");
	ck_assert_int_eq(auth_account_del(db, "alice@example.test"), 0);
	/* by e-mail */
	ck_assert_int_gt(rule(db, AUTH_MAP_BYNAME, 0, 0, 0, 0, AUTH_BYNAME_EMAIL, 0), 0);
	ck_assert_str_eq(mapped(db, "mallory", AUTH_CERT_OK), "mallory");
	ck_assert_int_eq(rule(db, AUTH_MAP_BYNAME, 0, 0, 0, 0, AUTH_BYNAME_EMAIL, 0), -EEXIST);
	/* issuer only beats by name (spaces and case in the DN do not matter) */
	ck_assert_int_gt(rule(db, AUTH_MAP_ISSUER, "cn=rampart demo CA, O=example", 0, 0, 0, 0, "bob"), 0);
	ck_assert_str_eq(mapped(db, "alice", AUTH_CERT_OK), "bob");
	ck_assert_str_eq(mapped(db, "mallory", AUTH_CERT_OK), "bob");
	ck_assert_int_eq(rule(db, AUTH_MAP_ISSUER, "CN=rampart demo CA,O=Example", 0, 0, 0, 0, "bob"),
	                 -EEXIST);
	/* issuer + OU beats issuer; a rule for another OU does not match */
	ck_assert_int_gt(rule(db, AUTH_MAP_ISSUER, "CN=rampart demo CA,O=Example", 0, 0, "Staff", 0, "dave"),
	                 0);
	ck_assert_int_gt(rule(db, AUTH_MAP_ISSUER, "CN=rampart demo CA,O=Example", 0, 0, "Sales", 0, "frank"),
	                 0);
	ck_assert_str_eq(mapped(db, "alice", AUTH_CERT_OK), "dave");
	/* issuer + O + OU beats issuer + OU */
	ck_assert_int_gt(
	    rule(db, AUTH_MAP_ISSUER, "CN=rampart demo CA,O=Example", 0, "Example", "Staff", 0, "carol"), 0);
	ck_assert_str_eq(mapped(db, "alice", AUTH_CERT_OK), "carol");
	/* issuer + subject beats those, only for that subject */
	ck_assert_int_gt(rule(db, AUTH_MAP_ISSUER_SUBJECT, "CN=rampart demo CA,O=Example",
	                      "CN=alice,OU=Staff,O=Example", 0, 0, 0, "erin"),
	                 0);
	ck_assert_str_eq(mapped(db, "alice", AUTH_CERT_OK), "erin");
	ck_assert_str_eq(mapped(db, "mallory", AUTH_CERT_OK), "carol");
	/* the exact certificate beats everything */
	int64_t fp = rule(db, AUTH_MAP_FINGERPRINT, 0, 0, 0, 0, 0, "alice");
	ck_assert_int_gt(fp, 0);
	ck_assert_str_eq(mapped(db, "alice", AUTH_CERT_OK), "alice");
	/* a rule from another issuer never matches */
	ck_assert_str_eq(mapped(db, "stranger", AUTH_CERT_NOT_MAPPED), "");
	/* incomplete rules and unknown accounts are refused */
	ck_assert_int_eq(rule(db, AUTH_MAP_ISSUER, "", 0, 0, 0, 0, "bob"), -EINVAL);
	ck_assert_int_eq(rule(db, AUTH_MAP_ISSUER_SUBJECT, "CN=x", "", 0, 0, 0, "bob"), -EINVAL);
	ck_assert_int_eq(rule(db, AUTH_MAP_ISSUER, "CN=x", 0, 0, 0, 0, "nobody"), -ENOENT);
	/* switched off: valid certificates pass unmapped */
	ck_assert_int_eq(auth_certmap_set_enabled(db, false), 0);
	ck_assert_int_eq(auth_certmap_enabled(db), 0);
	static struct auth_cert_res r;
	ck_assert_int_eq(auth_cert_map(db, info_of("stranger"), &r), 0);
	ck_assert_int_eq(r.result, AUTH_CERT_OK);
	ck_assert(!r.mapped);
	auth_db_close(db);
}
END_TEST

START_TEST(mapping_ambiguous)
{
	struct auth_db *db = mkdb();
	int64_t a = rule(db, AUTH_MAP_FINGERPRINT, 0, 0, 0, 0, 0, "alice");
	int64_t b = rule(db, AUTH_MAP_FINGERPRINT, 0, 0, 0, 0, 0, "bob");
	ck_assert_int_gt(a, 0);
	ck_assert_int_gt(b, a);
	ck_assert_int_eq(rule(db, AUTH_MAP_FINGERPRINT, 0, 0, 0, 0, 0, "bob"), -EEXIST);
	static struct auth_cert_res r;
	ck_assert_int_eq(auth_cert_map(db, info_of("alice"), &r), 0);
	ck_assert_int_eq(r.result, AUTH_CERT_AMBIGUOUS);
	ck_assert_ptr_nonnull(strstr(r.detail, "ambiguous"));
	ck_assert(!r.mapped);
	/* less specific rules do not resolve it */
	ck_assert_int_gt(rule(db, AUTH_MAP_ISSUER, "CN=rampart demo CA,O=Example", 0, 0, 0, 0, "carol"), 0);
	mapped(db, "alice", AUTH_CERT_AMBIGUOUS);
	ck_assert_int_eq(auth_certmap_del(db, b), 0);
	ck_assert_int_eq(auth_certmap_del(db, b), -ENOENT);
	ck_assert_str_eq(mapped(db, "alice", AUTH_CERT_OK), "alice");
	/* two issuer-only rules for different accounts: ambiguous for mallory; same account is fine */
	ck_assert_int_gt(
	    rule(db, AUTH_MAP_ISSUER, "CN=rampart demo CA,O=Example", 0, "Example", 0, 0, "dave"), 0);
	ck_assert_int_gt(rule(db, AUTH_MAP_ISSUER, "CN=rampart demo CA,O=Example", 0, 0, "Staff", 0, "erin"),
	                 0);
	mapped(db, "mallory", AUTH_CERT_AMBIGUOUS);
	/* by name: UPN and e-mail both name alice: one account, not ambiguous */
	struct auth_db *db2 = mkdb();
	ck_assert_int_gt(rule(db2, AUTH_MAP_BYNAME, 0, 0, 0, 0, AUTH_BYNAME_UPN, 0), 0);
	ck_assert_int_gt(rule(db2, AUTH_MAP_BYNAME, 0, 0, 0, 0, AUTH_BYNAME_EMAIL, 0), 0);
	ck_assert_str_eq(mapped(db2, "alice", AUTH_CERT_OK), "alice");
	auth_db_close(db2);
	auth_db_close(db);
}
END_TEST

START_TEST(rights_deny_wins)
{
	struct auth_db *db = mkdb();
	ck_assert_int_gt(rule(db, AUTH_MAP_BYNAME, 0, 0, 0, 0, AUTH_BYNAME_EMAIL, 0), 0);
	/* empty allow list: every mapped account is allowed */
	ck_assert_str_eq(mapped(db, "mallory", AUTH_CERT_OK), "mallory");
	/* deny by account */
	int64_t d = auth_right_add(db, AUTH_RIGHT_DENY, "mallory", NULL);
	ck_assert_int_gt(d, 0);
	ck_assert_int_eq(auth_right_add(db, AUTH_RIGHT_DENY, "mallory", NULL), -EEXIST);
	static struct auth_cert_res r;
	ck_assert_int_eq(auth_cert_map(db, info_of("mallory"), &r), 0);
	ck_assert_int_eq(r.result, AUTH_CERT_DENIED);
	ck_assert_int_eq(r.right_id, d);
	ck_assert_str_eq(r.account, "mallory");
	ck_assert_ptr_nonnull(strstr(r.detail, "deny account=mallory"));
	ck_assert_str_eq(mapped(db, "alice", AUTH_CERT_OK), "alice");
	/* deny wins over allow, for groups too: alice in group contractors by membership */
	ck_assert_int_gt(auth_right_add(db, AUTH_RIGHT_ALLOW, "alice", NULL), 0);
	ck_assert_int_eq(auth_group_add(db, "contractors"), 0);
	ck_assert_int_eq(auth_group_add(db, "contractors"), -EEXIST);
	ck_assert_int_eq(auth_group_member_add(db, "contractors", "alice"), 0);
	ck_assert_int_eq(auth_group_member_add(db, "contractors", "alice"), -EEXIST);
	ck_assert_int_eq(auth_group_member_add(db, "contractors", "nobody"), -ENOENT);
	int64_t g = auth_right_add(db, AUTH_RIGHT_DENY, NULL, "contractors");
	ck_assert_int_gt(g, 0);
	ck_assert_int_eq(auth_cert_map(db, info_of("alice"), &r), 0);
	ck_assert_int_eq(r.result, AUTH_CERT_DENIED);
	ck_assert_int_eq(r.right_id, g);
	ck_assert_ptr_nonnull(strstr(r.detail, "deny group=contractors"));
	ck_assert_int_eq(auth_group_member_del(db, "contractors", "alice"), 0);
	ck_assert_str_eq(mapped(db, "alice", AUTH_CERT_OK), "alice");
	/* a primary group (auth_account_opts.group) counts as membership too */
	ck_assert_int_eq(auth_account_set_group(db, "alice", "contractors"), 0);
	mapped(db, "alice", AUTH_CERT_DENIED);
	ck_assert_int_eq(auth_right_del(db, AUTH_RIGHT_DENY, NULL, "contractors"), 0);
	ck_assert_int_eq(auth_right_del(db, AUTH_RIGHT_DENY, NULL, "contractors"), -ENOENT);
	/* a non-empty allow list: mallory (deny removed) is not in it */
	ck_assert_int_eq(auth_right_del(db, AUTH_RIGHT_DENY, "mallory", NULL), 0);
	mapped(db, "mallory", AUTH_CERT_NOT_ALLOWED);
	/* allow by group */
	ck_assert_int_eq(auth_group_add(db, "staff"), 0);
	ck_assert_int_eq(auth_group_member_add(db, "staff", "mallory"), 0);
	ck_assert_int_gt(auth_right_add(db, AUTH_RIGHT_ALLOW, NULL, "staff"), 0);
	ck_assert_str_eq(mapped(db, "mallory", AUTH_CERT_OK), "mallory");
	/* a disabled account is refused */
	ck_assert_int_eq(auth_account_set_enabled(db, "mallory", false), 0);
	mapped(db, "mallory", AUTH_CERT_ACCOUNT_DISABLED);
	/* deleting the group drops its rights and memberships */
	ck_assert_int_eq(auth_group_del(db, "staff"), 0);
	ck_assert_int_eq(auth_account_set_enabled(db, "mallory", true), 0);
	mapped(db, "mallory", AUTH_CERT_NOT_ALLOWED);
	ck_assert_int_eq(auth_right_add(db, AUTH_RIGHT_ALLOW, NULL, "nogroup"), -ENOENT);
	ck_assert_int_eq(auth_right_add(db, AUTH_RIGHT_ALLOW, "alice", "staff"), -EINVAL);
	auth_db_close(db);
}
END_TEST

START_TEST(authorize_end_to_end)
{
	struct auth_db *db = mkdb();
	struct auth_trust *t = trust(true);
	ck_assert_int_gt(rule(db, AUTH_MAP_BYNAME, 0, 0, 0, 0, AUTH_BYNAME_EMAIL, 0), 0);
	ck_assert_int_eq(auth_account_add(db, "revoked", "pw", NULL), 0);
	ck_assert_int_eq(auth_account_add(db, "expired", "pw", NULL), 0);
	ck_assert_int_gt(auth_right_add(db, AUTH_RIGHT_DENY, "mallory", NULL), 0);
	static struct auth_cert_info in;
	static struct auth_cert_res r;
	struct {
		const char *cert;
		int want;
		const char *account;
	} cases[] = {
	    {"alice", AUTH_CERT_OK, "alice"},       {"mallory", AUTH_CERT_DENIED, "mallory"},
	    {"revoked", AUTH_CERT_REVOKED, ""},     {"expired", AUTH_CERT_EXPIRED, ""},
	    {"stranger", AUTH_CERT_UNKNOWN_CA, ""}, {"codesign", AUTH_CERT_KEY_USAGE, ""},
	    {"noeku", AUTH_CERT_NOT_MAPPED, ""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct blob *b = load(cases[i].cert);
		struct auth_der c = {b->d, b->n};
		ck_assert_int_eq(auth_cert_authorize(db, t, &c, 1, NOW, &in, &r), 0);
		ck_assert_msg(r.result == cases[i].want, "%s: %s (%s)", cases[i].cert,
		              auth_cert_result_str(r.result), r.detail);
		ck_assert_str_eq(r.account, cases[i].account);
		ck_assert(r.detail[0]);
	}
	/* with the peer's ID: checked after validation, before mapping */
	struct blob *b = load("alice");
	struct auth_der c = {b->d, b->n};
	ck_assert_int_eq(auth_cert_authorize_id(db, t, &c, 1, AUTH_ID_USER_FQDN,
	                                        (const uint8_t *)"alice@example.test", 18, NOW, &in, &r),
	                 0);
	ck_assert_int_eq(r.result, AUTH_CERT_OK);
	ck_assert_str_eq(r.account, "alice");
	ck_assert_int_eq(auth_cert_authorize_id(db, t, &c, 1, AUTH_ID_USER_FQDN,
	                                        (const uint8_t *)"mallory@example.test", 20, NOW, &in, &r),
	                 0);
	ck_assert_int_eq(r.result, AUTH_CERT_ID_MISMATCH);
	ck_assert_ptr_nonnull(strstr(r.detail, "USER_FQDN"));
	ck_assert_int_eq(auth_cert_authorize_id(db, t, &c, 1, AUTH_ID_DER_ASN1_DN, in.subject_der,
	                                        in.subject_der_len, NOW, &in, &r),
	                 0);
	ck_assert_int_eq(r.result, AUTH_CERT_OK);
	/* validation comes first: a revoked certificate with a matching ID is still revoked */
	b = load("revoked");
	c = (struct auth_der){b->d, b->n};
	ck_assert_int_eq(auth_cert_authorize_id(db, t, &c, 1, AUTH_ID_USER_FQDN,
	                                        (const uint8_t *)"alice@example.test", 18, NOW, &in, &r),
	                 0);
	ck_assert_int_eq(r.result, AUTH_CERT_REVOKED);
	auth_trust_free(t);
	auth_db_close(db);
}
END_TEST

/* A policy rule's CA (rootca=) and mapping switch (certmaptoaccount=), issue 13: the CA is the
 * leaf's issuer or the trust anchor its chain ends at, named in either DN order. */
static int under_rule(struct auth_db *db, struct auth_trust *t, const struct auth_der *c, size_t n,
                      const char *ca, bool map, struct auth_cert_res *r)
{
	static struct auth_cert_info in;
	ck_assert_int_eq(auth_cert_parse(c[0].der, c[0].len, &in), 0);
	static uint8_t id[AUTH_CERT_DN_LEN];
	size_t idl = in.subject_der_len;
	memcpy(id, in.subject_der, idl);
	ck_assert_int_eq(auth_cert_authorize_rule(db, t, c, n, AUTH_ID_DER_ASN1_DN, id, idl, NOW, ca, map, &in, r), 0);
	return r->result;
}

START_TEST(authorize_under_rule)
{
	struct auth_db *db = mkdb();
	struct auth_trust *t = trust(true);
	ck_assert_int_eq(auth_trust_add_ca_file(t, PKI "other-ca.pem"), 1);
	ck_assert_int_gt(rule(db, AUTH_MAP_BYNAME, 0, 0, 0, 0, AUTH_BYNAME_EMAIL, 0), 0);
	static struct auth_cert_res r;
	struct blob *a = load("alice"), *s = load("stranger"), *c = load("carol"), *sub = load("sub-ca");
	struct auth_der alice = {a->d, a->n}, stranger = {s->d, s->n}, carol[2] = {{c->d, c->n}, {sub->d, sub->n}};
	const char *demo = "O=Example, CN=rampart demo CA", *other = "cn=Unknown Demo CA ,o=Elsewhere";
	ck_assert_int_eq(under_rule(db, t, &alice, 1, demo, true, &r), AUTH_CERT_OK);
	ck_assert_str_eq(r.account, "alice");
	ck_assert_int_eq(under_rule(db, t, &alice, 1, NULL, true, &r), AUTH_CERT_OK); /* no CA: any trusted */
	ck_assert_int_eq(under_rule(db, t, &alice, 1, other, true, &r), AUTH_CERT_UNKNOWN_CA);
	ck_assert_ptr_nonnull(strstr(r.detail, "the rule accepts only"));
	ck_assert_str_eq(r.account, "");
	/* the other CA's certificate: refused by the demo CA's rule, accepted by its own without mapping
	 * (no account: the mapping rules would refuse it) */
	ck_assert_int_eq(under_rule(db, t, &stranger, 1, demo, false, &r), AUTH_CERT_UNKNOWN_CA);
	ck_assert_int_eq(under_rule(db, t, &stranger, 1, other, false, &r), AUTH_CERT_OK);
	ck_assert(!r.mapped);
	ck_assert_str_eq(r.account, "");
	ck_assert_int_eq(under_rule(db, t, &stranger, 1, other, true, &r), AUTH_CERT_NOT_MAPPED);
	/* issued by the intermediate: both the issuing CA and the root it chains to name its CA */
	ck_assert_int_eq(under_rule(db, t, carol, 2, "CN=rampart demo issuing CA,O=Example", false, &r), AUTH_CERT_OK);
	ck_assert_int_eq(under_rule(db, t, carol, 2, demo, false, &r), AUTH_CERT_OK);
	ck_assert_int_eq(under_rule(db, t, carol, 2, other, false, &r), AUTH_CERT_UNKNOWN_CA);
	/* validation still comes first */
	struct blob *rv = load("revoked");
	struct auth_der revoked = {rv->d, rv->n};
	ck_assert_int_eq(under_rule(db, t, &revoked, 1, demo, false, &r), AUTH_CERT_REVOKED);
	auth_trust_free(t);
	auth_db_close(db);
}
END_TEST

START_TEST(dn_equal)
{
	ck_assert(auth_dn_equal("CN=rampart demo CA,O=Example", "o = example , cn = RAMPART DEMO CA"));
	ck_assert(auth_dn_equal("CN=a\\,b,O=x", "O=x,CN=a\\,b"));
	ck_assert(!auth_dn_equal("CN=a\\,b,O=x", "CN=a,CN=b,O=x"));
	ck_assert(!auth_dn_equal("CN=rampart demo CA,O=Example", "CN=rampart demo CA"));
	ck_assert(!auth_dn_equal("CN=rampart demo CA,O=Example", "CN=rampart  demo CA,O=Example"));
	ck_assert(!auth_dn_equal("", ""));
	ck_assert(!auth_dn_equal(NULL, "CN=x"));
	char big[4096];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = 0;
	ck_assert(!auth_dn_equal(big, big)); /* longer than any DN we keep: never equal */
}
END_TEST

START_TEST(migration_from_v1)
{
	char path[] = "/tmp/auth-mig-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	sqlite3 *h;
	ck_assert_int_eq(sqlite3_open(path, &h), SQLITE_OK);
	/* the version-1 schema exactly as store.c created it before certificates existed */
	ck_assert_int_eq(
	    sqlite3_exec(h,
	                 "CREATE TABLE groups(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
	                 "CREATE TABLE accounts(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	                 " enabled INTEGER NOT NULL DEFAULT 1,"
	                 " group_id INTEGER REFERENCES groups(id) ON DELETE SET NULL,"
	                 " methods INTEGER NOT NULL, nt_hash BLOB NOT NULL CHECK(length(nt_hash) = 16),"
	                 " cleartext BLOB, static_ip INTEGER NOT NULL DEFAULT 0,"
	                 " created INTEGER NOT NULL DEFAULT (strftime('%s','now')));"
	                 "INSERT INTO groups(name) VALUES('staff');"
	                 "INSERT INTO accounts(name,group_id,methods,nt_hash) VALUES('alice',1,5,"
	                 " x'00112233445566778899aabbccddeeff');"
	                 "PRAGMA user_version=1;",
	                 NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(h);
	char err[256];
	struct auth_db *db = auth_db_open_file(path, err, sizeof err);
	ck_assert_msg(db != NULL, "%s", err);
	ck_assert_int_eq(auth_db_schema_version(db), 4);
	struct auth_account a;
	ck_assert_int_eq(auth_account_get(db, "alice", &a), 0);
	ck_assert_str_eq(a.group, "staff");
	ck_assert_int_eq(auth_certmap_enabled(db), 1);
	ck_assert_int_gt(auth_right_add(db, AUTH_RIGHT_DENY, NULL, "staff"), 0);
	/* schema 3 (limits): the migrated account inherits its group's */
	ck_assert_int_eq(auth_limit_set(db, true, "staff", AUTH_LIMIT_MAX_SESSIONS, 2), 0);
	struct auth_limits lim;
	ck_assert_int_eq(auth_limits_get(db, a.id, &lim), 0);
	ck_assert_uint_eq(lim.v[AUTH_LIMIT_MAX_SESSIONS], 2);
	auth_db_close(db);
	/* reopening does not migrate again */
	db = auth_db_open_file(path, err, sizeof err);
	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(auth_db_schema_version(db), 4);
	auth_db_close(db);
	unlink(path);
}
END_TEST

static Suite *cert_suite(void)
{
	Suite *s = suite_create("auth_cert");
	TCase *tc = tcase_create("cert");
	tcase_add_test(tc, valid_and_info);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, chain_with_intermediate);
	tcase_add_test(tc, trust_dir_and_crl_reload);
	tcase_add_test(tc, id_match);
	tcase_add_test(tc, mapping_precedence);
	tcase_add_test(tc, mapping_ambiguous);
	tcase_add_test(tc, rights_deny_wins);
	tcase_add_test(tc, authorize_end_to_end);
	tcase_add_test(tc, authorize_under_rule);
	tcase_add_test(tc, dn_equal);
	tcase_add_test(tc, migration_from_v1);
	suite_add_tcase(s, tc);
	return s;
}

RP_CHECK_MAIN(cert_suite)
