/* policy/ internals shared between its files. */
#ifndef RP_POL_LOCAL_H
#define RP_POL_LOCAL_H
#include "policy.h"
#include "rp_base.h" /* rp_wipe: secrets (rule PSKs) are wiped where the compiler cannot skip it */

enum pol_kind { POL_K_FILTERLIST = 0, POL_K_FILTERACTION, POL_K_POLICY, POL_K_RULE };
/* Appends a copy of obj (its kind's struct) to s; the filter list's array is taken over. */
int pol_set_append(struct pol_set *s, int kind, const void *obj);
int pol_filter_append(struct pol_filterlist *l, const struct pol_filter *f);
/* show KIND name=NAME|all [policy=P]: name NULL = all */
void pol_show_objects(const struct pol_set *s, unsigned mask, int kind, const char *name, const char *policy,
                      pol_out_fn out, void *ctx);
#endif
