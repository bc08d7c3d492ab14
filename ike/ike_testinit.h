/* Test-only in-memory IKEv1 initiator (Main Mode PSK + Quick Mode), used by the unit tests, the
 * responder fuzz target and rampart-bench ike. Not linked into rampartd. */
#ifndef IKE_TESTINIT_H
#define IKE_TESTINIT_H

#include "ike_local.h"

struct ike_ti_p2 {
	uint16_t tf, keylen, auth;
};

struct ike_ti_conf {
	const struct ike_p1_alg *p1; /* transforms offered, in order */
	size_t np1;
	uint16_t p1_auth; /* default PSK */
	uint32_t p1_life_s;
	const struct ike_ti_p2 *p2;
	size_t np2;
	uint16_t pfs_group;
	uint32_t p2_life_s, p2_life_kb;
	const uint8_t *psk;
	size_t psklen;
	uint8_t id_type;       /* ISAKMP_ID_*; IPV4 = own local address */
	const char *id;        /* FQDN / USER_FQDN */
	const uint8_t *id_der; /* DER_ASN1_DN: this name instead of the leaf's subject */
	size_t id_der_len;
	enum ike_natt natt; /* NAT-T VID to send (NONE = no NAT-T) */
	bool dpd, initial_contact, windows;
	struct rp_addr local;  /* the initiator's own address (private when behind the NAT) */
	struct rp_addr remote; /* the responder */
	uint16_t client_port;  /* Quick Mode IDci port (1701, or 0 as macOS) */
	bool no_ids;           /* Quick Mode without IDci/IDcr */
	bool corrupt_hash_i;   /* flip a bit of HASH_I */
	bool draft_encap;      /* use 61444 even with RFC NAT-T (misbehaving client) */
	uint16_t force_encap;  /* Quick Mode encapsulation attribute to send instead (e.g. tunnel) */
	uint16_t server_port;  /* Quick Mode IDcr port (0 = 1701) */
	uint8_t ts_proto;      /* Quick Mode ID protocol (0 = 17) */
	/* RSA signatures (p1_auth = IKE_AUTH_RSA_SIG): our key and chain (leaf first) for MM5;
	 * id_type DER_ASN1_DN = the leaf's subject. The responder's SIG_R is checked with the key of
	 * its CERT in MM6, else with resp_pub. */
	gnutls_privkey_t key;
	const uint8_t *const *certs;
	const size_t *cert_lens;
	size_t ncerts;
	bool send_cr;             /* a CR (any CA) in MM3 */
	gnutls_pubkey_t resp_pub; /* when the responder sends no certificate */
	bool corrupt_sig;         /* flip a bit of SIG_I */
	/* replaces SIG_I (forgeries): writes sig, sets *sl; 0 or -1 */
	int (*sign)(void *ctx, const uint8_t *h, size_t hl, uint8_t *sig, size_t *sl);
	void *sign_ctx;
};

struct ike_ti {
	struct ike_ti_conf c;
	struct rp_rng *rng;
	int step; /* 0 nothing sent, 1 MM1 sent, 3 MM3, 5 MM5, 7 QM1 sent, 9 QM3 sent (done) */
	uint8_t icky[8], rcky[8];
	uint8_t *sai_b;
	size_t sai_len;
	struct ike_p1_alg chosen;
	enum ike_natt natt;
	bool nat_detected, use4500;
	struct ike_dh dh;
	uint8_t ni[32], gxr[IKE_MAXPUB];
	size_t gxrlen;
	uint8_t *nr;
	size_t nrlen;
	struct ike_keys k;
	uint8_t iv[IKE_MAXBLK], p1iv[IKE_MAXBLK];
	/* quick mode */
	uint32_t msgid, spi_i, spi_r;
	uint8_t qiv[IKE_MAXBLK], qni[32], *qnr;
	size_t qnrlen;
	struct ike_dh qdh;
	struct ike_ti_p2 p2chosen;
	uint16_t encap;
	struct ike_ev_keys k_i2r, k_r2i; /* KEYMAT as the initiator derives it */
	bool responder_lifetime;
	uint32_t resp_life_s, resp_life_kb;
	bool got_cr;       /* the responder's MM4 had a CR */
	size_t resp_ncert; /* CERT payloads in MM6 */
	char err[128];
};

struct ike_ti *ike_ti_new(const struct ike_ti_conf *c, struct rp_rng *rng);
void ike_ti_free(struct ike_ti *t);
/* MM1 into out; returns its length or 0. */
size_t ike_ti_start(struct ike_ti *t, uint8_t *out, size_t cap);
/* Feed a responder message (ISAKMP bytes, no marker); writes the next message into out and
 * returns its length; 0 when nothing follows (done after QM2 -> QM3 is written, check step),
 * -1 on any failure (t->err says why). */
long ike_ti_input(struct ike_ti *t, const uint8_t *in, size_t len, uint8_t *out, size_t cap);
/* Phase-2 on the established SA: a new QM1 (new message ID). */
size_t ike_ti_quick(struct ike_ti *t, uint8_t *out, size_t cap);
/* An authenticated informational (DELETE or notify) on the established SA. */
size_t ike_ti_info(struct ike_ti *t, bool is_delete, uint8_t proto, const uint8_t *spi, size_t spi_size,
                   uint16_t type, const void *data, size_t len, uint8_t *out, size_t cap);
/* Any protected phase-2 message (exch INFO or QUICK, new random message ID) whose payloads after
 * a correct HASH(1) are the given raw bytes (first payload type np): reaches the responder's
 * parsers behind authentication (fuzzing). */
size_t ike_ti_raw(struct ike_ti *t, uint8_t exch, uint8_t np, const uint8_t *payloads, size_t len,
                  uint8_t *out, size_t cap);
/* Decrypt and authenticate an informational from the responder; fills the first N/D found. */
int ike_ti_read_info(struct ike_ti *t, const uint8_t *in, size_t len, struct isakmp_notify_pl *n,
                     struct isakmp_delete_pl *d, uint8_t *scratch, size_t cap);

#endif
