/* X.509 validation for IKE certificate authentication: GnuTLS builds and verifies the chain (with
 * CRLs); validity time, key usage and EKU are checked here because rampart passes the time as a
 * parameter and accepts the set of EKUs that stock IPsec clients carry (RFC 4945 §5.1.3.12). */
#include "auth_local.h"

#include <errno.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509-ext.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { PATH_MAX_N = 32, PATH_LEN = 1024 };
enum path_kind { P_CA_FILE, P_CA_DIR, P_CRL_FILE };

struct auth_trust {
	gnutls_x509_trust_list_t tl;
	int n;
	int kind[PATH_MAX_N];
	char path[PATH_MAX_N][PATH_LEN];
};

static int load_one(gnutls_x509_trust_list_t tl, int kind, const char *path)
{
	int r = -1;
	switch (kind) {
	case P_CA_FILE:
		r = gnutls_x509_trust_list_add_trust_file(tl, path, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
		if (r <= 0)
			r = gnutls_x509_trust_list_add_trust_file(tl, path, NULL, GNUTLS_X509_FMT_DER, 0, 0);
		break;
	case P_CA_DIR:
		r = gnutls_x509_trust_list_add_trust_dir(tl, path, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
		break;
	case P_CRL_FILE:
		/* only CRLs signed by a loaded anchor count; a forged CRL must not revoke anything */
		r = gnutls_x509_trust_list_add_trust_file(
		    tl, NULL, path, GNUTLS_X509_FMT_PEM, GNUTLS_TL_VERIFY_CRL | GNUTLS_TL_FAIL_ON_INVALID_CRL,
		    0);
		if (r <= 0)
			r = gnutls_x509_trust_list_add_trust_file(
			    tl, NULL, path, GNUTLS_X509_FMT_DER,
			    GNUTLS_TL_VERIFY_CRL | GNUTLS_TL_FAIL_ON_INVALID_CRL, 0);
		break;
	}
	if (r == GNUTLS_E_FILE_ERROR)
		return -EIO;
	if (r < 0)
		return -EIO;
	return r ? r : -ENOENT;
}

/* Builds a fresh list from every remembered path (anchors before CRLs, as CRL verification needs
 * them); on success it replaces t->tl, otherwise t is unchanged. */
static int rebuild(struct auth_trust *t, int n)
{
	gnutls_x509_trust_list_t tl;
	int rc = 0, total = 0;
	if (gnutls_x509_trust_list_init(&tl, 0) < 0)
		return -ENOMEM;
	for (int pass = 0; pass < 2 && rc >= 0; pass++)
		for (int i = 0; i < n && rc >= 0; i++) {
			if ((t->kind[i] == P_CRL_FILE) != (pass == 1))
				continue;
			rc = load_one(tl, t->kind[i], t->path[i]);
			if (rc > 0)
				total += rc;
		}
	if (rc < 0) {
		gnutls_x509_trust_list_deinit(tl, 1);
		return rc;
	}
	if (t->tl)
		gnutls_x509_trust_list_deinit(t->tl, 1);
	t->tl = tl;
	return total;
}

struct auth_trust *auth_trust_new(void)
{
	struct auth_trust *t = calloc(1, sizeof *t);
	if (t && gnutls_x509_trust_list_init(&t->tl, 0) < 0) {
		free(t);
		return NULL;
	}
	return t;
}

void auth_trust_free(struct auth_trust *t)
{
	if (!t)
		return;
	if (t->tl)
		gnutls_x509_trust_list_deinit(t->tl, 1);
	free(t);
}

static int add_path(struct auth_trust *t, int kind, const char *path)
{
	if (!t || !path || strlen(path) >= PATH_LEN)
		return -EINVAL;
	if (t->n == PATH_MAX_N)
		return -ENOMEM;
	t->kind[t->n] = kind;
	snprintf(t->path[t->n], PATH_LEN, "%s", path);
	/* load into the live list to report this path's own count, then keep it */
	int r = load_one(t->tl, kind, path);
	if (r > 0)
		t->n++;
	return r;
}

int auth_trust_add_ca_file(struct auth_trust *t, const char *path)
{
	return add_path(t, P_CA_FILE, path);
}
int auth_trust_add_ca_dir(struct auth_trust *t, const char *dir)
{
	return add_path(t, P_CA_DIR, dir);
}
int auth_trust_add_crl_file(struct auth_trust *t, const char *path)
{
	return add_path(t, P_CRL_FILE, path);
}

int auth_trust_reload(struct auth_trust *t)
{
	if (!t)
		return -EINVAL;
	return rebuild(t, t->n);
}

const char *auth_cert_result_str(int r)
{
	switch (r) {
	case AUTH_CERT_OK:
		return "ok";
	case AUTH_CERT_BAD_INPUT:
		return "malformed certificate";
	case AUTH_CERT_EXPIRED:
		return "expired";
	case AUTH_CERT_NOT_YET_VALID:
		return "not yet valid";
	case AUTH_CERT_UNKNOWN_CA:
		return "unknown CA";
	case AUTH_CERT_REVOKED:
		return "revoked";
	case AUTH_CERT_BAD_SIGNATURE:
		return "bad signature";
	case AUTH_CERT_KEY_USAGE:
		return "wrong key usage or EKU";
	case AUTH_CERT_INVALID:
		return "invalid chain";
	case AUTH_CERT_NOT_MAPPED:
		return "no mapping rule matches";
	case AUTH_CERT_AMBIGUOUS:
		return "ambiguous mapping";
	case AUTH_CERT_ACCOUNT_DISABLED:
		return "account disabled";
	case AUTH_CERT_DENIED:
		return "denied network access";
	case AUTH_CERT_NOT_ALLOWED:
		return "not allowed network access";
	case AUTH_CERT_ID_MISMATCH:
		return "ID does not match the certificate";
	case AUTH_CERT_INTERNAL:
		return "internal error";
	}
	return "?";
}

/* ---- leaf information ---------------------------------------------------------------------- */

static void copy_str(char *dst, size_t n, const void *src, size_t len)
{
	if (len >= n)
		len = n - 1;
	memcpy(dst, src, len);
	dst[len] = 0;
	/* names go into log lines and SQL comparisons: no control characters */
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f)
			dst[i] = '?';
}

static void add_name(char arr[][AUTH_CERT_NAME_LEN], unsigned *n, const void *s, size_t len)
{
	if (*n < AUTH_CERT_MAX_NAMES && len > 0)
		copy_str(arr[(*n)++], AUTH_CERT_NAME_LEN, s, len);
}

static void get_sans(gnutls_x509_crt_t crt, struct auth_cert_info *info)
{
	gnutls_datum_t ext = {0};
	gnutls_subject_alt_names_t sans;
	unsigned crit;
	if (gnutls_x509_crt_get_extension_by_oid2(crt, "2.5.29.17", 0, &ext, &crit) < 0)
		return;
	if (gnutls_subject_alt_names_init(&sans) < 0) {
		gnutls_free(ext.data);
		return;
	}
	if (gnutls_x509_ext_import_subject_alt_names(&ext, sans, 0) >= 0) {
		for (unsigned i = 0; i < 64; i++) {
			unsigned type;
			gnutls_datum_t san, oid;
			if (gnutls_subject_alt_names_get(sans, i, &type, &san, &oid) < 0)
				break;
			switch (type) {
			case GNUTLS_SAN_DNSNAME:
				add_name(info->dns, &info->n_dns, san.data, san.size);
				break;
			case GNUTLS_SAN_RFC822NAME:
				add_name(info->email, &info->n_email, san.data, san.size);
				break;
			case GNUTLS_SAN_IPADDRESS:
				if ((san.size == 4 || san.size == 16) && info->n_ip < AUTH_CERT_MAX_NAMES) {
					memcpy(info->ip[info->n_ip], san.data, san.size);
					info->ip_len[info->n_ip++] = (uint8_t)san.size;
				}
				break;
			case GNUTLS_SAN_OTHERNAME: {
				unsigned vt;
				gnutls_datum_t v = {0};
				char o[64];
				copy_str(o, sizeof o, oid.data, oid.size);
				if (gnutls_x509_othername_to_virtual(o, &san, &vt, &v) >= 0) {
					if (vt == GNUTLS_SAN_OTHERNAME_MSUSERPRINCIPAL)
						add_name(info->upn, &info->n_upn, v.data, v.size);
					gnutls_free(v.data);
				}
				break;
			}
			default:
				break;
			}
		}
	}
	gnutls_subject_alt_names_deinit(sans);
	gnutls_free(ext.data);
}

static int fill_info(gnutls_x509_crt_t crt, const uint8_t *der, size_t len, struct auth_cert_info *info)
{
	gnutls_datum_t d = {0};
	char buf[AUTH_CERT_NAME_LEN];
	size_t sz;
	memset(info, 0, sizeof *info);
	if (gnutls_x509_crt_get_dn3(crt, &d, 0) >= 0) {
		copy_str(info->subject, sizeof info->subject, d.data, d.size);
		gnutls_free(d.data);
	}
	if (gnutls_x509_crt_get_issuer_dn3(crt, &d, 0) >= 0) {
		copy_str(info->issuer, sizeof info->issuer, d.data, d.size);
		gnutls_free(d.data);
	}
	if (gnutls_x509_crt_get_raw_dn(crt, &d) >= 0) {
		if (d.size <= sizeof info->subject_der) {
			memcpy(info->subject_der, d.data, d.size);
			info->subject_der_len = d.size;
		}
		gnutls_free(d.data);
	}
	sz = sizeof buf;
	if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, 0, buf, &sz) >= 0)
		copy_str(info->o, sizeof info->o, buf, sz);
	for (unsigned i = 0; i < AUTH_CERT_MAX_NAMES; i++) {
		sz = sizeof buf;
		if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATIONAL_UNIT_NAME, i, 0, buf,
		                                  &sz) < 0)
			break;
		add_name(info->ou, &info->n_ou, buf, sz);
	}
	gnutls_hash_fast(GNUTLS_DIG_SHA256, der, len, info->sha256);
	get_sans(crt, info);
	/* a legacy subject emailAddress counts as an e-mail name too (older Windows enrolment) */
	sz = sizeof buf;
	if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_PKCS9_EMAIL, 0, 0, buf, &sz) >= 0)
		add_name(info->email, &info->n_email, buf, sz);
	gnutls_pubkey_t pk;
	if (gnutls_pubkey_init(&pk) >= 0) {
		if (gnutls_pubkey_import_x509(pk, crt, 0) >= 0 &&
		    gnutls_pubkey_export2(pk, GNUTLS_X509_FMT_DER, &d) >= 0) {
			if (d.size <= sizeof info->spki) {
				memcpy(info->spki, d.data, d.size);
				info->spki_len = d.size;
			}
			gnutls_free(d.data);
		}
		gnutls_pubkey_deinit(pk);
	}
	unsigned bits = 0;
	int algo = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
	info->pk_algo = algo > 0 ? algo : 0;
	info->pk_bits = bits;
	info->not_before = (int64_t)gnutls_x509_crt_get_activation_time(crt);
	info->not_after = (int64_t)gnutls_x509_crt_get_expiration_time(crt);
	return 0;
}

