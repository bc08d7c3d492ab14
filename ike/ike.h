/* ike: IKEv1 responder (RFC 2408/2409) with pre-shared keys or RSA signatures (certificates),
 * NAT-Traversal (RFC 3947) and Microsoft/Cisco IKEv1 fragmentation.
 *
 *   isakmp.c       ISAKMP header/payload-chain validation and parsing (RFC 2408 §3), bounded reads
 *   isakmp_sa.c    SA / Proposal / Transform payloads and their TV/TLV attributes (RFC 2408 §3.4-3.6)
 *   isakmp_wr.c    message builder through rp_wr (header, generic payloads, SA replies, back-patching)
 *   ike_crypto.c   PRFs, hashes, CBC ciphers, SKEYID*, key expansion, IVs, KEYMAT (RFC 2409 §5, App. B)
 *   ike_dh.c       Diffie-Hellman: MODP 2/5/14/15/16 (GMP mpz_powm_sec), ECP 19/20/21 (nettle)
 *   ike_method.c   security methods in netsh's words ("AES256-SHA1-14", "ESP[AES256,SHA1]"), defaults
 *   ike_prop.c     proposal selection against the methods and the peer's policy (ike_policy.h),
 *                  "why refused" diagnostics, ike_model_mm/qm for modelling
 *   ike_vid.c      vendor IDs (NAT-T RFC/drafts, DPD, Microsoft), NAT-D hashes
 *   ike_sa.c       ike_new/free, IKE SA table, input dispatch, events, key log
 *   ike_timer.c    timer heaps of IKE SAs and IPsec SAs, ike_tick/ike_next_deadline, children by SPI
 *   ike_mm.c       Main Mode responder (RFC 2409 §5, PSK §5.4), aggressive-mode refusal
 *   ike_mm_sig.c   Main Mode with RSA signatures (RFC 2409 §5.1): CERT, CR, SIG in MM4/MM5/MM6
 *   ike_frag.c     Microsoft/Cisco IKEv1 fragmentation (payload 132): strict reassembly, sending
 *   ike_adm.c      admission control: half-open limits per address and in total, the DH budget,
 *                  recently successful addresses, reassembly bytes per address (issue 12)
 *   ike_cert.c     our key and chain, strict PKCS#1 v1.5 raw-hash signatures, ID-vs-certificate match
 *   ike_qm.c       Quick Mode responder (RFC 2409 §5.5), NAT-OA, lifetimes, SA_INSTALL
 *   ike_info.c     Informational exchanges: DELETE, INITIAL-CONTACT, notifies, DPD (RFC 3706)
 *   ike_cli.c      IKEv1 initiator (Main Mode PSK/RSA, Quick Mode, DPD answers; ike_cli.h):
 *                  rampart-load's client role, and the peer of the in-memory tests and fuzz targets
 *
 * Test-only: interop/ike_udp_peer.c (UDP front end for charon and
 * ike-scan), interop/charon.sh, interop/charon_kat.py, test_*.c, fuzz_*.c, bench_ike.c.
 *
 * The core is sans-IO (DESIGN.md): packets and time in, events out. Wiring it (issue 6):
 *  - ike_input: UDP/500 payloads as they are; UDP/4500 after natt_classify() said NATT_IKE and
 *    the 4-byte marker was stripped. pkt->dst must carry the local address and port it came to.
 *  - IKE_EV_SEND: sendto(ev->dst) from the socket bound to ev->src.port; the bytes already have
 *    the marker when src.port is the NAT-T port (conf.natt_port, 4500).
 *  - IKE_EV_SA_INSTALL (struct ike_ev_sa) is emitted when QM2 goes out (as pluto does, so ESP
 *    right after a lost QM3 is not dropped); IKE_EV_SA_DELETE withdraws it when QM3 does not
 *    come within halfopen_ms or the initiator refuses with an error notify, and on every later
 *    deletion (peer DELETE, lifetime, DPD, INITIAL-CONTACT, ike_delete_child).
 *  - The core never starts a Quick Mode (no rekey towards Windows behind NAT, docs/clients.md): at the
 *    end of an IPsec SA's lifetime it sends DELETE and the client re-establishes.
 *  - The conf is copied; the arrays and PSKs it points to must outlive the core. The rng should be
 *    rp_rng_gnutls(level 2): it draws DH private values as well as cookies and nonces.
 *  - Certificates: the daemon reads our chain and key files (PEM -> DER) into conf.cert_chain /
 *    conf.key_der, the CA(s) we name in CR into conf.cr_cas, and sets conf.cert_verify to auth/'s
 *    validator (chain validation + certificate-to-account mapping + rights). The account it
 *    returns is in ike_ev_ike.account and ike_ev_sa.account, for L2TP/PPP. Refusals are answered
 *    with the verdict's notify under phase-1 keys and logged with its reason.
 *  - ike_next_deadline()/ike_tick() read timer heaps (ike_timer.c): O(1) when nothing is due,
 *    O(log n) per IKE packet (only the SA it was for is re-keyed) and per due timer.
 */
