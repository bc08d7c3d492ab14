/* rampart l2tp: the L2TPv2 LNS (RFC 2661) as a sans-IO core.
 *
 *   codec.c     header (T/L/S/O/P, Ns/Nr, offset) and AVP validate/parse/build
 *   hidden.c    hidden AVPs (§4.3) and tunnel-authentication digests (§4.2, MD5 via GnuTLS)
 *   msg.c       a control message's AVPs into struct l2tp_msg; required AVPs per message type
 *   lns.c       the core object: links, tunnel table, events, l2tp_new/input/tick/next_deadline
 *   reliable.c  §5.8 reliable delivery: Ns/Nr, windows, ZLB, retransmit with back-off, reorder queue
 *   tunnel.c    §7 control connection: SCCRQ/SCCRP/SCCCN, StopCCN, HELLO, tunnel authentication
 *   session.c   §7 sessions: ICRQ/ICRP/ICCN, CDN, WEN/SLI; the PPP glue (send-down sink, close)
 *   session6.c  IPv6 in a session: a /64 per session from prefix6, its hash, the source check
 *   lac.c       the client side (LAC, l2tp_lac.h) for rampart-load and the LNS tests
 *   auth_seam.c the PPP login as a request/answer pair: L2TP_EV_AUTH_REQUEST out, l2tp_auth_answer
 *               in (rights, certificate binding, address lease, counters); l2tp_auth_from_store,
 *               the owner's answer from the local account store
 *
 * The core is fed inner UDP/1701 payloads tagged with an opaque link (the IPsec SA handle and the
 * inner UDP ports, or the outer address when plain L2TP is allowed): an L2TP peer is never
 * identified by its outer address alone, so many clients behind one NAT work. Outputs are events.
 */
#ifndef RP_L2TP_H
#define RP_L2TP_H

#include "rp_base.h"

struct ppp_conf;
struct auth_db;
struct auth_pool;

/* ---- codec -------------------------------------------------------------------------------- */

enum {
	L2TP_PORT = 1701,
	L2TP_VERSION = 2,
	L2TP_CTL_HDR_LEN = 12, /* T L S set: flags, length, tid, sid, Ns, Nr */
	L2TP_AVP_HDR_LEN = 6,
	L2TP_AVP_MAX_LEN = 1023, /* 10-bit length field */
};

/* §3.1 flag bits in the first 16 bits */
enum {
	L2TP_F_T = 0x8000,
	L2TP_F_L = 0x4000,
	L2TP_F_S = 0x0800,
	L2TP_F_O = 0x0200,
	L2TP_F_P = 0x0100,
	L2TP_F_VER = 0x000f,
	L2TP_F_RSVD = 0x34f0, /* x bits: reserved, ignored on receipt (§3.1) */
};

struct l2tp_hdr {
	bool ctrl, has_len, has_seq, prio;
	uint16_t len; /* the whole message incl. header; the datagram length when L is unset */
	uint16_t tid, sid;
	uint16_t ns, nr;
	size_t payload_off; /* where the AVPs (control) or PPP frame (data) start */
};

/* Validates and parses the header; ignores bytes after the Length field (UDP padding).
 * Returns 0, or -1 for anything a receiver must drop (§3.1: wrong version, control without
 * L/S, offset on control, length inconsistent with the datagram). */
int l2tp_hdr_parse(const uint8_t *p, size_t n, struct l2tp_hdr *h);

/* §4.4 message types */
enum l2tp_mt {
	L2TP_ZLB = 0, /* no Message Type AVP at all: an explicit acknowledgement (§5.8) */
	L2TP_SCCRQ = 1,
	L2TP_SCCRP = 2,
	L2TP_SCCCN = 3,
	L2TP_STOPCCN = 4,
	L2TP_HELLO = 6,
	L2TP_OCRQ = 7,
	L2TP_OCRP = 8,
	L2TP_OCCN = 9,
	L2TP_ICRQ = 10,
	L2TP_ICRP = 11,
	L2TP_ICCN = 12,
	L2TP_CDN = 14,
	L2TP_WEN = 15,
	L2TP_SLI = 16,
};

