/* rampartctl account|group|certmap|right ...: edit the SQLite account store directly. SQLite serialises
 * writers, and rampartd reads the store at each authentication, so a change counts from the next login
 * without a restart or a daemon round trip. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "auth.h"
#include "conf.h"
#include "ctl_account.h"

#define LIMITS_HELP                                                                                          \
	"  LIMIT: max_sessions=N  rate=KBIT[/KBIT] (from/to the client, kbit/s)  idle=SECONDS;\n"            \
	"    0 = no limit, an empty value = unset (an account then takes the strictest of its groups)\n"

static int usage(void)
{
	fprintf(stderr,
	        "usage: rampartctl account [-d STATE_DIR] add-many PATTERN(%%d) FIRST COUNT PASSWORD|-\n"
	        "       rampartctl account [-d STATE_DIR] add NAME PASSWORD|- [group=G] [ip=A.B.C.D] "
	        "[cleartext]\n"
	        "       rampartctl account [-d STATE_DIR] set NAME [ip=A.B.C.D|ip=] [group=G|group=] "
	        "[password=PASSWORD|-] [LIMIT]...\n"
	        "       rampartctl account [-d STATE_DIR] del NAME [--now] | list | passwd NAME PASSWORD|-\n"
	        "       rampartctl account [-d STATE_DIR] enable NAME | disable NAME [--now]\n"
	        "  PASSWORD '-' reads it from standard input (keeps it out of the process list)\n"
	        "  --now also ends the account's live sessions (rampartctl disconnect account=NAME)\n"
	        "  ip= is checked against [server] tun_address of $RAMPART_CONF (else "
	        "/etc/rampart/rampart.conf)\n" LIMITS_HELP);
	return 2;
}

static const char *password_arg(const char *a, char *buf, size_t n);
static int result(int rc, const char *what, const char *name);

enum { LIM_KEEP = -2 };

static int lim_num(const char *s, int64_t *v)
{
	char *e;
	if (!*s) {
		*v = -1; /* unset */
		return 0;
	}
	long long x = strtoll(s, &e, 10);
	if (e == s || *e || x < 0 || x > UINT32_MAX)
		return -1;
	*v = x;
	return 0;
}

/* A LIMIT word into v (entries left LIM_KEEP are not changed): 1 when it was one, -1 when it
 * was one but malformed, 0 when it is something else. */
static int limit_arg(const char *a, int64_t v[AUTH_LIMIT_N])
{
	if (!strncmp(a, "max_sessions=", 13))
		return lim_num(a + 13, &v[AUTH_LIMIT_MAX_SESSIONS]) ? -1 : 1;
	if (!strncmp(a, "idle=", 5))
		return lim_num(a + 5, &v[AUTH_LIMIT_IDLE]) ? -1 : 1;
	if (strncmp(a, "rate=", 5))
		return 0;
	char in[24], *out;
	if (snprintf(in, sizeof in, "%s", a + 5) >= (int)sizeof in)
		return -1;
	if ((out = strchr(in, '/')))
		*out++ = 0;
	if (lim_num(in, &v[AUTH_LIMIT_RATE_IN]) || lim_num(out ? out : in, &v[AUTH_LIMIT_RATE_OUT]))
		return -1;
	return 1;
}

static int limits_apply(struct auth_db *db, bool group, const char *name, const int64_t v[AUTH_LIMIT_N])
{
	for (int i = 0; i < AUTH_LIMIT_N; i++)
		if (v[i] != LIM_KEEP && auth_limit_set(db, group, name, i, v[i]))
			return result(-EIO, "set limits", name);
	return 0;
}