#ifndef IKE_H
#define IKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gnutls/abstract.h>

#include "ike_policy.h"
#include "rp_base.h"

/* ---- numbers (RFC 2409 appendix A, RFC 2407 §4.5, IANA "IPsec DOI" / "IKE attributes") ------- */

enum ike_enc { IKE_ENC_3DES = 5, IKE_ENC_AES = 7 };
enum ike_hash {
	IKE_HASH_MD5 = 1,
	IKE_HASH_SHA1 = 2,
	IKE_HASH_SHA256 = 4,
	IKE_HASH_SHA384 = 5,
	IKE_HASH_SHA512 = 6
};
enum ike_authm { IKE_AUTH_PSK = 1, IKE_AUTH_RSA_SIG = 3 };
/* ESP transform IDs (RFC 2407 §4.4.4) and ESP authentication algorithms (§4.5) */
/* AES_GCM_16: RFC 4106 §8.3 (16-octet ICV), a combined mode: no authentication algorithm attribute */
enum ike_esp_tf { IKE_ESP_3DES = 3, IKE_ESP_AES = 12, IKE_ESP_AES_GCM_16 = 20 };
enum ike_esp_auth {
	IKE_AUTH_HMAC_MD5 = 1,
	IKE_AUTH_HMAC_SHA1 = 2,
	IKE_AUTH_HMAC_SHA256 = 5,
	IKE_AUTH_HMAC_SHA384 = 6,
	IKE_AUTH_HMAC_SHA512 = 7,
};
/* Encapsulation mode (RFC 2407 §4.5, RFC 3947 §5.1, draft-ietf-ipsec-nat-t-ike-02 §5) */
enum ike_encap {
	IKE_ENCAP_TUNNEL = 1,
	IKE_ENCAP_TRANSPORT = 2,
	IKE_ENCAP_UDP_TUNNEL = 3,
	IKE_ENCAP_UDP_TRANSPORT = 4,
	IKE_ENCAP_UDP_TUNNEL_DRAFT = 61443,
	IKE_ENCAP_UDP_TRANSPORT_DRAFT = 61444,
};

#define IKE_ID_STRLEN 128
#define IKE_ACCOUNT_LEN 64

/* ---- configuration ------------------------------------------------------------------------- */

enum ike_psk_kind {
	IKE_PSK_ANY = 0,      /* global fallback */
	IKE_PSK_ADDR,         /* peer outer address within addr/plen */
	IKE_PSK_ID_IPV4,      /* the peer's ID payload (ID_IPV4_ADDR) equals id (dotted quad) */
	IKE_PSK_ID_FQDN,      /* ID_FQDN equals id (case-insensitive) */
	IKE_PSK_ID_USER_FQDN, /* ID_USER_FQDN equals id */
};

struct ike_psk {
	enum ike_psk_kind kind;
	struct rp_addr addr; /* IKE_PSK_ADDR */
	uint8_t plen;        /* prefix length for IKE_PSK_ADDR */
	const char *id;      /* IKE_PSK_ID_* */
	const uint8_t *key;
	size_t keylen;
};

