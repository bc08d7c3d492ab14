#ifndef SRV_TAB_H
#define SRV_TAB_H
/* The server's records of who is connected (issue 17): IPsec SA pairs (what `show sas` prints,
 * the map from an L2TP link to its outbound SA, the certificate account a login must match) and
 * PPP sessions, each found by hash in O(1) and iterated in the order they came: by inbound SPI,
 * by IKE cookies (is an IKE SA shared by other pairs?), by (link, tunnel ID, session ID) (tunnel
 * IDs are per link), and each pair with the list of its sessions. Loop-free apart from iteration;
 * no libuv (server/test_srv_tab.c drives it alone). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike.h"
#include "l2tp.h"

struct srv_sess;

struct srv_child {
	uint32_t spi_in, spi_out, out_id;
	uint8_t icky[8], rcky[8];
	struct rp_addr local, peer, peer_inner;
	bool udp_encap;
	bool local_natd; /* we are behind a NAT: NAT keepalives are ours to send (RFC 3948 §2.3) */
	uint32_t life_s;
	uint16_t transform, auth, keybits;
	char peer_id[IKE_ID_STRLEN];
	char account[IKE_ACCOUNT_LEN]; /* the certificate's account (RSA signatures), "" with a PSK */
	uint64_t since_ms;
	bool killing; /* a disconnect is under way (srv_admin.c) */
	/* table links */
	struct srv_child *hnext, *cnext, *next, *prev; /* by SPI, by cookies, all */
	struct srv_sess *sess;                         /* its sessions, oldest first */
	unsigned nsess;
};

struct srv_sess {
	struct l2tp_link link;
	uint64_t link_sa; /* link.sa: our inbound SPI << 32 | the outbound SA's id; 0 = plain L2TP */
	uint16_t tid, sid;
	uint32_t ip;
	char account[64];
	uint64_t since_ms;
	bool killing;
	/* its groups' split-tunnel routes and domain (auth/netcfg.c), read from the store at its
	 * first DHCPINFORM and kept for the session (owned; NULL until then) */
	struct auth_net *net;
	struct srv_child *child; /* the pair it runs over; NULL for plain L2TP or once the pair went */
	struct srv_sess *hnext, *next, *prev, *lnext, *lprev; /* by ID, all, the pair's (or plain) list */
	bool listed;                                          /* on a pair's or the plain list */
};

struct srv_tab {
	struct srv_child *children, *child_tail;
	size_t nchild;
	struct srv_child **by_spi, **by_cky;
	size_t cnb;
	struct srv_sess *sessions, *sess_tail;
	size_t nsess;
	struct srv_sess **by_id;
	size_t snb;
	struct srv_sess *plain; /* sessions over plain L2TP (l2tp.allow_plain) */
};

int srv_tab_init(struct srv_tab *t); /* 0 or -ENOMEM */
void srv_tab_free(struct srv_tab *t);

/* A new pair record (zeroed but for the keys given), or NULL when out of memory. */
struct srv_child *srv_tab_child_new(struct srv_tab *t, uint32_t spi_in, const uint8_t icky[8],
                                    const uint8_t rcky[8]);
void srv_tab_child_del(struct srv_tab *t, struct srv_child *ch); /* its sessions stay, unattached */
struct srv_child *srv_tab_child_by_in(const struct srv_tab *t, uint32_t spi_in);
/* Another pair than spi_in negotiated under these IKE cookies. */
bool srv_tab_ike_shared(const struct srv_tab *t, const uint8_t icky[8], const uint8_t rcky[8],
                        uint32_t spi_in);

struct srv_sess *srv_tab_sess_new(struct srv_tab *t, const struct l2tp_link *link, uint16_t tid,
                                  uint16_t sid);
void srv_tab_sess_del(struct srv_tab *t, struct srv_sess *se);
struct srv_sess *srv_tab_sess_find(const struct srv_tab *t, const struct l2tp_link *link, uint16_t tid,
                                   uint16_t sid);
/* The session of link whose client address is ip (host order): among the pair's sessions. */
struct srv_sess *srv_tab_sess_by_ip(const struct srv_tab *t, const struct l2tp_link *link, uint32_t ip);
/* A session other than sid in the tunnel (link, tid): looked up among the pair's sessions. */
bool srv_tab_tunnel_shared(const struct srv_tab *t, const struct l2tp_link *link, uint16_t tid, uint16_t sid);
#endif
