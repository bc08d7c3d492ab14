/* netsh's words applied to a pol_set: "static|dynamic add|set|delete|show OBJECT key=value ...".
 * Every argument is "key=value" (netsh's own syntax); an unknown, repeated or malformed one
 * refuses the whole command with its reason, and nothing is changed. */
#include "pol_local.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_ARGS 16

struct args {
	const char *k[MAX_ARGS], *v[MAX_ARGS];
	bool used[MAX_ARGS];
	int n;
	char *err;
	size_t errlen;
};

static int fail(struct args *a, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->err, a->errlen, fmt, ap);
	va_end(ap);
	return rc;
}

static int args_parse(struct args *a, int argc, char **argv)
{
	if (argc > MAX_ARGS)
		return fail(a, -EINVAL, "too many arguments");
	for (int i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		if (!eq || eq == argv[i])
			return fail(a, -EINVAL, "\"%.64s\": arguments are key=value", argv[i]);
		size_t kl = (size_t)(eq - argv[i]);
		for (int j = 0; j < a->n; j++)
			if (strcspn(a->k[j], "=") == kl && !strncasecmp(a->k[j], argv[i], kl))
				return fail(a, -EINVAL, "%.*s given twice", (int)kl, argv[i]);
		a->k[a->n] = argv[i];
		a->v[a->n] = eq + 1;
		a->n++;
	}
	return 0;
}

/* The value of key (NULL when absent); marks it used. */
static const char *arg(struct args *a, const char *key)
{
	size_t kl = strlen(key);
	for (int i = 0; i < a->n; i++)
		if (!strncasecmp(a->k[i], key, kl) && a->k[i][kl] == '=') {
			a->used[i] = true;
			return a->v[i];
		}
	return NULL;
}

static int args_done(struct args *a)
{
	for (int i = 0; i < a->n; i++)
		if (!a->used[i])
			return fail(a, -EINVAL, "unknown parameter \"%.*s\"", (int)(strcspn(a->k[i], "=")),
			            a->k[i]);
	return 0;
}

static int yesno(struct args *a, const char *key, bool *v)
{
	const char *s = arg(a, key);
	if (!s)
		return 0;
	if (!strcasecmp(s, "yes"))
		*v = true;
	else if (!strcasecmp(s, "no"))
		*v = false;
	else
		return fail(a, -EINVAL, "%s is yes or no", key);
	return 0;
}

static int text(struct args *a, const char *key, char *dst, size_t n)
{
	const char *s = arg(a, key);
	if (!s)
		return 0;
	if (strlen(s) >= n)
		return fail(a, -EINVAL, "%s is longer than %zu bytes", key, n - 1);
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return fail(a, -EINVAL, "%s contains a control character", key);
	snprintf(dst, n, "%s", s);
	return 0;
}

static int name_arg(struct args *a, const char *key, char *dst, bool required)
{
	const char *s = arg(a, key);
	if (!s)
		return required ? fail(a, -EINVAL, "%s= is required", key) : 0;
	if (!*s || strlen(s) >= POL_NAME)
		return fail(a, -EINVAL, "%s must be 1-%d bytes", key, POL_NAME - 1);
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x21 || *p == 0x7f)
			return fail(a, -EINVAL, "%s contains a space or control character", key);
	snprintf(dst, POL_NAME, "%s", s);
	return 0;
}

static struct pol_filterlist *find_fl(struct pol_set *s, enum pol_store st, const char *name)
{
	for (size_t i = 0; i < s->nfl; i++)
		if (s->fl[i].store == st && !strcasecmp(s->fl[i].name, name))
			return &s->fl[i];
	return NULL;
}

static struct pol_filteraction *find_fa(struct pol_set *s, enum pol_store st, const char *name)
{
	for (size_t i = 0; i < s->nfa; i++)
		if (s->fa[i].store == st && !strcasecmp(s->fa[i].name, name))
			return &s->fa[i];
	return NULL;
}

static struct pol_policy *find_pol(struct pol_set *s, enum pol_store st, const char *name)
{
	for (size_t i = 0; i < s->npol; i++)
		if (s->pol[i].store == st && !strcasecmp(s->pol[i].name, name))
			return &s->pol[i];
	return NULL;
}

