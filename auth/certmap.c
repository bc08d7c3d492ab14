/* Certificate-to-account mapping, groups and network access rights (the Windows "certificate to
 * account mapping" and "Access / Deny access to this computer from the network" model; the rules
 * are documented in auth.h). Everything is read from SQLite at each call, so rampartctl edits count
 * from the next Main Mode. */
#include "auth_local.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- DN normalisation: case-insensitive, no spaces around unescaped ',', '+', '=' ----------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void dn_norm(const char *in, char *out, size_t n)
{
	size_t o = 0;
	bool esc = false;
	for (size_t i = 0; in[i] && o + 1 < n; i++) {
		char ch = in[i];
		if (!esc && ch == ' ') {
			/* drop a space that touches a separator (before or after) */
			size_t j = i;
			while (in[j] == ' ')
				j++;
			bool next_sep = in[j] == ',' || in[j] == '+' || in[j] == '=' || in[j] == 0;
			bool prev_sep = o == 0 || out[o - 1] == ',' || out[o - 1] == '+' || out[o - 1] == '=';
			if (next_sep || prev_sep)
				continue;
		}
		out[o++] = (char)tolower((unsigned char)ch);
		esc = !esc && ch == '\\';
	}
	out[o] = 0;
}

/* The RDNs of a normalised DN, split at unescaped commas and sorted: OpenSSL prints a DN root
 * first ("O=Example, CN=alice"), GnuTLS leaf first (RFC 4514: "CN=alice,O=Example"), and operators
 * copy either. Returns how many, 0 when there are more than fit. */
enum { DN_RDNS = 16 };
static size_t dn_rdns(char *norm, char *rdn[DN_RDNS])
{
	size_t n = 0;
	bool esc = false;
	rdn[n++] = norm;
	for (char *p = norm; *p; p++) {
		if (!esc && *p == ',') {
			*p = 0;
			if (n == DN_RDNS)
				return 0;
			rdn[n++] = p + 1;
		}
		esc = !esc && *p == '\\';
	}
	qsort(rdn, n, sizeof *rdn, cmp_str);
	return n;
}

bool auth_dn_equal(const char *a, const char *b)
{
	char x[AUTH_CERT_DN_LEN], y[AUTH_CERT_DN_LEN], *rx[DN_RDNS], *ry[DN_RDNS];
	if (!a || !b || !*a || strlen(a) >= sizeof x || strlen(b) >= sizeof y)
		return false;
	dn_norm(a, x, sizeof x);
	dn_norm(b, y, sizeof y);
	size_t n = dn_rdns(x, rx);
	if (!n || dn_rdns(y, ry) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(rx[i], ry[i]))
			return false;
	return true;
}

int auth_certmap_level(const struct auth_certmap_rule *r)
{
	switch (r->kind) {
	case AUTH_MAP_FINGERPRINT:
		return 6;
	case AUTH_MAP_ISSUER_SUBJECT:
		return 5;
	case AUTH_MAP_ISSUER:
		return r->o[0] && r->ou[0] ? 4 : r->o[0] || r->ou[0] ? 3 : 2;
	case AUTH_MAP_BYNAME:
		return 1;
	}
	return 0;
}

/* ---- rules --------------------------------------------------------------------------------- */

static int account_id(struct auth_db *db, const char *name, int64_t *id)
{
	struct auth_account a;
	if (!auth_name_ok(name))
		return -EINVAL;
	int rc = auth_lookup(db, name, strlen(name), &a, NULL);
	if (rc == 0)
		*id = a.id;
	return rc;
}

