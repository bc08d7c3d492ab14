/* Test-only stand-in for pppd under xl2tpd (bind-mounted over /usr/sbin/pppd inside the test's
 * private mount namespace: the host kernel has no PPP, so the real pppd cannot run). xl2tpd
 * starts it as "pppd TTY passive nodetach : name USER file OPTIONS" and relays async HDLC frames
 * (RFC 1662) between the pty and L2TP data messages. This program does the HDLC framing and runs
 * the PPP client (ppp_cli.h: LCP, MS-CHAPv2 with auth/'s functions, IPCP), so the whole PPP
 * negotiation crosses xl2tpd's data path. It writes "up <ip>" to OPTIONS.up when IPCP is done.
 * User and password: the options file's "name" and "password" lines (pppd's own options), else
 * vpnuser / vpnpass; "rp-auth pap" or "rp-auth chap" picks the method the client asks for (otherwise
 * what the server offers). */
#include "ppp_cli.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int tty = -1;

/* RFC 1662 §C.2 FCS-16 */
static uint16_t fcs16(uint16_t fcs, const uint8_t *p, size_t n)
{
	while (n--) {
		fcs ^= *p++;
		for (int i = 0; i < 8; i++)
			fcs = (fcs & 1) ? (uint16_t)((fcs >> 1) ^ 0x8408) : (uint16_t)(fcs >> 1);
	}
	return fcs;
}

static void put_esc(uint8_t *o, size_t *k, uint8_t c)
{
	/* default ACCM: escape every control character, flag and escape */
	if (c < 0x20 || c == 0x7e || c == 0x7d) {
		o[(*k)++] = 0x7d;
		o[(*k)++] = c ^ 0x20;
	} else
		o[(*k)++] = c;
}

static void send_frame(const uint8_t *f, size_t n)
{
	uint8_t o[4096];
	size_t k = 0;
	uint16_t fcs = (uint16_t)~fcs16(0xffff, f, n);
	o[k++] = 0x7e;
	for (size_t i = 0; i < n; i++)
		put_esc(o, &k, f[i]);
	put_esc(o, &k, (uint8_t)fcs);
	put_esc(o, &k, (uint8_t)(fcs >> 8));
	o[k++] = 0x7e;
	if (write(tty, o, k) < 0)
		exit(1);
}

/* "name USER" and "password PASS" lines of the options file, as pppd reads them (unquoted) */
static bool want_inform; /* the options file says "dhcpinform" (not a pppd option: ours) */
static int auth_kind;    /* "rp-auth pap|chap" (ours too): enum ppp_cli_auth */
static char dhcp_path[4200];
/* "rp-udp A.B.C.D:PORT" (ours): after IPCP, three UDP datagrams to each, for data-path tests */
static struct {
	uint32_t ip;
	uint16_t port;
} udp_to[8];
static int n_udp;

static void read_options(const char *path, char *user, size_t ul, char *pass, size_t pl)
{
	FILE *f = path ? fopen(path, "r") : NULL;
	char line[512], v[256];
	while (f && fgets(line, sizeof line, f)) {
		unsigned a, b, c4, d, port;
		if (strncmp(line, "dhcpinform", 10) == 0)
			want_inform = true;
		else if (sscanf(line, " rp-udp %u.%u.%u.%u:%u", &a, &b, &c4, &d, &port) == 5 && n_udp < 8 &&
		         a < 256 && b < 256 && c4 < 256 && d < 256 && port < 65536) {
			udp_to[n_udp].ip = a << 24 | b << 16 | c4 << 8 | d;
			udp_to[n_udp++].port = (uint16_t)port;
		} else if (sscanf(line, " rp-auth %255s", v) == 1)
			auth_kind = !strcmp(v, "pap")    ? PPP_CLI_AUTH_PAP
			            : !strcmp(v, "chap") ? PPP_CLI_AUTH_CHAP_MD5
			                                 : 0;
		else if (sscanf(line, " name %255s", v) == 1)
			snprintf(user, ul, "%s", v);
		else if (sscanf(line, " password %255s", v) == 1)
			snprintf(pass, pl, "%s", v);
	}
	if (f)
		fclose(f);
}

