/* The active policy: the assigned policy of each store, merged (persistent, then local, then
 * dynamic), evaluated for a peer's negotiation and compiled for the clients' packets.
 *
 * Windows weighs filters by how specific they are, not by rule order; so do we: an address with
 * a longer prefix, a named protocol and named ports win. Ties go to the store applied first
 * (persistent), then to the rule added first.
 *
 * Data path: every dialup/all rule's filters are expanded (names and server types to their
 * current addresses, mirrored filters to both directions) into a flat array of pre-masked
 * entries sorted by that weight, so the first match is the answer, with one list of entry
 * indices per protocol (TCP, UDP, ICMP, other: a packet walks only the entries that can match
 * its protocol) and two bitmaps of the /16s its entries name or cover (a packet to and from
 * addresses no entry names is answered with two bit tests; only an entry open on both sides
 * bypasses them); in front of the walk a 8192-slot four-way cache of verdicts
 * keyed by the 5-tuple (and group) answers repeated flows with one hash and at most four compares. A
 * recompile (policy change, a name's new address) builds a new array and an empty cache. */
#include "pol_local.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct pol_policy *assigned(const struct pol_set *s, enum pol_store st)
{
	for (size_t i = 0; i < s->npol; i++)
		if (s->pol[i].store == st && s->pol[i].assign)
			return &s->pol[i];
	return NULL;
}

static const struct pol_filterlist *fl_of(const struct pol_set *s, const struct pol_rule *r)
{
	for (size_t i = 0; i < s->nfl; i++)
		if (s->fl[i].store == r->store && !strcasecmp(s->fl[i].name, r->filterlist))
			return &s->fl[i];
	return NULL;
}

static const struct pol_filteraction *fa_of(const struct pol_set *s, const struct pol_rule *r)
{
	for (size_t i = 0; i < s->nfa; i++)
		if (s->fa[i].store == r->store && !strcasecmp(s->fa[i].name, r->filteraction))
			return &s->fa[i];
	return NULL;
}

bool pol_rule_active(const struct pol_set *s, size_t i, struct pol_match *m)
{
	const struct pol_rule *r = &s->rule[i];
	const struct pol_policy *p = assigned(s, r->store);
	memset(m, 0, sizeof *m);
	if (!p || !r->activate || strcasecmp(r->policy, p->name))
		return false;
	*m = (struct pol_match){.rule = r, .pol = p, .fl = fl_of(s, r), .fa = fa_of(s, r)};
	if (!m->fl || !m->fa)
		return false;
	m->action = m->fa->action;
	return true;
}

/* The addresses an address word stands for now; *all = matches everything. Returns how many. */
static size_t expand(const struct pol_addr *a, const struct pol_env *env, uint32_t *ips, uint32_t *masks,
                     size_t max, bool *all)
{
	const uint32_t *src = NULL;
	size_t n = 0;
	*all = false;
	switch (a->kind) {
	case POL_A_ANY:
		*all = true;
		return 0;
	case POL_A_IP:
		if (!max)
			return 0;
		ips[0] = a->ip;
		masks[0] = a->mask;
		return 1;
	case POL_A_ME:
		src = env->me, n = env->nme;
		break;
	case POL_A_SRV_DNS:
		src = env->dns, n = env->ndns;
		break;
	case POL_A_SRV_WINS:
		src = env->wins, n = env->nwins;
		break;
	case POL_A_SRV_DHCP:
		src = env->dhcp, n = env->ndhcp;
		break;
	case POL_A_SRV_GATEWAY:
		src = env->gateway, n = env->ngateway;
		break;
	case POL_A_DNS: {
		int r = env->resolve ? env->resolve(env->resolve_ctx, a->name, ips, max) : 0;
		n = r > 0 ? (size_t)r : 0;
		for (size_t i = 0; i < n; i++)
			masks[i] = 0xffffffffu;
		return n;
	}
	}
	if (n > max)
		n = max;
	for (size_t i = 0; i < n; i++) {
		ips[i] = src[i];
		masks[i] = 0xffffffffu;
	}
	return n;
}

