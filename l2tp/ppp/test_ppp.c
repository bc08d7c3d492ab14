/* PPP server against the PPP client (ppp_cli.h) with auth/ doing the verification, as the LNS
 * wires it; recorded pppd frames; keepalive, loopback, Protocol-Reject, timeouts. */
#include "ppp_cli.h"
#include "../test_util.h"
#include "auth.h"
#include "check_main.h"
#include "ppp_local.h"

#include <stdio.h>

struct h {
	struct ppp *ppp;
	struct ppp_cli c;
	struct auth_db *db;
	struct auth_pool *pool;
	struct rp_rng rng;
	struct rp_log log;
	uint64_t now;
	/* server frames not yet delivered */
	uint8_t q[32][1600];
	size_t ql[32];
	int nq;
	/* client frames not yet delivered */
	uint8_t cq[16][600];
	size_t cql[16];
	int ncq;
	bool closed, up;
	int reason;
	char text[128], account[64];
	uint32_t up_ip;
	unsigned ip_in;
	bool up6;
	uint64_t our_ifid, peer_ifid;
	unsigned ip6_in;
	/* deferred verification: the verdict is computed, kept, and answered by the test later */
	bool defer;
	unsigned verifies;
	struct ppp_auth_res held;
};

static void h_send(void *ctx, const uint8_t *f, size_t n)
{
	struct h *h = ctx;
	ck_assert_int_lt(h->nq, 32);
	memcpy(h->q[h->nq], f, n);
	h->ql[h->nq++] = n;
}

static void c_send(void *ctx, const uint8_t *f, size_t n)
{
	struct h *h = ctx;
	ck_assert_int_lt(h->ncq, 16);
	ck_assert_uint_le(n, sizeof h->cq[0]);
	memcpy(h->cq[h->ncq], f, n);
	h->cql[h->ncq++] = n;
}

static void h_closed(void *ctx, int reason, const char *text)
{
	struct h *h = ctx;
	ck_assert(!h->closed); /* reported once */
	h->closed = true;
	h->reason = reason;
	snprintf(h->text, sizeof h->text, "%s", text);
}

static int h_verify(void *ctx, const struct ppp_auth_req *q, struct ppp_auth_res *r)
{
	struct h *h = ctx;
	struct auth_ppp_req aq = {.method = q->method,
	                          .user = q->user,
	                          .user_len = q->user_len,
	                          .password = q->password,
	                          .password_len = q->password_len,
	                          .chap_id = q->chap_id,
	                          .challenge = q->challenge,
	                          .challenge_len = q->challenge_len,
	                          .response = q->response,
	                          .peer_challenge = q->peer_challenge,
	                          .nt_response = q->nt_response};
	struct auth_ppp_res ar;
	if (auth_ppp_verify(h->db, &aq, &ar))
		return -1;
	r->verdict = ar.result == AUTH_OK              ? PPP_AUTH_OK
	             : ar.result == AUTH_FAIL_PASSWORD ? PPP_AUTH_BAD_PASSWORD
	             : ar.result == AUTH_FAIL_DISABLED ? PPP_AUTH_DISABLED
	                                               : PPP_AUTH_NO_PERMISSION;
	memcpy(r->account, ar.account, sizeof r->account);
	memcpy(r->auth_response, ar.auth_response, sizeof r->auth_response);
	if (r->verdict == PPP_AUTH_OK && auth_pool_lease(h->pool, ar.static_ip, &r->peer_ip))
		r->verdict = PPP_AUTH_NO_PERMISSION;
	h->verifies++;
	if (h->defer) {
		h->held = *r;
		return PPP_VERIFY_PENDING;
	}
	return 0;
}

static void h_up(void *ctx, const char *account, uint32_t ip)
{
	struct h *h = ctx;
	h->up = true;
	h->up_ip = ip;
	snprintf(h->account, sizeof h->account, "%s", account);
}

static void h_ip_in(void *ctx, const uint8_t *pkt, size_t n)
{
	(void)pkt;
	(void)n;
	((struct h *)ctx)->ip_in++;
}

static void h_up6(void *ctx, uint64_t ours, uint64_t peer)
{
	struct h *h = ctx;
	h->up6 = true;
	h->our_ifid = ours;
	h->peer_ifid = peer;
}

static void h_ip6_in(void *ctx, const uint8_t *pkt, size_t n)
{
	(void)pkt;
	(void)n;
	((struct h *)ctx)->ip6_in++;
}

static struct ppp_conf conf;
static bool conf_ipv6; /* h_init enables IPV6CP */

