/* Sending towards clients (the sockets chosen by local address, raw ESP, L2TP inside ESP, in place
 * for the IP data path) and the write to the TUN, with the one per-packet IP hook between them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "natt.h"
#include "srv_local.h"


/* The socket bound to the local address the peer talks to; any of the family otherwise (a plain
 * L2TP reply, which has no local address in its link). */
static struct srv_udp *udp_for(struct srv *s, int kind, const struct rp_addr *local,
                               const struct rp_addr *dst)
{
	struct srv_udp *u = NULL;
	for (unsigned i = 0; i < s->n_listen && !u; i++)
		if (rp_addr_ipeq(&s->laddr[i], local))
			u = &s->udp[i][kind];
	for (unsigned i = 0; i < s->n_listen && !u; i++)
		if (s->laddr[i].family == dst->family)
			u = &s->udp[i][kind];
	return u;
}

void srv_send_udp(struct srv *s, int kind, const struct rp_addr *local, const struct rp_addr *dst,
                  const uint8_t *p, size_t n)
{
	struct srv_udp *u = udp_for(s, kind, local, dst);
	if (!u)
		return;
	struct sockaddr_storage ss;
	srv_sockaddr(dst, dst->port, &ss);
	srv_udp_queue(s, u, &ss, p, n);
}

static void send_raw_esp(struct srv *s, const struct rp_addr *local, const struct rp_addr *dst,
                         const uint8_t *p, size_t n)
{
	unsigned pick = s->n_listen;
	for (unsigned i = 0; i < s->n_listen && pick == s->n_listen; i++)
		if (s->esp[i].fd >= 0 && rp_addr_ipeq(&s->laddr[i], local))
			pick = i;
	for (unsigned i = pick == s->n_listen ? 0 : pick; i < s->n_listen; i++) {
		if (s->esp[i].fd < 0 || s->laddr[i].family != dst->family)
			continue;
		struct sockaddr_storage ss;
		srv_sockaddr(dst, 0, &ss);
		if (sendto(s->esp[i].fd, p, n, 0, (struct sockaddr *)&ss,
		           dst->family == 4 ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) < 0)
			rp_logf(&s->log, RP_LOG_WARN, "esp", "raw ESP send failed: %s", strerror(errno));
		return;
	}
}

/* An L2TP frame in b (headroom for the inner UDP and ESP headers) through its SA to the peer, in
 * place: the datagram handed to sendmmsg is b's memory (srv_udp_queue_buf). */
static void send_l2tp_buf(struct srv *s, const struct l2tp_link *link, struct rp_buf *b, uint64_t now)
{
	struct srv_core *c = s->core;
	/* natt_udp_push leaves the inner UDP checksum 0: allowed for UDP over IPv4, and what RFC 3948
	 * §3.1.2 lets a receiver behind NAT accept without recomputing it over pre-NAT addresses. */
	if (natt_udp_push(b, L2TP_PORT, link->peer.port ? link->peer.port : L2TP_PORT))
		return;
	struct esp_tx tx;
	uint32_t out_id = (uint32_t)link->sa;
	int rc = esp_encap(c->sad, out_id, b, now, &tx);
	if (rc) {
		rp_logf(&s->log, RP_LOG_WARN, "esp", "cannot encapsulate for SA %08x: %d", out_id, rc);
		return;
	}
	if (tx.encap != ESP_ENCAP_UDP) {
		send_raw_esp(s, &tx.local, &tx.peer, rp_buf_data(b), b->len);
		return;
	}
	struct srv_udp *u = udp_for(s, SRV_NATT, &tx.local, &tx.peer);
	if (!u)
		return;
	struct sockaddr_storage ss;
	srv_sockaddr(&tx.peer, tx.peer.port, &ss);
	srv_udp_queue_buf(s, u, &ss, b);
}

/* L2TP payload to a peer: plain UDP (link.sa == 0), or inner UDP inside ESP transport mode. Control
 * frames and PPP's own (LCP, IPCP) come this way, copied once into c->tx; the IP data path comes
 * through send_l2tp_buf without a copy. */
void srv_send_l2tp(struct srv *s, const struct l2tp_link *link, const uint8_t *p, size_t n, uint64_t now)
{
	struct srv_core *c = s->core;
	if (!link->sa) {
		struct rp_addr local = {0};
		srv_send_udp(s, SRV_L2TP, &local, &link->peer, p, n);
		return;
	}
	struct rp_buf b;
	if (n > sizeof c->tx - SRV_TX_HEADROOM - ESP_TAILROOM)
		return;
	rp_buf_view(&b, c->tx, sizeof c->tx, SRV_TX_HEADROOM, 0);
	memcpy(rp_buf_put(&b, n), p, n);
	send_l2tp_buf(s, link, &b, now);
}

/* The L2TP core's data fast path (l2tp_conf.data_send / ip_deliver): no event per packet. */
void srv_l2tp_data_send(void *ctx, const struct l2tp_link *link, const uint8_t *p, size_t n)
{
	struct srv *s = ctx;
	srv_send_l2tp(s, link, p, n, srv_now(s));
}

void srv_l2tp_data_send_buf(void *ctx, const struct l2tp_link *link, struct rp_buf *b)
{
	struct srv *s = ctx;
	if (!link->sa) { /* plain L2TP (debugging only): the copying path */
		srv_send_l2tp(s, link, rp_buf_data(b), b->len, srv_now(s));
		return;
	}
	send_l2tp_buf(s, link, b, srv_now(s));
}

void srv_tun_write(struct srv *s, uint8_t *pkt, size_t n)
{
	if (s->tun_vnet) { /* written at the end of the receive batch, coalesced where it can be */
		srv_tunq_add(s, pkt, n);
		/* queued packets must stay put until then: a receive buffer does, the L2TP core's scratch
		 * copy of a clamped SYN does not (written now, after what is queued before it) */
		if (l2tp_scratch(s->core->l2tp, pkt))
			srv_tunq_flush(s);
		return;
	}
	if (write(s->tun_fd, pkt, n) < 0)
		rp_logf(&s->log, RP_LOG_WARN, "server", "TUN write: %s", strerror(errno));
}
