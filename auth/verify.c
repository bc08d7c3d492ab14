/* PPP authentication against the account store: the one place PAP, CHAP-MD5 and MS-CHAPv2
 * responses are checked. Every comparison is constant time. */
#include "auth_local.h"

#include <errno.h>
#include <string.h>

static const char *const fail_str[] = {
    [AUTH_OK] = "ok",
    [AUTH_FAIL_UNKNOWN_USER] = "unknown user",
    [AUTH_FAIL_DISABLED] = "account disabled",
    [AUTH_FAIL_METHOD] = "authentication method not allowed for this account",
    [AUTH_FAIL_PASSWORD] = "wrong password",
    [AUTH_FAIL_INTERNAL] = "account store error",
    [AUTH_FAIL_DENIED] = "network access denied",
    [AUTH_FAIL_NOT_ALLOWED] = "not in the allow network access list",
};

const char *auth_fail_str(int r)
{
	return r >= 0 && (size_t)r < RP_ARRAY_LEN(fail_str) ? fail_str[r] : "?";
}

int auth_ppp_verify(struct auth_db *db, const struct auth_ppp_req *req, struct auth_ppp_res *res)
{
	struct auth_account a;
	struct auth_secret sec;
	const char *user;
	size_t ulen;
	memset(res, 0, sizeof *res);
	if (!db || !req || !req->user)
		return -1;
	ulen = req->user_len;
	/* Windows sends "DOMAIN\user": accounts are looked up without the domain (RFC 2759 §8.2
	 * also hashes only the bare name). */
	user = auth_strip_domain(req->user, &ulen);
	if (ulen == 0 || ulen > 63) {
		res->result = AUTH_FAIL_UNKNOWN_USER;
		return 0;
	}
	int rc = auth_lookup(db, user, ulen, &a, &sec);
	if (rc) {
		res->result = rc == -ENOENT ? AUTH_FAIL_UNKNOWN_USER : AUTH_FAIL_INTERNAL;
		return 0;
	}
	res->account_id = a.id;
	memcpy(res->account, a.name, sizeof res->account);
	res->static_ip = a.static_ip;
	if (!a.enabled) {
		res->result = AUTH_FAIL_DISABLED;
	} else if (!(a.methods & req->method)) {
		res->result = AUTH_FAIL_METHOD;
	} else if (req->method == AUTH_M_MSCHAPV2) {
		uint8_t want[24];
		if (!req->challenge || req->challenge_len != 16 || !req->peer_challenge ||
		    !req->nt_response) {
			res->result = AUTH_FAIL_PASSWORD;
		} else {
			auth_mschapv2_nt_response(sec.nt_hash, req->challenge, req->peer_challenge, req->user,
			                          req->user_len, want);
			if (rp_ct_memeq(want, req->nt_response, 24)) {
				auth_mschapv2_auth_response(sec.nt_hash, req->nt_response,
				                            req->peer_challenge, req->challenge, req->user,
				                            req->user_len, res->auth_response);
				res->result = AUTH_OK;
			} else
				res->result = AUTH_FAIL_PASSWORD;
			rp_wipe(want, sizeof want);
		}
	} else if (req->method == AUTH_M_PAP) {
		uint8_t h[16];
		if (!req->password || auth_nt_hash((const char *)req->password, req->password_len, h))
			res->result = AUTH_FAIL_PASSWORD;
		else
			res->result = rp_ct_memeq(h, sec.nt_hash, 16) ? AUTH_OK : AUTH_FAIL_PASSWORD;
		rp_wipe(h, sizeof h);
	} else if (req->method == AUTH_M_CHAP_MD5) {
		uint8_t d[16];
		if (!a.has_cleartext || !req->challenge || !req->response) {
			/* no reversible secret stored: CHAP-MD5 cannot be verified */
			res->result = a.has_cleartext ? AUTH_FAIL_PASSWORD : AUTH_FAIL_METHOD;
		} else {
			auth_chap_md5(req->chap_id, sec.cleartext, sec.cleartext_len, req->challenge,
			              req->challenge_len, d);
			res->result = rp_ct_memeq(d, req->response, 16) ? AUTH_OK : AUTH_FAIL_PASSWORD;
		}
		rp_wipe(d, sizeof d);
	} else {
		res->result = AUTH_FAIL_METHOD;
	}
	rp_wipe(&sec, sizeof sec);
	if (res->result == AUTH_OK) {
		int r = auth_rights_check(db, a.id, &res->right_id, res->detail, sizeof res->detail);
		if (r != AUTH_CERT_OK) {
			res->result = r == AUTH_CERT_DENIED        ? AUTH_FAIL_DENIED
			              : r == AUTH_CERT_NOT_ALLOWED ? AUTH_FAIL_NOT_ALLOWED
			                                           : AUTH_FAIL_INTERNAL;
			rp_wipe(res->auth_response, sizeof res->auth_response);
		} else {
			res->right_id = 0;
			res->detail[0] = 0;
			if (auth_limits_get(db, a.id, &res->limits))
				res->result = AUTH_FAIL_INTERNAL;
		}
	}
	return 0;
}
