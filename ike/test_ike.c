/* The responder core against the in-memory test initiator: every default proposal set of
 * docs/clients.md, every DH group, NAT-T versions, PSK selection, bad/truncated/reordered/duplicate
 * messages, refusals and their log lines. Lifecycle: test_ike_life.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "test_ike_net.h"

/* ---- proposal sets (docs/clients.md) ----------------------------------------------------- */

struct pset {
	const char *name;
	const struct ike_p1_alg *p1;
	size_t np1;
	const struct ike_cli_p2 *p2;
	size_t np2;
	bool windows, dpd;
	uint16_t client_port;
	struct ike_p1_alg want1;
	struct ike_cli_p2 want2;
};

#define PS(nm, a, b, w, d, port, w1, w2)                                                                     \
	{                                                                                                    \
		nm, a, RP_ARRAY_LEN(a), b, RP_ARRAY_LEN(b), w, d, port, w1, w2                               \
	}
static const struct pset psets[] = {
    PS("windows-10/11", win_modern, p2_win, true, false, 1701, A(AES, 256, SHA1, 20),
       ((struct ike_cli_p2){IKE_ESP_AES, 256, IKE_AUTH_HMAC_SHA1})),
    PS("windows-legacy", win_legacy, p2_win, true, false, 1701, A(3DES, 0, SHA1, 2),
       ((struct ike_cli_p2){IKE_ESP_AES, 256, IKE_AUTH_HMAC_SHA1})),
    PS("windows-1803", win_modern, p2_win1803, true, false, 1701, A(AES, 256, SHA1, 20),
       ((struct ike_cli_p2){IKE_ESP_AES, 256, IKE_AUTH_HMAC_SHA256})),
    PS("macos-ios", ios, p2_win, false, true, 0, A(AES, 256, SHA256, 14),
       ((struct ike_cli_p2){IKE_ESP_AES, 256, IKE_AUTH_HMAC_SHA1})),
    PS("android-5", android5, p2_android, false, true, 0, A(AES, 256, SHA1, 2),
       ((struct ike_cli_p2){IKE_ESP_AES, 256, IKE_AUTH_HMAC_SHA512})),
    PS("android-new", android_new, p2_android_sha256, false, true, 0, A(AES, 256, SHA1, 20),
       ((struct ike_cli_p2){IKE_ESP_AES, 256, IKE_AUTH_HMAC_SHA1})),
    PS("networkmanager-l2tp", nm_l2tp, p2_win, false, true, 38211, A(AES, 256, SHA1, 20),
       ((struct ike_cli_p2){IKE_ESP_AES, 256, IKE_AUTH_HMAC_SHA1})),
};

static void run_pset(const struct pset *ps, bool nat)
{
	struct net n;
	net_init(&n, nat);
	net_offer(&n, ps->p1, ps->np1, ps->p2, ps->np2);
	n.tc.windows = ps->windows;
	n.tc.dpd = ps->dpd;
	n.tc.client_port = ps->client_port;
	net_start(&n);
	int rc = handshake(&n);
	if (rc)
		fprintf(stderr, "%s: initiator: %s\nlog:\n%s", ps->name, n.t->err, n.logbuf);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(n.nup, 1);
	ck_assert_int_eq(n.ninst, 1);
	ck_assert_int_eq(n.t->chosen.enc, ps->want1.enc);
	ck_assert_int_eq(n.t->chosen.keylen, ps->want1.keylen);
	ck_assert_int_eq(n.t->chosen.hash, ps->want1.hash);
	ck_assert_int_eq(n.t->chosen.group, ps->want1.group);
	const struct ike_ev_sa *e = &n.inst[0];
	ck_assert_int_eq(e->esp_transform, ps->want2.tf);
	ck_assert_int_eq(e->auth_alg, ps->want2.auth);
	ck_assert_int_eq(e->enc_key_bits, ps->want2.keylen ? ps->want2.keylen : 192);
	check_keys(&n, e);
	ck_assert(e->udp_encap == nat);
	ck_assert_int_eq(e->encap, nat ? IKE_ENCAP_UDP_TRANSPORT : IKE_ENCAP_TRANSPORT);
	ck_assert(rp_addr_ipeq(&e->peer_inner, &n.priv)); /* NAT-OA or ID: the client's own address */
	ck_assert_uint_eq(e->peer_inner.port, ps->client_port);
	ck_assert_uint_eq(e->peer.port, nat ? 40124 : 500);
	ck_assert_uint_eq(e->local.port, nat ? 4500 : 500);
	ck_assert_uint_eq(e->life_s, 3600);
	ck_assert_str_eq(e->peer_id, "100.64.10.10");
	ck_assert_int_eq(n.nkeylog, 1);
	ck_assert_uint_eq(ike_child_count(n.r), 1);
	net_free(&n);
}