/* §4.4 AVP types (IETF, vendor 0) */
enum l2tp_avp_type {
	L2TP_AVP_MSG_TYPE = 0,
	L2TP_AVP_RESULT = 1,
	L2TP_AVP_PROTO_VER = 2,
	L2TP_AVP_FRAMING_CAP = 3,
	L2TP_AVP_BEARER_CAP = 4,
	L2TP_AVP_TIE_BREAKER = 5,
	L2TP_AVP_FIRMWARE = 6,
	L2TP_AVP_HOST_NAME = 7,
	L2TP_AVP_VENDOR_NAME = 8,
	L2TP_AVP_ASSIGNED_TID = 9,
	L2TP_AVP_RECV_WINDOW = 10,
	L2TP_AVP_CHALLENGE = 11,
	L2TP_AVP_Q931 = 12,
	L2TP_AVP_CHALLENGE_RESP = 13,
	L2TP_AVP_ASSIGNED_SID = 14,
	L2TP_AVP_CALL_SERIAL = 15,
	L2TP_AVP_MIN_BPS = 16,
	L2TP_AVP_MAX_BPS = 17,
	L2TP_AVP_BEARER_TYPE = 18,
	L2TP_AVP_FRAMING_TYPE = 19,
	L2TP_AVP_CALLED_NUMBER = 21,
	L2TP_AVP_CALLING_NUMBER = 22,
	L2TP_AVP_SUB_ADDRESS = 23,
	L2TP_AVP_TX_SPEED = 24,
	L2TP_AVP_PHYS_CHANNEL = 25,
	L2TP_AVP_INIT_RCVD_LCP = 26,
	L2TP_AVP_LAST_SENT_LCP = 27,
	L2TP_AVP_LAST_RCVD_LCP = 28,
	L2TP_AVP_PROXY_AUTH_TYPE = 29,
	L2TP_AVP_PROXY_AUTH_NAME = 30,
	L2TP_AVP_PROXY_AUTH_CHAL = 31,
	L2TP_AVP_PROXY_AUTH_ID = 32,
	L2TP_AVP_PROXY_AUTH_RESP = 33,
	L2TP_AVP_CALL_ERRORS = 34,
	L2TP_AVP_ACCM = 35,
	L2TP_AVP_RANDOM_VECTOR = 36,
	L2TP_AVP_PRIV_GROUP = 37,
	L2TP_AVP_RX_SPEED = 38,
	L2TP_AVP_SEQ_REQUIRED = 39,
	L2TP_AVP_MAX_KNOWN = 39,
};

/* §4.4.2 Result Code values (StopCCN §4.4.2, CDN) and General Error Codes */
enum {
	L2TP_STOP_CLEAR = 1,
	L2TP_STOP_GENERAL = 2,
	L2TP_STOP_EXISTS = 3,
	L2TP_STOP_NOT_AUTH = 4,
	L2TP_STOP_BAD_VERSION = 5,
	L2TP_STOP_SHUTDOWN = 6,
	L2TP_STOP_FSM = 7,
	L2TP_CDN_LOST_CARRIER = 1,
	L2TP_CDN_GENERAL = 2,
	L2TP_CDN_ADMIN = 3,
	L2TP_CDN_NO_FACILITY = 4,
	L2TP_ERR_NONE = 0,
	L2TP_ERR_NO_CONN = 1,
	L2TP_ERR_LENGTH = 2,
	L2TP_ERR_RANGE = 3,
	L2TP_ERR_RESOURCES = 4,
	L2TP_ERR_BAD_SID = 5,
	L2TP_ERR_VENDOR = 6,
	L2TP_ERR_TRY_ANOTHER = 7,
	L2TP_ERR_UNKNOWN_M = 8,
};

