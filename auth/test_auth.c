/* auth: RFC 2759 §9 MS-CHAPv2 vectors, a real MS-CHAPv2 exchange (pppd 2.4.9 client against
 * pppd, decrypted from the harness recording), CHAP-MD5, the SQLite store, address pools. */
#include "auth_local.h"
#include "check_main.h"
#include "../l2tp/test_util.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* RFC 2759 §9.2 */
static const uint8_t v_auth[16] = {0x5B, 0x5D, 0x7C, 0x7D, 0x7B, 0x3F, 0x2F, 0x3E,
                                   0x3C, 0x2C, 0x60, 0x21, 0x32, 0x26, 0x26, 0x28};
static const uint8_t v_peer[16] = {0x21, 0x40, 0x23, 0x24, 0x25, 0x5E, 0x26, 0x2A,
                                   0x28, 0x29, 0x5F, 0x2B, 0x3A, 0x33, 0x7C, 0x7E};
static const uint8_t v_chal[8] = {0xD0, 0x2E, 0x43, 0x86, 0xBC, 0xE9, 0x12, 0x26};
static const uint8_t v_ntresp[24] = {0x82, 0x30, 0x9E, 0xCD, 0x8D, 0x70, 0x8B, 0x5E, 0xA0, 0x8F, 0xAA, 0x39,
                                     0x81, 0xCD, 0x83, 0x54, 0x42, 0x33, 0x11, 0x4A, 0x3D, 0x85, 0xD6, 0xDF};
static const uint8_t v_hash[16] = {0x44, 0xEB, 0xBA, 0x8D, 0x53, 0x12, 0xB8, 0xD6,
                                   0x11, 0x47, 0x44, 0x11, 0xF5, 0x69, 0x89, 0xAE};

START_TEST(rfc2759_vectors)
{
	uint8_t h[16], ch[8], r[24];
	char ar[43];
	ck_assert_int_eq(auth_nt_hash("clientPass", 10, h), 0);
	ck_assert_mem_eq(h, v_hash, 16);
	auth_mschapv2_challenge_hash(v_peer, v_auth, "User", 4, ch);
	ck_assert_mem_eq(ch, v_chal, 8);
	auth_mschapv2_nt_response(h, v_auth, v_peer, "User", 4, r);
	ck_assert_mem_eq(r, v_ntresp, 24);
	auth_mschapv2_auth_response(h, r, v_peer, v_auth, "User", 4, ar);
	ck_assert_str_eq(ar, "S=407A5589115FD0D6209F510FE9C04566932CDA56");
	/* a Windows "DOMAIN\User" hashes as "User" (§8.2) */
	auth_mschapv2_nt_response(h, v_auth, v_peer, "CORP\\User", 9, r);
	ck_assert_mem_eq(r, v_ntresp, 24);
}
END_TEST

START_TEST(harness_mschapv2)
{
	static struct tu_pkt pk[64];
	int n = tu_load_session(RP_DATA "/l2tp-harness-session.txt", pk, 64);
	const uint8_t *chal = NULL, *resp = NULL, *succ = NULL;
	for (int i = 0; i < n; i++) {
		if (pk[i].len < 14 || pk[i].data[8] != 0xc2 || pk[i].data[9] != 0x23)
			continue;
		if (pk[i].data[10] == 1)
			chal = pk[i].data + 10;
		if (pk[i].data[10] == 2)
			resp = pk[i].data + 10;
		if (pk[i].data[10] == 3)
			succ = pk[i].data + 10;
	}
	ck_assert(chal && resp && succ);
	ck_assert_uint_eq(chal[4], 16);
	ck_assert_uint_eq(resp[4], 49);
	const uint8_t *peer = resp + 5, *ntr = resp + 5 + 24;
	uint8_t h[16], r[24];
	char ar[43];
	auth_nt_hash("vpnpass", 7, h);
	auth_mschapv2_nt_response(h, chal + 5, peer, "vpnuser", 7, r);
	ck_assert_mem_eq(r, ntr, 24);
	auth_mschapv2_auth_response(h, ntr, peer, chal + 5, "vpnuser", 7, ar);
	ck_assert(!memcmp(succ + 4, ar, 42)); /* pppd's Success message starts with our S= */

	/* and through the store, as the LNS calls it */
	struct auth_db *db = auth_db_open_file(":memory:", NULL, 0);
	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(auth_account_add(db, "vpnuser", "vpnpass", NULL), 0);
	struct auth_ppp_req q = {.method = AUTH_M_MSCHAPV2,
	                         .user = "vpnuser",
	                         .user_len = 7,
	                         .challenge = chal + 5,
	                         .challenge_len = 16,
	                         .peer_challenge = peer,
	                         .nt_response = ntr};
	struct auth_ppp_res res;
	ck_assert_int_eq(auth_ppp_verify(db, &q, &res), 0);
	ck_assert_int_eq(res.result, AUTH_OK);
	ck_assert_str_eq(res.account, "vpnuser");
	ck_assert(!memcmp(res.auth_response, succ + 4, 42));
	auth_account_passwd(db, "vpnuser", "other", false);
	ck_assert_int_eq(auth_ppp_verify(db, &q, &res), 0);
	ck_assert_int_eq(res.result, AUTH_FAIL_PASSWORD);
	auth_db_close(db);
}
END_TEST