START_TEST(t_psets)
{
	run_pset(&psets[_i], false);
}
END_TEST

START_TEST(t_psets_nat)
{
	run_pset(&psets[_i], true);
}
END_TEST

START_TEST(t_every_transform_alone)
{
	/* each transform of each docs/clients.md set, offered alone (clients fall back down their
	 * lists), and each phase-2 transform alone, against the default security methods: accepted
	 * unless weak (MD5, DES, MODP-768/1024), and of MODP-1024 exactly the three default methods
	 * old Windows and Android 5 need (AES256-SHA1-2, AES128-SHA1-2, 3DES-SHA1-2) */
	const struct pset *ps = &psets[_i];
	for (size_t i = 0; i < ps->np1 + ps->np2; i++) {
		struct net n;
		net_init(&n, false);
		net_offer(&n, i < ps->np1 ? &ps->p1[i] : ps->p1, 1, i < ps->np1 ? ps->p2 : &ps->p2[i - ps->np1], 1);
		const struct ike_p1_alg *a = n.tc.p1;
		struct ike_mm_method m = {a->enc, a->keylen, a->hash, a->group};
		bool legacy = a->group == 2 && a->hash == IKE_HASH_SHA1 &&
		              (a->enc == IKE_ENC_3DES || a->keylen == 256 || a->keylen == 128);
		bool ok = i >= ps->np1 || !ike_mm_method_weak(&m) || legacy;
		net_start(&n);
		int rc = handshake(&n);
		if ((rc == 0) != ok)
			fprintf(stderr, "%s #%zu: %s\n%s", ps->name, i, n.t->err, n.logbuf);
		ck_assert_int_eq(rc == 0, ok);
		if (!ok) {
			ck_assert_str_eq(n.t->err, "notify 14");
			ck_assert(strstr(n.logbuf, "no proposal matches: client ") ||
			          strstr(n.logbuf, "client offered only DH groups we do not allow: client "));
		}
		net_free(&n);
	}
}
END_TEST

/* ---- every DH group, in phase 1 and as PFS ---------------------------------------------------- */

static const uint16_t groups[] = {2, 5, 14, 15, 16, 19, 20, 21};

START_TEST(t_groups)
{
	struct net n;
	struct ike_p1_alg a = {IKE_ENC_AES, 128, IKE_HASH_SHA256, groups[_i]};
	struct ike_cli_p2 p2 = {IKE_ESP_AES, 128, IKE_AUTH_HMAC_SHA1};
	/* MODP-1024 is not in the default methods with SHA-256: configured here */
	struct ike_mm_method m = {IKE_ENC_AES, 128, IKE_HASH_SHA256, groups[_i]};
	net_init(&n, false);
	n.conf.mm_methods = &m;
	n.conf.nmm_methods = 1;
	net_offer(&n, &a, 1, &p2, 1);
	n.tc.pfs_group = groups[_i];
	net_start(&n);
	int rc = handshake(&n);
	if (rc)
		fprintf(stderr, "group %u: %s\n%s", groups[_i], n.t->err, n.logbuf);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(n.t->chosen.group, groups[_i]);
	check_keys(&n, &n.inst[0]);
	net_free(&n);
}
END_TEST

/* ---- NAT-T versions ---------------------------------------------------------------------------- */

static const enum ike_natt natts[] = {IKE_NATT_RFC, IKE_NATT_DRAFT03, IKE_NATT_DRAFT02N, IKE_NATT_DRAFT02};

