/* Stateful fuzzing of the LNS core (with PPP and auth/ behind it): records of {op, len16, bytes}:
 * op 0 = an inner UDP/1701 payload from one of four links (bytes[0] picks it, the rest is the
 * payload), 1 = advance time by bytes[0] * 500 ms and tick, 2 = an IPv4 packet to a pool address,
 * 3 = the IPsec SA of a link is deleted, 4 = like 0 but the header's non-zero tunnel and session
 * IDs are replaced by the last ones the LNS used (so replayed captures reach deep states: our IDs
 * are random), 5 = acknowledge the last PPP Configure-Request the LNS sent (as a peer would),
 * 6 = answer the last CHAP challenge with a correct MS-CHAPv2 response for vpnuser/vpnpass (the
 * peer challenge taken from the record), so the fuzzer reaches the network phase. The first input
 * byte selects options (bit 0: tunnel secret). Every event is drained and checked. */
#include "l2tp_local.h"

#include "auth.h"
#include "ppp.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct auth_db *db;
static uint64_t fuzz_now; /* the time of the current step, for answers to auth requests */
static struct auth_pool *pool;

static uint16_t last_tid, last_sid, last_peer_sid;
static uint8_t last_req[600], last_chal[16];
static size_t last_req_len;
static bool have_chal;
static uint8_t last_chal_id;