static struct pol_rule *find_rule(struct pol_set *s, enum pol_store st, const char *policy, const char *name)
{
	for (size_t i = 0; i < s->nrule; i++)
		if (s->rule[i].store == st && !strcasecmp(s->rule[i].policy, policy) &&
		    !strcasecmp(s->rule[i].name, name))
			return &s->rule[i];
	return NULL;
}

/* ---- filter lists and filters ------------------------------------------------------------- */

static int addr_arg(struct args *a, const char *key, const char *maskkey, struct pol_addr *out, bool required)
{
	const char *s = arg(a, key), *m = arg(a, maskkey);
	if (!s)
		return required ? fail(a, -EINVAL, "%s= is required", key) : 0;
	if (pol_addr_parse(s, out))
		return fail(a, -EINVAL,
		            "%s \"%.64s\": me, any, an address, a DNS name, dns, wins, dhcp or gateway", key,
		            s);
	if (m) {
		int p;
		if (out->kind != POL_A_IP)
			return fail(a, -EINVAL, "%s applies to an address only", maskkey);
		if (pol_mask_parse(m, &p))
			return fail(a, -EINVAL, "%s \"%.32s\": a prefix length 0-32 or a dotted mask",
			            maskkey, m);
		out->mask = pol_prefix_mask(p);
		out->ip &= out->mask;
	}
	return 0;
}

static int port_arg(struct args *a, const char *key, uint16_t *v)
{
	const char *s = arg(a, key);
	if (!s)
		return 0;
	char *e;
	long x = strtol(s, &e, 10);
	if (!*s || *e || x < 0 || x > 65535 || s[0] == '-' || s[0] == '+' || s[0] == ' ')
		return fail(a, -EINVAL, "%s is 0-65535", key);
	*v = (uint16_t)x;
	return 0;
}

static int filter_args(struct args *a, struct pol_filter *f, bool required)
{
	int rc;
	if ((rc = addr_arg(a, "srcaddr", "srcmask", &f->src, required)) ||
	    (rc = addr_arg(a, "dstaddr", "dstmask", &f->dst, required)))
		return rc;
	const char *p = arg(a, "protocol");
	if (p && pol_proto_parse(p, &f->proto))
		return fail(a, -EINVAL, "protocol \"%.16s\": ANY, ICMP, TCP, UDP, RAW or 0-255", p);
	if ((rc = port_arg(a, "srcport", &f->srcport)) || (rc = port_arg(a, "dstport", &f->dstport)) ||
	    (rc = yesno(a, "mirrored", &f->mirrored)) ||
	    (rc = text(a, "description", f->desc, sizeof f->desc)))
		return rc;
	if ((f->srcport || f->dstport) && f->proto != 6 && f->proto != 17)
		return fail(a, -EINVAL, "ports apply to TCP or UDP only");
	if (f->src.kind == POL_A_ME && f->dst.kind == POL_A_ME)
		return fail(a, -EINVAL, "srcaddr and dstaddr cannot both be me");
	return 0;
}

static bool filter_eq(const struct pol_filter *x, const struct pol_filter *y)
{
	return x->src.kind == y->src.kind && x->src.ip == y->src.ip && x->src.mask == y->src.mask &&
	       !strcmp(x->src.name, y->src.name) && x->dst.kind == y->dst.kind && x->dst.ip == y->dst.ip &&
	       x->dst.mask == y->dst.mask && !strcmp(x->dst.name, y->dst.name) && x->proto == y->proto &&
	       x->srcport == y->srcport && x->dstport == y->dstport;
}

/* ---- the command table --------------------------------------------------------------------- */

struct ctx {
	struct pol_set *s;
	enum pol_store st;
	struct args *a;
	bool *changed;
	pol_out_fn out;
	void *octx;
	bool dynamic;
};

static bool used_by_rule(struct pol_set *s, enum pol_store st, int kind, const char *name, const char **rule)
{
	for (size_t i = 0; i < s->nrule; i++) {
		const struct pol_rule *r = &s->rule[i];
		if (r->store != st)
			continue;
		const char *ref = kind == POL_K_FILTERLIST ? r->filterlist : r->filteraction;
		if (!strcasecmp(ref, name)) {
			*rule = r->name;
			return true;
		}
	}
	return false;
}

