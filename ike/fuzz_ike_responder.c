/* libFuzzer target: sequences of messages into the responder core. The input is a program for a
 * test initiator: byte 0 picks the proposal set, NAT and NAT-T version; then each op advances
 * the honest handshake, replays, mutates, truncates or reorders its messages, injects raw bytes
 * under the SA's cookies, sends authenticated phase-2 messages with arbitrary payloads, or moves
 * time (timers, DPD, lifetimes), or reloads the configuration in the middle of it (another PSK,
 * groups, lifetimes, DPD: ike_reconf), or changes the per-peer policy's answer (block, permit, a
 * rule's methods, PSK, PFS group, out-of-range counts). So the fuzzer reaches every state behind
 * authentication. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike_cli.h"

static const struct ike_p1_alg p1s[][2] = {
    {{IKE_ENC_3DES, 0, IKE_HASH_SHA1, 2}, {IKE_ENC_AES, 128, IKE_HASH_MD5, 2}},
    {{IKE_ENC_AES, 256, IKE_HASH_SHA1, 19}, {IKE_ENC_AES, 128, IKE_HASH_SHA256, 2}},
    {{IKE_ENC_AES, 128, IKE_HASH_SHA512, 2}, {IKE_ENC_3DES, 0, IKE_HASH_SHA1, 2}},
    {{9, 0, IKE_HASH_SHA1, 2}, {IKE_ENC_AES, 192, IKE_HASH_SHA384, 2}},
};
static const struct ike_cli_p2 p2s[] = {{IKE_ESP_AES, 256, IKE_AUTH_HMAC_SHA1},
                                       {IKE_ESP_3DES, 0, IKE_AUTH_HMAC_MD5}};

struct st {
	struct ike *r;
	struct ike_cli *t;
	struct rp_addr srv, cli;
	uint64_t now;
	uint8_t next[IKE_MAXBUF], last[IKE_MAXBUF], reply[IKE_MAXBUF];
	long nextlen;
	size_t lastlen, replylen;
};

static void deliver(struct st *s, const uint8_t *p, size_t n)
{
	struct rp_pkt pk = {.data = p, .len = n, .src = s->cli, .dst = s->srv, .rx_ms = s->now};
	if (s->t->use4500) {
		pk.src.port = 4500;
		pk.dst.port = 4500;
	}
	ike_input(s->r, &pk, s->now);
	struct rp_ev *ev;
	while ((ev = ike_next_event(s->r))) {
		if (ev->type == IKE_EV_SEND) {
			size_t skip = ev->src.port == 4500 ? 4 : 0;
			if (ev->len - skip <= sizeof s->reply) {
				memcpy(s->reply, ev->data + skip, ev->len - skip);
				s->replylen = ev->len - skip;
			}
		}
		rp_ev_free(ev);
	}
}

static void advance(struct st *s)
{
	if (s->nextlen <= 0)
		return;
	memcpy(s->last, s->next, (size_t)s->nextlen);
	s->lastlen = (size_t)s->nextlen;
	int step = s->t->step;
	s->replylen = 0;
	deliver(s, s->last, s->lastlen);
	s->nextlen = 0;
	if (step < 9 && s->replylen)
		s->nextlen = ike_cli_input(s->t, s->reply, s->replylen, s->next, sizeof s->next);
}

/* The per-peer policy (ike_policy.h) as another module would answer: whatever the input set last,
 * methods and counts included (the core must bound them). */
static struct ike_peer_policy fpol;
static void fuzz_policy(void *ctx, const struct rp_addr *peer, struct ike_peer_policy *out)
{
	(void)ctx;
	(void)peer;
	*out = fpol;
}

