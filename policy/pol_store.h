/* The policy's persistent and local stores in the account store's SQLite file (pol_store.c). */
#ifndef RP_POL_STORE_H
#define RP_POL_STORE_H
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

struct auth_db;
/* Creates the pol_* tables when missing. 0 or -EIO with the reason. */
int pol_store_init(struct auth_db *db, char *err, size_t n);
/* Replaces s's persistent and local objects, location, boot mode and exemptions with the store's
 * (set up once with pol_store_init: a read, so the daemon's reload never waits for a writer's
 * lock as the schema's INSERT OR IGNORE would). */
int pol_store_load(struct auth_db *db, struct pol_set *s, char *err, size_t n);
/* Writes s's persistent and local objects and its settings in one transaction. */
int pol_store_save(struct auth_db *db, const struct pol_set *s, char *err, size_t n);
/* A counter every save increments: the daemon reloads when it moves. */
int pol_store_generation(struct auth_db *db, int64_t *gen);
#endif