struct l2tp_bytes {
	const uint8_t *p;
	size_t len;
};

/* A parsed control message. Byte fields borrow the input or the message's own scratch space
 * (decrypted hidden values), so a l2tp_msg must not outlive either. */
struct l2tp_msg {
	uint16_t type; /* enum l2tp_mt; L2TP_ZLB when there are no AVPs */
	bool type_m;   /* M bit of the Message Type AVP: an unknown type with it clears the tunnel */
	uint64_t have; /* bit (1 << avp type) for each known IETF AVP present */
	uint16_t result, error;
	struct l2tp_bytes result_msg;
	uint16_t proto_ver; /* version << 8 | revision */
	uint32_t framing_cap, bearer_cap, framing_type, bearer_type, tx_speed, rx_speed;
	uint32_t call_serial;
	uint16_t firmware;
	uint16_t assigned_tid, assigned_sid, recv_window;
	uint8_t tie_breaker[8];
	struct l2tp_bytes host_name, vendor_name, challenge, challenge_resp, calling, called;
	/* the first unrecognised AVP with the M bit (§4.1: such a message tears down the tunnel
	 * or the session it is about) */
	bool unknown_m;
	uint16_t unknown_m_vendor, unknown_m_type;
	/* scratch for decrypted hidden AVP values */
	size_t scratch_used;
	uint8_t scratch[1536];
};

/* Validates and parses the AVPs of a control message body (after the header). Hidden AVPs are
 * decrypted with secret (NULL when no tunnel secret is configured: a hidden AVP is then an
 * error). Lenient on the known quirks: a Result Code without the Error Code (MikroTik sends 8-byte
 * Result Code AVPs). Returns 0, -1 on a malformed message (caller drops it, §4.1: a malformed
 * AVP length "MUST" be treated as a fatal error in the control message), or -2 when the value of a
 * known mandatory AVP is invalid (caller treats like an unknown mandatory AVP). */
int l2tp_msg_parse(struct l2tp_msg *m, const uint8_t *avps, size_t len, const uint8_t *secret,
                   size_t secret_len);
/* §6: which AVPs each message type requires; returns the first missing one or -1. */
int l2tp_msg_missing(const struct l2tp_msg *m);
const char *l2tp_mt_name(unsigned type);

/* Building: start a control message header (Length patched by l2tp_ctl_end), append AVPs. */
void l2tp_ctl_begin(struct rp_wr *w, uint16_t peer_tid, uint16_t peer_sid, uint16_t ns, uint16_t nr);
void l2tp_ctl_end(struct rp_wr *w);
void l2tp_avp_put(struct rp_wr *w, uint16_t type, bool mandatory, const void *v, size_t n);
void l2tp_avp_u16(struct rp_wr *w, uint16_t type, bool mandatory, uint16_t v);
void l2tp_avp_u32(struct rp_wr *w, uint16_t type, bool mandatory, uint32_t v);
void l2tp_avp_result(struct rp_wr *w, uint16_t result, uint16_t error, const char *msg);
/* Random Vector (§4.3) then a hidden AVP: the vector is written when rv_written is false. */
int l2tp_avp_put_hidden(struct rp_wr *w, uint16_t type, bool mandatory, const void *v, size_t n,
                        const uint8_t *secret, size_t secret_len, const uint8_t rv[16]);
/* Data message header (§3.1) with L set and no sequence numbers; writes 8 bytes. */
int l2tp_data_hdr(uint8_t *out, size_t cap, uint16_t peer_tid, uint16_t peer_sid, uint16_t len);

/* §4.2 Challenge Response: MD5(message type of the response || secret || challenge). */
int l2tp_chal_digest(uint8_t out[16], uint8_t resp_mt, const uint8_t *secret, size_t secret_len,
                     const uint8_t *chal, size_t chal_len);

