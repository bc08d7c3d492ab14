/* esp: the IPsec ESP data plane (RFC 4303) — SAD, transforms, anti-replay, in-place transport-mode
 * encapsulation and decapsulation, UDP encapsulation (RFC 3948), lifetimes. Sans-IO: packets,
 * time and randomness in; in-place results and pulled events out. No allocation on the hot path.
 *
 *   esp_xform.c   transform table (IKEv1 IDs -> GnuTLS algorithms), per-SA crypto contexts
 *   esp_replay.c  RFC 4303 §3.4.3 anti-replay window (ring bitmap, check then update)
 *   esp_sad.c     SA database: SPI allocation, add/delete, lookup, lifetimes, tick, events, stats
 *   esp_in.c      esp_decap: inbound processing (lookup, replay, ICV, decrypt, trailer, selectors)
 *   esp_out.c     esp_encap: outbound processing (sequence, padding, IV, encrypt, ICV)
 *   esp_keylog.c  Wireshark esp_sa UAT lines for every SA, and a 0600 file appender
 *
 * Wiring (server/): one esp_sad per process, created with rp_rng_gnutls(&rng, 0) (server/base). IKE Quick
 * Mode as responder: esp_spi_alloc for our inbound SPI -> QM2; on SA_INSTALL, esp_sa_add twice (inbound with
 * that SPI, outbound with the peer's SPI), keys from KEYMAT (RFC 2409 §5.5: encryption key first, then the
 * integrity key; for GCM the 4-byte salt follows the key, RFC 4106 §8.1), encap UDP when
 * natt_float_udp_encap(), natoa_peer from the peer's NAT-OAi. UDP/4500 datagrams that natt_classify() calls
 * ESP, and raw protocol 50 (src.port = 0), go to esp_decap; an inbound esp_rx.peer_moved calls for
 * esp_sa_set_peer on the outbound twin. L2TP output: natt_udp_push (1701 -> peer port), esp_encap, send to
 * esp_tx.peer. Timers: esp_next_deadline/esp_tick, then drain esp_next_event (SOFT_EXPIRE: rekey or delete;
 * HARD_EXPIRE: the SA is gone, send IKE Delete; KEYLOG: esp_keylog_append(path, line) when esp_conf.keylog is
 * set).
 */
#ifndef ESP_H
#define ESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rp_base.h"

/* Transform identifiers are the IPsec DOI (RFC 2407 §4.4.4, IANA "IPsec ESP transform
 * identifiers") and IKEv1 "Authentication Algorithm" attribute values (RFC 2407 §4.5; RFC 4868
 * §2.1 for SHA-2), so an IKE Quick Mode result maps onto esp_sa_params without translation. */
enum esp_encr {
	ESP_ENCR_3DES = 3,
	ESP_ENCR_AES_CBC = 12,    /* with key length 128/192/256 */
	ESP_ENCR_AES_GCM_16 = 20, /* RFC 4106, 16-octet ICV, key length 128/256 (192 accepted) */
};

enum esp_auth {
	ESP_AUTH_NONE = 0, /* only with AES-GCM */
	ESP_AUTH_HMAC_MD5 = 1,
	ESP_AUTH_HMAC_SHA1 = 2,
	ESP_AUTH_HMAC_SHA2_256 = 5,
	ESP_AUTH_HMAC_SHA2_384 = 6,
	ESP_AUTH_HMAC_SHA2_512 = 7,
};

enum esp_dir { ESP_DIR_IN = 1, ESP_DIR_OUT = 2 };
enum esp_encap { ESP_ENCAP_NONE = 0, ESP_ENCAP_UDP = 1 /* RFC 3948 UDP/4500 */ };

#define ESP_KEY_MAX 64          /* bytes: largest key is HMAC-SHA2-512's 64 */
#define ESP_REPLAY_DEFAULT 1024 /* bits */
#define ESP_REPLAY_MAX 8192
#define ESP_L2TP_PORT 1701

/* Every reason a packet is dropped; counted per SA (when the SA is known) and per SAD. */
enum esp_drop {
	ESP_DROP_TRUNCATED = 1, /* shorter than header+IV+block+ICV, or not block-aligned */
	ESP_DROP_UNKNOWN_SPI,   /* never answered: no amplification, no oracle */
	ESP_DROP_ENCAP,         /* raw ESP on a UDP-encapsulated SA or the other way round */
	ESP_DROP_REPLAY,        /* sequence number already seen inside the window */
	ESP_DROP_OLD,           /* sequence number left of the window (or zero) */
	ESP_DROP_ICV,           /* integrity check failed */
	ESP_DROP_PAD,           /* pad length too long, or padding bytes not 1,2,3,... */
	ESP_DROP_NEXT_HEADER,   /* not the negotiated inner protocol (UDP in transport mode) */
	ESP_DROP_DUMMY,         /* next header 59: RFC 4303 §2.6 dummy packet, silently discarded */
	ESP_DROP_SELECTOR,      /* inner UDP header bad, or ports outside the SA's selectors */
	ESP_DROP_EXPIRED,       /* hard lifetime reached */
	ESP_DROP_CRYPTO,        /* the crypto library failed */
	ESP_DROP_MAX
};
const char *esp_drop_name(enum esp_drop d);

