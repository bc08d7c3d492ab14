#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "srv_cert.h"

static int read_pem_certs(const char *path, uint8_t ***out, size_t **lens, size_t *n, char *err, size_t errlen)
{
	gnutls_datum_t data = {0};
	gnutls_x509_crt_t *crts = NULL;
	unsigned count = 0;
	if (gnutls_load_file(path, &data) < 0) {
		snprintf(err, errlen, "%s: cannot read", path);
		return -1;
	}
	int rc = gnutls_x509_crt_list_import2(&crts, &count, &data, GNUTLS_X509_FMT_PEM, 0);
	if (rc < 0)
		rc = gnutls_x509_crt_list_import2(&crts, &count, &data, GNUTLS_X509_FMT_DER, 0);
	gnutls_free(data.data);
	if (rc < 0 || count == 0) {
		snprintf(err, errlen, "%s: no X.509 certificate (%s)", path, rc < 0 ? gnutls_strerror(rc) : "empty");
		return -1;
	}
	*out = calloc(count, sizeof **out);
	*lens = calloc(count, sizeof **lens);
	*n = 0;
	for (unsigned i = 0; i < count; i++) {
		gnutls_datum_t der;
		if (*out && *lens && gnutls_x509_crt_export2(crts[i], GNUTLS_X509_FMT_DER, &der) == 0) {
			(*out)[*n] = malloc(der.size);
			if ((*out)[*n]) {
				memcpy((*out)[*n], der.data, der.size);
				(*lens)[(*n)++] = der.size;
			}
			gnutls_free(der.data);
		}
		gnutls_x509_crt_deinit(crts[i]);
	}
	gnutls_free(crts);
	if (*n != count) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	return 0;
}

static int read_key(const char *path, uint8_t **out, size_t *len, char *err, size_t errlen)
{
	gnutls_datum_t data = {0}, der = {0};
	gnutls_x509_privkey_t key;
	if (gnutls_load_file(path, &data) < 0) {
		snprintf(err, errlen, "%s: cannot read", path);
		return -1;
	}
	gnutls_x509_privkey_init(&key);
	int rc = gnutls_x509_privkey_import2(key, &data, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN);
	if (rc < 0)
		rc = gnutls_x509_privkey_import2(key, &data, GNUTLS_X509_FMT_DER, NULL, GNUTLS_PKCS_PLAIN);
	if (rc == 0)
		rc = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_DER, NULL, GNUTLS_PKCS_PLAIN, &der);
	gnutls_x509_privkey_deinit(key);
	gnutls_memset(data.data, 0, data.size);
	gnutls_free(data.data);
	if (rc < 0) {
		snprintf(err, errlen, "%s: not an unencrypted private key (%s)", path, gnutls_strerror(rc));
		return -1;
	}
	*out = malloc(der.size);
	if (*out) {
		memcpy(*out, der.data, der.size);
		*len = der.size;
	}
	gnutls_memset(der.data, 0, der.size);
	gnutls_free(der.data);
	return *out ? 0 : -1;
}

/* The IKE core's callback: validate the chain, match the ID, map to an account, check rights. */
static uint16_t notify_for(int result)
{
	switch (result) {
	case AUTH_CERT_UNKNOWN_CA:
		return 22; /* INVALID-CERT-AUTHORITY */
	case AUTH_CERT_ID_MISMATCH:
		return 18; /* INVALID-ID-INFORMATION */
	case AUTH_CERT_BAD_INPUT:
	case AUTH_CERT_EXPIRED:
	case AUTH_CERT_NOT_YET_VALID:
	case AUTH_CERT_REVOKED:
	case AUTH_CERT_BAD_SIGNATURE:
	case AUTH_CERT_KEY_USAGE:
	case AUTH_CERT_INVALID:
		return 20; /* INVALID-CERTIFICATE */
	default:
		return 24; /* AUTHENTICATION-FAILED: mapping and rights (RFC 2408 §3.14.1) */
	}
}