/* ---- the LNS core ------------------------------------------------------------------------- */

/* Where an L2TP peer is reached. sa = 0 means plain L2TP (no IPsec), identified by addr:port;
 * otherwise the IPsec SA handle and the inner UDP port. Opaque to the core except for equality. */
struct l2tp_link {
	uint64_t sa;
	struct rp_addr peer; /* inner (or outer, for plain L2TP) source address and UDP port */
};

/* Where an IPv6 packet from a session came from (l2tp_conf.ip6_deliver). */
struct l2tp_ip6_from {
	struct l2tp_link link;
	uint16_t tid, sid;            /* ours: l2tp_output_ip6_to answers into this session */
	uint64_t prefix;              /* the session's /64 (upper 64 bits); 0 if none was free */
	uint64_t our_ifid, peer_ifid; /* IPV6CP: our link-local fe80::our_ifid, the peer's */
	uint16_t mtu;                 /* the peer's MRU */
};
#define L2TP_MAX_TUNNELS_DEFAULT 262144 /* room for 250,000 clients (one tunnel each) */

struct l2tp_conf {
	const char *host_name; /* our Host Name AVP */
	const uint8_t *secret; /* tunnel secret: hidden AVPs + tunnel authentication */
	size_t secret_len;
	bool require_tunnel_auth;      /* refuse an SCCRQ without a Challenge (needs secret) */
	bool hide_avps;                /* with a secret: send Assigned Tunnel/Session IDs hidden (§4.3);
	                                * off by default: xl2tpd 1.3.18 refuses hidden mandatory AVPs */
	uint16_t recv_window;          /* we advertise (§5.8); default 16 */
	unsigned hello_s;              /* HELLO after this much silence (60 is usual); 0 disables */
	unsigned rexmit_max;           /* retransmissions before the tunnel is declared dead; 5 */
	unsigned rexmit_cap_s;         /* back-off cap (§5.8: at least 8 s); 8 */
	unsigned max_tunnels;          /* 0 = L2TP_MAX_TUNNELS_DEFAULT (tunnel IDs are per link) */
	unsigned max_tunnels_per_link; /* 0 = 64 */
	unsigned max_sessions;         /* per tunnel; 0 = 1024 */
	unsigned max_sessions_total;   /* all tunnels together; 0 = L2TP_MAX_TUNNELS_DEFAULT */
	/* Per peer (issue 12): an IPsec SA (whatever inner ports it uses: a Quick Mode ID with port
	 * 0 lets one SA open a tunnel per inner port) or, for plain L2TP, a source address. */
	unsigned max_tunnels_per_sa;  /* 0 = 16 */
	unsigned max_sessions_per_sa; /* 0 = 64 */
	/* server-wide ceiling on one account's live sessions, below the account's own max_sessions
	 * (which may be larger or 0 = none); 0 = no ceiling */
	unsigned max_sessions_per_account;
	/* Failed-login throttling (throttle.c): after login_fail_max failures of one account from one
	 * peer (outer address by peer_of, else the SA; plain L2TP: the source address) within
	 * login_fail_window_s, that pair is refused for
	 * login_lockout_s; after login_peer_fail_max failures (any accounts) an SA's logins and new
	 * sessions are refused as long; after login_account_fail_max failures of an account from all
	 * peers together, the account is refused for login_account_lockout_s (shorter: a lock-out by
	 * others is a denial of service). A success clears its pair. 0 = that rule off. */
	unsigned login_fail_max;          /* 0 = off */
	unsigned login_peer_fail_max;     /* 0 = off */
	unsigned login_account_fail_max;  /* 0 = off */
	unsigned login_fail_window_s;     /* 0 = 300 */
	unsigned login_lockout_s;         /* 0 = 300 */
	unsigned login_account_lockout_s; /* 0 = 60 */
	unsigned
	    idle_setup_s; /* close a tunnel left without sessions this long; 0 = never (120 is sensible) */
	const struct ppp_conf *ppp; /* PPP options (MRU, DNS, WINS, auth methods, local address) */
	struct auth_pool *pool;     /* addresses for IPCP */
	struct rp_log *log;
	/* Optional fast path for the data plane: when set, every session frame to a peer (the L2TP
	 * data header included) and every IP packet for the TUN is handed to these callbacks at once
	 * instead of being copied into an allocated L2TP_EV_SEND / L2TP_EV_IP event, so a data
	 * packet costs no allocation. Control messages stay events. The callbacks run inside
	 * l2tp_input/l2tp_output_ip/l2tp_tick and must not call back into the core. */
	void (*data_send)(void *ctx, const struct l2tp_link *link, const uint8_t *pkt, size_t n);
	void (*ip_deliver)(void *ctx, const struct l2tp_link *link, const uint8_t *pkt, size_t n);
	/* Optional, for l2tp_output_ip_buf: the session frame built in place (PPP and L2TP data
	 * headers pushed into the headroom of the caller's buffer), handed on as that same memory so
	 * the caller pushes UDP and ESP in front and sends it without a copy. Falls back to
	 * data_send (or an event) when unset. */
	void (*data_send_buf)(void *ctx, const struct l2tp_link *link, struct rp_buf *b);
	void *data_ctx;
	/* Optional policy check after a PPP login verified: non-zero refuses it (answered as "no
	 * permission", E=649 for MS-CHAPv2) and why is logged. rampartd uses it to require the PPP
	 * account to be the one the IPsec SA's certificate maps to. */
	int (*ppp_authorize)(void *ctx, const struct l2tp_link *link, const char *account, char *why, size_t whylen);
	/* Optional: the outer (IKE/ESP) address of an IPsec link, 0 when known. Failed-login
	 * throttling then counts (account, outer address) rather than (account, SA), so a guesser
	 * cannot start afresh with each new IKE SA. */
	int (*peer_of)(void *ctx, const struct l2tp_link *link, struct rp_addr *outer);
	/* IPv6: with prefix6_len (16-63) and ip6_deliver set, sessions negotiate IPV6CP and each gets
	 * a /64 of prefix6 (number 0 is left to the server) once it is up; every IPv6 packet a
	 * session sends from its /64 or its link-local address goes to ip6_deliver (others are
	 * dropped as spoofed). Otherwise IPV6CP is Protocol-Rejected. */
	uint8_t prefix6[16];
	unsigned prefix6_len;
	/* TCP MSS clamping (issue 11): the MSS option of a TCP SYN or SYN-ACK either way through a
	 * session is lowered to at most mss_clamp4 (IPv4) / mss_clamp6 (IPv6), and never above the
	 * smaller of the session's PPP MRUs minus 40 / 60; 0 leaves that family alone. */
	uint16_t mss_clamp4, mss_clamp6;
	void (*ip6_deliver)(void *ctx, const struct l2tp_ip6_from *from, const uint8_t *pkt, size_t n);
};