static void set_policy(struct rp_rd *in, uint8_t a)
{
	const uint8_t *b;
	memset(&fpol, 0, sizeof fpol);
	fpol.action = (enum ike_pol_action)(a & 3);
	snprintf(fpol.rule, sizeof fpol.rule, "r%u", a);
	snprintf(fpol.store, sizeof fpol.store, "local");
	if ((a & 4) && rp_rd_ref(in, &b, 8) == 0) {
		fpol.mm[0] = (struct ike_mm_method){rp_get_u16(b), rp_get_u16(b + 2), rp_get_u16(b + 4),
		                                    rp_get_u16(b + 6)};
		fpol.mm[1] = (struct ike_mm_method){IKE_ENC_AES, 256, IKE_HASH_SHA1, 20};
		fpol.nmm = (a & 0xc0) == 0xc0 ? 1000 : 2; /* a count beyond the array: clamped */
	}
	if ((a & 8) && rp_rd_ref(in, &b, 6) == 0) {
		fpol.qm[0] = (struct ike_qm_method){rp_get_u16(b), rp_get_u16(b + 2), rp_get_u16(b + 4)};
		fpol.nqm = 1;
	}
	if (a & 16) {
		fpol.auth_psk = true;
		memcpy(fpol.psk, "fuzz", 4);
		fpol.psk_len = (a & 0x80) ? 5000 : 4; /* also beyond the array: clamped */
	}
	fpol.auth_cert = a & 32;
	fpol.pfs_group = (a & 0x40) ? 2 : 0;
	fpol.qm_life_s = a;
	fpol.mm_life_s = (a & 0x20) ? 1 : 0; /* the shortest Main Mode SA a policy can ask for */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t psk[] = "fuzz";
	struct rp_rng rr, ri;
	struct rp_log lg;
	struct ike_conf c;
	struct ike_psk k = {.kind = IKE_PSK_ANY, .key = psk, .keylen = 4};
	struct rp_rd in;
	uint8_t cfg, op;
	static struct st s;

	rp_rd_init(&in, data, size);
	if (rp_rd_u8(&in, &cfg))
		return 0;
	memset(&s, 0, sizeof s);
	ike_conf_defaults(&c);
	memset(&fpol, 0, sizeof fpol); /* no rule until the input sets one */
	c.policy = fuzz_policy;
	c.psks = &k;
	c.npsk = 1;
	c.keylog = true;
	rp_rng_seeded(&rr, 1);
	rp_rng_seeded(&ri, 2);
	rp_log_init(&lg, 0, NULL, NULL);
	s.r = ike_new(&c, &rr, &lg);
	rp_addr_v4(&s.srv, 0xcb007101, 500);
	rp_addr_v4(&s.cli, 0x64400a0a, 500);
	struct ike_cli_conf tc = {.p1 = p1s[cfg & 3],
	                         .np1 = 2,
	                         .p2 = &p2s[(cfg >> 2) & 1],
	                         .np2 = 1,
	                         .psk = psk,
	                         .psklen = 4,
	                         .client_port = 1701,
	                         .dpd = (cfg >> 3) & 1,
	                         .natt = (enum ike_natt)((cfg >> 4) % 5),
	                         .pfs_group = (cfg & 0x80) ? 2 : 0};
	tc.remote = s.srv;
	tc.local = s.cli;
	if (cfg & 0x40)
		s.cli.ip[0] = 198; /* seen from elsewhere: a NAT */
	s.t = ike_cli_new(&tc, &ri);
	s.now = 1000;
	s.nextlen = (long)ike_cli_start(s.t, s.next, sizeof s.next);

	for (int ops = 0; ops < 64 && rp_rd_u8(&in, &op) == 0; ops++) {
		uint8_t a = 0, buf[IKE_MAXBUF];
		const uint8_t *blob;
		if (op >= 0xf8) { /* a reload between two messages of a handshake */
			static const uint8_t other[] = "fuzz", zero[4] = {0};
			static const uint16_t g_strong[] = {19, 20, 14}, g_weak[] = {2};
			if (rp_rd_u8(&in, &a))
				break;
			struct ike_conf nc = c;
			struct ike_psk nk = k;
			nk.key = (a & 3) == 1 ? zero : other; /* same key, or the zero key of the old bug */
			if ((a & 3) == 2)
				nc.npsk = 0; /* no PSK at all */
			nc.psks = &nk;
			if (a & 4) {
				nc.p1_groups = nc.p2_groups = (a & 8) ? g_weak : g_strong;
				nc.np1_groups = nc.np2_groups = (a & 8) ? 1 : 3;
			}
			nc.p1_life_max_s = (a & 16) ? 60 : 0;
			nc.p2_life_max_s = (a & 32) ? 60 : 0;
			nc.dpd_idle_s = (a & 64) ? 1 : 0;
			nc.keylog = !(a & 128);
			/* the core copies the conf, not the PSK: nk must outlive it, as the daemon's
			 * snapshot does (hence static storage for the key bytes above) */
			static struct ike_psk keep;
			keep = nk;
			nc.psks = &keep;
			ike_reconf(s.r, &nc);
			continue;
		}
		if (op >= 0xf0) { /* the policy changes between two messages */
			if (rp_rd_u8(&in, &a))
				break;
			set_policy(&in, a);
			continue;
		}
		switch (op % 9) {
		case 0:
		case 1:
			advance(&s);
			break;
		case 2: /* the previous request again */
			if (s.lastlen)
				deliver(&s, s.last, s.lastlen);
			break;
		case 3: /* raw bytes under the SA's cookies */
			if (rp_rd_u8(&in, &a) || rp_rd_ref(&in, &blob, a))
				break;
			memcpy(buf, blob, a);
			if (a >= 16) {
				memcpy(buf, s.t->icky, 8);
				if (s.t->step > 1)
					memcpy(buf + 8, s.t->rcky, 8);
			}
			deliver(&s, buf, a);
			break;
		case 4: /* the next honest message with one byte changed */
			if (s.nextlen > 0 && rp_rd_u8(&in, &a) == 0) {
				memcpy(buf, s.next, (size_t)s.nextlen);
				buf[a % s.nextlen] ^= (uint8_t)(a | 1);
				deliver(&s, buf, (size_t)s.nextlen);
			}
			break;
		case 5: /* the next honest message truncated */
			if (s.nextlen > 0 && rp_rd_u8(&in, &a) == 0)
				deliver(&s, s.next, a % s.nextlen);
			break;
		case 6: /* time passes */
			if (rp_rd_u8(&in, &a) == 0) {
				s.now += (uint64_t)a * 1000 * (a > 200 ? 60 : 1);
				ike_tick(s.r, s.now);
				deliver(&s, NULL, 0);
			}
			break;
		case 7: /* authenticated phase-2 message with arbitrary payloads */
		case 8: {
			uint8_t np;
			if (rp_rd_u8(&in, &np) || rp_rd_u8(&in, &a) || rp_rd_ref(&in, &blob, a))
				break;
			size_t n = ike_cli_raw(s.t, op % 9 == 7 ? ISAKMP_EX_INFO : ISAKMP_EX_QUICK, np, blob,
			                      a, buf, sizeof buf);
			if (n)
				deliver(&s, buf, n);
			break;
		}
		}
	}
	ike_cli_free(s.t);
	ike_free(s.r);
	return 0;
}
