/* The monitor's Active Policy: what IP Security Monitor shows for the policy in force. The
 * configuration's settings come from srv_json_config (what `rampartctl --json show config`
 * prints); the IPsec policy objects from the active set srv_policy holds (persistent, local and
 * dynamic stores merged), rules in the order they are weighed, then the implicit rule the
 * configuration gives every peer no rule matches. Secrets are never included. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "policy.h"
#include "srv_json.h"
#include "srv_local.h"
#include "srv_monitor.h"
#include "srv_policy.h"

static json_t *get(json_t *conf, const char *sec, const char *key)
{
	json_t *v = json_object_get(json_object_get(conf, sec), key);
	return v ? json_incref(v) : json_null();
}

static bool set_str(json_t *conf, const char *sec, const char *key)
{
	const char *v = json_string_value(json_object_get(json_object_get(conf, sec), key));
	return v && *v;
}

static void time_str(time_t t, char *when, size_t n)
{
	struct tm tm;
	when[0] = 0;
	if (t && gmtime_r(&t, &tm))
		strftime(when, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *action_text(enum pol_action a)
{
	return a == POL_BLOCK    ? "block"
	       : a == POL_PERMIT ? "permit (plain L2TP, no IPsec)"
	                         : "negotiate security (ESP transport mode)";
}

/* One filter list as the table's columns (its filters joined) and as the list itself. */
static json_t *filters_json(const struct pol_filterlist *fl, json_t **summary)
{
	char a[300], b[300], p[8], port[24], src[1024] = "", dst[1024] = "", prot[256] = "", ports[256] = "";
	json_t *arr = json_array();
	for (size_t k = 0; k < fl->n; k++) {
		const struct pol_filter *f = &fl->f[k];
		pol_addr_str(&f->src, a, sizeof a);
		pol_addr_str(&f->dst, b, sizeof b);
		pol_proto_str(f->proto, p, sizeof p);
		snprintf(port, sizeof port, "%u:%u", f->srcport, f->dstport);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:i, s:i, s:b, s:s}", "source", a,
		                                     "destination", b, "protocol", p, "source_port",
		                                     (int)f->srcport, "destination_port", (int)f->dstport,
		                                     "mirrored", f->mirrored, "description", f->desc));
		const char *sep = k ? "; " : "";
		snprintf(src + strlen(src), sizeof src - strlen(src), "%s%s", sep, a);
		snprintf(dst + strlen(dst), sizeof dst - strlen(dst), "%s%s%s", sep, b, f->mirrored ? " (mirrored)" : "");
		snprintf(prot + strlen(prot), sizeof prot - strlen(prot), "%s%s", sep, p);
		snprintf(ports + strlen(ports), sizeof ports - strlen(ports), "%s%s", sep, port);
	}
	*summary = json_pack("{s:s, s:s, s:s, s:s}", "source", fl->n ? src : "(no filters)", "destination",
	                     dst, "protocol", prot, "port", ports);
	return arr;
}

static const char *conntype_name(enum pol_conntype c)
{
	return c == POL_CONN_LAN ? "lan (who may negotiate)"
	       : c == POL_CONN_DIALUP ? "dialup (clients' traffic in the tunnel)"
	                              : "all";
}

static json_t *rule_json(const struct pol_match *m, json_t *default_auth)
{
	const struct pol_rule *r = m->rule;
	json_t *summary, *filters = filters_json(m->fl, &summary), *auth;
	if (m->action != POL_NEGOTIATE) {
		auth = json_array(); /* no IKE for block and permit: nothing authenticates */
	} else if (r->has_psk || r->rootca[0]) {
		auth = json_array();
		if (r->rootca[0]) {
			char t[POL_TEXT + 64];
			snprintf(t, sizeof t, "certificate from %s%s", r->rootca,
			         r->certmap ? " (mapped to accounts)" : "");
			json_array_append_new(auth, json_string(t));
		}
		if (r->has_psk)
			json_array_append_new(auth, json_string("preshared key (the rule's)"));
	} else
		auth = json_incref(default_auth);
	const char *qm = m->fa->qmsec[0] ? m->fa->qmsec : "the configuration's";
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:b, s:s, s:s, s:o, s:b}", "name",
	                 r->name, "store", pol_store_name(r->store), "policy", m->pol->name, "filter_list",
	                 m->fl->name, "filter_action", m->fa->name, "filter", summary, "filters", filters,
	                 "action", action_text(m->action), "quick_mode_methods",
	                 m->action == POL_NEGOTIATE ? qm : "", "connection_type", conntype_name(r->conntype),
	                 "pfs", m->fa->qmpfs, "group", r->group, "description", r->desc, "authentication",
	                 auth, "plain_l2tp_permitted", m->action == POL_PERMIT);
}

