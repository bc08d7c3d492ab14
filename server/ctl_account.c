/* rampartctl account|group|certmap|right ...: edit the SQLite account store directly. SQLite serialises writers, and
 * rampartd reads the store at each authentication, so a change counts from the next login without
 * a restart or a daemon round trip. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
