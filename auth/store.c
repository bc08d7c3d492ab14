/* The account store: one SQLite file, schema versioned with PRAGMA user_version. */
#include "auth_local.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define AUTH_SCHEMA_VERSION 4

/* Migrations by version: entry i brings the schema from version i to i+1. */
static const char *const migrations[] = {
    "CREATE TABLE groups(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
    "CREATE TABLE accounts("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  enabled INTEGER NOT NULL DEFAULT 1,"
    "  group_id INTEGER REFERENCES groups(id) ON DELETE SET NULL,"
    "  methods INTEGER NOT NULL,"
    "  nt_hash BLOB NOT NULL CHECK(length(nt_hash) = 16),"
    "  cleartext BLOB," /* only when the admin allows CHAP-MD5 for this account */
    "  static_ip INTEGER NOT NULL DEFAULT 0,"
    "  created INTEGER NOT NULL DEFAULT (strftime('%s','now')));",
    /* 2: certificate-to-account mapping, its switch, group membership beyond the primary group,
     * network access rights (certmap.c) */
    "CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT INTO settings(key,value) VALUES('certmap_enabled','1');"
    "CREATE TABLE group_members("
    "  group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"
    "  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
    "  PRIMARY KEY(group_id, account_id));"
    "CREATE TABLE certmap("
    "  id INTEGER PRIMARY KEY,"
    "  kind INTEGER NOT NULL,"
    "  fingerprint BLOB,"
    "  issuer TEXT NOT NULL DEFAULT '',"
    "  subject TEXT NOT NULL DEFAULT '',"
    "  o TEXT NOT NULL DEFAULT '',"
    "  ou TEXT NOT NULL DEFAULT '',"
    "  byname INTEGER NOT NULL DEFAULT 0,"
    "  account_id INTEGER REFERENCES accounts(id) ON DELETE CASCADE,"
    "  UNIQUE(kind, fingerprint, issuer, subject, o, ou, byname, account_id));"
    "CREATE TABLE rights("
    "  id INTEGER PRIMARY KEY,"
    "  kind INTEGER NOT NULL CHECK(kind IN (1,2)),"
    "  account_id INTEGER REFERENCES accounts(id) ON DELETE CASCADE,"
    "  group_id INTEGER REFERENCES groups(id) ON DELETE CASCADE,"
    "  CHECK((account_id IS NULL) <> (group_id IS NULL)),"
    "  UNIQUE(kind, account_id, group_id));",
    /* 3: per-account and per-group limits (limits.c); NULL = not set here */
    "ALTER TABLE accounts ADD COLUMN max_sessions INTEGER;"
    "ALTER TABLE accounts ADD COLUMN rate_in INTEGER;"
    "ALTER TABLE accounts ADD COLUMN rate_out INTEGER;"
    "ALTER TABLE accounts ADD COLUMN idle INTEGER;"
    "ALTER TABLE groups ADD COLUMN max_sessions INTEGER;"
    "ALTER TABLE groups ADD COLUMN rate_in INTEGER;"
    "ALTER TABLE groups ADD COLUMN rate_out INTEGER;"
    "ALTER TABLE groups ADD COLUMN idle INTEGER;",
    /* 4: per-group split-tunnel routes and DNS domain for DHCPINFORM answers (netcfg.c) */
    ("ALTER TABLE groups ADD COLUMN routes TEXT;"
     "ALTER TABLE groups ADD COLUMN domain TEXT;"),
};

static void set_err(char *err, size_t n, const char *what, sqlite3 *h)
{
	if (err && n)
		snprintf(err, n, "%s: %s", what, h ? sqlite3_errmsg(h) : "out of memory");
}

