/* rampart auth: accounts, PPP credential verification, address pools.
 *
 *   mschap.c   NT hash, MS-CHAPv2 (RFC 2759) NT-Response and authenticator response, CHAP-MD5
 *              (RFC 1994): the only copy of these computations in rampart (nettle MD4/DES/SHA1/MD5)
 *   store.c    the account store: SQLite file under the state directory, schema versioned
 *   verify.c   PPP authentication requests (PAP, CHAP-MD5, MS-CHAPv2) against the store
 *   pool.c     IPv4 address pools: ranges, per-account static addresses, no duplicate leases
 *   cert.c     X.509 validation (GnuTLS trust list: anchors, CRLs, chain, time, KU/EKU), leaf info,
 *              IKE ID payload against certificate
 *   certmap.c  certificate-to-account mapping rules, the mapping switch, groups/membership, network
 *              access rights, auth_cert_authorize (validate, map, check rights)
 *   limits.c   per-account/group limits (max_sessions, rate, idle)
 *   netcfg.c   per-group split-tunnel routes and DNS domain for DHCPINFORM answers
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
/* The store's SQLite handle, for modules that keep their own tables in the same file (policy/'s
 * pol_* tables): they share the file's permission checks and SQLite's writer serialisation. */
struct sqlite3 *auth_db_sqlite(struct auth_db *db);
/* how long a store call waits for another writer (rampartctl) before it fails with -EBUSY */
#define AUTH_DB_BUSY_MS 2000
/* Batches writes into one transaction (begin true, then false to commit): one journal sync for
 * many accounts instead of one each (rampartctl account add-many). 0 or -EIO. */
int auth_db_batch(struct auth_db *db, bool begin);

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
	AUTH_FAIL_DENIED,      /* password right, but a "deny network access" right names the account */
	AUTH_FAIL_NOT_ALLOWED, /* password right, but the allow list does not name it */
};

/* Per-account limits (limits.c): the account's own value, else the smallest non-zero one of its
 * groups (primary and memberships), else none. Effective values: 0 = no limit. */
enum auth_limit {
	AUTH_LIMIT_MAX_SESSIONS, /* live sessions of the account */
	AUTH_LIMIT_RATE_IN,      /* kbit/s from the client */
	AUTH_LIMIT_RATE_OUT,     /* kbit/s to the client */
	AUTH_LIMIT_IDLE,         /* seconds without an IP packet either way */
	AUTH_LIMIT_N
};
struct auth_limits {
	uint32_t v[AUTH_LIMIT_N];
};
const char *auth_limit_name(int which); /* the column and rampartctl key: max_sessions, rate_in, ... */
/* Sets (value >= 0; 0 = explicitly none) or unsets (value < 0: inherit) one limit of an account
 * (group false) or a group. 0, -ENOENT, -EINVAL, -EIO. */
int auth_limit_set(struct auth_db *db, bool group, const char *name, int which, int64_t value);
/* What is stored for an account or group, -1 where unset. 0, -ENOENT, -EINVAL, -EIO. */
int auth_limits_raw(struct auth_db *db, bool group, const char *name, int64_t out[AUTH_LIMIT_N]);
/* The effective limits of an account. 0, -EIO. */
int auth_limits_get(struct auth_db *db, int64_t account_id, struct auth_limits *out);

/* Per-group split-tunnel settings (netcfg.c) for the DHCPACK to a session's DHCPINFORM: routes
 * are the union over the account's groups (primary first, then memberships by name; duplicates
 * once; at most AUTH_MAX_ROUTES), the domain the first of those groups' that has one. have_routes
 * is false when no group sets routes: the session then gets [ppp] routes (and likewise an empty
 * domain means [ppp] domain). */
#define AUTH_MAX_ROUTES 16
struct auth_route {
	uint32_t net; /* host order */
	uint8_t len;
};
struct auth_net {
	struct auth_route routes[AUTH_MAX_ROUTES];
	unsigned nroutes;
	bool have_routes;
	char domain[256];
};
/* routes/domain: NULL keeps, "" unsets, else sets (routes "a.b.c.d/len ...", space or comma
 * separated, host bits cleared; a domain of letters, digits, '.', '-', '_'). 0, -ENOENT,
 * -EINVAL, -E2BIG (more than AUTH_MAX_ROUTES), -EIO. */