struct esp_stats {
	uint64_t packets, bytes; /* authenticated and delivered (in) or produced (out); bytes = inner */
	uint64_t drops[ESP_DROP_MAX];
};

struct esp_conf {
	unsigned replay_window; /* default for SAs that leave it 0; 0 here = ESP_REPLAY_DEFAULT */
	uint64_t larval_ms;     /* how long an SPI from esp_spi_alloc stays reserved (0 = 60 s) */
	bool keylog;            /* emit ESP_EV_KEYLOG with a Wireshark esp_sa line per SA added */
};

struct esp_sa_params {
	enum esp_dir dir;
	/* Inbound: 0 = allocate a random SPI now, or one reserved with esp_spi_alloc (IKE must put
	 * its SPI in Quick Mode before the keys exist). Outbound: the peer's SPI, used on the wire. */
	uint32_t spi;
	uint64_t owner; /* the caller's cookie (e.g. its session id), echoed in esp_rx and events */
	enum esp_encr encr;
	unsigned encr_keybits; /* AES 128/192/256; 3DES 192; for GCM the key without the salt */
	enum esp_auth auth;
	bool sha256_96; /* Android 6/7 quirk: HMAC-SHA2-256 truncated to 96 bits (pre-RFC 4868) */
	uint8_t enc_key[ESP_KEY_MAX]; /* GCM: key || 4-byte salt (RFC 4106 §8.1) */
	size_t enc_key_len;
	uint8_t auth_key[ESP_KEY_MAX];
	size_t auth_key_len;
	/* Outer endpoints. For ESP_ENCAP_UDP the ports are the UDP ports (4500 / the NAT's port);
	 * for ESP_ENCAP_NONE ports are 0. Inbound packets must come from peer's IP (any port: NAT
	 * rebinding moves the endpoint after authentication, DESIGN.md). */
	struct rp_addr local, peer;
	enum esp_encap encap;
	/* RFC 3947 §5.2 NAT-OA: the peer's original (pre-NAT) address from Quick Mode. With it the
	 * inner UDP checksum is fixed incrementally (RFC 3948 §3.1.2); without it, behind a NAT the
	 * checksum is set to zero (allowed for UDP over IPv4). family 0 = unknown. */
	struct rp_addr natoa_peer;
	struct rp_addr natoa_local; /* NAT-OA for our side as the peer saw it (server behind NAT) */
	unsigned replay_window;     /* inbound, bits: 0 = SAD default; rounded up to a multiple of 64 */
	uint8_t inner_proto;        /* transport-mode next header: 0 = UDP (17), the L2TP case; others
	                             * are carried opaquely (used by the RFC vector tests) */
	uint16_t inner_local_port;  /* transport-mode selector: inner UDP port on our side; 0 = any */
	uint16_t inner_peer_port;   /* 0 = any (macOS proposes port 0, docs/clients.md) */
	bool lax_padding;           /* do not insist on the default 1,2,3,... padding bytes */
	uint64_t soft_ms, hard_ms;  /* lifetimes relative to esp_sa_add's now_ms, rounded up to whole
	                             * seconds; 0 = none */
	uint64_t soft_bytes, hard_bytes;
};

/* The result of a successful esp_decap. The buffer now spans the inner UDP datagram (header
 * included); payload points into it after the UDP header (for L2TP, the L2TP header). For an SA
 * whose inner_proto is not UDP, payload is the whole inner packet and the ports are 0. */
struct esp_rx {
	uint32_t sa_id, spi;
	uint64_t owner;
	uint8_t next_header;
	uint16_t sport, dport; /* inner UDP ports */
	const uint8_t *payload;
	size_t payload_len;
	bool peer_moved; /* the outer source changed and was adopted (NAT rebinding) */
	bool first;      /* the first packet that authenticated on this SA */
	struct rp_addr peer;
};

/* Where esp_encap's output goes: the caller sends buf to peer (via UDP/4500 when encap says so,
 * else raw IP protocol 50). esp_encap never adds the outer UDP header: the socket does
 * (natt_udp_push builds one for raw sends and captures). */
struct esp_tx {
	struct rp_addr local, peer;
	enum esp_encap encap;
};

enum esp_ev_type {
	ESP_EV_SOFT_EXPIRE = 1, /* payload struct esp_ev_sa: rekey or delete now */
	ESP_EV_HARD_EXPIRE,     /* payload struct esp_ev_sa: the SA is gone from the SAD */
	ESP_EV_KEYLOG,          /* payload: one esp_sa UAT line, NUL-terminated, no newline */
};
enum esp_exp_cause { ESP_EXP_TIME = 1, ESP_EXP_BYTES, ESP_EXP_SEQ };