static int policy_fields(struct ctx *c, struct pol_policy *p)
{
	struct args *a = c->a;
	int rc;
	const char *life = arg(a, "mmlifetime");
	if ((rc = text(a, "description", p->desc, sizeof p->desc)) || (rc = yesno(a, "assign", &p->assign)) ||
	    (rc = text(a, "mmsecmethods", p->mmsec, sizeof p->mmsec)))
		return rc;
	if (p->mmsec[0] && pol_mmsec_check(p->mmsec, a->err, a->errlen))
		return -EINVAL;
	if (life) {
		char *e;
		long v = strtol(life, &e, 10);
		if (!*life || *e || v < 1 || v > 71582788) /* netsh: minutes, at least 1 */
			return fail(a, -EINVAL, "mmlifetime is minutes, 1-71582788");
		p->mmlifetime = (uint32_t)v;
	}
	return 0;
}

/* assign=yes in one store unassigns the store's other policies: one assigned policy per store */
static void assign_only(struct pol_set *s, const struct pol_policy *p)
{
	for (size_t i = 0; i < s->npol; i++)
		if (&s->pol[i] != p && s->pol[i].store == p->store && p->assign)
			s->pol[i].assign = false;
}

static int fa_fields(struct ctx *c, struct pol_filteraction *f)
{
	struct args *a = c->a;
	int rc;
	const char *act = arg(a, "action");
	if (act) {
		if (!strcasecmp(act, "permit"))
			f->action = POL_PERMIT;
		else if (!strcasecmp(act, "block"))
			f->action = POL_BLOCK;
		else if (!strcasecmp(act, "negotiate"))
			f->action = POL_NEGOTIATE;
		else
			return fail(a, -EINVAL, "action is permit, block or negotiate");
	}
	if ((rc = text(a, "description", f->desc, sizeof f->desc)) || (rc = yesno(a, "qmpfs", &f->qmpfs)) ||
	    (rc = yesno(a, "inpass", &f->inpass)) || (rc = yesno(a, "soft", &f->soft)) ||
	    (rc = text(a, "qmsecmethods", f->qmsec, sizeof f->qmsec)))
		return rc;
	if (f->qmsec[0] && pol_qmsec_check(f->qmsec, a->err, a->errlen))
		return -EINVAL;
	return 0;
}

static int rule_fields(struct ctx *c, struct pol_rule *r)
{
	struct args *a = c->a;
	int rc;
	const char *ct = arg(a, "conntype"), *psk = arg(a, "psk"), *ca = arg(a, "rootca");
	if ((rc = name_arg(a, "filterlist", r->filterlist, false)) ||
	    (rc = name_arg(a, "filteraction", r->filteraction, false)) ||
	    (rc = text(a, "description", r->desc, sizeof r->desc)) ||
	    (rc = yesno(a, "activate", &r->activate)) || (rc = yesno(a, "certmaptoaccount", &r->certmap)))
		return rc;
	const char *g = arg(a, "group");
	if (g) {
		if (strlen(g) >= POL_NAME)
			return fail(a, -EINVAL, "group must be 0-%d bytes", POL_NAME - 1);
		snprintf(r->group, sizeof r->group, "%s", g);
	}
	if (ct) {
		if (!strcasecmp(ct, "all"))
			r->conntype = POL_CONN_ALL;
		else if (!strcasecmp(ct, "lan"))
			r->conntype = POL_CONN_LAN;
		else if (!strcasecmp(ct, "dialup"))
			r->conntype = POL_CONN_DIALUP;
		else
			return fail(a, -EINVAL, "conntype is all, lan or dialup");
	}
	if (psk) {
		if (strlen(psk) >= sizeof r->psk)
			return fail(a, -EINVAL, "psk is longer than %zu bytes", sizeof r->psk - 1);
		rp_wipe(r->psk, sizeof r->psk);
		snprintf(r->psk, sizeof r->psk, "%s", psk);
		r->has_psk = psk[0] != 0; /* psk= (empty) removes it */
	}
	if (ca) {
		/* netsh writes rootca="DN certmaptoaccount=yes" as one value */
		char buf[POL_TEXT];
		if (strlen(ca) >= sizeof buf)
			return fail(a, -EINVAL, "rootca is longer than %zu bytes", sizeof buf - 1);
		snprintf(buf, sizeof buf, "%s", ca);
		char *m = strcasestr(buf, "certmaptoaccount=");
		if (m) {
			const char *v = m + 17;
			if (!strcasecmp(v, "yes"))
				r->certmap = true;
			else if (!strcasecmp(v, "no"))
				r->certmap = false;
			else
				return fail(a, -EINVAL, "certmaptoaccount is yes or no");
			while (m > buf && m[-1] == ' ')
				m--;
			*m = 0;
		}
		snprintf(r->rootca, sizeof r->rootca, "%s", buf);
	}
	return 0;
}