enum l2tp_ev_type {
	L2TP_EV_SEND = 1,     /* data: struct l2tp_ev_send then the UDP payload */
	L2TP_EV_PPP_UP,       /* data: struct l2tp_ev_session */
	L2TP_EV_SESSION_DOWN, /* data: struct l2tp_ev_session */
	L2TP_EV_TUNNEL_DOWN,  /* data: struct l2tp_ev_session (sid 0) */
	L2TP_EV_IP,           /* data: struct l2tp_ev_send then an IPv4 packet for the TUN */
	L2TP_EV_AUTH_REQUEST, /* data: struct l2tp_ev_auth; answer with l2tp_auth_answer */
};

/* A PPP login to verify. The core never consults an account store itself (DESIGN: one seam for
 * every question a core asks): the owner answers from its store at once or from RADIUS later, by
 * id; PPP waits without blocking. The event holds credentials: rp_ev_free wipes it. */
struct l2tp_ev_auth {
	struct l2tp_link link;
	uint16_t tid, sid;
	uint64_t id;
	unsigned method; /* PPP_AUTH_* (the same bits as auth/'s AUTH_M_*) */
	char user[256];  /* NUL-terminated; user_len bytes (may hold a NUL from the peer) */
	size_t user_len;
	uint8_t password[256]; /* PAP */
	size_t password_len;
	uint8_t chap_id;
	uint8_t challenge[16];      /* ours (CHAP-MD5, MS-CHAPv2) */
	uint8_t response[16];       /* CHAP-MD5 */
	uint8_t peer_challenge[16]; /* MS-CHAPv2 */
	uint8_t nt_response[24];    /* MS-CHAPv2 */
};