struct esp_ev_sa {
	uint32_t sa_id, spi;
	uint64_t owner;
	uint8_t dir, cause;
};

struct esp_sad;

struct esp_sad *esp_sad_new(const struct esp_conf *conf, struct rp_rng *rng, struct rp_log *log);
void esp_sad_free(struct esp_sad *sad);
void esp_sad_set_keylog(struct esp_sad *sad, bool on);

/* Reserve a random, non-zero SPI (> 255, RFC 4303 §2.1) not used by any live or larval SA. */
int esp_spi_alloc(struct esp_sad *sad, uint64_t now_ms, uint32_t *spi);
void esp_spi_release(struct esp_sad *sad, uint32_t spi); /* an unused reservation */

/* Install an SA. *sa_id is the handle for esp_encap/esp_sa_del: for inbound SAs it equals the
 * SPI; outbound SAs get a random id of their own (peers' SPIs may collide). Keys are copied;
 * the caller should wipe its params. 0 or -EINVAL (unsupported transform/key length), -EEXIST,
 * -ENOMEM. */
int esp_sa_add(struct esp_sad *sad, const struct esp_sa_params *p, uint64_t now_ms, uint32_t *sa_id);
int esp_sa_del(struct esp_sad *sad, uint32_t sa_id);
size_t esp_sad_count(const struct esp_sad *sad);
/* At most max_sa entries (SAs and SPI reservations; 0 = no limit): beyond it esp_spi_alloc and
 * esp_sa_add return -ENOSPC. Lowering it below the count ends nothing. */
void esp_sad_set_max(struct esp_sad *sad, size_t max_sa);

/* Inbound, in place. src is the outer source: port 0 when it came as IP protocol 50, the UDP
 * source port when it came inside UDP/4500 (natt_classify said ESP). On success returns 0 and
 * fills rx; otherwise -(enum esp_drop), the packet is to be discarded (it was counted and logged;
 * the buffer contents are unspecified). Never produces a reply. */
int esp_decap(struct esp_sad *sad, struct rp_buf *b, const struct rp_addr *src, uint64_t now_ms,
              struct esp_rx *rx);

/* Outbound, in place: b holds the inner UDP datagram; needs ESP_HEADROOM bytes of headroom and
 * ESP_TAILROOM of tailroom. Returns 0 and fills tx (may be NULL), or -ENOENT (no such outbound
 * SA), -ENOSPC (no room), -ETIME (expired: hard lifetime or sequence space), -EIO (crypto). */
#define ESP_HEADROOM (8 + 16)      /* SPI, sequence, IV */
#define ESP_TAILROOM (16 + 1 + 32) /* padding, pad length + next header, ICV */
int esp_encap(struct esp_sad *sad, uint32_t sa_id, struct rp_buf *b, uint64_t now_ms, struct esp_tx *tx);

/* Lifetimes (sans-IO): call esp_tick at esp_next_deadline (UINT64_MAX when nothing is due),
 * then drain esp_next_event (caller frees with rp_ev_free). Both are O(1) when nothing is due
 * (a timer heap): calling esp_tick after every packet costs nothing whatever the SAD's size. */
int esp_tick(struct esp_sad *sad, uint64_t now_ms);
uint64_t esp_next_deadline(const struct esp_sad *sad);
struct rp_ev *esp_next_event(struct esp_sad *sad);

int esp_sa_stats(const struct esp_sad *sad, uint32_t sa_id, struct esp_stats *out);
/* Totals over all SAs (deleted ones included) per direction; inbound counts unknown SPIs too. */
const struct esp_stats *esp_sad_stats(const struct esp_sad *sad, enum esp_dir dir);
/* The SA's current outer peer (after NAT rebinding) and next outbound sequence number. */
int esp_sa_peer(const struct esp_sad *sad, uint32_t sa_id, struct rp_addr *peer);
int esp_sa_seq(const struct esp_sad *sad, uint32_t sa_id, uint64_t *seq);
/* Move an SA's outer peer, e.g. the outbound SA after esp_rx.peer_moved on its inbound twin. */
int esp_sa_set_peer(struct esp_sad *sad, uint32_t sa_id, const struct rp_addr *peer);

/* Key log. esp_keylog_line formats the Wireshark "esp_sa" UAT record for an SA (addresses from
 * p->local/p->peer by direction; "*" when unset), e.g.
 *   "IPv4","203.0.113.2","203.0.113.1","0xc52124a7","AES-CBC [RFC3602]","0x…","HMAC-SHA-1-96 [RFC2404]","0x…"
 * Returns the length or -1. Put lines in $XDG_CONFIG_HOME/wireshark/esp_sa and run tshark with
 * -o esp.enable_encryption_decode:TRUE. esp_keylog_append is the only I/O in esp/: it appends a
 * line to path, creating the file 0600 (and forcing 0600 on an existing file). */
int esp_keylog_line(const struct esp_sa_params *p, uint32_t spi, char *out, size_t n);
int esp_keylog_append(const char *path, const char *line);

#endif
