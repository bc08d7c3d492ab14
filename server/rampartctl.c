/* rampartctl: sends its arguments as one request line to rampartd's control socket and prints
 * the answer. Exit 0 on "+ok", 1 on an error answer, 2 when rampartd cannot be reached. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "ctl_account.h"

int main(int argc, char **argv)
{
	const char *path = getenv("RAMPART_CONTROL");
	if (!path)
		path = "/run/rampart/rampartd.sock";
	if (argc > 2 && (strcmp(argv[1], "-s") == 0 || strcmp(argv[1], "--socket") == 0)) {
		path = argv[2];
		argc -= 2;
		argv += 2;
	}
	bool json = false;
	if (argc > 1 && strcmp(argv[1], "--json") == 0) {
		json = true; /* answered as one JSON document: "json show sas|stats|config" on the wire */
		argc--;
		argv++;
	}
	if (argc >= 2 && strcmp(argv[1], "account") == 0)
		return ctl_account(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "group") == 0)
		return ctl_group(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "certmap") == 0)
		return ctl_certmap(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "right") == 0)
		return ctl_right(argc - 2, argv + 2);
	if (argc < 2) {
		fprintf(stderr, "usage: rampartctl [-s SOCKET] COMMAND...\n"
		                "  account [-d STATE_DIR] add|del|list|passwd|enable|disable ...\n"
		                "  group [-d STATE_DIR] add|del|list|member ...\n"
		                "  certmap [-d STATE_DIR] add|del|list|enable|disable ...\n"
		                "  right [-d STATE_DIR] allow|deny add|del account=NAME|group=NAME | list\n"
		                "  show config | show stats | reload\n"
		                "  ipsec dynamic show config\n"
		                "  ipsec dynamic set config "
		                "property=ipsecdiagnostics|ikelogging|ipsecloginterval value=N\n");
		return 2;
	}
	char line[CTL_LINE + 1];
	if (json)
		argv[0] = "json"; /* the request becomes "json show ..." */
	int n = ctl_join(line, sizeof line - 1, json ? argc : argc - 1, json ? argv : argv + 1);
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