/* " max_sessions=2 rate=1000/- idle=600" for what is set; "" when nothing is */
static void limits_str(struct auth_db *db, bool group, const char *name, char *out, size_t n)
{
	int64_t v[AUTH_LIMIT_N];
	out[0] = 0;
	if (auth_limits_raw(db, group, name, v))
		return;
	char r[2][24];
	for (int k = 0; k < 2; k++)
		if (v[AUTH_LIMIT_RATE_IN + k] < 0)
			snprintf(r[k], sizeof r[k], "-");
		else
			snprintf(r[k], sizeof r[k], "%lld", (long long)v[AUTH_LIMIT_RATE_IN + k]);
	size_t l = 0;
	if (v[AUTH_LIMIT_MAX_SESSIONS] >= 0)
		l += (size_t)snprintf(out + l, n - l, " max_sessions=%lld",
		                      (long long)v[AUTH_LIMIT_MAX_SESSIONS]);
	if (l < n && (v[AUTH_LIMIT_RATE_IN] >= 0 || v[AUTH_LIMIT_RATE_OUT] >= 0))
		l += (size_t)snprintf(out + l, n - l, " rate=%s/%s", r[0], r[1]);
	if (l < n && v[AUTH_LIMIT_IDLE] >= 0)
		snprintf(out + l, n - l, " idle=%lld", (long long)v[AUTH_LIMIT_IDLE]);
}

/* "--now" as the last word: removed, true. */
static bool take_now(int *argc, char **argv)
{
	if (*argc < 1 || strcmp(argv[*argc - 1], "--now"))
		return false;
	(*argc)--;
	return true;
}

/* After a change that ends someone's right to be connected: ask rampartd to end what runs. */
static int end_now(const char *what)
{
	char arg[128];
	snprintf(arg, sizeof arg, "%s", what);
	char *req[] = {"disconnect", arg};
	int rc = ctl_daemon(2, req);
	if (rc == 1)
		return 0; /* nothing was connected: the change alone is what was asked */
	if (rc == 2)
		fprintf(stderr, "rampartctl: the change is stored, but rampartd could not be asked to end "
		                "the sessions\n");
	return rc;
}

struct ip_owner {
	uint32_t ip;
	const char *except;
	char owner[64];
};

static int find_owner(void *ctx, const struct auth_account *a)
{
	struct ip_owner *o = ctx;
	if (a->static_ip == o->ip && strcmp(a->name, o->except)) {
		snprintf(o->owner, sizeof o->owner, "%s", a->name);
		return 1;
	}
	return 0;
}

/* A static address must be inside the tunnel subnet (else the TUN route does not reach it), not
 * the server's own, the subnet's network or broadcast address, nor another account's. */
static int check_static_ip(struct auth_db *db, const char *name, uint32_t ip)
{
	char ipstr[INET_ADDRSTRLEN];
	uint32_t be = htonl(ip);
	inet_ntop(AF_INET, &be, ipstr, sizeof ipstr);
	struct ip_owner o = {.ip = ip, .except = name};
	if (auth_account_list(db, find_owner, &o) < 0 || o.owner[0]) {
		fprintf(stderr, "rampartctl: ip=%s is already the static address of account %s\n", ipstr,
		        o.owner[0] ? o.owner : "?");
		return 1;
	}
	const char *path = getenv("RAMPART_CONF") ? getenv("RAMPART_CONF") : "/etc/rampart/rampart.conf";
	char err[512];
	struct conf *c = NULL;
	FILE *f = fopen(path, "r");
	if (f) {
		char buf[65536];
		size_t n = fread(buf, 1, sizeof buf, f);
		fclose(f);
		c = conf_parse_buffer(path, buf, n, err, sizeof err);
		rp_wipe(buf, sizeof buf);
	} else {
		snprintf(err, sizeof err, "%s: %s", path, strerror(errno));
	}
	if (!c) {
		fprintf(stderr,
		        "rampartctl: warning: ip=%s not checked against the tunnel subnet (%s; set "
		        "RAMPART_CONF)\n",
		        ipstr, err);
		return 0;
	}
	uint32_t tun = rp_get_u32(c->tun_addr.ip), mask = c->tun_prefix ? ~0u << (32 - c->tun_prefix) : 0;
	const char *why = (ip & mask) != (tun & mask) ? "outside the tunnel subnet"
	                  : ip == tun                 ? "the server's own tunnel address"
	                  : (ip & ~mask) == 0 || (ip | mask) == ~0u
	                      ? "the tunnel subnet's network or broadcast address"
	                      : NULL;
	char tunstr[INET_ADDRSTRLEN];
	be = htonl(tun);
	inet_ntop(AF_INET, &be, tunstr, sizeof tunstr);
	if (why)
		fprintf(stderr, "rampartctl: ip=%s is %s (%s/%u, [server] tun_address in %s)\n", ipstr, why,
		        tunstr, c->tun_prefix, path);
	conf_unref(c);
	return why ? 1 : 0;
}

