/* Admission control (issue 12): what a flood of first messages, from spoofed or real addresses,
 * may cost before a peer has proven anything.
 *  - Half-open Main Modes are counted per peer IP (any port: a NAT maps one host to many) and in
 *    total. At either cap the oldest half-open SA (of that address, or of all) whose peer never
 *    sent MM3 with our responder cookie makes room: a spoofed source never sees MM2, so it never
 *    gets off that list, while a real client answers within a round trip. Only when every
 *    half-open SA there is proven is an MM1 refused. Expiry stays on the timer heap
 *    (ike_timer.c); the lists cost O(1) per SA.
 *  - Main Mode DH (MM3) is the expensive step: peers without a recent success share a budget of
 *    dh_per_s computations a second, counted in MODP-2048 equivalents (a token bucket; an MM3
 *    over it is dropped and the client's retransmission tries again), one address at most a
 *    quarter of it; addresses that completed Main Mode within a phase-1 lifetime are not
 *    limited, so a flood cannot keep known clients out.
 *  - Reassembly bytes per peer IP (ike_frag.c), on top of the global cap.
 * Every refusal is counted in ike_stats.adm and logged once per interval per kind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike_local.h"

#define ADM_LOG_MS 10000 /* one line per kind of refusal per this much time */

static const char *const adm_names[IKE_A_N] = {
    "halfopen_per_ip",  "halfopen_total", "halfopen_evicted", "sa_payload_too_large",       "dh_deferred",
    "mm3_wrong_source", "child_sa_limit", "fragments_per_ip", "halfopen_unanswered_timeout"};
static const char *const adm_keys[IKE_A_N] = {
    "ike.max_halfopen_per_ip", "ike.max_halfopen", "ike.max_halfopen",
    "ike.max_sa_payload",      "ike.dh_per_s",     NULL,
    "ike.max_child_sa",        "ike.frag_per_ip",  NULL};

const char *ike_adm_name(enum ike_adm a)
{
	return a < IKE_A_N ? adm_names[a] : "?";
}

int ike_adm_init(struct ike *ike)
{
	ike->recent = calloc(IKE_RECENT, sizeof *ike->recent);
	if (!ike->recent || ike_htab_init(&ike->srcs)) {
		ike_adm_free(ike);
		return -1;
	}
	return 0;
}

void ike_adm_free(struct ike *ike)
{
	/* every half-open SA and reassembly is gone by now, and with them every entry */
	free(ike->srcs.t);
	ike->srcs.t = NULL;
	free(ike->recent);
	ike->recent = NULL;
}

static struct ike_src *src_find(struct ike *ike, const struct rp_addr *a)
{
	uint64_t h = ike_hash_addr(ike, a, false);
	for (struct ike_hnode *x = ike_htab_head(&ike->srcs, h); x; x = x->next)
		if (x->h == h && rp_addr_ipeq(&((struct ike_src *)x)->ip, a))
			return (struct ike_src *)x;
	return NULL;
}

struct ike_src *ike_src_get(struct ike *ike, const struct rp_addr *a)
{
	struct rp_addr ip = *a;
	ip.port = 0;
	struct ike_src *s = src_find(ike, &ip);
	if (s) {
		s->refs++;
		return s;
	}
	s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->ip = ip;
	s->refs = 1;
	ike_htab_add(&ike->srcs, &s->node, ike_hash_addr(ike, &ip, false));
	return s;
}

void ike_src_put(struct ike *ike, struct ike_src *s)
{
	if (s && --s->refs == 0) {
		ike_htab_del(&ike->srcs, &s->node);
		free(s);
	}
}

void ike_adm_note(struct ike *ike, enum ike_adm a, const struct rp_addr *peer)
{
	ike->st.adm[a]++;
	if (ike->adm_log_ms[a] && ike->now - ike->adm_log_ms[a] < ADM_LOG_MS)
		return;
	char who[RP_ADDR_STRLEN];
	uint64_t since = ike->st.adm[a] - ike->adm_logged[a];
	ike->adm_log_ms[a] = ike->now ? ike->now : 1;
	ike->adm_logged[a] = ike->st.adm[a];
	rp_logf(ike->log, RP_LOG_WARN, "ike", "admission: %s (e.g. %s): %llu since the last such line%s%s%s",
	        adm_names[a], rp_addr_str(peer, who, sizeof who), (unsigned long long)since,
	        adm_keys[a] ? " (" : "", adm_keys[a] ? adm_keys[a] : "", adm_keys[a] ? ")" : "");
}

static void unlist(struct ike *ike, struct ike_sa *sa)
{
	if (!sa->unproven)
		return;
	if (sa->uprev)
		sa->uprev->unext = sa->unext;
	else
		ike->uhead = sa->unext;
	if (sa->unext)
		sa->unext->uprev = sa->uprev;
	else
		ike->utail = sa->uprev;
	sa->unext = sa->uprev = NULL;
	struct ike_src *s = sa->src;
	if (sa->suprev)
		sa->suprev->sunext = sa->sunext;
	else
		s->uhead = sa->sunext;
	if (sa->sunext)
		sa->sunext->suprev = sa->suprev;
	else
		s->utail = sa->suprev;
	sa->sunext = sa->suprev = NULL;
	sa->unproven = false;
}

/* At a cap, the oldest half-open SA whose peer never answered MM2 (list: all or one address's)
 * makes room; false when there is none (every one answered: then the newcomer is refused). */
static bool evict(struct ike *ike, struct ike_sa *old)
{
	if (!old)
		return false;
	ike_adm_note(ike, IKE_A_EVICTED, &old->peer);
	ike_sa_remove(ike, old, NULL, false);
	return true;
}

