/* rp_path_private: the one check of "who else may touch this" for the daemon's state directory,
 * the account store and files holding secrets, shared by rampartd and rampartctl. A store others
 * can write lets them add an account or a right; one they can read gives them NT hashes, which are
 * password equivalents for MS-CHAPv2; a readable configuration gives them the PSK. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "rp_base.h"

int rp_path_private(const char *path, unsigned flags, char *err, size_t errlen)
{
	struct stat st;
	char dummy[1];
	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof dummy;
	}
	err[0] = 0;
	if (!path)
		return -EINVAL;
	if (stat(path, &st)) {
		int e = errno;
		if (e != ENOENT)
			snprintf(err, errlen, "%s: cannot stat", path);
		return e == ENOENT ? -ENOENT : -EIO;
	}
	bool dir = flags & RP_MODE_DIR;
	if (dir && !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", path);
		return -ENOTDIR;
	}
	if (!dir && !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -EISDIR;
	}
	unsigned mode = (unsigned)st.st_mode & 07777;
	const char *what = dir ? "directory" : "file";
	if ((flags & RP_MODE_NO_GROUP_WRITE) && (mode & (S_IWGRP | S_IWOTH))) {
		snprintf(err, errlen, "%s: %s mode %04o lets %s write it; refusing it (chmod go-w %s)", path,
		         what, mode, (mode & S_IWOTH) ? "everyone" : "its group", path);
		return -EPERM;
	}
	if ((flags & RP_MODE_NO_OTHER_READ) && (mode & S_IROTH)) {
		snprintf(
		    err, errlen,
		    "%s: %s mode %04o lets everyone read the secrets in it; refusing it (chmod o-rwx %s)",
		    path, what, mode, path);
		return -EPERM;
	}
	if ((flags & RP_MODE_NO_GROUP_READ) && (mode & S_IRGRP)) {
		snprintf(
		    err, errlen,
		    "%s: %s mode %04o lets its group read the secrets in it; refusing it (chmod go-rwx %s)",
		    path, what, mode, path);
		return -EPERM;
	}
	return 0;
}
