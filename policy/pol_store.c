/* Persistence of the persistent and local stores in the account store's SQLite file (tables
 * pol_*, created on first use; the accounts' schema version is not touched). A save rewrites
 * every policy row in one transaction, so a reader sees the old or the new policy, never half;
 * pol_meta's generation counts saves, for the daemon to notice a change cheaply. */
#include "pol_local.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "pol_store.h"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS pol_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT OR IGNORE INTO pol_meta(key,value) VALUES('generation','0');"
    "CREATE TABLE IF NOT EXISTS pol_filterlist(store INTEGER NOT NULL, name TEXT NOT NULL,"
    "  description TEXT NOT NULL DEFAULT '', PRIMARY KEY(store, name));"
    "CREATE TABLE IF NOT EXISTS pol_filter(store INTEGER NOT NULL, filterlist TEXT NOT NULL,"
    "  seq INTEGER NOT NULL, src_kind INTEGER NOT NULL, src_ip INTEGER NOT NULL, src_mask INTEGER NOT NULL,"
    "  src_name TEXT NOT NULL, dst_kind INTEGER NOT NULL, dst_ip INTEGER NOT NULL, dst_mask INTEGER NOT NULL,"
    "  dst_name TEXT NOT NULL, protocol INTEGER NOT NULL, srcport INTEGER NOT NULL, dstport INTEGER NOT NULL,"
    "  mirrored INTEGER NOT NULL, description TEXT NOT NULL DEFAULT '', PRIMARY KEY(store, filterlist, seq));"
    "CREATE TABLE IF NOT EXISTS pol_filteraction(store INTEGER NOT NULL, name TEXT NOT NULL,"
    "  description TEXT NOT NULL DEFAULT '', action INTEGER NOT NULL, qmsecmethods TEXT NOT NULL,"
    "  qmpfs INTEGER NOT NULL, inpass INTEGER NOT NULL, soft INTEGER NOT NULL, PRIMARY KEY(store, name));"
    "CREATE TABLE IF NOT EXISTS pol_policy(store INTEGER NOT NULL, name TEXT NOT NULL,"
    "  description TEXT NOT NULL DEFAULT '', assign INTEGER NOT NULL, mmsecmethods TEXT NOT NULL,"
    "  mmlifetime INTEGER NOT NULL, PRIMARY KEY(store, name));"
    "CREATE TABLE IF NOT EXISTS pol_rule(store INTEGER NOT NULL, seq INTEGER NOT NULL, name TEXT NOT NULL,"
    "  policy TEXT NOT NULL, filterlist TEXT NOT NULL, filteraction TEXT NOT NULL,"
    "  description TEXT NOT NULL DEFAULT '', activate INTEGER NOT NULL, conntype INTEGER NOT NULL,"
    "  grp TEXT NOT NULL, psk BLOB, rootca TEXT NOT NULL, certmap INTEGER NOT NULL,"
    "  PRIMARY KEY(store, policy, name));";

static int sql_fail(sqlite3 *h, const char *what, char *err, size_t n)
{
	snprintf(err, n, "policy store: %s: %s", what, sqlite3_errmsg(h));
	return -EIO;
}

int pol_store_init(struct auth_db *db, char *err, size_t n)
{
	sqlite3 *h = auth_db_sqlite(db);
	if (sqlite3_exec(h, schema, NULL, NULL, NULL) != SQLITE_OK)
		return sql_fail(h, "schema", err, n);
	return 0;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src);
}

static bool store_ok(int st)
{
	return st == POL_PERSISTENT || st == POL_LOCAL;
}