/* RFC 1994 §4.1: MD5(id || secret || challenge). Expected value from coreutils at authoring time:
 *   printf '\x07secret\x01\x02\x03\x04\x05\x06\x07\x08' | md5sum */
START_TEST(chap_md5)
{
	static const uint8_t chal[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	static const uint8_t want[16] = {0x5b, 0xcc, 0x06, 0xf5, 0x18, 0xa0, 0xd6, 0x25,
	                                 0x62, 0xac, 0x86, 0x64, 0x01, 0x26, 0x37, 0x9c};
	uint8_t d[16];
	auth_chap_md5(7, "secret", 6, chal, 8, d);
	ck_assert_mem_eq(d, want, 16);

	struct auth_db *db = auth_db_open_file(":memory:", NULL, 0);
	struct auth_account_opts o = {.methods = AUTH_M_CHAP_MD5 | AUTH_M_PAP, .store_cleartext = true};
	ck_assert_int_eq(auth_account_add(db, "bob", "secret", &o), 0);
	ck_assert_int_eq(auth_account_add(db, "carol", "secret", NULL), 0);
	struct auth_ppp_req q = {.method = AUTH_M_CHAP_MD5,
	                         .user = "bob",
	                         .user_len = 3,
	                         .chap_id = 7,
	                         .challenge = chal,
	                         .challenge_len = 8,
	                         .response = want};
	struct auth_ppp_res res;
	auth_ppp_verify(db, &q, &res);
	ck_assert_int_eq(res.result, AUTH_OK);
	q.chap_id = 8;
	auth_ppp_verify(db, &q, &res);
	ck_assert_int_eq(res.result, AUTH_FAIL_PASSWORD);
	/* carol has no reversible secret and the default methods: CHAP-MD5 is refused */
	q.chap_id = 7;
	q.user = "carol";
	q.user_len = 5;
	auth_ppp_verify(db, &q, &res);
	ck_assert_int_eq(res.result, AUTH_FAIL_METHOD);
	/* PAP against the NT hash */
	struct auth_ppp_req p = {.method = AUTH_M_PAP,
	                         .user = "carol",
	                         .user_len = 5,
	                         .password = (const uint8_t *)"secret",
	                         .password_len = 6};
	auth_ppp_verify(db, &p, &res);
	ck_assert_int_eq(res.result, AUTH_OK);
	p.password_len = 5;
	auth_ppp_verify(db, &p, &res);
	ck_assert_int_eq(res.result, AUTH_FAIL_PASSWORD);
	p.user = "nobody";
	p.user_len = 6;
	auth_ppp_verify(db, &p, &res);
	ck_assert_int_eq(res.result, AUTH_FAIL_UNKNOWN_USER);
	auth_db_close(db);
}
END_TEST

/* WAL (issue 12): a login reads while another connection holds a write transaction; a store
 * that cannot answer (its accounts table gone) is an "account store error", never "unknown user". */
START_TEST(store_wal_and_errors)
{
	char dir[] = "/tmp/rp-auth-XXXXXX", err[256], path[300];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct auth_db *db = auth_db_open(dir, err, sizeof err);
	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(auth_account_add(db, "carol", "secret", NULL), 0);
	sqlite3_stmt *st;
	ck_assert_int_eq(sqlite3_prepare_v2(auth_db_sqlite(db), "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	struct auth_ppp_req p = {.method = AUTH_M_PAP,
	                         .user = "carol",
	                         .user_len = 5,
	                         .password = (const uint8_t *)"secret",
	                         .password_len = 6};
	struct auth_ppp_res res;
	snprintf(path, sizeof path, "%s/accounts.db", dir);
	sqlite3 *w;
	ck_assert_int_eq(sqlite3_open(path, &w), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(w, "BEGIN EXCLUSIVE; INSERT INTO groups(name) VALUES('held');", NULL, NULL, NULL),
	                 SQLITE_OK);
	ck_assert_int_eq(auth_ppp_verify(db, &p, &res), 0);
	ck_assert_int_eq(res.result, AUTH_OK);
	ck_assert_int_eq(sqlite3_exec(w, "ROLLBACK; ALTER TABLE accounts RENAME TO gone;", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(auth_ppp_verify(db, &p, &res), 0);
	ck_assert_int_eq(res.result, AUTH_FAIL_INTERNAL);
	ck_assert_str_eq(auth_fail_str(res.result), "account store error");
	sqlite3_close(w);
	auth_db_close(db);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static int count_cb(void *ctx, const struct auth_account *a)
{
	char *s = ctx;
	strcat(s, a->name);
	strcat(s, a->enabled ? "+" : "-");
	strcat(s, a->group);
	strcat(s, ",");
	return 0;
}

START_TEST(store)
{
	char dir[] = "/tmp/rp-auth-XXXXXX", err[256], path[300];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct auth_db *db = auth_db_open(dir, err, sizeof err);
	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(auth_db_schema_version(db), 4);
	struct auth_account_opts o = {.group = "staff", .static_ip = 0xc6120005};
	ck_assert_int_eq(auth_account_add(db, "alice", "pw1", &o), 0);
	ck_assert_int_eq(auth_account_add(db, "alice", "pw1", &o), -EEXIST);
	ck_assert_int_eq(auth_account_add(db, "", "pw1", &o), -EINVAL);
	ck_assert_int_eq(auth_account_add(db, "bad\nname", "pw1", &o), -EINVAL);
	ck_assert_int_eq(auth_account_add(db, "zed", "pw2", NULL), 0);
	ck_assert_int_eq(auth_account_set_enabled(db, "zed", false), 0);
	ck_assert_int_eq(auth_account_set_enabled(db, "nobody", false), -ENOENT);
	auth_db_close(db);

	/* reopen: persisted, schema not re-applied */
	db = auth_db_open(dir, err, sizeof err);
	ck_assert_ptr_nonnull(db);
	char list[256] = "";
	ck_assert_int_eq(auth_account_list(db, count_cb, list), 0);
	ck_assert_str_eq(list, "alice+staff,zed-,");
	struct auth_account a;
	ck_assert_int_eq(auth_account_get(db, "alice", &a), 0);
	ck_assert_uint_eq(a.static_ip, 0xc6120005);
	ck_assert_uint_eq(a.methods, AUTH_M_DEFAULT);
	ck_assert(!a.has_cleartext);
	/* disabled account fails even with the right password */
	struct auth_ppp_req p = {.method = AUTH_M_PAP,
	                         .user = "zed",
	                         .user_len = 3,
	                         .password = (const uint8_t *)"pw2",
	                         .password_len = 3};
	struct auth_ppp_res res;
	auth_ppp_verify(db, &p, &res);
	ck_assert_int_eq(res.result, AUTH_FAIL_DISABLED);
	ck_assert_int_eq(auth_account_passwd(db, "alice", "new", false), 0);
	p.user = "alice";
	p.user_len = 5;
	p.password = (const uint8_t *)"new";
	auth_ppp_verify(db, &p, &res);
	ck_assert_int_eq(res.result, AUTH_OK);
	ck_assert_uint_eq(res.static_ip, 0xc6120005);
	ck_assert_int_eq(auth_account_set_static_ip(db, "alice", 0xc6120009), 0);
	ck_assert_int_eq(auth_account_set_group(db, "alice", "admins"), 0);
	ck_assert_int_eq(auth_account_get(db, "alice", &a), 0);
	ck_assert_uint_eq(a.static_ip, 0xc6120009);
	ck_assert_str_eq(a.group, "admins");
	ck_assert_int_eq(auth_account_set_group(db, "alice", NULL), 0);
	ck_assert_int_eq(auth_account_get(db, "alice", &a), 0);
	ck_assert_str_eq(a.group, "");
	ck_assert_int_eq(auth_account_set_static_ip(db, "nobody", 1), -ENOENT);
	ck_assert_int_eq(auth_account_set_methods(db, "alice", AUTH_M_MSCHAPV2), 0);
	auth_ppp_verify(db, &p, &res);
	ck_assert_int_eq(res.result, AUTH_FAIL_METHOD);
	ck_assert_int_eq(auth_account_del(db, "alice"), 0);
	ck_assert_int_eq(auth_account_del(db, "alice"), -ENOENT);
	auth_db_close(db);

	/* a file from a newer schema is refused */
	snprintf(path, sizeof path, "%s/accounts.db", dir);
	sqlite3 *h;
	sqlite3_open(path, &h);
	sqlite3_exec(h, "PRAGMA user_version=99", NULL, NULL, NULL);
	sqlite3_close(h);
	ck_assert_ptr_null(auth_db_open(dir, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "schema version 99"));
	unlink(path);
	rmdir(dir);
}
END_TEST

/* Issue 10 item 2: the network access rights decide every login, not only a certificate's: a
 * denied account whose password is right is refused over PAP and MS-CHAPv2 (a PSK SA), the
 * deciding right is named, and a wrong password is still reported as a wrong password. */
static void pap(struct auth_db *db, const char *u, const char *pw, struct auth_ppp_res *res)
{
	struct auth_ppp_req p = {.method = AUTH_M_PAP,
	                         .user = u,
	                         .user_len = strlen(u),
	                         .password = (const uint8_t *)pw,
	                         .password_len = strlen(pw)};
	ck_assert_int_eq(auth_ppp_verify(db, &p, res), 0);
}

START_TEST(ppp_rights)
{
	struct auth_db *db = auth_db_open_file(":memory:", NULL, 0);
	struct auth_ppp_res res;
	struct auth_account_opts staff = {.group = "staff"};
	ck_assert_int_eq(auth_account_add(db, "alice", "pw-a", &staff), 0);
	ck_assert_int_eq(auth_account_add(db, "mallory", "pw-m", &staff), 0);
	ck_assert_int_eq(auth_account_add(db, "carol", "pw-c", NULL), 0);
	ck_assert_int_eq(auth_group_add(db, "contractors"), 0);
	ck_assert_int_eq(auth_group_member_add(db, "contractors", "mallory"), 0);
	pap(db, "mallory", "pw-m", &res);
	ck_assert_int_eq(res.result, AUTH_OK); /* no rights at all: everyone may log in */

	int64_t deny = auth_right_add(db, AUTH_RIGHT_DENY, NULL, "contractors");
	ck_assert_int_gt(deny, 0);
	pap(db, "mallory", "pw-m", &res);
	ck_assert_int_eq(res.result, AUTH_FAIL_DENIED);
	ck_assert_int_eq(res.right_id, deny);
	ck_assert_ptr_nonnull(strstr(res.detail, "deny group=contractors"));
	ck_assert_str_eq(auth_fail_str(res.result), "network access denied");
	pap(db, "mallory", "wrong", &res);
	ck_assert_int_eq(res.result, AUTH_FAIL_PASSWORD);
	pap(db, "alice", "pw-a", &res);
	ck_assert_int_eq(res.result, AUTH_OK);

	/* MS-CHAPv2 (the RFC 2759 §9.2 exchange): refused, and no authenticator response handed out */
	ck_assert_int_eq(auth_account_add(db, "User", "clientPass", NULL), 0);
	ck_assert_int_eq(auth_right_add(db, AUTH_RIGHT_DENY, "User", NULL), deny + 1);
	struct auth_ppp_req m = {.method = AUTH_M_MSCHAPV2,
	                         .user = "User",
	                         .user_len = 4,
	                         .challenge = v_auth,
	                         .challenge_len = 16,
	                         .peer_challenge = v_peer,
	                         .nt_response = v_ntresp};
	ck_assert_int_eq(auth_ppp_verify(db, &m, &res), 0);
	ck_assert_int_eq(res.result, AUTH_FAIL_DENIED);
	ck_assert_ptr_nonnull(strstr(res.detail, "deny account=User"));
	ck_assert_int_eq(res.auth_response[0], 0);

	/* deny wins over allow; a non-empty allow list keeps everyone else out */
	ck_assert_int_gt(auth_right_add(db, AUTH_RIGHT_ALLOW, "mallory", NULL), 0);
	ck_assert_int_gt(auth_right_add(db, AUTH_RIGHT_ALLOW, NULL, "staff"), 0);
	pap(db, "mallory", "pw-m", &res);
	ck_assert_int_eq(res.result, AUTH_FAIL_DENIED);
	pap(db, "alice", "pw-a", &res);
	ck_assert_int_eq(res.result, AUTH_OK);
	pap(db, "carol", "pw-c", &res);
	ck_assert_int_eq(res.result, AUTH_FAIL_NOT_ALLOWED);
	ck_assert_ptr_nonnull(strstr(res.detail, "2 allow rights"));
	ck_assert_int_eq(auth_right_del(db, AUTH_RIGHT_DENY, NULL, "contractors"), 0);
	pap(db, "mallory", "pw-m", &res);
	ck_assert_int_eq(res.result, AUTH_OK);
	ck_assert_int_eq(res.right_id, 0);
	auth_db_close(db);
}
END_TEST

/* Issue 10 item 7: a store or state directory others could have written (or a store everyone
 * could read) is refused with its path and mode, not used (and silently chmod-ed). */
START_TEST(store_modes)
{
	char dir[] = "/tmp/rp-auth-XXXXXX", err[600], path[300];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/accounts.db", dir);
	mode_t old = umask(0); /* what a sloppy umask would create: the store must still be 0600 */
	struct auth_db *db = auth_db_open(dir, err, sizeof err);
	umask(old);
	ck_assert_ptr_nonnull(db);
	auth_db_close(db);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);

	chmod(path, 0644);
	ck_assert_ptr_null(auth_db_open(dir, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_nonnull(strstr(err, "mode 0644"));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0644); /* refused, not silently repaired */
	chmod(path, 0620);
	ck_assert_ptr_null(auth_db_open(dir, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "mode 0620"));
	chmod(path, 0640); /* a group that may read (a monitoring group) is the admin's choice */
	db = auth_db_open(dir, err, sizeof err);
	ck_assert_ptr_nonnull(db);
	auth_db_close(db);
	chmod(path, 0600);

	chmod(dir, 0777);
	ck_assert_ptr_null(auth_db_open(dir, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, dir));
	ck_assert_ptr_nonnull(strstr(err, "mode 0777"));
	chmod(dir, 0755);
	db = auth_db_open(dir, err, sizeof err);
	ck_assert_ptr_nonnull(db);
	auth_db_close(db);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(pool)
{
	struct auth_pool *p = auth_pool_new();
	uint32_t ip, base = 0xc6130000; /* 198.19.0.0 */
	ck_assert_int_eq(auth_pool_add_range(p, base + 1, base + 254), 0);
	ck_assert_int_eq(auth_pool_add_range(p, base + 200, base + 300), -EINVAL);
	ck_assert_int_eq(auth_pool_add_range(p, base + 256, base + 259), 0);
	/* static inside the range, then one outside every range */
	ck_assert_int_eq(auth_pool_lease(p, base + 1, &ip), 0);
	ck_assert_int_eq(auth_pool_lease(p, base + 1, &ip), -EADDRINUSE);
	ck_assert_int_eq(auth_pool_lease(p, 0x0a000001, &ip), 0);
	ck_assert_int_eq(auth_pool_lease(p, 0x0a000001, &ip), -EADDRINUSE);
	/* exhaust: 254 + 4 addresses, minus .0/.255 skipped in the second range (base+256 is x.x.1.0) */
	unsigned got = 0;
	while (auth_pool_lease(p, 0, &ip) == 0) {
		ck_assert_uint_ne(ip, base + 1);
		ck_assert_uint_ne(ip & 0xff, 0);
		got++;
	}
	ck_assert_uint_eq(got, 253 + 3);
	ck_assert_uint_eq(auth_pool_in_use(p), 258);
	ck_assert_int_eq(auth_pool_release(p, base + 7), 0);
	ck_assert_int_eq(auth_pool_release(p, base + 7), -ENOENT);
	ck_assert_int_eq(auth_pool_lease(p, 0, &ip), 0);
	ck_assert_uint_eq(ip, base + 7);
	ck_assert_int_eq(auth_pool_release(p, 0x0a000001), 0);
	ck_assert(!auth_pool_leased(p, 0x0a000001));
	auth_pool_free(p);
}
END_TEST

/* A reload shrinks, grows and moves the pool: every lease survives, an address outside the new
 * ranges is never handed out again and is released normally when its session ends. */
START_TEST(pool_reload)
{
	struct auth_pool *p = auth_pool_new();
	uint32_t ip, a, b, base = 0xc6130000; /* 198.19.0.0 */
	ck_assert_int_eq(auth_pool_add_range(p, base + 10, base + 20), 0);
	ck_assert_int_eq(auth_pool_lease(p, 0, &a), 0);
	ck_assert_int_eq(auth_pool_lease(p, base + 20, &b), 0);
	ck_assert_int_eq(auth_pool_lease(p, 0x0a000001, &ip), 0); /* a static one outside */
	/* overlapping new ranges are refused and change nothing */
	const uint32_t bad[2][2] = {{base + 1, base + 50}, {base + 40, base + 60}};
	ck_assert_int_eq(auth_pool_set_ranges(p, bad, 2), -EINVAL);
	ck_assert(auth_pool_leased(p, a) && auth_pool_leased(p, b));
	/* shrink to .10-.12: b (.20) stays leased outside the ranges */
	const uint32_t small[1][2] = {{base + 10, base + 12}};
	ck_assert_int_eq(auth_pool_set_ranges(p, small, 1), 0);
	ck_assert_uint_eq(auth_pool_in_use(p), 3);
	ck_assert(auth_pool_leased(p, a) && auth_pool_leased(p, b) && auth_pool_leased(p, 0x0a000001));
	ck_assert_int_eq(auth_pool_lease(p, b, &ip), -EADDRINUSE);
	unsigned got = 0;
	while (auth_pool_lease(p, 0, &ip) == 0) {
		ck_assert(ip >= base + 10 && ip <= base + 12 && ip != a);
		got++;
	}
	ck_assert_uint_eq(got, 2);
	ck_assert_int_eq(auth_pool_release(p, b), 0);
	ck_assert_int_eq(auth_pool_release(p, b), -ENOENT);
	/* grow to include the static one: it is still leased, now inside a range */
	const uint32_t wide[2][2] = {{base + 10, base + 30}, {0x0a000001, 0x0a000002}};
	ck_assert_int_eq(auth_pool_set_ranges(p, wide, 2), 0);
	ck_assert(auth_pool_leased(p, 0x0a000001));
	ck_assert_int_eq(auth_pool_lease(p, 0x0a000001, &ip), -EADDRINUSE);
	ck_assert_int_eq(auth_pool_release(p, 0x0a000001), 0);
	ck_assert_int_eq(auth_pool_lease(p, 0x0a000001, &ip), 0);
	auth_pool_free(p);
}
END_TEST

/* Issue 16: limits per account and per group; the account's own value (0 included) wins, else
 * the most restrictive non-zero value among its groups; a PPP login carries them. */
START_TEST(limits)
{
	struct auth_db *db = auth_db_open_file(":memory:", NULL, 0);
	struct auth_ppp_res res;
	struct auth_account_opts staff = {.group = "staff"};
	ck_assert_int_eq(auth_account_add(db, "alice", "pw-a", &staff), 0);
	ck_assert_int_eq(auth_account_add(db, "bob", "pw-b", NULL), 0);
	ck_assert_int_eq(auth_group_add(db, "slow"), 0);
	ck_assert_int_eq(auth_group_member_add(db, "slow", "alice"), 0);
	pap(db, "alice", "pw-a", &res);
	ck_assert_int_eq(res.result, AUTH_OK);
	for (int i = 0; i < AUTH_LIMIT_N; i++)
		ck_assert_uint_eq(res.limits.v[i], 0); /* nothing set: no limits */
	ck_assert_int_eq(auth_limit_set(db, true, "staff", AUTH_LIMIT_RATE_IN, 2000), 0);
	ck_assert_int_eq(auth_limit_set(db, true, "slow", AUTH_LIMIT_RATE_IN, 500), 0);
	ck_assert_int_eq(auth_limit_set(db, true, "staff", AUTH_LIMIT_MAX_SESSIONS, 3), 0);
	ck_assert_int_eq(auth_limit_set(db, true, "slow", AUTH_LIMIT_MAX_SESSIONS, 0), 0);
	ck_assert_int_eq(auth_limit_set(db, false, "alice", AUTH_LIMIT_IDLE, 600), 0);
	ck_assert_int_eq(auth_limit_set(db, false, "alice", AUTH_LIMIT_RATE_OUT, 0), 0);
	ck_assert_int_eq(auth_limit_set(db, true, "staff", AUTH_LIMIT_RATE_OUT, 100), 0);
	pap(db, "alice", "pw-a", &res);
	ck_assert_int_eq(res.result, AUTH_OK);
	ck_assert_uint_eq(res.limits.v[AUTH_LIMIT_RATE_IN], 500);    /* the stricter group */
	ck_assert_uint_eq(res.limits.v[AUTH_LIMIT_MAX_SESSIONS], 3); /* a group's 0 lifts nothing */
	ck_assert_uint_eq(res.limits.v[AUTH_LIMIT_IDLE], 600);       /* the account's own */
	ck_assert_uint_eq(res.limits.v[AUTH_LIMIT_RATE_OUT], 0);     /* the account's explicit 0 */
	int64_t raw[AUTH_LIMIT_N];
	ck_assert_int_eq(auth_limits_raw(db, false, "alice", raw), 0);
	ck_assert_int_eq(raw[AUTH_LIMIT_MAX_SESSIONS], -1);
	ck_assert_int_eq(raw[AUTH_LIMIT_RATE_OUT], 0);
	ck_assert_int_eq(raw[AUTH_LIMIT_IDLE], 600);
	ck_assert_int_eq(auth_limit_set(db, false, "alice", AUTH_LIMIT_RATE_OUT, -1), 0); /* unset */
	pap(db, "alice", "pw-a", &res);
	ck_assert_uint_eq(res.limits.v[AUTH_LIMIT_RATE_OUT], 100);
	pap(db, "bob", "pw-b", &res);
	ck_assert_uint_eq(res.limits.v[AUTH_LIMIT_RATE_IN], 0); /* in no group */
	ck_assert_int_eq(auth_limit_set(db, false, "nobody", AUTH_LIMIT_IDLE, 1), -ENOENT);
	ck_assert_int_eq(auth_limit_set(db, true, "staff", AUTH_LIMIT_N, 1), -EINVAL);
	ck_assert_int_eq(auth_limits_raw(db, true, "nogroup", raw), -ENOENT);
	auth_db_close(db);
}
END_TEST

static void net_of(struct auth_db *db, const char *account, char *routes, size_t n, struct auth_net *o)
{
	ck_assert_int_eq(auth_account_net(db, account, o), 0);
	ck_assert_int_eq(auth_routes_format(o, routes, n), 0);
}

/* Issue 16: split-tunnel routes and domain per group; a session gets the union of its groups'
 * routes (primary first, memberships by name, once each) and the first group's domain. */
START_TEST(group_routes)
{
	struct auth_db *db = auth_db_open_file(":memory:", NULL, 0);
	struct auth_account_opts staff = {.group = "staff"};
	struct auth_net o;
	char r[400], d[300];
	ck_assert_int_eq(auth_account_add(db, "alice", "pw-a", &staff), 0);
	ck_assert_int_eq(auth_account_add(db, "bob", "pw-b", NULL), 0);
	ck_assert_int_eq(auth_group_add(db, "eng"), 0);
	ck_assert_int_eq(auth_group_add(db, "apps"), 0);
	ck_assert_int_eq(auth_group_member_add(db, "eng", "alice"), 0);
	ck_assert_int_eq(auth_group_member_add(db, "apps", "alice"), 0);
	/* nothing set: no routes of its own, the global ones apply */
	net_of(db, "alice", r, sizeof r, &o);
	ck_assert(!o.have_routes);
	ck_assert_str_eq(o.domain, "");
	/* host bits cleared, commas or spaces, stored normalised */
	ck_assert_int_eq(auth_group_net_set(db, "staff", "10.20.1.7/16, 198.18.99.0/24", "staff.example"), 0);
	ck_assert_int_eq(auth_group_net_raw(db, "staff", r, sizeof r, d, sizeof d), 0);
	ck_assert_str_eq(r, "10.20.0.0/16 198.18.99.0/24");
	ck_assert_str_eq(d, "staff.example");
	ck_assert_int_eq(auth_group_net_set(db, "eng", "10.30.0.0/16 198.18.99.0/24", "eng.example"), 0);
	ck_assert_int_eq(auth_group_net_set(db, "apps", "10.40.0.0/16", NULL), 0);
	net_of(db, "alice", r, sizeof r, &o);
	ck_assert(o.have_routes);
	/* primary group (staff) first, then apps and eng by name; 198.18.99.0/24 once */
	ck_assert_str_eq(r, "10.20.0.0/16 198.18.99.0/24 10.40.0.0/16 10.30.0.0/16");
	ck_assert_str_eq(o.domain, "staff.example");
	/* the primary group without a domain: the first membership that has one */
	ck_assert_int_eq(auth_group_net_set(db, "staff", NULL, ""), 0);
	net_of(db, "alice", r, sizeof r, &o);
	ck_assert_str_eq(o.domain, "eng.example");
	ck_assert_str_eq(r, "10.20.0.0/16 198.18.99.0/24 10.40.0.0/16 10.30.0.0/16");
	/* routes unset on every group: back to the global ones */
	ck_assert_int_eq(auth_group_net_set(db, "staff", "", NULL), 0);
	ck_assert_int_eq(auth_group_net_set(db, "eng", "", NULL), 0);
	ck_assert_int_eq(auth_group_net_set(db, "apps", "", NULL), 0);
	net_of(db, "alice", r, sizeof r, &o);
	ck_assert(!o.have_routes);
	/* bob is in no group; an account outside the store (RADIUS) gets nothing either */
	net_of(db, "bob", r, sizeof r, &o);
	ck_assert(!o.have_routes && !o.domain[0]);
	net_of(db, "radius-only", r, sizeof r, &o);
	ck_assert(!o.have_routes && !o.domain[0]);
	/* refused: malformed routes and domains, too many routes, unknown groups */
	ck_assert_int_eq(auth_group_net_set(db, "eng", "10.0.0.0", NULL), -EINVAL);
	ck_assert_int_eq(auth_group_net_set(db, "eng", "10.0.0.0/33", NULL), -EINVAL);
	ck_assert_int_eq(auth_group_net_set(db, "eng", "10.0.0.0/", NULL), -EINVAL);
	ck_assert_int_eq(auth_group_net_set(db, "eng", "fd00::/8", NULL), -EINVAL);
	ck_assert_int_eq(auth_group_net_set(db, "eng", "10.0.0.0/-8", NULL), -EINVAL);
	ck_assert_int_eq(auth_group_net_set(db, "eng", NULL, "a b"), -EINVAL);
	ck_assert_int_eq(auth_group_net_set(db, "eng", NULL, "x;drop"), -EINVAL);
	char many[600] = "";
	for (int i = 0; i < 17; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many), "10.%d.0.0/16 ", i);
	ck_assert_int_eq(auth_group_net_set(db, "eng", many, NULL), -E2BIG);
	ck_assert_int_eq(auth_group_net_set(db, "nogroup", "10.0.0.0/8", NULL), -ENOENT);
	ck_assert_int_eq(auth_group_net_set(db, "nogroup", NULL, NULL), -ENOENT);
	ck_assert_int_eq(auth_group_net_raw(db, "eng", r, sizeof r, d, sizeof d), 0);
	ck_assert_str_eq(r, ""); /* a refused change left nothing behind */
	ck_assert_str_eq(d, "eng.example");
	/* the union stops at AUTH_MAX_ROUTES */
	char sixteen[600] = "";
	for (int i = 0; i < 16; i++)
		snprintf(sixteen + strlen(sixteen), sizeof sixteen - strlen(sixteen), "10.%d.0.0/16 ", i);
	ck_assert_int_eq(auth_group_net_set(db, "eng", sixteen, NULL), 0);
	ck_assert_int_eq(auth_group_net_set(db, "apps", "198.19.0.0/16", NULL), 0);
	net_of(db, "alice", r, sizeof r, &o);
	ck_assert_uint_eq(o.nroutes, AUTH_MAX_ROUTES);
	ck_assert_uint_eq(o.routes[0].net, 0xc6130000u); /* apps sorts before eng */
	auth_db_close(db);
}
END_TEST

static Suite *auth_suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("auth");
	tcase_add_test(tc, rfc2759_vectors);
	tcase_add_test(tc, harness_mschapv2);
	tcase_add_test(tc, chap_md5);
	tcase_add_test(tc, store);
	tcase_add_test(tc, store_wal_and_errors);
	tcase_add_test(tc, pool);
	tcase_add_test(tc, pool_reload);
	tcase_add_test(tc, ppp_rights);
	tcase_add_test(tc, store_modes);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, group_routes);
	suite_add_tcase(s, tc);
	return s;
}

RP_CHECK_MAIN(auth_suite)
