/* rampartctl ipsec ...: netsh's words for the IPsec policy (policy/).
 *
 *   ipsec [-d STATE_DIR] static add|set|delete|show ...   the persistent/local stores, edited in the
 *                                                       SQLite file directly (as rampartctl account)
 *   ipsec [-d STATE_DIR] dynamic set config property=bootmode|bootexemptions value=V
 *                                                       kept in the store: boot mode applies before
 *                                                       any policy, at the next start too
 *   ipsec dynamic add|set|delete|show ...               the running daemon's dynamic store (control
 *                                                       socket): in force at once, gone at restart
 *   ipsec [-d STATE_DIR] model peer=ADDR ...            what would apply (pol_model.c)
 *
 * rampartd notices a change of the file (pol_meta's generation) from its next negotiation. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "auth.h"
#include "ctl_account.h"
#include "pol_model.h"
#include "pol_store.h"
#include "policy.h"

static int usage(void)
{
	fprintf(
	    stderr,
	    "usage: rampartctl ipsec [-d STATE_DIR] static add|set|delete|show OBJECT key=value...\n"
	    "       rampartctl ipsec [-d STATE_DIR] dynamic set config property=bootmode "
	    "value=stateful|block|permit\n"
	    "       rampartctl ipsec [-d STATE_DIR] dynamic set config property=bootexemptions "
	    "value=PROTOCOL:SRCPORT:DSTPORT:DIRECTION,...|none\n"
	    "       rampartctl ipsec [-d STATE_DIR] dynamic show config\n"
	    "       rampartctl ipsec dynamic add|set|delete|show OBJECT key=value...   (rampartd's dynamic "
	    "store)\n"
	    "       rampartctl [--json] ipsec [-d STATE_DIR] model peer=ADDR [id=ID | cert=FILE] "
	    "[account=NAME]\n"
	    "                  [dst=ADDR proto=P port=N]\n"
	    "  OBJECT: policy name= [assign=yes|no] [mmsecmethods=\"AES256-SHA1-14 ...\"] [mmlifetime=MIN]\n"
	    "          filterlist name=    filter filterlist= srcaddr= dstaddr= [srcmask=] [dstmask=]\n"
	    "            [protocol=ANY|ICMP|TCP|UDP|N] [srcport=] [dstport=] [mirrored=yes|no]\n"
	    "            addresses: me, any, A.B.C.D, a DNS name, dns, wins, dhcp, gateway; masks: 24 or "
	    "255.255.255.0\n"
	    "          filteraction name= action=permit|block|negotiate [qmsecmethods=\"ESP[AES256,SHA1] "
	    "...\"] "
	    "[qmpfs=yes|no]\n"
	    "          rule name= policy= filterlist= filteraction= [psk=KEY] [rootca=\"DN "
	    "certmaptoaccount=yes|no\"]\n"
	    "            [conntype=all|lan|dialup] [group=G] [activate=yes|no]\n"
	    "          store location=local|persistent (set)   all (show, delete)   config (dynamic)\n");
	return 2;
}

static void print_line(void *ctx, const char *line)
{
	(void)ctx;
	puts(line);
}

static void discard(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

static int rc_of(int rc, const char *err)
{
	fprintf(stderr, "rampartctl: %s\n", err[0] ? err : strerror(-rc));
	return rc == -EINVAL ? 2 : 1;
}

/* Host lookups for DNS names in filters: rampartctl may block (the daemon uses uv_getaddrinfo). */
static int resolve(void *ctx, const char *name, uint32_t *ips, size_t max)
{
	(void)ctx;
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM}, *res, *ai;
	size_t n = 0;
	if (getaddrinfo(name, NULL, &hints, &res))
		return 0;
	for (ai = res; ai && n < max; ai = ai->ai_next)
		ips[n++] = ntohl(((struct sockaddr_in *)ai->ai_addr)->sin_addr.s_addr);
	freeaddrinfo(res);
	return (int)n;
}

static int model(struct auth_db *db, struct pol_set *s, int argc, char **argv, bool json)
{
	struct pol_model_q q;
	static struct auth_cert_info ci;
	static uint8_t buf[65536];
	const char *cert;
	char err[256];
	if (pol_model_args(argc, argv, &q, &cert, err, sizeof err)) {
		fprintf(stderr, "rampartctl: %s\n", err);
		return usage();
	}
	if (cert) {
		FILE *f = fopen(cert, "rb");
		if (!f) {
			fprintf(stderr, "rampartctl: %s: %s\n", cert, strerror(errno));
			return 2;
		}
		size_t n = fread(buf, 1, sizeof buf, f);
		fclose(f);
		if (auth_cert_parse_any(buf, n, &ci)) {
			fprintf(stderr, "rampartctl: %s: not a certificate\n", cert);
			return 2;
		}
		q.cert = &ci;
	}
	struct pol_env env = {.resolve = resolve};
	struct pol_model_a ans;
	if (pol_model(s, &env, db, &q, &ans))
		return 1;
	pol_model_print(&q, &ans, json, stdout);
	return 0;
}