static void h_init(struct h *h, unsigned methods)
{
	memset(h, 0, sizeof *h);
	h->c.send = c_send;
	h->c.ctx = h;
	rp_rng_seeded(&h->rng, 42);
	rp_log_init(&h->log, 0, NULL, NULL);
	h->db = auth_db_open_file(":memory:", NULL, 0);
	struct auth_account_opts o = {.methods = methods};
	ck_assert_int_eq(auth_account_add(h->db, "alice", "s3cret", &o), 0);
	h->pool = auth_pool_new();
	auth_pool_add_range(h->pool, 0xc6130a0a, 0xc6130a20);
	ppp_conf_defaults(&conf);
	conf.local_ip = 0xc6130a01;
	conf.dns[0] = 0x08080808;
	conf.dns[1] = 0x01010101;
	conf.ipv6 = conf_ipv6;
	struct ppp_cb cb = {.ctx = h,
	                    .send = h_send,
	                    .closed = h_closed,
	                    .verify = h_verify,
	                    .up = h_up,
	                    .ip_in = h_ip_in,
	                    .up6 = h_up6,
	                    .ip6_in = h_ip6_in};
	h->now = 1000;
	h->ppp = ppp_new(&conf, &cb, &h->rng, &h->log, h->now);
	ck_assert_ptr_nonnull(h->ppp);
}

static void h_free(struct h *h)
{
	ppp_free(h->ppp);
	auth_db_close(h->db);
	auth_pool_free(h->pool);
}

/* deliver everything both ways until quiet */
static void h_run(struct h *h)
{
	for (int round = 0; round < 100; round++) {
		bool moved = false;
		while (h->nq) {
			uint8_t f[1600];
			size_t n = h->ql[0];
			memcpy(f, h->q[0], n);
			memmove(h->q, h->q + 1, sizeof h->q[0] * (size_t)(h->nq - 1));
			memmove(h->ql, h->ql + 1, sizeof h->ql[0] * (size_t)(h->nq - 1));
			h->nq--;
			ppp_cli_input(&h->c, f, n);
			moved = true;
		}
		int k = h->ncq;
		h->ncq = 0;
		for (int i = 0; i < k; i++) {
			ppp_input(h->ppp, h->cq[i], h->cql[i], h->now);
			moved = true;
		}
		if (!moved)
			return;
	}
}

START_TEST(mschapv2_up)
{
	struct h h;
	h_init(&h, 0);
	ppp_cli_start(&h.c, "alice", "s3cret", 0x11223344);
	ppp_start(h.ppp, h.now);
	h_run(&h);
	ck_assert(ppp_cli_up(&h.c));
	ck_assert(h.up);
	ck_assert(ppp_is_up(h.ppp));
	ck_assert_str_eq(h.account, "alice");
	ck_assert_uint_eq(h.up_ip, 0xc6130a0a);
	ck_assert_uint_eq(h.c.ip, 0xc6130a0a);
	ck_assert_uint_eq(h.c.dns1, 0x08080808);
	ck_assert_uint_eq(h.c.dns2, 0x01010101);
	ck_assert(!h.c.offer_mrru); /* MRRU and Callback were rejected */
	ck_assert_uint_eq(ppp_peer_mru(h.ppp), 1400);

	/* IPv4 from the peer's address is passed up; a spoofed source is not */
	uint8_t ip[4 + 20] = {0xff, 0x03, 0x00, 0x21, 0x45};
	rp_put_u32(ip + 4 + 12, 0xc6130a0a);
	ppp_input(h.ppp, ip, sizeof ip, h.now);
	rp_put_u32(ip + 4 + 12, 0xc6130a0b);
	ppp_input(h.ppp, ip, sizeof ip, h.now);
	ck_assert_uint_eq(h.ip_in, 1);
	/* PFC + ACFC compressed form is accepted too */
	uint8_t ipc[1 + 20] = {0x21, 0x45};
	rp_put_u32(ipc + 1 + 12, 0xc6130a0a);
	ppp_input(h.ppp, ipc, sizeof ipc, h.now);
	ck_assert_uint_eq(h.ip_in, 2);

	/* CCP and IPV6CP: LCP Protocol-Reject */
	uint8_t ccp[] = {0xff, 0x03, 0x80, 0xfd, 0x01, 0x01, 0x00, 0x04};
	ppp_input(h.ppp, ccp, sizeof ccp, h.now);
	ck_assert_int_eq(h.nq, 1);
	ck_assert_uint_eq(h.q[0][4], 8);
	ck_assert_uint_eq(rp_get_u16(h.q[0] + 8), 0x80fd);
	h_run(&h);
	ck_assert(h.c.got_proto_rej);

	/* keepalive: silence -> Echo-Request, answered; the link stays */
	for (int i = 0; i < 5; i++) {
		h.now = ppp_next_deadline(h.ppp);
		ppp_tick(h.ppp, h.now);
		h_run(&h);
	}
	ck_assert_uint_ge(h.c.echo_replies, 4);
	ck_assert(!h.closed);

	/* peer stops answering: closed after echo_fails probes */
	h.c.no_echo_reply = true;
	for (int i = 0; i < 20 && !h.closed; i++) {
		h.now = ppp_next_deadline(h.ppp);
		ck_assert_uint_ne(h.now, UINT64_MAX);
		ppp_tick(h.ppp, h.now);
		h.nq = 0; /* the client is gone */
	}
	ck_assert(h.closed);
	ck_assert_int_eq(h.reason, PPP_DOWN_TIMEOUT);
	h_free(&h);
}
END_TEST

