#ifndef RP_DHCP_H
#define RP_DHCP_H
/* Answers to DHCPINFORM inside a PPP session (split tunnelling for Windows and macOS): after IPCP
 * the client asks for its configuration parameters (RFC 2131 §3.4) and installs the classless
 * static routes of the answer (RFC 3442 option 121; Windows reads Microsoft's option 249 of the
 * same layout, [MS-DHCPE] §2.2.9) and the DNS suffix (option 15). Sans-IO: an IPv4 packet in, the
 * IPv4 packet of the answer out. */
#include <stddef.h>
#include <stdint.h>

struct dhcp_route {
	uint32_t net; /* host order */
	uint8_t len;
};

struct dhcp_conf {
	uint32_t server; /* our tunnel address: server identifier, source, and the routes' router */
	const struct dhcp_route *routes;
	size_t nroutes;
	const char *domain;       /* "" or NULL: no option 15 */
	uint32_t dns[2], wins[2]; /* 0 = none */
};

enum dhcp_verdict {
	DHCP_NOT_DHCP, /* not UDP to port 67: the packet goes on as any other */
	DHCP_ANSWER,   /* *out holds the DHCPACK to send back to the client */
	DHCP_DROP,     /* to the DHCP port but not a DHCPINFORM we answer: why says so */
};

/* pkt: an IPv4 packet from a session; out: at least DHCP_MAX_ANSWER bytes. */
#define DHCP_MAX_ANSWER 1024
enum dhcp_verdict dhcp_inform(const struct dhcp_conf *c, const uint8_t *pkt, size_t len, uint8_t *out,
                              size_t *outlen, const char **why);
#endif
