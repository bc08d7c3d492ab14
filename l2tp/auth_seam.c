/* The PPP login as a request/answer pair (DESIGN: one seam kind for every question a core asks
 * the outside). session.c's verify hook emits L2TP_EV_AUTH_REQUEST and PPP waits; the owner
 * answers with l2tp_auth_answer, at once from its store (l2tp_auth_from_store) or later from
 * RADIUS. What follows a verified password is the core's in every case: the log line, the
 * counters, the owner's ppp_authorize policy, and the address lease. */
#include "l2tp_local.h"

#include "auth.h"
#include "ppp.h"

#include <errno.h>
#include <string.h>

static struct l2tp_session *pending(struct l2tp *l, const struct l2tp_link *link, uint64_t id)
{
	struct l2tp_tunnel *t = tunnel_find(l, link, (uint16_t)(id >> 48)); /* tunnel IDs are per link */
	struct l2tp_session *s = t ? session_find(t, (uint16_t)(id >> 32)) : NULL;
	if (!s || !id || s->auth_id != id || s->state != S_ESTABLISHED || !s->ppp)
		return NULL;
	return s;
}

/* The verdict the way PPP shows it, counted and logged; 0 and *ip set when the login may go on. */
static int decide(struct l2tp *l, struct l2tp_session *s, const struct l2tp_auth_ans *a,
                  struct ppp_auth_res *r)
{
	/* the account name comes from the peer (or a RADIUS server): escaped for the log */
	char user[4 * 64 + 1], det[4 * 160 + 1] = "";
	rp_esc(s->login, s->login_len, user, sizeof user);
	if (a->detail[0])
		rp_esc(a->detail, strnlen(a->detail, sizeof a->detail), det, sizeof det);
	const char *sep = a->result == AUTH_FAIL_DENIED        ? " by right "
	                  : a->result == AUTH_FAIL_NOT_ALLOWED ? " "
	                  : det[0]                             ? ": "
	                                                       : "";
	rp_logf(l->log, a->result ? RP_LOG_WARN : RP_LOG_DETAIL, "l2tp",
	        "tunnel %u session %u: authentication of \"%s\": %s%s%s", s->t->tid, s->sid, user,
	        auth_fail_str(a->result), sep, det);
	/* a wrong password or an unknown name counts towards the lock-outs (throttle.c); a right
	 * password clears its (account, peer) record whatever the rights say next */
	if (a->result == AUTH_OK || a->result == AUTH_FAIL_PASSWORD || a->result == AUTH_FAIL_UNKNOWN_USER ||
	    a->result == AUTH_FAIL_DENIED || a->result == AUTH_FAIL_NOT_ALLOWED)
		throttle_result(l, &s->t->link, s->login, s->login_len,
		                a->result != AUTH_FAIL_PASSWORD && a->result != AUTH_FAIL_UNKNOWN_USER);
	r->verdict = a->result == AUTH_OK              ? PPP_AUTH_OK
	             : a->result == AUTH_FAIL_PASSWORD ? PPP_AUTH_BAD_PASSWORD
	             : a->result == AUTH_FAIL_DISABLED ? PPP_AUTH_DISABLED
	                                               : PPP_AUTH_NO_PERMISSION;
	memcpy(r->account, a->account, sizeof r->account);
	r->account[sizeof r->account - 1] = 0;
	memcpy(r->auth_response, a->auth_response, sizeof r->auth_response);
	r->auth_response[sizeof r->auth_response - 1] = 0;
	if (r->verdict != PPP_AUTH_OK) {
		l->st.auth[r->verdict == PPP_AUTH_BAD_PASSWORD ? L2TP_AUTH_BAD_PASSWORD
		           : r->verdict == PPP_AUTH_DISABLED   ? L2TP_AUTH_DISABLED
		                                               : L2TP_AUTH_NO_PERMISSION]++;
		return -1;
	}
	char why[160] = "";
	if (l->conf.ppp_authorize &&
	    l->conf.ppp_authorize(l->conf.data_ctx, &s->t->link, r->account, why, sizeof why)) {
		rp_logf(l->log, RP_LOG_WARN, "l2tp", "tunnel %u session %u: login \"%s\" refused: %s",
		        s->t->tid, s->sid, user, why);
		r->verdict = PPP_AUTH_NO_PERMISSION;
		l->st.auth[L2TP_AUTH_REFUSED]++;
		return -1;
	}
	/* max_sessions counts this account's authenticated sessions on this server */
	/* l2tp.max_sessions_per_account is a server-wide ceiling (issue 12): it bounds accounts
	 * without a limit of their own, so one identity cannot take the session table */
	uint32_t max = a->max_sessions, ceil = l->conf.max_sessions_per_account;
	bool by_ceiling = ceil && (!max || max > ceil);
	if (by_ceiling)
		max = ceil;
	int lrc = limits_acct_add(l, s, r->account, max);
	if (lrc) {
		rp_logf(l->log, RP_LOG_WARN, "l2tp", "tunnel %u session %u: login \"%s\" refused: %s",
		        s->t->tid, s->sid, user,
		        lrc != -EUSERS ? "out of memory"
		        : by_ceiling   ? "the account has l2tp.max_sessions_per_account sessions already"
		                       : "the account has max_sessions sessions already");
		rp_logf(l->log, RP_LOG_DETAIL, "l2tp", "max_sessions of \"%s\" is %u", user, max);
		r->verdict = PPP_AUTH_NO_PERMISSION;
		l->st.auth[L2TP_AUTH_MAX_SESSIONS]++;
		if (lrc == -EUSERS)
			l->st.refused[L2TP_LIM_SESSIONS_PER_ACCOUNT]++;
		return -1;
	}
	/* the address: the account's static one (or the RADIUS Framed-IP-Address) or the next from
	 * the pool; never a duplicate */
	uint32_t ip = 0;
	int prc = l->conf.pool ? auth_pool_lease(l->conf.pool, a->ip, &ip) : -ENOSPC;
	if (prc) {
		if (prc == -ENOSPC && !a->ip)
			l2tp_runout(l, &s->t->link, "pool addresses", "pool.range");
		else
			rp_logf(l->log, RP_LOG_WARN, "l2tp", "no address for \"%s\" (static address %s)",
			        user, prc == -EADDRINUSE ? "in use" : "unavailable");
		limits_acct_del(s);
		r->verdict = PPP_AUTH_NO_PERMISSION;
		l->st.auth[L2TP_AUTH_NO_ADDRESS]++;
		return -1;
	}
	l->st.auth[L2TP_AUTH_OK]++;
	session_release_ip(s); /* a repeated success: give back the previous lease */
	s->ip = ip;
	s->account_id = a->account_id;
	memcpy(s->account, r->account, sizeof s->account);
	r->peer_ip = ip;
	s->expire_at = a->session_timeout_s ? l->now + a->session_timeout_s * 1000ull : 0;
	s->idle_ms = a->idle_timeout_s * 1000ull;
	s->last_data = l->now;
	/* a zero rate leaves the bucket off: the data path tests rate and nothing else */
	limits_tbf_init(&s->tb_in, a->rate_in_kbit, l->now);
	limits_tbf_init(&s->tb_out, a->rate_out_kbit, l->now);
	return 0;
}