/* Our first Configure-Request is lost (the peer was not listening yet, as with xl2tpd starting
 * pppd after the ICCN): the peer's first request shortens the restart timer to 1 s. */
START_TEST(first_request_lost)
{
	struct h h;
	h_init(&h, 0);
	ppp_start(h.ppp, h.now);
	ck_assert_int_eq(h.nq, 1);
	h.nq = 0; /* lost */
	h.now += 200;
	ppp_cli_start(&h.c, "alice", "s3cret", 0x2468);
	h_run(&h);
	ck_assert(!h.up);
	ck_assert_uint_eq(ppp_next_deadline(h.ppp), h.now + 1000);
	h.now = ppp_next_deadline(h.ppp);
	ppp_tick(h.ppp, h.now);
	h_run(&h);
	ck_assert(ppp_cli_up(&h.c));
	ck_assert(h.up);
	ck_assert_uint_eq(h.now, 1000 + 200 + 1000); /* not the 3 s restart timer */
	h_free(&h);
}
END_TEST

START_TEST(mschapv2_retry)
{
	struct h h;
	h_init(&h, 0);
	ppp_cli_start(&h.c, "alice", "wrong", 0x55667788);
	ppp_start(h.ppp, h.now);
	h_run(&h);
	ck_assert(h.c.auth_failed);
	ck_assert(!h.closed);
	/* the Windows-visible failure format: E=691 R=1 C=<32 hex> V=3 M=... */
	unsigned e, r, v;
	char c[40];
	ck_assert_int_eq(sscanf(h.c.fail_msg, "E=%u R=%u C=%32s V=%u", &e, &r, c, &v), 4);
	ck_assert_uint_eq(e, 691);
	ck_assert_uint_eq(r, 1);
	ck_assert_uint_eq(strlen(c), 32);
	ck_assert_uint_eq(v, 3);
	ck_assert_ptr_nonnull(strstr(h.c.fail_msg, " M="));
	/* retry with the new challenge and the right password (RFC 2759 §6: identifier + 1) */
	uint8_t chal[17] = {16};
	for (int i = 0; i < 16; i++) {
		unsigned x;
		sscanf(c + 2 * i, "%2x", &x);
		chal[1 + i] = (uint8_t)x;
	}
	h.c.pass = "s3cret";
	h.c.auth_failed = false;
	ppp_cli_chap(&h.c, (uint8_t)(h.ppp->chal_id), chal, 17);
	h_run(&h);
	ck_assert(ppp_cli_up(&h.c));
	ck_assert(h.up);

	/* a third wrong attempt in a fresh session ends with R=0 and the link closes */
	h_free(&h);
	h_init(&h, 0);
	ppp_cli_start(&h.c, "alice", "wrong", 0x55667788);
	ppp_start(h.ppp, h.now);
	h_run(&h);
	for (int i = 0; i < 3 && !h.closed; i++) {
		ck_assert_int_eq(sscanf(h.c.fail_msg, "E=%u R=%u C=%32s", &e, &r, c), 3);
		for (int k = 0; k < 16; k++) {
			unsigned x;
			sscanf(c + 2 * k, "%2x", &x);
			chal[1 + k] = (uint8_t)x;
		}
		ppp_cli_chap(&h.c, h.ppp->chal_id, chal, 17);
		h_run(&h);
	}
	ck_assert_int_eq(sscanf(h.c.fail_msg, "E=%u R=%u", &e, &r), 2);
	ck_assert_uint_eq(r, 0);
	ck_assert(h.c.terminated);
	ck_assert(h.closed);
	ck_assert_int_eq(h.reason, PPP_DOWN_AUTH);
	ck_assert(!h.up);
	h_free(&h);
}
END_TEST

/* The owner answers later (RADIUS): PPP waits, sends nothing, asks once however often the peer
 * repeats its Response, does not resend its Challenge, and answers when the verdict comes. */