START_TEST(t_natt_versions)
{
	struct net n;
	net_init(&n, true);
	net_offer(&n, win_legacy, 1, p2_win, 1);
	n.tc.natt = natts[_i];
	net_start(&n);
	ck_assert_int_eq(handshake(&n), 0);
	ck_assert_int_eq(n.t->natt, natts[_i]);
	ck_assert(n.t->use4500);
	ck_assert_int_eq(n.inst[0].encap,
	                 natts[_i] == IKE_NATT_RFC ? IKE_ENCAP_UDP_TRANSPORT : IKE_ENCAP_UDP_TRANSPORT_DRAFT);
	ck_assert(n.inst[0].udp_encap);
	ck_assert_uint_eq(n.reply_src.port, 4500);
	net_free(&n);
}
END_TEST

START_TEST(t_no_natt_behind_nat)
{
	/* A client without NAT-T behind a NAT still gets plain ESP (its problem, as Windows' 809) */
	struct net n;
	net_init(&n, true);
	net_offer(&n, win_legacy, 1, p2_win, 3);
	n.tc.natt = IKE_NATT_NONE;
	net_start(&n);
	ck_assert_int_eq(handshake(&n), 0);
	ck_assert(!n.inst[0].udp_encap);
	ck_assert_int_eq(n.inst[0].encap, IKE_ENCAP_TRANSPORT);
	ck_assert_ptr_nonnull(strstr(n.logbuf, "client behind a NAT but without NAT-T"));
	net_free(&n);
}
END_TEST

START_TEST(t_ipv6)
{
	/* the same over IPv6 (documentation prefix inside the test only), with and without a NAT
	 * between: IDs, NAT-D and NAT-OA at 16 bytes */
	for (int nat = 0; nat < 2; nat++) {
		struct net n;
		net_init(&n, nat);
		rp_addr_parse(&n.srv, "2001:db8::1");
		n.srv.port = 500;
		rp_addr_parse(&n.priv, "2001:db8:1::10");
		n.priv.port = 500;
		rp_addr_parse(&n.pub, "2001:db8:2::2");
		n.pub.port = 40123;
		n.tc.local = n.priv;
		n.tc.remote = n.srv;
		net_offer(&n, win_modern, 5, p2_win, 3);
		net_start(&n);
		ck_assert_int_eq(handshake(&n), 0);
		check_keys(&n, &n.inst[0]);
		ck_assert_str_eq(n.inst[0].peer_id, "2001:db8:1::10");
		ck_assert(rp_addr_ipeq(&n.inst[0].peer_inner, &n.priv));
		ck_assert(n.inst[0].udp_encap == (nat == 1));
		net_free(&n);
	}
}
END_TEST

/* ---- authentication failures ------------------------------------------------------------------ */

START_TEST(t_bad_hash_i)
{
	struct net n;
	net_init(&n, false);
	net_offer(&n, win_legacy, 1, p2_win, 1);
	n.tc.corrupt_hash_i = true;
	net_start(&n);
	ck_assert_int_ne(handshake(&n), 0);
	ck_assert_int_eq(n.t->step, 5);
	ck_assert_int_eq(n.nup, 0);
	ck_assert_ptr_nonnull(strstr(n.logbuf, "PSK mismatch: HASH_I invalid"));
	/* the failed SA goes at the half-open deadline */
	ck_assert_uint_eq(ike_sa_count(n.r), 1);
	n.now = ike_next_deadline(n.r);
	ike_tick(n.r, n.now);
	ck_assert_uint_eq(ike_sa_count(n.r), 0);
	net_free(&n);
}
END_TEST

START_TEST(t_wrong_psk)
{
	struct net n;
	static const uint8_t other[] = "not-the-key";
	net_init(&n, false);
	net_offer(&n, win_legacy, 1, p2_win, 1);
	n.tc.psk = other;
	n.tc.psklen = sizeof other - 1;
	net_start(&n);
	ck_assert_int_ne(handshake(&n), 0);
	ck_assert_int_eq(n.nup, 0);
	ck_assert_ptr_nonnull(strstr(n.logbuf, "PSK mismatch"));
	net_free(&n);
}
END_TEST

/* ---- PSK selection: by ID (FQDN, USER_FQDN, IPv4), by address, global ------------------------- */

static const uint8_t K_FQDN[] = "fqdn-key", K_USER[] = "user-key", K_NET[] = "net-key", K_IP[] = "ip-key";

