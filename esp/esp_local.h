/* esp private: SA layout, transform descriptors, replay window, SAD internals. */
#ifndef ESP_LOCAL_H
#define ESP_LOCAL_H

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <nettle/nettle-meta.h>

#include "esp.h"

#define ESP_HDR 8 /* SPI + sequence number (RFC 4303 §2) */
#define ESP_NH_UDP 17
#define ESP_NH_NONE 59 /* RFC 4303 §2.6: dummy packet */
#define ESP_MAX_ICV 32
#define ESP_MAX_IV 16
#define ESP_SEQ_SOFT 0xff000000u /* outbound: soft-expire well before the 32-bit space ends */

struct esp_encr_desc {
	uint8_t id;
	uint16_t keybits;
	gnutls_cipher_algorithm_t alg;
	const struct nettle_cipher *cbc; /* AES-CBC: Nettle's, one direction keyed (esp_crypto.k) */
	uint8_t key_len;                 /* bytes in esp_sa_params.enc_key (GCM: + 4 salt) */
	uint8_t iv_len;                  /* on the wire */
	uint8_t block;                   /* padding alignment: cipher block, or 4 for GCM (RFC 4303 §2.4) */
	uint8_t aead_icv;                /* 16 for GCM-16, 0 for CBC */
	const char *name;                /* for logs */
	const char *ws;                  /* Wireshark esp_sa name */
};

struct esp_auth_desc {
	uint8_t id;
	bool trunc96;
	const struct nettle_hash *hash; /* HMAC over it (nettle's generic HMAC) */
	uint8_t key_len;
	uint8_t icv_len;
	const char *name;
	const char *ws;
};

const struct esp_encr_desc *esp_encr_find(unsigned id, unsigned keybits);
const struct esp_auth_desc *esp_auth_find(unsigned id, bool sha256_96);

/* Per-SA crypto state: one direction only, contexts keyed once at add time. */
struct esp_crypto {
	const struct esp_encr_desc *e;
	const struct esp_auth_desc *a; /* NULL for AEAD */
	gnutls_cipher_hd_t c;          /* GCM and 3DES-CBC */
	/* AES-CBC: the key, then its schedule for one direction (k_enc), e->cbc->context_size bytes
	 * (240 for AES-256): an SA only decrypts (inbound) or encrypts (outbound). A GnuTLS handle
	 * took ~750 bytes per SA, both schedules (issue 17, memory per client). */
	uint8_t *k;
	bool k_enc;
	/* The keyed HMAC: outer, inner and running hash states, a->hash->context_size each (288
	 * bytes for SHA-1). Nettle's own rather than a gnutls_hmac_hd_t, which took ~840 bytes
	 * per SA whatever the hash (issue 17, memory per client). */
	uint8_t *h;
	uint8_t salt[4];
	uint8_t icv_len; /* on the wire */
};

int esp_crypto_init(struct esp_crypto *x, const struct esp_sa_params *p);
void esp_crypto_deinit(struct esp_crypto *x);
/* Keys x's HMAC for a with a key of any length (esp_crypto_init uses a->key_len): 0 or -ENOMEM. */
int esp_crypto_hmac_key(struct esp_crypto *x, const struct esp_auth_desc *a, const uint8_t *key, size_t len);
/* CBC+HMAC: ICV over [p, p+len) into icv (icv_len bytes). */
int esp_crypto_icv(struct esp_crypto *x, const uint8_t *p, size_t len, uint8_t *icv);
/* CBC: decrypt/encrypt [ct, ct+len) in place with iv. */
int esp_crypto_cbc(struct esp_crypto *x, bool enc, const uint8_t *iv, uint8_t *buf, size_t len);
/* GCM (RFC 4106): nonce = salt || iv8, AAD = the 8-byte ESP header, tag out. */
int esp_crypto_gcm(struct esp_crypto *x, bool enc, const uint8_t *hdr, const uint8_t *iv8, uint8_t *buf,
                   size_t len, uint8_t *tag);

