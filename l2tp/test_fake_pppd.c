/* Test-only stand-in for pppd under xl2tpd (bind-mounted over /usr/sbin/pppd inside the test's
 * private mount namespace: the host kernel has no PPP, so the real pppd cannot run). xl2tpd
 * starts it as "pppd TTY passive nodetach : name USER file OPTIONS" and relays async HDLC frames
 * (RFC 1662) between the pty and L2TP data messages. This program does the HDLC framing and runs
 * the test PPP client (test_pppc.h: LCP, MS-CHAPv2 with auth/'s functions, IPCP), so the whole PPP
 * negotiation crosses xl2tpd's data path. It writes "up <ip>" to OPTIONS.up when IPCP is done.
 * User vpnuser, password vpnpass; the OPTIONS file may name others ("name U", "password P") and the
 * method the client asks for ("rp-auth pap" or "rp-auth chap"; otherwise what the server offers). */
#include "test_pppc.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
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

static void flush(struct pppc *c)
{
	for (int i = 0; i < c->nout; i++)
		send_frame(c->out[i], c->out_len[i]);
	c->nout = 0;
}

int main(int argc, char **argv)
{
	const char *opts = NULL;
	struct pppc c;
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
	fprintf(stderr, "fake-pppd: running on %s\n", argv[1]);
	static char user[64] = "vpnuser", pass[64] = "vpnpass";
	int kind = 0;
	FILE *of = opts ? fopen(opts, "r") : NULL;
	char ln[256];
	while (of && fgets(ln, sizeof ln, of)) {
		char k[32], v[64];
		if (sscanf(ln, "%31s %63s", k, v) != 2)
			continue;
		if (!strcmp(k, "name"))
			snprintf(user, sizeof user, "%s", v);
		else if (!strcmp(k, "password"))
			snprintf(pass, sizeof pass, "%s", v);
		else if (!strcmp(k, "rp-auth"))
			kind = !strcmp(v, "pap") ? 1 : !strcmp(v, "chap") ? 2 : 0;
	}
	if (of)
		fclose(of);
	pppc_start(&c, user, pass, (uint32_t)time(NULL) ^ (uint32_t)getpid());
	c.auth_kind = kind;
	flush(&c);
	for (;;) {
		struct pollfd p = {.fd = tty, .events = POLLIN};
		int r = poll(&p, 1, 2000);
		if (r < 0)
			return 1;
		if (r == 0) {
			/* no retransmission logic in the client itself: resend the current step */
			if (!c.lcp_acked)
				pppc_lcp_req(&c);
			else if (c.auth_kind == 1 && !c.auth_ok)
				pppc_pap(&c);
			else if (!c.auth_ok && c.resp_len)
				pppc_emit(&c, 0xc223, 2, c.resp_id, c.resp, c.resp_len);
			else if (c.auth_ok && !c.ipcp_acked)
				pppc_ipcp_req(&c);
			flush(&c);
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
					pppc_input(&c, fr, fl - 2);
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
		flush(&c);
		if (!reported && pppc_up(&c)) {
			reported = true;
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
