/* Stateful fuzzing of one PPP server session: records of {op, len16, bytes}: op 0 = a frame from
 * the peer, 1 = advance time by bytes[0] * 250 ms and tick, 2 = administrative close, 3 = send an
 * IPv4 packet down, 4 = acknowledge the last Configure-Request we sent, 5 = answer the last CHAP
 * challenge (MS-CHAPv2-shaped, user "a"). The verify hook accepts users starting with 'a' (no auth/ here: the
 * point is the automaton). Invariants: closed() at most once, deadlines never in the past after a tick. */
#include "ppp_local.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned closed_calls;
static uint8_t last_req[1600], chal_id;
static size_t last_req_len;

static void f_send(void *ctx, const uint8_t *f, size_t n)
{
	(void)ctx;
	if (n < 4 || f[0] != 0xff || f[1] != 0x03)
		__builtin_trap();
	uint16_t pr = rp_get_u16(f + 2);
	if (n >= 8 && (pr == PPP_LCP || pr == PPP_IPCP) && f[4] == 1 && n <= sizeof last_req) {
		memcpy(last_req, f, n);
		last_req_len = n;
	}
	if (n >= 8 && pr == PPP_CHAP && f[4] == 1)
		chal_id = f[5];
}
static void f_closed(void *ctx, int reason, const char *text)
{
	(void)ctx;
	(void)reason;
	(void)text;
	closed_calls++;
}
static int f_verify(void *ctx, const struct ppp_auth_req *q, struct ppp_auth_res *r)
{
	(void)ctx;
	memset(r, 0, sizeof *r);
	r->verdict = q->user_len && q->user[0] == 'a' ? PPP_AUTH_OK : PPP_AUTH_BAD_PASSWORD;
	r->peer_ip = 0x0a000002;
	memcpy(r->account, "a", 2);
	return 0;
}
static void f_up(void *ctx, const char *a, uint32_t ip)
{
	(void)ctx;
	(void)a;
	if (ip != 0x0a000002)
		__builtin_trap();
}
static void f_ip(void *ctx, const uint8_t *p, size_t n)
{
	(void)ctx;
	(void)p;
	if (n < 20)
		__builtin_trap();
}

static void f_ip6(void *ctx, const uint8_t *p, size_t n)
{
	(void)ctx;
	(void)p;
	if (n < 40)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rp_rng rng;
	struct rp_log log;
	struct ppp_conf c;
	struct rp_rd r;
	uint64_t now = 1000;
	rp_rng_seeded(&rng, 1);
	rp_log_init(&log, 0, NULL, NULL);
	ppp_conf_defaults(&c);
	c.local_ip = 0x0a000001;
	c.dns[0] = 0x08080808;
	c.auth_methods = PPP_AUTH_MSCHAPV2 | PPP_AUTH_CHAP_MD5 | PPP_AUTH_PAP;
	/* IPV6CP on for inputs whose first byte is odd: both the rejecting and the negotiating
	 * paths get fuzzed */
	c.ipv6 = size && (data[0] & 1);
	struct ppp_cb cb = {
	    .send = f_send, .closed = f_closed, .verify = f_verify, .up = f_up, .ip_in = f_ip, .ip6_in = f_ip6};
	closed_calls = 0;
	last_req_len = 0;
	chal_id = 0;
	struct ppp *p = ppp_new(&c, &cb, &rng, &log, now);
	if (!p)
		return 0;
	ppp_start(p, now);
	rp_rd_init(&r, data, size);
	while (rp_rd_left(&r)) {
		uint8_t op;
		uint16_t len;
		const uint8_t *b;
		if (rp_rd_u8(&r, &op) || rp_rd_u16(&r, &len) || rp_rd_ref(&r, &b, len))
			break;
		switch (op % 6) {
		case 0:
			ppp_input(p, b, len, now);
			break;
		case 1:
			now += (len ? b[0] : 1) * 250ull;
			ppp_tick(p, now);
			if (ppp_next_deadline(p) < now)
				__builtin_trap();
			break;
		case 2:
			ppp_close(p, "fuzz", now);
			break;
		case 3:
			ppp_output_ip(p, b, len);
			break;
		case 4:
			if (last_req_len) {
				uint8_t f[1600];
				memcpy(f, last_req, last_req_len);
				f[4] = 2;
				ppp_input(p, f, last_req_len, now);
			}
			break;
		case 5: {
			uint8_t f[4 + 4 + 1 + 49 + 1] = {0xff, 0x03, 0xc2, 0x23, 2, chal_id, 0, 55, 49};
			f[sizeof f - 1] = 'a';
			ppp_input(p, f, sizeof f, now);
			break;
		}
		}
	}
	if (closed_calls > 1)
		__builtin_trap();
	ppp_free(p);
	return 0;
}
