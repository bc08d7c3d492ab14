/* Failed-login throttling (issue 12). PAP, CHAP and MS-CHAPv2 allow a few tries per session and
 * sessions cost nothing, so a peer could guess passwords at line rate. Failures are counted per
 * (account, peer), per peer and per account over a window; past a rule's limit its key is
 * refused for a lock-out period without the password being checked at all.
 *
 * The per-(account, peer) rule is the strict one: it stops a guesser without touching the
 * account's owner elsewhere. The per-account rule catches a guesser spreading over many SAs, but
 * it also lets anyone lock the owner out, so its limit is higher and its lock-out shorter. For
 * the pair, the peer is the outer address when the owner says (l2tp_conf.peer_of), else the IPsec
 * SA; for the peer rule it is the SA (what an attacker pays an IKE handshake for); for plain L2TP
 * it is the source address.
 *
 * Memory is bounded (L2TP_THR_MAX records, the least recently changed go first) and nothing is
 * scanned: records sit in a list by last change and the stale head is dropped on each call. */
#include "l2tp_local.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K_PAIR, K_PEER, K_ACCOUNT };

struct l2tp_thr {
	struct l2tp_thr *hnext, *older, *newer;
	int kind;
	uint64_t sa;
	uint8_t ip[16];
	char acct[64];
	size_t acct_len;
	unsigned fails;
	uint64_t first_fail, locked_until, last;
};

static const int lim_of[] = {L2TP_LIM_LOGIN_PAIR, L2TP_LIM_LOGIN_PEER, L2TP_LIM_LOGIN_ACCOUNT};

static unsigned max_of(const struct l2tp *l, int kind)
{
	return kind == K_PAIR   ? l->conf.login_fail_max
	       : kind == K_PEER ? l->conf.login_peer_fail_max
	                        : l->conf.login_account_fail_max;
}

static uint64_t lockout_ms(const struct l2tp *l, int kind)
{
	return (kind == K_ACCOUNT ? l->conf.login_account_lockout_s : l->conf.login_lockout_s) * 1000ull;
}

/* The key of a rule: the pair uses all of it, the peer no account, the account no peer. The
 * pair's peer is the outer address when the owner tells it (a new IKE SA from the same host does
 * not start afresh); the peer rule keeps the SA, so one host behind a NAT shared with others
 * does not lock them all out. */
static void key_of(const struct l2tp *l, int kind, const struct l2tp_link *link, const char *acct, size_t len,
                   struct l2tp_thr *k)
{
	memset(k, 0, sizeof *k);
	k->kind = kind;
	struct rp_addr outer;
	if (kind == K_PAIR && link->sa && l->conf.peer_of && !l->conf.peer_of(l->conf.data_ctx, link, &outer))
		memcpy(k->ip, outer.ip, 16);
	else if (kind != K_ACCOUNT) {
		k->sa = link->sa;
		if (!link->sa)
			memcpy(k->ip, link->peer.ip, 16);
	}
	if (kind != K_PEER) {
		/* "DOMAIN\user" is the account "user" (RFC 2759 §8.2; auth/verify.c looks it up so): a
		 * guesser must not get fresh counts by changing the domain */
		for (size_t i = len; i > 0; i--)
			if (acct[i - 1] == '\\') {
				acct += i;
				len -= i;
				break;
			}
		k->acct_len = len < sizeof k->acct ? len : sizeof k->acct;
		memcpy(k->acct, acct, k->acct_len);
	}
}

static size_t bucket(const struct l2tp_thr *k)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)k->kind ^ k->sa * 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < 16; i++)
		h = (h ^ k->ip[i]) * 1099511628211ull;
	for (size_t i = 0; i < k->acct_len; i++)
		h = (h ^ (uint8_t)k->acct[i]) * 1099511628211ull;
	h ^= h >> 31;
	return (size_t)(h % L2TP_THR_HASH);
}

static bool same(const struct l2tp_thr *a, const struct l2tp_thr *b)
{
	return a->kind == b->kind && a->sa == b->sa && !memcmp(a->ip, b->ip, 16) &&
	       a->acct_len == b->acct_len && !memcmp(a->acct, b->acct, a->acct_len);
}

static void unlink_age(struct l2tp *l, struct l2tp_thr *r)
{
	if (r->older)
		r->older->newer = r->newer;
	else
		l->thr_old = r->newer;
	if (r->newer)
		r->newer->older = r->older;
	else
		l->thr_new = r->older;
	r->older = r->newer = NULL;
}

static void push_age(struct l2tp *l, struct l2tp_thr *r)
{
	r->older = l->thr_new;
	r->newer = NULL;
	if (l->thr_new)
		l->thr_new->newer = r;
	else
		l->thr_old = r;
	l->thr_new = r;
}

static void drop(struct l2tp *l, struct l2tp_thr *r)
{
	for (struct l2tp_thr **pp = &l->thr_hash[bucket(r)]; *pp; pp = &(*pp)->hnext)
		if (*pp == r) {
			*pp = r->hnext;
			break;
		}
	unlink_age(l, r);
	l->thr_n--;
	l->st.throttle_entries = l->thr_n;
	rp_wipe(r, sizeof *r); /* it names an account */
	free(r);
}