static void drain(struct l2tp *l)
{
	struct rp_ev *ev;
	while ((ev = l2tp_next_event(l))) {
		if (ev->type == L2TP_EV_AUTH_REQUEST)
			l2tp_auth_from_store(l, db, (const struct l2tp_ev_auth *)ev->data, fuzz_now, NULL);
		if (ev->type == L2TP_EV_SEND) {
			struct l2tp_ev_send *e = (struct l2tp_ev_send *)ev->data;
			struct l2tp_hdr h;
			/* everything we send parses */
			if (e->len + sizeof *e != ev->len || l2tp_hdr_parse(e->pkt, e->len, &h))
				__builtin_trap();
			last_tid = e->tid;
			if (e->sid)
				last_sid = e->sid;
			/* remember our last PPP Configure-Request and CHAP challenge (data messages
			 * carry the L bit: 8-byte header, then ff 03 proto code) */
			if (!h.ctrl && e->len >= 8 + 8 && e->len - 8 <= sizeof last_req) {
				const uint8_t *f = e->pkt + 8;
				uint16_t pr = rp_get_u16(f + 2);
				last_peer_sid = h.sid;
				if ((pr == 0xc021 || pr == 0x8021) && f[4] == 1) {
					memcpy(last_req, f, e->len - 8);
					last_req_len = e->len - 8;
				}
				if (pr == 0xc223 && f[4] == 1 && e->len >= 8 + 9 + 16) {
					memcpy(last_chal, f + 9, 16);
					last_chal_id = f[5];
					have_chal = true;
				}
			} else if (h.ctrl && e->len >= 12 + 8 && rp_get_u16(e->pkt + 12 + 4) == 0 &&
			           rp_get_u16(e->pkt + 12 + 6) == L2TP_ICRP) {
				/* an ICRP names our new session in its Assigned Session ID */
				struct l2tp_msg m;
				if (l2tp_msg_parse(&m, e->pkt + 12, e->len - 12u, NULL, 0) == 0)
					last_sid = m.assigned_sid;
			}
		}
		rp_ev_free(ev);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ppp_conf pc;
	struct rp_rng rng;
	struct rp_rd r;
	struct l2tp_link links[4];
	uint64_t now = 5000;
	if (!db) {
		db = auth_db_open_file(":memory:", NULL, 0);
		auth_account_add(db, "vpnuser", "vpnpass", NULL);
		pool = auth_pool_new();
		auth_pool_add_range(pool, 0xc6134d0a, 0xc6134d32);
		ppp_conf_defaults(&pc);
		pc.local_ip = 0xc6134d01;
	}
	if (size < 1)
		return 0;
	rp_rng_seeded(&rng, 3);
	last_tid = last_sid = last_peer_sid = 0;
	last_req_len = 0;
	have_chal = false;
	struct l2tp_conf c = {.host_name = "fuzz", .ppp = &pc, .pool = pool, .hello_s = 60};
	if (data[0] & 1) {
		c.secret = (const uint8_t *)"secret";
		c.secret_len = 6;
	}
	data++;
	size--;
	struct l2tp *l = l2tp_new(&c, &rng, now);
	if (!l)
		return 0;
	for (int i = 0; i < 4; i++) {
		memset(&links[i], 0, sizeof links[i]);
		links[i].sa = (uint64_t)(i / 2);
		rp_addr_v4(&links[i].peer, 0x64400001, (uint16_t)(i % 2 ? 1701 : 40000));
	}
	rp_rd_init(&r, data, size);
	while (rp_rd_left(&r)) {
		uint8_t op;
		uint16_t len;
		const uint8_t *b;
		if (rp_rd_u8(&r, &op) || rp_rd_u16(&r, &len) || rp_rd_ref(&r, &b, len))
			break;
		if (op >= 0xf8 && len >= 1) { /* a reload between messages: l2tp_reconf */
			static struct ppp_conf pc2;
			struct l2tp_conf nc = c;
			pc2 = pc;
			pc2.mru = b[0] & 1 ? 1280 : 1400;
			pc2.auth_methods = b[0] & 2 ? 1 : 0; /* PAP only, or the defaults */
			pc2.echo_interval_s = b[0] & 4 ? 1 : 0;
			nc.ppp = &pc2;
			nc.secret = b[0] & 8 ? (const uint8_t *)"other" : b[0] & 16 ? NULL : c.secret;
			nc.secret_len = nc.secret ? strlen((const char *)nc.secret) : 0;
			nc.recv_window = (uint16_t)(b[0] & 32 ? 1 : 64); /* tunnels keep the window they advertised */
			nc.hello_s = b[0] & 64 ? 1 : 0;
			l2tp_reconf(l, &nc);
			continue;
		}
		switch (op % 7) {
		case 0:
			if (len >= 1)
				l2tp_input(l, &links[b[0] % 4], b + 1, len - 1u, now);
			break;
		case 4:
			if (len >= 9 && len <= 2048) {
				uint8_t pk[2048];
				memcpy(pk, b + 1, len - 1u);
				/* tunnel/session ID offsets depend on the L bit */
				size_t o = (pk[0] & 0x40) ? 4 : 2;
				if (rp_get_u16(pk + o))
					rp_put_u16(pk + o, last_tid);
				if (rp_get_u16(pk + o + 2))
					rp_put_u16(pk + o + 2, last_sid);
				l2tp_input(l, &links[b[0] % 4], pk, len - 1u, now);
			}
			break;
		case 1:
			now += (len ? b[0] : 1) * 500ull;
			l2tp_tick(l, now);
			if (l2tp_next_deadline(l) < now)
				__builtin_trap();
			break;
		case 2:
			if (len >= 20)
				l2tp_output_ip(l, 0xc6134d0a + (b[0] & 3), b, len, now);
			break;
		case 3:
			l2tp_link_gone(l, len ? b[0] % 2 : 0, now);
			break;
		case 5:
		case 6: {
			uint8_t pk[700];
			size_t fl;
			if (op % 7 == 5) {
				if (!last_req_len)
					break;
				memcpy(pk + 6, last_req, last_req_len);
				pk[6 + 4] = 2; /* Configure-Ack */
				fl = last_req_len;
			} else {
				static const char user[] = "vpnuser";
				uint8_t peer[16] = {0}, hsh[16];
				if (!have_chal)
					break;
				memcpy(peer, b, len < 16 ? len : 16);
				uint8_t *f = pk + 6;
				f[0] = 0xff, f[1] = 0x03, f[2] = 0xc2, f[3] = 0x23, f[4] = 2;
				f[5] = last_chal_id;
				rp_put_u16(f + 6, (uint16_t)(4 + 1 + 49 + 7));
				f[8] = 49;
				memcpy(f + 9, peer, 16);
				memset(f + 25, 0, 8);
				auth_nt_hash("vpnpass", 7, hsh);
				auth_mschapv2_nt_response(hsh, last_chal, peer, user, 7, f + 33);
				f[57] = 0;
				memcpy(f + 58, user, 7);
				fl = 65;
			}
			/* data header without L: flags, tid, sid */
			rp_put_u16(pk, 0x0002);
			rp_put_u16(pk + 2, last_tid);
			rp_put_u16(pk + 4, last_sid);
			l2tp_input(l, &links[len ? b[0] % 4 : 1], pk, fl + 6, now);
			break;
		}
		}
		fuzz_now = now;
		drain(l);
	}
	l2tp_free(l);
	if (auth_pool_in_use(pool))
		__builtin_trap(); /* every lease is released with its session */
	return 0;
}
