/* rampartctl: sends its arguments as one request line to rampartd's control socket and prints
 * the answer, or edits the account store itself. Exit 0 on "+ok", 1 on an error answer, 2 on a usage
 * error (answered here, listing every command) or when rampartd cannot be reached. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "ctl_account.h"

/* Everything rampartctl knows, in one place: --help prints it, and a request that matches none of
 * the daemon's forms is answered here with it instead of being sent to rampartd. */
const char *ctl_socket_path = "/run/rampart/rampartd.sock";

static const char usage_text[] =
    "usage: rampartctl [-s SOCKET] [--json] COMMAND...\n"
    "       rampartctl -h | --help | help\n"
    "  -s, --socket SOCKET  rampartd's control socket (default $RAMPART_CONTROL, else "
    "/run/rampart/rampartd.sock)\n"
    "  --json               show sas|stats|config as one JSON document (fields: docs/operating.md)\n"
    "\n"
    "commands answered by rampartd (root, or a member of the group of rampart.conf's [server] user):\n"
    "  show config                       the running configuration (secrets masked)\n"
    "  show stats                        packet and drop counters\n"
    "  show sas                          IPsec SAs and the sessions over them\n"
    "  reload                            re-read the configuration file (as SIGHUP does): prints\n"
    "                                    'applied: KEY ...' and 'restart needed: KEY ...'\n"
    "  disconnect account=NAME | ip=ADDR | peer=ADDR[:PORT] | ike=COOKIE | all | unauthorized\n"
    "                                    end those clients' sessions and SAs (exit 1: none matched);\n"
    "                                    unauthorized: accounts now disabled, deleted or denied\n"
    "  radius test USER -                one PAP Access-Request from rampartd to its [radius] server,\n"
    "                                    password on standard input: prints Access-Accept (exit 0)\n"
    "                                    or Access-Reject (exit 1) and the answer's attributes\n"
    "  ipsec dynamic show config         also bootmode/bootexemptions (from the store without rampartd)\n"
    "  ipsec dynamic set config property=ipsecdiagnostics|ikelogging|ipsecloginterval value=N\n"
    "  ipsec dynamic add|set|delete|show OBJECT key=value...  the dynamic policy store (gone at restart)\n"
    "\n"
    "commands on the account store (SQLite in STATE_DIR, default $RAMPART_STATE, else /var/lib/rampart):\n"
    "  account [-d STATE_DIR] add NAME PASSWORD|- [group=G] [ip=A.B.C.D] [cleartext]\n"
    "  account [-d STATE_DIR] add-many PATTERN(%d) FIRST COUNT PASSWORD|-   (PATTERN e.g. load%d)\n"
    "  account [-d STATE_DIR] del NAME | list | passwd NAME PASSWORD|- | enable NAME | disable NAME\n"
    "  group [-d STATE_DIR] add NAME | del NAME | list | member add|del GROUP ACCOUNT\n"
    "  certmap [-d STATE_DIR] add fingerprint=SHA256HEX account=NAME\n"
    "  certmap [-d STATE_DIR] add issuer=DN [subject=DN | o=O ou=OU] account=NAME\n"
    "  certmap [-d STATE_DIR] add byname=upn|email\n"
    "  certmap [-d STATE_DIR] del ID | list | enable | disable\n"
    "  certmap [-d STATE_DIR] test CERT.pem|der [ca=FILE|DIR]... [crl=FILE]... [now=UNIX]\n"
    "  right [-d STATE_DIR] allow|deny add|del account=NAME|group=NAME | list\n"
    "  ipsec [-d STATE_DIR] static add|set|delete|show OBJECT key=value...   IPsec policy (netsh's words)\n"
    "  ipsec [-d STATE_DIR] dynamic set config property=bootmode|bootexemptions value=V\n"
    "  ipsec [-d STATE_DIR] model peer=ADDR [id=ID|cert=FILE] [account=NAME] [dst=ADDR proto=P port=N]\n"
    "                                    what would apply to that peer (--json: one JSON object);\n"
    "                                    without -d (and cert=) rampartd answers, dynamic store included\n"
    "  PASSWORD '-' reads it from standard input (keeps it out of the process list)\n";

static int usage_error(const char *why, const char *arg)
{
	if (why)
		fprintf(stderr, "rampartctl: %s%s%s\n", why, arg ? ": " : "", arg ? arg : "");
	fputs(usage_text, stderr);
	return 2;
}

/* The daemon's request forms (srv_ctl.c answers them): words compared as rampartd compares them,
 * without case; "=" marks a word that must start with that prefix. */
static const char *const daemon_forms[][6] = {
    {"show", "config"},
    {"show", "stats"},
    {"show", "sas"},
    {"reload"},
    {"disconnect", "account="},
    {"disconnect", "ip="},
    {"disconnect", "peer="},
    {"disconnect", "ike="},
    {"disconnect", "all"},
    {"disconnect", "unauthorized"},
    {"ipsec", "dynamic", "show", "config"},
    {"ipsec", "dynamic", "set", "config", "property=", "value="},
    {"radius", "test", "*", "-"}, /* the password is read here from standard input */
};

