/* Per-account limits (issue 16): the count of live sessions per account for max_sessions, and
 * the token bucket that polices an account's rate in each direction. The bucket is only ever
 * touched when the account has a rate (one branch in the data path otherwise). */
#include "l2tp_local.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct l2tp_acct {
	struct l2tp_acct *next;
	unsigned n; /* live authenticated sessions of this account */
	char name[64];
};

static size_t acct_hash(const char *name)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 16777619u;
	return h % L2TP_ACCT_HASH;
}

int limits_acct_add(struct l2tp *l, struct l2tp_session *s, const char *name, uint32_t max)
{
	struct l2tp_acct **pp = &l->acct_hash[acct_hash(name)], *a;
	for (a = *pp; a && strcmp(a->name, name); a = a->next)
		;
	/* a repeated success of the same session on the same account is not a new session */
	if (a && s->acct == a)
		return 0;
	if (max && a && a->n >= max)
		return -EUSERS;
	if (!a) {
		a = calloc(1, sizeof *a);
		if (!a)
			return -ENOMEM;
		snprintf(a->name, sizeof a->name, "%s", name);
		a->next = *pp;
		*pp = a;
	}
	limits_acct_del(s);
	a->n++;
	s->acct = a;
	return 0;
}

void limits_acct_del(struct l2tp_session *s)
{
	struct l2tp_acct *a = s->acct;
	if (!a)
		return;
	s->acct = NULL;
	if (--a->n)
		return;
	struct l2tp *l = s->t->l;
	for (struct l2tp_acct **pp = &l->acct_hash[acct_hash(a->name)]; *pp; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	free(a);
}

unsigned l2tp_account_sessions(const struct l2tp *l, const char *name)
{
	for (const struct l2tp_acct *a = l->acct_hash[acct_hash(name)]; a; a = a->next)
		if (!strcmp(a->name, name))
			return a->n;
	return 0;
}

/* kbit/s is bit/ms, so the bucket counts bits and refills rate bits per elapsed millisecond:
 * exact in integers. The depth is 50 ms at the rate, and never less than two full-size
 * packets, so a slow limit still passes 1500-byte frames. */
void limits_tbf_init(struct l2tp_tbf *b, uint32_t kbit, uint64_t now)
{
	b->rate = kbit;
	b->depth = (uint64_t)kbit * 50;
	if (b->depth < 2 * 1600 * 8)
		b->depth = 2 * 1600 * 8;
	b->tokens = b->depth;
	b->last = now;
}

bool limits_tbf_pass(struct l2tp_tbf *b, size_t n, uint64_t now)
{
	if (now > b->last) {
		/* after 1000 s any bucket is full (depth <= 50 ms at the rate, or 25,600 bits at
		 * >= 1 kbit/s); the cap keeps the product within 64 bits */
		uint64_t dt = now - b->last, add = dt > 1000000 ? b->depth : dt * b->rate;
		b->tokens = b->depth - b->tokens <= add ? b->depth : b->tokens + add;
		b->last = now;
	}
	uint64_t cost = (uint64_t)n * 8;
	if (b->tokens < cost)
		return false; /* policed: dropped, the sender's TCP backs off */
	b->tokens -= cost;
	return true;
}

/* ---- per-peer caps (issue 12) --------------------------------------------------------------
 * The per-link cap counts (SA, inner address and port): with a Quick Mode ID of port 0 (macOS,
 * iOS) one SA may use every inner source port and so take the whole tunnel table. A peer is the
 * SA alone (or, for plain L2TP, the source address without its port). */

const char *l2tp_limit_name(int which)
{
	static const char *const n[L2TP_LIM_N] = {
	    "l2tp.max_tunnels",        "l2tp.max_tunnels_per_sa",  "l2tp.max_sessions",
	    "max_sessions_per_tunnel", "l2tp.max_sessions_per_sa", "l2tp.max_sessions_per_account",
	    "ppp.login_fail_max",      "ppp.login_peer_fail_max",  "ppp.login_account_fail_max"};
	return which >= 0 && which < L2TP_LIM_N ? n[which] : "?";
}

void limits_refused(struct l2tp *l, int which, const struct l2tp_link *link, const char *what)
{
	l->st.refused[which]++;
	if (!l->log)
		return;
	if (l->lim_log_ms[which] && l->now - l->lim_log_ms[which] < L2TP_LIM_LOG_MS) {
		l->lim_quiet[which]++;
		return;
	}
	char who[RP_ADDR_STRLEN];
	rp_addr_str(&link->peer, who, sizeof who);
	rp_logf(l->log, RP_LOG_WARN, "l2tp",
	        "limit %s reached: %s refused (sa %llu, %s); %llu more refused since the last line",
	        l2tp_limit_name(which), what, (unsigned long long)link->sa, who,
	        (unsigned long long)l->lim_quiet[which]);
	l->lim_log_ms[which] = l->now ? l->now : 1;
	l->lim_quiet[which] = 0;
}

int limits_tables_init(struct l2tp *l)
{
	l->peer_nb = L2TP_HASH_MIN;
	l->peer_hash = calloc(l->peer_nb, sizeof *l->peer_hash);
	l->thr_hash = calloc(L2TP_THR_HASH, sizeof *l->thr_hash);
	return l->peer_hash && l->thr_hash ? 0 : -1;
}

void limits_tables_free(struct l2tp *l)
{
	/* every tunnel and session is gone by now, and with them every peer */
	free(l->peer_hash);
	throttle_free(l);
	free(l->thr_hash);
}

static void peer_key(const struct l2tp_link *link, uint64_t *sa, uint8_t ip[16])
{
	*sa = link->sa;
	memset(ip, 0, 16);
	if (!link->sa)
		memcpy(ip, link->peer.ip, 16);
}

static size_t peer_bucket(const struct l2tp *l, uint64_t sa, const uint8_t ip[16])
{
	uint64_t h = 1469598103934665603ull ^ sa;
	for (size_t i = 0; i < 16; i++)
		h = (h ^ ip[i]) * 1099511628211ull;
	h ^= h >> 29;
	return (size_t)(h * 0xbf58476d1ce4e5b9ull >> 32) & (l->peer_nb - 1);
}

/* The hash doubles when its peers reach its buckets (as the tunnel tables do); a failed
 * allocation only makes chains longer. */
static void peer_grow(struct l2tp *l)
{
	size_t onb = l->peer_nb;
	struct l2tp_peer **old = l->peer_hash, **nh = calloc(onb * 2, sizeof *nh);
	if (!nh)
		return;
	l->peer_hash = nh;
	l->peer_nb = onb * 2;
	for (size_t b = 0; b < onb; b++)
		while (old[b]) {
			struct l2tp_peer *p = old[b];
			old[b] = p->next;
			size_t k = peer_bucket(l, p->sa, p->ip);
			p->next = nh[k];
			nh[k] = p;
		}
	free(old);
}

static struct l2tp_peer *peer_get(struct l2tp *l, const struct l2tp_link *link)
{
	uint64_t sa;
	uint8_t ip[16];
	peer_key(link, &sa, ip);
	struct l2tp_peer **pp = &l->peer_hash[peer_bucket(l, sa, ip)], *p;
	for (p = *pp; p; p = p->next)
		if (p->sa == sa && !memcmp(p->ip, ip, 16))
			return p;
	p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->sa = sa;
	memcpy(p->ip, ip, 16);
	p->next = *pp;
	*pp = p;
	if (++l->peer_n >= l->peer_nb)
		peer_grow(l);
	return p;
}

static void peer_put(struct l2tp *l, struct l2tp_peer *p)
{
	if (p->tunnels || p->sessions)
		return;
	for (struct l2tp_peer **pp = &l->peer_hash[peer_bucket(l, p->sa, p->ip)]; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	l->peer_n--;
	free(p);
}

int limits_peer_tunnel_add(struct l2tp_tunnel *t)
{
	struct l2tp *l = t->l;
	struct l2tp_peer *p = peer_get(l, &t->link);
	if (!p)
		return -ENOMEM;
	if (p->tunnels >= l->conf.max_tunnels_per_sa) {
		peer_put(l, p);
		limits_refused(l, L2TP_LIM_TUNNELS_PER_SA, &t->link, "tunnel");
		return -EUSERS;
	}
	p->tunnels++;
	t->peer = p;
	return 0;
}

void limits_peer_tunnel_del(struct l2tp_tunnel *t)
{
	struct l2tp_peer *p = t->peer;
	if (!p)
		return;
	t->peer = NULL;
	p->tunnels--;
	peer_put(t->l, p);
}

int limits_peer_session_add(struct l2tp_session *s)
{
	struct l2tp *l = s->t->l;
	struct l2tp_peer *p = peer_get(l, &s->t->link);
	if (!p)
		return -ENOMEM;
	if (p->sessions >= l->conf.max_sessions_per_sa) {
		peer_put(l, p);
		limits_refused(l, L2TP_LIM_SESSIONS_PER_SA, &s->t->link, "session");
		return -EUSERS;
	}
	p->sessions++;
	s->peer = p;
	return 0;
}

void limits_peer_session_del(struct l2tp_session *s)
{
	struct l2tp_peer *p = s->peer;
	if (!p)
		return;
	s->peer = NULL;
	p->sessions--;
	peer_put(s->t->l, p);
}
