/* ike/ private declarations: crypto, DH, proposals, SA state. Not for other modules. */
#ifndef IKE_LOCAL_H
#define IKE_LOCAL_H

#include <gmp.h>
#include <stddef.h>
#include <nettle/ecc.h>

#include "ike.h"
#include "isakmp.h"

#define IKE_MAXHASH 64  /* SHA-512 */
#define IKE_MAXBLK 16   /* AES */
#define IKE_MAXPUB 512  /* MODP4096 */
#define IKE_MAXBUF 4096 /* our messages */

/* ---- crypto (ike_crypto.c) ------------------------------------------------------------------ */

struct ike_iov {
	const void *p;
	size_t n;
};

size_t ike_hash_len(uint16_t hash); /* 0 = unsupported */
const char *ike_hash_name(uint16_t hash);
int ike_hashv(uint16_t hash, const struct ike_iov *v, size_t n, uint8_t *out);
int ike_prf(uint16_t hash, const void *key, size_t klen, const struct ike_iov *v, size_t n, uint8_t *out);
size_t ike_enc_keylen(uint16_t enc, uint16_t keybits); /* bytes; 0 = unsupported */
size_t ike_enc_block(uint16_t enc);
const char *ike_enc_name(uint16_t enc);
/* CBC in place; len a multiple of the block; iv (block bytes) becomes the last ciphertext block. */
int ike_cbc(uint16_t enc, const uint8_t *key, size_t klen, uint8_t *iv, uint8_t *data, size_t len,
            bool encrypt);

/* Phase-1 keying material (RFC 2409 §5). */
struct ike_keys {
	uint16_t hash, enc;
	size_t hlen, blk, klen;
	uint8_t skeyid[IKE_MAXHASH], d[IKE_MAXHASH], a[IKE_MAXHASH], e[IKE_MAXHASH];
	uint8_t key[32]; /* SKEYID_e expanded to the cipher's key (appendix B) */
};
int ike_skeyid_psk(struct ike_keys *k, const uint8_t *psk, size_t psklen, const uint8_t *ni, size_t nilen,
                   const uint8_t *nr, size_t nrlen);
int ike_skeyid_sig(struct ike_keys *k, const uint8_t *ni, size_t nilen, const uint8_t *nr, size_t nrlen,
                   const uint8_t *gxy, size_t gxylen);
/* SKEYID_d/a/e and the cipher key from SKEYID (k->hash/enc/klen set by the caller). */
int ike_keys_derive(struct ike_keys *k, const uint8_t *gxy, size_t gxylen, const uint8_t icky[8],
                    const uint8_t rcky[8]);
int ike_iv_p1(uint16_t hash, size_t blk, const uint8_t *gxi, size_t gxilen, const uint8_t *gxr, size_t gxrlen,
              uint8_t *iv);
int ike_iv_p2(uint16_t hash, size_t blk, const uint8_t *last, uint32_t msgid, uint8_t *iv);
int ike_keymat(uint16_t hash, const uint8_t *skeyid_d, size_t hlen, const uint8_t *gqm, size_t gqmlen,
               uint8_t proto, uint32_t spi, const uint8_t *ni, size_t nilen, const uint8_t *nr, size_t nrlen,
               uint8_t *out, size_t need);
size_t ike_esp_keylen(uint16_t tf, uint16_t keybits); /* KEYMAT bytes (GCM: + salt); 0 unsupported */
size_t ike_esp_authlen(uint16_t alg);                 /* 0 unsupported */
const char *ike_esp_name(uint16_t tf);
const char *ike_esp_auth_name(uint16_t alg);

/* ---- Diffie-Hellman (ike_dh.c) ---------------------------------------------------------------- */