static bool daemon_running(void)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", ctl_socket_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool up = fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0;
	if (fd >= 0)
		close(fd);
	return up;
}

static bool is_store_property(int argc, char **argv)
{
	for (int i = 3; i < argc; i++)
		if (!strcasecmp(argv[i], "property=bootmode") ||
		    !strcasecmp(argv[i], "property=bootexemptions"))
			return true;
	return false;
}

int ctl_ipsec(int argc, char **argv, bool json)
{
	bool dflag;
	const char *state = ctl_state_dir(&argc, &argv, &dflag);
	if (argc < 1)
		return usage();
	bool dyn = !strcasecmp(argv[0], "dynamic"), is_model = !strcasecmp(argv[0], "model");
	if (!dyn && !is_model && strcasecmp(argv[0], "static"))
		return usage();
	if (json && !is_model)
		return usage();
	if (is_model && !dflag && daemon_running()) {
		/* rampartd answers with its policy as in force: all three stores, its addresses and
		 * resolved names; a certificate file stays here (the store's answer) */
		bool cert = false;
		for (int i = 1; i < argc; i++)
			cert |= !strncasecmp(argv[i], "cert=", 5);
		if (!cert) {
			struct pol_model_q q;
			const char *cf;
			char err[256];
			if (pol_model_args(argc - 1, argv + 1, &q, &cf, err, sizeof err)) {
				fprintf(stderr, "rampartctl: %s\n", err);
				return usage();
			}
			argv[-1] = (char *)"ipsec";
			if (json) {
				argv[-2] = (char *)"json";
				return ctl_daemon(argc + 2, argv - 2);
			}
			return ctl_daemon(argc + 1, argv - 1);
		}
	}
	if (dyn) {
		bool set_cfg = argc >= 3 && !strcasecmp(argv[1], "set") && !strcasecmp(argv[2], "config");
		bool show_cfg = argc == 3 && !strcasecmp(argv[1], "show") && !strcasecmp(argv[2], "config");
		/* the store's own properties, or its config when no daemon answers (or -d says so) */
		bool local =
		    (set_cfg && is_store_property(argc, argv)) || (show_cfg && (dflag || !daemon_running()));
		if (!local && set_cfg) {
			/* rampartd's form: property= then value= */
			if (argc != 5 || strncasecmp(argv[3], "property=", 9) || !argv[3][9] ||
			    strncasecmp(argv[4], "value=", 6) || !argv[4][6])
				return usage();
		} else if (!local) {
			/* the words are checked here against an empty set: a malformed request is
			 * answered without reaching rampartd (an unknown name is the daemon's to say) */
			struct pol_set scratch;
			char err[512];
			bool ch;
			pol_set_init(&scratch);
			int rc = pol_cmd_run(&scratch, argc, argv, POL_CMD_DYNAMIC, discard, NULL, &ch, err,
			                     sizeof err);
			pol_set_free(&scratch);
			if (rc == -EINVAL) {
				fprintf(stderr, "rampartctl: %s\n", err);
				return usage();
			}
		}
		if (!local) {
			/* "ipsec dynamic ..." to rampartd, as one request */
			if (dflag)
				argv[-1] = (char *)"ipsec"; /* it was the state directory */
			return ctl_daemon(argc + 1, argv - 1);
		}
	}
	char err[512];
	struct auth_db *db = auth_db_open(state, err, sizeof err);
	if (!db) {
		fprintf(stderr, "rampartctl: account store in %s: %s\n", state, err);
		return 2;
	}
	struct pol_set s;
	pol_set_init(&s);
	int rc = pol_store_init(db, err, sizeof err);
	if (!rc)
		rc = pol_store_load(db, &s, err, sizeof err);
	if (rc) {
		rc = rc_of(rc, err);
		goto out;
	}
	if (is_model) {
		rc = model(db, &s, argc - 1, argv + 1, json);
		goto out;
	}
	bool changed = false;
	rc = pol_cmd_run(&s, argc, argv, dyn ? POL_CMD_DYNAMIC : 0, print_line, NULL, &changed, err,
	                 sizeof err);
	if (rc) {
		rc = rc_of(rc, err);
		goto out;
	}
	if (changed && (rc = pol_store_save(db, &s, err, sizeof err)))
		rc = rc_of(rc, err);
out:
	pol_set_free(&s);
	auth_db_close(db);
	return rc;
}
