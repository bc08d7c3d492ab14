/* Test-only probe of a running rampartd over real UDP sockets (tests/server/reload.sh): the
 * IKEv1 initiator (ike/ike_cli.c) driven over a socket, and a minimal L2TP LAC
 * that checks the LNS's SCCRP Challenge Response (RFC 2661 §4.2/§5.1.1). Not installed.
 *
 *   ikeprobe --server ADDR [--port 500] (--psk TEXT | --psk-hex HEX) [--group N] [--quick] [--pfs N]
 *            [--natt] [--count N] [--timeout-ms M]
 *   ikeprobe --l2tp --server ADDR [--port 1701] (--secret TEXT | --secret-hex HEX) [--timeout-ms M]
 *
 * One line per handshake ("ok ..." or "refused: <notify | timeout | reason>"; with --count the
 * first failure ends the run); exit 0 only when every handshake succeeded, 1 when one did not,
 * 2 on a usage or local error. --natt: when NAT-D shows a NAT between us (e.g. the server is
 * reached through a DNAT, as behind a port-forwarding router), float to port 4500 after MM4 with
 * the non-ESP marker (RFC 3947 §4, RFC 3948 §2.2), as a real client behind or before a NAT does. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ike_cli.h"
#include "l2tp.h"

struct opts {
	struct rp_addr server;
	uint16_t port;
	uint8_t key[256];
	size_t keylen;
	bool have_key, quick, l2tp, natt;
	uint16_t group, pfs;
	int count, timeout_ms;
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int usage(void)
{
	fprintf(stderr,
	        "usage: ikeprobe --server ADDR [--port 500] (--psk TEXT | --psk-hex HEX) [--group N]\n"
	        "                [--quick] [--pfs N] [--natt] [--count N] [--timeout-ms M]\n"
	        "       ikeprobe --l2tp --server ADDR [--port 1701] (--secret TEXT | --secret-hex HEX)\n"
	        "                [--timeout-ms M]\n");
	return 2;
}

static int parse_hex(const char *s, uint8_t *out, size_t cap, size_t *n)
{
	size_t l = strlen(s);
	if (l % 2 || l / 2 > cap)
		return -1;
	for (size_t i = 0; i < l / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	*n = l / 2;
	return 0;
}

/* A UDP socket connected to the server, so only its answers arrive; *local gets our address. */
static int udp_to(const struct opts *o, uint16_t port, struct rp_addr *local)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	memcpy(&sin.sin_addr, o->server.ip, 4);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof sin)) {
		perror("ikeprobe: socket");
		exit(2);
	}
	struct sockaddr_in me;
	socklen_t ml = sizeof me;
	getsockname(fd, (struct sockaddr *)&me, &ml);
	rp_addr_v4(local, ntohl(me.sin_addr.s_addr), ntohs(me.sin_port));
	return fd;
}