static int import_der(gnutls_x509_crt_t *crt, const uint8_t *der, size_t len)
{
	if (!der || len == 0 || len > 65536 || gnutls_x509_crt_init(crt) < 0)
		return -EINVAL;
	gnutls_datum_t d = {(unsigned char *)der, (unsigned)len};
	if (gnutls_x509_crt_import(*crt, &d, GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(*crt);
		return -EINVAL;
	}
	return 0;
}

int auth_cert_parse(const uint8_t *der, size_t len, struct auth_cert_info *info)
{
	gnutls_x509_crt_t crt;
	if (!info || import_der(&crt, der, len))
		return -EINVAL;
	fill_info(crt, der, len, info);
	gnutls_x509_crt_deinit(crt);
	return 0;
}

int auth_cert_to_der(const uint8_t *data, size_t len, uint8_t *out, size_t cap)
{
	static const char tag[] = "-----BEGIN CERTIFICATE-----";
	if (!data || !out || len == 0 || len > 1u << 20)
		return -EINVAL;
	if (len < sizeof tag - 1 || !memmem(data, len, tag, sizeof tag - 1)) {
		if (len > cap)
			return -ENOSPC;
		memmove(out, data, len);
		return (int)len;
	}
	gnutls_datum_t in = {(unsigned char *)data, (unsigned)len}, der = {0};
	if (gnutls_pem_base64_decode2("CERTIFICATE", &in, &der) < 0)
		return -EINVAL;
	int rc = der.size <= cap ? (int)der.size : -ENOSPC;
	if (rc > 0)
		memcpy(out, der.data, der.size);
	gnutls_free(der.data);
	return rc;
}

int auth_cert_parse_any(const uint8_t *data, size_t len, struct auth_cert_info *info)
{
	enum { CAP = 65536 };
	uint8_t *der = malloc(CAP);
	if (!der || !info) {
		free(der);
		return -EINVAL;
	}
	int n = auth_cert_to_der(data, len, der, CAP);
	int rc = n > 0 ? auth_cert_parse(der, (size_t)n, info) : -EINVAL;
	free(der);
	return rc;
}

/* ---- validation ---------------------------------------------------------------------------- */

static void say(char *reason, size_t n, const char *fmt, const char *a, const char *b)
{
	if (reason && n)
		snprintf(reason, n, fmt, a, b);
}

static int check_time(gnutls_x509_crt_t c, int64_t now, const char *who, char *reason, size_t rn)
{
	int64_t nb = (int64_t)gnutls_x509_crt_get_activation_time(c);
	int64_t na = (int64_t)gnutls_x509_crt_get_expiration_time(c);
	if (nb == -1 || na == -1) {
		say(reason, rn, "%s%s: unreadable validity", who, "");
		return AUTH_CERT_INVALID;
	}
	if (now < nb) {
		say(reason, rn, "%s%s: not yet valid", who, "");
		return AUTH_CERT_NOT_YET_VALID;
	}
	if (now >= na) {
		say(reason, rn, "%s%s: expired", who, "");
		return AUTH_CERT_EXPIRED;
	}
	return AUTH_CERT_OK;
}

/* RFC 4945 §5.1.3.2: if keyUsage is present it must allow digitalSignature or nonRepudiation.
 * §5.1.3.12: an EKU, when present, must carry one purpose we accept; none at all is fine. */
static int check_usage(gnutls_x509_crt_t c, char *reason, size_t rn)
{
	static const char *const ok_eku[] = {
	    GNUTLS_KP_TLS_WWW_CLIENT,
	    GNUTLS_KP_TLS_WWW_SERVER,
	    GNUTLS_KP_IPSEC_IKE,
	    GNUTLS_KP_ANY,
	    "1.3.6.1.5.5.7.3.5" /* ipsecEndSystem */,
	    "1.3.6.1.5.5.7.3.7" /* ipsecUser */,
	    "1.3.6.1.5.5.8.2.2" /* iKEIntermediate, older Windows CAs */,
	};
	unsigned ku = 0, crit;
	if (gnutls_x509_crt_get_key_usage(c, &ku, &crit) >= 0 &&
	    !(ku & (GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_NON_REPUDIATION))) {
		say(reason, rn, "key usage lacks digitalSignature%s%s", "", "");
		return AUTH_CERT_KEY_USAGE;
	}
	bool any = false;
	for (unsigned i = 0; i < 32; i++) {
		char oid[128];
		size_t sz = sizeof oid;
		int r = gnutls_x509_crt_get_key_purpose_oid(c, i, oid, &sz, NULL);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (r < 0)
			continue;
		any = true;
		for (size_t k = 0; k < sizeof ok_eku / sizeof ok_eku[0]; k++)
			if (strcmp(oid, ok_eku[k]) == 0)
				return AUTH_CERT_OK;
	}
	if (any) {
		say(reason, rn,
		    "no accepted extended key usage (need clientAuth, serverAuth or an IPsec EKU)%s%s", "",
		    "");
		return AUTH_CERT_KEY_USAGE;
	}
	return AUTH_CERT_OK;
}

static int status_result(unsigned st)
{
	if (st & GNUTLS_CERT_REVOKED)
		return AUTH_CERT_REVOKED;
	if (st & GNUTLS_CERT_SIGNATURE_FAILURE)
		return AUTH_CERT_BAD_SIGNATURE;
	if (st & GNUTLS_CERT_SIGNER_NOT_FOUND)
		return AUTH_CERT_UNKNOWN_CA;
	return AUTH_CERT_INVALID;
}

int auth_cert_validate(const struct auth_trust *t, const struct auth_der *chain, size_t n, int64_t now,
                       struct auth_cert_info *info, char *reason, size_t rn)
{
	enum { MAXC = 8 };
	gnutls_x509_crt_t c[MAXC];
	size_t k = 0;
	int res = AUTH_CERT_OK;
	if (!t || !chain || n == 0)
		return -EINVAL;
	if (reason && rn)
		reason[0] = 0;
	if (n > MAXC) {
		say(reason, rn, "chain of more than 8 certificates%s%s", "", "");
		if (info)
			memset(info, 0, sizeof *info);
		return AUTH_CERT_INVALID;
	}
	for (; k < n; k++)
		if (import_der(&c[k], chain[k].der, chain[k].len)) {
			say(reason, rn, "certificate %s of the chain does not parse%s",
			    k ? "n>0" : "0 (leaf)", "");
			res = AUTH_CERT_BAD_INPUT;
			break;
		}
	if (info) {
		if (k > 0)
			fill_info(c[0], chain[0].der, chain[0].len, info);
		else
			memset(info, 0, sizeof *info);
	}
	if (res != AUTH_CERT_OK)
		goto out;

	unsigned st = 0;
	/* Time is checked below against the caller's now, so GnuTLS's own clock is kept out. */
	unsigned flags = GNUTLS_VERIFY_DISABLE_TIME_CHECKS | GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS;
	if (gnutls_x509_trust_list_verify_crt2(t->tl, c, (unsigned)n, NULL, 0, flags, &st, NULL) < 0) {
		say(reason, rn, "chain verification failed%s%s", "", "");
		res = AUTH_CERT_INVALID;
		goto out;
	}
	if (st) {
		gnutls_datum_t txt = {0};
		char s[200] = "";
		if (gnutls_certificate_verification_status_print(st, GNUTLS_CRT_X509, &txt, 0) >= 0) {
			copy_str(s, sizeof s, txt.data, txt.size);
			gnutls_free(txt.data);
		}
		res = status_result(st);
		say(reason, rn, "%s: %s", auth_cert_result_str(res), s);
		goto out;
	}
	/* the leaf first: its fault is the one to report */
	if ((res = check_time(c[0], now, "leaf", reason, rn)))
		goto out;
	for (size_t i = 1; i < n; i++)
		if ((res = check_time(c[i], now, "intermediate", reason, rn)))
			goto out;
	gnutls_x509_crt_t anchor = NULL;
	if (gnutls_x509_trust_list_get_issuer(t->tl, c[n - 1], &anchor, 0) >= 0 && anchor) {
		gnutls_datum_t d = {0};
		if (info && gnutls_x509_crt_get_dn3(anchor, &d, 0) >= 0) {
			copy_str(info->anchor, sizeof info->anchor, d.data, d.size);
			gnutls_free(d.data);
		}
		if ((res = check_time(anchor, now, "trust anchor", reason, rn)))
			goto out;
	}
	res = check_usage(c[0], reason, rn);
out:
	for (size_t i = 0; i < k; i++)
		gnutls_x509_crt_deinit(c[i]);
	return res;
}

/* ---- the CA a certificate comes from --------------------------------------------------------- */

bool auth_cert_from_ca(const struct auth_cert_info *info, const char *ca)
{
	return info && ca && *ca &&
	       (auth_dn_equal(info->issuer, ca) || (info->anchor[0] && auth_dn_equal(info->anchor, ca)));
}

/* ---- ID payload against the certificate (RFC 4945 §3.1) ------------------------------------ */

static bool name_in(const char arr[][AUTH_CERT_NAME_LEN], unsigned n, const uint8_t *d, size_t len)
{
	for (unsigned i = 0; i < n; i++)
		if (strlen(arr[i]) == len && strncasecmp(arr[i], (const char *)d, len) == 0)
			return true;
	return false;
}

bool auth_cert_id_match(const struct auth_cert_info *info, int type, const uint8_t *d, size_t len)
{
	if (!info || !d || len == 0)
		return false;
	bool text = type == AUTH_ID_FQDN || type == AUTH_ID_USER_FQDN;
	if (text && memchr(d, 0, len))
		return false;
	switch (type) {
	case AUTH_ID_FQDN:
		return name_in(info->dns, info->n_dns, d, len);
	case AUTH_ID_USER_FQDN:
		return name_in(info->email, info->n_email, d, len) || name_in(info->upn, info->n_upn, d, len);
	case AUTH_ID_IPV4_ADDR:
	case AUTH_ID_IPV6_ADDR:
		if (len != (type == AUTH_ID_IPV4_ADDR ? 4u : 16u))
			return false;
		for (unsigned i = 0; i < info->n_ip; i++)
			if (info->ip_len[i] == len && memcmp(info->ip[i], d, len) == 0)
				return true;
		return false;
	case AUTH_ID_DER_ASN1_DN: {
		if (info->subject_der_len == len && memcmp(info->subject_der, d, len) == 0)
			return true;
		/* the same name encoded differently (PrintableString vs UTF8String): compare decoded */
		gnutls_x509_dn_t dn;
		gnutls_datum_t in = {(unsigned char *)d, (unsigned)len}, s = {0};
		bool eq = false;
		if (gnutls_x509_dn_init(&dn) < 0)
			return false;
		if (gnutls_x509_dn_import(dn, &in) >= 0 && gnutls_x509_dn_get_str2(dn, &s, 0) >= 0) {
			eq = s.size == strlen(info->subject) && memcmp(s.data, info->subject, s.size) == 0;
			gnutls_free(s.data);
		}
		gnutls_x509_dn_deinit(dn);
		return eq;
	}
	}
	return false;
}