/* The answer. result is auth/'s enum auth_fail (AUTH_OK = 0). */
struct l2tp_auth_ans {
	int result;
	int64_t account_id; /* 0 when the account is not in the local store (RADIUS) */
	char account[64];
	uint32_t ip;            /* the address to give (host order): static, Framed-IP-Address; 0 = pool */
	char auth_response[43]; /* MS-CHAPv2 "S=..." on success */
	char detail[160];       /* for the log line, e.g. the deciding right or a Reply-Message */
	uint32_t session_timeout_s, idle_timeout_s; /* 0 = none */
	/* per-account limits (issue 16), 0 = none: live sessions of this account, and a rate per
	 * direction in kbit/s (in = from the client, out = to it), policed by a token bucket */
	uint32_t max_sessions, rate_in_kbit, rate_out_kbit;
};

struct l2tp_ev_send {
	struct l2tp_link link;
	uint16_t tid, sid; /* ours */
	uint32_t len;      /* bytes following */
	uint8_t pkt[];
};

struct l2tp_ev_session {
	struct l2tp_link link;
	uint16_t tid, sid; /* ours */
	uint32_t ip;       /* tunnel IPv4 address given to the peer (host order), 0 if none */
	uint16_t mru;      /* PPP_UP: the peer's MRU (bound what is given to l2tp_output_ip) */
	int64_t account_id;
	char account[64];
	int reason;    /* for DOWN: enum l2tp_down */
	char text[96]; /* for DOWN: human-readable reason */
	/* for DOWN: the session's IP traffic (accounting) */
	uint64_t rx_bytes, rx_pkts, tx_bytes, tx_pkts;
};

enum l2tp_down {
	L2TP_DOWN_PEER = 1,        /* CDN / StopCCN / LCP Terminate from the peer */
	L2TP_DOWN_AUTH_FAIL,       /* PPP authentication failed */
	L2TP_DOWN_TIMEOUT,         /* retransmissions exhausted, LCP echo or negotiation timeout */
	L2TP_DOWN_NEGOTIATION,     /* PPP could not agree (no address, loopback, ...) */
	L2TP_DOWN_ADMIN,           /* l2tp_close_session / l2tp_free */
	L2TP_DOWN_PROTOCOL,        /* protocol error by the peer */
	L2TP_DOWN_SESSION_TIMEOUT, /* the answer's session_timeout_s ran out */
	L2TP_DOWN_IDLE_TIMEOUT,    /* no IP packet either way for idle_timeout_s */
};

struct l2tp;

struct l2tp *l2tp_new(const struct l2tp_conf *conf, struct rp_rng *rng, uint64_t now_ms);
void l2tp_free(struct l2tp *l); /* no events; leases released */
/* Reload: copies conf like l2tp_new (secret, ppp and host_name must outlive the core or the next
 * l2tp_reconf); log, db, pool and the callbacks stay those given to l2tp_new. */
