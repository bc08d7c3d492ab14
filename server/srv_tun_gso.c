/* [server] tun_offload: the TUN with virtio-net headers (IFF_VNET_HDR) and TCP/UDP segmentation
 * offload, so that one read can carry up to 64 KiB of one TCP (TSO) or UDP (USO) flow, which is cut
 * here into MTU-sized IPv4/IPv6 packets, each then going its way to the session like any other; and
 * packets the kernel leaves unchecksummed (TUN_F_CSUM) are checksummed here before they are
 * encrypted. What the kernel takes is probed at start; without offloads the reads carry plain
 * packets behind a zero header. */
#include <errno.h>
#include <netinet/in.h> /* before the linux/ headers: their libc-compat guards need it first */
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "srv_local.h"

#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20 /* Linux 6.2; taken only together with USO6 */
#define TUN_F_USO6 0x40
#endif
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif

int srv_tun_offload_setup(int fd, char *what, size_t n)
{
	static const struct {
		unsigned flags;
		const char *name;
	} tries[] = {{TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_USO4 | TUN_F_USO6, "tso+uso"},
	             {TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6, "tso"}};
	for (size_t i = 0; i < RP_ARRAY_LEN(tries); i++)
		if (ioctl(fd, TUNSETOFFLOAD, tries[i].flags) == 0) {
			snprintf(what, n, "tun_offload=%s", tries[i].name);
			return 0;
		}
	snprintf(what, n, "tun_offload=vnet-only(kernel:%s)", strerror(errno));
	(void)ioctl(fd, TUNSETOFFLOAD, 0u);
	return -1;
}

/* NEEDS_CSUM (virtio-net): the field at csum_start + csum_offset holds the pseudo-header sum; the
 * rest of the checksum is ours to add, over csum_start to the end. */
int srv_tun_csum(uint8_t *pkt, size_t n, const struct virtio_net_hdr *h)
{
	if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return 0;
	size_t st = h->csum_start, at = st + h->csum_offset;
	if (st >= n || at + 2 > n)
		return -1;
	uint16_t c = (uint16_t)~rp_fold16(rp_sum16(0, pkt + st, n - st));
	if (c == 0 && n >= 10 && (pkt[0] >> 4 == 6 ? pkt[6] : pkt[9]) == IPPROTO_UDP)
		c = 0xffff;
	rp_put_u16(pkt + at, c);
	return 0;
}

/* One segment of a TSO/USO packet: its headers (hl bytes: IP + TCP/UDP, ihl of them IP) from the
 * original, then len bytes of payload from off; lengths, the IPv4 ID and checksum, the TCP
 * sequence number and flags, the TCP/UDP checksum fixed. */
static void make_segment(uint8_t *out, const uint8_t *gso, size_t hl, size_t ihl, uint8_t proto, size_t off,
                         size_t len, unsigned idx, bool last)
{
	memcpy(out, gso, hl);
	memcpy(out + hl, gso + hl + off, len);
	uint8_t *l4 = out + ihl;
	size_t l4len = hl - ihl + len;
	uint32_t ps;
	if (out[0] >> 4 == 4) {
		rp_put_u16(out + 2, (uint16_t)(hl + len));
		rp_put_u16(out + 4, (uint16_t)(rp_get_u16(gso + 4) + idx));
		out[10] = out[11] = 0;
		rp_put_u16(out + 10, (uint16_t)~rp_fold16(rp_sum16(0, out, ihl)));
		ps = rp_sum16(0, out + 12, 8);
	} else {
		rp_put_u16(out + 4, (uint16_t)l4len); /* no extension headers (checked by the caller) */
		ps = rp_sum16(0, out + 8, 32);
	}
	ps += proto + (uint32_t)l4len;
	if (proto == IPPROTO_TCP) {
		rp_put_u32(l4 + 4, rp_get_u32(gso + ihl + 4) + (uint32_t)off);
		if (!last)
			l4[13] &= (uint8_t)~0x09; /* FIN and PSH only on the last segment */
		if (idx)
			l4[13] &= (uint8_t)~0x80; /* CWR only on the first */
		l4[16] = l4[17] = 0;
		rp_put_u16(l4 + 16, (uint16_t)~rp_fold16(rp_sum16(ps, l4, l4len)));
	} else {
		rp_put_u16(l4 + 4, (uint16_t)l4len);
		l4[6] = l4[7] = 0;
		uint16_t c = (uint16_t)~rp_fold16(rp_sum16(ps, l4, l4len));
		rp_put_u16(l4 + 6, c ? c : 0xffff);
	}
}

/* A GSO read (TCP or UDP over IPv4 or IPv6): each segment is built in the next transmit slot and
 * handed to one() as if the TUN had given it alone. -1 (dropped) when the packet is not what the
 * header says (or carries IPv6 extension headers). */
