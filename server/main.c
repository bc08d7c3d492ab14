/* rampartd: the one daemon. Exit codes: 0 clean stop, 1 cannot start, 2 configuration error. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "srv.h"

#ifndef RAMPART_CONFDIR
#define RAMPART_CONFDIR "/etc/rampart"
#endif
#define DEFAULT_CONF RAMPART_CONFDIR "/rampart.conf"

static void syslog_sink(void *ctx, int level, const char *module, const char *msg)
{
	static const int prio[] = {LOG_ERR, LOG_ERR, LOG_WARNING, LOG_WARNING, LOG_INFO, LOG_DEBUG, LOG_DEBUG, LOG_DEBUG, LOG_NOTICE};
	(void)ctx;
	syslog(level >= 0 && level <= RP_LOG_NOTICE ? prio[level] : LOG_DEBUG, "%s: %s", module, msg);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: rampartd [--config FILE] [--foreground] [--check-config]\n"
		   "  -c, --config FILE    configuration (default " DEFAULT_CONF ")\n"
		   "  -f, --foreground     stay in the foreground and log to stderr\n"
		   "  -t, --check-config   check the configuration and exit (0 valid, 2 invalid)\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
					     {"foreground", no_argument, NULL, 'f'},
					     {"check-config", no_argument, NULL, 't'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *path = DEFAULT_CONF;
	bool foreground = false, check = false;
	int o;
	while ((o = getopt_long(argc, argv, "c:fth", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 't':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	if (!check && geteuid() != 0) {
		fprintf(stderr, "rampartd: must run as root (UDP ports 500/1701, raw ESP socket, TUN device)\n");
		return 1;
	}
	char err[512];
	struct conf *c = srv_load_conf(path, err, sizeof err);
	if (!c) {
		fprintf(stderr, "rampartd: %s\n", err);
		return 2;
	}
	if (check) {
		printf("%s: configuration OK\n", path);
		conf_unref(c);
		return 0;
	}
	struct srv *s = srv_new(c, path, foreground, err, sizeof err);
	if (!s) {
		fprintf(stderr, "rampartd: %s\n", err);
		return 1;
	}
	/* Every socket, the raw socket and the TUN are open: root is not needed any more. */
	if (srv_drop_privileges(s, err, sizeof err)) {
		fprintf(stderr, "rampartd: %s\n", err);
		srv_free(s);
		return 1;
	}
	if (!foreground) {
		/* sockets are open and errors were printed above; from here on, syslog */
		if (daemon(0, 0)) {
			perror("rampartd: daemon");
			srv_free(s);
			return 1;
		}
		openlog("rampartd", LOG_PID, LOG_DAEMON);
		srv_set_log_sink(s, syslog_sink, NULL);
	}
	srv_notify("READY=1");
	int rc = srv_run(s);
	srv_free(s);
	return rc;
}