void l2tp_reconf(struct l2tp *l, const struct l2tp_conf *conf);
/* One inner UDP/1701 payload from link. Returns 0 (consumed, maybe dropped with a log line). */
int l2tp_input(struct l2tp *l, const struct l2tp_link *link, const uint8_t *p, size_t n, uint64_t now_ms);
int l2tp_tick(struct l2tp *l, uint64_t now_ms);
uint64_t l2tp_next_deadline(const struct l2tp *l); /* UINT64_MAX when idle */
struct rp_ev *l2tp_next_event(struct l2tp *l);     /* caller frees with rp_ev_free */
/* An IPv4 packet from the TUN for the peer that holds dst (host order): emits a SEND. -1 if no
 * session owns that address. */
int l2tp_output_ip(struct l2tp *l, uint32_t dst, const uint8_t *pkt, size_t n, uint64_t now_ms);
/* The same in place: the IPv4 packet is b's data, with at least L2TP_DATA_HEADROOM bytes of
 * headroom for the PPP and L2TP headers (and more for what the caller pushes after). */
#define L2TP_DATA_HEADROOM 12
int l2tp_output_ip_buf(struct l2tp *l, uint32_t dst, struct rp_buf *b, uint64_t now_ms);
/* An IPv6 packet from the TUN for the session owning its destination /64. -1 if none. */
int l2tp_output_ip6(struct l2tp *l, const uint8_t *pkt, size_t n, uint64_t now_ms);
/* Whether p (a packet given to ip_deliver / ip6_deliver) is in the core's own scratch buffer (a
 * TCP SYN whose MSS the core lowered): valid only until the core is called again, so a caller
 * that keeps packets past that (rampartd's batched TUN writes) must copy or write it at once. */
bool l2tp_scratch(const struct l2tp *l, const void *p);
/* An IPv6 packet into one session (an answer to a link-local request, server/ra.c). */
int l2tp_output_ip6_to(struct l2tp *l, const struct l2tp_link *link, uint16_t tid, uint16_t sid,
                       const uint8_t *pkt, size_t n, uint64_t now_ms);
/* Tear down everything reached through an IPsec SA (the SA was deleted): no packets sent. */
void l2tp_link_gone(struct l2tp *l, uint64_t sa, uint64_t now_ms);
/* Shutdown: StopCCN (result 6, §4.4.2) on every tunnel, ending their sessions without CDNs. */
void l2tp_stop_all(struct l2tp *l, uint64_t now_ms);
/* Close a tunnel (admin): StopCCN (result 1, §4.4.2) ending its sessions without CDNs. */
int l2tp_stop_tunnel(struct l2tp *l, const struct l2tp_link *link, uint16_t tid, uint64_t now_ms);
/* Close a session (admin): CDN to the peer, SESSION_DOWN event. */
int l2tp_close_session(struct l2tp *l, const struct l2tp_link *link, uint16_t tid, uint16_t sid,
                       uint64_t now_ms);

/* Answers an L2TP_EV_AUTH_REQUEST. The core logs and counts the verdict, asks ppp_authorize,
 * leases the address and tells PPP. -ENOENT when the session is gone or asked again since. */
int l2tp_auth_answer(struct l2tp *l, const struct l2tp_link *link, uint64_t id, const struct l2tp_auth_ans *r,
                     uint64_t now_ms);
/* The owner's answer from the local store (auth_ppp_verify: password, enabled, methods, rights),
 * given to l2tp_auth_answer. Fills *out (when not NULL) with what was answered. */
/* The store's verdict alone (the owner decides whether to answer with it). */
void l2tp_auth_store_verdict(struct auth_db *db, const struct l2tp_ev_auth *q, struct l2tp_auth_ans *out);
int l2tp_auth_from_store(struct l2tp *l, struct auth_db *db, const struct l2tp_ev_auth *q, uint64_t now_ms,
                         struct l2tp_auth_ans *out);
