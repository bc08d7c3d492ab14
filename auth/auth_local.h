/* auth private */
#ifndef RP_AUTH_LOCAL_H
#define RP_AUTH_LOCAL_H

#include "auth.h"

#include <sqlite3.h>

struct auth_db {
	sqlite3 *h;
	/* auth_lookup's statement, prepared once: preparing it for every login cost ~800
	 * allocations per connect (issue 17) */
	sqlite3_stmt *lookup;
};

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
