/* rampart ppp: the PPP side of an L2TP session (server role), sans-IO.
 *
 *   fsm.c      the one RFC 1661 §4 option-negotiation automaton, driven by struct ppp_fsm_cb
 *   lcp.c      LCP callbacks (MRU, Auth-Protocol, Magic-Number + loopback, ACCM/PFC/ACFC), echo
 *   pap_chap.c PAP (RFC 1334), CHAP-MD5 (RFC 1994) and MS-CHAPv2 (RFC 2759) framing; verification
 *              is a callback into the owner (auth/ holds the only copy of the computations)
 *   ipcp.c     IPCP (RFC 1332) with the pool address, DNS/NBNS (RFC 1877)
 *   ipv6cp.c   IPV6CP (RFC 5072) Interface-Identifiers, when the owner enables IPv6
 *   mss.c      TCP MSS clamping of SYN/SYN-ACK (IPv4, IPv6), checksum fixed incrementally
 *   ppp.c      frame dispatch, phases, Protocol-Reject, timers, keepalive
 *   ppp_cli.c  the client role (ppp_cli.h): LCP, MS-CHAPv2/CHAP-MD5/PAP, IPCP, echo replies, for
 *              rampart-load and the tests; independent of fsm.c
 *
 * PPP never includes l2tp headers: its owner gives it a "send down" sink, a "closed" callback and
 * the authentication hook (struct ppp_cb). Callbacks run synchronously inside ppp_* calls and must
 * not call back into the same ppp object.
 */
#ifndef RP_PPP_H
#define RP_PPP_H

#include "rp_base.h"

enum {
	PPP_LCP = 0xc021,
	PPP_PAP = 0xc023,
	PPP_CHAP = 0xc223,
	PPP_IPCP = 0x8021,
	PPP_IPV6CP = 0x8057,
	PPP_CCP = 0x80fd,
	PPP_IP = 0x0021,
	PPP_IPV6 = 0x0057,
};

/* authentication methods, same bits as auth/'s enum auth_method */
enum { PPP_AUTH_PAP = 1, PPP_AUTH_CHAP_MD5 = 2, PPP_AUTH_MSCHAPV2 = 4 };

struct ppp_conf {
	uint16_t mru;             /* ours; default 1400 */
	unsigned auth_methods;    /* offered, best first: MS-CHAPv2, CHAP-MD5, PAP; default MS-CHAPv2|PAP */
	uint32_t local_ip;        /* our IPCP address, host order; required */
	uint32_t dns[2], nbns[2]; /* RFC 1877, 0 = not offered (option rejected) */
	unsigned echo_interval_s; /* LCP Echo-Request after this much silence; default 30, 0 off */
	unsigned echo_fails;      /* unanswered echoes before closing; default 4 */
	unsigned restart_ms;      /* RFC 1661 restart timer; default 3000 */
	unsigned max_configure;   /* 10 */
	unsigned max_terminate;   /* 2 */
	unsigned max_failure;     /* 5 */
	unsigned auth_retries;    /* MS-CHAPv2 retries offered with R=1; default 2 */
	unsigned phase_timeout_s; /* from start to IPCP up; default 60 */
	const char *name;         /* our CHAP name; default "rampart" */
	bool ipv6;                /* negotiate IPV6CP; off: IPV6CP is Protocol-Rejected */
	uint64_t ifid6;           /* our IPV6CP Interface-Identifier (fe80::ifid6); default 1 */
};

struct ppp_auth_req {
	unsigned method;
	const char *user;
	size_t user_len;
	const uint8_t *password; /* PAP */
	size_t password_len;
	uint8_t chap_id;
	const uint8_t *challenge; /* ours */
	size_t challenge_len;
	const uint8_t *response;       /* CHAP-MD5: 16 bytes */
	const uint8_t *peer_challenge; /* MS-CHAPv2: 16 */
	const uint8_t *nt_response;    /* MS-CHAPv2: 24 */
};

enum ppp_auth_verdict {
	PPP_AUTH_OK = 0,
	PPP_AUTH_BAD_PASSWORD,  /* retry allowed (MS-CHAPv2 E=691 R=1) */
	PPP_AUTH_DISABLED,      /* E=647 */
	PPP_AUTH_NO_PERMISSION, /* E=649: unknown user, method not allowed, no address */
};

struct ppp_auth_res {
	int verdict;
	char account[64];
	char auth_response[43]; /* MS-CHAPv2 "S=..." */
	uint32_t peer_ip;       /* address to give in IPCP (host order); the owner leases it */
};

enum ppp_down {
	PPP_DOWN_PEER = 1,    /* peer terminated */
	PPP_DOWN_AUTH,        /* authentication failed */
	PPP_DOWN_TIMEOUT,     /* negotiation or keepalive timeout */
	PPP_DOWN_NEGOTIATION, /* could not agree / loopback */
	PPP_DOWN_ADMIN,       /* ppp_close */
};