static int weight_addr(const struct pol_addr *a)
{
	int p = 0;
	if (a->kind == POL_A_IP)
		for (uint32_t m = a->mask; m & 0x80000000u; m <<= 1)
			p++;
	else if (a->kind != POL_A_ANY)
		p = 32;
	return p;
}

static int weight(const struct pol_filter *f)
{
	return (weight_addr(&f->src) + weight_addr(&f->dst)) * 4 + (f->proto ? 2 : 0) + (f->srcport ? 1 : 0) +
	       (f->dstport ? 1 : 0);
}

static bool addr_has(const struct pol_addr *a, const struct pol_env *env, uint32_t ip, bool me_is_us)
{
	uint32_t ips[POL_MAX_RESOLVED], masks[POL_MAX_RESOLVED];
	bool all;
	if (a->kind == POL_A_ME && me_is_us)
		return true;
	size_t n = expand(a, env, ips, masks, POL_MAX_RESOLVED, &all);
	if (all)
		return true;
	for (size_t i = 0; i < n; i++)
		if ((ip & masks[i]) == (ips[i] & masks[i]))
			return true;
	return false;
}

static bool ports_ok(const struct pol_filter *f, uint8_t proto, uint16_t sp, uint16_t dp)
{
	return (!f->proto || f->proto == proto) && (!f->srcport || f->srcport == sp) &&
	       (!f->dstport || f->dstport == dp);
}

/* The outer L2TP tuple (UDP 1701 -> 1701) from peer to us, or the mirror of it. */
static bool peer_match(const struct pol_filter *f, const struct pol_env *env, uint32_t peer)
{
	if (ports_ok(f, 17, 1701, 1701) && addr_has(&f->src, env, peer, false) &&
	    addr_has(&f->dst, env, 0, true) && f->src.kind != POL_A_ME)
		return true;
	return f->mirrored && ports_ok(f, 17, 1701, 1701) && f->dst.kind != POL_A_ME &&
	       addr_has(&f->dst, env, peer, false) && addr_has(&f->src, env, 0, true);
}

int pol_match_peer(const struct pol_set *s, const struct pol_env *env, uint32_t peer, struct pol_match *m)
{
	int best = -1;
	memset(m, 0, sizeof *m);
	for (int st = 0; st < POL_NSTORES; st++) {
		for (size_t i = 0; i < s->nrule; i++) {
			struct pol_match a;
			if (s->rule[i].store != (enum pol_store)st || !pol_rule_active(s, i, &a) ||
			    a.rule->conntype == POL_CONN_DIALUP)
				continue;
			for (size_t k = 0; k < a.fl->n; k++) {
				int w = weight(&a.fl->f[k]);
				if (w > best && peer_match(&a.fl->f[k], env, peer)) {
					best = w;
					*m = a;
					m->filter = k;
				}
			}
		}
	}
	return m->rule ? 0 : -ENOENT;
}

/* ---- data path ------------------------------------------------------------------------------- */

struct dp_ent {
	uint32_t src, smask, dst, dmask;
	uint8_t proto;
	bool permit;
	uint16_t sport, dport;
	int weight;
	size_t order;
	size_t rix;        /* the rule's index in the pol_set while compiling */
	const char *rule;  /* points into names[] of the pol_dp */
	const char *group; /* "" = everyone */
};

#define DP_CACHE 8192
#define DP_WAYS 4

struct dp_slot {
	uint32_t src, dst, ghash;
	uint16_t sport, dport;
	uint8_t proto, state; /* state: 0 empty, 1 permit, 2 block */
	int32_t ent;          /* matching entry, -1 none */
};

/* per-protocol lists of entry indices in weight order: TCP, UDP, ICMP, any other protocol */
enum { DP_TCP, DP_UDP, DP_ICMP, DP_OTHER, DP_NLISTS };

