/* natt: NAT traversal for IKEv1/ESP (RFC 3947, RFC 3948). Pure functions and small sans-IO state.
 *
 *   natt.c       classification of what arrives on UDP 4500 (keepalive / IKE / ESP-in-UDP)
 *   natt_natd.c  NAT-D hashes (RFC 3947 §3.2) and "who is behind NAT" from received NAT-D payloads
 *   natt_state.c port floating 500 -> 4500, NAT keepalive timing (RFC 3948 §4), NAT-OA payloads
 *                and values (RFC 3947 §5.2), UDP encapsulation and checksum helpers (RFC 3948)
 */
#ifndef NATT_H
#define NATT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>

#include "rp_base.h"

#define NATT_PORT_IKE 500
#define NATT_PORT_NATT 4500

enum natt_kind {
	NATT_DROP = 0,  /* too short or malformed to be anything */
	NATT_KEEPALIVE, /* RFC 3948 §2.3: one byte 0xFF */
	NATT_IKE,       /* RFC 3948 §2.2: non-ESP marker (4 zero bytes) then an ISAKMP header */
	NATT_ESP,       /* RFC 3948 §2.1: SPI (non-zero) first */
};

/* Classify a UDP/4500 payload. For NATT_IKE, *skip is the marker length to strip (4); for others 0.
 * Pure function of the bytes. */
enum natt_kind natt_classify(const uint8_t *p, size_t len, size_t *skip);
const char *natt_kind_name(enum natt_kind k);

/* ---- NAT-D (RFC 3947 §3.2) ------------------------------------------------------------------ */

#define NATT_HASH_MAX 64

/* HASH(CKY-I | CKY-R | IP | Port) with the hash algorithm negotiated for the IKE SA (e.g.
 * GNUTLS_DIG_SHA1). IP is 4 or 16 bytes, the port in network order. *len gets the digest size.
 * 0 or -EINVAL. */
int natt_nat_d(gnutls_digest_algorithm_t alg, const uint8_t cky_i[8], const uint8_t cky_r[8],
               const struct rp_addr *a, uint8_t out[NATT_HASH_MAX], size_t *len);
/* Constant-time comparison of a received NAT-D payload body with the hash of a. */
bool natt_nat_d_match(gnutls_digest_algorithm_t alg, const uint8_t cky_i[8], const uint8_t cky_r[8],
                      const struct rp_addr *a, const uint8_t *hash, size_t len);

/* What the NAT-D payloads of one received message say. RFC 3947 §3.2: the first payload hashes
 * the receiver's address as the sender saw it (our address), the others the sender's own
 * addresses; a mismatch on ours means we are behind a NAT, no match on theirs means they are. */
struct natt_detect {
	bool local_behind_nat, peer_behind_nat;
};
int natt_detect(gnutls_digest_algorithm_t alg, const uint8_t cky_i[8], const uint8_t cky_r[8],
                const struct rp_addr *local, const struct rp_addr *peer, const uint8_t *const *hashes,
                const size_t *lens, size_t n, struct natt_detect *out);
static inline bool natt_any_nat(const struct natt_detect *d)
{
	return d->local_behind_nat || d->peer_behind_nat;
}

/* ---- port floating (RFC 3947 §4) ------------------------------------------------------------ */

/* Per IKE SA: where its IKE packets go. Starts on 500; after NAT-D shows a NAT (and both sides
 * announced RFC 3947 / draft NAT-T), the initiator moves to 4500 and the responder follows the
 * first authenticated packet that arrives there. The peer's port may change at any time (NAT
 * rebinding); callers update it only after a packet authenticated. */
