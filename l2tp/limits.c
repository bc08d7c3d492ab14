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