static void psk_conf(struct net *n)
{
	n->psks[0] =
	    (struct ike_psk){.kind = IKE_PSK_ID_FQDN, .id = "laptop.example", .key = K_FQDN, .keylen = 8};
	n->psks[1] =
	    (struct ike_psk){.kind = IKE_PSK_ID_USER_FQDN, .id = "bob@example", .key = K_USER, .keylen = 8};
	n->psks[2] = (struct ike_psk){.kind = IKE_PSK_ADDR, .plen = 24, .key = K_NET, .keylen = 7};
	rp_addr_parse(&n->psks[2].addr, "100.64.10.0");
	n->psks[3] =
	    (struct ike_psk){.kind = IKE_PSK_ID_IPV4, .id = "100.64.10.99", .key = K_IP, .keylen = 6};
	n->conf.npsk = 4;
	net_offer(n, win_legacy, 1, p2_win, 1);
}

START_TEST(t_psk_by_id)
{
	struct {
		uint8_t type;
		const char *id;
		const uint8_t *key;
		int ok;
	} cases[] = {
	    {ISAKMP_ID_FQDN, "laptop.example", K_FQDN, 1},
	    {ISAKMP_ID_FQDN, "LAPTOP.example", K_FQDN, 1},
	    {ISAKMP_ID_USER_FQDN, "bob@example", K_USER, 1},
	    {ISAKMP_ID_IPV4, NULL, K_NET, 1},               /* 100.64.10.10 is in the /24 */
	    {ISAKMP_ID_FQDN, "other.example", K_FQDN, 0},   /* key bound to another ID */
	    {ISAKMP_ID_USER_FQDN, "eve@example", K_NET, 1}, /* address key accepts any ID */
	    {ISAKMP_ID_FQDN, "laptop.example", K_USER, 0},
	};
	struct net n;
	net_init(&n, false);
	psk_conf(&n);
	n.tc.id_type = cases[_i].type;
	n.tc.id = cases[_i].id;
	n.tc.psk = cases[_i].key;
	n.tc.psklen = strlen((const char *)cases[_i].key);
	net_start(&n);
	int rc = handshake(&n);
	ck_assert_int_eq(rc == 0, cases[_i].ok);
	if (!cases[_i].ok)
		ck_assert_int_eq(n.nup, 0);
	net_free(&n);
}
END_TEST

START_TEST(t_psk_id_ipv4)
{
	for (int i = 0; i < 2; i++) {
		struct net n;
		net_init(&n, false);
		psk_conf(&n);
		if (i == 0)
			n.priv.ip[3] = 99; /* ID 100.64.10.99 owns K_IP */
		n.tc.local = n.priv;
		n.tc.psk = K_IP;
		n.tc.psklen = 6;
		net_start(&n);
		ck_assert_int_eq(handshake(&n) == 0, i == 0);
		net_free(&n);
	}
}
END_TEST

START_TEST(t_psk_none_for_peer)
{
	struct net n;
	net_init(&n, false);
	psk_conf(&n);
	n.conf.npsk = 3; /* no global key; peer outside the /24 */
	n.priv.ip[2] = 99;
	n.tc.local = n.priv;
	n.tc.psk = K_NET;
	n.tc.psklen = 7;
	net_start(&n);
	ck_assert_int_ne(handshake(&n), 0);
	ck_assert_ptr_nonnull(strstr(n.logbuf, "PSK mismatch"));
	net_free(&n);
}
END_TEST

/* ---- refusals and their explanations ----------------------------------------------------------- */

START_TEST(t_refuse_ecp_only)
{
	static const uint16_t modp_only[] = {14, 2};
	struct net n;
	net_init(&n, false);
	n.conf.p1_groups = modp_only;
	n.conf.np1_groups = 2;
	net_offer(&n, android_new, 2, p2_win, 1);
	net_start(&n);
	ck_assert_int_ne(handshake(&n), 0);
	ck_assert_str_eq(n.t->err, "notify 14");
	ck_assert_ptr_nonnull(strstr(n.logbuf, "client offered only ECP groups"));
	ck_assert_uint_eq(ike_sa_count(n.r), 0); /* no state for a refused first message */
	net_free(&n);
}
END_TEST

