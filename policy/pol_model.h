/* Modelling: what the daemon would do for a peer, a certificate, an account and a destination
 * (pol_model.c). */
#ifndef RP_POL_MODEL_H
#define RP_POL_MODEL_H
#include <stdio.h>

#include "auth.h"
#include "policy.h"

struct pol_model_q {
	uint32_t peer; /* host order */
	const char *id;
	const struct auth_cert_info *cert; /* parsed cert=FILE, or NULL */
	const char *account;
	bool has_dst;
	uint32_t dst;
	uint8_t proto;
	uint16_t port;
};

struct pol_model_a {
	bool matched; /* false: the default response */
	struct pol_match m;
	enum pol_action action;
	char filter[700];
	bool cert_given;
	char cert_subject[AUTH_CERT_DN_LEN], cert_issuer[AUTH_CERT_DN_LEN], cert_decision[700];
	char account[64], group[64], rights[200], lease[96];
	bool account_found;
	bool dst_given, dst_permit;
	char dst_rule[POL_NAME];
};

/* peer=ADDR [id=ID] [cert=FILE] [account=NAME] [dst=ADDR proto=P port=N] into q (strings point
 * into argv); *cert gets cert='s file (the caller reads it). 0 or -EINVAL with the reason. */
int pol_model_args(int argc, char **argv, struct pol_model_q *q, const char **cert, char *err, size_t n);
/* db may be NULL (no certificate mapping, rights or lease then). 0 or -ENOMEM. a points into s. */
int pol_model(const struct pol_set *s, const struct pol_env *env, struct auth_db *db,
              const struct pol_model_q *q, struct pol_model_a *a);
void pol_model_print(const struct pol_model_q *q, const struct pol_model_a *a, bool json, FILE *f);
#endif