/* One phase-1 or phase-2 algorithm choice. Lists are ordered by preference, strongest first. */
struct ike_p1_alg {
	uint16_t enc, keylen; /* ike_enc, key bits (0 for 3DES) */
	uint16_t hash;        /* ike_hash (also the PRF: HMAC of it, RFC 2409 §5) */
	uint16_t group;       /* DH group */
};

/* ---- certificates (RSA signature authentication, RFC 2409 §5.1) ------------------------------ */

/* The peer's phase-1 identity as sent in its ID payload (RFC 2407 §4.6.2). */
struct ike_peer_id {
	uint8_t type;        /* ISAKMP_ID_*: 1 IPV4, 2 FQDN, 3 USER_FQDN, 5 IPV6, 9 DER_ASN1_DN */
	const uint8_t *data; /* the identification data (a DER Name for DER_ASN1_DN) */
	size_t len;
	char str[IKE_ID_STRLEN]; /* printable */
};

struct ike_cert_verdict {
	bool accept;
	char account[IKE_ACCOUNT_LEN]; /* accept: the mapped account, carried into IKE_UP / SA_INSTALL */
	char reason[400]; /* refuse: for the log line ("expired", "unknown CA", "revoked", ...) */
	/* refuse: the notify to answer with; 0 = AUTHENTICATION-FAILED (24). Others that fit:
	 * INVALID-CERTIFICATE (20, e.g. expired, revoked), INVALID-CERT-AUTHORITY (22, unknown CA),
	 * CERT-UNAVAILABLE (28), INVALID-ID-INFORMATION (18). */
	uint16_t notify;
	/* accept: the key to check SIG with; NULL = the core takes it from chain_der[0]. The core
	 * owns it afterwards (gnutls_pubkey_deinit), also on refusal. */
	gnutls_pubkey_t pubkey;
};

/* Validates the peer's chain (leaf first, as received in CERT payloads, encoding 4) and maps it
 * to an account. Called in MM5 after the core checked that the ID payload matches the leaf
 * (ike_cert_id_match); before SIG is verified (the core verifies SIG with verdict.pubkey after
 * an accept). pol: the peer's NEGOTIATE rule (its rootca and certmap decide), NULL when no rule
 * matched. now_ms is the core's clock (monotonic: validators use wall-clock time themselves).
 * Return 0 with *out filled (accept or refuse), -1 on internal error (= refuse). */
typedef int (*ike_cert_verify_fn)(void *ctx, const uint8_t *const *chain_der, const size_t *lens, size_t n,
                                  const struct ike_peer_id *id, const struct ike_peer_policy *pol,
                                  uint64_t now_ms, struct ike_cert_verdict *out);

enum ike_cert_send {
	IKE_CERT_SEND_IF_ASKED = 0, /* our chain in MM6 only when the peer sent a CR (RFC 2408 §3.10) */
	IKE_CERT_SEND_ALWAYS,
};

struct ike_conf {
	/* PSK lookup order (RFC 2409 §5.4: in Main Mode the responder must pick the key before it
	 * sees the ID, so the address matters first): ID match in MM5 overrides, else the most
	 * specific address match, else the global one. See ike_psk_find(). */
	const struct ike_psk *psks;
	size_t npsk;

	/* Security methods (issue 13; netsh's words, ike_policy.h), best first. A transform the client
	 * offers is accepted only when one method matches it as a whole (cipher and key size, hash,
	 * group; for ESP cipher, key size and integrity): a weak algorithm allowed in one combination
	 * is not allowed in any other. NULL/0 = ike_mm_methods_default / ike_qm_methods_default, which
	 * connect every set in docs/clients.md and leave out DES, MD5 and MODP-768/1024 except the
	 * three MODP-1024 methods old Windows and Android 5 need (ike_method.c).
	 * p1_groups (the configuration's dh_groups) filters the configuration's Main Mode methods:
	 * with the default methods its order decides first (then the method order), with configured
	 * methods only theirs does. A rule's methods (policy below) are used as they are.
	 * p2_groups: accepted PFS groups (the client decides whether to use PFS). */
	const struct ike_mm_method *mm_methods;
	size_t nmm_methods;
	const struct ike_qm_method *qm_methods;
	size_t nqm_methods;
	const uint16_t *p1_groups;
	size_t np1_groups;
	const uint16_t *p2_groups;
	size_t np2_groups;