START_TEST(deferred_answer)
{
	struct h h;
	h_init(&h, 0);
	h.defer = true;
	ppp_cli_start(&h.c, "alice", "s3cret", 0x4242);
	ppp_start(h.ppp, h.now);
	h_run(&h);
	ck_assert_uint_eq(h.verifies, 1);
	ck_assert(ppp_auth_pending(h.ppp));
	ck_assert(!h.c.auth_ok && !h.up);
	for (int i = 0; i < 3; i++) {
		/* the peer repeats its Response (Windows does, every few seconds): nothing happens */
		ppp_cli_emit(&h.c, 0xc223, 2, h.c.resp_id, h.c.resp, h.c.resp_len);
		h.now += 3000;
		ppp_tick(h.ppp, h.now);
		h_run(&h);
		ck_assert_int_eq(h.nq, 0);
	}
	ck_assert_uint_eq(h.verifies, 1);
	ck_assert(!h.closed);
	ck_assert_int_eq(ppp_auth_answer(h.ppp, &h.held, h.now), 0);
	ck_assert(!ppp_auth_pending(h.ppp));
	h_run(&h);
	ck_assert(h.c.auth_ok);
	ck_assert(ppp_cli_up(&h.c));
	ck_assert(h.up);
	/* an answer nobody asked for is refused */
	ck_assert_int_eq(ppp_auth_answer(h.ppp, &h.held, h.now), -1);
	h_free(&h);

	/* PAP, refused later: Nak and close */
	h_init(&h, 0);
	h.defer = true;
	ppp_cli_start(&h.c, "alice", "wrong", 0x99);
	h.c.auth_kind = 1;
	ppp_start(h.ppp, h.now);
	h_run(&h);
	ppp_cli_pap(&h.c);
	h_run(&h);
	ppp_cli_pap(&h.c); /* repeated while pending */
	h_run(&h);
	ck_assert_uint_eq(h.verifies, 1);
	ck_assert(!h.closed);
	ck_assert_int_eq(ppp_auth_answer(h.ppp, &h.held, h.now), 0);
	h_run(&h);
	ck_assert(h.c.auth_failed);
	ck_assert(h.closed);
	ck_assert_int_eq(h.reason, PPP_DOWN_AUTH);
	h_free(&h);

	/* the phase timeout still bounds a wait for an answer that never comes */
	h_init(&h, 0);
	h.defer = true;
	ppp_cli_start(&h.c, "alice", "s3cret", 0x77);
	ppp_start(h.ppp, h.now);
	h_run(&h);
	ck_assert(ppp_auth_pending(h.ppp));
	for (int i = 0; i < 50 && !h.closed; i++) {
		h.now = ppp_next_deadline(h.ppp);
		ppp_tick(h.ppp, h.now);
		h.nq = 0;
	}
	ck_assert(h.closed);
	ck_assert_int_eq(h.reason, PPP_DOWN_TIMEOUT);
	h_free(&h);
}
END_TEST

START_TEST(pap_fallback)
{
	struct h h;
	h_init(&h, 0);
	ppp_cli_start(&h.c, "alice", "s3cret", 0x99);
	h.c.auth_kind = 1; /* Nak CHAP, ask for PAP */
	ppp_start(h.ppp, h.now);
	h_run(&h);
	ck_assert(h.c.lcp_acked && h.c.lcp_ack_sent);
	ck_assert_uint_eq(h.ppp->auth, PPP_AUTH_PAP);
	ppp_cli_pap(&h.c);
	h_run(&h);
	ck_assert(ppp_cli_up(&h.c));
	ck_assert(h.up);
	h_free(&h);

	/* an account restricted to MS-CHAPv2 cannot use PAP */
	h_init(&h, AUTH_M_MSCHAPV2);
	ppp_cli_start(&h.c, "alice", "s3cret", 0x99);
	h.c.auth_kind = 1;
	ppp_start(h.ppp, h.now);
	h_run(&h);
	ppp_cli_pap(&h.c);
	h_run(&h);
	ck_assert(h.c.auth_failed);
	ck_assert(h.closed);
	ck_assert_int_eq(h.reason, PPP_DOWN_AUTH);
	h_free(&h);
}
END_TEST

START_TEST(chap_md5)
{
	struct h h;
	/* CHAP-MD5 needs a reversible secret: the admin opted in for this account */
	h_init(&h, 0);
	struct auth_account_opts o = {.methods = AUTH_M_CHAP_MD5, .store_cleartext = true};
	ck_assert_int_eq(auth_account_add(h.db, "bob", "md5pass", &o), 0);
	h.ppp->conf.auth_methods = PPP_AUTH_MSCHAPV2 | PPP_AUTH_CHAP_MD5;
	ppp_cli_start(&h.c, "bob", "md5pass", 0x31);
	h.c.auth_kind = 2;
	ppp_start(h.ppp, h.now);
	h_run(&h);
	ck_assert_uint_eq(h.ppp->auth, PPP_AUTH_CHAP_MD5);
	ck_assert(ppp_cli_up(&h.c));
	ck_assert_str_eq(h.account, "bob");
	h_free(&h);

	/* alice has only the NT hash: CHAP-MD5 fails cleanly */
	h_init(&h, AUTH_M_DEFAULT | AUTH_M_CHAP_MD5);
	h.ppp->conf.auth_methods = PPP_AUTH_MSCHAPV2 | PPP_AUTH_CHAP_MD5;
	ppp_cli_start(&h.c, "alice", "s3cret", 0x32);
	h.c.auth_kind = 2;
	ppp_start(h.ppp, h.now);
	h_run(&h);
	ck_assert(h.c.auth_failed);
	ck_assert(h.closed);
	ck_assert_int_eq(h.reason, PPP_DOWN_AUTH);
	h_free(&h);
}
END_TEST

/* PPP frames a Cisco PPPoE client sent (zeek's pppoe.pcap): PPPoE session payloads from
 * cc:05:0e:88:00:00, in order */