static int verify(void *ctx, const uint8_t *const *chain_der, const size_t *lens, size_t n,
		  const struct ike_peer_id *id, const struct ike_peer_policy *pol, uint64_t now_ms, struct ike_cert_verdict *out)
{
	struct srv_cert *sc = ctx;
	struct auth_der chain[8];
	struct auth_cert_res res;
	(void)now_ms; /* the core's clock is monotonic; validity needs the wall clock */
	memset(out, 0, sizeof *out);
	if (n > RP_ARRAY_LEN(chain))
		n = RP_ARRAY_LEN(chain);
	for (size_t i = 0; i < n; i++) {
		chain[i].der = chain_der[i];
		chain[i].len = lens[i];
	}
	/* a NEGOTIATE rule with a CA accepts only that CA's certificates, with or without mapping */
	const char *ca = pol && pol->auth_cert && pol->rootca[0] ? pol->rootca : NULL;
	bool map = !pol || pol->certmap != 0;
	if (auth_cert_authorize_rule(sc->db, sc->trust, chain, n, id->type, id->data, id->len, (int64_t)time(NULL),
				     ca, map, NULL, &res)) {
		snprintf(out->reason, sizeof out->reason, "certificate check failed");
		return -1;
	}
	if (res.result == AUTH_CERT_OK) {
		out->accept = true;
		snprintf(out->account, sizeof out->account, "%s", res.mapped ? res.account : "");
		return 0;
	}
	/* the reason and the rule or right that decided (and the IPsec policy rule, if one applied) */
	const char *why = res.detail[0] ? res.detail : auth_cert_result_str(res.result);
	if (pol && pol->rule[0])
		snprintf(out->reason, sizeof out->reason, "rule %.64s (store %.16s): %.300s", pol->rule, pol->store, why);
	else
		snprintf(out->reason, sizeof out->reason, "%s", why);
	out->notify = notify_for(res.result);
	return 0;
}

int srv_cert_load(struct srv_cert *sc, const struct conf *c, struct auth_db *db, struct rp_log *log, char *err,
		  size_t errlen)
{
	memset(sc, 0, sizeof *sc);
	sc->db = db;
	sc->log = log;
	if (!c->certificate[0])
		return 0;
	struct stat st;
	sc->trust = auth_trust_new();
	if (!sc->trust) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (read_pem_certs(c->certificate, &sc->chain, &sc->chain_lens, &sc->nchain, err, errlen) ||
	    read_key(c->private_key, &sc->key, &sc->key_len, err, errlen))
		return -1;
	bool dir = stat(c->ca, &st) == 0 && S_ISDIR(st.st_mode);
	int rc = dir ? auth_trust_add_ca_dir(sc->trust, c->ca) : auth_trust_add_ca_file(sc->trust, c->ca);
	if (rc <= 0) {
		snprintf(err, errlen, "%s: no usable CA certificate (%s)", c->ca, rc == -ENOENT ? "none found" : "unreadable");
		return -1;
	}
	/* our certificate request names the CA(s) of a file; with a directory it names none (any) */
	if (!dir && read_pem_certs(c->ca, &sc->cas, &sc->ca_lens, &sc->nca, err, errlen))
		return -1;
	if (c->crl[0] && auth_trust_add_crl_file(sc->trust, c->crl) <= 0) {
		snprintf(err, errlen, "%s: no CRL signed by a configured CA", c->crl);
		return -1;
	}
	return 0;
}

void srv_cert_ike_conf(struct srv_cert *sc, const struct conf *c, struct ike_conf *ic)
{
	if (!sc->nchain)
		return;
	ic->cert_chain = (const uint8_t *const *)sc->chain;
	ic->cert_chain_lens = sc->chain_lens;
	ic->ncert_chain = sc->nchain;
	ic->key_der = sc->key;
	ic->key_der_len = sc->key_len;
	ic->cr_cas = (const uint8_t *const *)sc->cas;
	ic->cr_ca_lens = sc->ca_lens;
	ic->ncr_ca = sc->nca;
	ic->cert_send = c->send_certificate_always ? IKE_CERT_SEND_ALWAYS : IKE_CERT_SEND_IF_ASKED;
	ic->cert_verify = verify;
	ic->cert_ctx = sc;
}

static void free_list(uint8_t **l, size_t *lens, size_t n)
{
	for (size_t i = 0; l && i < n; i++)
		free(l[i]);
	free(l);
	free(lens);
}

void srv_cert_free(struct srv_cert *sc)
{
	free_list(sc->chain, sc->chain_lens, sc->nchain);
	free_list(sc->cas, sc->ca_lens, sc->nca);
	if (sc->key) {
		rp_wipe(sc->key, sc->key_len);
		free(sc->key);
	}
	if (sc->trust)
		auth_trust_free(sc->trust);
	memset(sc, 0, sizeof *sc);
}