static int set_account(struct auth_db *db, int argc, char **argv, char *pw, size_t pwlen)
{
	const char *name = argv[1];
	struct auth_account a;
	if (auth_account_get(db, name, &a))
		return result(-ENOENT, "set", name);
	if (argc < 3)
		return usage();
	int64_t lim[AUTH_LIMIT_N] = {LIM_KEEP, LIM_KEEP, LIM_KEEP, LIM_KEEP};
	for (int i = 2; i < argc; i++) { /* all checked before anything is changed */
		struct in_addr ip;
		int lk = limit_arg(argv[i], lim);
		if (lk < 0)
			return usage();
		if (lk)
			continue;
		if (strncmp(argv[i], "ip=", 3) == 0 && argv[i][3]) {
			if (inet_pton(AF_INET, argv[i] + 3, &ip) != 1)
				return usage();
			if (check_static_ip(db, name, ntohl(ip.s_addr)))
				return 1;
		} else if (strncmp(argv[i], "ip=", 3) && strncmp(argv[i], "group=", 6) &&
		           strncmp(argv[i], "password=", 9)) {
			return usage();
		}
	}
	int rc = limits_apply(db, false, name, lim);
	for (int i = 2; i < argc && !rc; i++) {
		struct in_addr ip;
		int64_t seen[AUTH_LIMIT_N];
		if (limit_arg(argv[i], seen)) {
			continue; /* applied above */
		} else if (strncmp(argv[i], "ip=", 3) == 0) {
			uint32_t v =
			    argv[i][3] && inet_pton(AF_INET, argv[i] + 3, &ip) == 1 ? ntohl(ip.s_addr) : 0;
			rc = result(auth_account_set_static_ip(db, name, v), "set ip", name);
		} else if (strncmp(argv[i], "group=", 6) == 0) {
			rc = result(auth_account_set_group(db, name, argv[i][6] ? argv[i] + 6 : NULL),
			            "set group", name);
		} else {
			const char *p = password_arg(argv[i] + 9, pw, pwlen);
			rc = p ? result(auth_account_passwd(db, name, p, a.has_cleartext), "set password",
			                name)
			       : usage();
		}
	}
	if (!rc)
		printf("account %s updated; it counts from the next login\n", name);
	return rc;
}

static const char *password_arg(const char *a, char *buf, size_t n)
{
	if (strcmp(a, "-"))
		return a;
	if (!fgets(buf, (int)n, stdin))
		return NULL;
	buf[strcspn(buf, "\r\n")] = 0;
	return buf;
}

static int print_account(void *ctx, const struct auth_account *a)
{
	char ip[INET_ADDRSTRLEN] = "-", lim[96];
	limits_str(ctx, false, a->name, lim, sizeof lim);
	if (a->static_ip) {
		uint32_t be = htonl(a->static_ip);
		inet_ntop(AF_INET, &be, ip, sizeof ip);
	}
	printf("%-24s %-8s group=%s ip=%s methods=%s%s%s%s%s\n", a->name, a->enabled ? "enabled" : "disabled",
	       a->group[0] ? a->group : "-", ip, a->methods & AUTH_M_MSCHAPV2 ? "mschapv2 " : "",
	       a->methods & AUTH_M_PAP ? "pap " : "", a->methods & AUTH_M_CHAP_MD5 ? "chap " : "",
	       a->has_cleartext ? "(cleartext stored)" : "", lim);
	return 0;
}

static int result(int rc, const char *what, const char *name)
{
	if (rc == 0)
		return 0;
	fprintf(stderr, "rampartctl: %s %s: %s\n", what, name,
	        rc == -EEXIST   ? "already exists"
	        : rc == -ENOENT ? "no such account"
	        : rc == -EINVAL ? "invalid name or password"
	                        : "account store error");
	return 1;
}

const char *ctl_state_dir(int *argc, char ***argv, bool *given)
{
	const char *state = getenv("RAMPART_STATE");
	*given = false;
	if (!state)
		state = "/var/lib/rampart";
	if (*argc > 2 && strcmp((*argv)[0], "-d") == 0) {
		state = (*argv)[1];
		*given = true;
		*argc -= 2;
		*argv += 2;
	}
	return state;
}

