/* IKEv1 initiator (Main Mode PSK or RSA signatures, Quick Mode transport, NAT-T, DPD answers): the
 * client role of rampart-load, and the peer of the in-memory tests, fuzz targets and benchmarks.
 * Sans-IO and step-wise: each call takes the responder's message (ISAKMP bytes, the NAT-T marker
 * already stripped) and writes the next one; the caller owns sockets, ports (float to 4500 when
 * use4500 is set after MM4, RFC 3947 §4) and retransmission. */
#ifndef IKE_CLI_H
#define IKE_CLI_H

#include "ike_local.h"

struct ike_cli_p2 {
	uint16_t tf, keylen, auth;
};

struct ike_cli_conf {
	const struct ike_p1_alg *p1; /* transforms offered, in order */
	size_t np1;
	uint16_t p1_auth; /* default PSK */
	uint32_t p1_life_s;
	const struct ike_cli_p2 *p2;
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
	/* Load generation: key pairs shared by many initiators (strongSwan load-tester's fake DH
	 * keys), so the responder's cost is what is measured; the one of the chosen group is used
	 * (none of it: Main Mode fails). NULL = a fresh pair per exchange. They must outlive every
	 * initiator using them. */
	struct ike_dh *const *fixed_dh;
	size_t nfixed_dh;
	uint32_t spi_in; /* our Quick Mode SPI (reserved in the caller's SAD); 0 = random */
};

struct ike_cli {
	struct ike_cli_conf c;
	struct rp_rng *rng;
	int step; /* 0 nothing sent, 1 MM1 sent, 3 MM3, 5 MM5, 7 QM1 sent, 9 QM3 sent (done) */
	uint8_t icky[8], rcky[8];
	uint8_t *sai_b;
	size_t sai_len;
	struct ike_p1_alg chosen;
	enum ike_natt natt;
	bool nat_detected, use4500;
	struct ike_dh dh, *fdh; /* fdh: the shared pair in use (conf.fixed_dh) */
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
	struct ike_cli_p2 p2chosen;
	uint16_t encap;
	struct ike_ev_keys k_i2r, k_r2i; /* KEYMAT as the initiator derives it */
	bool responder_lifetime;
	uint32_t resp_life_s, resp_life_kb;
	bool got_cr;       /* the responder's MM4 had a CR */
	size_t resp_ncert; /* CERT payloads in MM6 */
	char err[128];
};

/* What ike_cli_info_input found in a protected informational. */
enum ike_cli_info {
	IKE_CLI_INFO_OTHER = 0,  /* authenticated, nothing to do */
	IKE_CLI_INFO_DPD,        /* R-U-THERE: the R-U-THERE-ACK is in out */
	IKE_CLI_INFO_DELETE_IKE, /* the responder deleted our IKE SA */
	IKE_CLI_INFO_DELETE_ESP, /* the responder deleted our IPsec SA (spi_i or spi_r) */
};

struct ike_cli *ike_cli_new(const struct ike_cli_conf *c, struct rp_rng *rng);
void ike_cli_free(struct ike_cli *t);
/* MM1 into out; returns its length or 0. */
size_t ike_cli_start(struct ike_cli *t, uint8_t *out, size_t cap);
/* Feed a responder message (ISAKMP bytes, no marker); writes the next message into out and
 * returns its length; 0 when nothing follows (done after QM2 -> QM3 is written, check step),
 * -1 on any failure (t->err says why). */
long ike_cli_input(struct ike_cli *t, const uint8_t *in, size_t len, uint8_t *out, size_t cap);
/* Phase-2 on the established SA: a new QM1 (new message ID). */
size_t ike_cli_quick(struct ike_cli *t, uint8_t *out, size_t cap);
/* An authenticated informational (DELETE or notify) on the established SA. */
size_t ike_cli_info(struct ike_cli *t, bool is_delete, uint8_t proto, const uint8_t *spi, size_t spi_size,
                    uint16_t type, const void *data, size_t len, uint8_t *out, size_t cap);
/* Any protected phase-2 message (exch INFO or QUICK, new random message ID) whose payloads after
 * a correct HASH(1) are the given raw bytes (first payload type np): reaches the responder's
 * parsers behind authentication (fuzzing). */
size_t ike_cli_raw(struct ike_cli *t, uint8_t exch, uint8_t np, const uint8_t *payloads, size_t len,
                   uint8_t *out, size_t cap);
/* Decrypt and authenticate an informational from the responder; fills the first N/D found. */
int ike_cli_read_info(struct ike_cli *t, const uint8_t *in, size_t len, struct isakmp_notify_pl *n,
                      struct isakmp_delete_pl *d, uint8_t *scratch, size_t cap);

/* After Main Mode: an informational from the responder (exchange 5). Answers DPD R-U-THERE
 * with R-U-THERE-ACK (RFC 3706 §5.2: the same sequence number) into out, *out_len its length
 * (0 when nothing is to be sent). Returns the enum ike_cli_info or -1 when it does not decrypt
 * or authenticate. */
int ike_cli_info_input(struct ike_cli *t, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                       size_t *out_len);
/* A DH key pair for conf.fixed_dh (free with ike_cli_dh_free). */
struct ike_dh *ike_cli_dh_new(uint16_t group, struct rp_rng *rng);
void ike_cli_dh_free(struct ike_dh *dh);

#endif