struct ike_dh {
	uint16_t group;
	int kind; /* 0 none, 1 MODP, 2 ECP */
	size_t publen;
	uint8_t pub[IKE_MAXPUB];
	mpz_t x;
	struct ecc_scalar k;
};
bool ike_dh_supported(uint16_t g);
bool ike_dh_is_ecp(uint16_t g);
size_t ike_dh_publen(uint16_t g);
const char *ike_dh_name(uint16_t g);
int ike_dh_init(struct ike_dh *dh, uint16_t g, struct rp_rng *rng);
int ike_dh_shared(struct ike_dh *dh, const uint8_t *peer, size_t len, uint8_t *out, size_t *outlen);
void ike_dh_clear(struct ike_dh *dh);

/* ---- proposals (ike_prop.c) ------------------------------------------------------------------- */

struct ike_p1_choice {
	const struct isakmp_xf *xf;
	uint8_t pnum;
	uint16_t enc, keylen, hash, group, auth;
	uint32_t life_s;
};
/* 0 and *ch filled, or -1 with why (a sentence for the log) filled. pol: the peer's policy answer
 * (NULL or DEFAULT = the configuration's methods); a NEGOTIATE rule's refusal starts "refused by
 * rule NAME (store S): offered ...; allowed ...". BLOCK/PERMIT are the caller's (ike_pol_refusal). */
int ike_p1_select(const struct ike_conf *c, const struct ike_peer_policy *pol, const struct isakmp_sa *sa,
                  struct ike_p1_choice *ch, char *why, size_t n);
struct ike_p2_choice {
	const struct isakmp_prop *prop;
	const struct isakmp_xf *xf;
	uint16_t tf, keylen, auth, group, encap;
	uint32_t life_s, life_kb;
	bool shortened;
};
int ike_p2_select(const struct ike_conf *c, const struct ike_peer_policy *pol, const struct isakmp_sa *sa,
                  bool natt, size_t ke_len, struct ike_p2_choice *ch, char *why, size_t n);
/* 1 with why ("blocked by rule r1 (store persistent)") when pol refuses IKE outright, else 0. */
int ike_pol_refusal(const struct ike_peer_policy *pol, char *why, size_t n);
/* Ask conf.policy about peer (zeroed answer = DEFAULT when there is none). */
void ike_pol_ask(const struct ike *ike, const struct rp_addr *peer, struct ike_peer_policy *out);
/* "AES-256/SHA1/MODP2048, 3DES/MD5/MODP1024, ..." */
void ike_p1_offer_str(const struct isakmp_sa *sa, char *out, size_t n);
void ike_p2_offer_str(const struct isakmp_sa *sa, char *out, size_t n);

/* ---- vendor IDs and NAT-D (ike_vid.c) --------------------------------------------------------- */

enum ike_natt {
	IKE_NATT_NONE = 0,
	IKE_NATT_DRAFT02,  /* draft-ietf-ipsec-nat-t-ike-02 */
	IKE_NATT_DRAFT02N, /* "...-02\n" */
	IKE_NATT_DRAFT03,
	IKE_NATT_RFC, /* RFC 3947 */
};
struct ike_vids {
	unsigned natt_mask; /* 1 << enum ike_natt */
	bool dpd, ms_nt5, ms_frag, ms_ic, xauth, unity;
	uint32_t ms_ver;
};
void ike_vid_scan(const struct isakmp_msg *m, struct ike_vids *v);
enum ike_natt ike_natt_best(unsigned mask);
const uint8_t *ike_natt_vid(enum ike_natt n, size_t *len);
const char *ike_natt_name(enum ike_natt n);
void ike_vids_str(const struct ike_vids *v, char *out, size_t n);
extern const uint8_t ike_vid_dpd[16];
extern const uint8_t ike_vid_frag[20]; /* FRAGMENTATION with capabilities 0x80000000 */
int ike_natd_hash(uint16_t hash, const uint8_t icky[8], const uint8_t rcky[8], const struct rp_addr *a,
                  uint8_t *out);

/* ---- state (ike_sa.c, ike_mm.c, ike_qm.c, ike_info.c) ----------------------------------------- */

