/* PPP client (the role pppd or Windows plays), for rampart-load and as the peer of the PPP/L2TP
 * tests: LCP (with a few options the server must reject, as Windows offers them), MS-CHAPv2 (the
 * server's authenticator response is checked, RFC 2759 §5), CHAP-MD5 or PAP computed with auth/'s
 * functions, IPCP asking for an address and DNS, LCP Echo-Reply. Sans-IO and reactive: feed it
 * the server's frames (address/control ff 03 included); its frames go to the sink. It does not
 * retransmit by itself: the caller resends the current step with ppp_cli_kick on its timer. */
#ifndef PPP_CLI_H
#define PPP_CLI_H

#include "rp_base.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ppp_cli_auth {
	PPP_CLI_AUTH_ANY = 0, /* answer what the server asks (MS-CHAPv2 normally) */
	PPP_CLI_AUTH_PAP,     /* Nak CHAP asking PAP, then send the PAP request (pap_auto) */
	PPP_CLI_AUTH_CHAP_MD5 /* Nak MS-CHAPv2 asking CHAP-MD5 */
};

struct ppp_cli {
	/* where the client's frames go (ff 03 + protocol + packet); set before ppp_cli_start */
	void (*send)(void *ctx, const uint8_t *f, size_t n);
	void *ctx;
	/* IPv4 packets the server sends once IPCP is open (optional) */
	void (*ip_in)(void *ctx, const uint8_t *pkt, size_t n);
	const char *user, *pass;
	uint32_t magic;
	bool offer_mrru; /* Windows-like extra options the server rejects */
	bool lcp_acked, lcp_ack_sent, auth_ok, ipcp_acked, ipcp_ack_sent;
	bool auth_failed, terminated, got_proto_rej;
	bool no_echo_reply;
	bool rej_dns1, rej_dns2, rej_vj;
	bool pap_auto, pap_agreed, pap_sent; /* send PAP by itself once LCP is open */
	uint8_t resp[120]; /* last CHAP Response information, resent on a kick like Windows does */
	size_t resp_len;
	uint8_t resp_id;
	uint8_t lcp_id, ipcp_id;
	uint32_t ip, dns1, dns2;
	uint32_t peer_ip; /* the server's address from its IPCP Configure-Request */
	uint8_t peer_chal[16], ntresp[24], auth_chal[16];
	unsigned echo_replies, lcp_reqs_rcvd, chap_retries;
	char fail_msg[200];
	int auth_kind; /* enum ppp_cli_auth */
};

/* Resets the state (keeping send/ctx/ip_in) and sends the first LCP Configure-Request. */
void ppp_cli_start(struct ppp_cli *c, const char *user, const char *pass, uint32_t magic);
void ppp_cli_input(struct ppp_cli *c, const uint8_t *f, size_t n);
/* Resend the current step (LCP request, CHAP response or IPCP request): the caller's timer. */
void ppp_cli_kick(struct ppp_cli *c);
/* An IPv4 packet to the server (PPP protocol 0x0021). */
void ppp_cli_send_ip(struct ppp_cli *c, const uint8_t *pkt, size_t n);
bool ppp_cli_up(const struct ppp_cli *c);
/* One PPP packet: ff 03, protocol, code, id, length, data. */
void ppp_cli_emit(struct ppp_cli *c, uint16_t proto, uint8_t code, uint8_t id, const uint8_t *d, size_t n);
void ppp_cli_lcp_req(struct ppp_cli *c);
void ppp_cli_ipcp_req(struct ppp_cli *c);
void ppp_cli_pap(struct ppp_cli *c); /* the PAP request (after the server agreed PAP) */
/* The MS-CHAPv2 Response to a Challenge (code 1) with identifier id, data d. */
void ppp_cli_chap(struct ppp_cli *c, uint8_t id, const uint8_t *d, size_t n);

#endif
