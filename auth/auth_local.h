/* auth private */
#ifndef RP_AUTH_LOCAL_H
#define RP_AUTH_LOCAL_H

#include "auth.h"

#include <sqlite3.h>

/* Statements every login runs, prepared once per store (auth_stmt): preparing them for every
 * login cost ~800 allocations per connect (issue 17). */
enum auth_st { AUTH_ST_LOOKUP, AUTH_ST_LIMITS, AUTH_ST_RIGHT, AUTH_ST_RIGHTS_COUNT, AUTH_ST_N };

struct auth_db {
	sqlite3 *h;
	sqlite3_stmt *st[AUTH_ST_N];
};

/* The cached statement for slot (sql the same every call), NULL on error; auth_stmt_done
 * resets it and clears its bindings after use. */
sqlite3_stmt *auth_stmt(struct auth_db *db, enum auth_st slot, const char *sql);
void auth_stmt_done(sqlite3_stmt *st);

/* what verification needs; wiped after use */
struct auth_secret {
	uint8_t nt_hash[16];
	uint8_t cleartext[256];
	size_t cleartext_len;
};

int auth_lookup(struct auth_db *db, const char *name, size_t nlen, struct auth_account *a,
                struct auth_secret *sec);
bool auth_name_ok(const char *n);
/* the id of group (created on demand); 0 for NULL */
int auth_group_id(struct auth_db *db, const char *group, int64_t *id);
const char *auth_strip_domain(const char *user, size_t *ulen);

#endif