static int load_pppoe_client(struct tu_pkt *out, int max)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(RP_DATA "/ppp-pppoe-zeek.pcap", err);
	struct pcap_pkthdr *ph;
	const uint8_t *d;
	int n = 0, frame = 0;
	static const uint8_t mac[6] = {0xcc, 0x05, 0x0e, 0x88, 0x00, 0x00};
	ck_assert_ptr_nonnull(pc);
	while (n < max && pcap_next_ex(pc, &ph, &d) == 1) {
		frame++;
		if (ph->caplen < 22 || memcmp(d + 6, mac, 6) || d[12] != 0x88 || d[13] != 0x64)
			continue;
		size_t pl = rp_get_u16(d + 18);
		if (pl > ph->caplen - 20 || pl > sizeof out[n].data)
			continue;
		out[n].frame = frame;
		out[n].len = pl;
		memcpy(out[n].data, d + 20, pl);
		n++;
	}
	pcap_close(pc);
	return n;
}

static const struct tu_pkt *by_frame(const struct tu_pkt *pk, int n, int frame)
{
	for (int i = 0; i < n; i++)
		if (pk[i].frame == frame)
			return &pk[i];
	ck_abort_msg("frame %d not found", frame);
	return NULL;
}

static void ack_last_request(struct h *h, uint16_t proto)
{
	for (int i = h->nq - 1; i >= 0; i--)
		if (rp_get_u16(h->q[i] + 2) == proto && h->q[i][4] == 1) {
			uint8_t f[1600];
			memcpy(f, h->q[i], h->ql[i]);
			f[4] = 2;
			ppp_input(h->ppp, f, h->ql[i], h->now);
			return;
		}
	ck_abort_msg("no Configure-Request for %04x", proto);
}

START_TEST(recorded_cisco_pppoe)
{
	static struct tu_pkt pk[64];
	int n = load_pppoe_client(pk, 64);
	ck_assert_int_ge(n, 10);
	struct h h;
	h_init(&h, 0);
	ck_assert_int_eq(auth_account_add(h.db, "cisco", "cisco", NULL), 0);
	auth_pool_free(h.pool);
	h.pool = auth_pool_new();
	auth_pool_add_range(h.pool, 0x0a000210, 0x0a000220); /* 10.0.2.16: what the BRAS gave */
	h.ppp->conf.auth_methods = PPP_AUTH_PAP;
	h.ppp->conf.local_ip = 0x0a000001;
	ppp_start(h.ppp, h.now);
	/* its LCP request (Magic-Number only) is acknowledged */
	const struct tu_pkt *f = by_frame(pk, n, 5);
	ppp_input(h.ppp, f->data, f->len, h.now);
	ck_assert_uint_eq(h.q[h.nq - 1][4], 2);
	ck_assert_uint_eq(h.q[h.nq - 1][5], f->data[3]);
	ack_last_request(&h, PPP_LCP);
	ck_assert_uint_eq(h.ppp->auth, PPP_AUTH_PAP);
	/* its PAP Authenticate-Request verifies against the NT hash in the store */
	h.nq = 0;
	f = by_frame(pk, n, 11);
	ppp_input(h.ppp, f->data, f->len, h.now);
	ck_assert_int_ge(h.nq, 1);
	ck_assert_uint_eq(rp_get_u16(h.q[0] + 2), PPP_PAP);
	ck_assert_uint_eq(h.q[0][4], 2); /* Authenticate-Ack */
	/* IPCP: address 0 is Nak-ed with the pool address, which it then requests: Ack */
	f = by_frame(pk, n, 15);
	ppp_input(h.ppp, f->data, f->len, h.now);
	ack_last_request(&h, PPP_IPCP);
	int nak = -1;
	for (int i = 0; i < h.nq; i++)
		if (rp_get_u16(h.q[i] + 2) == PPP_IPCP && h.q[i][4] == 3)
			nak = i;
	ck_assert_int_ge(nak, 0);
	ck_assert_uint_eq(rp_get_u32(h.q[nak] + 10), 0x0a000210);
	f = by_frame(pk, n, 21);
	ppp_input(h.ppp, f->data, f->len, h.now);
	ck_assert(h.up);
	ck_assert_str_eq(h.account, "cisco");
	ck_assert_uint_eq(h.up_ip, 0x0a000210);
	/* IPV6CP: Protocol-Reject; its Echo-Request: Echo-Reply with our magic */
	h.nq = 0;
	f = by_frame(pk, n, 16);
	ppp_input(h.ppp, f->data, f->len, h.now);
	ck_assert_uint_eq(h.q[0][4], 8);
	f = by_frame(pk, n, 28);
	ppp_input(h.ppp, f->data, f->len, h.now);
	ck_assert_uint_eq(h.q[1][4], 10);
	ck_assert_uint_eq(rp_get_u32(h.q[1] + 8), h.ppp->magic);
	h_free(&h);
}
END_TEST

/* tcpdump's IPCP packet with invalid option lengths (9 KB, DLT_PPP) in every phase: no answer,
 * no crash */