/* The next datagram within the deadline: its length, 0 on timeout. */
static size_t recv_until(int fd, uint64_t deadline, uint8_t *buf, size_t cap)
{
	for (;;) {
		uint64_t now = now_ms();
		if (now >= deadline)
			return 0;
		struct pollfd pf = {fd, POLLIN, 0};
		int r = poll(&pf, 1, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		ssize_t n = recv(fd, buf, cap, 0);
		if (n > 0)
			return (size_t)n;
	}
}

/* The next IKE message: on 4500 (floated) only datagrams with the non-ESP marker, stripped. */
static size_t recv_ike(int fd, bool floated, uint64_t deadline, uint8_t *buf, size_t cap)
{
	for (;;) {
		size_t n = recv_until(fd, deadline, buf, cap);
		if (!n || !floated)
			return n;
		if (n > 4 && !(buf[0] | buf[1] | buf[2] | buf[3])) {
			memmove(buf, buf + 4, n - 4);
			return n - 4;
		}
	}
}

static const char *notify_name(const char *err)
{
	if (strcmp(err, "notify 14") == 0)
		return " (NO-PROPOSAL-CHOSEN)";
	if (strcmp(err, "notify 24") == 0)
		return " (AUTHENTICATION-FAILED)";
	if (strcmp(err, "notify 23") == 0)
		return " (INVALID-HASH-INFORMATION)";
	return "";
}

/* One Main Mode (and Quick Mode) exchange; prints one line, returns 0 when it succeeded. */
static int ike_once(const struct opts *o, int nr, struct rp_rng *rng)
{
	static const char *const waiting[] = {[1] = "MM2", [3] = "MM4", [5] = "MM6", [7] = "QM2"};
	struct ike_p1_alg one[1], all[] = {{IKE_ENC_AES, 256, IKE_HASH_SHA1, 20},
	                                   {IKE_ENC_AES, 128, IKE_HASH_SHA1, 19},
	                                   {IKE_ENC_AES, 256, IKE_HASH_SHA1, 14},
	                                   {IKE_ENC_3DES, 0, IKE_HASH_SHA1, 14},
	                                   {IKE_ENC_3DES, 0, IKE_HASH_SHA1, 2}};
	static const struct ike_cli_p2 p2[] = {{IKE_ESP_AES, 256, IKE_AUTH_HMAC_SHA1},
	                                      {IKE_ESP_AES, 128, IKE_AUTH_HMAC_SHA1}};
	struct ike_cli_conf tc = {
	    .psk = o->key, .psklen = o->keylen, .natt = IKE_NATT_RFC, .client_port = 1701};
	if (o->group) {
		one[0] = (struct ike_p1_alg){IKE_ENC_AES, 256, IKE_HASH_SHA1, o->group};
		tc.p1 = one;
		tc.np1 = 1;
	} else {
		tc.p1 = all;
		tc.np1 = RP_ARRAY_LEN(all);
	}
	tc.p2 = p2;
	tc.np2 = RP_ARRAY_LEN(p2);
	tc.pfs_group = o->pfs; /* Quick Mode with a KE of this group (0: no PFS) */
	tc.remote = o->server;
	tc.remote.port = o->port;
	int fd = udp_to(o, o->port, &tc.local), fd500 = fd;
	bool floated = false;
	struct ike_cli *t = ike_cli_new(&tc, rng);
	if (!t)
		exit(2);
	static uint8_t out[IKE_MAXBUF], in[IKE_MAXBUF], last[IKE_MAXBUF];
	size_t lastlen = 0;
	long len = (long)ike_cli_start(t, out, sizeof out - 4); /* room for the marker */
	int rc = 1;
	char line[256] = "";
	while (len > 0) {
		int step = t->step;
		if (o->natt && t->use4500 && !floated) {
			/* NAT detected in MM4: MM5 on goes to 4500 from a new port, as the NAT maps it */
			struct rp_addr l4500; /* not in NAT-D: that hashed the port MM3 came from */
			fd = udp_to(o, 4500, &l4500);
			floated = true;
		}
		if (floated) { /* the non-ESP marker: four zero bytes before the ISAKMP header */
			memmove(out + 4, out, (size_t)len);
			memset(out, 0, 4);
			len += 4;
		}
		if (send(fd, out, (size_t)len, 0) < 0) {
			snprintf(line, sizeof line, "refused: send: %s", strerror(errno));
			break;
		}
		if (step == 9) { /* QM3 sent: Quick Mode done on our side, HASH(2) was verified */
			char life[48] = "";
			if (t->responder_lifetime)
				snprintf(life, sizeof life, ", responder lifetime %u s", t->resp_life_s);
			snprintf(line, sizeof line,
			         "ok: Main Mode (group %u) + Quick Mode (ESP SPI in 0x%08x%s)%s",
			         t->chosen.group, t->spi_r, life,
			         floated ? ", NAT detected, floated to 4500" : "");
			rc = 0;
			break;
		}
		size_t n;
		uint64_t deadline = now_ms() + (uint64_t)o->timeout_ms;
		/* the responder retransmits its last message while it waits: skip the copies */
		do
			n = recv_ike(fd, floated, deadline, in, sizeof in);
		while (n && n == lastlen && memcmp(in, last, n) == 0);
		if (!n) {
			snprintf(line, sizeof line, "refused: timeout waiting for %s", waiting[step]);
			break;
		}
		memcpy(last, in, n);
		lastlen = n;
		len = ike_cli_input(t, in, n, out, sizeof out - 4);
		if (len < 0) {
			snprintf(line, sizeof line, "refused: %s%s (waiting for %s)", t->err,
			         notify_name(t->err), waiting[step]);
			break;
		}
		if (step == 5 && !o->quick) { /* MM6 verified (HASH_R): Main Mode done */
			snprintf(line, sizeof line, "ok: Main Mode (group %u)", t->chosen.group);
			rc = 0;
			break;
		}
	}
	if (!rc) {
		/* leave no IKE SA behind on the server: DELETE it (RFC 2408 §4.8) */
		uint8_t spi[16];
		memcpy(spi, t->icky, 8);
		memcpy(spi + 8, t->rcky, 8);
		size_t dl =
		    ike_cli_info(t, true, ISAKMP_PROTO_ISAKMP, spi, 16, 0, NULL, 0, out + 4, sizeof out - 4);
		if (dl && floated) {
			memset(out, 0, 4);
			(void)send(fd, out, dl + 4, 0);
		} else if (dl) {
			(void)send(fd, out + 4, dl, 0);
		}
	} else if (!line[0]) {
		snprintf(line, sizeof line, "refused: %s", t->err[0] ? t->err : "initiator stopped");
	}
	printf("%d %s\n", nr, line);
	ike_cli_free(t);
	if (fd != fd500)
		close(fd500);
	close(fd);
	return rc;
}

/* ---- L2TP: SCCRQ with a Challenge, check the SCCRP's Challenge Response ---- */

static int l2tp_send_ctl(int fd, struct rp_wr *w)
{
	l2tp_ctl_end(w);
	return rp_wr_ok(w) && send(fd, w->p, w->len, 0) == (ssize_t)w->len ? 0 : -1;
}

/* The next control message that is not a ZLB: its type, 0 on timeout, -1 when it does not parse. */
static int l2tp_recv_ctl(int fd, const struct opts *o, uint64_t deadline, uint8_t *buf, size_t cap,
                         struct l2tp_hdr *h, struct l2tp_msg *m)
{
	for (;;) {
		size_t n = recv_until(fd, deadline, buf, cap);
		if (!n)
			return 0;
		if (l2tp_hdr_parse(buf, n, h) || !h->ctrl)
			continue;
		if (l2tp_msg_parse(m, buf + h->payload_off, h->len - h->payload_off, o->key, o->keylen) < 0)
			return -1;
		if (m->type != L2TP_ZLB)
			return m->type;
	}
}

static int l2tp_probe(const struct opts *o, struct rp_rng *rng)
{
	struct rp_addr local;
	int fd = udp_to(o, o->port, &local);
	uint8_t b[512], chal[16], rx[2048], d[16];
	struct rp_wr w;
	struct l2tp_hdr h;
	static struct l2tp_msg m;
	uint16_t tid = (uint16_t)(rp_rng_u32(rng) | 1);
	rp_rng_fill(rng, chal, sizeof chal);

	rp_wr_init(&w, b, sizeof b);
	l2tp_ctl_begin(&w, 0, 0, 0, 0);
	l2tp_avp_u16(&w, L2TP_AVP_MSG_TYPE, true, L2TP_SCCRQ);
	l2tp_avp_u16(&w, L2TP_AVP_PROTO_VER, true, 0x0100);
	l2tp_avp_u32(&w, L2TP_AVP_FRAMING_CAP, true, 1);
	l2tp_avp_put(&w, L2TP_AVP_HOST_NAME, true, "ikeprobe", 8);
	l2tp_avp_u16(&w, L2TP_AVP_ASSIGNED_TID, true, tid);
	l2tp_avp_put(&w, L2TP_AVP_CHALLENGE, true, chal, sizeof chal);
	if (l2tp_send_ctl(fd, &w))
		return 2;
	int type = l2tp_recv_ctl(fd, o, now_ms() + (uint64_t)o->timeout_ms, rx, sizeof rx, &h, &m);
	if (type != L2TP_SCCRP) {
		if (type == L2TP_STOPCCN)
			printf("refused: StopCCN result %u error %u \"%.*s\"\n", m.result, m.error,
			       (int)m.result_msg.len, (const char *)m.result_msg.p);
		else
			printf("refused: %s\n", type == 0 ? "timeout waiting for SCCRP" : "no SCCRP");
		return 1;
	}
	uint16_t lns_tid = m.assigned_tid, lns_window = m.recv_window;
	l2tp_chal_digest(d, L2TP_SCCRP, o->key, o->keylen, chal, sizeof chal);
	if (m.challenge_resp.len != 16 || memcmp(d, m.challenge_resp.p, 16)) {
		static const uint8_t zeros[256];
		const char *what = "a different secret";
		if (m.challenge_resp.len != 16)
			what = "no Challenge Response AVP";
		else if (l2tp_chal_digest(d, L2TP_SCCRP, zeros, o->keylen, chal, sizeof chal) == 0 &&
		         !memcmp(d, m.challenge_resp.p, 16))
			what = "a secret of zero bytes";
		printf("refused: SCCRP Challenge Response computed with %s\n", what);
		return 1;
	}
	/* answer the LNS's challenge: it must accept our SCCCN (no StopCCN) */
	rp_wr_init(&w, b, sizeof b);
	l2tp_ctl_begin(&w, lns_tid, 0, 1, 1);
	l2tp_avp_u16(&w, L2TP_AVP_MSG_TYPE, true, L2TP_SCCCN);
	if (m.challenge.len) {
		l2tp_chal_digest(d, L2TP_SCCCN, o->key, o->keylen, m.challenge.p, m.challenge.len);
		l2tp_avp_put(&w, L2TP_AVP_CHALLENGE_RESP, true, d, 16);
	}
	if (l2tp_send_ctl(fd, &w))
		return 2;
	type = l2tp_recv_ctl(fd, o, now_ms() + (uint64_t)o->timeout_ms, rx, sizeof rx, &h, &m);
	if (type == L2TP_STOPCCN) {
		printf("refused: SCCRP right, but our SCCCN got StopCCN result %u \"%.*s\"\n", m.result,
		       (int)m.result_msg.len, (const char *)m.result_msg.p);
		return 1;
	}
	/* tear the tunnel down (§5.7) */
	rp_wr_init(&w, b, sizeof b);
	l2tp_ctl_begin(&w, lns_tid, 0, 2, 1);
	l2tp_avp_u16(&w, L2TP_AVP_MSG_TYPE, true, L2TP_STOPCCN);
	l2tp_avp_u16(&w, L2TP_AVP_ASSIGNED_TID, true, tid);
	l2tp_avp_result(&w, 1, 0, NULL);
	l2tp_send_ctl(fd, &w);
	printf("ok: SCCRP Challenge Response matches the secret (LNS tunnel %u, window %u), SCCCN accepted\n",
	       lns_tid, lns_window);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {.count = 1, .timeout_ms = 3000};
	bool have_server = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--quick") == 0) {
			o.quick = true;
			continue;
		}
		if (strcmp(a, "--natt") == 0) {
			o.natt = true;
			continue;
		}
		if (strcmp(a, "--l2tp") == 0) {
			o.l2tp = true;
			continue;
		}
		if (!v)
			return usage();
		i++;
		if (strcmp(a, "--server") == 0) {
			if (rp_addr_parse(&o.server, v) || o.server.family != 4)
				return usage();
			have_server = true;
		} else if (strcmp(a, "--port") == 0) {
			o.port = (uint16_t)atoi(v);
		} else if (strcmp(a, "--psk") == 0 || strcmp(a, "--secret") == 0) {
			o.keylen = strlen(v);
			if (o.keylen > sizeof o.key)
				return usage();
			memcpy(o.key, v, o.keylen);
			o.have_key = true;
		} else if (strcmp(a, "--psk-hex") == 0 || strcmp(a, "--secret-hex") == 0) {
			if (parse_hex(v, o.key, sizeof o.key, &o.keylen))
				return usage();
			o.have_key = true;
		} else if (strcmp(a, "--group") == 0) {
			o.group = (uint16_t)atoi(v);
		} else if (strcmp(a, "--pfs") == 0) {
			o.pfs = (uint16_t)atoi(v);
		} else if (strcmp(a, "--count") == 0) {
			o.count = atoi(v);
		} else if (strcmp(a, "--timeout-ms") == 0) {
			o.timeout_ms = atoi(v);
		} else {
			return usage();
		}
	}
	if (!have_server || !o.have_key || o.count < 1 || o.timeout_ms < 1)
		return usage();
	if (!o.port)
		o.port = o.l2tp ? 1701 : 500;
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct rp_rng rng;
	rp_rng_gnutls(&rng, 2);
	if (o.l2tp)
		return l2tp_probe(&o, &rng);
	int failed = 0;
	int i = 1;
	for (; i <= o.count && !failed; i++) /* the first failure ends the run: the rest would wait too */
		failed += ike_once(&o, i, &rng) != 0;
	if (o.count > 1)
		printf("%d/%d ok%s\n", i - 1 - failed, o.count,
		       failed ? " (stopped at the first failure)" : "");
	return failed ? 1 : 0;
}
