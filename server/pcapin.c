#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "pcapin.h"

enum { ET_IPV4 = 0x0800, ET_IPV6 = 0x86dd, ET_VLAN = 0x8100, ET_QINQ = 0x88a8, ET_PPPOE = 0x8864 };

static void set_bad(struct pcapin_pkt *o, enum pcapin_kind k, const char *why)
{
	o->kind = k;
	o->reason = why;
}

static void decode_transport(struct rp_rd *r, unsigned proto, struct pcapin_pkt *o)
{
	if (proto == 50) {
		o->kind = PI_ESP;
		o->pkt.data = rp_rd_ptr(r);
		o->pkt.len = rp_rd_left(r);
		return;
	}
	if (proto != 17)
		return set_bad(o, PI_SKIP, "neither UDP nor ESP");
	uint16_t sport, dport, ulen, sum;
	if (rp_rd_u16(r, &sport) || rp_rd_u16(r, &dport) || rp_rd_u16(r, &ulen) || rp_rd_u16(r, &sum))
		return set_bad(o, PI_BAD, "truncated UDP header");
	if (ulen < 8 || (size_t)ulen - 8 > rp_rd_left(r))
		return set_bad(o, PI_BAD, "UDP length beyond the captured bytes");
	o->kind = PI_UDP;
	o->pkt.src.port = sport;
	o->pkt.dst.port = dport;
	o->pkt.data = rp_rd_ptr(r);
	o->pkt.len = (size_t)ulen - 8;
}

static void decode_ipv4(struct rp_rd *r, struct pcapin_pkt *o)
{
	const uint8_t *h;
	if (rp_rd_left(r) < 20 || rp_rd_ref(r, &h, 20))
		return set_bad(o, PI_BAD, "truncated IPv4 header");
	size_t ihl = (size_t)(h[0] & 0x0f) * 4, total = rp_get_u16(h + 2);
	if (h[0] >> 4 != 4 || ihl < 20)
		return set_bad(o, PI_BAD, "malformed IPv4 header");
	if (rp_rd_skip(r, ihl - 20) || total < ihl || total - ihl > rp_rd_left(r))
		return set_bad(o, PI_BAD, "IPv4 length beyond the captured bytes");
	if ((rp_get_u16(h + 6) & 0x3fff) != 0)
		return set_bad(o, PI_SKIP, "IPv4 fragment (not reassembled)");
	struct rp_rd body;
	rp_rd_sub(r, &body, total - ihl);
	rp_addr_v4(&o->pkt.src, rp_get_u32(h + 12), 0);
	rp_addr_v4(&o->pkt.dst, rp_get_u32(h + 16), 0);
	decode_transport(&body, h[9], o);
}

static void decode_ipv6(struct rp_rd *r, struct pcapin_pkt *o)
{
	const uint8_t *h;
	if (rp_rd_ref(r, &h, 40))
		return set_bad(o, PI_BAD, "truncated IPv6 header");
	if (h[0] >> 4 != 6)
		return set_bad(o, PI_BAD, "malformed IPv6 header");
	size_t plen = rp_get_u16(h + 4);
	if (plen > rp_rd_left(r))
		return set_bad(o, PI_BAD, "IPv6 length beyond the captured bytes");
	struct rp_rd body;
	rp_rd_sub(r, &body, plen);
	o->pkt.src.family = o->pkt.dst.family = 6;
	memcpy(o->pkt.src.ip, h + 8, 16);
	memcpy(o->pkt.dst.ip, h + 24, 16);
	unsigned nh = h[6];
	for (int hops = 0; nh == 0 || nh == 43 || nh == 60; hops++) { /* hop-by-hop, routing, dst options */
		uint8_t next, len8;
		if (hops == 8 || rp_rd_u8(&body, &next) || rp_rd_u8(&body, &len8) || rp_rd_skip(&body, (size_t)len8 * 8 + 6))
			return set_bad(o, PI_BAD, "malformed IPv6 extension header");
		nh = next;
	}
	if (nh == 44)
		return set_bad(o, PI_SKIP, "IPv6 fragment (not reassembled)");
	decode_transport(&body, nh, o);
}

