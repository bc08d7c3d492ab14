/* Security methods (ike_method.c) and the per-peer IPsec policy seam (ike_policy.h), against the
 * in-memory initiator: the netsh words and their malformed forms, methods matched as a whole,
 * weak methods only when asked for, and a policy that blocks, permits, negotiates with its own
 * methods, PSK, authentication, Quick Mode methods, PFS group and lifetimes; the refusal lines
 * name the rule; ike_model_mm/qm agree with what the core does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "test_ike_net.h"

/* ---- the words ---------------------------------------------------------------------------- */

START_TEST(t_mm_words)
{
	static const struct {
		const char *in, *out;
		struct ike_mm_method m;
	} ok[] = {
	    {"AES256-SHA1-14", "AES256-SHA1-14", {IKE_ENC_AES, 256, IKE_HASH_SHA1, 14}},
	    {"aes128-sha256-19", "AES128-SHA256-19", {IKE_ENC_AES, 128, IKE_HASH_SHA256, 19}},
	    {"Aes192-Sha384-20", "AES192-SHA384-20", {IKE_ENC_AES, 192, IKE_HASH_SHA384, 20}},
	    {"3DES-SHA1-2", "3DES-SHA1-2", {IKE_ENC_3DES, 0, IKE_HASH_SHA1, 2}},
	    {"3DES-MD5-2", "3DES-MD5-2", {IKE_ENC_3DES, 0, IKE_HASH_MD5, 2}},
	    {"DES-MD5-1", "DES-MD5-1", {1, 0, IKE_HASH_MD5, 1}},
	    {"AES256-SHA512-21", "AES256-SHA512-21", {IKE_ENC_AES, 256, IKE_HASH_SHA512, 21}},
	    {"AES256-SHA1-5", "AES256-SHA1-5", {IKE_ENC_AES, 256, IKE_HASH_SHA1, 5}},
	};
	for (size_t i = 0; i < RP_ARRAY_LEN(ok); i++) {
		struct ike_mm_method m;
		char b[40];
		ck_assert_msg(ike_mm_method_parse(ok[i].in, &m) == 0, "%s", ok[i].in);
		ck_assert_mem_eq(&m, &ok[i].m, sizeof m);
		ck_assert_str_eq(ike_mm_method_str(&m, b, sizeof b), ok[i].out);
	}
	static const char *const bad[] = {
	    "",
	    "AES256",
	    "AES256-SHA1",
	    "AES256-SHA1-",
	    "AES256-SHA1-14-",
	    "AES256-SHA1-14x",
	    "AES256-SHA1-014",
	    "AES256-SHA1-3",
	    "AES256-SHA1-1234",
	    "AES257-SHA1-14",
	    "AES256-SHA3-14",
	    "AES256--14",
	    "-SHA1-14",
	    "AES256-SHA1- 14",
	    " AES256-SHA1-14",
	    "AES256-SHA1-+14",
	    "AES-SHA1-14",
	    "AES256-SHA1-0",
	    "AES256 SHA1 14",
	    "AES256-SHA1-14 ",
	    "ESP[AES256,SHA1]",
	    "AES256-SHA1-22",
	    "NONE-SHA1-14",
	    "AES256-NONE-14",
	};
	for (size_t i = 0; i < RP_ARRAY_LEN(bad); i++) {
		struct ike_mm_method m = {9, 9, 9, 9};
		ck_assert_msg(ike_mm_method_parse(bad[i], &m) == -EINVAL, "\"%s\" accepted", bad[i]);
		ck_assert_uint_eq(m.enc, 9); /* untouched on failure */
	}
	struct ike_mm_method m;
	ck_assert_int_eq(ike_mm_method_parse(NULL, &m), -EINVAL);
	/* a peer's transform without a netsh word still prints, as numbers */
	char b[40];
	struct ike_mm_method odd = {99, 0, 77, 14};
	ck_assert_str_eq(ike_mm_method_str(&odd, b, sizeof b), "ENC99-HASH77-14");
	ck_assert_str_eq(ike_mm_method_str(&ok[0].m, b, 6), "AES25"); /* truncated, terminated */
}
END_TEST