static int check_refs(struct ctx *c, const struct pol_rule *r)
{
	if (!find_pol(c->s, c->st, r->policy))
		return fail(c->a, -ENOENT, "policy %s not found in the %s store", r->policy,
		            pol_store_name(c->st));
	if (!find_fl(c->s, c->st, r->filterlist))
		return fail(c->a, -ENOENT, "filterlist %s not found in the %s store", r->filterlist,
		            pol_store_name(c->st));
	if (!find_fa(c->s, c->st, r->filteraction))
		return fail(c->a, -ENOENT, "filteraction %s not found in the %s store", r->filteraction,
		            pol_store_name(c->st));
	return 0;
}

static int do_add(struct ctx *c, const char *what)
{
	struct args *a = c->a;
	int rc;
	if (!strcasecmp(what, "policy")) {
		struct pol_policy p = {.store = c->st};
		if ((rc = name_arg(a, "name", p.name, true)) || (rc = policy_fields(c, &p)) ||
		    (rc = args_done(a)))
			return rc;
		if (find_pol(c->s, c->st, p.name))
			return fail(a, -EEXIST, "policy %s exists", p.name);
		if ((rc = pol_set_append(c->s, POL_K_POLICY, &p)))
			return rc;
		assign_only(c->s, &c->s->pol[c->s->npol - 1]);
	} else if (!strcasecmp(what, "filterlist")) {
		struct pol_filterlist l = {.store = c->st};
		if ((rc = name_arg(a, "name", l.name, true)) ||
		    (rc = text(a, "description", l.desc, sizeof l.desc)) || (rc = args_done(a)))
			return rc;
		if (find_fl(c->s, c->st, l.name))
			return fail(a, -EEXIST, "filterlist %s exists", l.name);
		if ((rc = pol_set_append(c->s, POL_K_FILTERLIST, &l)))
			return rc;
	} else if (!strcasecmp(what, "filter")) {
		char fl[POL_NAME];
		struct pol_filter f = {.mirrored = true};
		if ((rc = name_arg(a, "filterlist", fl, true)) || (rc = filter_args(a, &f, true)) ||
		    (rc = args_done(a)))
			return rc;
		struct pol_filterlist *l = find_fl(c->s, c->st, fl);
		if (!l)
			return fail(a, -ENOENT, "filterlist %s not found in the %s store", fl,
			            pol_store_name(c->st));
		for (size_t i = 0; i < l->n; i++)
			if (filter_eq(&l->f[i], &f))
				return fail(a, -EEXIST, "filterlist %s already has this filter", fl);
		if ((rc = pol_filter_append(l, &f)))
			return rc;
	} else if (!strcasecmp(what, "filteraction")) {
		struct pol_filteraction f = {.store = c->st, .action = POL_NEGOTIATE};
		if ((rc = name_arg(a, "name", f.name, true)) || (rc = fa_fields(c, &f)) ||
		    (rc = args_done(a)))
			return rc;
		if (find_fa(c->s, c->st, f.name))
			return fail(a, -EEXIST, "filteraction %s exists", f.name);
		if ((rc = pol_set_append(c->s, POL_K_FILTERACTION, &f)))
			return rc;
	} else if (!strcasecmp(what, "rule")) {
		struct pol_rule r = {.store = c->st, .activate = true};
		if ((rc = name_arg(a, "name", r.name, true)) ||
		    (rc = name_arg(a, "policy", r.policy, true)) || (rc = rule_fields(c, &r)) ||
		    (rc = args_done(a)))
			goto rule_out;
		rc = -EINVAL;
		if (!r.filterlist[0] || !r.filteraction[0]) {
			fail(a, -EINVAL, "filterlist= and filteraction= are required");
			goto rule_out;
		}
		if ((rc = check_refs(c, &r)))
			goto rule_out;
		if (find_rule(c->s, c->st, r.policy, r.name)) {
			rc = fail(a, -EEXIST, "rule %s exists in policy %s", r.name, r.policy);
			goto rule_out;
		}
		rc = pol_set_append(c->s, POL_K_RULE, &r);
	rule_out:
		rp_wipe(r.psk, sizeof r.psk);
		if (rc)
			return rc;
	} else {
		return fail(a, -EINVAL, "add what? policy, filterlist, filter, filteraction or rule");
	}
	*c->changed = true;
	return 0;
}

