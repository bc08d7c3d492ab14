/* Per-account and per-group limits (issue 16): max_sessions, a rate per direction and an idle
 * timeout, stored as nullable columns of accounts and groups (schema 3). An account's own value
 * wins, 0 included (explicitly unlimited); else the most restrictive non-zero value among its
 * groups, primary and memberships, so adding someone to a limited group cannot lift a limit. */
#include "auth_local.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const cols[AUTH_LIMIT_N] = {"max_sessions", "rate_in", "rate_out", "idle"};

const char *auth_limit_name(int which)
{
	return which >= 0 && which < AUTH_LIMIT_N ? cols[which] : "?";
}

int auth_limit_set(struct auth_db *db, bool group, const char *name, int which, int64_t value)
{
	if (which < 0 || which >= AUTH_LIMIT_N || !auth_name_ok(name) || value > UINT32_MAX)
		return -EINVAL;
	char sql[128];
	/* the column name is from the table above, never from the caller */
	snprintf(sql, sizeof sql, "UPDATE %s SET %s=?2 WHERE name=?1", group ? "groups" : "accounts",
	         cols[which]);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (value < 0)
		sqlite3_bind_null(st, 2);
	else
		sqlite3_bind_int64(st, 2, value);
	int s = sqlite3_step(st);
	sqlite3_finalize(st);
	if (s != SQLITE_DONE)
		return -EIO;
	return sqlite3_changes(db->h) ? 0 : -ENOENT;
}

int auth_limits_raw(struct auth_db *db, bool group, const char *name, int64_t out[AUTH_LIMIT_N])
{
	if (!auth_name_ok(name))
		return -EINVAL;
	char sql[160];
	snprintf(sql, sizeof sql, "SELECT %s,%s,%s,%s FROM %s WHERE name=?1", cols[0], cols[1], cols[2],
	         cols[3], group ? "groups" : "accounts");
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int s = sqlite3_step(st), rc = s == SQLITE_ROW ? 0 : s == SQLITE_DONE ? -ENOENT : -EIO;
	for (int i = 0; i < AUTH_LIMIT_N && !rc; i++)
		out[i] = sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, i);
	sqlite3_finalize(st);
	return rc;
}

/* one column: the account's value, else min over its groups of the non-zero values, else 0 */
#define EFF(c)                                                                                               \
	"coalesce((SELECT " c " FROM accounts WHERE id=?1), (SELECT min(nullif(" c                           \
	", 0)) FROM groups WHERE id IN (SELECT group_id FROM accounts WHERE id=?1 UNION SELECT group_id "    \
	"FROM group_members WHERE account_id=?1)), 0)"

int auth_limits_get(struct auth_db *db, int64_t account_id, struct auth_limits *out)
{
	static const char sql[] =
	    "SELECT " EFF("max_sessions") "," EFF("rate_in") "," EFF("rate_out") "," EFF("idle");
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = auth_stmt(db, AUTH_ST_LIMITS, sql); /* at every login */
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, account_id);
	int s = sqlite3_step(st);
	for (int i = 0; i < AUTH_LIMIT_N && s == SQLITE_ROW; i++) {
		int64_t v = sqlite3_column_int64(st, i);
		out->v[i] = v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	}
	auth_stmt_done(st);
	return s == SQLITE_ROW ? 0 : -EIO;
}
