/* Check tests of the server glue: a rampartd without sockets (srv_new_detached) over a
 * configuration of [server] lines for a temporary directory plus the test's own sections. */
#ifndef RP_TEST_DAEMON_H
#define RP_TEST_DAEMON_H
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "srv_local.h"

/* dir receives the temporary directory; rest is appended to the [server] section's lines. */
static inline struct srv *rp_test_daemon(char dir[64], const char *rest)
{
	char path[128], text[2048], err[512];
	snprintf(dir, 64, "/tmp/test_daemon.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/rampart.conf", dir);
	snprintf(text, sizeof text,
	         "[server]\nlisten = 127.0.0.1\ntun_address = 198.18.5.1/24\nstate_dir = %s/state\n"
	         "control_socket = %s/ctl.sock\n%s",
	         dir, dir, rest);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	chmod(path, 0600); /* rampartd refuses a world-readable file holding a PSK */
	struct conf *c = srv_load_conf(path, err, sizeof err);
	ck_assert_msg(c != NULL, "%s", err);
	struct srv *s = srv_new_detached(c, path, err, sizeof err);
	ck_assert_msg(s != NULL, "%s", err);
	return s;
}

static inline void rp_test_daemon_free(struct srv *s, const char dir[64])
{
	char cmd[128];
	srv_free(s);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
#endif