START_TEST(t_qm_words)
{
	static const struct {
		const char *in, *out;
		struct ike_qm_method m;
	} ok[] = {
	    {"ESP[AES256,SHA1]", "ESP[AES256,SHA1]", {IKE_ESP_AES, 256, IKE_AUTH_HMAC_SHA1}},
	    {"esp[3des,md5]", "ESP[3DES,MD5]", {IKE_ESP_3DES, 0, IKE_AUTH_HMAC_MD5}},
	    {"ESP[AES128,SHA256]", "ESP[AES128,SHA256]", {IKE_ESP_AES, 128, IKE_AUTH_HMAC_SHA256}},
	    {"ESP[AES192,SHA512]", "ESP[AES192,SHA512]", {IKE_ESP_AES, 192, IKE_AUTH_HMAC_SHA512}},
	    {"ESP[DES,SHA1]", "ESP[DES,SHA1]", {2, 0, IKE_AUTH_HMAC_SHA1}},
	    {"ESP[AES256,SHA384]", "ESP[AES256,SHA384]", {IKE_ESP_AES, 256, IKE_AUTH_HMAC_SHA384}},
	};
	for (size_t i = 0; i < RP_ARRAY_LEN(ok); i++) {
		struct ike_qm_method m;
		char b[40];
		ck_assert_msg(ike_qm_method_parse(ok[i].in, &m) == 0, "%s", ok[i].in);
		ck_assert_mem_eq(&m, &ok[i].m, sizeof m);
		ck_assert_str_eq(ike_qm_method_str(&m, b, sizeof b), ok[i].out);
	}
	static const char *const bad[] = {
	    "",
	    "ESP",
	    "ESP[]",
	    "ESP[AES256,SHA1",
	    "ESP[AES256]",
	    "ESP[AES256,SHA1]x",
	    "AH[SHA1]",
	    "ESP[NONE,SHA1]",
	    "ESP[AES256,NONE]",
	    "ESP[AES256,,SHA1]",
	    "ESP(AES256,SHA1)",
	    "ESP[,SHA1]",
	    "ESP[AES256,]",
	    "ESP[AES256,SHA1]]",
	    "ESP[ AES256,SHA1]",
	    "ESP[AES256, SHA1]",
	    "AES256-SHA1-14",
	    "ESP[AES256,SHA1]+AH[SHA1]",
	    "XESP[AES256,SHA1]",
	    "ESP[AES257,SHA1]",
	};
	for (size_t i = 0; i < RP_ARRAY_LEN(bad); i++) {
		struct ike_qm_method m = {9, 9, 9};
		ck_assert_msg(ike_qm_method_parse(bad[i], &m) == -EINVAL, "\"%s\" accepted", bad[i]);
		ck_assert_uint_eq(m.esp_transform, 9);
	}
	struct ike_qm_method m;
	ck_assert_int_eq(ike_qm_method_parse(NULL, &m), -EINVAL);
}
END_TEST

START_TEST(t_default_methods)
{
	/* the defaults print and parse back; none is weak but the three MODP-1024 methods old
	 * Windows and Android 5 need; none is unimplemented */
	const struct ike_mm_method *mm;
	const struct ike_qm_method *qm;
	size_t nmm = ike_mm_methods_default(&mm), nqm = ike_qm_methods_default(&qm), nweak = 0;
	char b[40];
	for (size_t i = 0; i < nmm; i++) {
		struct ike_mm_method back;
		ck_assert_int_eq(ike_mm_method_parse(ike_mm_method_str(&mm[i], b, sizeof b), &back), 0);
		ck_assert_mem_eq(&back, &mm[i], sizeof back);
		ck_assert(ike_mm_method_implemented(&mm[i]));
		if (ike_mm_method_weak(&mm[i])) {
			nweak++;
			ck_assert(strcmp(b, "AES256-SHA1-2") == 0 || strcmp(b, "AES128-SHA1-2") == 0 ||
			          strcmp(b, "3DES-SHA1-2") == 0);
		}
	}
	ck_assert_uint_eq(nweak, 3);
	for (size_t i = 0; i < nqm; i++) {
		struct ike_qm_method back;
		ck_assert_int_eq(ike_qm_method_parse(ike_qm_method_str(&qm[i], b, sizeof b), &back), 0);
		ck_assert_mem_eq(&back, &qm[i], sizeof back);
		ck_assert(!ike_qm_method_weak(&qm[i]));
	}
	ck_assert_str_eq(ike_mm_method_str(&mm[0], b, sizeof b), "AES256-SHA512-20");
	/* AES-GCM first (no stock client offers it: their choices below are unchanged), then CBC */
	ck_assert_str_eq(ike_qm_method_str(&qm[0], b, sizeof b), "ESP[AESGCM256]");
	ck_assert_str_eq(ike_qm_method_str(&qm[1], b, sizeof b), "ESP[AESGCM128]");
	ck_assert_str_eq(ike_qm_method_str(&qm[2], b, sizeof b), "ESP[AES256,SHA512]");
	struct ike_mm_method des = {1, 0, IKE_HASH_SHA1, 14}, g1 = {IKE_ENC_AES, 128, IKE_HASH_SHA1, 1};
	ck_assert(!ike_mm_method_implemented(&des) && !ike_mm_method_implemented(&g1));
	ck_assert(ike_mm_method_weak(&des) && ike_mm_method_weak(&g1));
}
END_TEST