int auth_group_net_set(struct auth_db *db, const char *group, const char *routes, const char *domain);
/* What a group stores ("" where unset). 0, -ENOENT, -EINVAL, -EIO. */
int auth_group_net_raw(struct auth_db *db, const char *group, char *routes, size_t rlen, char *domain,
                       size_t dlen);
/* The settings an account's sessions get (zeroed when it is in no group or not in the store). */
int auth_account_net(struct auth_db *db, const char *account, struct auth_net *out);
int auth_routes_format(const struct auth_net *n, char *out, size_t len); /* "a.b.c.d/len ..." */

struct auth_ppp_res {
	int result; /* enum auth_fail */
	int64_t account_id;
	char account[64];
	uint32_t static_ip;
	char auth_response[43]; /* MS-CHAPv2 "S=..." on success */
	int64_t right_id;       /* the right that refused (AUTH_FAIL_DENIED), 0 otherwise */
	char detail[160];       /* for the log line: the deciding right, e.g. "#3 (deny group=contractors)" */
	struct auth_limits limits; /* on AUTH_OK */
};

/* Verifies the credentials and then the network access rights (auth_rights_check: the same
 * rights a certificate login is checked against, so a denied account cannot log in over a PSK SA
 * either); returns 0 when res was filled (see res->result), negative on bad arguments. The rights
 * are consulted only once the password is right, so a wrong one is still reported as such. */
int auth_ppp_verify(struct auth_db *db, const struct auth_ppp_req *req, struct auth_ppp_res *res);
const char *auth_fail_str(int result);

/* ---- address pools ------------------------------------------------------------------------ */

struct auth_pool;

struct auth_pool *auth_pool_new(void);
void auth_pool_free(struct auth_pool *p);
/* Adds [first, last] (host order, inclusive). Overlapping ranges are refused (-EINVAL). */
int auth_pool_add_range(struct auth_pool *p, uint32_t first, uint32_t last);
/* Replaces the ranges (reload), keeping every lease; -EINVAL/-ENOMEM leave the pool as it was. */
int auth_pool_set_ranges(struct auth_pool *p, const uint32_t (*ranges)[2], size_t n);
/* Leases want (a static address, which may lie outside the ranges) or the next free address.
 * Returns 0, -EADDRINUSE (want already leased), -ENOSPC (pool exhausted). */
int auth_pool_lease(struct auth_pool *p, uint32_t want, uint32_t *out);
int auth_pool_release(struct auth_pool *p, uint32_t ip); /* -ENOENT when not leased */
bool auth_pool_leased(const struct auth_pool *p, uint32_t ip);
unsigned auth_pool_in_use(const struct auth_pool *p);

/* ---- certificates (cert.c) ---------------------------------------------------------------- */

/* Trust anchors and CRLs. The object remembers the files and directories it was given, so
 * auth_trust_reload re-reads all of them (e.g. on SIGHUP after a new CRL was published); a reload
 * that fails keeps the previous state. */
struct auth_trust;

struct auth_trust *auth_trust_new(void);
void auth_trust_free(struct auth_trust *t);
/* Each returns the number of certificates/CRLs loaded (> 0), -ENOENT when the path held none,
 * -EIO when unreadable/invalid, -ENOMEM. Files are PEM (several allowed) or one DER object.
 * CRLs must be signed by a loaded anchor (GNUTLS_TL_VERIFY_CRL); add anchors first. */
int auth_trust_add_ca_file(struct auth_trust *t, const char *path);
int auth_trust_add_ca_dir(struct auth_trust *t, const char *dir);
int auth_trust_add_crl_file(struct auth_trust *t, const char *path);
int auth_trust_reload(struct auth_trust *t);