static int do_set(struct ctx *c, const char *what)
{
	struct args *a = c->a;
	int rc;
	char name[POL_NAME] = "", newname[POL_NAME] = "";
	if (!strcasecmp(what, "store")) {
		const char *l = arg(a, "location");
		if ((rc = args_done(a)))
			return rc;
		if (c->dynamic)
			return fail(a, -EINVAL, "set store is a static command");
		if (!l)
			return fail(a, -EINVAL, "location= is required (local or persistent)");
		if (!strcasecmp(l, "local"))
			c->s->location = POL_LOCAL;
		else if (!strcasecmp(l, "persistent"))
			c->s->location = POL_PERSISTENT;
		else
			return fail(a, -EINVAL, "location is local or persistent (there is no domain here)");
		*c->changed = true;
		return 0;
	}
	if (!strcasecmp(what, "config")) {
		const char *p = arg(a, "property"), *v = arg(a, "value");
		if ((rc = args_done(a)))
			return rc;
		if (!c->dynamic)
			return fail(a, -EINVAL, "set config is a dynamic command");
		if (!p || !v)
			return fail(a, -EINVAL, "property= and value= are required");
		if (!strcasecmp(p, "bootmode")) {
			if (!strcasecmp(v, "stateful"))
				c->s->bootmode = POL_BOOT_STATEFUL;
			else if (!strcasecmp(v, "block"))
				c->s->bootmode = POL_BOOT_BLOCK;
			else if (!strcasecmp(v, "permit"))
				c->s->bootmode = POL_BOOT_PERMIT;
			else
				return fail(a, -EINVAL, "bootmode is stateful, block or permit");
		} else if (!strcasecmp(p, "bootexemptions")) {
			struct pol_exempt e[POL_MAX_EXEMPT];
			size_t n;
			if (pol_exempt_parse(v, e, POL_MAX_EXEMPT, &n, a->err, a->errlen))
				return -EINVAL;
			memcpy(c->s->exempt, e, sizeof e);
			c->s->nexempt = n;
		} else {
			return fail(a, -ENOTSUP, "property %.32s is not a policy store property", p);
		}
		*c->changed = true;
		return 0;
	}
	if ((rc = name_arg(a, "name", name, true)) || (rc = name_arg(a, "newname", newname, false)))
		return rc;
	if (!strcasecmp(what, "policy")) {
		struct pol_policy *p = find_pol(c->s, c->st, name), t;
		if (!p)
			return fail(a, -ENOENT, "policy %s not found in the %s store", name,
			            pol_store_name(c->st));
		t = *p;
		if ((rc = policy_fields(c, &t)) || (rc = args_done(a)))
			return rc;
		if (newname[0] && strcasecmp(newname, name) && find_pol(c->s, c->st, newname))
			return fail(a, -EEXIST, "policy %s exists", newname);
		if (newname[0]) {
			for (size_t i = 0; i < c->s->nrule; i++)
				if (c->s->rule[i].store == c->st && !strcasecmp(c->s->rule[i].policy, name))
					snprintf(c->s->rule[i].policy, POL_NAME, "%s", newname);
			snprintf(t.name, sizeof t.name, "%s", newname);
		}
		*p = t;
		assign_only(c->s, p);
	} else if (!strcasecmp(what, "filterlist")) {
		struct pol_filterlist *l = find_fl(c->s, c->st, name);
		char desc[POL_TEXT];
		if (!l)
			return fail(a, -ENOENT, "filterlist %s not found in the %s store", name,
			            pol_store_name(c->st));
		snprintf(desc, sizeof desc, "%s", l->desc);
		if ((rc = text(a, "description", desc, sizeof desc)) || (rc = args_done(a)))
			return rc;
		if (newname[0] && strcasecmp(newname, name) && find_fl(c->s, c->st, newname))
			return fail(a, -EEXIST, "filterlist %s exists", newname);
		if (newname[0]) {
			for (size_t i = 0; i < c->s->nrule; i++)
				if (c->s->rule[i].store == c->st &&
				    !strcasecmp(c->s->rule[i].filterlist, name))
					snprintf(c->s->rule[i].filterlist, POL_NAME, "%s", newname);
			snprintf(l->name, sizeof l->name, "%s", newname);
		}
		snprintf(l->desc, sizeof l->desc, "%s", desc);
	} else if (!strcasecmp(what, "filteraction")) {
		struct pol_filteraction *f = find_fa(c->s, c->st, name), t;
		if (!f)
			return fail(a, -ENOENT, "filteraction %s not found in the %s store", name,
			            pol_store_name(c->st));
		t = *f;
		if ((rc = fa_fields(c, &t)) || (rc = args_done(a)))
			return rc;
		if (newname[0] && strcasecmp(newname, name) && find_fa(c->s, c->st, newname))
			return fail(a, -EEXIST, "filteraction %s exists", newname);
		if (newname[0]) {
			for (size_t i = 0; i < c->s->nrule; i++)
				if (c->s->rule[i].store == c->st &&
				    !strcasecmp(c->s->rule[i].filteraction, name))
					snprintf(c->s->rule[i].filteraction, POL_NAME, "%s", newname);
			snprintf(t.name, sizeof t.name, "%s", newname);
		}
		*f = t;
	} else if (!strcasecmp(what, "rule")) {
		char pol[POL_NAME];
		if ((rc = name_arg(a, "policy", pol, true)))
			return rc;
		struct pol_rule *r = find_rule(c->s, c->st, pol, name), t;
		if (!r)
			return fail(a, -ENOENT, "rule %s not found in policy %s (%s store)", name, pol,
			            pol_store_name(c->st));
		t = *r;
		if ((rc = rule_fields(c, &t)) || (rc = args_done(a)) || (rc = check_refs(c, &t)))
			goto out;
		if (newname[0] && strcasecmp(newname, name) && find_rule(c->s, c->st, pol, newname)) {
			rc = fail(a, -EEXIST, "rule %s exists in policy %s", newname, pol);
			goto out;
		}
		if (newname[0])
			snprintf(t.name, sizeof t.name, "%s", newname);
		*r = t;
	out:
		rp_wipe(t.psk, sizeof t.psk);
		if (rc)
			return rc;
	} else {
		return fail(a, -EINVAL, "set what? policy, filterlist, filteraction, rule, store or config");
	}
	*c->changed = true;
	return 0;
}