int srv_tun_segment(struct srv *s, const uint8_t *gso, size_t n, const struct virtio_net_hdr *h,
                    void (*one)(struct srv *s, struct rp_buf *b))
{
	unsigned t = h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
	bool v6 = n >= 40 && gso[0] >> 4 == 6;
	uint8_t proto = t == VIRTIO_NET_HDR_GSO_UDP_L4 ? IPPROTO_UDP : IPPROTO_TCP;
	if (!(t == VIRTIO_NET_HDR_GSO_UDP_L4 || (!v6 && t == VIRTIO_NET_HDR_GSO_TCPV4) ||
	      (v6 && t == VIRTIO_NET_HDR_GSO_TCPV6)) ||
	    n < 28 || (!v6 && gso[0] >> 4 != 4))
		return -1;
	size_t ihl = v6 ? 40 : (size_t)(gso[0] & 15) * 4;
	if (ihl < 20 || n < ihl + 20 || (v6 ? gso[6] : gso[9]) != proto)
		return -1;
	size_t hl = ihl + (proto == IPPROTO_TCP ? (size_t)(gso[ihl + 12] >> 4) * 4 : 8);
	size_t mss = h->gso_size;
	if (hl > n || (proto == IPPROTO_TCP && hl < ihl + 20) || !mss ||
	    hl + mss > s->txslot_size - SRV_TX_HEADROOM - ESP_TAILROOM)
		return -1;
	size_t pay = n - hl;
	unsigned idx = 0;
	for (size_t off = 0; off < pay; off += mss, idx++) {
		size_t len = pay - off < mss ? pay - off : mss;
		uint8_t *slot = srv_tx_slot(s);
		make_segment(slot + SRV_TX_HEADROOM, gso, hl, ihl, proto, off, len, idx, off + len >= pay);
		struct rp_buf b;
		rp_buf_view(&b, slot, s->txslot_size, SRV_TX_HEADROOM, hl + len);
		s->tun_gso_segments++;
		one(s, &b);
	}
	return 0;
}

/* ---- coalesced writes ([server] tun_coalesce) ---- */

/* Two IPv4 UDP packets the kernel can carry as one USO write: same addresses, ports, TOS and TTL,
 * no options, not fragments. */
static bool udp_mergeable(const uint8_t *a, const uint8_t *b, size_t bn)
{
	return bn > 28 && b[0] == 0x45 && b[9] == IPPROTO_UDP && (rp_get_u16(b + 6) & 0x3fff) == 0 &&
	       a[1] == b[1] && a[8] == b[8] && memcmp(a + 12, b + 12, 12) == 0;
}

/* Packets for the TUN of one receive batch are queued (they point into the receive buffer, which
 * stays ours until the next recvmmsg) and written here: a run of one UDP flow's datagrams of one
 * size (the last may be shorter) as one write with a UDP_L4 GSO header, which the kernel cuts up
 * after one trip through its stack; anything else one write each. */
void srv_tunq_flush(struct srv *s)
{
	static const struct virtio_net_hdr plain;
	unsigned n = s->tunq_n;
	s->tunq_n = 0;
	for (unsigned i = 0; i < n;) {
		const uint8_t *a = s->tunq[i].iov_base;
		size_t an = s->tunq[i].iov_len, seg = an - 28, total = an;
		unsigned j = i + 1;
		if (s->tun_coalesce && udp_mergeable(a, a, an))
			while (j < n && j - i < SRV_TUNQ_RUN && s->tunq[j - 1].iov_len == an &&
			       s->tunq[j].iov_len - 28 <= seg &&
			       udp_mergeable(a, s->tunq[j].iov_base, s->tunq[j].iov_len) &&
			       total + s->tunq[j].iov_len - 28 <= 65535)
				total += s->tunq[j++].iov_len - 28;
		struct iovec iov[SRV_TUNQ_RUN + 2];
		ssize_t r;
		if (j - i == 1) {
			iov[0] = (struct iovec){(void *)&plain, sizeof plain};
			iov[1] = s->tunq[i];
			r = writev(s->tun_fd, iov, 2);
		} else {
			struct virtio_net_hdr h = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
			                           .gso_type = VIRTIO_NET_HDR_GSO_UDP_L4,
			                           .hdr_len = 28,
			                           .gso_size = (uint16_t)seg,
			                           .csum_start = 20,
			                           .csum_offset = 6};
			uint8_t hd[28];
			memcpy(hd, a, 28);
			rp_put_u16(hd + 2, (uint16_t)total);
			hd[10] = hd[11] = 0;
			rp_put_u16(hd + 10, (uint16_t)~rp_fold16(rp_sum16(0, hd, 20)));
			rp_put_u16(hd + 24, (uint16_t)(total - 20));
			/* the pseudo-header sum over the whole length: the kernel adjusts it per segment */
			rp_put_u16(hd + 26,
			           rp_fold16(rp_sum16(0, hd + 12, 8) + IPPROTO_UDP + (uint32_t)(total - 20)));
			iov[0] = (struct iovec){&h, sizeof h};
			iov[1] = (struct iovec){hd, 28};
			for (unsigned k = i; k < j; k++)
				iov[2 + k - i] = (struct iovec){(uint8_t *)s->tunq[k].iov_base + 28,
				                                s->tunq[k].iov_len - 28};
			r = writev(s->tun_fd, iov, (int)(j - i + 2));
			if (r < 0 && errno == EINVAL) {
				s->tun_coalesce = false;
				rp_logf(&s->log, RP_LOG_WARN, "server",
				        "data path: coalesced TUN write refused (%s): one packet per write "
				        "from now",
				        strerror(errno));
				for (unsigned k = i; k < n; k++)
					s->tunq[s->tunq_n++] = s->tunq[k];
				srv_tunq_flush(s);
				return;
			}
			if (r >= 0)
				s->tun_coalesced += j - i;
		}
		if (r < 0)
			rp_logf(&s->log, RP_LOG_WARN, "server", "TUN write: %s", strerror(errno));
		i = j;
	}
}

void srv_tunq_add(struct srv *s, uint8_t *pkt, size_t n)
{
	if (s->tunq_n == SRV_TUNQ)
		srv_tunq_flush(s);
	s->tunq[s->tunq_n++] = (struct iovec){pkt, n};
}
