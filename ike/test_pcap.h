/* Test helper: walk the UDP datagrams of a capture (libpcap), as the server would receive them. */
#ifndef IKE_TEST_PCAP_H
#define IKE_TEST_PCAP_H

#include <pcap/pcap.h>
#include <string.h>

#include "rp_base.h"

struct udp_dgram {
	struct rp_addr src, dst;
	const uint8_t *data;
	size_t len;
	unsigned frame;
};

typedef void (*udp_cb)(void *ctx, const struct udp_dgram *d);

/* Returns the number of UDP datagrams seen, or -1 when the file does not open. */
static inline int pcap_udp_walk(const char *path, udp_cb cb, void *ctx)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, err);
	if (!p)
		return -1;
	int dlt = pcap_datalink(p), n = 0;
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned frame = 0;
	while (pcap_next_ex(p, &h, &d) == 1) {
		frame++;
		struct rp_rd r;
		uint16_t et = 0;
		rp_rd_init(&r, d, h->caplen);
		if (dlt == DLT_EN10MB) {
			if (rp_rd_skip(&r, 12) || rp_rd_u16(&r, &et))
				continue;
			if (et == 0x8100 && (rp_rd_skip(&r, 2) || rp_rd_u16(&r, &et)))
				continue;
		} else if (dlt == DLT_NULL) {
			uint32_t fam;
			if (rp_rd_bytes(&r, &fam, 4))
				continue;
			et = fam == 2 ? 0x0800 : 0x86dd;
		} else if (dlt == DLT_LINUX_SLL) {
			if (rp_rd_skip(&r, 14) || rp_rd_u16(&r, &et))
				continue;
		} else {
			et = (h->caplen && (d[0] >> 4) == 6) ? 0x86dd : 0x0800;
		}
		struct udp_dgram u = {.frame = frame};
		uint8_t proto;
		if (et == 0x0800) {
			uint8_t vihl;
			const uint8_t *ip = rp_rd_ptr(&r);
			if (rp_rd_u8(&r, &vihl) || (vihl >> 4) != 4 || rp_rd_left(&r) < 19)
				continue;
			proto = ip[9];
			u.src.family = u.dst.family = 4;
			memcpy(u.src.ip, ip + 12, 4);
			memcpy(u.dst.ip, ip + 16, 4);
			if (rp_rd_skip(&r, (size_t)(vihl & 15) * 4 - 1))
				continue;
			if (rp_get_u16(ip + 6) & 0x1fff) /* a later fragment: no UDP header */
				continue;
		} else if (et == 0x86dd) {
			const uint8_t *ip = rp_rd_ptr(&r);
			if (rp_rd_skip(&r, 40))
				continue;
			proto = ip[6];
			u.src.family = u.dst.family = 6;
			memcpy(u.src.ip, ip + 8, 16);
			memcpy(u.dst.ip, ip + 24, 16);
		} else {
			continue;
		}
		uint16_t sp, dp, ul;
		if (proto != 17 || rp_rd_u16(&r, &sp) || rp_rd_u16(&r, &dp) || rp_rd_u16(&r, &ul) ||
		    rp_rd_skip(&r, 2))
			continue;
		u.src.port = sp;
		u.dst.port = dp;
		u.data = rp_rd_ptr(&r);
		u.len = rp_rd_left(&r);
		if (ul >= 8 && (size_t)ul - 8 < u.len)
			u.len = (size_t)ul - 8; /* Ethernet padding */
		n++;
		cb(ctx, &u);
	}
	pcap_close(p);
	return n;
}

#endif
