/* fuzz_auth_cert: arbitrary bytes as a peer's certificate (DER, or PEM) through everything IKE and
 * rampartctl do with one: parsing and info extraction, chain validation against the demo CA (alone
 * and with the demo CA's own certificate sent as an intermediate), ID matching with the input's tail
 * as ID data for every ID type, and mapping + rights against an in-memory store holding one rule of
 * each kind, and under a policy rule's CA; the input as a DN string too. Must never crash, leak or
 * read out of bounds. */
#include "auth.h"

#include <stdio.h>
#include <string.h>

static struct auth_trust *trust;
static struct auth_db *db;
static uint8_t ca_der[4096];
static size_t ca_len;

static void setup(void)
{
	trust = auth_trust_new();
	if (trust) {
		auth_trust_add_ca_file(trust, RP_DATA "/pki/ca.pem");
		auth_trust_add_crl_file(trust, RP_DATA "/pki/crl.pem");
	}
	FILE *f = fopen(RP_DATA "/pki/ca.der", "rb");
	if (f) {
		ca_len = fread(ca_der, 1, sizeof ca_der, f);
		fclose(f);
	}
	db = auth_db_open_file(":memory:", NULL, 0);
	if (!db)
		return;
	auth_account_add(db, "alice", "pw", NULL);
	auth_account_add(db, "mallory", "pw", NULL);
	auth_account_add(db, "stranger", "pw", NULL);
	struct auth_certmap_rule r = {.kind = AUTH_MAP_BYNAME, .byname = AUTH_BYNAME_UPN};
	auth_certmap_add(db, &r);
	r.byname = AUTH_BYNAME_EMAIL;
	auth_certmap_add(db, &r);
	memset(&r, 0, sizeof r);
	r.kind = AUTH_MAP_ISSUER;
	snprintf(r.issuer, sizeof r.issuer, "CN=rampart demo CA,O=Example");
	snprintf(r.ou, sizeof r.ou, "Staff");
	snprintf(r.account, sizeof r.account, "mallory");
	auth_certmap_add(db, &r);
	r.kind = AUTH_MAP_ISSUER_SUBJECT;
	snprintf(r.subject, sizeof r.subject, "CN=alice,OU=Staff,O=Example");
	snprintf(r.account, sizeof r.account, "alice");
	auth_certmap_add(db, &r);
	auth_group_add(db, "contractors");
	auth_group_member_add(db, "contractors", "mallory");
	auth_right_add(db, AUTH_RIGHT_DENY, NULL, "contractors");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct auth_cert_info info;
	static bool ready;
	if (!ready) {
		setup();
		ready = true;
	}
	if (auth_cert_parse_any(data, size, &info) == 0) {
		size_t tl = size < 64 ? size : 64;
		static const int types[] = {AUTH_ID_IPV4_ADDR, AUTH_ID_FQDN,        AUTH_ID_USER_FQDN,
		                            AUTH_ID_IPV6_ADDR, AUTH_ID_DER_ASN1_DN, 4};
		for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
			auth_cert_id_match(&info, types[i], data + size - tl, tl);
			auth_cert_id_match(&info, types[i], data, size < 4 ? size : 4);
		}
		auth_cert_id_match(&info, AUTH_ID_DER_ASN1_DN, info.subject_der, info.subject_der_len);
		if (db) {
			struct auth_cert_res res;
			auth_cert_map(db, &info, &res);
		}
		/* a policy rule's CA (rootca=) against the peer's DNs, in both orders */
		auth_cert_from_ca(&info, "O=Example, CN=rampart demo CA");
		auth_dn_equal(info.subject, info.issuer);
	}
	/* the input as a DN string, as an operator's rootca= or certmap issuer= arrives */
	static char dn[1024];
	size_t dl = size < sizeof dn - 1 ? size : sizeof dn - 1;
	memcpy(dn, data, dl);
	dn[dl] = 0;
	auth_dn_equal(dn, "CN=rampart demo CA,O=Example");
	auth_dn_equal(dn, dn);
	if (trust && size > 0) {
		char why[256];
		struct auth_der chain[2] = {{data, size}, {ca_der, ca_len}};
		auth_cert_validate(trust, chain, 1, 1893456000, &info, why, sizeof why);
		if (ca_len)
			auth_cert_validate(trust, chain, 2, 1893456000, &info, why, sizeof why);
		if (db) {
			struct auth_cert_res res;
			auth_cert_authorize(db, trust, chain, 1, 1893456000, NULL, &res);
			auth_cert_authorize_id(db, trust, chain, 1, AUTH_ID_USER_FQDN, data,
			                       size < 20 ? size : 20, 1893456000, NULL, &res);
			auth_cert_authorize_rule(db, trust, chain, 1, AUTH_ID_USER_FQDN, data, size < 20 ? size : 20,
			                         1893456000, "CN=rampart demo CA,O=Example", false, NULL, &res);
		}
	}
	return 0;
}