/* [-d STATE_DIR] then the store; NULL with *rc set on failure */
static struct auth_db *open_store(int *argc, char ***argv, int (*usage_fn)(void), int *rc)
{
	bool given;
	const char *state = ctl_state_dir(argc, argv, &given);
	if (*argc < 1) {
		*rc = usage_fn();
		return NULL;
	}
	char err[256];
	struct auth_db *db = auth_db_open(state, err, sizeof err);
	if (!db) {
		fprintf(stderr, "rampartctl: account store in %s: %s\n", state, err);
		*rc = 2;
	}
	return db;
}

/* add-many PATTERN FIRST COUNT PASSWORD|-: PATTERN with one %d, e.g. load%d (test accounts for
 * rampart-load; one process instead of COUNT). */
static int add_many(struct auth_db *db, char **argv, char *pw, size_t pwcap)
{
	const char *pat = argv[1], *pc = strchr(pat, '%');
	char *e1, *e2;
	long first = strtol(argv[2], &e1, 10), count = strtol(argv[3], &e2, 10);
	if (!pc || strncmp(pc, "%d", 2) || strchr(pc + 2, '%') || *e1 || *e2 || first < 0 || count < 1 ||
	    first + count > 100000000)
		return usage();
	const char *p = password_arg(argv[4], pw, pwcap);
	if (!p)
		return usage();
	struct auth_account_opts o = {0};
	char name[128];
	if (snprintf(name, sizeof name, pat, (int)(first + count - 1)) >= (int)sizeof name)
		return usage();
	/* one transaction: 100,000 accounts took minutes with a journal sync each */
	if (auth_db_batch(db, true))
		return result(-EIO, "add", name);
	int r = 0;
	for (long i = first; i < first + count && !r; i++) {
		snprintf(name, sizeof name, pat, (int)i);
		r = auth_account_add(db, name, p, &o);
	}
	/* the accounts before a failure stay, as when each was committed alone */
	int c = auth_db_batch(db, false);
	return r || c ? result(r ? r : c, "add", name) : 0;
}

int ctl_account(int argc, char **argv)
{
	int rc = 2;
	struct auth_db *db = open_store(&argc, &argv, usage, &rc);
	if (!db)
		return rc;
	char pw[512];
	const char *cmd = argv[0];
	bool now = take_now(&argc, argv);
	if (now && strcmp(cmd, "disable") && strcmp(cmd, "del")) {
		rc = usage();
	} else if (strcmp(cmd, "set") == 0 && argc >= 2) {
		rc = set_account(db, argc, argv, pw, sizeof pw);
	} else if (strcmp(cmd, "list") == 0 && argc == 1) {
		rc = auth_account_list(db, print_account, db) ? 1 : 0;
	} else if (strcmp(cmd, "add") == 0 && argc >= 3) {
		struct auth_account_opts o = {0};
		struct in_addr ip;
		rc = 0;
		for (int i = 3; i < argc && rc == 0; i++) {
			if (strncmp(argv[i], "group=", 6) == 0)
				o.group = argv[i] + 6;
			else if (strncmp(argv[i], "ip=", 3) == 0 && inet_pton(AF_INET, argv[i] + 3, &ip) == 1)
				o.static_ip = ntohl(ip.s_addr);
			else if (strcmp(argv[i], "cleartext") == 0)
				o.store_cleartext = true, o.methods = AUTH_M_DEFAULT | AUTH_M_CHAP_MD5;
			else
				rc = usage();
		}
		const char *p = password_arg(argv[2], pw, sizeof pw);
		if (rc == 0 && o.static_ip)
			rc = check_static_ip(db, argv[1], o.static_ip);
		if (rc == 0)
			rc = p ? result(auth_account_add(db, argv[1], p, &o), "add", argv[1]) : usage();
	} else if (strcmp(cmd, "add-many") == 0 && argc == 5) {
		rc = add_many(db, argv, pw, sizeof pw);
	} else if (strcmp(cmd, "del") == 0 && argc == 2) {
		rc = result(auth_account_del(db, argv[1]), "del", argv[1]);
	} else if (strcmp(cmd, "passwd") == 0 && argc == 3) {
		const char *p = password_arg(argv[2], pw, sizeof pw);
		rc = p ? result(auth_account_passwd(db, argv[1], p, false), "passwd", argv[1]) : usage();
	} else if ((strcmp(cmd, "enable") == 0 || strcmp(cmd, "disable") == 0) && argc == 2) {
		rc = result(auth_account_set_enabled(db, argv[1], cmd[0] == 'e'), cmd, argv[1]);
	} else {
		rc = usage();
	}
	rp_wipe(pw, sizeof pw);
	auth_db_close(db);
	if (!rc && now) {
		char what[128];
		snprintf(what, sizeof what, "account=%s", argv[1]);
		rc = end_now(what);
	}
	return rc;
}