START_TEST(t_weak_only_when_configured)
{
	/* a client offering only 3DES/MD5/MODP-1024 and ESP 3DES/HMAC-MD5: refused with the
	 * defaults, accepted once main_mode_methods / quick_mode_methods name those methods */
	static const struct ike_p1_alg only_3des_md5[] = {A(3DES, 0, MD5, 2)};
	static const struct ike_cli_p2 p2_legacy[] = {{IKE_ESP_3DES, 0, IKE_AUTH_HMAC_MD5}};
	struct ike_mm_method mm[2];
	struct ike_qm_method qm[1];
	ck_assert_int_eq(ike_mm_method_parse("AES256-SHA256-14", &mm[0]), 0);
	ck_assert_int_eq(ike_mm_method_parse("3DES-MD5-2", &mm[1]), 0);
	ck_assert_int_eq(ike_qm_method_parse("ESP[3DES,MD5]", &qm[0]), 0);
	for (int configured = 0; configured < 2; configured++) {
		struct net n;
		net_init(&n, false);
		if (configured) {
			n.conf.mm_methods = mm;
			n.conf.nmm_methods = 2;
			n.conf.qm_methods = qm;
			n.conf.nqm_methods = 1;
		}
		net_offer(&n, only_3des_md5, 1, p2_legacy, 1);
		net_start(&n);
		int rc = handshake(&n);
		if (!configured) {
			ck_assert_int_ne(rc, 0);
			ck_assert_str_eq(n.t->err, "notify 14");
			ck_assert_ptr_nonnull(
			    strstr(n.logbuf, "no proposal matches: client 3DES/MD5/MODP1024"));
			ck_assert_uint_eq(ike_sa_count(n.r), 0);
		} else {
			if (rc)
				fprintf(stderr, "%s\n%s", n.t->err, n.logbuf);
			ck_assert_int_eq(rc, 0);
			ck_assert_int_eq(n.t->chosen.hash, IKE_HASH_MD5);
			ck_assert_int_eq(n.inst[0].esp_transform, IKE_ESP_3DES);
			ck_assert_int_eq(n.inst[0].auth_alg, IKE_AUTH_HMAC_MD5);
			check_keys(&n, &n.inst[0]);
		}
		net_free(&n);
	}
}
END_TEST

START_TEST(t_methods_as_a_whole)
{
	/* configured methods are combinations: AES256-SHA1-14 and 3DES-SHA256-19 allow neither
	 * AES256-SHA256-14 nor 3DES-SHA1-19, though each part is allowed in some method; the
	 * methods' order decides (not dh_groups') */
	struct ike_mm_method mm[2];
	ck_assert_int_eq(ike_mm_method_parse("3des-sha256-19", &mm[0]), 0);
	ck_assert_int_eq(ike_mm_method_parse("AES256-SHA1-14", &mm[1]), 0);
	static const struct ike_p1_alg mixed[] = {A(AES, 256, SHA256, 14), A(3DES, 0, SHA1, 19)};
	static const struct ike_p1_alg both[] = {A(AES, 256, SHA1, 14), A(3DES, 0, SHA256, 19)};
	for (int k = 0; k < 2; k++) {
		struct net n;
		net_init(&n, false);
		n.conf.mm_methods = mm;
		n.conf.nmm_methods = 2;
		net_offer(&n, k ? both : mixed, 2, p2_win, 1);
		net_start(&n);
		int rc = handshake(&n);
		if (!k) {
			ck_assert_int_ne(rc, 0);
			ck_assert_ptr_nonnull(strstr(n.logbuf, "ours 3DES-SHA256-19,AES256-SHA1-14"));
		} else {
			ck_assert_int_eq(rc, 0);
			ck_assert_int_eq(n.t->chosen.enc, IKE_ENC_3DES);
			ck_assert_int_eq(n.t->chosen.group, 19);
		}
		net_free(&n);
	}
}
END_TEST

/* ---- the policy seam ---------------------------------------------------------------------- */

struct polctx {
	struct ike_peer_policy ans; /* the answer for peer `match` (others: no rule) */
	struct rp_addr match;
	int calls;
};

static void pol_fn(void *ctx, const struct rp_addr *peer, struct ike_peer_policy *out)
{
	struct polctx *p = ctx;
	p->calls++;
	if (rp_addr_ipeq(peer, &p->match))
		*out = p->ans; /* by value: the core keeps nothing of ours */
}

static void pol_init(struct net *n, struct polctx *p, enum ike_pol_action act, const char *store)
{
	memset(p, 0, sizeof *p);
	p->ans.action = act;
	snprintf(p->ans.rule, sizeof p->ans.rule, "r1");
	snprintf(p->ans.store, sizeof p->ans.store, "%s", store);
	p->match = n->priv; /* the initiator, seen without a NAT */
	n->conf.policy = pol_fn;
	n->conf.policy_ctx = p;
}

static void pol_mm(struct polctx *p, const char *const *words, size_t nw)
{
	for (size_t i = 0; i < nw; i++)
		ck_assert_int_eq(ike_mm_method_parse(words[i], &p->ans.mm[i]), 0);
	p->ans.nmm = nw;
}

