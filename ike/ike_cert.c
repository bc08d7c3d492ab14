/* Certificates and RSA signatures for Main Mode (RFC 2409 §5.1): our key and chain, PKCS#1 v1.5
 * signatures over the raw hash without DigestInfo (what every IKEv1 stack signs), verified
 * strictly, and the check that the peer's ID payload names its certificate. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <gnutls/x509.h>

#include "ike_local.h"

int ike_cert_init(struct ike *ike)
{
	const struct ike_conf *c = &ike->conf;
	if (!c->ncert_chain || !c->key_der || !c->cert_verify)
		return 0;
	gnutls_datum_t d = {(unsigned char *)c->key_der, (unsigned)c->key_der_len};
	if (gnutls_privkey_init(&ike->key) < 0)
		return -1;
	if (gnutls_privkey_import_x509_raw(ike->key, &d, GNUTLS_X509_FMT_DER, NULL, 0) < 0 ||
	    gnutls_privkey_get_pk_algorithm(ike->key, NULL) != GNUTLS_PK_RSA) {
		rp_logf(ike->log, RP_LOG_ERR, "ike", "our private key is not a usable RSA key (DER)");
		gnutls_privkey_deinit(ike->key);
		ike->key = NULL;
		return -1;
	}
	ike->sig_ok = true;
	return 0;
}

void ike_cert_free(struct ike *ike)
{
	if (ike->key)
		gnutls_privkey_deinit(ike->key);
	ike->key = NULL;
}

int ike_sig_sign(gnutls_privkey_t key, const uint8_t *h, size_t hl, uint8_t *sig, size_t *siglen, size_t cap)
{
	gnutls_datum_t hd = {(unsigned char *)h, (unsigned)hl}, s = {NULL, 0};
	/* TLS1_RSA: PKCS#1 v1.5 type 1 padding around the data as is (RFC 2409 §5.1 signs HASH_I/R
	 * directly; no DigestInfo, unlike RFC 8017 §8.2). */
	if (gnutls_privkey_sign_hash(key, GNUTLS_DIG_UNKNOWN, GNUTLS_PRIVKEY_SIGN_FLAG_TLS1_RSA, &hd, &s) < 0)
		return -1;
	int rc = -1;
	if (s.size <= cap) {
		memcpy(sig, s.data, s.size);
		*siglen = s.size;
		rc = 0;
	}
	gnutls_free(s.data);
	return rc;
}

static size_t modulus_bytes(gnutls_pubkey_t pk)
{
	gnutls_datum_t m = {NULL, 0}, e = {NULL, 0};
	if (gnutls_pubkey_export_rsa_raw2(pk, &m, &e, 0) < 0)
		return 0;
	size_t i = 0;
	while (i < m.size && m.data[i] == 0) /* the export may carry a sign byte */
		i++;
	size_t n = m.size - i;
	gnutls_free(m.data);
	gnutls_free(e.data);
	return n;
}

int ike_sig_verify(gnutls_pubkey_t pk, const uint8_t *h, size_t hl, const uint8_t *sig, size_t siglen,
                   char *why, size_t n)
{
	if (!pk || gnutls_pubkey_get_pk_algorithm(pk, NULL) != GNUTLS_PK_RSA) {
		snprintf(why, n, "the peer's key is not RSA");
		return -1;
	}
	/* The strongSwan (CVE-2018-16151/16152) and Libreswan/Openswan e=3 forgeries abused lenient
	 * parsing of the decrypted block. The signature must be exactly k bytes (RFC 8017 §8.2.2
	 * step 1) and GnuTLS's raw verify rebuilds the whole padded block and compares all of it
	 * (0x00 0x01 FF..FF 0x00 hash, no room for garbage). */
	size_t k = modulus_bytes(pk);
	if (!k || siglen != k) {
		snprintf(why, n, "signature length %zu, modulus %zu bytes", siglen, k);
		return -1;
	}
	gnutls_datum_t hd = {(unsigned char *)h, (unsigned)hl}, sd = {(unsigned char *)sig, (unsigned)siglen};
	int rc =
	    gnutls_pubkey_verify_hash2(pk, GNUTLS_SIGN_RSA_RAW, GNUTLS_PUBKEY_VERIFY_FLAG_TLS1_RSA, &hd, &sd);
	if (rc < 0) {
		snprintf(why, n, "signature invalid (%s)", gnutls_strerror(rc));
		return -1;
	}
	return 0;
}

