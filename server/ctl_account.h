#ifndef CTL_ACCOUNT_H
#define CTL_ACCOUNT_H
/* argv after the sub-command word; each returns rampartctl's exit code (0 ok, 1 refused, 2 usage or
 * store unreachable). They edit the SQLite store directly (see ctl_account.c). */
int ctl_account(int argc, char **argv); /* account ... */
int ctl_group(int argc, char **argv);   /* group ... */
int ctl_certmap(int argc, char **argv); /* certmap ... */
int ctl_right(int argc, char **argv);   /* right ... */
#endif