static void pol_qm(struct polctx *p, const char *const *words, size_t nw)
{
	for (size_t i = 0; i < nw; i++)
		ck_assert_int_eq(ike_qm_method_parse(words[i], &p->ans.qm[i]), 0);
	p->ans.nqm = nw;
}

START_TEST(t_pol_block)
{
	struct net n;
	struct polctx p;
	net_init(&n, false);
	pol_init(&n, &p, IKE_POL_BLOCK, "persistent");
	net_offer(&n, win_modern, 5, p2_win, 3);
	net_start(&n);
	ck_assert_int_ne(handshake(&n), 0);
	ck_assert_int_eq(n.nsend, 0); /* no answer at all */
	ck_assert_uint_eq(ike_sa_count(n.r), 0);
	ck_assert_ptr_nonnull(
	    strstr(n.logbuf, "peer 100.64.10.10:500 blocked by rule r1 (store persistent)"));
	ck_assert_int_eq(p.calls, 1);
	net_free(&n);
}
END_TEST

START_TEST(t_pol_permit)
{
	/* permit = plain traffic without IPsec: IKE is refused, with NO-PROPOSAL-CHOSEN */
	struct net n;
	struct polctx p;
	net_init(&n, false);
	pol_init(&n, &p, IKE_POL_PERMIT, "local");
	net_offer(&n, win_modern, 5, p2_win, 3);
	net_start(&n);
	ck_assert_int_ne(handshake(&n), 0);
	ck_assert_str_eq(n.t->err, "notify 14");
	ck_assert_ptr_nonnull(strstr(n.logbuf, "peer 100.64.10.10:500 refused by rule r1 (store local)"));
	net_free(&n);
}
END_TEST

START_TEST(t_pol_other_peer_default)
{
	/* a rule for another address: this peer gets the default response (the configuration) */
	struct net n;
	struct polctx p;
	net_init(&n, false);
	pol_init(&n, &p, IKE_POL_BLOCK, "local");
	rp_addr_v4(&p.match, 0xc6123f01, 500); /* 198.18.63.1 */
	net_offer(&n, win_modern, 5, p2_win, 3);
	net_start(&n);
	ck_assert_int_eq(handshake(&n), 0);
	ck_assert_int_eq(n.t->chosen.group, 20);
	ck_assert_int_eq(p.calls, 3); /* MM1, MM5 (PSK), Quick Mode */
	net_free(&n);
}
END_TEST

START_TEST(t_pol_negotiate_methods)
{
	/* the rule's methods instead of the configuration's: its order decides, and a weak method
	 * the rule asks for is allowed (3DES-MD5-2, off in the defaults) */
	static const char *const w1[] = {"AES128-SHA1-19", "AES256-SHA1-20"};
	static const char *const w2[] = {"3DES-MD5-2"};
	static const struct ike_p1_alg md5[] = {A(3DES, 0, MD5, 2)};
	for (int k = 0; k < 2; k++) {
		struct net n;
		struct polctx p;
		net_init(&n, false);
		pol_init(&n, &p, IKE_POL_NEGOTIATE, "local");
		if (k == 0) {
			pol_mm(&p, w1, 2);
			net_offer(&n, win_modern, 5, p2_win, 3);
		} else {
			pol_mm(&p, w2, 1);
			net_offer(&n, md5, 1, p2_win, 3);
		}
		net_start(&n);
		int rc = handshake(&n);
		if (rc)
			fprintf(stderr, "%s\n%s", n.t->err, n.logbuf);
		ck_assert_int_eq(rc, 0);
		ck_assert_int_eq(n.t->chosen.enc, k ? IKE_ENC_3DES : IKE_ENC_AES);
		ck_assert_int_eq(n.t->chosen.group, k ? 2 : 19);
		ck_assert_int_eq(n.t->chosen.hash, k ? IKE_HASH_MD5 : IKE_HASH_SHA1);
		check_keys(&n, &n.inst[0]);
		net_free(&n);
	}
}
END_TEST

START_TEST(t_pol_negotiate_refused)
{
	/* a peer offering nothing the rule allows: one line naming the rule, the offer and the
	 * rule's methods; the configuration would have accepted it */
	static const char *const w[] = {"AES256-SHA1-14"};
	static const struct ike_p1_alg o[] = {A(AES, 128, SHA1, 2), A(3DES, 0, SHA1, 2)};
	struct net n;
	struct polctx p;
	net_init(&n, false);
	pol_init(&n, &p, IKE_POL_NEGOTIATE, "local");
	pol_mm(&p, w, 1);
	net_offer(&n, o, 2, p2_win, 3);
	net_start(&n);
	ck_assert_int_ne(handshake(&n), 0);
	ck_assert_str_eq(n.t->err, "notify 14");
	ck_assert_uint_eq(ike_sa_count(n.r), 0);
	const char *want = "peer 100.64.10.10:500 refused by rule r1 (store local): offered "
	                   "AES128-SHA1-2,3DES-SHA1-2; allowed AES256-SHA1-14";
	if (!strstr(n.logbuf, want))
		fprintf(stderr, "%s", n.logbuf);
	ck_assert_ptr_nonnull(strstr(n.logbuf, want));
	net_free(&n);
}
END_TEST