/* ---- group ---------------------------------------------------------------------------------- */

static int group_usage(void)
{
	fprintf(stderr,
	        "usage: rampartctl group [-d STATE_DIR] add NAME | del NAME | list\n"
	        "       rampartctl group [-d STATE_DIR] member add|del GROUP ACCOUNT\n"
	        "       rampartctl group [-d STATE_DIR] set GROUP [LIMIT]... [routes=PREFIX,...] "
	        "[domain=NAME]\n" LIMITS_HELP
	        "  routes=, domain=: the split-tunnel routes (up to 16 a.b.c.d/len) and DNS domain of\n"
	        "    the DHCPACK to a member's DHCPINFORM: a session gets the union of its groups' routes\n"
	        "    (instead of [ppp] routes) and the first group's domain (primary group first, then\n"
	        "    the others by name); an empty value unsets\n");
	return 2;
}

static int errmsg(int rc, const char *what)
{
	if (rc >= 0)
		return 0;
	fprintf(stderr, "rampartctl: %s: %s\n", what,
	        rc == -EEXIST   ? "already exists"
	        : rc == -ENOENT ? "no such account, group or entry"
	        : rc == -EINVAL ? "invalid argument"
	                        : "account store error");
	return 1;
}

static int print_group(void *ctx, const char *g, const char *members)
{
	char lim[96], routes[AUTH_MAX_ROUTES * 20], domain[256];
	limits_str(ctx, true, g, lim, sizeof lim);
	printf("%-24s members=%s%s", g, members[0] ? members : "-", lim);
	if (!auth_group_net_raw(ctx, g, routes, sizeof routes, domain, sizeof domain)) {
		if (routes[0])
			printf(" routes=%s", routes);
		if (domain[0])
			printf(" domain=%s", domain);
	}
	printf("\n");
	return 0;
}

static int group_set(struct auth_db *db, int argc, char **argv)
{
	int64_t lim[AUTH_LIMIT_N] = {LIM_KEEP, LIM_KEEP, LIM_KEEP, LIM_KEEP};
	const char *routes = NULL, *domain = NULL;
	for (int i = 2; i < argc; i++)
		if (!strncmp(argv[i], "routes=", 7))
			routes = argv[i] + 7;
		else if (!strncmp(argv[i], "domain=", 7))
			domain = argv[i] + 7;
		else if (limit_arg(argv[i], lim) != 1)
			return group_usage();
	int64_t raw[AUTH_LIMIT_N];
	if (auth_limits_raw(db, true, argv[1], raw))
		return errmsg(-ENOENT, argv[1]);
	int rc = routes || domain ? auth_group_net_set(db, argv[1], routes, domain) : 0;
	if (rc == -E2BIG) {
		fprintf(stderr, "rampartctl: %s: more than %d routes\n", argv[1], AUTH_MAX_ROUTES);
		return 1;
	}
	if (rc)
		return errmsg(rc, rc == -EINVAL ? "routes= (a.b.c.d/len,...) or domain=" : argv[1]);
	if (limits_apply(db, true, argv[1], lim))
		return 1;
	printf("group %s updated; it counts from the next login\n", argv[1]);
	return 0;
}