enum auth_cert_result {
	AUTH_CERT_OK = 0,
	/* validation (auth_cert_validate) */
	AUTH_CERT_BAD_INPUT,     /* not a parsable DER certificate */
	AUTH_CERT_EXPIRED,       /* leaf or a chain certificate: now >= notAfter */
	AUTH_CERT_NOT_YET_VALID, /* now < notBefore */
	AUTH_CERT_UNKNOWN_CA,    /* no chain to a trust anchor */
	AUTH_CERT_REVOKED,       /* listed in a loaded CRL */
	AUTH_CERT_BAD_SIGNATURE, /* a signature in the chain does not verify */
	AUTH_CERT_KEY_USAGE,     /* key usage without digitalSignature/nonRepudiation, or no accepted EKU */
	AUTH_CERT_INVALID,       /* other chain fault: issuer not a CA, insecure algorithm, ... */
	/* mapping and rights (auth_cert_map, auth_cert_authorize) */
	AUTH_CERT_NOT_MAPPED,       /* mapping enabled and no rule matched */
	AUTH_CERT_AMBIGUOUS,        /* two rules of the best specificity name different accounts */
	AUTH_CERT_ACCOUNT_DISABLED, /* mapped to a disabled account */
	AUTH_CERT_DENIED,           /* a "deny network access" right names the account or its group */
	AUTH_CERT_NOT_ALLOWED,      /* the allow list is not empty and names neither */
	AUTH_CERT_INTERNAL,         /* store error */
	AUTH_CERT_ID_MISMATCH,      /* the IKE ID payload does not name the certificate (RFC 4945 §3.1) */
};
const char *auth_cert_result_str(int result); /* "expired", "unknown CA", ... */

enum { AUTH_CERT_MAX_NAMES = 4, AUTH_CERT_NAME_LEN = 256, AUTH_CERT_DN_LEN = 512, AUTH_CERT_SPKI_MAX = 2048 };

/* What rampart needs of the leaf: filled by auth_cert_validate whenever the leaf parses (also on
 * refusal, for the log line). DNs are RFC 4514 strings as GnuTLS prints them
 * ("CN=alice,OU=Staff,O=Example"); the raw DER subject is kept for DER_ASN1_DN IDs. */
struct auth_cert_info {
	char subject[AUTH_CERT_DN_LEN];
	char issuer[AUTH_CERT_DN_LEN];
	uint8_t subject_der[AUTH_CERT_DN_LEN];
	size_t subject_der_len;
	char o[AUTH_CERT_NAME_LEN];                       /* first subject O, "" if none */
	char ou[AUTH_CERT_MAX_NAMES][AUTH_CERT_NAME_LEN]; /* subject OUs */
	unsigned n_ou;
	uint8_t sha256[32];                                /* of the leaf's DER */
	char upn[AUTH_CERT_MAX_NAMES][AUTH_CERT_NAME_LEN]; /* SAN otherName 1.3.6.1.4.1.311.20.2.3 */
	unsigned n_upn;
	char email[AUTH_CERT_MAX_NAMES][AUTH_CERT_NAME_LEN]; /* SAN rfc822Name, then subject emailAddress */
	unsigned n_email;
	char dns[AUTH_CERT_MAX_NAMES][AUTH_CERT_NAME_LEN]; /* SAN dNSName */
	unsigned n_dns;
	uint8_t ip[AUTH_CERT_MAX_NAMES][16]; /* SAN iPAddress, 4 or 16 bytes */
	uint8_t ip_len[AUTH_CERT_MAX_NAMES];
	unsigned n_ip;
	uint8_t spki[AUTH_CERT_SPKI_MAX]; /* DER SubjectPublicKeyInfo: gnutls_pubkey_import(..., DER) */
	size_t spki_len;
	int pk_algo; /* gnutls_pk_algorithm_t */
	unsigned pk_bits;
	int64_t not_before, not_after; /* Unix seconds */
	/* auth_cert_validate, chain accepted: the subject of the trust anchor it ends at */
	char anchor[AUTH_CERT_DN_LEN];
};

struct auth_der {
	const uint8_t *der;
	size_t len;
};

/* Validates chain[0] (the peer's leaf) with chain[1..n-1] as untrusted intermediates (any order)
 * against t at wall-clock time now_unix (Unix seconds: the caller's clock, so tests and replays
 * choose it). Returns an enum auth_cert_result (>= 0); negative on bad arguments. info may be
 * NULL. reason (may be NULL) gets a one-line explanation naming the certificate at fault. */
int auth_cert_validate(const struct auth_trust *t, const struct auth_der *chain, size_t n, int64_t now_unix,
                       struct auth_cert_info *info, char *reason, size_t reason_len);
/* Two DN strings name the same entity: RDNs compared case-insensitively, spaces around
 * separators ignored, in any order ("O=Example, CN=CA" as OpenSSL prints it is GnuTLS's
 * "CN=CA,O=Example"). */
bool auth_dn_equal(const char *a, const char *b);
/* The certificate comes from the CA named ca: its issuer, or (after auth_cert_validate) the trust
 * anchor its chain ends at. What a policy rule's rootca= means (Windows: "use a certificate from
 * this certification authority"). */