START_TEST(t_pol_auth)
{
	/* auth_cert only (no certificates configured here): a PSK offer is refused, naming the rule
	 * and the authentication allowed; auth_psk accepts it */
	for (int k = 0; k < 2; k++) {
		struct net n;
		struct polctx p;
		net_init(&n, false);
		pol_init(&n, &p, IKE_POL_NEGOTIATE, "dynamic");
		p.ans.auth_cert = k == 0;
		p.ans.auth_psk = k == 1;
		net_offer(&n, win_modern, 1, p2_win, 3);
		net_start(&n);
		int rc = handshake(&n);
		if (k == 0) {
			ck_assert_int_ne(rc, 0);
			ck_assert_ptr_nonnull(strstr(n.logbuf,
			                             "refused by rule r1 (store dynamic): offered "
			                             "AES256-SHA1-20 with pre-shared key; allowed "
			                             "no authentication method configured here with "
			                             "AES256-SHA512-20,"));
		} else {
			ck_assert_int_eq(rc, 0);
		}
		net_free(&n);
	}
}
END_TEST

START_TEST(t_pol_psk)
{
	/* the rule's PSK replaces the configuration's lookup: the rule's key connects, the
	 * configuration's key no longer does for this peer */
	static const uint8_t rk[] = "the-rule-key";
	for (int k = 0; k < 2; k++) {
		struct net n;
		struct polctx p;
		net_init(&n, false);
		pol_init(&n, &p, IKE_POL_NEGOTIATE, "persistent");
		p.ans.auth_psk = true;
		memcpy(p.ans.psk, rk, sizeof rk - 1);
		p.ans.psk_len = sizeof rk - 1;
		if (k == 0) {
			n.tc.psk = rk;
			n.tc.psklen = sizeof rk - 1;
		}
		net_offer(&n, win_modern, 5, p2_win, 3);
		net_start(&n);
		int rc = handshake(&n);
		if (k == 0) {
			ck_assert_int_eq(rc, 0);
		} else {
			ck_assert_int_ne(rc, 0);
			ck_assert_int_eq(n.nup, 0);
			ck_assert_ptr_nonnull(strstr(n.logbuf, "PSK mismatch"));
			ck_assert_ptr_nonnull(strstr(n.logbuf, "1 key(s) tried"));
		}
		net_free(&n);
	}
}
END_TEST

START_TEST(t_pol_qm_methods)
{
	/* Quick Mode: the rule's ESP methods. ESP[AES128,SHA1] is taken over the AES-256 the
	 * configuration prefers; ESP[AES256,SHA512] is not offered: refused after Main Mode, the
	 * line names the rule */
	static const char *const ok[] = {"ESP[AES128,SHA1]"};
	static const char *const no[] = {"ESP[AES256,SHA512]"};
	for (int k = 0; k < 2; k++) {
		struct net n;
		struct polctx p;
		net_init(&n, false);
		pol_init(&n, &p, IKE_POL_NEGOTIATE, "local");
		pol_qm(&p, k ? no : ok, 1);
		net_offer(&n, win_modern, 5, p2_win, 3);
		net_start(&n);
		int rc = handshake(&n);
		ck_assert_int_eq(n.nup, 1);
		if (k == 0) {
			ck_assert_int_eq(rc, 0);
			ck_assert_int_eq(n.inst[0].esp_transform, IKE_ESP_AES);
			ck_assert_int_eq(n.inst[0].enc_key_bits, 128);
			check_keys(&n, &n.inst[0]);
		} else {
			ck_assert_int_ne(rc, 0);
			ck_assert_int_eq(n.ninst, 0);
			const char *want =
			    "(Quick Mode): peer 100.64.10.10:500 refused by rule r1 (store local): "
			    "offered ESP[AES256,SHA1],ESP[AES128,SHA1],ESP[3DES,SHA1]; allowed "
			    "ESP[AES256,SHA512]";
			if (!strstr(n.logbuf, want))
				fprintf(stderr, "%s", n.logbuf);
			ck_assert_ptr_nonnull(strstr(n.logbuf, want));
		}
		net_free(&n);
	}
}
END_TEST