enum ike_state {
	IKE_ST_MM2 = 1, /* MM2 sent, waiting for MM3 */
	IKE_ST_MM4,     /* MM4 sent, waiting for MM5 */
	IKE_ST_EST,     /* MM6 sent: established */
	IKE_ST_FAILED,  /* authentication failed; kept so retransmissions stay quiet until half-open expiry */
};

struct ike_sa;

#define IKE_FRAG_MAX 16            /* fragments per message (Windows needs 3-4 for a 2048-bit chain) */
#define IKE_FRAG_TOTAL (64 * 1024) /* reassembled size cap */
#define IKE_FRAG_GLOBAL (4u << 20) /* all reassemblies of a core together */
struct ike_src;
struct ike_frag {
	struct ike_src *src; /* its peer's reassembly bytes (frag_per_ip) */
	uint16_t id;
	uint8_t last, maxnum, count;
	size_t total;
	uint64_t expire_ms;
	uint8_t *part[IKE_FRAG_MAX];
	size_t len[IKE_FRAG_MAX];
};

/* A place in one of the core's timer heaps (binary min-heaps on due; l2tp/lns.c's is the model). */
struct ike_tm {
	uint64_t due;
	size_t hidx; /* SIZE_MAX: not in a heap */
};
struct ike_heap {
	struct ike_tm **v;
	size_t n, cap;
};

/* An intrusive hash table (ike_idx.c): nodes embedded in SAs, chained by a stored 64-bit hash, so
 * the questions asked on every connect and disconnect (who else is this peer? its IPsec SAs? the
 * orphans it left?) cost the few SAs of that peer instead of every SA held (issue 17). */
struct ike_hnode {
	struct ike_hnode *next, **pprev; /* pprev NULL: not in a table */
	uint64_t h;
};
struct ike_htab {
	struct ike_hnode **t;
	size_t nb, n;
};

struct ike_child {
	struct ike_child *next, *prev;   /* all children */
	struct ike_child *hnext;         /* hash chain by ev.spi_in */
	struct ike_tm tm;                /* keyed by expire_ms */
	struct ike_sa *owner;            /* NULL while orphaned (its IKE SA went before it) */
	struct ike_child *snext, *sprev; /* owner's children (owner->kids) */
	struct ike_hnode orphan;         /* ike->orphans by ev.peer's IP while owner is NULL */
	bool id_auth; /* its IKE SA's peer_id was proven by a certificate (see ike_sa.id_auth) */
	uint64_t expire_ms;
	struct ike_ev_sa ev; /* keys wiped after SA_INSTALL */
};

struct ike_qm {
	struct ike_qm *next;
	uint32_t msgid;
	bool done; /* aborted (its SA pair withdrawn); a completed one is freed at QM3 */
	uint8_t iv[IKE_MAXBLK];
	uint64_t expire_ms;
	uint8_t req_digest[20];
	uint8_t *resp; /* QM2 as sent, for retransmission */
	size_t resplen;
	uint32_t spi_in;
	struct ike_ev_sa sa; /* pending SA_INSTALL (with keys) */
	uint8_t *ni, *nr;
	size_t nilen, nrlen;
};