int l2tp_auth_answer(struct l2tp *l, const struct l2tp_link *link, uint64_t id, const struct l2tp_auth_ans *a,
                     uint64_t now_ms)
{
	l->now = now_ms;
	struct l2tp_session *s = pending(l, link, id);
	if (!s || !ppp_auth_pending(s->ppp))
		return -ENOENT;
	s->auth_id = 0;
	struct ppp_auth_res r;
	memset(&r, 0, sizeof r);
	decide(l, s, a, &r);
	ppp_auth_answer(s->ppp, &r, now_ms);
	rp_wipe(&r, sizeof r);
	l2tp_sched(l, s->t);
	return 0;
}

void l2tp_auth_store_verdict(struct auth_db *db, const struct l2tp_ev_auth *q, struct l2tp_auth_ans *a)
{
	struct auth_ppp_req aq = {.method = q->method,
	                          .user = q->user,
	                          .user_len = q->user_len,
	                          .password = q->password,
	                          .password_len = q->password_len,
	                          .chap_id = q->chap_id,
	                          .challenge = q->challenge,
	                          .challenge_len = sizeof q->challenge,
	                          .response = q->response,
	                          .peer_challenge = q->peer_challenge,
	                          .nt_response = q->nt_response};
	struct auth_ppp_res ar;
	memset(&ar, 0, sizeof ar);
	memset(a, 0, sizeof *a);
	if (!db || auth_ppp_verify(db, &aq, &ar))
		ar.result = AUTH_FAIL_INTERNAL;
	a->result = ar.result;
	a->account_id = ar.account_id;
	/* a refusal names the account as the peer spelt it (escaped when logged) */
	if (ar.account[0])
		memcpy(a->account, ar.account, sizeof a->account);
	else
		memcpy(a->account, q->user,
		       q->user_len < sizeof a->account - 1 ? q->user_len : sizeof a->account - 1);
	a->ip = ar.static_ip;
	a->max_sessions = ar.limits.v[AUTH_LIMIT_MAX_SESSIONS];
	a->rate_in_kbit = ar.limits.v[AUTH_LIMIT_RATE_IN];
	a->rate_out_kbit = ar.limits.v[AUTH_LIMIT_RATE_OUT];
	a->idle_timeout_s = ar.limits.v[AUTH_LIMIT_IDLE];
	memcpy(a->auth_response, ar.auth_response, sizeof a->auth_response);
	if (ar.result == AUTH_FAIL_DENIED || ar.result == AUTH_FAIL_NOT_ALLOWED)
		memcpy(a->detail, ar.detail, sizeof a->detail);
	rp_wipe(&ar, sizeof ar);
}

int l2tp_auth_from_store(struct l2tp *l, struct auth_db *db, const struct l2tp_ev_auth *q, uint64_t now_ms,
                         struct l2tp_auth_ans *out)
{
	struct l2tp_auth_ans a;
	l2tp_auth_store_verdict(db, q, &a);
	int rc = l2tp_auth_answer(l, &q->link, q->id, &a, now_ms);
	if (out)
		*out = a;
	rp_wipe(&a, sizeof a);
	return rc;
}

int l2tp_session_counters(const struct l2tp *l, const struct l2tp_link *link, uint16_t tid, uint16_t sid,
                          struct l2tp_counters *out)
{
	struct l2tp_tunnel *t = tunnel_find(l, link, tid);
	struct l2tp_session *s = t ? session_find(t, sid) : NULL;
	if (!s)
		return -ENOENT;
	*out = s->ctr;
	return 0;
}