int pol_store_load(struct auth_db *db, struct pol_set *s, char *err, size_t n)
{
	sqlite3 *h = auth_db_sqlite(db);
	sqlite3_stmt *st = NULL;
	int rc;
	pol_set_clear_store(s, POL_PERSISTENT);
	pol_set_clear_store(s, POL_LOCAL);
	if (sqlite3_exec(h, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return sql_fail(h, "begin", err, n);
	rc = -EIO;
#define PREP(sql)                                                                                            \
	do {                                                                                                 \
		sqlite3_finalize(st);                                                                        \
		if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) {                                \
			sql_fail(h, "read", err, n);                                                         \
			goto out;                                                                            \
		}                                                                                            \
	} while (0)
	PREP("SELECT key, value FROM pol_meta");
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *k = col_text(st, 0), *v = col_text(st, 1);
		if (!strcmp(k, "location"))
			s->location = !strcmp(v, "persistent") ? POL_PERSISTENT : POL_LOCAL;
		else if (!strcmp(k, "bootmode"))
			s->bootmode = !strcmp(v, "block")    ? POL_BOOT_BLOCK
			              : !strcmp(v, "permit") ? POL_BOOT_PERMIT
			                                     : POL_BOOT_STATEFUL;
		else if (!strcmp(k, "bootexemptions")) {
			char why[128];
			if (pol_exempt_parse(v, s->exempt, POL_MAX_EXEMPT, &s->nexempt, why, sizeof why))
				s->nexempt = 0; /* written by us: cannot happen unless edited by hand */
		}
	}
	PREP("SELECT store, name, description FROM pol_filterlist ORDER BY rowid");
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct pol_filterlist l = {.store = sqlite3_column_int(st, 0)};
		if (!store_ok(l.store))
			continue;
		copy(l.name, sizeof l.name, col_text(st, 1));
		copy(l.desc, sizeof l.desc, col_text(st, 2));
		if (pol_set_append(s, POL_K_FILTERLIST, &l))
			goto out;
	}
	PREP("SELECT store, filterlist, src_kind, src_ip, src_mask, src_name, dst_kind, dst_ip, dst_mask, "
	     "dst_name,"
	     " protocol, srcport, dstport, mirrored, description FROM pol_filter ORDER BY store, filterlist, "
	     "seq");
	while (sqlite3_step(st) == SQLITE_ROW) {
		int sto = sqlite3_column_int(st, 0);
		const char *fln = col_text(st, 1);
		struct pol_filterlist *l = NULL;
		for (size_t i = 0; i < s->nfl && !l; i++)
			if ((int)s->fl[i].store == sto && !strcmp(s->fl[i].name, fln))
				l = &s->fl[i];
		if (!l)
			continue;
		struct pol_filter f = {0};
		f.src.kind = sqlite3_column_int(st, 2);
		f.src.ip = (uint32_t)sqlite3_column_int64(st, 3);
		f.src.mask = (uint32_t)sqlite3_column_int64(st, 4);
		copy(f.src.name, sizeof f.src.name, col_text(st, 5));
		f.dst.kind = sqlite3_column_int(st, 6);
		f.dst.ip = (uint32_t)sqlite3_column_int64(st, 7);
		f.dst.mask = (uint32_t)sqlite3_column_int64(st, 8);
		copy(f.dst.name, sizeof f.dst.name, col_text(st, 9));
		if ((unsigned)f.src.kind > POL_A_SRV_GATEWAY || (unsigned)f.dst.kind > POL_A_SRV_GATEWAY)
			continue;
		f.proto = (uint8_t)sqlite3_column_int(st, 10);
		f.srcport = (uint16_t)sqlite3_column_int(st, 11);
		f.dstport = (uint16_t)sqlite3_column_int(st, 12);
		f.mirrored = sqlite3_column_int(st, 13) != 0;
		copy(f.desc, sizeof f.desc, col_text(st, 14));
		if (pol_filter_append(l, &f))
			goto out;
	}
	PREP(
	    "SELECT store, name, description, action, qmsecmethods, qmpfs, inpass, soft FROM pol_filteraction"
	    " ORDER BY rowid");
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct pol_filteraction f = {.store = sqlite3_column_int(st, 0)};
		if (!store_ok(f.store))
			continue;
		copy(f.name, sizeof f.name, col_text(st, 1));
		copy(f.desc, sizeof f.desc, col_text(st, 2));
		f.action = sqlite3_column_int(st, 3);
		if ((unsigned)f.action > POL_NEGOTIATE)
			f.action = POL_BLOCK; /* an unknown action refuses: safer than letting through */
		copy(f.qmsec, sizeof f.qmsec, col_text(st, 4));
		f.qmpfs = sqlite3_column_int(st, 5);
		f.inpass = sqlite3_column_int(st, 6);
		f.soft = sqlite3_column_int(st, 7);
		if (pol_set_append(s, POL_K_FILTERACTION, &f))
			goto out;
	}
	PREP("SELECT store, name, description, assign, mmsecmethods, mmlifetime FROM pol_policy ORDER BY "
	     "rowid");
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct pol_policy p = {.store = sqlite3_column_int(st, 0)};
		if (!store_ok(p.store))
			continue;
		copy(p.name, sizeof p.name, col_text(st, 1));
		copy(p.desc, sizeof p.desc, col_text(st, 2));
		p.assign = sqlite3_column_int(st, 3);
		copy(p.mmsec, sizeof p.mmsec, col_text(st, 4));
		p.mmlifetime = (uint32_t)sqlite3_column_int64(st, 5);
		if (pol_set_append(s, POL_K_POLICY, &p))
			goto out;
	}
	PREP(
	    "SELECT store, name, policy, filterlist, filteraction, description, activate, conntype, grp, psk,"
	    " rootca, certmap FROM pol_rule ORDER BY store, seq");
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct pol_rule r = {.store = sqlite3_column_int(st, 0)};
		if (!store_ok(r.store))
			continue;
		copy(r.name, sizeof r.name, col_text(st, 1));
		copy(r.policy, sizeof r.policy, col_text(st, 2));
		copy(r.filterlist, sizeof r.filterlist, col_text(st, 3));
		copy(r.filteraction, sizeof r.filteraction, col_text(st, 4));
		copy(r.desc, sizeof r.desc, col_text(st, 5));
		r.activate = sqlite3_column_int(st, 6);
		r.conntype = sqlite3_column_int(st, 7);
		if ((unsigned)r.conntype > POL_CONN_DIALUP)
			r.conntype = POL_CONN_ALL;
		copy(r.group, sizeof r.group, col_text(st, 8));
		int pl = sqlite3_column_bytes(st, 9);
		if (sqlite3_column_type(st, 9) == SQLITE_BLOB && pl > 0 && (size_t)pl < sizeof r.psk) {
			memcpy(r.psk, sqlite3_column_blob(st, 9), (size_t)pl);
			r.has_psk = true;
		}
		copy(r.rootca, sizeof r.rootca, col_text(st, 10));
		r.certmap = sqlite3_column_int(st, 11);
		int arc = pol_set_append(s, POL_K_RULE, &r);
		rp_wipe(r.psk, sizeof r.psk);
		if (arc)
			goto out;
	}
	rc = 0;