/* Element i of an array of *n elements of sz bytes goes; the others keep their order. */
static void remove_at(void *arr, size_t *n, size_t sz, size_t i)
{
	char *b = arr;
	memmove(b + i * sz, b + (i + 1) * sz, (*n - i - 1) * sz);
	(*n)--;
}

static void drop_rule(struct pol_set *s, size_t i)
{
	rp_wipe(s->rule[i].psk, sizeof s->rule[i].psk);
	remove_at(s->rule, &s->nrule, sizeof *s->rule, i);
}

static int do_delete(struct ctx *c, const char *what)
{
	struct args *a = c->a;
	struct pol_set *s = c->s;
	int rc;
	const char *name = arg(a, "name");
	if (!strcasecmp(what, "all")) {
		if ((rc = args_done(a)))
			return rc;
		pol_set_clear_store(s, c->st);
	} else if (!strcasecmp(what, "filter")) {
		char fl[POL_NAME];
		struct pol_filter f = {.mirrored = true};
		if ((rc = name_arg(a, "filterlist", fl, true)) || (rc = filter_args(a, &f, true)) ||
		    (rc = args_done(a)))
			return rc;
		struct pol_filterlist *l = find_fl(s, c->st, fl);
		if (!l)
			return fail(a, -ENOENT, "filterlist %s not found in the %s store", fl,
			            pol_store_name(c->st));
		size_t j = 0;
		for (size_t i = 0; i < l->n; i++)
			if (!filter_eq(&l->f[i], &f))
				l->f[j++] = l->f[i];
		if (j == l->n)
			return fail(a, -ENOENT, "no such filter in filterlist %s", fl);
		l->n = j;
	} else if (!strcasecmp(what, "rule")) {
		char pol[POL_NAME];
		if ((rc = name_arg(a, "policy", pol, true)) || (rc = args_done(a)))
			return rc;
		if (!name || !*name)
			return fail(a, -EINVAL, "name= is required (a rule's name or all)");
		bool all = !strcasecmp(name, "all"), found = false;
		if (!find_pol(s, c->st, pol))
			return fail(a, -ENOENT, "policy %s not found in the %s store", pol,
			            pol_store_name(c->st));
		for (size_t i = 0; i < s->nrule;)
			if (s->rule[i].store == c->st && !strcasecmp(s->rule[i].policy, pol) &&
			    (all || !strcasecmp(s->rule[i].name, name))) {
				drop_rule(s, i);
				found = true;
			} else {
				i++;
			}
		if (!found && !all)
			return fail(a, -ENOENT, "rule %s not found in policy %s", name, pol);
	} else if (!strcasecmp(what, "policy") || !strcasecmp(what, "filterlist") ||
	           !strcasecmp(what, "filteraction")) {
		if ((rc = args_done(a)))
			return rc;
		if (!name || !*name)
			return fail(a, -EINVAL, "name= is required (a name or all)");
		bool all = !strcasecmp(name, "all"), found = false;
		int kind = !strcasecmp(what, "policy")       ? POL_K_POLICY
		           : !strcasecmp(what, "filterlist") ? POL_K_FILTERLIST
		                                             : POL_K_FILTERACTION;
		const char *user;
		/* netsh refuses to delete a filter list or action a rule uses */
		if (kind != POL_K_POLICY)
			for (size_t i = 0; i < (kind == POL_K_FILTERLIST ? s->nfl : s->nfa); i++) {
				const char *n = kind == POL_K_FILTERLIST ? s->fl[i].name : s->fa[i].name;
				enum pol_store st =
				    kind == POL_K_FILTERLIST ? s->fl[i].store : s->fa[i].store;
				if (st == c->st && (all || !strcasecmp(n, name)) &&
				    used_by_rule(s, c->st, kind, n, &user))
					return fail(a, -EBUSY, "%s %s is used by rule %s", what, n, user);
			}
		if (kind == POL_K_POLICY) {
			for (size_t i = 0; i < s->npol;)
				if (s->pol[i].store == c->st && (all || !strcasecmp(s->pol[i].name, name))) {
					for (size_t r = 0; r < s->nrule;) /* a policy's rules go with it */
						if (s->rule[r].store == c->st &&
						    !strcasecmp(s->rule[r].policy, s->pol[i].name))
							drop_rule(s, r);
						else
							r++;
					remove_at(s->pol, &s->npol, sizeof *s->pol, i);
					found = true;
				} else {
					i++;
				}
		} else if (kind == POL_K_FILTERLIST) {
			for (size_t i = 0; i < s->nfl;)
				if (s->fl[i].store == c->st && (all || !strcasecmp(s->fl[i].name, name))) {
					free(s->fl[i].f);
					remove_at(s->fl, &s->nfl, sizeof *s->fl, i);
					found = true;
				} else {
					i++;
				}
		} else {
			for (size_t i = 0; i < s->nfa;)
				if (s->fa[i].store == c->st && (all || !strcasecmp(s->fa[i].name, name))) {
					remove_at(s->fa, &s->nfa, sizeof *s->fa, i);
					found = true;
				} else {
					i++;
				}
		}
		if (!found && !all)
			return fail(a, -ENOENT, "%s %s not found in the %s store", what, name,
			            pol_store_name(c->st));
	} else {
		return fail(a, -EINVAL, "delete what? policy, filterlist, filter, filteraction, rule or all");
	}
	*c->changed = true;
	return 0;
}