struct ike_sa {
	struct ike_sa *hnext;
	struct ike_sa *next, *prev;   /* all SAs */
	struct ike_tm tm;             /* keyed by its earliest deadline (sa_deadline in ike_sa.c) */
	struct ike_sa *dnext, *dprev; /* touched since the heap was last brought up to date */
	bool dirty;
	/* Half-open (ike_adm.c): the per-address entry it is counted in, and its place in the list of
	 * those whose peer has not yet shown it received MM2 (by sending MM3 with our cookie). */
	struct ike_src *src;
	struct ike_sa *unext, *uprev;   /* ike->uhead list */
	struct ike_sa *sunext, *suprev; /* src->uhead list: the same SAs per address */
	bool unproven;
	/* Established SAs only: ike->by_addr by peer address and port, ike->by_id by peer IP and
	 * peer_id (the two ways ike_info.c same_entity can match); kids: the IPsec SAs it owns. */
	struct ike_hnode by_addr, by_id;
	struct ike_child *kids;
	uint8_t icky[8], rcky[8];
	enum ike_state state;
	bool counted; /* its phase-1 result is in ike.st */
	struct rp_addr local, peer;
	enum ike_natt natt;
	bool nat_local, nat_peer;
	struct ike_vids vids;
	struct ike_p1_choice ch;
	uint64_t created_ms, expire_ms, last_rx_ms;
	uint64_t est_ms; /* when Main Mode completed */
	uint64_t dpd_next_ms;
	uint32_t dpd_seq, dpd_pending;

	uint8_t *sai_b; /* the initiator's SA payload body (HASH_I/HASH_R input) */
	size_t sai_len;
	/* Main Mode only: freed when it completes (ike_mm_forget), as SKEYID and its derivatives
	 * carry everything later (issue 17: ~1.2 KiB per client otherwise). Our DH private value
	 * lives only in mm3: gxr is our public value. */
	uint8_t *gxi, *gxr, *ni, *nr, *gxy;
	size_t gxilen, gxrlen, nilen, nrlen, gxylen;
	struct ike_keys k;
	uint8_t iv[IKE_MAXBLK];      /* phase-1 CBC state; after MM6 the last phase-1 block */
	uint8_t id_type;             /* the peer's phase-1 ID */
	char peer_id[IKE_ID_STRLEN]; /* printable */
	bool initial_contact;
	struct ike_frag *frag;         /* the one reassembly in progress (ike_frag.c) */
	uint16_t frag_out_id;          /* our last fragment ID */
	bool peer_cr;                  /* the peer sent a CR (MM3 or MM5): our chain goes into MM6 */
	char account[IKE_ACCOUNT_LEN]; /* certificate authentication: mapped by conf.cert_verify */
	bool id_auth; /* peer_id proven: it matches a validated certificate whose key signed SIG_I. With a
	               * PSK it is self-asserted (clients behind one NAT often share both key and ID) */

	uint8_t req_digest[20]; /* last request handled, to recognise a retransmission */
	uint8_t *resp;          /* our answer to it */
	size_t resplen;

	struct ike_qm *qms;
	uint32_t qm_done[4]; /* message IDs of the last Quick Modes completed (their state is freed) */
	uint8_t qm_done_next;
	uint32_t info_seen[8]; /* recent informational message IDs: a replay is not acted on twice */
	unsigned info_next;
};

struct ike {
	struct ike_conf conf;
	struct rp_rng *rng;
	struct rp_log *log;
	struct rp_evq evq;
	struct ike_sa **tab;
	size_t nb, count;
	struct ike_sa *all;
	struct ike_child *children;
	size_t nchildren;
	struct ike_child **ctab; /* children by ev.spi_in, chained; grows with nchildren */
	size_t cnb;
	uint64_t now;
	/* Deadlines without walking every SA (issue 17): IKE SAs and children sit in timer heaps;
	 * an SA whose timers may have moved (a packet handled for it, a tick, a reload) is put on
	 * the dirty list and re-keyed before the heap is next read. */
	struct ike_heap sheap, cheap;
	struct ike_sa *dirty;
	struct ike_htab by_addr, by_id, orphans; /* see ike_sa and ike_child */
	uint64_t hseed;                          /* keys their hashes: peers choose addresses and IDs */
	uint64_t runout_log_ms;                  /* the last "out of IKE SAs" line */
	struct isakmp_msg msg;                   /* the message being handled */
	uint8_t cur_digest[20];                  /* its digest (retransmission detection) */
	gnutls_privkey_t key;                    /* conf.key_der imported (RSA signatures), NULL without */
	bool sig_ok;                             /* RSA signature authentication configured */
	size_t frag_bytes;                       /* held by all reassemblies (ike_frag.c) */
	struct ike_stats st;
	/* admission control (ike_adm.c) */
	struct ike_htab srcs;         /* struct ike_src by peer IP */
	size_t halfopen;              /* SAs with src set */
	struct ike_sa *uhead, *utail; /* unproven half-open SAs, oldest first */
	int64_t dh_tokens_milli;      /* DH budget, thousandths of a MODP-2048 one (ike_adm.c) */
	uint64_t dh_refill_ms;
	struct ike_recent *recent;    /* IKE_RECENT slots: addresses that completed Main Mode */
	uint64_t adm_log_ms[IKE_A_N]; /* the last line about each limit */
	uint64_t adm_logged[IKE_A_N]; /* st.adm[] at that line */
};