/* What Windows sends after IPCP to learn split-tunnel routes (RFC 2131 §4.4.3: ciaddr = its
 * address, to the broadcast address; client identifier, host name, vendor class "MSFT 5.0" and a
 * parameter request list naming 121 and 249), from our address to 255.255.255.255:67. */
static void send_inform(struct ppp_cli *c)
{
	uint8_t p[400] = {0}, *b = p + 28, *o = b + 240;
	static const uint8_t prl[] = {1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252};
	b[0] = 1, b[1] = 1, b[2] = 6;
	rp_put_u32(b + 4, 0x5e1f00d5);
	rp_put_u32(b + 12, c->ip);
	memcpy(b + 28, "\x00\x15\x5d\x01\x02\x03", 6);
	rp_put_u32(b + 236, 0x63825363);
	size_t n = 0;
	o[n++] = 53, o[n++] = 1, o[n++] = 8;
	o[n++] = 61, o[n++] = 7, o[n++] = 1;
	memcpy(o + n, b + 28, 6), n += 6;
	o[n++] = 12, o[n++] = 15;
	memcpy(o + n, "DESKTOP-RAMPART", 15), n += 15;
	o[n++] = 60, o[n++] = 8;
	memcpy(o + n, "MSFT 5.0", 8), n += 8;
	o[n++] = 55, o[n++] = sizeof prl;
	memcpy(o + n, prl, sizeof prl), n += sizeof prl;
	o[n++] = 255;
	size_t len = 28 + 240 + n;
	p[0] = 0x45;
	rp_put_u16(p + 2, (uint16_t)len);
	p[8] = 128;
	p[9] = 17;
	rp_put_u32(p + 12, c->ip);
	rp_put_u32(p + 16, 0xffffffffu);
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	rp_put_u16(p + 10, (uint16_t)~sum);
	rp_put_u16(p + 20, 68);
	rp_put_u16(p + 22, 67);
	rp_put_u16(p + 24, (uint16_t)(len - 20)); /* UDP checksum 0: none (RFC 768) */
	ppp_cli_send_ip(c, p, len);
	fprintf(stderr, "fake-pppd: DHCPINFORM sent\n");
}

static void send_udp(struct ppp_cli *c, uint32_t dst, uint16_t port)
{
	static const char msg[] = "rampart data-path test";
	uint8_t p[28 + sizeof msg] = {0x45};
	rp_put_u16(p + 2, sizeof p);
	p[8] = 64;
	p[9] = 17;
	rp_put_u32(p + 12, c->ip);
	rp_put_u32(p + 16, dst);
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	rp_put_u16(p + 10, (uint16_t)~sum);
	rp_put_u16(p + 20, 40000);
	rp_put_u16(p + 22, port);
	rp_put_u16(p + 24, (uint16_t)(8 + sizeof msg)); /* UDP checksum 0: none (RFC 768) */
	memcpy(p + 28, msg, sizeof msg);
	ppp_cli_send_ip(c, p, sizeof p);
}

/* Answers to port 68 go to OPTIONS.dhcp.pcap (raw IPv4, LINKTYPE_RAW) for tshark to read. */
static void ip_in(void *ctx, const uint8_t *pkt, size_t n)
{
	(void)ctx;
	if (!dhcp_path[0] || n < 28 || pkt[9] != 17 || rp_get_u16(pkt + (pkt[0] & 15) * 4 + 2) != 68)
		return;
	FILE *f = fopen(dhcp_path, "ab");
	if (!f)
		return;
	if (ftell(f) == 0) {
		uint32_t gh[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 101};
		fwrite(gh, 4, 6, f);
	}
	uint32_t ph[4] = {(uint32_t)time(NULL), 0, (uint32_t)n, (uint32_t)n};
	fwrite(ph, 4, 4, f);
	fwrite(pkt, 1, n, f);
	fclose(f);
	fprintf(stderr, "fake-pppd: DHCP answer of %zu bytes\n", n);
}