static int do_show(struct ctx *c, const char *what)
{
	struct args *a = c->a;
	int rc;
	unsigned mask = c->dynamic ? 7u : (1u << POL_PERSISTENT) | (1u << POL_LOCAL);
	if (!strcasecmp(what, "all")) {
		if ((rc = args_done(a)))
			return rc;
		pol_show_all(c->s, mask, c->out, c->octx);
		return 0;
	}
	if (!strcasecmp(what, "store")) {
		if ((rc = args_done(a)))
			return rc;
		char line[64];
		snprintf(line, sizeof line, "store location: %s", pol_store_name(c->s->location));
		c->out(c->octx, line);
		return 0;
	}
	if (!strcasecmp(what, "config")) {
		if ((rc = args_done(a)))
			return rc;
		pol_show_config(c->s, c->out, c->octx);
		return 0;
	}
	static const char *const kinds[] = {"filterlist", "filteraction", "policy", "rule"};
	for (int k = 0; k < 4; k++) {
		if (strcasecmp(what, kinds[k]))
			continue;
		const char *name = arg(a, "name"), *pol = k == POL_K_RULE ? arg(a, "policy") : NULL;
		if ((rc = args_done(a)))
			return rc;
		if (!name || !*name)
			return fail(a, -EINVAL, "name= is required (a name or all)");
		pol_show_objects(c->s, mask, k, strcasecmp(name, "all") ? name : NULL, pol, c->out, c->octx);
		return 0;
	}
	return fail(a, -EINVAL, "show what? all, policy, filterlist, filteraction, rule, store or config");
}