/* ike_adm.c: admission control (issue 12) */
struct ike_src {
	struct ike_hnode node;
	struct rp_addr ip; /* port 0 */
	uint32_t refs;     /* half-open SAs and reassemblies pointing here */
	uint32_t halfopen;
	size_t frag_bytes;
	struct ike_sa *uhead, *utail; /* its unproven half-open SAs, oldest first */
	int64_t dh_milli;             /* its share of the DH budget (a quarter) */
	uint64_t dh_ms;               /* when that was last refilled */
};
struct ike_recent {
	uint64_t h, ms;
};
#define IKE_RECENT 4096
int ike_adm_init(struct ike *ike);
void ike_adm_free(struct ike *ike);
struct ike_src *ike_src_get(struct ike *ike, const struct rp_addr *a); /* a new reference (or NULL) */
void ike_src_put(struct ike *ike, struct ike_src *s);
/* MM1 from pkt: 0 to go ahead (room made if needed), -1 refused (counted and logged). */
int ike_adm_mm1(struct ike *ike, const struct rp_pkt *pkt);
void ike_adm_open(struct ike *ike, struct ike_sa *sa);     /* sa is half-open from now on */
void ike_adm_proven(struct ike *ike, struct ike_sa *sa);   /* its peer answered with our cookie */
void ike_adm_close(struct ike *ike, struct ike_sa *sa);    /* established or gone (idempotent) */
bool ike_adm_dh(struct ike *ike, const struct ike_sa *sa); /* may Main Mode DH be done now? */
void ike_adm_success(struct ike *ike, const struct rp_addr *a);
bool ike_adm_preferred(const struct ike *ike, const struct rp_addr *a);
/* Count a refusal and log it, at most once per interval per kind, with how many since. */
void ike_adm_note(struct ike *ike, enum ike_adm a, const struct rp_addr *peer);

/* ike_idx.c */
int ike_idx_init(struct ike *ike);
void ike_idx_free(struct ike *ike);
uint64_t ike_hash_addr(const struct ike *ike, const struct rp_addr *a, bool port);
uint64_t ike_hash_id(const struct ike *ike, const struct rp_addr *a, const char *peer_id);
struct ike_hnode *ike_htab_head(const struct ike_htab *t, uint64_t h); /* walk ->next, check ->h */
int ike_htab_init(struct ike_htab *t);
void ike_htab_add(struct ike_htab *t, struct ike_hnode *x, uint64_t h);
void ike_htab_del(struct ike_htab *t, struct ike_hnode *x);
void ike_sa_index(struct ike *ike, struct ike_sa *sa);   /* established: into by_addr and by_id */
void ike_sa_unindex(struct ike *ike, struct ike_sa *sa); /* out of them (no-op if not in) */
void ike_sa_set_peer(struct ike *ike, struct ike_sa *sa, const struct rp_addr *peer); /* re-indexed */
/* Move c to owner's kids (owner NULL: to the orphans); c->owner NULL and out of both when new. */
void ike_child_set_owner(struct ike *ike, struct ike_child *c, struct ike_sa *owner);
void ike_child_unown(struct ike *ike, struct ike_child *c); /* out of kids/orphans; owner kept */
#define IKE_SA_BY_ADDR(n) ((struct ike_sa *)((char *)(n)-offsetof(struct ike_sa, by_addr)))
#define IKE_SA_BY_ID(n) ((struct ike_sa *)((char *)(n)-offsetof(struct ike_sa, by_id)))
#define IKE_CHILD_ORPHAN(n) ((struct ike_child *)((char *)(n)-offsetof(struct ike_child, orphan)))

