/* Main Mode with RSA signatures (RFC 2409 §5.1), responder side:
 *   MM3 -> MM4: KE, Nr [, NAT-D] and our CR(s) naming the CAs we accept (RFC 2408 §3.10)
 *   MM5:        IDii, [CERT...], [CR], SIG_I   (encrypted with SKEYID = prf(Ni|Nr, g^xy))
 *   MM6:        IDir, [CERT...], SIG_R
 * SIG_I is HASH_I signed with the initiator's key; the chain is validated by conf.cert_verify,
 * which also maps it to an account. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike_local.h"

#define IKE_MAX_CERTS 8
#define IKE_MAX_SIG 1024 /* 8192-bit RSA */

void ike_mm_sig_cr(struct ike *ike, struct isakmp_wr *w)
{
	const struct ike_conf *c = &ike->conf;
	uint8_t b[1 + 1024];
	b[0] = ISAKMP_CERT_X509_SIG;
	size_t sent = 0;
	for (size_t i = 0; i < c->ncr_ca; i++) {
		size_t l = ike_cert_subject(c->cr_cas[i], c->cr_ca_lens[i], b + 1, sizeof b - 1);
		if (l) {
			isakmp_wr_pl(w, ISAKMP_PL_CR, b, 1 + l);
			sent++;
		}
	}
	if (!sent) /* RFC 2408 §3.10: an empty authority asks for any certificate of the type */
		isakmp_wr_pl(w, ISAKMP_PL_CR, b, 1);
}

/* A refusal after MM5 decrypted: the peer learns why under phase-1 keys (it can authenticate
 * the notify, RFC 2409 §5.7), the SA stays FAILED so its retransmissions stay quiet. */
static int refuse(struct ike *ike, struct ike_sa *sa, const struct rp_pkt *pkt, uint16_t notify,
                  const char *what, const char *detail)
{
	rp_log_drop(ike->log, ike->now, "ike", &pkt->src, what,
	            "(Main Mode, RSA signature): %s; answering %s", detail,
	            notify == ISAKMP_N_INVALID_ID_INFORMATION   ? "INVALID-ID-INFORMATION"
	            : notify == ISAKMP_N_INVALID_CERTIFICATE    ? "INVALID-CERTIFICATE"
	            : notify == ISAKMP_N_CERT_UNAVAILABLE       ? "CERT-UNAVAILABLE"
	            : notify == ISAKMP_N_INVALID_CERT_AUTHORITY ? "INVALID-CERT-AUTHORITY"
	            : notify == ISAKMP_N_INVALID_SIGNATURE      ? "INVALID-SIGNATURE"
	                                                        : "AUTHENTICATION-FAILED");
	sa->state = IKE_ST_FAILED;
	ike_count(ike, sa, IKE_R_CERT_REFUSED);
	uint8_t spi[16];
	memcpy(spi, sa->icky, 8);
	memcpy(spi + 8, sa->rcky, 8);
	ike_info_send_notify(ike, sa, ISAKMP_PROTO_ISAKMP, spi, 16, notify, NULL, 0);
	return -1;
}