	/* Per-peer IPsec policy (ike_policy.h), asked at Main Mode's first message (BLOCK/PERMIT
	 * refuse, NEGOTIATE may bring its own methods and restrict the authentication methods), at
	 * PSK selection (the rule's key) and at each Quick Mode (its methods, PFS group, lifetimes).
	 * A NEGOTIATE answer with neither auth_psk nor auth_cert set allows what the configuration
	 * allows. NULL = every peer negotiates with the configuration, as before. */
	ike_policy_fn policy;
	void *policy_ctx;

	uint32_t p1_life_max_s;  /* default 28800 (Windows' own, docs/clients.md) */
	uint32_t p2_life_max_s;  /* default 3600 */
	uint32_t p2_life_max_kb; /* 0 = no kilobyte limit of ours */
	uint32_t halfopen_ms;   /* a phase-1 or quick-mode exchange not completed in time is dropped; 30000 */
	uint32_t dpd_idle_s;    /* send R-U-THERE after this much silence (peers that advertise DPD); 30 */
	uint32_t dpd_timeout_s; /* declare the peer dead after this; 120 */
	size_t max_sa;          /* refuse new exchanges beyond this many IKE SAs; 0 = 262144 */
	/* Admission control (ike_adm.c, issue 12); 0 = the default in brackets. */
	size_t max_halfopen;    /* half-open Main Modes in total [16384]; beyond it the oldest one whose
	                         * peer never answered MM2 (a spoofed source) makes room */
	size_t max_halfopen_ip; /* half-open Main Modes per peer IP (any port) [1024] */
	size_t max_sa_payload;  /* bytes of MM1 SA payload accepted (kept for HASH_I/R) [2048] */
	uint32_t dh_per_s;      /* Main Mode DH computations per second (MODP-2048 equivalents: a
	                         * MODP-4096 one counts ~6, ECP-256 0.2) for peers without a recent
	                         * success [400]; peers with one are not limited */
	uint32_t max_child;     /* IPsec SA pairs (and Quick Modes in progress) per IKE SA [16] */
	size_t frag_per_ip;     /* fragment reassembly bytes per peer IP [262144] */

	/* Inbound SPI allocation belongs to the ESP SAD (esp_spi_alloc): spi_alloc returns a fresh
	 * SPI (>255) that collides with no live or reserved one. spi_release is called only for an
	 * SPI that never reached IKE_EV_SA_INSTALL (a Quick Mode that failed before it); installed
	 * SPIs end with IKE_EV_SA_DELETE (esp_sa_delete frees them). NULL = random SPIs from the rng,
	 * checked against this core's own (tests). */
	int (*spi_alloc)(void *ctx, uint32_t *spi);
	void (*spi_release)(void *ctx, uint32_t spi);
	void *spi_ctx;

	/* RSA signatures (auth method 3) are accepted only when all of cert_chain, key_der and
	 * cert_verify are set; otherwise proposals are PSK-only as before. The DER buffers must
	 * outlive the core (the key is imported once in ike_new, which fails if it is unusable). */
	const uint8_t *const *cert_chain; /* our chain, DER X.509, leaf first */
	const size_t *cert_chain_lens;
	size_t ncert_chain;
	const uint8_t *key_der; /* our RSA private key, DER (PKCS#1 or PKCS#8 unencrypted) */
	size_t key_der_len;
	/* CAs we name in our CR (MM4, one CR each with the CA's subject DN); none = one CR naming no
	 * CA (any). DER X.509 certificates. */
	const uint8_t *const *cr_cas;
	const size_t *cr_ca_lens;
	size_t ncr_ca;
	enum ike_cert_send cert_send;
	ike_cert_verify_fn cert_verify;
	void *cert_ctx;