struct auth_db *auth_db_open_file(const char *path, char *err, size_t errlen)
{
	struct auth_db *db = calloc(1, sizeof *db);
	sqlite3_stmt *st = NULL;
	int ver = -1;
	if (!db)
		return NULL;
	if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		set_err(err, errlen, path, db->h);
		goto fail;
	}
	sqlite3_busy_timeout(db->h, AUTH_DB_BUSY_MS);
	sqlite3_exec(db->h, "PRAGMA foreign_keys=ON;", NULL, NULL, NULL);
	/* Write-ahead logging (issue 12): rampartd's lookups read the last commit while rampartctl
	 * writes, instead of waiting up to the busy timeout for it, and a SIGKILL mid-write loses
	 * nothing committed. The mode is kept in the file; where it cannot be set (a read-only
	 * directory) the rollback journal stays. SQLite running as root gives the -wal and -shm files
	 * it creates the store's owner, so rampartctl as root leaves them usable by the service. */
	sqlite3_exec(db->h, "PRAGMA journal_mode=WAL;", NULL, NULL, NULL);
	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		ver = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (ver < 0 || ver > AUTH_SCHEMA_VERSION) {
		if (err && errlen)
			snprintf(err, errlen, "%s: schema version %d not supported (max %d)", path, ver,
			         AUTH_SCHEMA_VERSION);
		goto fail;
	}
	for (; ver < AUTH_SCHEMA_VERSION; ver++) {
		char sql[64];
		snprintf(sql, sizeof sql, "PRAGMA user_version=%d;", ver + 1);
		if (sqlite3_exec(db->h, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db->h, migrations[ver], NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			set_err(err, errlen, "schema migration", db->h);
			sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
			goto fail;
		}
	}
	return db;
fail:
	auth_db_close(db);
	return NULL;
}

struct auth_db *auth_db_open(const char *state_dir, char *err, size_t errlen)
{
	char path[4096];
	if ((size_t)snprintf(path, sizeof path, "%s/accounts.db", state_dir) >= sizeof path) {
		if (err && errlen)
			snprintf(err, errlen, "state directory path too long");
		return NULL;
	}
	/* NT hashes are password equivalents for MS-CHAPv2, and whoever can write the store can add
	 * an account or lift a deny right: a directory or store others could have changed is
	 * refused, not silently repaired, as is a store everyone could have read. */
	char why[4200];
	int rc = rp_path_private(state_dir, RP_MODE_DIR | RP_MODE_NO_GROUP_WRITE, why, sizeof why);
	if (rc == 0)
		rc = rp_path_private(path, RP_MODE_NO_GROUP_WRITE | RP_MODE_NO_OTHER_READ, why, sizeof why);
	if (rc == -ENOENT) {
		/* a new store: created 0600 before SQLite opens it (its journal takes the same mode) */
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0) {
			close(fd);
			rc = 0;
		} else if (errno == EEXIST) {
			rc = rp_path_private(path, RP_MODE_NO_GROUP_WRITE | RP_MODE_NO_OTHER_READ, why,
			                     sizeof why);
		} else {
			snprintf(why, sizeof why, "cannot create %s: %s", path, strerror(errno));
			rc = -EIO;
		}
	}
	if (rc) {
		if (err && errlen)
			snprintf(err, errlen, "%s", why[0] ? why : "state directory missing");
		return NULL;
	}
	return auth_db_open_file(path, err, errlen);
}

void auth_db_close(struct auth_db *db)
{
	if (!db)
		return;
	for (int i = 0; i < AUTH_ST_N; i++)
		sqlite3_finalize(db->st[i]);
	sqlite3_close(db->h);
	free(db);
}

struct sqlite3 *auth_db_sqlite(struct auth_db *db)
{
	return db->h;
}

sqlite3_stmt *auth_stmt(struct auth_db *db, enum auth_st slot, const char *sql)
{
	if (!db->st[slot] &&
	    sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &db->st[slot], NULL) != SQLITE_OK)
		db->st[slot] = NULL;
	return db->st[slot];
}

void auth_stmt_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

