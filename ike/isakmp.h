/* ISAKMP codec (RFC 2408 §3): validate, then parse through rp_rd; build through rp_wr.
 * Private to ike/ (tests and fuzz targets include it). */
#ifndef IKE_ISAKMP_H
#define IKE_ISAKMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rp_base.h"

#define ISAKMP_HDR_LEN 28
#define ISAKMP_GEN_LEN 4
#define ISAKMP_VERSION 0x10 /* major 1, minor 0 */
#define ISAKMP_MAX_MSG 65535

enum isakmp_pl_type {
	ISAKMP_PL_NONE = 0,
	ISAKMP_PL_SA = 1,
	ISAKMP_PL_P = 2,
	ISAKMP_PL_T = 3,
	ISAKMP_PL_KE = 4,
	ISAKMP_PL_ID = 5,
	ISAKMP_PL_CERT = 6,
	ISAKMP_PL_CR = 7,
	ISAKMP_PL_HASH = 8,
	ISAKMP_PL_SIG = 9,
	ISAKMP_PL_NONCE = 10,
	ISAKMP_PL_N = 11,
	ISAKMP_PL_D = 12,
	ISAKMP_PL_VID = 13,
	ISAKMP_PL_NATD = 20,        /* RFC 3947 */
	ISAKMP_PL_NATOA = 21,       /* RFC 3947 */
	ISAKMP_PL_NATD_DRAFT = 130, /* draft-ietf-ipsec-nat-t-ike-02/03 */
	ISAKMP_PL_NATOA_DRAFT = 131,
	ISAKMP_PL_FRAG = 132, /* Microsoft/Cisco IKEv1 fragmentation (ike_frag.c) */
};

enum isakmp_exch {
	ISAKMP_EX_BASE = 1,
	ISAKMP_EX_IDPROT = 2, /* Main Mode */
	ISAKMP_EX_AUTHONLY = 3,
	ISAKMP_EX_AGGR = 4,
	ISAKMP_EX_INFO = 5,
	ISAKMP_EX_TRANSACTION = 6, /* mode-config */
	ISAKMP_EX_QUICK = 32,
};

enum { ISAKMP_FLAG_ENC = 1, ISAKMP_FLAG_COMMIT = 2, ISAKMP_FLAG_AUTHONLY = 4 };

enum isakmp_proto { ISAKMP_PROTO_ISAKMP = 1, ISAKMP_PROTO_AH = 2, ISAKMP_PROTO_ESP = 3 };

/* Notify message types (RFC 2408 §3.14.1, RFC 2407 §4.6.3, RFC 3706) */
enum isakmp_notify {
	ISAKMP_N_INVALID_PAYLOAD_TYPE = 1,
	ISAKMP_N_INVALID_COOKIE = 4,
	ISAKMP_N_INVALID_EXCHANGE_TYPE = 7,
	ISAKMP_N_INVALID_FLAGS = 8,
	ISAKMP_N_INVALID_MESSAGE_ID = 9,
	ISAKMP_N_NO_PROPOSAL_CHOSEN = 14,
	ISAKMP_N_PAYLOAD_MALFORMED = 16,
	ISAKMP_N_INVALID_KEY_INFORMATION = 17,
	ISAKMP_N_INVALID_ID_INFORMATION = 18,
	ISAKMP_N_INVALID_CERT_ENCODING = 19,
	ISAKMP_N_INVALID_CERTIFICATE = 20,
	ISAKMP_N_INVALID_CERT_AUTHORITY = 22,
	ISAKMP_N_CERT_UNAVAILABLE = 28,
	ISAKMP_N_INVALID_SIGNATURE = 25,
	ISAKMP_N_AUTHENTICATION_FAILED = 24,
	ISAKMP_N_INVALID_HASH_INFORMATION = 23,
	ISAKMP_N_RESPONDER_LIFETIME = 24576,
	ISAKMP_N_INITIAL_CONTACT = 24578,
	ISAKMP_N_DPD_R_U_THERE = 36136,
	ISAKMP_N_DPD_R_U_THERE_ACK = 36137,
};

/* ID types (RFC 2407 §4.6.2.1) */
enum isakmp_id {
	ISAKMP_ID_IPV4 = 1,
	ISAKMP_ID_FQDN = 2,
	ISAKMP_ID_USER_FQDN = 3,
	ISAKMP_ID_IPV4_SUBNET = 4,
	ISAKMP_ID_IPV6 = 5,
	ISAKMP_ID_IPV6_SUBNET = 6,
	ISAKMP_ID_IPV4_RANGE = 7,
	ISAKMP_ID_IPV6_RANGE = 8,
	ISAKMP_ID_DER_ASN1_DN = 9,
	ISAKMP_ID_DER_ASN1_GN = 10,
	ISAKMP_ID_KEY_ID = 11,
};

/* CERT/CR encodings (RFC 2408 §3.9) */
enum { ISAKMP_CERT_X509_SIG = 4 };

struct isakmp_hdr {
	uint8_t icky[8], rcky[8];
	uint8_t np, version, exch, flags;
	uint32_t msgid, len;
};

/* One payload of a chain: body excludes the 4-byte generic header; raw includes it. */
struct isakmp_pl {
	uint8_t type;
	const uint8_t *raw;
	size_t rawlen;
	const uint8_t *body;
	size_t len;
};

#define ISAKMP_MAX_PL 32

struct isakmp_msg {
	struct isakmp_hdr h;
	struct isakmp_pl pl[ISAKMP_MAX_PL];
	size_t npl;
};

