/* Privilege drop and the service manager's notifications. rampartd starts as root only to bind
 * UDP 500/1701, open the raw ESP socket and create the TUN device; once srv_new holds them it
 * becomes [server] user with no capability left (not even in the bounding set) and no_new_privs,
 * so a parser bug runs as an unprivileged account. Nothing it does afterwards needs a privilege:
 * the sockets and the TUN stay open, and TUN or listen changes already need a restart. */
#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "srv_local.h"

/* The state directory and the account store in it become the user's: the daemon reads (and may
 * write) the SQLite store after the drop, and a rollback left by a crashed writer needs write
 * access to the directory. rampartctl, run by root, keeps them so: SQLite running as root gives
 * the journal files it creates the database file's owner. */
static int hand_state_dir(const char *dir, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	static const char *const files[] = {"accounts.db", "accounts.db-journal", "accounts.db-wal",
	                                    "accounts.db-shm"};
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fchown(dfd, uid, gid) || fchmod(dfd, 0700)) {
		snprintf(err, errlen, "cannot hand the state directory %s to the service user: %s", dir,
		         strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		if (fchownat(dfd, files[i], uid, gid, AT_SYMLINK_NOFOLLOW) && errno != ENOENT) {
			snprintf(err, errlen, "cannot hand %s/%s to the service user: %s", dir, files[i],
			         strerror(errno));
			close(dfd);
			return -1;
		}
	close(dfd);
	return 0;
}

/* Key logs are appended to (and created, 0600) as each SA comes up, after the drop: made now and
 * given to the user, they need no write access to their directory. */
static int hand_keylog(const char *base, const char *suffix, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	char path[CONF_STR + 8];
	snprintf(path, sizeof path, "%s%s", base, suffix);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fchown(fd, uid, gid) || fchmod(fd, 0600)) {
		snprintf(err, errlen, "cannot hand the key log %s to the service user: %s", path,
		         strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* After the switch: what a reload reads again must be readable, or the first SIGHUP fails. Said
 * now, at start, rather than when an operator needs the reload. */
static void warn_unreadable(struct srv *s, const char *what, const char *path)
{
	if (path[0] && access(path, R_OK))
		rp_logf(&s->log, RP_LOG_WARN, "server",
		        "%s %s is not readable by %s (%s): a reload will fail (e.g. chgrp %s, chmod 0640)",
		        what, path, s->conf->user, strerror(errno), s->conf->user);
}

int srv_drop_privileges(struct srv *s, char *err, size_t errlen)
{
	const struct conf *c = s->conf;
	const char *name = c->user;
	if (name[0] && strcmp(name, "root")) {
		errno = 0;
		struct passwd *pw = getpwnam(name);
		if (!pw) {
			snprintf(err, errlen,
			         "[server] user \"%s\" does not exist%s%s (create it: useradd --system "
			         "--no-create-home "
			         "--shell /usr/sbin/nologin %s; or set user = \"\" to stay root)",
			         name, errno ? ": " : "", errno ? strerror(errno) : "", name);
			return -1;
		}
		uid_t uid = pw->pw_uid;
		gid_t gid = pw->pw_gid;
		if (uid == 0) {
			snprintf(err, errlen, "[server] user \"%s\" has uid 0: nothing would be dropped",
			         name);
			return -1;
		}
		if (hand_state_dir(c->state_dir, uid, gid, err, errlen) ||
		    srv_ctl_hand_over(s, uid, gid, err, errlen))
			return -1;
		if (c->keylog[0] && (hand_keylog(c->keylog, "", uid, gid, err, errlen) ||
		                     hand_keylog(c->keylog, ".ikev1", uid, gid, err, errlen)))
			return -1;
		/* No capability kept: effective, permitted, inheritable, ambient and bounding all empty.
		 * The user's supplementary groups are taken (e.g. one that may read a private key). */
		capng_clear(CAPNG_SELECT_BOTH);
		int rc = capng_change_id((int)uid, (int)gid,
		                         CAPNG_INIT_SUPP_GRP | CAPNG_CLEAR_BOUNDING | CAPNG_CLEAR_AMBIENT);
		if (rc) {
			/* e.g. clearing the bounding set needs CAP_SETPCAP (the unit keeps it until here) */
			snprintf(err, errlen,
			         "cannot switch to user %s: libcap-ng capng_change_id failed (%d)", name, rc);
			return -1;
		}
		/* Belt and braces: if anything above silently failed, root must not be reachable again. */
		capng_get_caps_process();
		if (getuid() != uid || geteuid() != uid || getgid() != gid || setuid(0) == 0 ||
		    capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE) {
			snprintf(err, errlen, "the switch to user %s did not take", name);
			return -1;
		}
	}
	/* rampartd never executes anything: whatever it might run could not gain privileges either. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(err, errlen, "cannot set no_new_privs: %s", strerror(errno));
		return -1;
	}
	if (name[0] && strcmp(name, "root")) {
		rp_logf(&s->log, RP_LOG_NOTICE, "server",
		        "running as %s (uid %u gid %u) without capabilities", name, (unsigned)getuid(),
		        (unsigned)getgid());
		warn_unreadable(s, "configuration", s->conf_path);
		warn_unreadable(s, "CRL", c->crl);
		warn_unreadable(s, "CA", c->ca);
		warn_unreadable(s, "certificate", c->certificate);
		warn_unreadable(s, "private key", c->private_key);
	}
	return 0;
}

/* systemd's Type=notify (NOTIFY_SOCKET unset: nothing happens). */
void srv_notify(const char *state)
{
	sd_notify(0, state);
}
