/* rampart-bench auth: what certificate authentication costs one Main Mode: auth_cert_validate
 * (chain + CRL + KU/EKU + info extraction) and auth_cert_authorize (that plus mapping and rights
 * against an on-disk store with a few rules), over the committed demo PKI. */
#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int bench_auth(int argc, char **argv)
{
	int iters = argc > 1 ? atoi(argv[1]) : 2000;
	static uint8_t der[8192];
	static struct auth_cert_info info;
	FILE *f = fopen(RP_DATA "/pki/alice.der", "rb");
	if (!f || iters <= 0)
		return 1;
	size_t n = fread(der, 1, sizeof der, f);
	fclose(f);
	struct auth_trust *t = auth_trust_new();
	if (!t || auth_trust_add_ca_file(t, RP_DATA "/pki/ca.pem") <= 0 ||
	    auth_trust_add_crl_file(t, RP_DATA "/pki/crl.pem") <= 0)
		return 1;
	char dir[] = "/tmp/auth-bench-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	struct auth_db *db = auth_db_open(dir, NULL, 0);
	if (!db)
		return 1;
	auth_account_add(db, "alice", "pw", NULL);
	auth_account_add(db, "bob", "pw", NULL);
	struct auth_certmap_rule r = {.kind = AUTH_MAP_BYNAME, .byname = AUTH_BYNAME_UPN};
	auth_certmap_add(db, &r);
	r = (struct auth_certmap_rule){.kind = AUTH_MAP_ISSUER};
	snprintf(r.issuer, sizeof r.issuer, "CN=rampart demo CA,O=Example");
	snprintf(r.account, sizeof r.account, "bob");
	snprintf(r.ou, sizeof r.ou, "Sales");
	auth_certmap_add(db, &r);
	auth_right_add(db, AUTH_RIGHT_DENY, "bob", NULL);
	struct auth_der c = {der, n};
	char why[256];
	const int64_t when = 1893456000;
	double t0 = now_s();
	for (int i = 0; i < iters; i++)
		if (auth_cert_validate(t, &c, 1, when, &info, why, sizeof why) != AUTH_CERT_OK)
			return 1;
	double t1 = now_s();
	struct auth_cert_res res;
	for (int i = 0; i < iters; i++)
		if (auth_cert_authorize(db, t, &c, 1, when, &info, &res) || res.result != AUTH_CERT_OK)
			return 1;
	double t2 = now_s();
	printf("auth_cert_validate   %8.1f us/call (%d calls, RSA-2048 chain of 1 + CRL)\n",
	       (t1 - t0) / iters * 1e6, iters);
	printf("auth_cert_authorize  %8.1f us/call (validate + 2 rules + rights, SQLite file store)\n",
	       (t2 - t1) / iters * 1e6);
	auth_db_close(db);
	auth_trust_free(t);
	char cmd[64];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) ? 1 : 0;
}