struct ppp_cb {
	void *ctx;
	/* a whole PPP frame (address/control, protocol, information) to send to the peer */
	void (*send)(void *ctx, const uint8_t *frame, size_t len);
	/* PPP is finished (LCP reached Closed/Stopped): the owner tears the session down */
	void (*closed)(void *ctx, int reason, const char *text);
	/* Returns 0 with res filled (answered now), or PPP_VERIFY_PENDING: the owner answers later
	 * with ppp_auth_answer (a store or a RADIUS server that takes a while); PPP waits without
	 * blocking and ignores the peer's retransmitted Responses meanwhile. Anything else refuses. */
	int (*verify)(void *ctx, const struct ppp_auth_req *req, struct ppp_auth_res *res);
	void (*up)(void *ctx, const char *account, uint32_t peer_ip);
	void (*ip_in)(void *ctx, const uint8_t *pkt, size_t len);
	/* IPV6CP opened (optional): the Interface-Identifiers agreed, ours and the peer's */
	void (*up6)(void *ctx, uint64_t our_ifid, uint64_t peer_ifid);
	/* an IPv6 packet from the peer (only while IPV6CP is up); the source is not checked here:
	 * the owner knows the prefix it gave */
	void (*ip6_in)(void *ctx, const uint8_t *pkt, size_t len);
	/* Optional, for ppp_output_ip_buf: the frame built in place (the 4-byte PPP header pushed
	 * into b's headroom), handed on as the same memory so the layers below push theirs too.
	 * Without it ppp_output_ip_buf hands send() the frame in b (still no copy). */
	void (*send_buf)(void *ctx, struct rp_buf *b);
};

enum { PPP_VERIFY_PENDING = 1 };

struct ppp;

void ppp_conf_defaults(struct ppp_conf *c);
struct ppp *ppp_new(const struct ppp_conf *conf, const struct ppp_cb *cb, struct rp_rng *rng,
                    struct rp_log *log, uint64_t now_ms);
void ppp_free(struct ppp *p);
/* Lower layer up + administrative open: LCP sends its first Configure-Request. */
void ppp_start(struct ppp *p, uint64_t now_ms);
/* One PPP frame from the peer (address/control optional, protocol possibly compressed). */
void ppp_input(struct ppp *p, const uint8_t *frame, size_t len, uint64_t now_ms);
void ppp_tick(struct ppp *p, uint64_t now_ms);
uint64_t ppp_next_deadline(const struct ppp *p);
/* Graceful close: LCP Terminate-Request; closed() follows. */
void ppp_close(struct ppp *p, const char *why, uint64_t now_ms);
/* An IPv4 packet to the peer (only once IPCP is up). -1 otherwise. */
int ppp_output_ip(struct ppp *p, const uint8_t *pkt, size_t len);
/* The same, in place: the IPv4 packet is b's data; the PPP header is pushed into its headroom
 * (at least 4 bytes). -1 (b untouched) when IPCP is not up, the packet is too long or there is
 * no headroom. */
int ppp_output_ip_buf(struct ppp *p, struct rp_buf *b);
/* An IPv6 packet to the peer (only once IPV6CP is up). -1 otherwise. */
int ppp_output_ip6(struct ppp *p, const uint8_t *pkt, size_t len);
bool ppp_is_up(const struct ppp *p);
bool ppp_ipv6_up(const struct ppp *p);
/* The answer to a verify that returned PPP_VERIFY_PENDING: Success/Ack or Failure/Nak goes to the
 * peer now. -1 when no verification is pending (a late answer after the session moved on). */
int ppp_auth_answer(struct ppp *p, const struct ppp_auth_res *res, uint64_t now_ms);
bool ppp_auth_pending(const struct ppp *p);
uint64_t ppp_last_rx(const struct ppp *p); /* liveness for the tunnel (Android skips HELLO) */
uint32_t ppp_peer_ip(const struct ppp *p);
uint16_t ppp_peer_mru(const struct ppp *p);
size_t ppp_sizeof(void); /* per-session state, for capacity planning */

/* TCP MSS clamping (mss.c), pure: where a TCP SYN or SYN-ACK carries an MSS option above max4
 * (IPv4) or max6 (IPv6; 0 = leave that family alone). ppp_mss_find only reads pkt[0..n) and
 * returns false for anything else (not TCP, no SYN, a later fragment, truncated or malformed
 * headers and options); ppp_mss_apply writes the new value and fixes the TCP checksum (RFC 1624).
 * ppp_mss_clamp does both in place and returns 1 when it lowered the MSS. */
struct ppp_mss_at {
	size_t val, csum;  /* offsets of the option's value and of the TCP checksum */
	uint16_t mss, max; /* the value found and the one to write */
};
bool ppp_mss_find(const uint8_t *pkt, size_t n, uint16_t max4, uint16_t max6, struct ppp_mss_at *at);
void ppp_mss_apply(uint8_t *pkt, const struct ppp_mss_at *at);
int ppp_mss_clamp(uint8_t *pkt, size_t n, uint16_t max4, uint16_t max6);

/* Codec helpers, exposed for tests and fuzzing: strip address/control and decode the protocol.
 * Returns the offset of the information field, or -1. */
int ppp_frame_parse(const uint8_t *f, size_t n, uint16_t *proto);
/* Validates a control packet (code, id, length within n, options well formed when the code
 * carries options). Returns the packet length or -1. */
int ppp_ctl_validate(const uint8_t *p, size_t n, bool has_options);

#endif