/* ike_sa.c */
void ike_count(struct ike *ike, struct ike_sa *sa, enum ike_result r); /* sa NULL: per message */
void ike_count_mm_time(struct ike *ike, uint64_t ms); /* a completed Main Mode, for ike_stats.mm_ms */
struct ike_sa *ike_sa_find(struct ike *ike, const uint8_t icky[8], const uint8_t rcky[8]);
struct ike_sa *ike_sa_find_half(struct ike *ike, const uint8_t icky[8], const struct rp_addr *peer);
struct ike_sa *ike_sa_add(struct ike *ike);           /* allocated, not yet in the table */
void ike_sa_link(struct ike *ike, struct ike_sa *sa); /* cookies set: into the table */
/* ike_timer.c */
void ike_sa_touch(struct ike *ike, struct ike_sa *sa);       /* its deadlines may have moved */
void ike_sa_untime(struct ike *ike, struct ike_sa *sa);      /* out of the heap (being removed) */
int ike_child_link(struct ike *ike, struct ike_child *c);    /* expire_ms, ev set: into the lists */
void ike_child_unlink(struct ike *ike, struct ike_child *c); /* out of them (not freed) */
struct ike_child *ike_child_find(const struct ike *ike, uint32_t spi_in);
int ike_spi_alloc(struct ike *ike, uint32_t *spi);
void ike_spi_release(struct ike *ike, uint32_t spi);
void ike_sa_remove(struct ike *ike, struct ike_sa *sa, const char *why, bool delete_children);
void ike_emit_send(struct ike *ike, const struct rp_addr *src, const struct rp_addr *dst, const uint8_t *p,
                   size_t len);
void ike_sa_send(struct ike *ike, struct ike_sa *sa, const uint8_t *p, size_t len, bool remember);
void ike_emit_ike(struct ike *ike, struct ike_sa *sa, int type, const char *reason);
void ike_child_delete(struct ike *ike, struct ike_child *c, bool notify_peer, const char *why);
void ike_digest(const uint8_t *p, size_t len, uint8_t out[20]);
/* Encrypt [hdr | payloads] in buf (len bytes, header included), padding to the block; returns
 * the new length or 0. iv is the CBC state in and out. */
size_t ike_encrypt(const struct ike_keys *k, uint8_t *iv, uint8_t *buf, size_t len, size_t cap);
/* Decrypt the body of an encrypted message into out (heap, caller frees) and parse its chain
 * into m (header copied). iv is advanced only on success. */
int ike_decrypt(const struct ike_keys *k, uint8_t *iv, const uint8_t *msg, size_t len, uint8_t **out,
                struct isakmp_msg *m);

/* ike_mm.c */
int ike_mm_first(struct ike *ike, const struct rp_pkt *pkt, const struct isakmp_msg *m);
int ike_mm_input(struct ike *ike, struct ike_sa *sa, const struct rp_pkt *pkt, const struct isakmp_msg *m);
void ike_refuse_aggressive(struct ike *ike, const struct rp_pkt *pkt, const struct isakmp_msg *m);
/* PSK candidates for a peer (RFC 2409 §5.4), in the order they are tried. */
size_t ike_psk_candidates(const struct ike_conf *c, const struct rp_addr *peer, const struct ike_psk **out,
                          size_t max);