static bool word_matches(const char *form, const char *arg)
{
	size_t n = strlen(form);
	if (!strcmp(form, "*")) /* any word */
		return true;
	if (n && form[n - 1] == '=')
		return strncasecmp(arg, form, n) == 0 && arg[n];
	return strcasecmp(arg, form) == 0;
}

/* --json: the show commands only */
static bool is_json_request(int argc, char **argv)
{
	return argc == 2 && !strcasecmp(argv[0], "show") &&
	       (!strcasecmp(argv[1], "sas") || !strcasecmp(argv[1], "stats") ||
	        !strcasecmp(argv[1], "config"));
}

static bool is_daemon_request(int argc, char **argv)
{
	for (size_t f = 0; f < sizeof daemon_forms / sizeof daemon_forms[0]; f++) {
		int n = 0;
		while (n < 6 && daemon_forms[f][n])
			n++;
		if (argc != n)
			continue;
		int i = 0;
		while (i < n && word_matches(daemon_forms[f][i], argv[i]))
			i++;
		if (i == n)
			return true;
	}
	return false;
}

/* One request to rampartd, its answer printed: 0 "+ok", 1 refused, 2 unreachable or broken. */
int ctl_daemon(int argc, char **argv)
{
	const char *path = ctl_socket_path;
	char line[CTL_LINE + 1];
	int n = ctl_join(line, sizeof line - 1, argc, argv);
	if (n < 0) {
		fprintf(stderr, "rampartctl: request too long or contains a newline\n");
		return 2;
	}
	line[n++] = '\n';

	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof sun)) {
		fprintf(stderr, "rampartctl: cannot reach rampartd at %s: %s\n", path, strerror(errno));
		return 2;
	}
	if (write(fd, line, (size_t)n) != n) {
		fprintf(stderr, "rampartctl: write: %s\n", strerror(errno));
		return 2;
	}
	FILE *f = fdopen(fd, "r");
	char *resp = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 2;
	while (f && (len = getline(&resp, &cap, f)) >= 0) {
		if (len && resp[len - 1] == '\n')
			resp[--len] = 0;
		const char *t;
		size_t tl;
		switch (ctl_response_line(resp, (size_t)len, &t, &tl)) {
		case CTL_BODY:
			printf("%.*s\n", (int)tl, t);
			continue;
		case CTL_OK:
			rc = 0;
			break;
		case CTL_ERR:
			fprintf(stderr, "rampartctl: %.*s\n", (int)tl, t);
			rc = 1;
			break;
		case CTL_BAD:
			fprintf(stderr, "rampartctl: malformed answer line\n");
			rc = 3;
			break;
		}
		break;
	}
	if (rc == 3)
		rc = 2;
	else if (rc == 2)
		fprintf(stderr, "rampartctl: rampartd closed the connection without an answer\n");
	free(resp);
	if (f)
		fclose(f);
	return rc;
}

int main(int argc, char **argv)
{
	if (getenv("RAMPART_CONTROL"))
		ctl_socket_path = getenv("RAMPART_CONTROL");
	int i = 1;
	bool json = false;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true; /* one JSON document: "json show sas|stats|config" on the wire */
			continue;
		}
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (!strcmp(argv[i], "-s") || !strcmp(argv[i], "--socket")) {
			if (++i == argc)
				return usage_error("option needs a socket path", argv[i - 1]);
			ctl_socket_path = argv[i];
			continue;
		}
		return usage_error("unknown option", argv[i]);
	}
	argc -= i - 1; /* argv[1] is the command from here on */
	argv += i - 1;
	if (argc < 2)
		return usage_error(NULL, NULL);
	if (!strcmp(argv[1], "help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (strcmp(argv[1], "account") == 0)
		return ctl_account(argc - 2, argv + 2);
	if (strcmp(argv[1], "group") == 0)
		return ctl_group(argc - 2, argv + 2);
	if (strcmp(argv[1], "certmap") == 0)
		return ctl_certmap(argc - 2, argv + 2);
	if (strcmp(argv[1], "right") == 0)
		return ctl_right(argc - 2, argv + 2);
	if (strcasecmp(argv[1], "ipsec") == 0)
		return ctl_ipsec(argc - 2, argv + 2, json);
	if (!is_daemon_request(argc - 1, argv + 1) || (json && !is_json_request(argc - 1, argv + 1)))
		return usage_error("unknown command or wrong arguments", argv[1]);
	if (json)
		argv[0] = "json"; /* the request becomes "json show ..." */
	char pw[256];
	if (!strcasecmp(argv[1], "radius")) { /* radius test USER -: the password goes in the request */
		if (!fgets(pw, sizeof pw, stdin)) {
			fprintf(stderr, "rampartctl: no password on standard input\n");
			return 2;
		}
		pw[strcspn(pw, "\r\n")] = 0;
		argv[4] = pw;
		int rc = ctl_daemon(argc - 1, argv + 1);
		explicit_bzero(pw, sizeof pw);
		return rc;
	}
	return ctl_daemon(json ? argc : argc - 1, json ? argv : argv + 1);
}