START_TEST(t_refuse_rsa)
{
	struct net n;
	net_init(&n, false);
	n.tc.p1 = win_modern;
	n.tc.np1 = 5;
	n.tc.p1_auth = IKE_AUTH_RSA_SIG;
	n.tc.p2 = p2_win;
	n.tc.np2 = 1;
	net_start(&n);
	ck_assert_int_ne(handshake(&n), 0);
	ck_assert_ptr_nonnull(strstr(n.logbuf, "client offered only RSA signatures authentication"));
	net_free(&n);
}
END_TEST

START_TEST(t_refuse_des)
{
	static const struct ike_p1_alg des[] = {{1, 0, IKE_HASH_MD5, 1}};
	struct net n;
	net_init(&n, false);
	net_offer(&n, des, 1, p2_win, 1);
	net_start(&n);
	ck_assert_int_ne(handshake(&n), 0);
	ck_assert_ptr_nonnull(strstr(n.logbuf, "no proposal matches: client DES/MD5/MODP768"));
	net_free(&n);
}
END_TEST

START_TEST(t_aggressive_refused)
{
	struct net n;
	uint8_t out[IKE_MAXBUF];
	net_init(&n, false);
	n.tc.p1 = win_legacy;
	n.tc.np1 = 1;
	net_start(&n);
	size_t len = ike_cli_start(n.t, out, sizeof out);
	out[18] = ISAKMP_EX_AGGR;
	ck_assert_int_eq(deliver(&n, out, len), -1);
	ck_assert_uint_eq(ike_sa_count(n.r), 0);
	struct isakmp_msg m;
	ck_assert_int_eq(isakmp_msg_parse(n.reply, n.reply_len, &m), 0);
	ck_assert_int_eq(m.h.exch, ISAKMP_EX_INFO);
	struct isakmp_notify_pl np;
	ck_assert_int_eq(isakmp_notify_parse(m.pl[0].body, m.pl[0].len, &np), 0);
	ck_assert_int_eq(np.type, ISAKMP_N_NO_PROPOSAL_CHOSEN);
	ck_assert_ptr_nonnull(strstr(n.logbuf, "Aggressive Mode refused"));
	net_free(&n);
}
END_TEST

START_TEST(t_draft_encap_with_rfc)
{
	/* a NATed client that asks for the draft encapsulation with RFC NAT-T is still accepted */
	struct net n;
	net_init(&n, true);
	net_offer(&n, win_legacy, 1, p2_win, 1);
	n.tc.draft_encap = true;
	net_start(&n);
	ck_assert_int_eq(handshake(&n), 0);
	ck_assert_int_eq(n.inst[0].encap, IKE_ENCAP_UDP_TRANSPORT_DRAFT);
	net_free(&n);
}
END_TEST

START_TEST(t_quick_mode_refusals)
{
	/* each refused Quick Mode is answered with a protected NO-PROPOSAL-CHOSEN or
	 * INVALID-ID-INFORMATION and logged with the reason; nothing is installed */
	static const struct ike_cli_p2 des[] = {{2, 0, IKE_AUTH_HMAC_MD5}};
	static const struct {
		int what;
		const char *log;
		uint16_t notify;
	} cases[] = {
	    {0, "client asked for tunnel mode", ISAKMP_N_NO_PROPOSAL_CHOSEN},
	    {1, "no ESP proposal matches (plain): client DES/HMAC-MD5", ISAKMP_N_NO_PROPOSAL_CHOSEN},
	    {2, "is not L2TP (UDP/1701)", ISAKMP_N_INVALID_ID_INFORMATION},
	    {3, "is not L2TP (UDP/1701)", ISAKMP_N_INVALID_ID_INFORMATION},
	    {4, "no ESP proposal matches (UDP-encapsulated)", ISAKMP_N_NO_PROPOSAL_CHOSEN},
	};
	struct net n;
	uint8_t scratch[IKE_MAXBUF];
	net_init(&n, cases[_i].what == 4);
	net_offer(&n, win_legacy, 1, p2_win, 3);
	switch (cases[_i].what) {
	case 0:
		n.tc.force_encap = IKE_ENCAP_TUNNEL;
		break;
	case 1:
		n.tc.p2 = des;
		n.tc.np2 = 1;
		break;
	case 2:
		n.tc.server_port = 500;
		break;
	case 3:
		n.tc.ts_proto = 6;
		break;
	case 4:
		n.tc.force_encap = IKE_ENCAP_TRANSPORT; /* plain ESP through a NAT */
		break;
	}
	net_start(&n);
	ck_assert_int_ne(handshake(&n), 0);
	ck_assert_int_eq(n.nup, 1);
	ck_assert_int_eq(n.ninst, 0);
	ck_assert_uint_gt(n.reply_len, 0);
	struct isakmp_notify_pl np;
	ck_assert_int_eq(ike_cli_read_info(n.t, n.reply, n.reply_len, &np, NULL, scratch, sizeof scratch), 0);
	ck_assert_int_eq(np.type, cases[_i].notify);
	if (!strstr(n.logbuf, cases[_i].log))
		fprintf(stderr, "%s", n.logbuf);
	ck_assert_ptr_nonnull(strstr(n.logbuf, cases[_i].log));
	net_free(&n);
}
END_TEST