static void decode_ethertype(struct rp_rd *r, unsigned et, struct pcapin_pkt *o)
{
	uint16_t v;
	for (int tags = 0; et == ET_VLAN || et == ET_QINQ; tags++) {
		if (tags == 4 || rp_rd_skip(r, 2) || rp_rd_u16(r, &v))
			return set_bad(o, PI_BAD, "truncated VLAN tag");
		et = v;
	}
	if (et == ET_PPPOE) {
		/* PPPoE session header (RFC 2516) then a PPP protocol number */
		if (rp_rd_skip(r, 6) || rp_rd_u16(r, &v))
			return set_bad(o, PI_BAD, "truncated PPPoE header");
		et = v == 0x0021 ? ET_IPV4 : v == 0x0057 ? ET_IPV6 : 0;
	}
	if (et == ET_IPV4)
		return decode_ipv4(r, o);
	if (et == ET_IPV6)
		return decode_ipv6(r, o);
	set_bad(o, PI_SKIP, "not IP");
}

static void decode_by_version(struct rp_rd *r, struct pcapin_pkt *o)
{
	uint8_t b;
	if (rp_rd_left(r) == 0)
		return set_bad(o, PI_BAD, "empty frame");
	b = rp_rd_ptr(r)[0] >> 4;
	if (b == 4)
		return decode_ipv4(r, o);
	if (b == 6)
		return decode_ipv6(r, o);
	set_bad(o, PI_SKIP, "not IP");
}

void pcapin_decode(int dlt, const uint8_t *data, size_t caplen, uint64_t ts_ms, struct pcapin_pkt *o)
{
	struct rp_rd r;
	uint16_t v;
	uint32_t fam;
	memset(o, 0, sizeof *o);
	o->pkt.rx_ms = ts_ms;
	rp_rd_init(&r, data, caplen);
	switch (dlt) {
	case DLT_EN10MB:
		if (rp_rd_skip(&r, 12) || rp_rd_u16(&r, &v))
			return set_bad(o, PI_BAD, "truncated Ethernet header");
		return decode_ethertype(&r, v, o);
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case 101: /* LINKTYPE_RAW in files, which libpcap maps to DLT_RAW */
		return decode_by_version(&r, o);
	case DLT_NULL:
	case DLT_LOOP:
		if (rp_rd_u32(&r, &fam))
			return set_bad(o, PI_BAD, "truncated loopback header");
		return decode_by_version(&r, o);
	case DLT_LINUX_SLL:
		if (rp_rd_skip(&r, 14) || rp_rd_u16(&r, &v))
			return set_bad(o, PI_BAD, "truncated Linux cooked header");
		return decode_ethertype(&r, v, o);
	case DLT_LINUX_SLL2:
		if (rp_rd_u16(&r, &v) || rp_rd_skip(&r, 18))
			return set_bad(o, PI_BAD, "truncated Linux cooked v2 header");
		return decode_ethertype(&r, v, o);
	case DLT_PPP:
		if (rp_rd_left(&r) >= 2 && rp_rd_ptr(&r)[0] == 0xff && rp_rd_ptr(&r)[1] == 0x03)
			rp_rd_skip(&r, 2);
		if (rp_rd_u16(&r, &v))
			return set_bad(o, PI_BAD, "truncated PPP header");
		if (v == 0x0021 || v == 0x0057)
			return decode_by_version(&r, o);
		return set_bad(o, PI_SKIP, "PPP frame without IP");
	default:
		return set_bad(o, PI_SKIP, "unsupported link type");
	}
}

long pcapin_file(const char *path, pcapin_cb cb, void *ctx, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, perr);
	if (!p) {
		snprintf(err, errlen, "%s: %s", path, perr);
		return -1;
	}
	int dlt = pcap_datalink(p);
	struct pcap_pkthdr *h;
	const u_char *data;
	long frames = 0;
	int rc;
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		struct pcapin_pkt o;
		uint64_t ts = (uint64_t)h->ts.tv_sec * 1000u + (uint64_t)h->ts.tv_usec / 1000u;
		pcapin_decode(dlt, data, h->caplen, ts, &o);
		o.frame = (unsigned)++frames;
		cb(ctx, &o);
	}
	if (rc == -1)
		snprintf(err, errlen, "%s: frame %ld: %s", path, frames + 1, pcap_geterr(p));
	else
		err[0] = 0;
	pcap_close(p);
	return frames;
}