int ctl_group(int argc, char **argv)
{
	int rc = 2;
	struct auth_db *db = open_store(&argc, &argv, group_usage, &rc);
	if (!db)
		return rc;
	const char *cmd = argv[0];
	if (strcmp(cmd, "list") == 0 && argc == 1)
		rc = errmsg(auth_group_list(db, print_group, db), "group list");
	else if (strcmp(cmd, "set") == 0 && argc >= 3)
		rc = group_set(db, argc, argv);
	else if (strcmp(cmd, "add") == 0 && argc == 2)
		rc = errmsg(auth_group_add(db, argv[1]), argv[1]);
	else if (strcmp(cmd, "del") == 0 && argc == 2)
		rc = errmsg(auth_group_del(db, argv[1]), argv[1]);
	else if (strcmp(cmd, "member") == 0 && argc == 4 && strcmp(argv[1], "add") == 0)
		rc = errmsg(auth_group_member_add(db, argv[2], argv[3]), argv[3]);
	else if (strcmp(cmd, "member") == 0 && argc == 4 && strcmp(argv[1], "del") == 0)
		rc = errmsg(auth_group_member_del(db, argv[2], argv[3]), argv[3]);
	else
		rc = group_usage();
	auth_db_close(db);
	return rc;
}

/* ---- certmap -------------------------------------------------------------------------------- */

static int certmap_usage(void)
{
	fprintf(
	    stderr,
	    "usage: rampartctl certmap [-d STATE_DIR] add fingerprint=SHA256HEX account=NAME\n"
	    "       rampartctl certmap [-d STATE_DIR] add issuer=DN [subject=DN | o=O ou=OU] account=NAME\n"
	    "       rampartctl certmap [-d STATE_DIR] add byname=upn|email\n"
	    "       rampartctl certmap [-d STATE_DIR] del ID | list | enable | disable\n"
	    "       rampartctl certmap [-d STATE_DIR] test CERT.pem|der [ca=FILE|DIR]... [crl=FILE]... "
	    "[now=UNIX]\n"
	    "         (what a peer with CERT gets: validation when ca= is given, then mapping and rights)\n"
	    "  most specific rule wins: fingerprint > issuer+subject > issuer+O+OU > issuer+O|OU > issuer\n"
	    "  > by name; DNs as RFC 4514 strings, e.g. issuer=\"CN=rampart demo CA,O=Example\"\n");
	return 2;
}