START_TEST(t_sa_limit)
{
	/* beyond max_sa no new state is created */
	struct net n;
	uint8_t out[IKE_MAXBUF];
	net_init(&n, false);
	n.conf.max_sa = 3;
	n.tc.p1 = win_legacy;
	n.tc.np1 = 1;
	net_start(&n);
	for (int i = 0; i < 5; i++) {
		struct ike_cli *t = ike_cli_new(&n.tc, &n.ri);
		deliver(&n, out, ike_cli_start(t, out, sizeof out));
		ike_cli_free(t);
	}
	ck_assert_uint_eq(ike_sa_count(n.r), 3);
	/* two clients refused, one line naming what ran out and the key (issue 17) */
	const char *l = strstr(n.logbuf, "out of IKE SAs (3): new clients are refused (raise ike.max_sa)");
	ck_assert_ptr_nonnull(l);
	ck_assert_ptr_null(strstr(l + 1, "out of IKE SAs"));
	net_free(&n);
}
END_TEST

/* ---- malformed, truncated, reordered, duplicated ------------------------------------------------ */

START_TEST(t_truncated_first)
{
	struct net n;
	uint8_t out[IKE_MAXBUF], cut[IKE_MAXBUF];
	net_init(&n, false);
	n.tc.p1 = ios;
	n.tc.np1 = RP_ARRAY_LEN(ios);
	net_start(&n);
	size_t len = ike_cli_start(n.t, out, sizeof out);
	for (size_t l = 0; l < len; l++) {
		memcpy(cut, out, l);
		if (l >= 28) /* keep the header length consistent so the payload walk itself is tested */
			rp_put_u32(cut + 24, (uint32_t)l);
		ck_assert_int_eq(deliver(&n, cut, l), -1);
		ck_assert_uint_eq(ike_sa_count(n.r), 0);
	}
	ck_assert_int_eq(deliver(&n, out, len), 0);
	ck_assert_uint_eq(ike_sa_count(n.r), 1);
	net_free(&n);
}
END_TEST

START_TEST(t_truncated_each_step)
{
	/* every later message cut short is dropped without changing state; the intact one works */
	struct net n;
	uint8_t out[IKE_MAXBUF], cut[IKE_MAXBUF];
	net_init(&n, true);
	net_offer(&n, win_modern, 5, p2_win, 3);
	n.tc.pfs_group = 14;
	net_start(&n);
	long len = (long)ike_cli_start(n.t, out, sizeof out);
	while (len > 0) {
		int step = n.t->step;
		for (long l = 28; l < len; l += 7) {
			memcpy(cut, out, (size_t)l);
			rp_put_u32(cut + 24, (uint32_t)l);
			deliver(&n, cut, (size_t)l);
			ck_assert_int_eq(n.nup, step >= 7 ? 1 : 0);
		}
		deliver(&n, out, (size_t)len);
		if (step == 9)
			break;
		ck_assert_uint_gt(n.reply_len, 0);
		len = ike_cli_input(n.t, n.reply, n.reply_len, out, sizeof out);
	}
	ck_assert_int_eq(n.ninst, 1);
	check_keys(&n, &n.inst[0]);
	net_free(&n);
}
END_TEST

