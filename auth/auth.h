/* rampart auth: accounts, PPP credential verification, address pools.
 *
 *   mschap.c   NT hash, MS-CHAPv2 (RFC 2759) NT-Response and authenticator response, CHAP-MD5
 *              (RFC 1994): the only copy of these computations in rampart (nettle MD4/DES/SHA1/MD5)
 *   store.c    the account store: SQLite file under the state directory, schema versioned
 *   verify.c   PPP authentication requests (PAP, CHAP-MD5, MS-CHAPv2) against the store
 *   pool.c     IPv4 address pools: ranges, per-account static addresses, no duplicate leases
 *
 * Credentials are stored as the MS-CHAPv2 NT hash (MD4 of the UTF-16LE password). That verifies
 * MS-CHAPv2 and PAP (hash the offered password and compare). CHAP-MD5 needs the cleartext, so it
 * only works for accounts whose admin chose to also store a reversible secret (opts.store_cleartext);
 * the default set of methods is MS-CHAPv2 + PAP, and an account's methods can be narrowed. The NT
 * hash is itself a password equivalent for MS-CHAPv2: protect the state directory (0700).
 */
#ifndef RP_AUTH_H
#define RP_AUTH_H

#include "rp_base.h"

/* ---- MS-CHAPv2 / CHAP primitives ---------------------------------------------------------- */

enum { AUTH_NT_HASH_LEN = 16, AUTH_MSCHAPV2_RESP_LEN = 24, AUTH_CHAL_LEN = 16 };

/* MD4 over the UTF-16LE encoding of a UTF-8 password (RFC 2759 §8.3 NtPasswordHash). */
int auth_nt_hash(const char *password, size_t len, uint8_t out[16]);
/* §8.2 ChallengeHash: SHA1(peer || authenticator || user)[0..8]; user without any "DOMAIN\". */
int auth_mschapv2_challenge_hash(const uint8_t peer[16], const uint8_t auth[16], const char *user,
                                 size_t ulen, uint8_t out[8]);
/* §8.1 GenerateNTResponse from the NT hash. */
int auth_mschapv2_nt_response(const uint8_t nt_hash[16], const uint8_t auth[16], const uint8_t peer[16],
                              const char *user, size_t ulen, uint8_t out[24]);
/* §8.7 GenerateAuthenticatorResponse: "S=" + 40 upper-case hex digits, NUL-terminated. */
int auth_mschapv2_auth_response(const uint8_t nt_hash[16], const uint8_t nt_resp[24], const uint8_t peer[16],
                                const uint8_t auth[16], const char *user, size_t ulen, char out[43]);
/* RFC 1994 §4.1: MD5(identifier || secret || challenge). */
int auth_chap_md5(uint8_t id, const void *secret, size_t slen, const uint8_t *chal, size_t clen,
                  uint8_t out[16]);

/* ---- the account store -------------------------------------------------------------------- */

enum auth_method {
	AUTH_M_PAP = 1u << 0,
	AUTH_M_CHAP_MD5 = 1u << 1,
	AUTH_M_MSCHAPV2 = 1u << 2,
	AUTH_M_DEFAULT = AUTH_M_PAP | AUTH_M_MSCHAPV2,
};

struct auth_db;

struct auth_account_opts {
	const char *group;    /* NULL: none; created on demand */
	uint32_t static_ip;   /* host order; 0 = from the pool */
	unsigned methods;     /* enum auth_method mask; 0 = AUTH_M_DEFAULT */
	bool store_cleartext; /* keep a reversible secret so CHAP-MD5 works */
	bool disabled;
};

struct auth_account {
	int64_t id;
	char name[64];
	char group[64];
	bool enabled;
	unsigned methods;
	uint32_t static_ip;
	bool has_cleartext;
};

/* Opens (creating, migrating) state_dir/accounts.db; path ":memory:" style names are allowed via
 * auth_db_open_file. Errors are written to err. */
struct auth_db *auth_db_open(const char *state_dir, char *err, size_t errlen);
struct auth_db *auth_db_open_file(const char *path, char *err, size_t errlen);
void auth_db_close(struct auth_db *db);
int auth_db_schema_version(struct auth_db *db);

/* Returns 0, -EEXIST, -ENOENT, -EINVAL (bad name/password), -EIO. Names: 1-63 bytes, no control
 * characters. */
int auth_account_add(struct auth_db *db, const char *name, const char *password,
                     const struct auth_account_opts *opts);
int auth_account_del(struct auth_db *db, const char *name);
int auth_account_passwd(struct auth_db *db, const char *name, const char *password, bool store_cleartext);
int auth_account_set_enabled(struct auth_db *db, const char *name, bool enabled);
int auth_account_set_methods(struct auth_db *db, const char *name, unsigned methods);
int auth_account_set_static_ip(struct auth_db *db, const char *name, uint32_t ip);   /* 0 = pool */
int auth_account_set_group(struct auth_db *db, const char *name, const char *group); /* NULL = none */
int auth_account_get(struct auth_db *db, const char *name, struct auth_account *out);
/* Calls fn for each account in name order; stops early when fn returns non-zero. */
int auth_account_list(struct auth_db *db, int (*fn)(void *ctx, const struct auth_account *a), void *ctx);

/* ---- PPP authentication ------------------------------------------------------------------- */

struct auth_ppp_req {
	unsigned method; /* one enum auth_method bit */
	const char *user;
	size_t user_len;
	/* PAP */
	const uint8_t *password;
	size_t password_len;
	/* CHAP-MD5 */
	uint8_t chap_id;
	const uint8_t *challenge;
	size_t challenge_len;
	const uint8_t *response; /* 16 bytes */
	/* MS-CHAPv2 (auth challenge in challenge, 16 bytes) */
	const uint8_t *peer_challenge; /* 16 */
	const uint8_t *nt_response;    /* 24 */
};

enum auth_fail {
	AUTH_OK = 0,
	AUTH_FAIL_UNKNOWN_USER,
	AUTH_FAIL_DISABLED,
	AUTH_FAIL_METHOD, /* method not allowed for this account */
	AUTH_FAIL_PASSWORD,
	AUTH_FAIL_INTERNAL,
};

struct auth_ppp_res {
	int result; /* enum auth_fail */
	int64_t account_id;
	char account[64];
	uint32_t static_ip;
	char auth_response[43]; /* MS-CHAPv2 "S=..." on success */
};

/* Verifies; returns 0 when res was filled (see res->result), negative on bad arguments. */
int auth_ppp_verify(struct auth_db *db, const struct auth_ppp_req *req, struct auth_ppp_res *res);
const char *auth_fail_str(int result);

/* ---- address pools ------------------------------------------------------------------------ */

struct auth_pool;

struct auth_pool *auth_pool_new(void);
void auth_pool_free(struct auth_pool *p);
/* Adds [first, last] (host order, inclusive). Overlapping ranges are refused (-EINVAL). */
int auth_pool_add_range(struct auth_pool *p, uint32_t first, uint32_t last);
/* Leases want (a static address, which may lie outside the ranges) or the next free address.
 * Returns 0, -EADDRINUSE (want already leased), -ENOSPC (pool exhausted). */
int auth_pool_lease(struct auth_pool *p, uint32_t want, uint32_t *out);
int auth_pool_release(struct auth_pool *p, uint32_t ip); /* -ENOENT when not leased */
bool auth_pool_leased(const struct auth_pool *p, uint32_t ip);
unsigned auth_pool_in_use(const struct auth_pool *p);

#endif