json_t *srv_monitor_policy(struct srv *s)
{
	json_t *conf = srv_json_config(s);
	if (!conf)
		return NULL;
	bool in_force = false;
	const struct pol_set *ps = srv_policy_objects(s, &in_force);
	json_t *auth = json_array();
	if (set_str(conf, "ike", "certificate"))
		json_array_append_new(auth, json_string("certificate (RSA signature)"));
	if (set_str(conf, "ike", "psk"))
		json_array_append_new(auth, json_string("preshared key"));

	/* the assigned policies (one per store at most) and their rules in the order weighed */
	json_t *rules = json_array(), *assigned = json_array();
	char names[3 * (POL_NAME + 16)] = "", stores[64] = "", mm[3 * POL_TEXT] = "";
	for (int st = 0; ps && st < POL_NSTORES; st++) {
		for (size_t i = 0; i < ps->npol; i++) {
			const struct pol_policy *p = &ps->pol[i];
			if (p->store != (enum pol_store)st || !p->assign)
				continue;
			const char *sep = names[0] ? " + " : "";
			snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", sep, p->name);
			snprintf(stores + strlen(stores), sizeof stores - strlen(stores), "%s%s", sep,
			         pol_store_name(p->store));
			if (p->mmsec[0])
				snprintf(mm + strlen(mm), sizeof mm - strlen(mm), "%s%s: %s", mm[0] ? "; " : "",
				         p->name, p->mmsec);
			json_array_append_new(assigned,
			                      json_pack("{s:s, s:s, s:s, s:s, s:i}", "name", p->name, "store",
			                                pol_store_name(p->store), "description", p->desc,
			                                "main_mode_methods", p->mmsec[0] ? p->mmsec : "",
			                                "main_mode_lifetime_min", (int)p->mmlifetime));
		}
		for (size_t i = 0; i < ps->nrule; i++) {
			struct pol_match m;
			if (ps->rule[i].store == (enum pol_store)st && pol_rule_active(ps, i, &m))
				json_array_append_new(rules, rule_json(&m, auth));
		}
	}
	bool any = json_array_size(assigned) > 0;
	json_t *implicit = json_pack(
	    "{s:s, s:s, s:{s:s, s:o, s:s, s:o}, s:s, s:O, s:b}", "name",
	    any ? "default response (the configuration)" : "L2TP/IPsec remote access (implicit)", "store",
	    "configuration file", "filter", "source", any ? "any peer no rule matches" : "any", "destination",
	    get(conf, "server", "listen"), "protocol", "UDP (L2TP)", "port", get(conf, "server", "l2tp_port"),
	    "action", "negotiate security (ESP transport mode)", "authentication", auth,
	    "plain_l2tp_permitted", json_is_true(json_object_get(json_object_get(conf, "l2tp"), "allow_plain")));
	json_array_append_new(rules, implicit);

	char note[256], when[32], ex[POL_MAX_EXEMPT * 32] = "";
	if (!any)
		snprintf(note, sizeof note, "No IPsec policy is assigned (rampartctl ipsec static add policy ... "
		                            "assign=yes): the configuration's implicit rule applies to every peer.");
	else if (!in_force)
		snprintf(note, sizeof note, "The assigned policy is not in force yet: boot mode %s applies.",
		         pol_bootmode_name(ps->bootmode));
	else
		snprintf(note, sizeof note, "Rules are weighed by how specific their filters are; a peer no "
		                            "rule matches gets the configuration's default response.");
	/* where the policy comes from, and when that last changed */
	time_t t = 0;
	const char *path = s->conf_path;
	struct stat st;
	if (any)
		path = srv_policy_store_file(s, &t);
	else if (stat(path, &st) == 0)
		t = st.st_mtime;
	time_str(t, when, sizeof when);
	if (ps)
		pol_exempt_str(ps->exempt, ps->nexempt, ex, sizeof ex);
	json_t *doc = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:o, s:o,"
	    " s:{s:O, s:o, s:o, s:o, s:o, s:o, s:o, s:s}, s:{s:o, s:o, s:o, s:o, s:o}, s:{s:o, s:o}}",
	    "name", any ? names : "rampart configuration (implicit policy)", "store",
	    any ? stores : "configuration file", "path", path ? path : "", "last_change", when,
	    "note", note, "in_force", any ? in_force : true, "bootmode",
	    ps ? pol_bootmode_name(ps->bootmode) : "stateful", "bootexemptions", ex, "assigned", assigned,
	    "rules", rules, "main_mode", "authentication", auth, "dh_groups", get(conf, "ike", "dh_groups"),
	    "methods", get(conf, "ike", "main_mode_methods"), "lifetime_s", get(conf, "ike", "phase1_lifetime"),
	    "dpd_delay_s", get(conf, "ike", "dpd_delay"), "dpd_timeout_s", get(conf, "ike", "dpd_timeout"),
	    "send_certificate_always", get(conf, "ike", "send_certificate_always"), "policy_methods", mm,
	    "quick_mode", "lifetime_s", get(conf, "ike", "phase2_lifetime"), "pfs_dh_groups",
	    get(conf, "ike", "dh_groups"), "methods", get(conf, "ike", "quick_mode_methods"), "replay_window",
	    get(conf, "esp", "replay_window"), "natt_keepalive_s", get(conf, "esp", "natt_keepalive"), "ppp",
	    "auth", get(conf, "ppp", "auth"), "login_must_match_certificate",
	    get(conf, "ppp", "login_must_match_certificate"));
	json_decref(auth);
	json_decref(conf);
	return doc;
}