START_TEST(t_pol_pfs_lifetimes)
{
	/* the rule requires PFS with group 14 and shortens the IPsec SA to 600 s / 50000 KB: a
	 * client without PFS is refused, one with PFS 14 gets the rule's lifetimes */
	for (int k = 0; k < 2; k++) {
		struct net n;
		struct polctx p;
		net_init(&n, false);
		pol_init(&n, &p, IKE_POL_NEGOTIATE, "local");
		p.ans.pfs_group = 14;
		p.ans.qm_life_s = 600;
		p.ans.qm_life_kb = 50000;
		net_offer(&n, win_modern, 5, p2_win, 3);
		n.tc.pfs_group = k ? 14 : 0;
		net_start(&n);
		int rc = handshake(&n);
		if (k == 0) {
			ck_assert_int_ne(rc, 0);
			ck_assert_ptr_nonnull(strstr(n.logbuf, "with PFS group 14"));
		} else {
			ck_assert_int_eq(rc, 0);
			ck_assert_uint_eq(n.inst[0].life_s, 600);
			ck_assert_uint_eq(n.inst[0].life_kb, 50000);
			check_keys(&n, &n.inst[0]);
		}
		net_free(&n);
	}
}
END_TEST

START_TEST(t_pol_mm_lifetime)
{
	/* the policy's mmlifetime (the server turns netsh's minutes into mm_life_s) caps the Main
	 * Mode SA below the configuration's phase 1 maximum; without it the configuration decides */
	for (int k = 0; k < 2; k++) {
		struct net n;
		struct polctx p;
		net_init(&n, false);
		pol_init(&n, &p, IKE_POL_NEGOTIATE, "local");
		p.ans.mm_life_s = k ? 600 : 0;
		net_offer(&n, win_modern, 5, p2_win, 3);
		net_start(&n);
		int rc = handshake(&n);
		if (rc)
			fprintf(stderr, "%s\n%s", n.t->err, n.logbuf);
		ck_assert_int_eq(rc, 0);
		const char *l = strstr(n.logbuf, "established: id");
		ck_assert_ptr_nonnull(l);
		char want[32];
		snprintf(want, sizeof want, ", life %u s", k ? 600u : n.conf.p1_life_max_s);
		const char *eol = strchr(l, '\n'), *f = strstr(l, want);
		ck_assert_msg(f && (!eol || f < eol), "want \"%s\" in: %.200s", want, l);
		net_free(&n);
	}
}
END_TEST

START_TEST(t_pol_sweep)
{
	/* ike_policy_sweep after a policy change: nothing goes while the rule negotiates; once it
	 * blocks the peer, its IKE SA and IPsec SA pair are deleted (the peer told, the refusal as
	 * the reason) */
	struct net n;
	struct polctx p;
	net_init(&n, false);
	pol_init(&n, &p, IKE_POL_NEGOTIATE, "local");
	net_offer(&n, win_modern, 5, p2_win, 3);
	net_start(&n);
	ck_assert_int_eq(handshake(&n), 0);
	ck_assert_uint_eq(ike_child_count(n.r), 1);
	ck_assert_uint_eq(ike_policy_sweep(n.r, n.now), 0);
	ck_assert_uint_eq(ike_child_count(n.r), 1);
	p.ans.action = IKE_POL_BLOCK;
	n.nsend = 0;
	ck_assert_uint_eq(ike_policy_sweep(n.r, n.now), 2);
	drain(&n);
	ck_assert_uint_eq(ike_child_count(n.r), 0);
	ck_assert_uint_eq(ike_sa_count(n.r), 0);
	ck_assert_int_eq(n.ndel, 1);
	ck_assert_int_ge(n.nsend, 2); /* DELETE of the pair, then of the ISAKMP SA */
	ck_assert_ptr_nonnull(strstr(n.logbuf, "blocked by rule r1 (store local)"));
	net_free(&n);
}
END_TEST

START_TEST(t_pol_change_applies_next)
{
	/* a policy changed on a running core applies from the next negotiation: the same peer,
	 * up under a negotiate rule, is refused at its next Quick Mode and its next Main Mode once
	 * the rule blocks */
	struct net n;
	struct polctx p;
	uint8_t out[IKE_MAXBUF];
	net_init(&n, false);
	pol_init(&n, &p, IKE_POL_NEGOTIATE, "local");
	net_offer(&n, win_modern, 5, p2_win, 3);
	net_start(&n);
	ck_assert_int_eq(handshake(&n), 0);
	p.ans.action = IKE_POL_BLOCK;
	size_t len = ike_cli_quick(n.t, out, sizeof out);
	ck_assert_uint_gt(len, 0);
	deliver(&n, out, len);
	ck_assert_int_eq(n.ninst, 1); /* nothing new installed */
	ck_assert_ptr_nonnull(strstr(n.logbuf, "(Quick Mode): peer 100.64.10.10:500 blocked by rule r1"));
	struct ike_cli *t2 = ike_cli_new(&n.tc, &n.ri);
	len = ike_cli_start(t2, out, sizeof out);
	n.nsend = 0;
	deliver(&n, out, len);
	ck_assert_int_eq(n.nsend, 0);
	ck_assert_ptr_nonnull(strstr(n.logbuf, "(Main Mode): peer 100.64.10.10:500 blocked by rule r1"));
	ike_cli_free(t2);
	net_free(&n);
}
END_TEST