size_t ike_cert_subject(const uint8_t *der, size_t len, uint8_t *out, size_t cap)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d = {(unsigned char *)der, (unsigned)len}, dn = {NULL, 0};
	size_t r = 0;
	if (gnutls_x509_crt_init(&crt) < 0)
		return 0;
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) == 0 &&
	    gnutls_x509_crt_get_raw_dn(crt, &dn) == 0 && dn.size <= cap) {
		memcpy(out, dn.data, dn.size);
		r = dn.size;
	}
	gnutls_free(dn.data);
	gnutls_x509_crt_deinit(crt);
	return r;
}

static bool san_match(gnutls_x509_crt_t crt, unsigned want, const uint8_t *v, size_t vl, bool icase)
{
	for (unsigned i = 0; i < 64; i++) {
		uint8_t buf[256];
		size_t bl = sizeof buf;
		unsigned crit;
		int t = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &bl, &crit);
		if (t == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (t < 0 || (unsigned)t != want || bl != vl)
			continue;
		if (icase ? strncasecmp((const char *)buf, (const char *)v, vl) == 0
		          : memcmp(buf, v, vl) == 0)
			return true;
	}
	return false;
}

bool ike_cert_id_match(const uint8_t *der, size_t len, const struct isakmp_id_pl *id)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d = {(unsigned char *)der, (unsigned)len};
	bool ok = false;
	if (gnutls_x509_crt_init(&crt) < 0)
		return false;
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0)
		goto out;
	switch (id->type) {
	case ISAKMP_ID_DER_ASN1_DN: {
		/* Byte-exact: the peer sends the subject as encoded in its certificate (Windows,
		 * strongSwan, Libreswan all do); a re-encoding would need a full DN comparison. */
		gnutls_datum_t dn = {NULL, 0};
		if (gnutls_x509_crt_get_raw_dn(crt, &dn) == 0)
			ok = dn.size == id->len && memcmp(dn.data, id->data, id->len) == 0;
		gnutls_free(dn.data);
		break;
	}
	case ISAKMP_ID_FQDN:
		ok = san_match(crt, GNUTLS_SAN_DNSNAME, id->data, id->len, true);
		break;
	case ISAKMP_ID_USER_FQDN:
		ok = san_match(crt, GNUTLS_SAN_RFC822NAME, id->data, id->len, true);
		break;
	case ISAKMP_ID_IPV4:
		ok = id->len == 4 && san_match(crt, GNUTLS_SAN_IPADDRESS, id->data, 4, false);
		break;
	case ISAKMP_ID_IPV6:
		ok = id->len == 16 && san_match(crt, GNUTLS_SAN_IPADDRESS, id->data, 16, false);
		break;
	default:
		break;
	}
out:
	gnutls_x509_crt_deinit(crt);
	return ok;
}

void ike_id_str(const struct isakmp_id_pl *id, char *out, size_t n)
{
	/* DER_ASN1_DN as RFC 4514 text ("CN=alice,O=rampart") for logs, events and the account
	 * mapping rules, instead of the hex isakmp_id_str gives. The peer chose these bytes and GnuTLS
	 * leaves control characters in attribute values as they are (a newline in a CN forged a log
	 * line): escaped, before the certificate is even validated. */
	if (id->type == ISAKMP_ID_DER_ASN1_DN) {
		gnutls_datum_t d = {(unsigned char *)id->data, (unsigned)id->len}, s = {NULL, 0};
		if (gnutls_x509_rdn_get2(&d, &s, 0) == 0) {
			rp_esc(s.data, s.size, out, n);
			gnutls_free(s.data);
			return;
		}
	}
	isakmp_id_str(id, out, n);
}
