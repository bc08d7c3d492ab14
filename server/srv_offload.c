/* The data path's offloads ([server] udp_gso, udp_gro): UDP segmentation of runs of datagrams to
 * one peer on send, and GRO batches cut back into datagrams on the NAT-T socket's receive. Each is
 * probed at start, falls back to one datagram per system call when the kernel refuses it, and the
 * choice goes into the "data path:" start line. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "srv_local.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* linux/udp.h, 4.18 */
#endif
#define SRV_GSO_MAX_SEGS 64 /* the kernel's UDP_MAX_SEGMENTS before 6.x */
#define SRV_GSO_MAX 65000   /* one UDP datagram's worth of payload */

static bool same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
	return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

/* Copied datagrams (srv_udp_queue: IKE, L2TP control, LCP) are never merged: they are few, and a
 * capture on the server's side shows a GSO send as one frame, which would hide a StopCCN or a
 * DELETE behind the message before it from whoever reads it. The data path's datagrams, sent
 * from their transmit slots, are the runs worth merging. */
static bool copied(const struct srv_txq *q, unsigned i)
{
	const uint8_t *p = q->iov[i].iov_base;
	return p >= q->data[0] && p < q->data[SRV_TXQ - 1] + SRV_TXQ_SLOT;
}

/* UDP GSO: consecutive queued datagrams to one peer, all of one size but the last (which may be
 * shorter), become one message whose iovecs are theirs and whose UDP_SEGMENT control message
 * tells the kernel where to cut: one trip through the stack (routing, netfilter, the NAT, the
 * device) for up to 64 datagrams. Returns how many queued datagrams it dealt with: all of them,
 * or those before a message the kernel refused with EIO/EINVAL (the device or kernel cannot
 * segment: GSO is switched off, logged, and the rest goes out one datagram per message). */
unsigned srv_flush_gso(struct srv *s, int fd, struct srv_txq *q)
{
	unsigned ng = 0;
	for (unsigned i = 0; i < q->n;) {
		size_t seg = q->iov[i].iov_len, total = seg;
		unsigned j = i + 1;
		while (!copied(q, i) && j < q->n && !copied(q, j) && j - i < SRV_GSO_MAX_SEGS &&
		       q->iov[j].iov_len <= seg && q->iov[j - 1].iov_len == seg &&
		       total + q->iov[j].iov_len <= SRV_GSO_MAX && same_peer(&q->to[i], &q->to[j]))
			total += q->iov[j++].iov_len;
		struct mmsghdr *m = &q->gso[ng];
		*m = q->msg[i];
		m->msg_hdr.msg_iovlen = j - i;
		if (j - i > 1) {
			m->msg_hdr.msg_control = q->gso_ctl[ng].buf;
			m->msg_hdr.msg_controllen = sizeof q->gso_ctl[ng].buf;
			struct cmsghdr *c = CMSG_FIRSTHDR(&m->msg_hdr);
			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
			uint16_t sz = (uint16_t)seg;
			memcpy(CMSG_DATA(c), &sz, sizeof sz);
		}
		q->gso_segs[ng++] = j - i;
		i = j;
	}
	unsigned sent = 0, dg = 0;
	while (sent < ng) {
		int k = sendmmsg(fd, q->gso + sent, ng - sent, MSG_DONTWAIT);
		if (k < 0) {
			if ((errno == EIO || errno == EINVAL) && q->gso_segs[sent] > 1) {
				s->udp_gso = false;
				rp_logf(&s->log, RP_LOG_WARN, "server",
				        "data path: UDP GSO refused by the kernel (%s): one datagram per "
				        "message from now",
				        strerror(errno));
				return dg;
			}
			rp_logf(&s->log, RP_LOG_WARN, "server", "UDP send of %u datagrams failed: %s",
			        q->n - dg, strerror(errno));
			s->tx_batches++;
			return q->n; /* UDP: a full socket buffer drops, as the network would */
		}
		for (int x = 0; x < k; x++) {
			dg += q->gso_segs[sent + (unsigned)x];
			s->tx_gso_sends += q->gso_segs[sent + (unsigned)x] > 1;
		}
		sent += (unsigned)k;
	}
	s->tx_batches++;
	s->tx_datagrams += dg;
	return dg;
}

/* [server] udp_gso, and whether the kernel has it (a probe on the NAT-T sockets); what was chosen
 * goes into the start's "data path:" line. */