int auth_db_batch(struct auth_db *db, bool begin)
{
	return sqlite3_exec(db->h, begin ? "BEGIN" : "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

int auth_db_schema_version(struct auth_db *db)
{
	sqlite3_stmt *st;
	int v = -1;
	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

bool auth_name_ok(const char *n)
{
	size_t l = n ? strlen(n) : 0;
	if (l == 0 || l > 63)
		return false;
	for (size_t i = 0; i < l; i++)
		if ((unsigned char)n[i] < 0x20 || n[i] == 0x7f)
			return false;
	return true;
}

int auth_group_id(struct auth_db *db, const char *group, int64_t *id)
{
	sqlite3_stmt *st;
	int rc = -EIO;
	*id = 0;
	if (!group)
		return 0;
	if (!auth_name_ok(group))
		return -EINVAL;
	if (sqlite3_prepare_v2(db->h, "INSERT OR IGNORE INTO groups(name) VALUES(?1)", -1, &st, NULL) !=
	    SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
	int s = sqlite3_step(st);
	sqlite3_finalize(st);
	if (s != SQLITE_DONE)
		return -EIO;
	if (sqlite3_prepare_v2(db->h, "SELECT id FROM groups WHERE name=?1", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

int auth_account_add(struct auth_db *db, const char *name, const char *password,
                     const struct auth_account_opts *opts)
{
	static const struct auth_account_opts defaults;
	uint8_t h[16];
	int64_t gid;
	sqlite3_stmt *st;
	int rc;
	if (!opts)
		opts = &defaults;
	if (!auth_name_ok(name) || !password || auth_nt_hash(password, strlen(password), h))
		return -EINVAL;
	if ((rc = auth_group_id(db, opts->group, &gid)))
		return rc;
	if (sqlite3_prepare_v2(db->h,
	                       "INSERT INTO accounts(name,enabled,group_id,methods,nt_hash,cleartext,"
	                       "static_ip) VALUES(?1,?2,?3,?4,?5,?6,?7)",
	                       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, !opts->disabled);
	if (gid)
		sqlite3_bind_int64(st, 3, gid);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_int(st, 4, (int)(opts->methods ? opts->methods : AUTH_M_DEFAULT));
	sqlite3_bind_blob(st, 5, h, 16, SQLITE_TRANSIENT);
	if (opts->store_cleartext)
		sqlite3_bind_blob(st, 6, password, (int)strlen(password), SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 6);
	sqlite3_bind_int64(st, 7, opts->static_ip);
	int s = sqlite3_step(st);
	rc = s == SQLITE_DONE                                              ? 0
	     : sqlite3_extended_errcode(db->h) == SQLITE_CONSTRAINT_UNIQUE ? -EEXIST
	                                                                   : -EIO;
	sqlite3_finalize(st);
	rp_wipe(h, sizeof h);
	return rc;
}

static int exec_name(struct auth_db *db, const char *sql, const char *name, int64_t a, bool bind_a)
{
	sqlite3_stmt *st;
	if (!auth_name_ok(name))
		return -EINVAL;
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (bind_a)
		sqlite3_bind_int64(st, 2, a);
	int s = sqlite3_step(st);
	sqlite3_finalize(st);
	if (s != SQLITE_DONE)
		return -EIO;
	return sqlite3_changes(db->h) ? 0 : -ENOENT;
}

int auth_account_del(struct auth_db *db, const char *name)
{
	return exec_name(db, "DELETE FROM accounts WHERE name=?1", name, 0, false);
}

int auth_account_set_enabled(struct auth_db *db, const char *name, bool enabled)
{
	return exec_name(db, "UPDATE accounts SET enabled=?2 WHERE name=?1", name, enabled, true);
}

int auth_account_set_methods(struct auth_db *db, const char *name, unsigned methods)
{
	if (!methods || (methods & ~(unsigned)(AUTH_M_PAP | AUTH_M_CHAP_MD5 | AUTH_M_MSCHAPV2)))
		return -EINVAL;
	return exec_name(db, "UPDATE accounts SET methods=?2 WHERE name=?1", name, methods, true);
}

int auth_account_set_static_ip(struct auth_db *db, const char *name, uint32_t ip)
{
	return exec_name(db, "UPDATE accounts SET static_ip=?2 WHERE name=?1", name, ip, true);
}

int auth_account_set_group(struct auth_db *db, const char *name, const char *group)
{
	int64_t gid;
	int rc = auth_group_id(db, group, &gid);
	if (rc)
		return rc;
	if (!gid)
		return exec_name(db, "UPDATE accounts SET group_id=NULL WHERE name=?1", name, 0, false);
	return exec_name(db, "UPDATE accounts SET group_id=?2 WHERE name=?1", name, gid, true);
}

int auth_account_passwd(struct auth_db *db, const char *name, const char *password, bool store_cleartext)
{
	uint8_t h[16];
	sqlite3_stmt *st;
	if (!auth_name_ok(name) || !password || auth_nt_hash(password, strlen(password), h))
		return -EINVAL;
	if (sqlite3_prepare_v2(db->h, "UPDATE accounts SET nt_hash=?2, cleartext=?3 WHERE name=?1", -1, &st,
	                       NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, h, 16, SQLITE_TRANSIENT);
	if (store_cleartext)
		sqlite3_bind_blob(st, 3, password, (int)strlen(password), SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 3);
	int s = sqlite3_step(st);
	sqlite3_finalize(st);
	rp_wipe(h, sizeof h);
	if (s != SQLITE_DONE)
		return -EIO;
	return sqlite3_changes(db->h) ? 0 : -ENOENT;
}

#define ACCOUNT_COLS                                                                                         \
	"SELECT a.id, a.name, ifnull(g.name,''), a.enabled, a.methods, a.static_ip, "                        \
	"a.cleartext IS NOT NULL, a.nt_hash, a.cleartext FROM accounts a "                                   \
	"LEFT JOIN groups g ON g.id = a.group_id "

static void row_account(sqlite3_stmt *st, struct auth_account *a)
{
	memset(a, 0, sizeof *a);
	a->id = sqlite3_column_int64(st, 0);
	snprintf(a->name, sizeof a->name, "%s", (const char *)sqlite3_column_text(st, 1));
	snprintf(a->group, sizeof a->group, "%s", (const char *)sqlite3_column_text(st, 2));
	a->enabled = sqlite3_column_int(st, 3);
	a->methods = (unsigned)sqlite3_column_int(st, 4);
	a->static_ip = (uint32_t)sqlite3_column_int64(st, 5);
	a->has_cleartext = sqlite3_column_int(st, 6);
}

int auth_lookup(struct auth_db *db, const char *name, size_t nlen, struct auth_account *a,
                struct auth_secret *sec)
{
	int rc = -ENOENT;
	sqlite3_stmt *st = auth_stmt(db, AUTH_ST_LOOKUP, ACCOUNT_COLS "WHERE a.name=?1");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, (int)nlen, SQLITE_STATIC);
	int s = sqlite3_step(st);
	/* only "no row" means no such account: a store that stayed locked past the busy timeout (or
	 * failed) is an error, or an existing user would be told "unknown user" */
	if (s != SQLITE_ROW && s != SQLITE_DONE)
		rc = s == SQLITE_BUSY || s == SQLITE_LOCKED ? -EBUSY : -EIO;
	if (s == SQLITE_ROW) {
		row_account(st, a);
		if (sec) {
			memset(sec, 0, sizeof *sec);
			if (sqlite3_column_bytes(st, 7) == 16)
				memcpy(sec->nt_hash, sqlite3_column_blob(st, 7), 16);
			int cl = sqlite3_column_bytes(st, 8);
			if (a->has_cleartext && cl > 0 && (size_t)cl <= sizeof sec->cleartext) {
				memcpy(sec->cleartext, sqlite3_column_blob(st, 8), (size_t)cl);
				sec->cleartext_len = (size_t)cl;
			}
		}
		rc = 0;
	}
	auth_stmt_done(st);
	return rc;
}

int auth_account_get(struct auth_db *db, const char *name, struct auth_account *out)
{
	if (!auth_name_ok(name))
		return -EINVAL;
	return auth_lookup(db, name, strlen(name), out, NULL);
}

int auth_account_list(struct auth_db *db, int (*fn)(void *ctx, const struct auth_account *a), void *ctx)
{
	sqlite3_stmt *st;
	struct auth_account a;
	int s;
	if (sqlite3_prepare_v2(db->h, ACCOUNT_COLS "ORDER BY a.name", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		row_account(st, &a);
		if (fn(ctx, &a))
			break;
	}
	sqlite3_finalize(st);
	return s == SQLITE_ROW || s == SQLITE_DONE ? 0 : -EIO;
}
