/* Test-only helpers shared by the l2tp and ppp tests: load the recorded session (hex lines) and
 * the UDP/1701 payloads of a pcap. */
#ifndef RP_L2TP_TEST_UTIL_H
#define RP_L2TP_TEST_UTIL_H

#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tu_pkt {
	int frame;
	char dir; /* 'C' client->server, 'S' server->client, 0 from a pcap */
	size_t len;
	uint8_t data[2048];
};

static inline int tu_unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	while (s[0] && s[1] && s[0] != '\n') {
		unsigned v;
		if (n >= cap || sscanf(s, "%2x", &v) != 1)
			return -1;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return (int)n;
}

/* Reads "<frame> <C|S> <hex>" lines; returns the count (at most max). */
static inline int tu_load_session(const char *path, struct tu_pkt *out, int max)
{
	FILE *f = fopen(path, "r");
	char line[8192];
	int n = 0;
	if (!f)
		return -1;
	while (n < max && fgets(line, sizeof line, f)) {
		char hex[8000];
		if (line[0] == '#')
			continue;
		if (sscanf(line, "%d %c %7999s", &out[n].frame, &out[n].dir, hex) != 3)
			continue;
		int l = tu_unhex(hex, out[n].data, sizeof out[n].data);
		if (l < 0)
			continue;
		out[n].len = (size_t)l;
		n++;
	}
	fclose(f);
	return n;
}

/* UDP payloads to or from port 1701 found in a pcap (Ethernet, optionally PPPoE, IPv4). The UDP
 * payload length comes from the UDP header, bounded by the captured length. */
static inline int tu_load_pcap_1701(const char *path, struct tu_pkt *out, int max)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, err);
	struct pcap_pkthdr *h;
	const uint8_t *d;
	int n = 0, frame = 0;
	if (!pc)
		return -1;
	while (n < max && pcap_next_ex(pc, &h, &d) == 1) {
		size_t cl = h->caplen, o = 14;
		frame++;
		if (cl < 14)
			continue;
		unsigned et = (unsigned)(d[12] << 8 | d[13]);
		if (et == 0x8864) { /* PPPoE session: 6-byte header + PPP protocol 0x0021 */
			if (cl < o + 8 || d[o + 6] != 0x00 || d[o + 7] != 0x21)
				continue;
			o += 8;
		} else if (et != 0x0800)
			continue;
		if (cl < o + 20 || (d[o] >> 4) != 4 || d[o + 9] != 17)
			continue;
		size_t ihl = (size_t)(d[o] & 15) * 4;
		o += ihl;
		if (cl < o + 8)
			continue;
		unsigned sp = (unsigned)(d[o] << 8 | d[o + 1]), dp = (unsigned)(d[o + 2] << 8 | d[o + 3]);
		size_t ul = (size_t)(d[o + 4] << 8 | d[o + 5]);
		if (sp != 1701 && dp != 1701)
			continue;
		if (ul < 8)
			continue;
		ul -= 8;
		o += 8;
		if (ul > cl - o)
			ul = cl - o;
		if (ul > sizeof out[n].data)
			continue;
		out[n].frame = frame;
		out[n].dir = 0;
		out[n].len = ul;
		memcpy(out[n].data, d + o, ul);
		n++;
	}
	pcap_close(pc);
	return n;
}

#endif