bool auth_cert_from_ca(const struct auth_cert_info *info, const char *ca);
/* Only the parsing half: fills info from one DER certificate; 0 or -EINVAL. */
int auth_cert_parse(const uint8_t *der, size_t len, struct auth_cert_info *info);
/* The same for a file's contents: the first PEM "CERTIFICATE" block, or DER. */
int auth_cert_parse_any(const uint8_t *data, size_t len, struct auth_cert_info *info);
/* A file's contents (first PEM "CERTIFICATE" block, or DER as is) as DER in out: the length,
 * -EINVAL, -ENOSPC. */
int auth_cert_to_der(const uint8_t *data, size_t len, uint8_t *out, size_t cap);

/* IKEv1 ID types (RFC 2407 §4.6.2.1). */
enum {
	AUTH_ID_IPV4_ADDR = 1,
	AUTH_ID_FQDN = 2,
	AUTH_ID_USER_FQDN = 3,
	AUTH_ID_IPV6_ADDR = 5,
	AUTH_ID_DER_ASN1_DN = 9
};
/* Does the ID payload's data name this certificate? DER_ASN1_DN: the subject (same DER, or the same
 * RFC 4514 string after decoding); FQDN: a dNSName (case-insensitive); USER_FQDN: an rfc822Name or a
 * UPN (case-insensitive); IPV4/IPV6_ADDR: an iPAddress of that length. Other types: false. */
bool auth_cert_id_match(const struct auth_cert_info *info, int id_type, const uint8_t *data, size_t len);

/* ---- mapping rules, groups, rights (certmap.c) ------------------------------------------------ *
 *
 * Certificate-to-account mapping, like Windows' "certificate to account mapping" checkbox, is one
 * global switch stored in the account store (settings.certmap_enabled, default ON so a certificate
 * that maps to nobody is refused). Switched off, any certificate that validates authenticates
 * without an account and rights are not consulted (the Windows behaviour without mapping).
 *
 * Rules, most specific first (auth_certmap_level): fingerprint (SHA-256 of the DER) > issuer +
 * subject DN > issuer + subject O + OU > issuer + O or OU > issuer only > by name. A by-name rule
 * (upn or email) maps to the account whose name equals the full UPN/e-mail, else the one named by
 * its local part (alice@example.test -> "alice"); the full name wins over the local part. DNs
 * compare case-insensitively after dropping spaces around separators. Two matching rules of the
 * best level naming different accounts are ambiguous: refused (AUTH_CERT_AMBIGUOUS).
 *
 * Groups: an account belongs to its primary group (auth_account_opts.group) and to any group it
 * was added to with auth_group_member_add. Rights: deny wins over allow; an EMPTY allow list
 * allows every mapped account (so adding the first allow entry restricts access to it). */
enum auth_certmap_kind {
	AUTH_MAP_FINGERPRINT = 1,
	AUTH_MAP_ISSUER_SUBJECT,
	AUTH_MAP_ISSUER,
	AUTH_MAP_BYNAME
};
enum auth_byname { AUTH_BYNAME_UPN = 1, AUTH_BYNAME_EMAIL = 2 };

struct auth_certmap_rule {
	int64_t id;
	int kind; /* enum auth_certmap_kind */
	uint8_t fingerprint[32];
	char issuer[AUTH_CERT_DN_LEN];
	char subject[AUTH_CERT_DN_LEN];
	char o[AUTH_CERT_NAME_LEN], ou[AUTH_CERT_NAME_LEN]; /* "" = any (AUTH_MAP_ISSUER only) */
	int byname;                                         /* enum auth_byname (AUTH_MAP_BYNAME) */
	char account[64];                                   /* "" for by-name rules */
};
int auth_certmap_level(const struct auth_certmap_rule *r); /* 6 fingerprint ... 1 by name */

/* Add returns the new rule id (> 0), -EINVAL (incomplete rule), -ENOENT (no such account), -EEXIST,
 * -EIO. Del: 0 or -ENOENT. */
int64_t auth_certmap_add(struct auth_db *db, const struct auth_certmap_rule *r);
int auth_certmap_del(struct auth_db *db, int64_t id);
int auth_certmap_list(struct auth_db *db, int (*fn)(void *ctx, const struct auth_certmap_rule *r), void *ctx);
int auth_certmap_set_enabled(struct auth_db *db, bool on);
int auth_certmap_enabled(struct auth_db *db); /* 1, 0, or -EIO */