out:
#undef PREP
	sqlite3_finalize(st);
	sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
	if (rc && !err[0])
		snprintf(err, n, "policy store: out of memory");
	return rc;
}

static int bind_step(sqlite3 *h, sqlite3_stmt *st)
{
	int s = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	(void)h;
	return s == SQLITE_DONE ? 0 : -EIO;
}

int pol_store_save(struct auth_db *db, const struct pol_set *s, char *err, size_t n)
{
	sqlite3 *h = auth_db_sqlite(db);
	sqlite3_stmt *st = NULL;
	int rc = pol_store_init(db, err, n);
	if (rc)
		return rc;
	if (sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return sql_fail(h, "begin", err, n);
	rc = -EIO;
	if (sqlite3_exec(h,
	                 "DELETE FROM pol_filterlist; DELETE FROM pol_filter; DELETE FROM pol_filteraction;"
	                 "DELETE FROM pol_policy; DELETE FROM pol_rule;"
	                 "UPDATE pol_meta SET value = CAST(value AS INTEGER) + 1 WHERE key='generation';",
	                 NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
#define PREP(sql)                                                                                            \
	do {                                                                                                 \
		sqlite3_finalize(st);                                                                        \
		if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)                                  \
			goto fail;                                                                           \
	} while (0)
	char ex[POL_MAX_EXEMPT * 32];
	PREP("INSERT OR REPLACE INTO pol_meta(key,value) VALUES(?1,?2)");
	const char *kv[3][2] = {{"location", pol_store_name(s->location)},
	                        {"bootmode", pol_bootmode_name(s->bootmode)},
	                        {"bootexemptions", pol_exempt_str(s->exempt, s->nexempt, ex, sizeof ex)}};
	for (int i = 0; i < 3; i++) {
		sqlite3_bind_text(st, 1, kv[i][0], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, kv[i][1], -1, SQLITE_STATIC);
		if (bind_step(h, st))
			goto fail;
	}
	PREP("INSERT INTO pol_filterlist(store,name,description) VALUES(?1,?2,?3)");
	for (size_t i = 0; i < s->nfl; i++) {
		if (!store_ok(s->fl[i].store))
			continue;
		sqlite3_bind_int(st, 1, s->fl[i].store);
		sqlite3_bind_text(st, 2, s->fl[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, s->fl[i].desc, -1, SQLITE_STATIC);
		if (bind_step(h, st))
			goto fail;
	}
	PREP("INSERT INTO pol_filter VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)");
	for (size_t i = 0; i < s->nfl; i++) {
		const struct pol_filterlist *l = &s->fl[i];
		if (!store_ok(l->store))
			continue;
		for (size_t k = 0; k < l->n; k++) {
			const struct pol_filter *f = &l->f[k];
			sqlite3_bind_int(st, 1, l->store);
			sqlite3_bind_text(st, 2, l->name, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 3, (int64_t)k);
			sqlite3_bind_int(st, 4, f->src.kind);
			sqlite3_bind_int64(st, 5, f->src.ip);
			sqlite3_bind_int64(st, 6, f->src.mask);
			sqlite3_bind_text(st, 7, f->src.name, -1, SQLITE_STATIC);
			sqlite3_bind_int(st, 8, f->dst.kind);
			sqlite3_bind_int64(st, 9, f->dst.ip);
			sqlite3_bind_int64(st, 10, f->dst.mask);
			sqlite3_bind_text(st, 11, f->dst.name, -1, SQLITE_STATIC);
			sqlite3_bind_int(st, 12, f->proto);
			sqlite3_bind_int(st, 13, f->srcport);
			sqlite3_bind_int(st, 14, f->dstport);
			sqlite3_bind_int(st, 15, f->mirrored);
			sqlite3_bind_text(st, 16, f->desc, -1, SQLITE_STATIC);
			if (bind_step(h, st))
				goto fail;
		}
	}
	PREP("INSERT INTO pol_filteraction VALUES(?1,?2,?3,?4,?5,?6,?7,?8)");
	for (size_t i = 0; i < s->nfa; i++) {
		const struct pol_filteraction *f = &s->fa[i];
		if (!store_ok(f->store))
			continue;
		sqlite3_bind_int(st, 1, f->store);
		sqlite3_bind_text(st, 2, f->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, f->desc, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, f->action);
		sqlite3_bind_text(st, 5, f->qmsec, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 6, f->qmpfs);
		sqlite3_bind_int(st, 7, f->inpass);
		sqlite3_bind_int(st, 8, f->soft);
		if (bind_step(h, st))
			goto fail;
	}
	PREP("INSERT INTO pol_policy VALUES(?1,?2,?3,?4,?5,?6)");
	for (size_t i = 0; i < s->npol; i++) {
		const struct pol_policy *p = &s->pol[i];
		if (!store_ok(p->store))
			continue;
		sqlite3_bind_int(st, 1, p->store);
		sqlite3_bind_text(st, 2, p->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, p->desc, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, p->assign);
		sqlite3_bind_text(st, 5, p->mmsec, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, p->mmlifetime);
		if (bind_step(h, st))
			goto fail;
	}
	PREP("INSERT INTO pol_rule VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)");
	for (size_t i = 0; i < s->nrule; i++) {
		const struct pol_rule *r = &s->rule[i];
		if (!store_ok(r->store))
			continue;
		sqlite3_bind_int(st, 1, r->store);
		sqlite3_bind_int64(st, 2, (int64_t)i);
		sqlite3_bind_text(st, 3, r->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, r->policy, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, r->filterlist, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, r->filteraction, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, r->desc, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 8, r->activate);
		sqlite3_bind_int(st, 9, r->conntype);
		sqlite3_bind_text(st, 10, r->group, -1, SQLITE_STATIC);
		if (r->has_psk)
			sqlite3_bind_blob(st, 11, r->psk, (int)strlen(r->psk), SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 11);
		sqlite3_bind_text(st, 12, r->rootca, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 13, r->certmap);
		if (bind_step(h, st))
			goto fail;
	}
#undef PREP
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_exec(h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	return 0;
fail:
	sql_fail(h, "write", err, n);
	sqlite3_finalize(st);
	sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
	return -EIO;
}

int pol_store_generation(struct auth_db *db, int64_t *gen)
{
	sqlite3 *h = auth_db_sqlite(db);
	sqlite3_stmt *st;
	int rc = -EIO;
	if (sqlite3_prepare_v2(h, "SELECT CAST(value AS INTEGER) FROM pol_meta WHERE key='generation'", -1,
	                       &st, NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*gen = sqlite3_column_int64(st, 0);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}