	/* IKEv1 fragmentation (ike_frag.c), with peers that sent the FRAGMENTATION vendor ID (Windows
	 * with certificates): our messages whose IP packet would exceed frag_mtu go out in fragments
	 * (0 = 576, the IPv4 minimum); an unfinished reassembly is dropped after frag_timeout_ms
	 * (0 = 5000). */
	uint16_t frag_mtu;
	uint32_t frag_timeout_ms;

	bool keylog;        /* emit IKE_EV_KEYLOG lines (Wireshark ikev1_decryption_table) */
	uint16_t natt_port; /* our NAT-T port (messages from it carry the non-ESP marker); 0 = 4500 */
};

void ike_conf_defaults(struct ike_conf *c);

/* Modelling (`rampartctl ipsec model`): what the core would answer a peer offering these Main
 * Mode methods with auth (IKE_AUTH_PSK, or IKE_AUTH_RSA_SIG; 0 = PSK), or these Quick Mode methods
 * with pfs_group (0 = none), under pol (the policy's answer for that peer; NULL = no rule): the
 * selection the core runs. 0 with *chosen, or -1 with why, the text of the refusal's log line
 * ("blocked by rule r1 (store local)", "refused by rule r1 (store local): offered ...; allowed
 * ..."). c need not have been through ike_new: unset lists are the defaults. */
int ike_model_mm(const struct ike_conf *c, const struct ike_peer_policy *pol,
                 const struct ike_mm_method *offer, size_t n, uint16_t auth, struct ike_mm_method *chosen,
                 char *why, size_t whylen);
int ike_model_qm(const struct ike_conf *c, const struct ike_peer_policy *pol,
                 const struct ike_qm_method *offer, size_t n, uint16_t pfs_group,
                 struct ike_qm_method *chosen, char *why, size_t whylen);

/* ---- events (rp_ev.type; payload described per type) ----------------------------------------- */

enum ike_ev_type {
	/* data = the UDP payload to send from src to dst exactly as is. When src.port is the NAT-T
	 * port (conf.natt_port) the 4-byte non-ESP marker (RFC 3948 §2.2) is already in front. */
	IKE_EV_SEND = 1,
	IKE_EV_SA_INSTALL, /* data = struct ike_ev_sa, keys filled */
	IKE_EV_SA_DELETE,  /* data = struct ike_ev_sa, keys zero */
	IKE_EV_IKE_UP,     /* data = struct ike_ev_ike */
	IKE_EV_IKE_DOWN,   /* data = struct ike_ev_ike */
	IKE_EV_KEYLOG,     /* data = one text line without newline, e.g. for the keylog file */
};

struct ike_ev_ike {
	uint8_t icky[8], rcky[8];
	struct rp_addr local, peer; /* outer, current ports */
	char peer_id[IKE_ID_STRLEN];
	char account[IKE_ACCOUNT_LEN]; /* certificate authentication: the mapped account; "" with PSK */
	bool natt;                     /* NAT-T in use (port 4500) */
	bool peer_natd;                /* the peer is behind a NAT */
	uint32_t life_s;               /* phase-1 lifetime */
	char reason[64];               /* IKE_DOWN: why */
};

struct ike_ev_keys {
	uint8_t enc[36];  /* encryption key (3DES 24, AES 16/24/32; AES-GCM the key then its 4-byte
	                   * salt, RFC 4106 §8.1: 20/28/36) */
	uint8_t auth[64]; /* integrity key (MD5 16, SHA1 20, SHA2 32/48/64; none with AES-GCM) */
	uint8_t enc_len, auth_len;
};