struct pol_dp {
	struct dp_ent *e;
	size_t n;
	uint32_t *list[DP_NLISTS];
	size_t nlist[DP_NLISTS];
	/* per list: the /16s that entries' destination (or, when longer, source) prefixes name or
	 * cover; a list with an entry open on both sides cannot reject by address */
	uint8_t *bm_dst[DP_NLISTS], *bm_src[DP_NLISTS];
	bool wide[DP_NLISTS];
	bool has_groups;
	char (*names)[2][POL_NAME]; /* per entry: rule name, group (the entries point here) */
	struct dp_slot cache[DP_CACHE];
};

static int ent_cmp(const void *a, const void *b)
{
	const struct dp_ent *x = a, *y = b;
	if (x->weight != y->weight)
		return y->weight - x->weight;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int dp_add(struct pol_dp *dp, size_t *cap, const struct dp_ent *e)
{
	if (dp->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		struct dp_ent *ne = realloc(dp->e, nc * sizeof *ne);
		if (!ne)
			return -ENOMEM;
		dp->e = ne;
		*cap = nc;
	}
	dp->e[dp->n++] = *e;
	return 0;
}

static int dp_filter(struct pol_dp *dp, size_t *cap, const struct pol_filter *f, const struct pol_env *env,
                     bool permit, size_t order, bool mirror)
{
	uint32_t sip[POL_MAX_RESOLVED + 1], smk[POL_MAX_RESOLVED + 1], dip[POL_MAX_RESOLVED + 1],
	    dmk[POL_MAX_RESOLVED + 1];
	bool sall, dall;
	const struct pol_addr *sa = mirror ? &f->dst : &f->src, *da = mirror ? &f->src : &f->dst;
	size_t ns = expand(sa, env, sip, smk, POL_MAX_RESOLVED, &sall);
	size_t nd = expand(da, env, dip, dmk, POL_MAX_RESOLVED, &dall);
	if (sall)
		sip[0] = smk[0] = 0, ns = 1;
	if (dall)
		dip[0] = dmk[0] = 0, nd = 1;
	for (size_t i = 0; i < ns; i++)
		for (size_t j = 0; j < nd; j++) {
			struct dp_ent e = {.src = sip[i] & smk[i],
			                   .smask = smk[i],
			                   .dst = dip[j] & dmk[j],
			                   .dmask = dmk[j],
			                   .proto = f->proto,
			                   .permit = permit,
			                   .sport = mirror ? f->dstport : f->srcport,
			                   .dport = mirror ? f->srcport : f->dstport,
			                   .weight = weight(f),
			                   .order = order};
			if (dp_add(dp, cap, &e))
				return -ENOMEM;
		}
	return 0;
}

/* the /16s of prefix a/mask (a contiguous mask: the dotted forms are checked at parsing) */
static void bm_mark(uint8_t *bm, uint32_t a, uint32_t mask)
{
	uint32_t lo = (a & mask) >> 16, hi = (a | ~mask) >> 16;
	for (uint32_t k = lo; k <= hi; k++)
		bm[k >> 3] |= (uint8_t)(1u << (k & 7));
}

struct pol_dp *pol_dp_compile(const struct pol_set *s, const struct pol_env *env)
{
	struct pol_dp *dp = calloc(1, sizeof *dp);
	size_t cap = 0, order = 0;
	if (!dp)
		return NULL;
	for (int st = 0; st < POL_NSTORES; st++) {
		for (size_t i = 0; i < s->nrule; i++) {
			struct pol_match a;
			if (s->rule[i].store != (enum pol_store)st || !pol_rule_active(s, i, &a) ||
			    a.rule->conntype == POL_CONN_LAN)
				continue;
			const struct pol_filterlist *fl = a.fl;
			const struct pol_filteraction *fa = a.fa;
			for (size_t k = 0; k < fl->n; k++) {
				size_t before = dp->n;
				if (dp_filter(dp, &cap, &fl->f[k], env, fa->action != POL_BLOCK, order,
				              false) ||
				    (fl->f[k].mirrored && dp_filter(dp, &cap, &fl->f[k], env,
				                                    fa->action != POL_BLOCK, order, true)))
					goto fail;
				for (size_t e = before; e < dp->n; e++)
					dp->e[e].rix = i;
				order++;
			}
		}
	}
	if (dp->n)
		qsort(dp->e, dp->n, sizeof *dp->e, ent_cmp);
	if (dp->n && !(dp->names = calloc(dp->n, sizeof *dp->names)))
		goto fail;
	for (size_t e = 0; e < dp->n; e++) {
		const struct pol_rule *r = &s->rule[dp->e[e].rix];
		memcpy(dp->names[e][0], r->name, POL_NAME);
		memcpy(dp->names[e][1], r->group, POL_NAME);
		dp->e[e].rule = dp->names[e][0];
		dp->e[e].group = dp->names[e][1];
		if (r->group[0])
			dp->has_groups = true;
	}
	/* an entry for a protocol goes to that protocol's list only; one for any protocol to all */
	for (int l = 0; l < DP_NLISTS; l++) {
		if (dp->n && !(dp->list[l] = malloc(dp->n * sizeof *dp->list[l])))
			goto fail;
		for (size_t e = 0; e < dp->n; e++) {
			uint8_t pr = dp->e[e].proto;
			int want = pr == 6 ? DP_TCP : pr == 17 ? DP_UDP : pr == 1 ? DP_ICMP : DP_OTHER;
			if (!pr || want == l)
				dp->list[l][dp->nlist[l]++] = (uint32_t)e;
		}
		if (!(dp->bm_dst[l] = calloc(8192, 1)) || !(dp->bm_src[l] = calloc(8192, 1)))
			goto fail;
		for (size_t j = 0; j < dp->nlist[l]; j++) {
			const struct dp_ent *x = &dp->e[dp->list[l][j]];
			/* the side with the longer prefix; a prefix shorter than /16 marks every /16
			 * it covers (a /8 is 256 bits), so only an entry open on both sides (any to
			 * any) makes the list wide and sends every packet to the cache */
			if (!x->dmask && !x->smask)
				dp->wide[l] = true;
			else if (x->dmask >= x->smask)
				bm_mark(dp->bm_dst[l], x->dst, x->dmask);
			else
				bm_mark(dp->bm_src[l], x->src, x->smask);
		}
	}
	return dp;
fail:
	pol_dp_free(dp);
	return NULL;
}

void pol_dp_free(struct pol_dp *dp)
{
	if (!dp)
		return;
	free(dp->e);
	free(dp->names);
	for (int l = 0; l < DP_NLISTS; l++) {
		free(dp->list[l]);
		free(dp->bm_dst[l]);
		free(dp->bm_src[l]);
	}
	free(dp);
}

size_t pol_dp_count(const struct pol_dp *dp)
{
	return dp ? dp->n : 0;
}

/* murmur3's finaliser: every input bit moves every output bit */
static uint32_t fmix(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static uint32_t ghash_of(const char *g)
{
	uint32_t h = 2166136261u;
	for (; g && *g; g++)
		h = (h ^ (uint8_t)(*g | 0x20)) * 16777619u;
	return h;
}

bool pol_dp_permit(struct pol_dp *dp, const struct pol_dp_pkt *p, const char *group, const char **rule)
{
	if (!dp || !dp->n)
		return true;
	int l = p->proto == 6 ? DP_TCP : p->proto == 17 ? DP_UDP : p->proto == 1 ? DP_ICMP : DP_OTHER;
	/* no entry of the protocol's list names either address's /16: nothing can match */
	if (!dp->wide[l] && !(dp->bm_dst[l][p->dst >> 19] & (1u << (p->dst >> 16 & 7))) &&
	    !(dp->bm_src[l][p->src >> 19] & (1u << (p->src >> 16 & 7)))) {
		if (rule)
			*rule = NULL;
		return true;
	}
	uint32_t gh = dp->has_groups ? ghash_of(group) : 0;
	uint32_t h = fmix(p->src * 0x9e3779b1u ^ p->dst * 0x85ebca77u ^
	                  ((uint32_t)p->sport << 16 | p->dport) * 0xc2b2ae3du ^ (uint32_t)p->proto ^ gh);
	/* DP_WAYS ways per set: flows that hash alike do not evict each other on every packet */
	struct dp_slot *set = &dp->cache[(h & (DP_CACHE / DP_WAYS - 1)) * DP_WAYS];
	for (int w = 0; w < DP_WAYS; w++) {
		const struct dp_slot *c = &set[w];
		if (c->state && c->src == p->src && c->dst == p->dst && c->sport == p->sport &&
		    c->dport == p->dport && c->proto == p->proto && c->ghash == gh) {
			if (rule)
				*rule = c->ent >= 0 ? dp->e[c->ent].rule : NULL;
			return c->state == 1;
		}
	}
	int32_t hit = -1;
	for (size_t j = 0; j < dp->nlist[l]; j++) {
		size_t i = dp->list[l][j];
		const struct dp_ent *e = &dp->e[i];
		if ((p->src & e->smask) != e->src || (p->dst & e->dmask) != e->dst ||
		    (e->proto && e->proto != p->proto) || (e->sport && e->sport != p->sport) ||
		    (e->dport && e->dport != p->dport))
			continue;
		if (e->group[0] && (!group || strcasecmp(e->group, group)))
			continue;
		hit = (int32_t)i;
		break;
	}
	bool permit = hit < 0 || dp->e[hit].permit;
	memmove(&set[1], &set[0], (DP_WAYS - 1) * sizeof *set); /* the newest first */
	set[0] = (struct dp_slot){.src = p->src,
	                          .dst = p->dst,
	                          .ghash = gh,
	                          .sport = p->sport,
	                          .dport = p->dport,
	                          .proto = p->proto,
	                          .state = permit ? 1 : 2,
	                          .ent = hit};
	if (rule)
		*rule = hit >= 0 ? dp->e[hit].rule : NULL;
	return permit;
}

bool pol_dp_has_groups(const struct pol_dp *dp)
{
	return dp && dp->has_groups;
}

/* ---- boot mode ------------------------------------------------------------------------------- */

bool pol_boot_permit(const struct pol_set *s, const struct pol_dp_pkt *p, bool from_client, bool started)
{
	for (size_t i = 0; i < s->nexempt; i++) {
		const struct pol_exempt *e = &s->exempt[i];
		/* inbound: arriving from the client through the tunnel; outbound: towards it */
		if (e->inbound != from_client)
			continue;
		if ((!e->proto || e->proto == p->proto) && (!e->srcport || e->srcport == p->sport) &&
		    (!e->dstport || e->dstport == p->dport))
			return true;
	}
	switch (s->bootmode) {
	case POL_BOOT_PERMIT:
		return true;
	case POL_BOOT_BLOCK:
		return false;
	default:
		return from_client || started;
	}
}

int pol_pkt_parse(const uint8_t *ip, size_t n, struct pol_dp_pkt *p)
{
	if (n < 20 || ip[0] >> 4 != 4)
		return -EINVAL;
	size_t ihl = (size_t)(ip[0] & 15) * 4;
	if (ihl < 20 || ihl > n)
		return -EINVAL;
	p->src = (uint32_t)ip[12] << 24 | (uint32_t)ip[13] << 16 | (uint32_t)ip[14] << 8 | ip[15];
	p->dst = (uint32_t)ip[16] << 24 | (uint32_t)ip[17] << 16 | (uint32_t)ip[18] << 8 | ip[19];
	p->proto = ip[9];
	p->sport = p->dport = 0;
	/* ports from the first fragment only; later fragments match port-less filters */
	bool first = ((ip[6] & 0x1f) | ip[7]) == 0;
	if (first && (p->proto == 6 || p->proto == 17) && n >= ihl + 4) {
		p->sport = (uint16_t)(ip[ihl] << 8 | ip[ihl + 1]);
		p->dport = (uint16_t)(ip[ihl + 2] << 8 | ip[ihl + 3]);
	}
	return 0;
}