/* ---- modelling agrees with the core ------------------------------------------------------- */

struct profile {
	const char *name;
	const struct ike_p1_alg *p1;
	size_t np1;
	const struct ike_cli_p2 *p2;
	size_t np2;
};
#define PR(nm, a, b)                                                                                         \
	{                                                                                                    \
		nm, a, RP_ARRAY_LEN(a), b, RP_ARRAY_LEN(b)                                                   \
	}
/* every client profile of docs/clients.md (What each client sends) */
static const struct profile profiles[] = {
    PR("windows-10/11", win_modern, p2_win),    PR("windows-legacy", win_legacy, p2_win),
    PR("windows-1803", win_modern, p2_win1803), PR("macos-ios", ios, p2_win),
    PR("android-5", android5, p2_android),      PR("android-new", android_new, p2_android_sha256),
    PR("networkmanager-l2tp", nm_l2tp, p2_win),
};

static size_t mm_of(const struct ike_p1_alg *p1, size_t n, struct ike_mm_method *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (struct ike_mm_method){p1[i].enc, p1[i].keylen, p1[i].hash, p1[i].group};
	return n;
}

static size_t qm_of(const struct ike_cli_p2 *p2, size_t n, struct ike_qm_method *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (struct ike_qm_method){p2[i].tf, p2[i].keylen, p2[i].auth};
	return n;
}

START_TEST(t_model_profiles)
{
	/* each stock client's proposals against the default methods: the model accepts them and
	 * picks what the core picks in a real handshake */
	const struct profile *pr = &profiles[_i];
	struct ike_conf c;
	struct ike_mm_method mo[16], mc;
	struct ike_qm_method qo[16], qc;
	char why[512];
	ike_conf_defaults(&c);
	size_t nm = mm_of(pr->p1, pr->np1, mo), nq = qm_of(pr->p2, pr->np2, qo);
	ck_assert_msg(ike_model_mm(&c, NULL, mo, nm, IKE_AUTH_PSK, &mc, why, sizeof why) == 0, "%s: %s",
	              pr->name, why);
	ck_assert_msg(ike_model_qm(&c, NULL, qo, nq, 0, &qc, why, sizeof why) == 0, "%s: %s", pr->name, why);
	struct net n;
	net_init(&n, false);
	net_offer(&n, pr->p1, pr->np1, pr->p2, pr->np2);
	net_start(&n);
	ck_assert_int_eq(handshake(&n), 0);
	ck_assert_uint_eq(mc.enc, n.t->chosen.enc);
	ck_assert_uint_eq(mc.keylen, n.t->chosen.keylen);
	ck_assert_uint_eq(mc.hash, n.t->chosen.hash);
	ck_assert_uint_eq(mc.group, n.t->chosen.group);
	ck_assert_uint_eq(qc.esp_transform, n.inst[0].esp_transform);
	ck_assert_uint_eq(qc.auth, n.inst[0].auth_alg);
	ck_assert_uint_eq(qc.keylen ? qc.keylen : 192, n.inst[0].enc_key_bits);
	net_free(&n);
}
END_TEST