START_TEST(tcpdump_invalid_lengths)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(RP_DATA "/ppp-invalid-lengths.pcap", err);
	struct pcap_pkthdr *ph;
	const uint8_t *d;
	ck_assert_ptr_nonnull(pc);
	ck_assert_int_eq(pcap_next_ex(pc, &ph, &d), 1);
	uint16_t proto;
	int off = ppp_frame_parse(d, ph->caplen, &proto);
	ck_assert_int_eq(off, 2);
	ck_assert_uint_eq(proto, PPP_IPCP);
	ck_assert_int_lt(ppp_ctl_validate(d + off, ph->caplen - 2, true), 0);
	struct h h;
	h_init(&h, 0);
	ppp_cli_start(&h.c, "alice", "s3cret", 0x5);
	ppp_start(h.ppp, h.now);
	ppp_input(h.ppp, d, ph->caplen, h.now);
	h_run(&h);
	ck_assert(h.up);
	h.nq = 0;
	ppp_input(h.ppp, d, ph->caplen, h.now);
	ck_assert_int_eq(h.nq, 0);
	ck_assert(h.up);
	pcap_close(pc);
	h_free(&h);
}
END_TEST

/* pppd 2.4.9's frames from the harness recording: its LCP request is acknowledged as is, its
 * IPV6CP request is Protocol-Rejected. */
START_TEST(recorded_pppd)
{
	static struct tu_pkt pk[64];
	int n = tu_load_session(RP_DATA "/l2tp-harness-session.txt", pk, 64);
	struct h h;
	h_init(&h, 0);
	ppp_start(h.ppp, h.now);
	h.nq = 0;
	for (int i = 0; i < n; i++) {
		if (pk[i].frame == 41) { /* pppd's LCP Configure-Request */
			ppp_input(h.ppp, pk[i].data + 6, pk[i].len - 6, h.now);
			ck_assert_int_eq(h.nq, 1);
			ck_assert_uint_eq(h.q[0][4], 2); /* Configure-Ack */
			ck_assert_uint_eq(h.ql[0], pk[i].len - 6);
			ck_assert(!memcmp(h.q[0] + 5, pk[i].data + 6 + 5, h.ql[0] - 5));
		}
	}
	/* bring LCP up with our own client, then feed pppd's IPV6CP request */
	h_free(&h);
	h_init(&h, 0);
	ppp_cli_start(&h.c, "alice", "s3cret", 0x1234);
	ppp_start(h.ppp, h.now);
	h_run(&h);
	ck_assert(h.up);
	for (int i = 0; i < n; i++) {
		if (pk[i].frame == 56) {
			ppp_input(h.ppp, pk[i].data + 6, pk[i].len - 6, h.now);
			ck_assert_int_eq(h.nq, 1);
			ck_assert_uint_eq(h.q[0][4], 8);
			ck_assert_uint_eq(rp_get_u16(h.q[0] + 8), 0x8057);
		}
	}
	h_free(&h);
}
END_TEST

/* IPV6CP (RFC 5072) enabled: pppd 2.4.9's recorded Configure-Request (frame 56 of the harness
 * recording, Interface-Identifier a895:c4fe:27a0:da70) is acknowledged as is; ours carries
 * fe80::1's identifier; once both are acknowledged IPv6 flows both ways. A zero identifier or
 * ours is Nak'd with a fresh one (§4.1); a peer that Protocol-Rejects IPV6CP keeps IPv4. */
