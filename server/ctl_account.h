#ifndef CTL_ACCOUNT_H
#define CTL_ACCOUNT_H
/* argv after "account"; returns rampartctl's exit code. */
int ctl_account(int argc, char **argv);
#endif