struct ike_ev_sa {
	uint8_t icky[8], rcky[8]; /* the IKE SA it belongs to */
	uint32_t spi_in, spi_out; /* in: ours (peer → us), out: the peer's (us → peer) */
	uint16_t esp_transform;   /* ike_esp_tf */
	uint16_t auth_alg;        /* ike_esp_auth; 0 with AES-GCM */
	uint16_t enc_key_bits;
	uint16_t encap;             /* as negotiated: 2, 4 or 61444 */
	bool udp_encap;             /* RFC 3948 ESP-in-UDP on 4500 */
	bool local_natd;            /* we are behind a NAT (NAT-D): keepalives are ours to send */
	struct rp_addr local, peer; /* outer endpoints (ports meaningful when udp_encap) */
	struct rp_addr peer_inner;  /* NAT-OA original address (or outer), port = client's L2TP port
	                             * from its ID (0 = any) */
	struct rp_addr local_inner; /* our address as the client sees it (its NAT-OA for us, or ours) */
	uint8_t proto;              /* 17 */
	uint32_t life_s;
	uint32_t life_kb; /* 0 = none */
	char peer_id[IKE_ID_STRLEN];
	char account[IKE_ACCOUNT_LEN]; /* of its IKE SA (certificate authentication), else "" */
	struct ike_ev_keys in, out;
};

/* ---- counters ------------------------------------------------------------------------------ */

/* How negotiations ended, for `show stats`. Phase 1 is counted once per IKE SA (a PSK mismatch
 * when its first MM5 fails to authenticate, a timeout only for SAs that never got a verdict);
 * refusals that create no SA (no proposal, Aggressive Mode, the SA limit) once per message. */
enum ike_result {
	IKE_R_OK,           /* Main Mode completed */
	IKE_R_PSK_MISMATCH, /* MM5 did not authenticate with any candidate key */
	IKE_R_NO_PROPOSAL,  /* nothing in the offer is allowed (dh_groups, ciphers) */
	IKE_R_CERT_REFUSED, /* the certificate or its account was refused */
	IKE_R_TIMEOUT,      /* a half-open Main Mode never finished */
	IKE_R_AGGRESSIVE,   /* Aggressive Mode refused */
	IKE_R_LIMIT,        /* the IKE SA limit was reached */
	IKE_R_QM_OK,        /* Quick Mode installed an SA pair */
	IKE_R_QM_NO_PROPOSAL,
	IKE_R_N
};
/* Main Mode durations, from MM1 received to MM6 sent on the core's clock (the client's round trips
 * and our DH included): mm_ms[i] counts those <= ike_mm_ms_le[i] (and above the bound before), the
 * last slot those above every bound; mm_ms_sum adds them all up (a Prometheus histogram). */
#define IKE_MM_HIST 9
extern const unsigned ike_mm_ms_le[IKE_MM_HIST - 1];
/* Admission control: what was refused or deferred (each also logged once per interval). */
enum ike_adm {
	IKE_A_HALFOPEN_IP,    /* MM1 refused: max_halfopen_ip from that address */
	IKE_A_HALFOPEN_TOTAL, /* MM1 refused: max_halfopen and nobody to evict */
	IKE_A_EVICTED,        /* a half-open SA whose peer never answered MM2 made room */
	IKE_A_SA_PAYLOAD,     /* MM1 SA payload over max_sa_payload */
	IKE_A_DH_DEFERRED,    /* MM3 dropped: the DH budget (dh_per_s) was spent; the peer resends */
	IKE_A_MM3_SOURCE,     /* MM3 from another address than MM1's */
	IKE_A_CHILD_LIMIT,    /* Quick Mode refused: max_child on its IKE SA */
	IKE_A_FRAG_IP,        /* fragment dropped: frag_per_ip from that address */
	IKE_A_UNANSWERED,     /* a half-open SA whose peer never answered MM2 timed out (spoofed) */
	IKE_A_N
};
const char *ike_adm_name(enum ike_adm a); /* "halfopen_per_ip", ... */
struct ike_stats {
	uint64_t result[IKE_R_N];
	uint64_t adm[IKE_A_N];
	uint64_t halfopen;     /* half-open IKE SAs now */
	uint64_t dh_preferred; /* DH computations done for peers with a recent success */
	uint64_t frag_bytes;   /* held by IKE fragment reassemblies now */
	uint64_t mm_ms[IKE_MM_HIST];
	uint64_t mm_ms_sum;
};
struct ike;
const char *ike_result_name(enum ike_result r); /* "ok", "psk_mismatch", ... */
void ike_get_stats(const struct ike *ike, struct ike_stats *st);

/* ---- the core ------------------------------------------------------------------------------ */