START_TEST(ipv6cp_pppd)
{
	static struct tu_pkt pk[64];
	int n = tu_load_session(RP_DATA "/l2tp-harness-session.txt", pk, 64);
	const struct tu_pkt *req = NULL;
	for (int i = 0; i < n; i++)
		if (pk[i].frame == 56)
			req = &pk[i];
	ck_assert_ptr_nonnull(req);
	struct h h;
	conf_ipv6 = true;
	h_init(&h, 0);
	conf_ipv6 = false;
	ppp_cli_start(&h.c, "alice", "s3cret", 0x1234);
	ppp_start(h.ppp, h.now);
	/* deliver to the client everything but our IPV6CP request (the test client has no IPv6) */
	h_run(&h);
	ck_assert(h.up);
	ck_assert(!h.up6);
	/* IPv6 before IPV6CP is up: dropped, not rejected */
	uint8_t v6[4 + 40] = {0xff, 0x03, 0x00, 0x57, 0x60};
	h.nq = 0;
	ppp_input(h.ppp, v6, sizeof v6, h.now);
	ck_assert_int_eq(h.nq, 0);
	ck_assert_uint_eq(h.ip6_in, 0);
	ck_assert_int_eq(ppp_output_ip6(h.ppp, v6 + 4, 40), -1);

	ppp_input(h.ppp, req->data + 6, req->len - 6, h.now);
	ck_assert_int_eq(h.nq, 1);
	ck_assert_uint_eq(rp_get_u16(h.q[0] + 2), PPP_IPV6CP);
	ck_assert_uint_eq(h.q[0][4], 2); /* Configure-Ack of the same options */
	ck_assert_uint_eq(h.ql[0], req->len - 6);
	ck_assert(!memcmp(h.q[0] + 5, req->data + 6 + 5, h.ql[0] - 5));
	/* our request: resent by the restart timer (the first went to the client) */
	h.nq = 0;
	h.now = ppp_next_deadline(h.ppp);
	ppp_tick(h.ppp, h.now);
	int ours = -1;
	for (int i = 0; i < h.nq; i++)
		if (rp_get_u16(h.q[i] + 2) == PPP_IPV6CP && h.q[i][4] == 1)
			ours = i;
	ck_assert_int_ge(ours, 0);
	ck_assert_uint_eq(rp_get_u16(h.q[ours] + 6), 14);
	ck_assert_uint_eq(h.q[ours][8], 1);
	ck_assert_uint_eq(h.q[ours][9], 10);
	ck_assert_uint_eq(rp_get_u32(h.q[ours] + 10), 0);
	ck_assert_uint_eq(rp_get_u32(h.q[ours] + 14), 1);
	ack_last_request(&h, PPP_IPV6CP);
	ck_assert(h.up6);
	ck_assert(ppp_ipv6_up(h.ppp));
	ck_assert_uint_eq(h.our_ifid, 1);
	ck_assert_uint_eq(h.peer_ifid, 0xa895c4fe27a0da70ull);
	ppp_input(h.ppp, v6, sizeof v6, h.now);
	ck_assert_uint_eq(h.ip6_in, 1);
	ppp_input(h.ppp, v6, 4 + 39, h.now); /* shorter than an IPv6 header */
	v6[4] = 0x45;                        /* not version 6 */
	ppp_input(h.ppp, v6, sizeof v6, h.now);
	ck_assert_uint_eq(h.ip6_in, 1);
	h.nq = 0;
	v6[4] = 0x60;
	ck_assert_int_eq(ppp_output_ip6(h.ppp, v6 + 4, 40), 0);
	ck_assert_int_eq(h.nq, 1);
	ck_assert_uint_eq(rp_get_u16(h.q[0] + 2), PPP_IPV6);

	/* a renegotiation with a zero identifier, then with ours: Nak'd with one that is neither */
	uint8_t z[] = {0xff, 0x03, 0x80, 0x57, 1, 9, 0, 14, 1, 10, 0, 0, 0, 0, 0, 0, 0, 0};
	for (int k = 0; k < 2; k++) {
		if (k)
			z[17] = 1;
		h.nq = 0;
		ppp_input(h.ppp, z, sizeof z, h.now);
		int nak = -1;
		for (int i = 0; i < h.nq; i++)
			if (rp_get_u16(h.q[i] + 2) == PPP_IPV6CP && h.q[i][4] == 3)
				nak = i;
		ck_assert_int_ge(nak, 0);
		uint64_t s = (uint64_t)rp_get_u32(h.q[nak] + 10) << 32 | rp_get_u32(h.q[nak] + 14);
		ck_assert(s != 0 && s != 1);
	}
	ck_assert(!h.closed);
	h_free(&h);

	/* pppd without +ipv6 Protocol-Rejects IPV6CP: IPv4 stays up, IPV6CP stops asking */
	conf_ipv6 = true;
	h_init(&h, 0);
	conf_ipv6 = false;
	ppp_cli_start(&h.c, "alice", "s3cret", 0x1234);
	ppp_start(h.ppp, h.now);
	h_run(&h);
	ck_assert(h.up);
	uint8_t pr[] = {0xff, 0x03, 0xc0, 0x21, 8, 77, 0, 10, 0x80, 0x57, 1, 1, 0, 4};
	ppp_input(h.ppp, pr, sizeof pr, h.now);
	ck_assert_int_eq(h.ppp->ipv6cp.state, ST_STOPPED);
	for (int i = 0; i < 5; i++) {
		h.nq = 0;
		h.now += 3000;
		ppp_tick(h.ppp, h.now);
		for (int j = 0; j < h.nq; j++)
			ck_assert_uint_ne(rp_get_u16(h.q[j] + 2), PPP_IPV6CP);
		h_run(&h);
	}
	ck_assert(!h.closed);
	ck_assert(ppp_is_up(h.ppp));
	h_free(&h);
}
END_TEST