int auth_group_add(struct auth_db *db, const char *name); /* 0, -EEXIST, -EINVAL, -EIO */
int auth_group_del(struct auth_db *db, const char *name); /* members lose it; 0, -ENOENT */
int auth_group_list(struct auth_db *db, int (*fn)(void *ctx, const char *group, const char *members),
                    void *ctx); /* members: comma-separated, primary and added */
int auth_group_member_add(struct auth_db *db, const char *group, const char *account); /* -ENOENT */
int auth_group_member_del(struct auth_db *db, const char *group, const char *account);

enum auth_right { AUTH_RIGHT_ALLOW = 1, AUTH_RIGHT_DENY = 2 };
/* Exactly one of account / group is non-NULL. Add: the right id (> 0), -ENOENT, -EEXIST, -EINVAL. */
int64_t auth_right_add(struct auth_db *db, int right, const char *account, const char *group);
int auth_right_del(struct auth_db *db, int right, const char *account, const char *group);
int auth_right_list(struct auth_db *db,
                    int (*fn)(void *ctx, int64_t id, int right, const char *account, const char *group),
                    void *ctx);
/* The "access this computer from the network" decision for one account, whatever authenticated
 * it (a mapped certificate in Main Mode, or a PPP login after a PSK): AUTH_CERT_OK,
 * AUTH_CERT_DENIED (a deny right names the account or one of its groups: deny wins),
 * AUTH_CERT_NOT_ALLOWED (allow rights exist and none names it) or AUTH_CERT_INTERNAL. right_id
 * (may be NULL) gets the deciding right (the deny, or the allow that let it in; 0 if none); what
 * (may be NULL) names it for the log line: "#3 (deny group=contractors)". */
int auth_rights_check(struct auth_db *db, int64_t account_id, int64_t *right_id, char *what, size_t wn);

struct auth_cert_res {
	int result;         /* enum auth_cert_result */
	bool mapped;        /* false when mapping is switched off */
	int64_t account_id; /* when mapped */
	char account[64];
	int64_t rule_id;  /* the mapping rule that decided (or refused as ambiguous) */
	int64_t right_id; /* the right that refused (DENIED), 0 otherwise */
	char detail[320]; /* for the log line: the reason and the rule/right, e.g.
	                     "denied by right #3 (deny group=contractors)" */
};

/* Maps an already validated certificate and checks the rights; returns 0 when res was filled. */
int auth_cert_map(struct auth_db *db, const struct auth_cert_info *info, struct auth_cert_res *res);
/* Validates (auth_cert_validate), maps and checks rights: what IKE calls when Main Mode
 * authenticates with a certificate. res->result AUTH_CERT_OK means accepted; anything else is to be
 * answered with AUTHENTICATION-FAILED and logged with res->detail. info may be NULL. Returns 0 when
 * res was filled, negative on bad arguments. */
int auth_cert_authorize(struct auth_db *db, const struct auth_trust *t, const struct auth_der *chain,
                        size_t n, int64_t now_unix, struct auth_cert_info *info, struct auth_cert_res *res);
/* The same with the peer's IKE ID checked between validation and mapping (auth_cert_id_match):
 * validate -> ID -> map -> rights, refusing with AUTH_CERT_ID_MISMATCH. id_type is the ID
 * payload's type, id/id_len its identification data (after the DOI-specific fields). */
int auth_cert_authorize_id(struct auth_db *db, const struct auth_trust *t, const struct auth_der *chain,
                           size_t n, int id_type, const uint8_t *id, size_t id_len, int64_t now_unix,
                           struct auth_cert_info *info, struct auth_cert_res *res);
/* The same under an IPsec policy rule (issue 13): with ca set, a certificate from another CA is
 * refused (AUTH_CERT_UNKNOWN_CA, after validation, before mapping); with map false it is accepted
 * without mapping (no account, rights not consulted: the rule's certmaptoaccount=no). */
int auth_cert_authorize_rule(struct auth_db *db, const struct auth_trust *t, const struct auth_der *chain,
                             size_t n, int id_type, const uint8_t *id, size_t id_len, int64_t now_unix,
                             const char *ca, bool map, struct auth_cert_info *info, struct auth_cert_res *res);

#endif