int64_t auth_certmap_add(struct auth_db *db, const struct auth_certmap_rule *r)
{
	int64_t aid = 0;
	sqlite3_stmt *st;
	int rc;
	if (!db || !r)
		return -EINVAL;
	char iss[AUTH_CERT_DN_LEN] = "", sub[AUTH_CERT_DN_LEN] = "";
	switch (r->kind) {
	case AUTH_MAP_FINGERPRINT:
		break;
	case AUTH_MAP_ISSUER_SUBJECT:
		if (!r->issuer[0] || !r->subject[0])
			return -EINVAL;
		break;
	case AUTH_MAP_ISSUER:
		if (!r->issuer[0])
			return -EINVAL;
		break;
	case AUTH_MAP_BYNAME:
		if (r->byname != AUTH_BYNAME_UPN && r->byname != AUTH_BYNAME_EMAIL)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (r->kind != AUTH_MAP_BYNAME && (rc = account_id(db, r->account, &aid)))
		return rc;
	dn_norm(r->issuer, iss, sizeof iss);
	dn_norm(r->subject, sub, sizeof sub);
	/* SQL UNIQUE treats NULLs (no fingerprint, no account) as distinct: look for the same rule by
	 * hand first, then insert; both statements bind the same values */
	static const char *const sql[2] = {
	    "SELECT 1 FROM certmap WHERE kind=?1 AND fingerprint IS ?2 AND issuer=?3 AND subject=?4 AND "
	    "o=?5 AND ou=?6 AND byname=?7 AND account_id IS ?8",
	    "INSERT INTO certmap(kind,fingerprint,issuer,subject,o,ou,byname,account_id) "
	    "VALUES(?1,?2,?3,?4,?5,?6,?7,?8)",
	};
	bool dn = r->kind == AUTH_MAP_ISSUER_SUBJECT || r->kind == AUTH_MAP_ISSUER;
	for (int i = 0; i < 2; i++) {
		if (sqlite3_prepare_v2(db->h, sql[i], -1, &st, NULL) != SQLITE_OK)
			return -EIO;
		sqlite3_bind_int(st, 1, r->kind);
		if (r->kind == AUTH_MAP_FINGERPRINT)
			sqlite3_bind_blob(st, 2, r->fingerprint, 32, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(st, 2);
		sqlite3_bind_text(st, 3, dn ? iss : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, r->kind == AUTH_MAP_ISSUER_SUBJECT ? sub : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 5, r->kind == AUTH_MAP_ISSUER ? r->o : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 6, r->kind == AUTH_MAP_ISSUER ? r->ou : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 7, r->kind == AUTH_MAP_BYNAME ? r->byname : 0);
		if (aid)
			sqlite3_bind_int64(st, 8, aid);
		else
			sqlite3_bind_null(st, 8);
		int s = sqlite3_step(st);
		int ext = sqlite3_extended_errcode(db->h);
		sqlite3_finalize(st);
		if (i == 0 && s == SQLITE_ROW)
			return -EEXIST;
		if (i == 0 && s != SQLITE_DONE)
			return -EIO;
		if (i == 1 && s != SQLITE_DONE)
			return ext == SQLITE_CONSTRAINT_UNIQUE ? -EEXIST : -EIO;
	}
	return sqlite3_last_insert_rowid(db->h);
}

int auth_certmap_del(struct auth_db *db, int64_t id)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h, "DELETE FROM certmap WHERE id=?1", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	int s = sqlite3_step(st);
	sqlite3_finalize(st);
	if (s != SQLITE_DONE)
		return -EIO;
	return sqlite3_changes(db->h) ? 0 : -ENOENT;
}

static void row_rule(sqlite3_stmt *st, struct auth_certmap_rule *r)
{
	memset(r, 0, sizeof *r);
	r->id = sqlite3_column_int64(st, 0);
	r->kind = sqlite3_column_int(st, 1);
	if (sqlite3_column_bytes(st, 2) == 32)
		memcpy(r->fingerprint, sqlite3_column_blob(st, 2), 32);
	snprintf(r->issuer, sizeof r->issuer, "%s", (const char *)sqlite3_column_text(st, 3));
	snprintf(r->subject, sizeof r->subject, "%s", (const char *)sqlite3_column_text(st, 4));
	snprintf(r->o, sizeof r->o, "%s", (const char *)sqlite3_column_text(st, 5));
	snprintf(r->ou, sizeof r->ou, "%s", (const char *)sqlite3_column_text(st, 6));
	r->byname = sqlite3_column_int(st, 7);
	const unsigned char *acc = sqlite3_column_text(st, 8);
	snprintf(r->account, sizeof r->account, "%s", acc ? (const char *)acc : "");
}

int auth_certmap_list(struct auth_db *db, int (*fn)(void *ctx, const struct auth_certmap_rule *r), void *ctx)
{
	sqlite3_stmt *st;
	struct auth_certmap_rule r;
	int s;
	if (sqlite3_prepare_v2(db->h,
	                       "SELECT c.id,c.kind,c.fingerprint,c.issuer,c.subject,c.o,c.ou,c.byname,a.name "
	                       "FROM certmap c LEFT JOIN accounts a ON a.id=c.account_id ORDER BY c.id",
	                       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		row_rule(st, &r);
		if (fn(ctx, &r))
			break;
	}
	sqlite3_finalize(st);
	return s == SQLITE_ROW || s == SQLITE_DONE ? 0 : -EIO;
}

int auth_certmap_set_enabled(struct auth_db *db, bool on)
{
	return sqlite3_exec(db->h,
	                    on ? "INSERT OR REPLACE INTO settings(key,value) VALUES('certmap_enabled','1')"
	                       : "INSERT OR REPLACE INTO settings(key,value) VALUES('certmap_enabled','0')",
	                    NULL, NULL, NULL) == SQLITE_OK
	           ? 0
	           : -EIO;
}

int auth_certmap_enabled(struct auth_db *db)
{
	sqlite3_stmt *st;
	int v = 1; /* absent = on: fail closed */
	if (sqlite3_prepare_v2(db->h, "SELECT value FROM settings WHERE key='certmap_enabled'", -1, &st,
	                       NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = strcmp((const char *)sqlite3_column_text(st, 0), "0") != 0;
	sqlite3_finalize(st);
	return v;
}

/* ---- mapping ------------------------------------------------------------------------------- */

static bool ou_has(const struct auth_cert_info *in, const char *ou)
{
	for (unsigned i = 0; i < in->n_ou; i++)
		if (strcasecmp(in->ou[i], ou) == 0)
			return true;
	return false;
}

/* by name: the account named by the full UPN/e-mail, else by its local part */
static int byname_account(struct auth_db *db, const char names[][AUTH_CERT_NAME_LEN], unsigned n,
                          struct auth_account *a)
{
	for (unsigned i = 0; i < n; i++)
		if (auth_lookup(db, names[i], strlen(names[i]), a, NULL) == 0)
			return 0;
	for (unsigned i = 0; i < n; i++) {
		const char *at = strchr(names[i], '@');
		if (at && at > names[i] && auth_lookup(db, names[i], (size_t)(at - names[i]), a, NULL) == 0)
			return 0;
	}
	return -ENOENT;
}

static bool rule_matches(struct auth_db *db, const struct auth_certmap_rule *r,
                         const struct auth_cert_info *in, struct auth_account *a)
{
	switch (r->kind) {
	case AUTH_MAP_FINGERPRINT:
		if (!rp_ct_memeq(r->fingerprint, in->sha256, 32))
			return false;
		break;
	case AUTH_MAP_ISSUER_SUBJECT:
		if (!auth_dn_equal(r->issuer, in->issuer) || !auth_dn_equal(r->subject, in->subject))
			return false;
		break;
	case AUTH_MAP_ISSUER:
		if (!auth_dn_equal(r->issuer, in->issuer) || (r->o[0] && strcasecmp(r->o, in->o)) ||
		    (r->ou[0] && !ou_has(in, r->ou)))
			return false;
		break;
	case AUTH_MAP_BYNAME:
		return r->byname == AUTH_BYNAME_UPN ? byname_account(db, in->upn, in->n_upn, a) == 0
		                                    : byname_account(db, in->email, in->n_email, a) == 0;
	default:
		return false;
	}
	return auth_lookup(db, r->account, strlen(r->account), a, NULL) == 0;
}

struct map_walk {
	struct auth_db *db;
	const struct auth_cert_info *in;
	int best_level;
	struct auth_account acct;
	int64_t rule;
	int64_t other_rule; /* an equally specific rule naming another account */
	char other_account[64];
};

static int map_one(void *ctx, const struct auth_certmap_rule *r)
{
	struct map_walk *w = ctx;
	struct auth_account a;
	int lvl = auth_certmap_level(r);
	if (lvl < w->best_level || !rule_matches(w->db, r, w->in, &a))
		return 0;
	if (lvl > w->best_level) {
		w->best_level = lvl;
		w->acct = a;
		w->rule = r->id;
		w->other_rule = 0;
	} else if (a.id != w->acct.id && !w->other_rule) {
		w->other_rule = r->id;
		snprintf(w->other_account, sizeof w->other_account, "%s", a.name);
	}
	return 0;
}

static const char *right_name(int k)
{
	return k == AUTH_RIGHT_DENY ? "deny" : "allow";
}

/* the first right of kind naming the account or one of its groups: its id, 0 none, -EIO */
static int64_t right_hit(struct auth_db *db, int kind, int64_t aid, char *what, size_t wn)
{
	int64_t id = 0;
	sqlite3_stmt *st = auth_stmt(db, AUTH_ST_RIGHT, /* at every login */
	                             "SELECT r.id, ifnull(a.name,''), ifnull(g.name,'') FROM rights r "
	                             "LEFT JOIN accounts a ON a.id=r.account_id LEFT JOIN groups g ON "
	                             "g.id=r.group_id "
	                             "WHERE r.kind=?1 AND (r.account_id=?2 OR r.group_id IN ("
	                             "  SELECT group_id FROM accounts WHERE id=?2 AND group_id IS NOT NULL "
	                             "  UNION SELECT group_id FROM group_members WHERE account_id=?2)) "
	                             "ORDER BY r.id LIMIT 1");
	if (!st)
		return -EIO;
	sqlite3_bind_int(st, 1, kind);
	sqlite3_bind_int64(st, 2, aid);
	int s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		const char *an = (const char *)sqlite3_column_text(st, 1),
		           *gn = (const char *)sqlite3_column_text(st, 2);
		snprintf(what, wn, "#%lld (%s %s=%s)", (long long)id, right_name(kind),
		         an[0] ? "account" : "group", an[0] ? an : gn);
	} else if (s != SQLITE_DONE) {
		id = -EIO;
	}
	auth_stmt_done(st);
	return id;
}

static int rights_count(struct auth_db *db, int kind)
{
	int n = -EIO;
	sqlite3_stmt *st = auth_stmt(db, AUTH_ST_RIGHTS_COUNT, "SELECT count(*) FROM rights WHERE kind=?1");
	if (!st)
		return -EIO;
	sqlite3_bind_int(st, 1, kind);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	auth_stmt_done(st);
	return n;
}

static int done(struct auth_cert_res *res, int result)
{
	res->result = result;
	return 0;
}

int auth_rights_check(struct auth_db *db, int64_t account_id, int64_t *right_id, char *what, size_t wn)
{
	char dummy[1];
	int64_t id;
	if (!what || !wn) {
		what = dummy;
		wn = sizeof dummy;
	}
	what[0] = 0;
	if (right_id)
		*right_id = 0;
	if (!db)
		return AUTH_CERT_INTERNAL;
	if ((id = right_hit(db, AUTH_RIGHT_DENY, account_id, what, wn)) != 0) {
		if (id > 0 && right_id)
			*right_id = id;
		return id > 0 ? AUTH_CERT_DENIED : AUTH_CERT_INTERNAL;
	}
	int nallow = rights_count(db, AUTH_RIGHT_ALLOW);
	if (nallow <= 0)
		return nallow < 0 ? AUTH_CERT_INTERNAL : AUTH_CERT_OK;
	id = right_hit(db, AUTH_RIGHT_ALLOW, account_id, what, wn);
	if (id < 0)
		return AUTH_CERT_INTERNAL;
	if (!id) {
		snprintf(what, wn, "(%d allow right%s, none naming the account or its groups)", nallow,
		         nallow == 1 ? "" : "s");
		return AUTH_CERT_NOT_ALLOWED;
	}
	if (right_id)
		*right_id = id;
	return AUTH_CERT_OK;
}

int auth_cert_map(struct auth_db *db, const struct auth_cert_info *in, struct auth_cert_res *res)
{
	if (!db || !in || !res)
		return -EINVAL;
	memset(res, 0, sizeof *res);
	int on = auth_certmap_enabled(db);
	if (on < 0)
		return snprintf(res->detail, sizeof res->detail, "account store error"),
		       done(res, AUTH_CERT_INTERNAL);
	if (!on) {
		snprintf(res->detail, sizeof res->detail, "certificate to account mapping is off");
		return done(res, AUTH_CERT_OK);
	}
	struct map_walk w = {.db = db, .in = in};
	if (auth_certmap_list(db, map_one, &w))
		return snprintf(res->detail, sizeof res->detail, "account store error"),
		       done(res, AUTH_CERT_INTERNAL);
	if (!w.best_level) {
		char subj[200];
		snprintf(res->detail, sizeof res->detail, "no mapping rule matches subject \"%s\"",
		         rp_escs(in->subject, subj, sizeof subj));
		return done(res, AUTH_CERT_NOT_MAPPED);
	}
	res->rule_id = w.rule;
	if (w.other_rule) {
		snprintf(res->detail, sizeof res->detail,
		         "ambiguous mapping: rule #%lld -> %s, rule #%lld -> %s", (long long)w.rule,
		         w.acct.name, (long long)w.other_rule, w.other_account);
		return done(res, AUTH_CERT_AMBIGUOUS);
	}
	res->mapped = true;
	res->account_id = w.acct.id;
	snprintf(res->account, sizeof res->account, "%s", w.acct.name);
	if (!w.acct.enabled) {
		snprintf(res->detail, sizeof res->detail, "mapped by rule #%lld to disabled account %s",
		         (long long)w.rule, w.acct.name);
		return done(res, AUTH_CERT_ACCOUNT_DISABLED);
	}
	char what[160] = "";
	int64_t right = 0;
	int r = auth_rights_check(db, w.acct.id, &right, what, sizeof what);
	if (r == AUTH_CERT_DENIED) {
		res->right_id = right;
		snprintf(res->detail, sizeof res->detail, "account %s (rule #%lld) denied by right %s",
		         w.acct.name, (long long)w.rule, what);
		return done(res, r);
	}
	if (r == AUTH_CERT_NOT_ALLOWED) {
		snprintf(res->detail, sizeof res->detail,
		         "account %s (rule #%lld) is not in the allow network access list", w.acct.name,
		         (long long)w.rule);
		return done(res, r);
	}
	if (r != AUTH_CERT_OK)
		return done(res, AUTH_CERT_INTERNAL);
	snprintf(res->detail, sizeof res->detail, "mapped by rule #%lld to account %s", (long long)w.rule,
	         w.acct.name);
	return done(res, AUTH_CERT_OK);
}

static const char *id_type_str(int t)
{
	switch (t) {
	case AUTH_ID_IPV4_ADDR:
		return "IPV4_ADDR";
	case AUTH_ID_FQDN:
		return "FQDN";
	case AUTH_ID_USER_FQDN:
		return "USER_FQDN";
	case AUTH_ID_IPV6_ADDR:
		return "IPV6_ADDR";
	case AUTH_ID_DER_ASN1_DN:
		return "DER_ASN1_DN";
	}
	return "unsupported type";
}

static int authorize(struct auth_db *db, const struct auth_trust *t, const struct auth_der *chain, size_t n,
                     bool check_id, int id_type, const uint8_t *id, size_t id_len, int64_t now,
                     const char *ca, bool map, struct auth_cert_info *info, struct auth_cert_res *res)
{
	struct auth_cert_info local;
	if (!db || !t || !chain || !n || !res || (check_id && !id))
		return -EINVAL;
	if (!info)
		info = &local;
	memset(res, 0, sizeof *res);
	char why[256], subj[200]; /* the subject is the peer's text: escaped for the log line */
	int v = auth_cert_validate(t, chain, n, now, info, why, sizeof why);
	if (v < 0)
		return v;
	if (v != AUTH_CERT_OK) {
		snprintf(res->detail, sizeof res->detail, "certificate \"%s\" refused: %.150s",
		         rp_escs(info->subject, subj, 120), why);
		return done(res, v);
	}
	if (check_id && !auth_cert_id_match(info, id_type, id, id_len)) {
		snprintf(res->detail, sizeof res->detail, "ID (%s) does not match certificate \"%s\"",
		         id_type_str(id_type), rp_escs(info->subject, subj, sizeof subj));
		return done(res, AUTH_CERT_ID_MISMATCH);
	}
	if (ca && *ca && !auth_cert_from_ca(info, ca)) {
		char iss[200], want[200];
		snprintf(res->detail, sizeof res->detail,
		         "certificate \"%s\" is from \"%s\", the rule accepts only \"%s\"",
		         rp_escs(info->subject, subj, 100), rp_escs(info->anchor[0] ? info->anchor : info->issuer, iss, 100),
		         rp_escs(ca, want, 100));
		return done(res, AUTH_CERT_UNKNOWN_CA);
	}
	if (!map) {
		snprintf(res->detail, sizeof res->detail,
		         "accepted without mapping (the rule's certmaptoaccount=no)");
		return done(res, AUTH_CERT_OK);
	}
	return auth_cert_map(db, info, res);
}

int auth_cert_authorize(struct auth_db *db, const struct auth_trust *t, const struct auth_der *chain,
                        size_t n, int64_t now, struct auth_cert_info *info, struct auth_cert_res *res)
{
	return authorize(db, t, chain, n, false, 0, NULL, 0, now, NULL, true, info, res);
}

int auth_cert_authorize_id(struct auth_db *db, const struct auth_trust *t, const struct auth_der *chain,
                           size_t n, int id_type, const uint8_t *id, size_t id_len, int64_t now,
                           struct auth_cert_info *info, struct auth_cert_res *res)
{
	return authorize(db, t, chain, n, true, id_type, id, id_len, now, NULL, true, info, res);
}

int auth_cert_authorize_rule(struct auth_db *db, const struct auth_trust *t, const struct auth_der *chain,
                             size_t n, int id_type, const uint8_t *id, size_t id_len, int64_t now,
                             const char *ca, bool map, struct auth_cert_info *info, struct auth_cert_res *res)
{
	return authorize(db, t, chain, n, true, id_type, id, id_len, now, ca, map, info, res);
}

/* ---- groups -------------------------------------------------------------------------------- */

int auth_group_add(struct auth_db *db, const char *name)
{
	sqlite3_stmt *st;
	if (!auth_name_ok(name))
		return -EINVAL;
	if (sqlite3_prepare_v2(db->h, "INSERT INTO groups(name) VALUES(?1)", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int s = sqlite3_step(st);
	int ext = sqlite3_extended_errcode(db->h);
	sqlite3_finalize(st);
	return s == SQLITE_DONE ? 0 : ext == SQLITE_CONSTRAINT_UNIQUE ? -EEXIST : -EIO;
}

static int exec2(struct auth_db *db, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *st;
	if (!auth_name_ok(a) || (b && !auth_name_ok(b)))
		return -EINVAL;
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	int s = sqlite3_step(st);
	int ext = sqlite3_extended_errcode(db->h);
	sqlite3_finalize(st);
	if (s != SQLITE_DONE)
		return ext == SQLITE_CONSTRAINT_PRIMARYKEY || ext == SQLITE_CONSTRAINT_UNIQUE ? -EEXIST
		       : ext == SQLITE_CONSTRAINT_NOTNULL                                     ? -ENOENT
		                                                                              : -EIO;
	return sqlite3_changes(db->h) ? 0 : -ENOENT;
}

int auth_group_del(struct auth_db *db, const char *name)
{
	return exec2(db, "DELETE FROM groups WHERE name=?1", name, NULL);
}

int auth_group_member_add(struct auth_db *db, const char *group, const char *account)
{
	return exec2(
	    db,
	    "INSERT INTO group_members(group_id,account_id) SELECT g.id, a.id FROM groups g, accounts a "
	    "WHERE g.name=?1 AND a.name=?2",
	    group, account);
}

int auth_group_member_del(struct auth_db *db, const char *group, const char *account)
{
	return exec2(db,
	             "DELETE FROM group_members WHERE group_id=(SELECT id FROM groups WHERE name=?1) AND "
	             "account_id=(SELECT id FROM accounts WHERE name=?2)",
	             group, account);
}

int auth_group_list(struct auth_db *db, int (*fn)(void *ctx, const char *group, const char *members),
                    void *ctx)
{
	sqlite3_stmt *st;
	int s;
	if (sqlite3_prepare_v2(
	        db->h,
	        "SELECT g.name, ifnull((SELECT group_concat(name, ',') FROM (SELECT a.name FROM "
	        "accounts a WHERE a.group_id=g.id UNION SELECT a.name FROM group_members m JOIN "
	        "accounts a ON a.id=m.account_id WHERE m.group_id=g.id ORDER BY 1)),'') "
	        "FROM groups g ORDER BY g.name",
	        -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	while ((s = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(ctx, (const char *)sqlite3_column_text(st, 0),
		       (const char *)sqlite3_column_text(st, 1)))
			break;
	sqlite3_finalize(st);
	return s == SQLITE_ROW || s == SQLITE_DONE ? 0 : -EIO;
}

/* ---- rights -------------------------------------------------------------------------------- */

static int right_target(struct auth_db *db, const char *account, const char *group, int64_t *aid,
                        int64_t *gid)
{
	sqlite3_stmt *st;
	*aid = *gid = 0;
	if ((account != NULL) == (group != NULL))
		return -EINVAL;
	if (account)
		return account_id(db, account, aid);
	if (!auth_name_ok(group))
		return -EINVAL;
	if (sqlite3_prepare_v2(db->h, "SELECT id FROM groups WHERE name=?1", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st) == SQLITE_ROW ? (*gid = sqlite3_column_int64(st, 0), 0) : -ENOENT;
	sqlite3_finalize(st);
	return rc;
}

int64_t auth_right_add(struct auth_db *db, int right, const char *account, const char *group)
{
	int64_t aid, gid;
	sqlite3_stmt *st;
	if (right != AUTH_RIGHT_ALLOW && right != AUTH_RIGHT_DENY)
		return -EINVAL;
	int rc = right_target(db, account, group, &aid, &gid);
	if (rc)
		return rc;
	/* UNIQUE does not see NULLs as equal: look for the same right first */
	if (sqlite3_prepare_v2(db->h,
	                       "SELECT 1 FROM rights WHERE kind=?1 AND account_id IS ?2 AND group_id IS ?3",
	                       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int(st, 1, right);
	aid ? sqlite3_bind_int64(st, 2, aid) : sqlite3_bind_null(st, 2);
	gid ? sqlite3_bind_int64(st, 3, gid) : sqlite3_bind_null(st, 3);
	int dup = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (dup)
		return -EEXIST;
	if (sqlite3_prepare_v2(db->h, "INSERT INTO rights(kind,account_id,group_id) VALUES(?1,?2,?3)", -1,
	                       &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int(st, 1, right);
	aid ? sqlite3_bind_int64(st, 2, aid) : sqlite3_bind_null(st, 2);
	gid ? sqlite3_bind_int64(st, 3, gid) : sqlite3_bind_null(st, 3);
	int s = sqlite3_step(st);
	sqlite3_finalize(st);
	return s == SQLITE_DONE ? sqlite3_last_insert_rowid(db->h) : -EIO;
}

int auth_right_del(struct auth_db *db, int right, const char *account, const char *group)
{
	int64_t aid, gid;
	sqlite3_stmt *st;
	int rc = right_target(db, account, group, &aid, &gid);
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(db->h,
	                       "DELETE FROM rights WHERE kind=?1 AND account_id IS ?2 AND group_id IS ?3", -1,
	                       &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int(st, 1, right);
	aid ? sqlite3_bind_int64(st, 2, aid) : sqlite3_bind_null(st, 2);
	gid ? sqlite3_bind_int64(st, 3, gid) : sqlite3_bind_null(st, 3);
	int s = sqlite3_step(st);
	sqlite3_finalize(st);
	if (s != SQLITE_DONE)
		return -EIO;
	return sqlite3_changes(db->h) ? 0 : -ENOENT;
}

int auth_right_list(struct auth_db *db,
                    int (*fn)(void *ctx, int64_t id, int right, const char *account, const char *group),
                    void *ctx)
{
	sqlite3_stmt *st;
	int s;
	if (sqlite3_prepare_v2(
	        db->h,
	        "SELECT r.id, r.kind, a.name, g.name FROM rights r LEFT JOIN accounts a ON "
	        "a.id=r.account_id LEFT JOIN groups g ON g.id=r.group_id ORDER BY r.kind, r.id",
	        -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	while ((s = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(ctx, sqlite3_column_int64(st, 0), sqlite3_column_int(st, 1),
		       (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3)))
			break;
	sqlite3_finalize(st);
	return s == SQLITE_ROW || s == SQLITE_DONE ? 0 : -EIO;
}
