#ifndef CTL_ACCOUNT_H
#define CTL_ACCOUNT_H
#include <stdbool.h>
/* argv after the sub-command word; each returns rampartctl's exit code (0 ok, 1 refused, 2 usage or
 * store unreachable). They edit the SQLite store directly (see ctl_account.c). */
int ctl_account(int argc, char **argv); /* account ... */
int ctl_group(int argc, char **argv);   /* group ... */
int ctl_certmap(int argc, char **argv); /* certmap ... */
int ctl_right(int argc, char **argv);   /* right ... */
/* The state directory: "-d DIR" taken off the front of argv, else $RAMPART_STATE, else
 * /var/lib/rampart; *given says whether -d named it. */
const char *ctl_state_dir(int *argc, char ***argv, bool *given);
/* ipsec ... (ctl_ipsec.c): the policy store directly, the daemon's dynamic store, modelling */
int ctl_ipsec(int argc, char **argv, bool json);
/* rampartctl.c: the control socket (-s, $RAMPART_CONTROL) and one request to rampartd, answer
 * printed (for --now: the store is changed, then the daemon ends what no longer may run). */
extern const char *ctl_socket_path;
int ctl_daemon(int argc, char **argv);
#endif