static int hexval(int c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

/* 64 hex digits, ':' or ' ' separators allowed (as certtool/openssl print them) */
static int parse_fp(const char *s, uint8_t out[32])
{
	size_t n = 0;
	int hi = -1;
	for (; *s; s++) {
		if (*s == ':' || *s == ' ')
			continue;
		int v = hexval((unsigned char)*s);
		if (v < 0 || n == 32)
			return -1;
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n == 32 && hi < 0 ? 0 : -1;
}

static int copy_arg(char *dst, size_t n, const char *v)
{
	if (strlen(v) >= n)
		return -1;
	snprintf(dst, n, "%s", v);
	return 0;
}

static int certmap_add(struct auth_db *db, int argc, char **argv)
{
	static struct auth_certmap_rule r;
	bool fp = false;
	memset(&r, 0, sizeof r);
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		if (!eq)
			return certmap_usage();
		size_t kl = (size_t)(eq - a);
		const char *v = eq + 1;
		int bad = 0;
		if (kl == 11 && strncmp(a, "fingerprint", kl) == 0)
			bad = parse_fp(v, r.fingerprint), fp = true;
		else if (kl == 6 && strncmp(a, "issuer", kl) == 0)
			bad = copy_arg(r.issuer, sizeof r.issuer, v);
		else if (kl == 7 && strncmp(a, "subject", kl) == 0)
			bad = copy_arg(r.subject, sizeof r.subject, v);
		else if (kl == 1 && a[0] == 'o')
			bad = copy_arg(r.o, sizeof r.o, v);
		else if (kl == 2 && strncmp(a, "ou", kl) == 0)
			bad = copy_arg(r.ou, sizeof r.ou, v);
		else if (kl == 7 && strncmp(a, "account", kl) == 0)
			bad = copy_arg(r.account, sizeof r.account, v);
		else if (kl == 6 && strncmp(a, "byname", kl) == 0)
			r.byname = strcmp(v, "upn") == 0     ? AUTH_BYNAME_UPN
			           : strcmp(v, "email") == 0 ? AUTH_BYNAME_EMAIL
			                                     : 0,
			bad = !r.byname;
		else
			return certmap_usage();
		if (bad) {
			fprintf(stderr, "rampartctl: certmap: bad value in %s\n", a);
			return 2;
		}
	}
	/* exactly one shape of rule */
	if (fp && !r.issuer[0] && !r.subject[0] && !r.o[0] && !r.ou[0] && !r.byname && r.account[0])
		r.kind = AUTH_MAP_FINGERPRINT;
	else if (!fp && r.issuer[0] && r.subject[0] && !r.o[0] && !r.ou[0] && !r.byname && r.account[0])
		r.kind = AUTH_MAP_ISSUER_SUBJECT;
	else if (!fp && r.issuer[0] && !r.subject[0] && !r.byname && r.account[0])
		r.kind = AUTH_MAP_ISSUER;
	else if (!fp && !r.issuer[0] && !r.subject[0] && !r.o[0] && !r.ou[0] && r.byname && !r.account[0])
		r.kind = AUTH_MAP_BYNAME;
	else
		return certmap_usage();
	int64_t id = auth_certmap_add(db, &r);
	if (id < 0)
		return errmsg((int)id, "certmap add");
	printf("rule %lld added\n", (long long)id);
	return 0;
}

static int print_rule(void *ctx, const struct auth_certmap_rule *r)
{
	(void)ctx;
	printf("%-4lld level=%d ", (long long)r->id, auth_certmap_level(r));
	switch (r->kind) {
	case AUTH_MAP_FINGERPRINT:
		printf("fingerprint=");
		for (int i = 0; i < 32; i++)
			printf("%02x", r->fingerprint[i]);
		break;
	case AUTH_MAP_ISSUER_SUBJECT:
		printf("issuer=\"%s\" subject=\"%s\"", r->issuer, r->subject);
		break;
	case AUTH_MAP_ISSUER:
		printf("issuer=\"%s\"", r->issuer);
		if (r->o[0])
			printf(" o=\"%s\"", r->o);
		if (r->ou[0])
			printf(" ou=\"%s\"", r->ou);
		break;
	case AUTH_MAP_BYNAME:
		printf("byname=%s", r->byname == AUTH_BYNAME_UPN ? "upn" : "email");
		break;
	}
	printf(" -> %s\n", r->kind == AUTH_MAP_BYNAME ? "(account of that name)" : r->account);
	return 0;
}

/* certmap test CERT [ca=FILE|DIR ...] [crl=FILE ...] [now=UNIX]: with anchors, the whole of
 * auth_cert_authorize (validation first); without, mapping and rights only. */
static int certmap_test(struct auth_db *db, int argc, char **argv)
{
	static uint8_t buf[65536];
	static struct auth_cert_info in;
	struct auth_cert_res res;
	struct auth_trust *t = NULL;
	int64_t now = (int64_t)time(NULL);
	int rc = 2;
	FILE *f = fopen(argv[0], "rb");
	if (!f) {
		fprintf(stderr, "rampartctl: %s: %s\n", argv[0], strerror(errno));
		return 2;
	}
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	int dl = auth_cert_to_der(buf, n, buf, sizeof buf);
	if (dl <= 0 || auth_cert_parse(buf, (size_t)dl, &in)) {
		fprintf(stderr, "rampartctl: %s: not a certificate\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat sb;
		int r = 0;
		if (!t && !(t = auth_trust_new()))
			goto out;
		if (strncmp(argv[i], "ca=", 3) == 0)
			r = stat(argv[i] + 3, &sb) == 0 && S_ISDIR(sb.st_mode)
			        ? auth_trust_add_ca_dir(t, argv[i] + 3)
			        : auth_trust_add_ca_file(t, argv[i] + 3);
		else if (strncmp(argv[i], "crl=", 4) == 0)
			r = auth_trust_add_crl_file(t, argv[i] + 4);
		else if (strncmp(argv[i], "now=", 4) == 0)
			now = strtoll(argv[i] + 4, NULL, 10);
		else {
			rc = certmap_usage();
			goto out;
		}
		if (r < 0) {
			fprintf(stderr, "rampartctl: %s: cannot load (%s)\n", argv[i], strerror(-r));
			goto out;
		}
	}
	struct auth_der c = {buf, (size_t)dl};
	if (t ? auth_cert_authorize(db, t, &c, 1, now, &in, &res) : auth_cert_map(db, &in, &res))
		goto out;
	char es[4 * AUTH_CERT_DN_LEN], ei[4 * AUTH_CERT_DN_LEN]; /* the certificate's text, escaped */
	printf("subject=\"%s\" issuer=\"%s\"\nresult=%s account=%s\n%s\n", rp_escs(in.subject, es, sizeof es),
	       rp_escs(in.issuer, ei, sizeof ei), auth_cert_result_str(res.result),
	       res.account[0] ? res.account : "-", res.detail);
	rc = res.result == AUTH_CERT_OK ? 0 : 1;
out:
	auth_trust_free(t);
	return rc;
}

int ctl_certmap(int argc, char **argv)
{
	int rc = 2;
	struct auth_db *db = open_store(&argc, &argv, certmap_usage, &rc);
	if (!db)
		return rc;
	const char *cmd = argv[0];
	if (strcmp(cmd, "list") == 0 && argc == 1) {
		int on = auth_certmap_enabled(db);
		printf("certificate to account mapping: %s\n", on > 0    ? "enabled"
		                                               : on == 0 ? "disabled"
		                                                         : "?");
		rc = errmsg(auth_certmap_list(db, print_rule, NULL), "certmap list");
	} else if (strcmp(cmd, "test") == 0 && argc >= 2) {
		rc = certmap_test(db, argc - 1, argv + 1);
	} else if (strcmp(cmd, "add") == 0 && argc >= 2) {
		rc = certmap_add(db, argc - 1, argv + 1);
	} else if (strcmp(cmd, "del") == 0 && argc == 2) {
		char *end;
		long long id = strtoll(argv[1], &end, 10);
		rc = *end || id <= 0 ? certmap_usage() : errmsg(auth_certmap_del(db, id), argv[1]);
	} else if ((strcmp(cmd, "enable") == 0 || strcmp(cmd, "disable") == 0) && argc == 1) {
		rc = errmsg(auth_certmap_set_enabled(db, cmd[0] == 'e'), cmd);
	} else {
		rc = certmap_usage();
	}
	auth_db_close(db);
	return rc;
}

/* ---- right ---------------------------------------------------------------------------------- */

static int right_usage(void)
{
	fprintf(stderr,
	        "usage: rampartctl right [-d STATE_DIR] allow|deny add|del account=NAME|group=NAME [--now]\n"
	        "       rampartctl right [-d STATE_DIR] list\n"
	        "  deny wins over allow; an empty allow list allows every mapped account\n"
	        "  --now also ends live sessions whose account the rights now refuse\n");
	return 2;
}

static int print_right(void *ctx, int64_t id, int right, const char *account, const char *group)
{
	(void)ctx;
	printf("%-4lld %-5s %s=%s\n", (long long)id, right == AUTH_RIGHT_DENY ? "deny" : "allow",
	       account ? "account" : "group",
	       account ? account
	       : group ? group
	               : "?");
	return 0;
}

int ctl_right(int argc, char **argv)
{
	int rc = 2;
	struct auth_db *db = open_store(&argc, &argv, right_usage, &rc);
	if (!db)
		return rc;
	const char *cmd = argv[0];
	bool now = take_now(&argc, argv);
	int kind = strcmp(cmd, "allow") == 0  ? AUTH_RIGHT_ALLOW
	           : strcmp(cmd, "deny") == 0 ? AUTH_RIGHT_DENY
	                                      : 0;
	if (strcmp(cmd, "list") == 0 && argc == 1) {
		rc = errmsg(auth_right_list(db, print_right, NULL), "right list");
	} else if (kind && argc == 3 && (strcmp(argv[1], "add") == 0 || strcmp(argv[1], "del") == 0)) {
		const char *acc = strncmp(argv[2], "account=", 8) == 0 ? argv[2] + 8 : NULL;
		const char *grp = strncmp(argv[2], "group=", 6) == 0 ? argv[2] + 6 : NULL;
		if (!acc && !grp)
			rc = right_usage();
		else if (argv[1][0] == 'a')
			rc = errmsg((int)auth_right_add(db, kind, acc, grp), argv[2]);
		else
			rc = errmsg(auth_right_del(db, kind, acc, grp), argv[2]);
	} else {
		rc = right_usage();
	}
	auth_db_close(db);
	/* a deny added or an allow removed can take someone's access away: rampartd checks every
	 * live session's account against the rights (and enabled) and ends those now refused */
	if (!rc && now)
		rc = end_now("unauthorized");
	return rc;
}