bool ike_psk_id_match(const struct ike_psk *p, const struct isakmp_id_pl *id);

/* ike_mm.c, shared with ike_mm_sig.c */
int ike_mm_auth_hash(const struct ike_sa *sa, const struct ike_keys *k, bool initiator, const uint8_t *id,
                     size_t idlen, uint8_t *out);
/* MM6 (plaintext in buf, n bytes) encrypted and sent; the SA established, IKE_UP emitted. */
int ike_mm_finish(struct ike *ike, struct ike_sa *sa, uint8_t *buf, size_t n, size_t cap);
/* Frees (secrets wiped) what only Main Mode needs: g^xi, g^xr, g^xy, the nonces, SAi_b. */
void ike_mm_forget(struct ike_sa *sa);
/* ike_mm_sig.c */
void ike_mm_sig_cr(struct ike *ike, struct isakmp_wr *w); /* our CR payload(s) for MM4 */
int ike_mm5_sig(struct ike *ike, struct ike_sa *sa, const struct rp_pkt *pkt, const struct isakmp_msg *m);

/* ike_frag.c */
int ike_frag_input(struct ike *ike, const struct rp_pkt *pkt, const struct isakmp_hdr *h);
void ike_frag_free(struct ike *ike, struct ike_sa *sa);
size_t ike_frag_limit(const struct ike *ike, const struct ike_sa *sa); /* max UDP payload */
/* Send to the peer, in fragments when it announced support and len exceeds the limit. */
void ike_frag_send(struct ike *ike, struct ike_sa *sa, const uint8_t *p, size_t len);

/* ike_cert.c */
int ike_cert_init(struct ike *ike); /* 0 also when not configured; -1 on an unusable key */
void ike_cert_free(struct ike *ike);
/* PKCS#1 v1.5 type 1 over the raw hash, no DigestInfo (RFC 2409 §5.1 as every IKEv1 stack does). */
int ike_sig_sign(gnutls_privkey_t key, const uint8_t *h, size_t hl, uint8_t *sig, size_t *siglen, size_t cap);
/* Strict: RSA key, sig length = modulus length, exact padding (no e=3 forgery). 0 or -1 + why. */
int ike_sig_verify(gnutls_pubkey_t pk, const uint8_t *h, size_t hl, const uint8_t *sig, size_t siglen,
                   char *why, size_t n);
/* The ID payload names the certificate: DN equal to the subject, or a subjectAltName of its type. */
bool ike_cert_id_match(const uint8_t *der, size_t len, const struct isakmp_id_pl *id);
/* The subject DN (DER) of a certificate into out; its length or 0. */
size_t ike_cert_subject(const uint8_t *der, size_t len, uint8_t *out, size_t cap);
/* Printable ID; a DER_ASN1_DN as RFC 4514 text. */
void ike_id_str(const struct isakmp_id_pl *id, char *out, size_t n);

/* ike_qm.c */
int ike_qm_input(struct ike *ike, struct ike_sa *sa, const struct rp_pkt *pkt, const struct isakmp_msg *m);
void ike_qm_free(struct ike_qm *q);
void ike_qm_abort(struct ike *ike, struct ike_qm *q, const char *why);

/* ike_info.c */
int ike_info_input(struct ike *ike, struct ike_sa *sa, const struct rp_pkt *pkt, const struct isakmp_msg *m);
/* Send an authenticated informational with one notify or delete payload. */
int ike_info_send_notify(struct ike *ike, struct ike_sa *sa, uint8_t proto, const uint8_t *spi,
                         size_t spi_size, uint16_t type, const void *data, size_t len);
int ike_info_send_delete(struct ike *ike, struct ike_sa *sa, uint8_t proto, const uint8_t *spi,
                         size_t spi_size);
void ike_initial_contact(struct ike *ike, struct ike_sa *sa);
void ike_dpd_tick(struct ike *ike, struct ike_sa *sa, uint64_t now);

#endif