START_TEST(t_model_policy)
{
	/* the model's answer under a rule is the refusal text the core logs */
	static const char *const w[] = {"AES256-SHA1-14"};
	static const struct ike_p1_alg o[] = {A(AES, 128, SHA1, 2), A(3DES, 0, SHA1, 2)};
	struct ike_conf c;
	struct ike_mm_method mo[2], mc;
	struct ike_qm_method qo[3], qc;
	char why[512], line[700];
	struct net n;
	struct polctx p;
	ike_conf_defaults(&c);
	net_init(&n, false);
	pol_init(&n, &p, IKE_POL_NEGOTIATE, "local");
	pol_mm(&p, w, 1);
	ck_assert_int_eq(ike_model_mm(&c, &p.ans, mo, mm_of(o, 2, mo), 0, &mc, why, sizeof why), -1);
	snprintf(line, sizeof line, "peer 100.64.10.10:500 %s\n", why);
	net_offer(&n, o, 2, p2_win, 3);
	net_start(&n);
	ck_assert_int_ne(handshake(&n), 0);
	ck_assert_ptr_nonnull(strstr(n.logbuf, line));
	net_free(&n);
	/* the same offer with the defaults: MODP-1024 only as the legacy methods */
	ck_assert_int_eq(ike_model_mm(&c, NULL, mo, 2, 0, &mc, why, sizeof why), 0);
	ck_assert_uint_eq(mc.keylen, 128);
	/* block and permit */
	p.ans.action = IKE_POL_BLOCK;
	snprintf(p.ans.store, sizeof p.ans.store, "persistent");
	ck_assert_int_eq(ike_model_mm(&c, &p.ans, mo, 2, 0, &mc, why, sizeof why), -1);
	ck_assert_str_eq(why, "blocked by rule r1 (store persistent)");
	ck_assert_int_eq(ike_model_qm(&c, &p.ans, qo, qm_of(p2_win, 3, qo), 0, &qc, why, sizeof why), -1);
	ck_assert_str_eq(why, "blocked by rule r1 (store persistent)");
	/* Quick Mode under a rule: its methods and PFS group */
	p.ans.action = IKE_POL_NEGOTIATE;
	static const char *const q[] = {"ESP[AES128,SHA1]"};
	pol_qm(&p, q, 1);
	ck_assert_int_eq(ike_model_qm(&c, &p.ans, qo, 3, 0, &qc, why, sizeof why), 0);
	ck_assert_uint_eq(qc.keylen, 128);
	p.ans.pfs_group = 14;
	ck_assert_int_eq(ike_model_qm(&c, &p.ans, qo, 3, 0, &qc, why, sizeof why), -1);
	ck_assert_ptr_nonnull(strstr(why, "allowed ESP[AES128,SHA1] with PFS group 14"));
	ck_assert_int_eq(ike_model_qm(&c, &p.ans, qo, 3, 14, &qc, why, sizeof why), 0);
	/* a weak offer: refused by the defaults, accepted when configured */
	struct ike_mm_method weak;
	ck_assert_int_eq(ike_mm_method_parse("3DES-MD5-2", &weak), 0);
	ck_assert_int_eq(ike_model_mm(&c, NULL, &weak, 1, 0, &mc, why, sizeof why), -1);
	ck_assert_ptr_nonnull(strstr(why, "no proposal matches: client 3DES/MD5/MODP1024"));
	c.mm_methods = &weak;
	c.nmm_methods = 1;
	ck_assert_int_eq(ike_model_mm(&c, NULL, &weak, 1, 0, &mc, why, sizeof why), 0);
	/* dh_groups still filters configured methods (a rule's are used as they are) */
	static const uint16_t g14[] = {14};
	c.p1_groups = g14;
	c.np1_groups = 1;
	ck_assert_int_eq(ike_model_mm(&c, NULL, &weak, 1, 0, &mc, why, sizeof why), -1);
	p.ans.mm[0] = weak;
	ck_assert_int_eq(ike_model_mm(&c, &p.ans, &weak, 1, 0, &mc, why, sizeof why), 0);
}
END_TEST

START_TEST(t_offer_logged_when_refused)
{
	/* at the default level (3) the client's offer is logged beside a refusal and not for an
	 * accepted Main Mode; a second refusal within the interval writes neither line (issue 12) */
	static const struct ike_p1_alg o[] = {A(3DES, 0, MD5, 2)};
	for (int refused = 0; refused < 2; refused++) {
		struct net n;
		net_init(&n, false);
		n.lg.level = RP_LOG_WARN;
		n.lg.burst = 1;
		if (refused)
			net_offer(&n, o, 1, p2_win, 3);
		else
			net_offer(&n, win_modern, 5, p2_win, 3);
		net_start(&n);
		ck_assert_int_eq(handshake(&n) != 0, refused);
		if (refused) {
			ck_assert_int_eq(count_lines(n.logbuf, "offers 3DES/MD5/MODP1024; VIDs"), 1);
			ike_cli_free(n.t); /* the same client again */
			n.t = ike_cli_new(&n.tc, &n.ri);
			ck_assert_int_ne(handshake(&n), 0);
		}
		ck_assert_int_eq(count_lines(n.logbuf, "NO-PROPOSAL-CHOSEN"), refused);
		ck_assert_int_eq(count_lines(n.logbuf, " offers "), refused);
		net_free(&n);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ike-policy");
	TCase *tc = tcase_create("methods");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_mm_words);
	tcase_add_test(tc, t_qm_words);
	tcase_add_test(tc, t_default_methods);
	tcase_add_test(tc, t_weak_only_when_configured);
	tcase_add_test(tc, t_methods_as_a_whole);
	tcase_add_loop_test(tc, t_model_profiles, 0, RP_ARRAY_LEN(profiles));
	suite_add_tcase(s, tc);
	tc = tcase_create("policy");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_pol_block);
	tcase_add_test(tc, t_pol_permit);
	tcase_add_test(tc, t_pol_other_peer_default);
	tcase_add_test(tc, t_pol_negotiate_methods);
	tcase_add_test(tc, t_pol_negotiate_refused);
	tcase_add_test(tc, t_pol_auth);
	tcase_add_test(tc, t_pol_psk);
	tcase_add_test(tc, t_pol_qm_methods);
	tcase_add_test(tc, t_pol_pfs_lifetimes);
	tcase_add_test(tc, t_pol_mm_lifetime);
	tcase_add_test(tc, t_pol_sweep);
	tcase_add_test(tc, t_pol_change_applies_next);
	tcase_add_test(tc, t_model_policy);
	tcase_add_test(tc, t_offer_logged_when_refused);
	suite_add_tcase(s, tc);
	return s;
}

RP_CHECK_MAIN(suite)