/* Anti-replay window (RFC 4303 §3.4.3 / RFC 6479 ring bitmap). Bits for sequence numbers
 * (top - window, top] are kept in a ring of 64-bit words whose count is a power of two. */
struct esp_replay {
	uint32_t top;    /* highest authenticated sequence number (0 = none yet) */
	uint32_t window; /* bits */
	uint32_t words;  /* ring size in words, power of two, >= window/64 + 1 */
	uint64_t *ring;
};
size_t esp_replay_words(unsigned window);
void esp_replay_init(struct esp_replay *r, unsigned window, uint64_t *ring, size_t words);
/* 0 = may be new, -ESP_DROP_REPLAY / -ESP_DROP_OLD otherwise. No side effect: the window moves
 * only after the ICV verified (RFC 4303 §3.4.3). */
int esp_replay_check(const struct esp_replay *r, uint32_t seq);
/* Record seq (after authentication); returns the same verdict as check. */
int esp_replay_update(struct esp_replay *r, uint32_t seq);

enum esp_state { ESP_SA_LARVAL = 1, ESP_SA_LIVE, ESP_SA_DEAD };

struct esp_sa {
	uint32_t id, spi;
	uint8_t dir, encap, state, inner_proto;
	bool lax_padding, soft_done, hard_pending, soft_pending;
	uint8_t exp_cause;
	uint16_t inner_local_port, inner_peer_port;
	uint64_t owner;
	struct esp_crypto x;
	struct rp_addr local, peer, natoa_peer, natoa_local;
	uint64_t seq_out;                    /* last sequence number sent */
	uint64_t added_ms, soft_at, hard_at; /* absolute; UINT64_MAX = never */
	uint64_t due;                        /* its key in the SAD's timer heap: the earliest of the
	                                      * above still to act on, 0 when a flag is pending */
	size_t hidx;                         /* its place in that heap */
	uint64_t soft_bytes, hard_bytes, bytes_total;
	struct esp_stats st;
	struct esp_replay rp;
	uint64_t ring[]; /* replay bitmap storage (inbound) */
};

struct esp_sad {
	struct esp_conf conf;
	struct rp_rng *rng;
	struct rp_log *log;
	struct esp_sa **tab; /* open addressing, linear probing, backward-shift delete */
	size_t cap, count;
	unsigned bits;     /* log2(cap) */
	uint64_t hash_mul; /* odd, random: lookups of attacker-chosen SPIs probe unpredictably */
	struct rp_evq evq;
	struct esp_stats st, st_out; /* inbound (incl. unknown SPIs) and outbound */
	/* Every SA in the table is in the timer heap (a binary min-heap on esp_sa.due, as the L2TP
	 * core's): esp_tick pops only what is due and esp_next_deadline reads the top, so neither
	 * grows with the SAD. Its capacity never falls below the table's count, so the hot path
	 * (esp_sa_mark: a bytes or sequence limit reached) moves an SA up without allocating. */
	struct esp_sa **heap;
	size_t nheap, heap_cap;
	size_t max_sa; /* SAs and reservations at most (0 = no limit): esp_sad_set_max */
};

struct esp_sa *esp_sad_find(const struct esp_sad *sad, uint32_t id);
/* A flag was set on the hot path (soft_pending/hard_pending): the SA is due at once. */
void esp_sa_mark(struct esp_sad *sad, struct esp_sa *sa);
/* Hot-path accounting: bytes lifetimes and the sequence space flag the SA; esp_tick turns flags
 * into events (no allocation while processing packets). */
void esp_sa_account(struct esp_sad *sad, struct esp_sa *sa, size_t bytes);
void esp_drop(struct esp_sad *sad, struct esp_sa *sa, enum esp_drop why, const struct rp_addr *peer,
              uint32_t spi, uint32_t seq, uint64_t now_ms);

#endif