START_TEST(loopback_and_timeouts)
{
	struct h h;
	/* a looped-back line: our own Configure-Request comes back */
	h_init(&h, 0);
	ppp_start(h.ppp, h.now);
	for (int i = 0; i < 30 && !h.closed; i++) {
		int k = h.nq;
		uint8_t f[8][1600];
		size_t fl[8];
		if (k == 0) { /* nothing to loop: let the restart timer resend */
			h.now = ppp_next_deadline(h.ppp);
			ppp_tick(h.ppp, h.now);
			continue;
		}
		for (int j = 0; j < k && j < 8; j++) {
			fl[j] = h.ql[j];
			memcpy(f[j], h.q[j], fl[j]);
		}
		h.nq = 0;
		for (int j = 0; j < k && j < 8; j++)
			if (f[j][4] == 1) /* our requests come back to us */
				ppp_input(h.ppp, f[j], fl[j], h.now);
	}
	ck_assert(h.closed);
	ck_assert_int_eq(h.reason, PPP_DOWN_NEGOTIATION);
	h_free(&h);

	/* silence: LCP gives up after max-configure requests, at restart-timer intervals */
	h_init(&h, 0);
	ppp_start(h.ppp, h.now);
	unsigned sent = 0;
	uint64_t t0 = h.now;
	while (!h.closed) {
		sent += (unsigned)h.nq;
		h.nq = 0;
		h.now = ppp_next_deadline(h.ppp);
		ck_assert_uint_ne(h.now, UINT64_MAX);
		ppp_tick(h.ppp, h.now);
	}
	ck_assert_uint_eq(sent, 10);
	ck_assert_uint_eq(h.now - t0, 30000);
	ck_assert_int_eq(h.reason, PPP_DOWN_TIMEOUT);
	ck_assert_uint_eq(ppp_next_deadline(h.ppp), UINT64_MAX);
	h_free(&h);

	/* peer Terminate-Request: ack, then closed after one restart period */
	h_init(&h, 0);
	ppp_cli_start(&h.c, "alice", "s3cret", 0x4321);
	ppp_start(h.ppp, h.now);
	h_run(&h);
	ck_assert(h.up);
	uint8_t tr[] = {0xff, 0x03, 0xc0, 0x21, 5, 9, 0, 4};
	ppp_input(h.ppp, tr, sizeof tr, h.now);
	ck_assert_uint_eq(h.q[h.nq - 1][4], 6);
	ck_assert(!h.closed);
	h.now = ppp_next_deadline(h.ppp);
	ppp_tick(h.ppp, h.now);
	ck_assert(h.closed);
	ck_assert_int_eq(h.reason, PPP_DOWN_PEER);
	h_free(&h);

	/* admin close: Terminate-Request, closed on the peer's Terminate-Ack */
	h_init(&h, 0);
	ppp_cli_start(&h.c, "alice", "s3cret", 0x4321);
	ppp_start(h.ppp, h.now);
	h_run(&h);
	ppp_close(h.ppp, "admin", h.now);
	h_run(&h);
	ck_assert(h.c.terminated);
	ck_assert(h.closed);
	ck_assert_int_eq(h.reason, PPP_DOWN_ADMIN);
	h_free(&h);
}
END_TEST

START_TEST(malformed_frames)
{
	struct h h;
	h_init(&h, 0);
	ppp_cli_start(&h.c, "alice", "s3cret", 0x77);
	ppp_start(h.ppp, h.now);
	/* bad lengths and options: silently discarded, nothing answered */
	h.nq = 0;
	static const uint8_t bad[][12] = {
	    {0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 40, 1, 4, 5, 0x78}, /* length past the end */
	    {0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 8, 1, 1, 5, 0x78},  /* option length 1 */
	    {0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 3, 0, 0, 0, 0},     /* length below 4 */
	    {0xff, 0x03, 0xc0, 0x20, 1, 1, 0, 4, 0, 0, 0, 0},     /* even protocol */
	};
	for (size_t i = 0; i < RP_ARRAY_LEN(bad); i++)
		ppp_input(h.ppp, bad[i], 12, h.now);
	ck_assert_int_eq(h.nq, 0);
	/* an unknown LCP code gets a Code-Reject; RFC 1570 Identification (Windows) does not */
	uint8_t ident[] = {0xff, 0x03, 0xc0, 0x21, 12, 1, 0, 12, 0, 0, 0, 0, 'M', 'S', 'R', 'A'};
	ppp_input(h.ppp, ident, sizeof ident, h.now);
	ck_assert_int_eq(h.nq, 0);
	uint8_t uc[] = {0xff, 0x03, 0xc0, 0x21, 0x42, 1, 0, 4};
	ppp_input(h.ppp, uc, sizeof uc, h.now);
	ck_assert_int_eq(h.nq, 1);
	ck_assert_uint_eq(h.q[0][4], 7);
	/* the session still comes up */
	h.nq = 0;
	h_run(&h);
	ppp_start(h.ppp, h.now);
	h_free(&h);
}
END_TEST

static Suite *ppp_suite(void)
{
	Suite *s = suite_create("ppp");
	TCase *tc = tcase_create("ppp");
	tcase_add_test(tc, mschapv2_up);
	tcase_add_test(tc, first_request_lost);
	tcase_add_test(tc, mschapv2_retry);
	tcase_add_test(tc, pap_fallback);
	tcase_add_test(tc, deferred_answer);
	tcase_add_test(tc, chap_md5);
	tcase_add_test(tc, recorded_pppd);
	tcase_add_test(tc, ipv6cp_pppd);
	tcase_add_test(tc, recorded_cisco_pppoe);
	tcase_add_test(tc, tcpdump_invalid_lengths);
	tcase_add_test(tc, loopback_and_timeouts);
	tcase_add_test(tc, malformed_frames);
	suite_add_tcase(s, tc);
	return s;
}

RP_CHECK_MAIN(ppp_suite)