struct natt_float {
	bool supported; /* peer sent an RFC 3947 (or draft) NAT-T vendor ID */
	bool nat;       /* NAT-D found a NAT between us */
	bool floated;   /* IKE and ESP now use UDP 4500 with the non-ESP marker */
	struct rp_addr local, peer;
};
void natt_float_init(struct natt_float *f, const struct rp_addr *local, const struct rp_addr *peer);
void natt_float_detected(struct natt_float *f, bool supported, const struct natt_detect *d);
/* An authenticated IKE packet arrived from src to local: floats when it came on 4500, adopts a
 * new peer port/address. Returns true when the peer endpoint changed. */
bool natt_float_rx(struct natt_float *f, const struct rp_addr *local, const struct rp_addr *src);
/* Whether our packets are to be sent from 4500 with the non-ESP marker. */
static inline bool natt_float_use_4500(const struct natt_float *f)
{
	return f->floated;
}
/* ESP for this peer goes inside UDP (RFC 3948) iff a NAT was detected and NAT-T negotiated. */
static inline bool natt_float_udp_encap(const struct natt_float *f)
{
	return f->supported && f->nat;
}

/* ---- keepalives (RFC 3948 §4) -------------------------------------------------------------- */

#define NATT_KEEPALIVE_MS 20000u
#define NATT_KEEPALIVE_BYTE 0xffu

/* Sans-IO timer: a keepalive is due when nothing was sent to the peer for interval_ms. Only the
 * side behind a NAT needs to keep the mapping alive; the server enables it when it is behind NAT
 * itself or when configured to. */
struct natt_ka {
	bool enabled;
	uint64_t interval_ms;
	uint64_t last_tx_ms;
};
void natt_ka_init(struct natt_ka *k, bool enabled, uint64_t interval_ms /* 0 = 20 s */, uint64_t now_ms);
void natt_ka_sent(struct natt_ka *k, uint64_t now_ms);   /* any packet to the peer counts */
uint64_t natt_ka_next_deadline(const struct natt_ka *k); /* UINT64_MAX when disabled */
/* true when the caller must send one byte 0xFF from 4500 now (the timer is re-armed). */
bool natt_ka_tick(struct natt_ka *k, uint64_t now_ms);

/* ---- NAT-OA (RFC 3947 §5.2) ------------------------------------------------------------------ */

#define NATT_PAYLOAD_NAT_OA 21        /* RFC 3947 payload type */
#define NATT_PAYLOAD_NAT_OA_DRAFT 131 /* draft-ietf-ipsec-nat-t-ike-02/03 */

/* Body (after the generic payload header): ID type (1 IPv4, 5 IPv6), 3 reserved, address. */
int natt_oa_build(struct rp_wr *w, const struct rp_addr *a);
int natt_oa_parse(const uint8_t *body, size_t len, struct rp_addr *a);
/* The two NAT-OA values we send in transport mode: as initiator our own address and the one we
 * send to; as responder the peer's address as we see it and our own (what strongSwan and
 * racoon do). The peer's NAT-OAi received in Quick Mode is its private address: give it to
 * esp_sa_params.natoa_peer for the inner checksum fix-up. */
void natt_oa_values(bool initiator, const struct rp_addr *local, const struct rp_addr *peer,
                    struct rp_addr *oa_i, struct rp_addr *oa_r);

/* ---- UDP encapsulation helpers (RFC 3948 §2.1, §3.1.2) -------------------------------------- */

/* Prepend an 8-byte UDP header (length from b->len, checksum 0: RFC 3948 §2.1 says the outer
 * UDP checksum SHOULD be zero; for inner UDP over IPv4 zero means "none"). -1 without headroom. */
int natt_udp_push(struct rp_buf *b, uint16_t sport, uint16_t dport);
/* The UDP checksum of udp[0..len) with the IPv4/IPv6 pseudo-header (RFC 768 / RFC 8200 §8.1);
 * the checksum field is taken as it is in the buffer: 0 means "verify" returns 0 when valid. */
uint16_t natt_udp_csum(const struct rp_addr *src, const struct rp_addr *dst, const uint8_t *udp, size_t len);

#endif