int ike_adm_mm1(struct ike *ike, const struct rp_pkt *pkt)
{
	/* Per address too: spoofing the address of a NAT that legitimate clients share must not lock
	 * them out, so the flood's unanswered SAs make room there first. */
	struct ike_src *s = src_find(ike, &pkt->src);
	if (s && s->halfopen >= ike->conf.max_halfopen_ip && !evict(ike, s->uhead)) {
		ike_adm_note(ike, IKE_A_HALFOPEN_IP, &pkt->src);
		return -1;
	}
	if (ike->halfopen >= ike->conf.max_halfopen && !evict(ike, ike->uhead)) {
		ike_adm_note(ike, IKE_A_HALFOPEN_TOTAL, &pkt->src);
		return -1;
	}
	return 0;
}

void ike_adm_open(struct ike *ike, struct ike_sa *sa)
{
	sa->src = ike_src_get(ike, &sa->peer);
	if (!sa->src)
		return; /* out of memory: not counted, expires on its timer like any other */
	sa->src->halfopen++;
	ike->halfopen++;
	sa->unproven = true;
	sa->unext = NULL;
	sa->uprev = ike->utail;
	if (ike->utail)
		ike->utail->unext = sa;
	else
		ike->uhead = sa;
	ike->utail = sa;
	struct ike_src *s = sa->src;
	sa->sunext = NULL;
	sa->suprev = s->utail;
	if (s->utail)
		s->utail->sunext = sa;
	else
		s->uhead = sa;
	s->utail = sa;
}

void ike_adm_proven(struct ike *ike, struct ike_sa *sa)
{
	unlist(ike, sa);
}

void ike_adm_close(struct ike *ike, struct ike_sa *sa)
{
	unlist(ike, sa);
	if (sa->src) {
		sa->src->halfopen--;
		ike_src_put(ike, sa->src);
		sa->src = NULL;
		ike->halfopen--;
	}
}

static size_t recent_slot(const struct ike *ike, uint64_t h)
{
	(void)ike;
	return (size_t)(h >> 20) & (IKE_RECENT - 1);
}

void ike_adm_success(struct ike *ike, const struct rp_addr *a)
{
	uint64_t h = ike_hash_addr(ike, a, false);
	struct ike_recent *r = &ike->recent[recent_slot(ike, h)];
	r->h = h;
	r->ms = ike->now ? ike->now : 1;
}

bool ike_adm_preferred(const struct ike *ike, const struct rp_addr *a)
{
	uint64_t h = ike_hash_addr(ike, a, false);
	const struct ike_recent *r = &ike->recent[recent_slot(ike, h)];
	return r->ms && r->h == h && ike->now - r->ms <= (uint64_t)ike->conf.p1_life_max_s * 1000;
}

/* What one Main Mode DH (our key pair and the shared secret) costs, in thousandths of a MODP-2048
 * one: thread CPU time measured per group (MODP-2048 0.86 ms, MODP-4096 5.0 ms, ECP-256 0.15 ms),
 * so an offer of the most expensive group allowed buys proportionally fewer. */
static uint64_t dh_cost(uint16_t group)
{
	switch (group) {
	case 2:
		return 300;
	case 5:
		return 550;
	case 14:
		return 1000;
	case 15:
		return 2800;
	case 16:
		return 5800;
	case 19:
		return 200;
	case 20:
		return 500;
	case 21:
		return 1000;
	default:
		return 6000;
	}
}

/* Token buckets in thousandths of a MODP-2048 DH: per_s of them a second, at most a second's worth
 * held. A computation goes ahead when its cost (or a full bucket, for one dearer than that) is
 * there, and is paid in full: the bucket may go into debt, so dear groups buy fewer in the end. */
static void refill(int64_t *tok, uint64_t *at, uint64_t now, uint64_t per_s)
{
	int64_t cap = (int64_t)per_s * 1000;
	if (now > *at) {
		uint64_t add = (now - *at) * per_s;
		*tok = add >= (uint64_t)(cap - *tok) ? cap : *tok + (int64_t)add;
		*at = now;
	}
}

static bool can_pay(int64_t tok, uint64_t per_s, uint64_t cost)
{
	int64_t cap = (int64_t)per_s * 1000;
	return tok >= ((int64_t)cost < cap ? (int64_t)cost : cap);
}

bool ike_adm_dh(struct ike *ike, const struct ike_sa *sa)
{
	if (ike_adm_preferred(ike, &sa->peer)) {
		ike->st.dh_preferred++;
		return true;
	}
	/* one address gets at most a quarter of the budget: a flood of MM3 from a real address
	 * (it answered MM2, so it is not spoofed) leaves the rest to new clients elsewhere */
	uint64_t per_s = ike->conf.dh_per_s, ip_per_s = per_s / 4 ? per_s / 4 : 1;
	uint64_t cost = dh_cost(sa->ch.group);
	struct ike_src *s = sa->src;
	refill(&ike->dh_tokens_milli, &ike->dh_refill_ms, ike->now, per_s);
	if (s)
		refill(&s->dh_milli, &s->dh_ms, ike->now, ip_per_s);
	if (can_pay(ike->dh_tokens_milli, per_s, cost) && (!s || can_pay(s->dh_milli, ip_per_s, cost))) {
		ike->dh_tokens_milli -= (int64_t)cost;
		if (s)
			s->dh_milli -= (int64_t)cost;
		return true;
	}
	ike_adm_note(ike, IKE_A_DH_DEFERRED, &sa->peer);
	return false;
}