struct ike;

struct ike *ike_new(const struct ike_conf *conf, struct rp_rng *rng, struct rp_log *log);
void ike_free(struct ike *ike);
/* Reload: the next negotiations use conf (copied, as in ike_new; its arrays, PSKs and DER
 * buffers must outlive the core or the next ike_reconf); established SAs keep their values.
 * spi_alloc/spi_release/spi_ctx are kept from ike_new. -1 (old conf kept) if our key is unusable. */
int ike_reconf(struct ike *ike, const struct ike_conf *conf);
/* pkt->data is an ISAKMP message (on 4500 the caller has stripped the non-ESP marker, see
 * natt_classify); pkt->dst.port tells the port it arrived on. Returns 0, or -1 when dropped. */
int ike_input(struct ike *ike, const struct rp_pkt *pkt, uint64_t now_ms);
int ike_tick(struct ike *ike, uint64_t now_ms);
uint64_t ike_next_deadline(const struct ike *ike); /* UINT64_MAX when idle */
struct rp_ev *ike_next_event(struct ike *ike);     /* caller frees with rp_ev_free */

/* Delete one IPsec SA pair (by our inbound SPI) or all SAs of a peer, telling the peer
 * (DELETE notify) — e.g. when the L2TP tunnel closed or the ESP SA hit its byte limit. */
int ike_delete_child(struct ike *ike, uint32_t spi_in, uint64_t now_ms);
/* The first ESP packet authenticated on our inbound SA spi_in: the initiator holds the Quick
 * Mode's keys, so a QM3 that was lost on the way no longer withdraws the pair (what QM3 proves,
 * RFC 2409 §5.5, that packet proves too). 0 when it completed a Quick Mode, 1 when none was
 * waiting, -1 when there is no such SA. */
int ike_child_proven(struct ike *ike, uint32_t spi_in, uint64_t now_ms);
/* Delete one IKE SA (by cookies) with its IPsec SAs, telling the peer (DELETE for each IPsec SA,
 * then for the ISAKMP SA): e.g. when L2TP found the peer dead (Windows does no DPD). */
int ike_delete_ike(struct ike *ike, const uint8_t icky[8], const uint8_t rcky[8], uint64_t now_ms);
/* The IPsec policy changed (issue 13): every IKE SA and IPsec SA pair whose peer a rule now
 * BLOCKs is deleted (DELETE sent where an IKE SA can carry it, the refusal as the reason), as
 * the Windows policy agent drops the SAs a new block filter covers. Other changes (methods, a
 * PSK, permit) apply from the peer's next negotiation: SAs already up keep their terms until
 * they are re-keyed or end. Returns the established IKE SAs and IPsec SA pairs deleted; the
 * events are queued as usual. */
size_t ike_policy_sweep(struct ike *ike, uint64_t now_ms);
/* Shutdown: the same for every IKE SA and orphaned IPsec SA; the events are queued as usual. */
void ike_delete_all(struct ike *ike, uint64_t now_ms);
/* One established IKE SA, for `show sas` and the monitor. -1 when there is none by these cookies. */
struct ike_sa_info {
	char proposal[64]; /* e.g. "AES-CBC-256/SHA1/MODP-2048" */
	bool rsa_sig;      /* authenticated by certificate (else PSK) */
	uint32_t life_s;
	uint64_t established_ms, expire_ms; /* the core's clock */
	bool peer_natd, local_natd;
};
int ike_sa_get_info(const struct ike *ike, const uint8_t icky[8], const uint8_t rcky[8],
                    struct ike_sa_info *out);
/* Count of IKE SAs (any state) and of installed IPsec SA pairs. */
size_t ike_sa_count(const struct ike *ike);
size_t ike_child_count(const struct ike *ike);

/* Wireshark "IKEv1 Decryption Table" (file ikev1_decryption_table in the profile, or tshark
 * -o "uat:ikev1_decryption_table:LINE") line: <initiator cookie hex>,<encryption key hex> */
int ike_keylog_line(char *out, size_t n, const uint8_t icky[8], const uint8_t *key, size_t keylen);

#endif