void srv_offloads_setup(struct srv *s)
{
	snprintf(s->offloads, sizeof s->offloads, "udp_gso=%s", s->conf->udp_gso ? "on" : "off(config)");

	s->udp_gso = s->conf->udp_gso;
	for (unsigned i = 0; i < s->n_listen && s->udp_gso; i++) {
		int fd, zero = 0;
		if (uv_fileno((uv_handle_t *)&s->udp[i][SRV_NATT].h, &fd) == 0 &&
		    setsockopt(fd, SOL_UDP, UDP_SEGMENT, &zero, sizeof zero) < 0) {
			s->udp_gso = false;
			snprintf(s->offloads, sizeof s->offloads, "udp_gso=off(kernel:%s)", strerror(errno));
		}
	}
}

/* ---- UDP GRO on the NAT-T socket ---- */

#ifndef UDP_GRO
#define UDP_GRO 104 /* linux/udp.h, 5.0 */
#endif

/* One recvmmsg batch: each message is one datagram, or (GRO) several of gso_size bytes (the last
 * may be shorter) that the kernel coalesced; they are cut apart in place and dispatched one by
 * one, so ESP decrypts each where it lies. */
static void gro_readable(uv_poll_t *h, int status, int events)
{
	struct srv_udp *u = h->data;
	struct srv_gro *g = u->gro;
	(void)events;
	if (status < 0)
		return;
	for (int round = 0; round < 4; round++) {
		for (unsigned i = 0; i < SRV_MMSG; i++) {
			g->iov[i].iov_base = u->buf + (size_t)i * SRV_DGRAM;
			g->iov[i].iov_len = SRV_DGRAM;
			memset(&g->msg[i], 0, sizeof g->msg[i]);
			g->msg[i].msg_hdr.msg_name = &g->from[i];
			g->msg[i].msg_hdr.msg_namelen = sizeof g->from[i];
			g->msg[i].msg_hdr.msg_iov = &g->iov[i];
			g->msg[i].msg_hdr.msg_iovlen = 1;
			g->msg[i].msg_hdr.msg_control = g->ctl[i].buf;
			g->msg[i].msg_hdr.msg_controllen = sizeof g->ctl[i].buf;
		}
		int n = recvmmsg(g->fd, g->msg, SRV_MMSG, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return; /* EAGAIN: drained */
		for (int i = 0; i < n; i++) {
			struct msghdr *m = &g->msg[i].msg_hdr;
			size_t len = g->msg[i].msg_len, seg = len;
			uint8_t *p = g->iov[i].iov_base;
			if (m->msg_flags & MSG_TRUNC) {
				disp_drop(&u->s->disp, DP_OTHER, "datagram larger than 64 KiB");
				continue;
			}
			for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c))
				if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
					int v;
					memcpy(&v, CMSG_DATA(c), sizeof v);
					if (v > 0)
						seg = (size_t)v;
				}
			if (seg < len)
				u->s->rx_gro_batches++;
			for (size_t off = 0; off < len; off += seg)
				srv_udp_datagram(u, p + off, len - off < seg ? len - off : seg,
				                 (const struct sockaddr *)&g->from[i]);
		}
		srv_tunq_flush(u->s); /* before the buffers are read into again */
		if (n < SRV_MMSG)
			return;
	}
}

int srv_gro_start(struct srv *s, struct srv_udp *u)
{
	int fd, one = 1;
	if (!s->udp_gro || uv_fileno((uv_handle_t *)&u->h, &fd))
		return -1;
	if (setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof one) < 0) {
		s->udp_gro = false;
		snprintf(s->offloads_gro, sizeof s->offloads_gro, "udp_gro=off(kernel:%s)", strerror(errno));
		return -1;
	}
	/* A descriptor of our own for the poll handle: libuv keeps one watcher per descriptor, and
	 * the UDP handle keeps the original (sends, close). */
	u->gro = calloc(1, sizeof *u->gro);
	int dfd = u->gro ? dup(fd) : -1;
	if (dfd < 0) {
		free(u->gro);
		u->gro = NULL;
		one = 0;
		setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof one);
		return -1;
	}
	u->gro->fd = dfd;
	uv_poll_init_socket(&s->loop, &u->gro->poll, dfd);
	u->gro->poll.data = u;
	uv_poll_start(&u->gro->poll, UV_READABLE, gro_readable);
	return 0;
}

void srv_gro_free(struct srv_udp *u)
{
	if (!u->gro)
		return;
	close(u->gro->fd);
	free(u->gro);
	u->gro = NULL;
}
