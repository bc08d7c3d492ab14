/* Per-group split-tunnel settings (issue 16): the routes and DNS domain a group's members get in
 * the DHCPACK to their DHCPINFORM, stored as nullable columns of groups (schema 4; routes as the
 * normalised text "a.b.c.d/len ..."). A session gets the union of the routes of all its account's
 * groups (primary group first, then memberships by name, duplicates once, at most
 * AUTH_MAX_ROUTES) and the domain of the first of those groups that sets one. */
#include "auth_local.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One "a.b.c.d/len" into r (host bits cleared). 0 or -EINVAL. */
static int parse_route(const char *w, size_t n, struct auth_route *r)
{
	char buf[24], *end;
	if (n >= sizeof buf)
		return -EINVAL;
	memcpy(buf, w, n);
	buf[n] = 0;
	char *slash = strchr(buf, '/');
	if (!slash || !slash[1])
		return -EINVAL;
	*slash = 0;
	unsigned long len = strtoul(slash + 1, &end, 10);
	struct rp_addr a;
	if (*end || len > 32 || slash[1] < '0' || slash[1] > '9' || rp_addr_parse(&a, buf) || a.family != 4)
		return -EINVAL;
	r->len = (uint8_t)len;
	r->net = rp_get_u32(a.ip) & (len ? ~0u << (32 - len) : 0);
	return 0;
}

/* Appends the routes of text (space/comma separated) to the set, skipping those already in it.
 * -EINVAL on a malformed entry, -E2BIG past AUTH_MAX_ROUTES (strict: what is stored). */
static int add_routes(struct auth_net *o, const char *text, bool strict)
{
	const char *p = text;
	while (*p) {
		size_t skip = strspn(p, " ,\t"), n;
		p += skip;
		if (!*p)
			break;
		n = strcspn(p, " ,\t");
		struct auth_route r;
		if (parse_route(p, n, &r))
			return -EINVAL;
		p += n;
		bool dup = false;
		for (unsigned i = 0; i < o->nroutes && !dup; i++)
			dup = o->routes[i].net == r.net && o->routes[i].len == r.len;
		if (dup)
			continue;
		if (o->nroutes == AUTH_MAX_ROUTES) {
			if (strict)
				return -E2BIG;
			continue;
		}
		o->routes[o->nroutes++] = r;
	}
	return 0;
}

int auth_routes_format(const struct auth_net *n, char *out, size_t len)
{
	size_t used = 0;
	if (len)
		out[0] = 0;
	for (unsigned i = 0; i < n->nroutes; i++) {
		uint32_t a = n->routes[i].net;
		int k = snprintf(out + used, len - used, "%s%u.%u.%u.%u/%u", i ? " " : "", a >> 24,
		                 a >> 16 & 255, a >> 8 & 255, a & 255, n->routes[i].len);
		if (k < 0 || (size_t)k >= len - used)
			return -E2BIG;
		used += (size_t)k;
	}
	return 0;
}

static int set_col(struct auth_db *db, const char *group, const char *col, const char *v)
{
	char sql[96];
	snprintf(sql, sizeof sql, "UPDATE groups SET %s=?2 WHERE name=?1", col);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
	if (*v)
		sqlite3_bind_text(st, 2, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	int s = sqlite3_step(st);
	sqlite3_finalize(st);
	if (s != SQLITE_DONE)
		return -EIO;
	return sqlite3_changes(db->h) ? 0 : -ENOENT;
}

int auth_group_net_set(struct auth_db *db, const char *group, const char *routes, const char *domain)
{
	if (!auth_name_ok(group))
		return -EINVAL;
	char norm[AUTH_MAX_ROUTES * 20];
	if (routes) {
		struct auth_net n = {0};
		int rc = add_routes(&n, routes, true);
		if (rc)
			return rc;
		if (auth_routes_format(&n, norm, sizeof norm))
			return -E2BIG;
	}
	/* the DNS suffix of option 15: a name, not free text */
	if (domain) {
		size_t dl = strlen(domain);
		if (dl >= sizeof((struct auth_net *)0)->domain || strspn(domain, "abcdefghijklmnopqrstuvwxyz"
		                                                                 "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		                                                                 "0123456789.-_") != dl)
			return -EINVAL;
	}
	if (sqlite3_exec(db->h, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return -EIO;
	int rc = 0;
	if (routes)
		rc = set_col(db, group, "routes", norm);
	if (!rc && domain)
		rc = set_col(db, group, "domain", domain);
	if (!routes && !domain) /* nothing to change: the group must still exist */
		rc = set_col(db, group, "name", group);
	sqlite3_exec(db->h, rc ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
	return rc;
}

int auth_group_net_raw(struct auth_db *db, const char *group, char *routes, size_t rlen, char *domain,
                       size_t dlen)
{
	if (!auth_name_ok(group))
		return -EINVAL;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h, "SELECT routes, domain FROM groups WHERE name=?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
	int s = sqlite3_step(st), rc = s == SQLITE_ROW ? 0 : s == SQLITE_DONE ? -ENOENT : -EIO;
	if (!rc) {
		const unsigned char *r = sqlite3_column_text(st, 0), *d = sqlite3_column_text(st, 1);
		snprintf(routes, rlen, "%s", r ? (const char *)r : "");
		snprintf(domain, dlen, "%s", d ? (const char *)d : "");
	}
	sqlite3_finalize(st);
	return rc;
}

int auth_account_net(struct auth_db *db, const char *account, struct auth_net *out)
{
	memset(out, 0, sizeof *out);
	if (!auth_name_ok(account))
		return -EINVAL;
	/* the primary group (key 0), then the other memberships by name */
	static const char sql[] =
	    "SELECT 0, '', g.routes, g.domain FROM groups g JOIN accounts a ON g.id = a.group_id "
	    "WHERE a.name = ?1 "
	    "UNION ALL SELECT 1, g.name, g.routes, g.domain FROM groups g "
	    "JOIN group_members m ON m.group_id = g.id JOIN accounts a ON a.id = m.account_id "
	    "WHERE a.name = ?1 AND g.id IS NOT a.group_id ORDER BY 1, 2";
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *r = sqlite3_column_text(st, 2), *d = sqlite3_column_text(st, 3);
		if (r && *r) {
			out->have_routes = true;
			(void)add_routes(out, (const char *)r, false); /* stored normalised by us */
		}
		if (d && *d && !out->domain[0])
			snprintf(out->domain, sizeof out->domain, "%s", (const char *)d);
	}
	sqlite3_finalize(st);
	return s == SQLITE_DONE ? 0 : -EIO;
}