int pol_cmd_run(struct pol_set *set, int argc, char **argv, unsigned flags, pol_out_fn out, void *octx,
                bool *changed, char *err, size_t errlen)
{
	struct args a = {.err = err, .errlen = errlen};
	bool ch = false;
	err[0] = 0;
	*changed = false;
	if (argc < 3)
		return fail(&a, -EINVAL, "usage: static|dynamic add|set|delete|show OBJECT key=value...");
	bool dyn = !strcasecmp(argv[0], "dynamic");
	if (!dyn && strcasecmp(argv[0], "static"))
		return fail(&a, -EINVAL, "\"%.32s\": static or dynamic", argv[0]);
	if (dyn != !!(flags & POL_CMD_DYNAMIC))
		return fail(&a, -EINVAL, "%s commands are not taken here", dyn ? "dynamic" : "static");
	int rc = args_parse(&a, argc - 3, argv + 3);
	if (rc)
		return rc;
	/* the pol_set is changed only by a command that succeeds: a copy is edited and swapped in */
	struct pol_set work;
	pol_set_init(&work);
	for (int st = 0; st < POL_NSTORES; st++)
		if ((rc = pol_set_copy_store(&work, set, st))) {
			pol_set_free(&work);
			return fail(&a, rc, "out of memory");
		}
	work.location = set->location;
	work.bootmode = set->bootmode;
	memcpy(work.exempt, set->exempt, sizeof work.exempt);
	work.nexempt = set->nexempt;
	struct ctx c = {.s = &work,
	                .st = dyn ? POL_DYNAMIC : set->location,
	                .a = &a,
	                .changed = &ch,
	                .out = out,
	                .octx = octx,
	                .dynamic = dyn};
	const char *verb = argv[1], *what = argv[2];
	if (!strcasecmp(verb, "add"))
		rc = do_add(&c, what);
	else if (!strcasecmp(verb, "set"))
		rc = do_set(&c, what);
	else if (!strcasecmp(verb, "delete"))
		rc = do_delete(&c, what);
	else if (!strcasecmp(verb, "show"))
		rc = do_show(&c, what);
	else
		rc = fail(&a, -EINVAL, "\"%.32s\": add, set, delete or show", verb);
	if (rc || !ch) {
		pol_set_free(&work);
		return rc;
	}
	pol_set_free(set);
	*set = work;
	*changed = true;
	return 0;
}
