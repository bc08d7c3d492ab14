#ifndef RP_RA_H
#define RP_RA_H
/* IPv6 on the PPP link (RFC 5072 §5, RFC 4861): a session's link-scoped IPv6 traffic stays
 * with us. A Router Solicitation is answered with a Router Advertisement carrying the session's
 * /64 for stateless autoconfiguration (RFC 4862), us as default router, and the DNS servers and
 * search domain (RFC 8106 RDNSS, DNSSL). Sans-IO: an IPv6 packet in, the answer's packet out. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ra_conf {
	uint8_t dns[2][16]; /* RDNSS */
	unsigned ndns;
	const char *domain;            /* DNSSL; "" or NULL: none */
	uint32_t router_lifetime_s;    /* 0: not a default router (RFC 4861 §4.2); default 1800 */
	uint32_t valid_s, preferred_s; /* the prefix's lifetimes; defaults 86400 and 14400 */
};

/* What the session is on our side: its /64 and our link-local address fe80::our_ifid. */
struct ra_link {
	uint64_t prefix; /* upper 64 bits of the session's /64; 0 = none (no prefix option) */
	uint64_t our_ifid;
};

enum ra_verdict {
	RA_FORWARD, /* a global destination: the packet goes on to the TUN */
	RA_ANSWER,  /* a Router Solicitation: *out holds our Router Advertisement */
	RA_LOCAL,   /* link-scoped, and nothing we answer (MLD, other multicast): dropped; why says */
};

#define RA_MAX 512
/* pkt: an IPv6 packet from a session whose source was checked; out: at least RA_MAX bytes. */
enum ra_verdict ra_input(const struct ra_conf *c, const struct ra_link *l, const uint8_t *pkt, size_t len,
                         uint8_t *out, size_t *outlen, const char **why);
/* A Router Advertisement to dst (16 bytes; ff02::1 when unsolicited). Returns its length or 0. */
size_t ra_build(const struct ra_conf *c, const struct ra_link *l, const uint8_t dst[16], uint8_t *out,
                size_t cap);
#endif