/* A session's IP traffic so far (accounting interim updates). -ENOENT when unknown. */
struct l2tp_counters {
	uint64_t rx_bytes, rx_pkts, tx_bytes, tx_pkts;
	uint64_t rx_rate_drops, tx_rate_drops; /* packets over the account's rate limit */
};
int l2tp_session_counters(const struct l2tp *l, const struct l2tp_link *link, uint16_t tid, uint16_t sid,
                          struct l2tp_counters *out);

/* PPP logins by result (show stats). */
enum l2tp_auth_result {
	L2TP_AUTH_OK,
	L2TP_AUTH_BAD_PASSWORD,
	L2TP_AUTH_DISABLED,
	L2TP_AUTH_NO_PERMISSION, /* unknown account, method or right refused */
	L2TP_AUTH_REFUSED,       /* ppp_authorize said no (login does not match the certificate) */
	L2TP_AUTH_NO_ADDRESS,    /* pool exhausted or static address in use */
	L2TP_AUTH_MAX_SESSIONS,  /* the account has max_sessions live sessions already */
	L2TP_AUTH_R_N
};
const char *l2tp_auth_result_name(int r);

/* What a limit refused (show stats), named after its configuration key. */
enum l2tp_limit {
	L2TP_LIM_TUNNELS,              /* l2tp.max_tunnels */
	L2TP_LIM_TUNNELS_PER_SA,       /* l2tp.max_tunnels_per_sa (or the per-inner-port cap) */
	L2TP_LIM_SESSIONS,             /* l2tp.max_sessions (all tunnels) */
	L2TP_LIM_SESSIONS_PER_TUNNEL,  /* 1024 per tunnel */
	L2TP_LIM_SESSIONS_PER_SA,      /* l2tp.max_sessions_per_sa */
	L2TP_LIM_SESSIONS_PER_ACCOUNT, /* the account's max_sessions or l2tp.max_sessions_per_account */
	L2TP_LIM_LOGIN_PAIR,           /* ppp.login_fail_max: this account from this peer is locked */
	L2TP_LIM_LOGIN_PEER,           /* ppp.login_peer_fail_max: this peer is locked */
	L2TP_LIM_LOGIN_ACCOUNT,        /* ppp.login_account_fail_max: this account is locked */
	L2TP_LIM_N
};
const char *l2tp_limit_name(int which); /* the configuration key, e.g. "l2tp.max_tunnels_per_sa" */

struct l2tp_stats {
	unsigned tunnels, sessions, sessions_up;
	uint64_t rx_ctl, rx_data, tx_ctl, rexmits, drops, dups;
	uint64_t mss_clamped; /* TCP SYN/SYN-ACKs whose MSS was lowered, both directions */
	uint64_t auth[L2TP_AUTH_R_N];
	uint64_t refused[L2TP_LIM_N]; /* by the limit that refused */
	unsigned throttle_entries;    /* failed-login records held (throttle.c) */
};
void l2tp_get_stats(const struct l2tp *l, struct l2tp_stats *st);
/* live authenticated sessions of an account (what max_sessions is checked against) */
unsigned l2tp_account_sessions(const struct l2tp *l, const char *account);

/* "Who is connected": one call per session (and per tunnel without sessions, sid 0), for
 * rampartctl / the monitor. fn returns non-zero to stop. */
struct l2tp_session_info {
	struct l2tp_link link;
	uint16_t tid, sid, peer_tid, peer_sid;
	char host[64];    /* the LAC's Host Name */
	bool tunnel_up;   /* SCCCN done */
	bool ppp_up;      /* IPCP opened */
	uint32_t ip;      /* host order, 0 if none */
	uint64_t prefix6; /* the session's IPv6 /64 (upper 64 bits), 0 if none */
	char account[64];
	uint64_t since_ms; /* session (or tunnel) creation time */
};
void l2tp_foreach_session(const struct l2tp *l, int (*fn)(void *ctx, const struct l2tp_session_info *si),
                          void *ctx);

#endif