START_TEST(t_duplicates)
{
	struct net n;
	uint8_t out[IKE_MAXBUF], first[IKE_MAXBUF];
	net_init(&n, true);
	net_offer(&n, win_modern, 5, p2_win, 3);
	net_start(&n);
	long len = (long)ike_cli_start(n.t, out, sizeof out);
	while (len > 0) {
		int step = n.t->step;
		deliver(&n, out, (size_t)len);
		size_t rl = n.reply_len;
		memcpy(first, n.reply, rl);
		int sends = n.nsend;
		deliver(&n, out, (size_t)len); /* the same request again */
		if (step == 9) {
			ck_assert_int_eq(n.nsend, sends); /* QM3 gets no answer, twice */
			break;
		}
		ck_assert_int_eq(n.nsend, sends + 1);
		ck_assert_uint_eq(n.reply_len, rl);
		ck_assert_mem_eq(n.reply, first, rl); /* retransmitted, not recomputed */
		len = ike_cli_input(n.t, first, rl, out, sizeof out);
	}
	ck_assert_int_eq(n.ninst, 1);
	ck_assert_int_eq(n.nup, 1);
	ck_assert_uint_eq(ike_sa_count(n.r), 1);
	net_free(&n);
}
END_TEST

START_TEST(t_reordered)
{
	struct net n;
	uint8_t m1[IKE_MAXBUF], m3[IKE_MAXBUF], m5[IKE_MAXBUF], q1[IKE_MAXBUF], q3[IKE_MAXBUF];
	net_init(&n, false);
	net_offer(&n, win_legacy, 1, p2_win, 1);
	net_start(&n);
	size_t l1 = ike_cli_start(n.t, m1, sizeof m1);
	deliver(&n, m1, l1);
	long l3 = ike_cli_input(n.t, n.reply, n.reply_len, m3, sizeof m3);
	deliver(&n, m3, (size_t)l3);
	long l5 = ike_cli_input(n.t, n.reply, n.reply_len, m5, sizeof m5);
	ck_assert_int_gt(l5, 0);
	/* MM1 again with a different payload after MM3: a stale first message, dropped */
	m1[l1 - 1] ^= 1;
	ck_assert_int_eq(deliver(&n, m1, l1), -1);
	deliver(&n, m5, (size_t)l5);
	ck_assert_int_eq(n.nup, 1);
	long lq1 = ike_cli_input(n.t, n.reply, n.reply_len, q1, sizeof q1);
	/* MM3 after Main Mode completed: neither the last request nor expected */
	ck_assert_int_eq(deliver(&n, m3, (size_t)l3), -1);
	/* a Quick Mode message sent before MM5 would have been refused: check a QM1 now works */
	deliver(&n, q1, (size_t)lq1);
	long lq3 = ike_cli_input(n.t, n.reply, n.reply_len, q3, sizeof q3);
	ck_assert_int_gt(lq3, 0);
	deliver(&n, q3, (size_t)lq3);
	ck_assert_int_eq(n.ninst, 1);
	/* QM3 replayed: ignored */
	deliver(&n, q3, (size_t)lq3);
	ck_assert_int_eq(n.ninst, 1);
	net_free(&n);
}
END_TEST

/* Issue 17, memory per client: once Main Mode is done the SA keeps no DH values, nonces or SAi_b
 * (SKEYID and its derivatives carry phase 2), and a completed Quick Mode keeps no state (its
 * nonces and QM2) beyond its message ID: a late QM3 for it is still dropped. */
START_TEST(t_state_freed_when_done)
{
	struct net n;
	net_init(&n, true);
	net_offer(&n, win_modern, 5, p2_win, 3);
	net_start(&n);
	ck_assert_int_eq(handshake(&n), 0);
	ck_assert_int_eq(n.ninst, 1);
	const struct ike_sa *sa = n.r->all;
	ck_assert_ptr_nonnull(sa);
	ck_assert_int_eq(sa->state, IKE_ST_EST);
	ck_assert_ptr_null(sa->gxi);
	ck_assert_ptr_null(sa->gxy);
	ck_assert_ptr_null(sa->ni);
	ck_assert_ptr_null(sa->nr);
	ck_assert_ptr_null(sa->sai_b);
	ck_assert_ptr_null(sa->qms);
	net_free(&n);
}
END_TEST