/* Header only (28 bytes; version major 1; length ≥ 28 and ≤ len). */
int isakmp_hdr_parse(const uint8_t *p, size_t len, struct isakmp_hdr *h);
/* Whole clear message: header + payload chain that exactly fills the header length. */
int isakmp_msg_parse(const uint8_t *p, size_t len, struct isakmp_msg *m);
/* A payload chain starting with type np over [p, p+len). Trailing bytes are allowed only when
 * allow_pad (decrypted messages carry CBC padding after the last payload, RFC 2408 §3.5). */
int isakmp_chain_parse(uint8_t np, const uint8_t *p, size_t len, bool allow_pad, struct isakmp_msg *m);
/* The k-th payload of type t (k from 0), or NULL. */
const struct isakmp_pl *isakmp_find(const struct isakmp_msg *m, uint8_t t, unsigned k);
size_t isakmp_count(const struct isakmp_msg *m, uint8_t t);

/* ---- SA / proposal / transform (RFC 2408 §3.4-3.6) -------------------------------------- */

/* Decoded transform attributes. Phase 1 (proto ISAKMP): RFC 2409 appendix A classes; IPsec
 * (proto ESP/AH): RFC 2407 §4.5. Lifetimes: 0 = not given. */
struct isakmp_attrs {
	uint16_t enc, hash, auth, group, keylen, prf; /* phase 1 */
	uint16_t encap, authalg;                      /* IPsec */
	uint32_t life_s, life_kb;
	uint16_t unknown;  /* first attribute type we do not know (0 = none) */
	bool custom_group; /* group described by prime/generator attributes: refused */
};

struct isakmp_xf {
	uint8_t num, id;
	struct isakmp_attrs a;
	const uint8_t *raw; /* transform payload including its generic header */
	size_t rawlen;
};

struct isakmp_prop {
	uint8_t num, proto, spi_size, ntf;
	uint8_t spi[16];
	size_t xf0; /* index of the first transform in isakmp_sa.xf */
	size_t nxf; /* transforms stored */
};

#define ISAKMP_MAX_PROP 16
#define ISAKMP_MAX_XF 64

struct isakmp_sa {
	uint32_t doi, sit;
	struct isakmp_prop p[ISAKMP_MAX_PROP];
	size_t nprop;
	struct isakmp_xf xf[ISAKMP_MAX_XF];
	size_t nxf;
};

/* Body of an SA payload (after the generic header). Validates every length, the proposal and
 * transform payload types, counts, and attribute framing. */
int isakmp_sa_parse(const uint8_t *body, size_t len, struct isakmp_sa *sa);
/* Decode attributes of one transform for the given protocol. */
int isakmp_attrs_parse(uint8_t proto, const uint8_t *p, size_t len, struct isakmp_attrs *a);

struct isakmp_id_pl {
	uint8_t type, proto;
	uint16_t port;
	const uint8_t *data;
	size_t len;
};
int isakmp_id_parse(const uint8_t *body, size_t len, struct isakmp_id_pl *id);
/* Printable identity ("192.0.2.1", "host.example", "u@x", "192.0.2.0/24", "keyid:..."). */
const char *isakmp_id_str(const struct isakmp_id_pl *id, char *out, size_t n);

struct isakmp_notify_pl {
	uint32_t doi;
	uint8_t proto, spi_size;
	uint16_t type;
	const uint8_t *spi;
	const uint8_t *data;
	size_t len;
};
int isakmp_notify_parse(const uint8_t *body, size_t len, struct isakmp_notify_pl *n);

struct isakmp_delete_pl {
	uint32_t doi;
	uint8_t proto, spi_size;
	uint16_t nspi;
	const uint8_t *spis; /* nspi * spi_size bytes */
};
int isakmp_delete_parse(const uint8_t *body, size_t len, struct isakmp_delete_pl *d);

/* NAT-OA (RFC 3947 §5.2): ID type (1 or 5), 3 reserved bytes, address. */
int isakmp_natoa_parse(const uint8_t *body, size_t len, struct rp_addr *a);

const char *isakmp_pl_name(uint8_t t);
const char *isakmp_exch_name(uint8_t e);

/* ---- builder ------------------------------------------------------------------------------ */

struct isakmp_wr {
	struct rp_wr w;
	size_t np_at;   /* offset of the next-payload byte to patch with the next payload's type */
	size_t body_at; /* where the first payload begins (after the header) */
};

void isakmp_wr_init(struct isakmp_wr *iw, void *buf, size_t cap);
void isakmp_wr_hdr(struct isakmp_wr *iw, const uint8_t icky[8], const uint8_t rcky[8], uint8_t exch,
                   uint8_t flags, uint32_t msgid);
size_t isakmp_wr_begin(struct isakmp_wr *iw, uint8_t type); /* returns the payload's start */
void isakmp_wr_end(struct isakmp_wr *iw, size_t start);     /* back-patches its length */
void isakmp_wr_pl(struct isakmp_wr *iw, uint8_t type, const void *body, size_t len);
void isakmp_wr_notify(struct isakmp_wr *iw, uint8_t proto, const uint8_t *spi, size_t spi_size, uint16_t type,
                      const void *data, size_t len);
void isakmp_wr_delete(struct isakmp_wr *iw, uint8_t proto, const uint8_t *spi, size_t spi_size);
void isakmp_wr_id(struct isakmp_wr *iw, uint8_t idtype, uint8_t proto, uint16_t port, const void *data,
                  size_t len);
/* SA reply: one proposal with the given SPI and one transform copied from the offer (its
 * attributes verbatim: RFC 2409 §5 "the responder MUST NOT modify attributes"). */
void isakmp_wr_sa_reply(struct isakmp_wr *iw, uint32_t doi, uint32_t sit, uint8_t pnum, uint8_t proto,
                        const uint8_t *spi, size_t spi_size, const struct isakmp_xf *xf);
/* Patches the header length; returns the total length or 0 on overflow. */
size_t isakmp_wr_finish(struct isakmp_wr *iw);

#endif
