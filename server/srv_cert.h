#ifndef SRV_CERT_H
#define SRV_CERT_H
/* Certificates for IKE: our chain and key read from the configured files (the cores never do
 * I/O), the trust anchors and CRL, and the callback that hands a client's chain to auth/'s
 * validator + certificate-to-account mapping + rights. */
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "conf.h"
#include "ike.h"

struct srv_cert {
	struct auth_trust *trust;
	struct auth_db *db; /* borrowed */
	uint8_t **chain;
	size_t *chain_lens, nchain;
	uint8_t *key;
	size_t key_len;
	uint8_t **cas;
	size_t *ca_lens, nca;
	struct rp_log *log;
};

/* Loads what conf names (our chain and key, the CAs, the CRL: a reload loads them all again);
 * 0 and nothing loaded when no certificate is configured. */
int srv_cert_load(struct srv_cert *sc, const struct conf *c, struct auth_db *db, struct rp_log *log, char *err,
		  size_t errlen);
/* Points ike_conf at what was loaded (no-op when nothing was). */
void srv_cert_ike_conf(struct srv_cert *sc, const struct conf *c, struct ike_conf *ic);
void srv_cert_free(struct srv_cert *sc);
#endif