int ike_mm5_sig(struct ike *ike, struct ike_sa *sa, const struct rp_pkt *pkt, const struct isakmp_msg *m)
{
	struct ike_keys k;
	uint8_t iv[IKE_MAXBLK], *plain = NULL;
	struct isakmp_msg dm;
	struct isakmp_id_pl id;

	if (!(m->h.flags & ISAKMP_FLAG_ENC)) {
		rp_log_drop(ike->log, ike->now, "ike", &pkt->src, "MM5 not encrypted", NULL);
		return -1;
	}
	memset(&k, 0, sizeof k);
	k.hash = sa->ch.hash;
	k.enc = sa->ch.enc;
	k.klen = ike_enc_keylen(sa->ch.enc, sa->ch.keylen);
	if (ike_skeyid_sig(&k, sa->ni, sa->nilen, sa->nr, sa->nrlen, sa->gxy, sa->gxylen) ||
	    ike_keys_derive(&k, sa->gxy, sa->gxylen, sa->icky, sa->rcky) ||
	    ike_iv_p1(k.hash, k.blk, sa->gxi, sa->gxilen, sa->gxr, sa->gxrlen, iv) ||
	    ike_decrypt(&k, iv, pkt->data, m->h.len, &plain, &dm)) {
		/* no state change: a forged MM5 must not end the real peer's handshake */
		rp_log_drop(ike->log, ike->now, "ike", &pkt->src, "MM5 does not decrypt",
		            "(Main Mode, RSA signature)");
		rp_wipe(&k, sizeof k);
		return -1;
	}
	const struct isakmp_pl *idp = isakmp_find(&dm, ISAKMP_PL_ID, 0),
	                       *sgp = isakmp_find(&dm, ISAKMP_PL_SIG, 0);
	if (!idp || !sgp || isakmp_id_parse(idp->body, idp->len, &id) ||
	    isakmp_count(&dm, ISAKMP_PL_SIG) != 1 || sgp->len > IKE_MAX_SIG) {
		rp_log_drop(ike->log, ike->now, "ike", &pkt->src, "malformed MM5",
		            "(RSA signature: ID and one SIG needed)");
		free(plain);
		rp_wipe(&k, sizeof k);
		return -1;
	}
	/* From here the message decrypted under the DH secret only this peer shares: keep its keys
	 * so refusals can be told to it (authenticated informational). */
	sa->k = k;
	rp_wipe(&k, sizeof k);
	memcpy(sa->iv, iv, sizeof iv);
	ike_id_str(&id, sa->peer_id, sizeof sa->peer_id);
	sa->id_type = id.type;
	if (isakmp_find(&dm, ISAKMP_PL_CR, 0))
		sa->peer_cr = true;

	/* CERT payloads, X.509 signature encoding only (RFC 2408 §3.9); the first is the leaf
	 * (every stack sends the end-entity first; CAs after). */
	const uint8_t *chain[IKE_MAX_CERTS];
	size_t lens[IKE_MAX_CERTS], nc = 0;
	for (size_t i = 0; i < dm.npl && nc < IKE_MAX_CERTS; i++)
		if (dm.pl[i].type == ISAKMP_PL_CERT && dm.pl[i].len > 1 &&
		    dm.pl[i].body[0] == ISAKMP_CERT_X509_SIG) {
			chain[nc] = dm.pl[i].body + 1;
			lens[nc++] = dm.pl[i].len - 1;
		}
	int rc = -1;
	char why[192];
	struct ike_cert_verdict v;
	struct ike_peer_policy pol;
	memset(&v, 0, sizeof v);
	memset(&pol, 0, sizeof pol);
	if (!nc) {
		rc = refuse(ike, sa, pkt, ISAKMP_N_CERT_UNAVAILABLE, "no certificate",
		            "MM5 carries no X.509 CERT payload (we keep no peer certificates)");
		goto out;
	}
	if (!ike_cert_id_match(chain[0], lens[0], &id)) {
		snprintf(why, sizeof why, "ID %s is not the certificate's subject or subjectAltName",
		         sa->peer_id);
		rc = refuse(ike, sa, pkt, ISAKMP_N_INVALID_ID_INFORMATION,
		            "ID does not match the certificate", why);
		goto out;
	}
	struct ike_peer_id pid = {.type = id.type, .data = id.data, .len = id.len};
	snprintf(pid.str, sizeof pid.str, "%s", sa->peer_id);
	/* the peer's rule decides again (it may have changed since MM1): refused outright, PSK only,
	 * or the CA and the mapping the validator must apply */
	ike_pol_ask(ike, &pkt->src, &pol);
	bool refused = ike_pol_refusal(&pol, why, sizeof why);
	if (!refused && pol.action == IKE_POL_NEGOTIATE && pol.auth_psk && !pol.auth_cert) {
		snprintf(why, sizeof why, "rule %.64s (store %.16s) accepts only its preshared key", pol.rule,
		         pol.store);
		refused = true;
	}
	if (refused) {
		rc = refuse(ike, sa, pkt, ISAKMP_N_AUTHENTICATION_FAILED, "IPsec policy", why);
		goto out;
	}
	if (ike->conf.cert_verify(ike->conf.cert_ctx, chain, lens, nc, &pid,
	                          pol.action == IKE_POL_NEGOTIATE ? &pol : NULL, ike->now, &v) ||
	    !v.accept) {
		rc = refuse(ike, sa, pkt, v.notify ? v.notify : ISAKMP_N_AUTHENTICATION_FAILED,
		            "certificate refused", *v.reason ? v.reason : "validator refused");
		goto out;
	}
	if (!v.pubkey) {
		gnutls_datum_t d = {(unsigned char *)chain[0], (unsigned)lens[0]};
		if (gnutls_pubkey_init(&v.pubkey) < 0 ||
		    gnutls_pubkey_import_x509_raw(v.pubkey, &d, GNUTLS_X509_FMT_DER, 0) < 0) {
			rc = refuse(ike, sa, pkt, ISAKMP_N_INVALID_CERTIFICATE, "certificate unusable",
			            "no public key in the leaf certificate");
			goto out;
		}
	}
	uint8_t h[IKE_MAXHASH];
	if (ike_mm_auth_hash(sa, &sa->k, true, idp->body, idp->len, h) ||
	    ike_sig_verify(v.pubkey, h, sa->k.hlen, sgp->body, sgp->len, why, sizeof why)) {
		rc = refuse(ike, sa, pkt, ISAKMP_N_AUTHENTICATION_FAILED, "SIG_I invalid", why);
		goto out;
	}
	snprintf(sa->account, sizeof sa->account, "%s", v.account);
	sa->id_auth = true; /* the ID matched the validated leaf, whose key signed SIG_I */
	for (size_t i = 0; i < dm.npl; i++) {
		struct isakmp_notify_pl np;
		if (dm.pl[i].type == ISAKMP_PL_N && !isakmp_notify_parse(dm.pl[i].body, dm.pl[i].len, &np) &&
		    np.type == ISAKMP_N_INITIAL_CONTACT)
			sa->initial_contact = true;
	}
	if (sa->vids.ms_ic)
		sa->initial_contact = true;
	sa->peer = pkt->src;
	sa->local = pkt->dst;

	/* MM6: our ID is our certificate's subject DN (what Windows and strongSwan expect by
	 * default for certificate authentication), our chain when asked, SIG_R. */
	uint8_t buf[IKE_MAXBUF + 8192], idb[4 + 1024], sig[IKE_MAX_SIG];
	size_t dnl = ike_cert_subject(ike->conf.cert_chain[0], ike->conf.cert_chain_lens[0], idb + 4,
	                              sizeof idb - 4),
	       sl = 0;
	idb[0] = ISAKMP_ID_DER_ASN1_DN;
	idb[1] = id.proto == 17 ? 17 : 0;
	rp_put_u16(idb + 2, id.proto == 17 ? id.port : 0);
	if (!dnl || ike_mm_auth_hash(sa, &sa->k, false, idb, 4 + dnl, h) ||
	    ike_sig_sign(ike->key, h, sa->k.hlen, sig, &sl, sizeof sig)) {
		rc = refuse(ike, sa, pkt, ISAKMP_N_AUTHENTICATION_FAILED, "cannot sign",
		            "our certificate or key");
		goto out;
	}
	struct isakmp_wr w;
	isakmp_wr_init(&w, buf, sizeof buf);
	isakmp_wr_hdr(&w, sa->icky, sa->rcky, ISAKMP_EX_IDPROT, 0, 0);
	isakmp_wr_pl(&w, ISAKMP_PL_ID, idb, 4 + dnl);
	if (sa->peer_cr || ike->conf.cert_send == IKE_CERT_SEND_ALWAYS)
		for (size_t i = 0; i < ike->conf.ncert_chain; i++) {
			size_t s = isakmp_wr_begin(&w, ISAKMP_PL_CERT);
			rp_wr_u8(&w.w, ISAKMP_CERT_X509_SIG);
			rp_wr_bytes(&w.w, ike->conf.cert_chain[i], ike->conf.cert_chain_lens[i]);
			isakmp_wr_end(&w, s);
		}
	isakmp_wr_pl(&w, ISAKMP_PL_SIG, sig, sl);
	size_t n = isakmp_wr_finish(&w);
	rc = ike_mm_finish(ike, sa, buf, n, sizeof buf);
out:
	if (v.pubkey)
		gnutls_pubkey_deinit(v.pubkey);
	rp_wipe(&pol, sizeof pol); /* a rule's PSK */
	free(plain);
	return rc;
}
