/* rampartctl account|group|certmap|right ...: edit the SQLite account store directly. SQLite serialises writers, and
 * rampartd reads the store at each authentication, so a change counts from the next login without
 * a restart or a daemon round trip. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "auth.h"
#include "ctl_account.h"

static int usage(void)
{
	fprintf(stderr, "usage: rampartctl account [-d STATE_DIR] add NAME PASSWORD|- [group=G] [ip=A.B.C.D] [cleartext]\n"
			"       rampartctl account [-d STATE_DIR] del NAME | list | passwd NAME PASSWORD|-\n"
			"       rampartctl account [-d STATE_DIR] enable NAME | disable NAME\n"
			"  PASSWORD '-' reads it from standard input (keeps it out of the process list)\n");
	return 2;
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
	char ip[INET_ADDRSTRLEN] = "-";
	(void)ctx;
	if (a->static_ip) {
		uint32_t be = htonl(a->static_ip);
		inet_ntop(AF_INET, &be, ip, sizeof ip);
	}
	printf("%-24s %-8s group=%s ip=%s methods=%s%s%s%s\n", a->name, a->enabled ? "enabled" : "disabled",
	       a->group[0] ? a->group : "-", ip, a->methods & AUTH_M_MSCHAPV2 ? "mschapv2 " : "",
	       a->methods & AUTH_M_PAP ? "pap " : "", a->methods & AUTH_M_CHAP_MD5 ? "chap " : "",
	       a->has_cleartext ? "(cleartext stored)" : "");
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

/* [-d STATE_DIR] then the store; NULL with *rc set on failure */
static struct auth_db *open_store(int *argc, char ***argv, int (*usage_fn)(void), int *rc)
{
	const char *state = getenv("RAMPART_STATE");
	if (!state)
		state = "/var/lib/rampart";
	if (*argc > 2 && strcmp((*argv)[0], "-d") == 0) {
		state = (*argv)[1];
		*argc -= 2;
		*argv += 2;
	}
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

int ctl_account(int argc, char **argv)
{
	int rc = 2;
	struct auth_db *db = open_store(&argc, &argv, usage, &rc);
	if (!db)
		return rc;
	char pw[512];
	const char *cmd = argv[0];
	if (strcmp(cmd, "list") == 0 && argc == 1) {
		rc = auth_account_list(db, print_account, NULL) ? 1 : 0;
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
		if (rc == 0)
			rc = p ? result(auth_account_add(db, argv[1], p, &o), "add", argv[1]) : usage();
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
	return rc;
}

/* ---- group ---------------------------------------------------------------------------------- */

static int group_usage(void)
{
	fprintf(stderr, "usage: rampartctl group [-d STATE_DIR] add NAME | del NAME | list\n"
			"       rampartctl group [-d STATE_DIR] member add|del GROUP ACCOUNT\n");
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
	(void)ctx;
	printf("%-24s members=%s\n", g, members[0] ? members : "-");
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
		rc = errmsg(auth_group_list(db, print_group, NULL), "group list");
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
	fprintf(stderr,
		"usage: rampartctl certmap [-d STATE_DIR] add fingerprint=SHA256HEX account=NAME\n"
		"       rampartctl certmap [-d STATE_DIR] add issuer=DN [subject=DN | o=O ou=OU] account=NAME\n"
		"       rampartctl certmap [-d STATE_DIR] add byname=upn|email\n"
		"       rampartctl certmap [-d STATE_DIR] del ID | list | enable | disable\n"
		"       rampartctl certmap [-d STATE_DIR] test CERT.pem|der [ca=FILE|DIR]... [crl=FILE]... [now=UNIX]\n"
		"         (what a peer with CERT gets: validation when ca= is given, then mapping and rights)\n"
		"  most specific rule wins: fingerprint > issuer+subject > issuer+O+OU > issuer+O|OU > issuer\n"
		"  > by name; DNs as RFC 4514 strings, e.g. issuer=\"CN=rampart demo CA,O=Example\"\n");
	return 2;
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
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
			r.byname = strcmp(v, "upn") == 0 ? AUTH_BYNAME_UPN : strcmp(v, "email") == 0 ? AUTH_BYNAME_EMAIL : 0,
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
			r = stat(argv[i] + 3, &sb) == 0 && S_ISDIR(sb.st_mode) ? auth_trust_add_ca_dir(t, argv[i] + 3)
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
		printf("certificate to account mapping: %s\n", on > 0 ? "enabled" : on == 0 ? "disabled" : "?");
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
	fprintf(stderr, "usage: rampartctl right [-d STATE_DIR] allow|deny add|del account=NAME|group=NAME\n"
			"       rampartctl right [-d STATE_DIR] list\n"
			"  deny wins over allow; an empty allow list allows every mapped account\n");
	return 2;
}

static int print_right(void *ctx, int64_t id, int right, const char *account, const char *group)
{
	(void)ctx;
	printf("%-4lld %-5s %s=%s\n", (long long)id, right == AUTH_RIGHT_DENY ? "deny" : "allow",
	       account ? "account" : "group", account ? account : group ? group : "?");
	return 0;
}

int ctl_right(int argc, char **argv)
{
	int rc = 2;
	struct auth_db *db = open_store(&argc, &argv, right_usage, &rc);
	if (!db)
		return rc;
	const char *cmd = argv[0];
	int kind = strcmp(cmd, "allow") == 0 ? AUTH_RIGHT_ALLOW : strcmp(cmd, "deny") == 0 ? AUTH_RIGHT_DENY : 0;
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
	return rc;
}