static void c_send(void *ctx, const uint8_t *f, size_t n)
{
	(void)ctx;
	send_frame(f, n);
}

int main(int argc, char **argv)
{
	const char *opts = NULL;
	char user[256] = "vpnuser", pass[256] = "vpnpass";
	struct ppp_cli c = {0};
	uint8_t fr[2048];
	size_t fl = 0;
	bool esc = false, reported = false;
	if (argc < 2)
		return 2;
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "file"))
			opts = argv[i + 1];
	tty = open(argv[1], O_RDWR | O_NOCTTY);
	if (tty < 0) {
		perror(argv[1]);
		return 1;
	}
	struct termios t;
	if (tcgetattr(tty, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(tty, TCSANOW, &t);
	}
	read_options(opts, user, sizeof user, pass, sizeof pass);
	fprintf(stderr, "fake-pppd: running on %s as %s\n", argv[1], user);
	c.send = c_send;
	c.ip_in = ip_in;
	if (want_inform && opts)
		snprintf(dhcp_path, sizeof dhcp_path, "%s.dhcp.pcap", opts);
	ppp_cli_start(&c, user, pass, (uint32_t)time(NULL) ^ (uint32_t)getpid());
	c.auth_kind = auth_kind;
	c.pap_auto = auth_kind == PPP_CLI_AUTH_PAP;
	for (;;) {
		struct pollfd p = {.fd = tty, .events = POLLIN};
		int r = poll(&p, 1, 2000);
		if (r < 0)
			return 1;
		if (r == 0) {
			/* no retransmission logic in the client itself: resend the current step */
			ppp_cli_kick(&c);
			continue;
		}
		uint8_t b[4096];
		ssize_t n = read(tty, b, sizeof b);
		if (n <= 0)
			return 0; /* xl2tpd hung up */
		for (ssize_t i = 0; i < n; i++) {
			uint8_t ch = b[i];
			if (ch == 0x7e) {
				/* end of frame: check the FCS (good residue 0xf0b8), strip it */
				if (fl >= 4 && fcs16(0xffff, fr, fl) == 0xf0b8)
					ppp_cli_input(&c, fr, fl - 2);
				fl = 0;
				esc = false;
				continue;
			}
			if (ch == 0x7d) {
				esc = true;
				continue;
			}
			if (esc) {
				ch ^= 0x20;
				esc = false;
			}
			if (fl < sizeof fr)
				fr[fl++] = ch;
		}
		if (!reported && ppp_cli_up(&c)) {
			reported = true;
			if (want_inform)
				send_inform(&c);
			for (int k = 0; k < 3; k++)
				for (int u = 0; u < n_udp; u++)
					send_udp(&c, udp_to[u].ip, udp_to[u].port);
			if (n_udp)
				fprintf(stderr, "fake-pppd: UDP sent to %d destinations\n", n_udp);
			fprintf(stderr, "fake-pppd: IPCP up, address %u.%u.%u.%u\n", c.ip >> 24,
			        c.ip >> 16 & 255, c.ip >> 8 & 255, c.ip & 255);
			if (opts) {
				char path[4200];
				snprintf(path, sizeof path, "%s.up", opts);
				FILE *f = fopen(path, "w");
				if (f) {
					fprintf(f, "up %u.%u.%u.%u dns %u.%u.%u.%u\n", c.ip >> 24,
					        c.ip >> 16 & 255, c.ip >> 8 & 255, c.ip & 255, c.dns1 >> 24,
					        c.dns1 >> 16 & 255, c.dns1 >> 8 & 255, c.dns1 & 255);
					fclose(f);
				}
			}
		}
	}
}