/* A record changed last more than a window and the longest lock-out ago holds nothing: its
 * failures are outside the window and any lock-out is over. */
static void expire(struct l2tp *l)
{
	uint64_t w = l->conf.login_fail_window_s * 1000ull, lo = lockout_ms(l, K_PAIR);
	if (lockout_ms(l, K_ACCOUNT) > lo)
		lo = lockout_ms(l, K_ACCOUNT);
	while (l->thr_old && l->now - l->thr_old->last >= w + lo)
		drop(l, l->thr_old);
}

static struct l2tp_thr *find(struct l2tp *l, const struct l2tp_thr *k)
{
	for (struct l2tp_thr *r = l->thr_hash[bucket(k)]; r; r = r->hnext)
		if (same(r, k))
			return r;
	return NULL;
}

void throttle_free(struct l2tp *l)
{
	while (l->thr_old)
		drop(l, l->thr_old);
}

/* Locked now? A lock-out that has run out clears the record's failures. */
static bool locked(struct l2tp *l, struct l2tp_thr *r)
{
	if (!r || !r->locked_until)
		return false;
	if (l->now < r->locked_until)
		return true;
	r->locked_until = 0;
	r->fails = 0;
	return false;
}

int throttle_check(struct l2tp *l, const struct l2tp_link *link, const char *account, size_t len)
{
	if (!l->thr_hash)
		return 0;
	expire(l);
	for (int kind = K_PAIR; kind <= K_ACCOUNT; kind++) {
		struct l2tp_thr k;
		if (!max_of(l, kind))
			continue;
		key_of(l, kind, link, account, len, &k);
		if (locked(l, find(l, &k)))
			return lim_of[kind];
	}
	return 0;
}

bool throttle_peer_locked(struct l2tp *l, const struct l2tp_link *link)
{
	struct l2tp_thr k;
	if (!l->thr_hash || !l->conf.login_peer_fail_max)
		return false;
	expire(l);
	key_of(l, K_PEER, link, "", 0, &k);
	if (!locked(l, find(l, &k)))
		return false;
	limits_refused(l, L2TP_LIM_LOGIN_PEER, link, "new session of a peer locked out by failed logins");
	return true;
}

static void fail(struct l2tp *l, int kind, const struct l2tp_link *link, const char *account, size_t len)
{
	struct l2tp_thr k, *r;
	key_of(l, kind, link, account, len, &k);
	r = find(l, &k);
	if (!r) {
		if (l->thr_n >= L2TP_THR_MAX)
			drop(l, l->thr_old);
		r = malloc(sizeof *r);
		if (!r)
			return;
		*r = k;
		size_t b = bucket(r);
		r->hnext = l->thr_hash[b];
		l->thr_hash[b] = r;
		l->thr_n++;
		l->st.throttle_entries = l->thr_n;
		r->first_fail = l->now;
	} else
		unlink_age(l, r);
	r->last = l->now;
	push_age(l, r);
	if (l->now - r->first_fail >= l->conf.login_fail_window_s * 1000ull) {
		r->first_fail = l->now; /* a new window */
		r->fails = 0;
	}
	if (++r->fails < max_of(l, kind) || r->locked_until)
		return;
	r->locked_until = l->now + lockout_ms(l, kind);
	/* the lock-out's first refusal is logged by limits_refused; this says why it began, at most
	 * once per interval and rule however many keys lock */
	if (l->log && (!l->thr_log_ms[kind] || l->now - l->thr_log_ms[kind] >= L2TP_LIM_LOG_MS)) {
		char who[RP_ADDR_STRLEN], user[4 * 64 + 1];
		l->thr_log_ms[kind] = l->now ? l->now : 1;
		rp_addr_str(&link->peer, who, sizeof who);
		rp_esc(r->acct, r->acct_len, user, sizeof user); /* the account, without a domain */
		rp_logf(l->log, RP_LOG_WARN, "l2tp",
		        "%u failed logins %s%s%s%s within %u s: %s locked out for %llu s (%s)", r->fails,
		        kind != K_PEER ? "of \"" : "", kind != K_PEER ? user : "", kind != K_PEER ? "\"" : "",
		        kind == K_ACCOUNT ? " from all peers" : " from this peer",
		        l->conf.login_fail_window_s,
		        kind == K_PAIR   ? "this account from this peer"
		        : kind == K_PEER ? "the peer"
		                         : "the account",
		        (unsigned long long)lockout_ms(l, kind) / 1000, l2tp_limit_name(lim_of[kind]));
		rp_logf(l->log, RP_LOG_DETAIL, "l2tp", "the locked peer is sa %llu, %s",
		        (unsigned long long)link->sa, who);
	}
}

void throttle_result(struct l2tp *l, const struct l2tp_link *link, const char *account, size_t len, bool ok)
{
	if (!l->thr_hash)
		return;
	expire(l);
	if (ok) {
		struct l2tp_thr k;
		key_of(l, K_PAIR, link, account, len, &k);
		struct l2tp_thr *r = find(l, &k);
		if (r && !r->locked_until)
			drop(l, r);
		return;
	}
	for (int kind = K_PAIR; kind <= K_ACCOUNT; kind++)
		if (max_of(l, kind))
			fail(l, kind, link, account, len);
}
