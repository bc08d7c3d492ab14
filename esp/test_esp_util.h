/* Helpers shared by the esp tests: hex, SA parameter builders, a scripted random source, and a
 * libpcap walker that hands out each packet's outer IPv4 addresses and ESP bytes. */
#ifndef TEST_ESP_UTIL_H
#define TEST_ESP_UTIL_H

#include <check.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_local.h"

static inline size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	if (s[0] == '0' && s[1] == 'x')
		s += 2;
	while (s[0] && s[1] && n < cap) {
		if (s[0] == ' ' || s[0] == '\n') {
			s++;
			continue;
		}
		unsigned v;
		if (sscanf(s, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

/* A random source that replays scripted bytes (e.g. an RFC vector's IV), then a seeded stream. */
struct script_rng {
	struct rp_rng r; /* first: the callback casts back */
	struct rp_rng seeded;
	uint8_t bytes[64];
	size_t len, pos;
};

static inline int script_fill(struct rp_rng *r, void *out, size_t n)
{
	struct script_rng *s = (struct script_rng *)r;
	uint8_t *o = out;
	if (s->pos >= s->len)
		return rp_rng_fill(&s->seeded, out, n);
	for (size_t i = 0; i < n; i++)
		o[i] = s->pos < s->len ? s->bytes[s->pos++] : 0;
	return 0;
}

static inline void script_rng_init(struct script_rng *s, const char *hexbytes)
{
	memset(s, 0, sizeof *s);
	s->r.fill = script_fill;
	rp_rng_seeded(&s->seeded, 42);
	s->len = hexbytes ? unhex(hexbytes, s->bytes, sizeof s->bytes) : 0;
}

static inline void v4(struct rp_addr *a, const char *ip, uint16_t port)
{
	memset(a, 0, sizeof *a);
	ck_assert_int_eq(rp_addr_parse(a, ip), 0);
	a->port = port;
}

/* A params block for dir/spi with the given transform and hex keys. */
static inline void mkparams(struct esp_sa_params *p, enum esp_dir dir, uint32_t spi, enum esp_encr e,
                            unsigned bits, const char *ekey, enum esp_auth a, const char *akey)
{
	memset(p, 0, sizeof *p);
	p->dir = dir;
	p->spi = spi;
	p->encr = e;
	p->encr_keybits = bits;
	p->enc_key_len = unhex(ekey, p->enc_key, sizeof p->enc_key);
	p->auth = a;
	if (akey)
		p->auth_key_len = unhex(akey, p->auth_key, sizeof p->auth_key);
}

/* Walk a capture: for each IPv4 packet carrying ESP (proto 50, or UDP whose payload
 * natt-classifies as ESP, i.e. starts with a non-zero SPI and is not a keepalive), call fn with
 * the outer addresses (src port 0 for raw ESP) and the ESP bytes. Returns the packet count. */
typedef void (*esp_pkt_fn)(void *ctx, unsigned frame, const struct rp_addr *src, const struct rp_addr *dst,
                           const uint8_t *esp, size_t len);

static inline unsigned pcap_each_esp(const char *path, esp_pkt_fn fn, void *ctx)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, err);
	ck_assert_msg(pc != NULL, "%s: %s", path, err);
	ck_assert_int_eq(pcap_datalink(pc), DLT_EN10MB);
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned frame = 0, n = 0;
	while (pcap_next_ex(pc, &h, &d) == 1) {
		frame++;
		if (h->caplen < 14 + 20 || d[12] != 0x08 || d[13] != 0x00)
			continue;
		const uint8_t *ip = d + 14;
		size_t ihl = (size_t)(ip[0] & 15) * 4, tot = rp_get_u16(ip + 2);
		if (tot > h->caplen - 14 || ihl < 20 || tot < ihl)
			continue;
		struct rp_addr s, t;
		rp_addr_v4(&s, rp_get_u32(ip + 12), 0);
		rp_addr_v4(&t, rp_get_u32(ip + 16), 0);
		const uint8_t *p = ip + ihl;
		size_t len = tot - ihl;
		if (ip[9] == 17) {
			if (len < 8)
				continue;
			s.port = rp_get_u16(p);
			t.port = rp_get_u16(p + 2);
			p += 8;
			len -= 8;
			if (len < 8 || rp_get_u32(p) == 0 || (s.port != 4500 && t.port != 4500))
				continue;
		} else if (ip[9] != 50) {
			continue;
		}
		fn(ctx, frame, &s, &t, p, len);
		n++;
	}
	pcap_close(pc);
	return n;
}

#endif
