/* show commands: one line per object, each with the store it came from ("[local]"). Secrets are
 * never printed: a rule shows "psk=(set)". */
#include "pol_local.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static void show_fl(const struct pol_filterlist *l, pol_out_fn out, void *ctx)
{
	char line[1024], s[300], d[300], p[8];
	snprintf(line, sizeof line, "filterlist %s [%s] filters=%zu%s%s", l->name, pol_store_name(l->store),
	         l->n, l->desc[0] ? " description=" : "", l->desc);
	out(ctx, line);
	for (size_t i = 0; i < l->n; i++) {
		const struct pol_filter *f = &l->f[i];
		snprintf(
		    line, sizeof line,
		    "  filter %zu: srcaddr=%s dstaddr=%s protocol=%s srcport=%u dstport=%u mirrored=%s%s%s",
		    i + 1, pol_addr_str(&f->src, s, sizeof s), pol_addr_str(&f->dst, d, sizeof d),
		    pol_proto_str(f->proto, p, sizeof p), f->srcport, f->dstport, f->mirrored ? "yes" : "no",
		    f->desc[0] ? " description=" : "", f->desc);
		out(ctx, line);
	}
}

static void show_fa(const struct pol_filteraction *f, pol_out_fn out, void *ctx)
{
	char line[1024];
	snprintf(line, sizeof line,
	         "filteraction %s [%s] action=%s qmsecmethods=\"%s\" qmpfs=%s inpass=%s soft=%s%s%s", f->name,
	         pol_store_name(f->store), pol_action_name(f->action), f->qmsec[0] ? f->qmsec : "default",
	         f->qmpfs ? "yes" : "no", f->inpass ? "yes" : "no", f->soft ? "yes" : "no",
	         f->desc[0] ? " description=" : "", f->desc);
	out(ctx, line);
}

static void show_pol(const struct pol_policy *p, pol_out_fn out, void *ctx)
{
	char line[1024], life[24] = "default";
	if (p->mmlifetime)
		snprintf(life, sizeof life, "%u", p->mmlifetime);
	snprintf(line, sizeof line, "policy %s [%s] assign=%s mmsecmethods=\"%s\" mmlifetime=%s%s%s", p->name,
	         pol_store_name(p->store), p->assign ? "yes" : "no", p->mmsec[0] ? p->mmsec : "default", life,
	         p->desc[0] ? " description=" : "", p->desc);
	out(ctx, line);
}

static void show_rule(const struct pol_rule *r, pol_out_fn out, void *ctx)
{
	static const char *const ct[] = {"all", "lan", "dialup"};
	char line[1200], auth[400] = "";
	size_t l = 0;
	if (r->has_psk)
		l += (size_t)snprintf(auth + l, sizeof auth - l, " psk=(set)");
	if (r->rootca[0] && l < sizeof auth)
		snprintf(auth + l, sizeof auth - l, " rootca=\"%s\" certmaptoaccount=%s", r->rootca,
		         r->certmap ? "yes" : "no");
	snprintf(line, sizeof line,
	         "rule %s [%s] policy=%s filterlist=%s filteraction=%s activate=%s conntype=%s%s%s%s%s%s",
	         r->name, pol_store_name(r->store), r->policy, r->filterlist, r->filteraction,
	         r->activate ? "yes" : "no", ct[r->conntype], r->group[0] ? " group=" : "", r->group,
	         auth[0] ? auth : " auth=default", r->desc[0] ? " description=" : "", r->desc);
	out(ctx, line);
}

void pol_show_objects(const struct pol_set *s, unsigned mask, int kind, const char *name, const char *policy,
                      pol_out_fn out, void *ctx)
{
	for (int st = 0; st < POL_NSTORES; st++) {
		if (!(mask & (1u << st)))
			continue;
#define EACH(arr, cnt, fn)                                                                                   \
	for (size_t i = 0; i < s->cnt; i++)                                                                  \
		if (s->arr[i].store == (enum pol_store)st && (!name || !strcasecmp(s->arr[i].name, name)))   \
			fn(&s->arr[i], out, ctx);
		switch (kind) {
		case POL_K_POLICY:
			EACH(pol, npol, show_pol)
			break;
		case POL_K_FILTERLIST:
			EACH(fl, nfl, show_fl)
			break;
		case POL_K_FILTERACTION:
			EACH(fa, nfa, show_fa)
			break;
		default:
			for (size_t i = 0; i < s->nrule; i++)
				if (s->rule[i].store == (enum pol_store)st &&
				    (!name || !strcasecmp(s->rule[i].name, name)) &&
				    (!policy || !strcasecmp(s->rule[i].policy, policy)))
					show_rule(&s->rule[i], out, ctx);
		}
#undef EACH
	}
}

void pol_show_all(const struct pol_set *s, unsigned mask, pol_out_fn out, void *ctx)
{
	char line[64];
	snprintf(line, sizeof line, "store location: %s", pol_store_name(s->location));
	out(ctx, line);
	for (int k = POL_K_POLICY; k >= 0; k--) /* policy, filteraction, filterlist */
		if (k != POL_K_RULE)
			pol_show_objects(s, mask, k, NULL, NULL, out, ctx);
	pol_show_objects(s, mask, POL_K_RULE, NULL, NULL, out, ctx);
}

void pol_show_config(const struct pol_set *s, pol_out_fn out, void *ctx)
{
	char line[POL_MAX_EXEMPT * 32 + 32], ex[POL_MAX_EXEMPT * 32];
	snprintf(line, sizeof line, "bootmode = %s", pol_bootmode_name(s->bootmode));
	out(ctx, line);
	snprintf(line, sizeof line, "bootexemptions = %s",
	         pol_exempt_str(s->exempt, s->nexempt, ex, sizeof ex));
	out(ctx, line);
}