START_TEST(t_qm_before_mm_done)
{
	struct net n;
	uint8_t m[IKE_MAXBUF];
	net_init(&n, false);
	n.tc.p1 = win_legacy;
	n.tc.np1 = 1;
	net_start(&n);
	size_t l = ike_cli_start(n.t, m, sizeof m);
	deliver(&n, m, l);
	/* forge a Quick Mode message on the half-open SA */
	struct isakmp_wr w;
	isakmp_wr_init(&w, m, sizeof m);
	isakmp_wr_hdr(&w, n.t->icky, n.reply + 8, ISAKMP_EX_QUICK, ISAKMP_FLAG_ENC, 77);
	rp_wr_zero(&w.w, 32);
	l = isakmp_wr_finish(&w);
	ck_assert_int_eq(deliver(&n, m, l), -1);
	ck_assert_ptr_nonnull(strstr(n.logbuf, "exchange before Main Mode completed"));
	net_free(&n);
}
END_TEST

/* Main Mode's duration lands in the histogram: MM1 at 1000, MM3 40 ms later, MM5 40 ms after that:
 * 80 ms, in the (50, 100] bucket; a refused Main Mode adds nothing. */
START_TEST(t_mm_time_histogram)
{
	struct net n;
	uint8_t out[IKE_MAXBUF];
	net_init(&n, false);
	net_offer(&n, win_modern, 5, p2_win, 3);
	net_start(&n);
	long len = (long)ike_cli_start(n.t, out, sizeof out);
	for (int i = 0; i < 3 && len > 0; i++) {
		deliver(&n, out, (size_t)len);
		ck_assert_uint_gt(n.reply_len, 0);
		len = (long)ike_cli_input(n.t, n.reply, n.reply_len, out, sizeof out);
		n.now += 40;
	}
	struct ike_stats st;
	ike_get_stats(n.r, &st);
	ck_assert_uint_eq(st.result[IKE_R_OK], 1);
	ck_assert_uint_eq(ike_mm_ms_le[3], 50);
	ck_assert_uint_eq(ike_mm_ms_le[4], 100);
	for (int b = 0; b < IKE_MM_HIST; b++)
		ck_assert_uint_eq(st.mm_ms[b], b == 4);
	ck_assert_uint_eq(st.mm_ms_sum, 80);
	net_free(&n);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ike");
	TCase *tc = tcase_create("handshakes");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, t_mm_time_histogram);
	tcase_add_loop_test(tc, t_psets, 0, RP_ARRAY_LEN(psets));
	tcase_add_loop_test(tc, t_psets_nat, 0, RP_ARRAY_LEN(psets));
	tcase_add_loop_test(tc, t_every_transform_alone, 0, RP_ARRAY_LEN(psets));
	tcase_add_loop_test(tc, t_groups, 0, RP_ARRAY_LEN(groups));
	tcase_add_loop_test(tc, t_natt_versions, 0, RP_ARRAY_LEN(natts));
	tcase_add_test(tc, t_no_natt_behind_nat);
	tcase_add_test(tc, t_ipv6);
	suite_add_tcase(s, tc);
	tc = tcase_create("failures");
	tcase_add_test(tc, t_bad_hash_i);
	tcase_add_test(tc, t_wrong_psk);
	tcase_add_loop_test(tc, t_psk_by_id, 0, 7);
	tcase_add_test(tc, t_psk_id_ipv4);
	tcase_add_test(tc, t_psk_none_for_peer);
	tcase_add_test(tc, t_refuse_ecp_only);
	tcase_add_test(tc, t_refuse_rsa);
	tcase_add_test(tc, t_refuse_des);
	tcase_add_test(tc, t_aggressive_refused);
	tcase_add_test(tc, t_draft_encap_with_rfc);
	tcase_add_loop_test(tc, t_quick_mode_refusals, 0, 5);
	tcase_add_test(tc, t_sa_limit);
	tcase_add_test(tc, t_truncated_first);
	tcase_add_test(tc, t_truncated_each_step);
	tcase_add_test(tc, t_duplicates);
	tcase_add_test(tc, t_reordered);
	tcase_add_test(tc, t_qm_before_mm_done);
	tcase_add_test(tc, t_state_freed_when_done);
	suite_add_tcase(s, tc);
	return s;
}

RP_CHECK_MAIN(suite)
