/* Modelling ("what would apply", Group Policy Modeling's question): for a peer address, optionally
 * a certificate, an account and a destination, the answer the daemon's own functions give — the
 * rule (pol_match_peer), its action, methods and authentication, the certificate mapping and rights
 * (auth_cert_map, auth_rights_check), the address a login would get, and the data-path verdict
 * (pol_dp_permit). Printed as "key: value" lines or one JSON object. */
#include "pol_local.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "pol_model.h"

static void ipstr(uint32_t ip, char *b, size_t n)
{
	struct in_addr in = {htonl(ip)};
	inet_ntop(AF_INET, &in, b, (socklen_t)n);
}

int pol_model(const struct pol_set *s, const struct pol_env *env, struct auth_db *db,
              const struct pol_model_q *q, struct pol_model_a *a)
{
	memset(a, 0, sizeof *a);
	struct pol_match m;
	a->matched = pol_match_peer(s, env, q->peer, &m) == 0;
	a->m = m;
	if (a->matched) {
		a->action = m.action;
		char src[300], dst[300], pr[8];
		const struct pol_filter *f = &m.fl->f[m.filter];
		snprintf(a->filter, sizeof a->filter,
		         "filterlist %s filter %zu: srcaddr=%s dstaddr=%s protocol=%s%s", m.fl->name,
		         m.filter + 1, pol_addr_str(&f->src, src, sizeof src),
		         pol_addr_str(&f->dst, dst, sizeof dst), pol_proto_str(f->proto, pr, sizeof pr),
		         f->mirrored ? " mirrored" : "");
	}
	/* a certificate: would the rule's CA and its mapping setting accept it? */
	if (q->cert) {
		a->cert_given = true;
		snprintf(a->cert_subject, sizeof a->cert_subject, "%s", q->cert->subject);
		snprintf(a->cert_issuer, sizeof a->cert_issuer, "%s", q->cert->issuer);
		bool ca_ok = true;
		if (a->matched && m.action == POL_NEGOTIATE && m.rule->rootca[0]) {
			ca_ok = auth_cert_from_ca(q->cert, m.rule->rootca); /* the daemon's test */
		} else if (a->matched && m.action == POL_NEGOTIATE && m.rule->has_psk) {
			ca_ok = false; /* the rule allows its PSK only */
		}
		bool mapping = !a->matched || !m.rule->rootca[0] || m.rule->certmap;
		if (!ca_ok) {
			snprintf(a->cert_decision, sizeof a->cert_decision,
			         "refused: rule %s does not accept certificates from %s", m.rule->name,
			         q->cert->issuer);
		} else if (!mapping) {
			snprintf(a->cert_decision, sizeof a->cert_decision,
			         "accepted without mapping (certmaptoaccount=no): no account, rights not "
			         "consulted");
		} else if (db) {
			struct auth_cert_res res;
			if (auth_cert_map(db, q->cert, &res) == 0) {
				snprintf(a->cert_decision, sizeof a->cert_decision, "%s%s%s: %s",
				         auth_cert_result_str(res.result), res.account[0] ? " account=" : "",
				         res.account, res.detail);
				if (res.account[0] && !q->account)
					snprintf(a->account, sizeof a->account, "%s", res.account);
			}
		}
	}
	if (q->account)
		snprintf(a->account, sizeof a->account, "%s", q->account);
	uint32_t client = 0;
	char group[64] = "";
	if (a->account[0] && db) {
		struct auth_account acc;
		if (auth_account_get(db, a->account, &acc) == 0) {
			a->account_found = true;
			snprintf(group, sizeof group, "%s", acc.group);
			snprintf(a->group, sizeof a->group, "%s", acc.group);
			char what[128] = "";
			int r = auth_rights_check(db, acc.id, NULL, what, sizeof what);
			snprintf(a->rights, sizeof a->rights, "%s%s%s%s",
			         acc.enabled ? "" : "account disabled; ", auth_cert_result_str(r),
			         what[0] ? " by right " : "", what);
			if (acc.static_ip) {
				client = acc.static_ip;
				char ip[INET_ADDRSTRLEN];
				ipstr(acc.static_ip, ip, sizeof ip);
				snprintf(a->lease, sizeof a->lease, "%s (the account's static address)", ip);
			} else {
				snprintf(a->lease, sizeof a->lease, "the next free address of [pool] range");
			}
		} else {
			snprintf(a->rights, sizeof a->rights, "no such account");
		}
	}
	if (q->has_dst) {
		a->dst_given = true;
		struct pol_dp *dp = pol_dp_compile(s, env);
		if (!dp)
			return -ENOMEM;
		struct pol_dp_pkt p = {
		    .src = client, .dst = q->dst, .proto = q->proto, .sport = 0, .dport = q->port};
		const char *rule = NULL;
		/* a client address from the pool is not known here: filters on the source match 0.0.0.0
		 * only when they are "any" */
		a->dst_permit = pol_dp_permit(dp, &p, group, &rule);
		snprintf(a->dst_rule, sizeof a->dst_rule, "%s", rule ? rule : "");
		pol_dp_free(dp);
	}
	return 0;
}

int pol_model_args(int argc, char **argv, struct pol_model_q *q, const char **cert, char *err, size_t n)
{
	struct in_addr in;
	bool has_peer = false;
	memset(q, 0, sizeof *q);
	*cert = NULL;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = strchr(a, '=');
		if (!v) {
			snprintf(err, n, "\"%.64s\": arguments are key=value", a);
			return -EINVAL;
		}
		v++;
		if (!strncasecmp(a, "peer=", 5) || !strncasecmp(a, "dst=", 4)) {
			if (inet_pton(AF_INET, v, &in) != 1) {
				snprintf(err, n, "%.64s: an IPv4 address", a);
				return -EINVAL;
			}
			if (a[0] == 'p' || a[0] == 'P')
				q->peer = ntohl(in.s_addr), has_peer = true;
			else
				q->dst = ntohl(in.s_addr), q->has_dst = true;
		} else if (!strncasecmp(a, "id=", 3)) {
			q->id = v;
		} else if (!strncasecmp(a, "account=", 8)) {
			q->account = v;
		} else if (!strncasecmp(a, "proto=", 6)) {
			if (pol_proto_parse(v, &q->proto)) {
				snprintf(err, n, "proto: ANY, ICMP, TCP, UDP or 0-255");
				return -EINVAL;
			}
		} else if (!strncasecmp(a, "port=", 5)) {
			char *e;
			long p = strtol(v, &e, 10);
			if (!*v || *e || p < 0 || p > 65535) {
				snprintf(err, n, "port is 0-65535");
				return -EINVAL;
			}
			q->port = (uint16_t)p;
		} else if (!strncasecmp(a, "cert=", 5)) {
			*cert = v;
		} else {
			snprintf(err, n, "unknown parameter \"%.*s\"", (int)(v - a - 1), a);
			return -EINVAL;
		}
	}
	if (!has_peer) {
		snprintf(err, n, "peer= is required");
		return -EINVAL;
	}
	if (q->id && *cert) {
		snprintf(err, n, "id= or cert=, not both");
		return -EINVAL;
	}
	return 0;
}

static void jstr(FILE *f, const char *key, const char *v, bool comma)
{
	fprintf(f, "%s\"%s\":\"", comma ? "," : "", key);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	fputc('"', f);
}

void pol_model_print(const struct pol_model_q *q, const struct pol_model_a *a, bool json, FILE *f)
{
	char peer[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN], pr[8];
	const struct pol_match *m = &a->m;
	ipstr(q->peer, peer, sizeof peer);
	ipstr(q->dst, dst, sizeof dst);
	const char *action = a->matched ? pol_action_name(a->action) : "negotiate";
	char auth[600] = "", mm[POL_TEXT + 32], qm[POL_TEXT + 32], plain[8];
	if (a->matched && a->action == POL_NEGOTIATE) {
		size_t l = 0;
		if (m->rule->has_psk)
			l += (size_t)snprintf(auth + l, sizeof auth - l, "psk (the rule's)");
		if (m->rule->rootca[0] && l < sizeof auth)
			snprintf(auth + l, sizeof auth - l, "%scertificate from \"%s\" certmaptoaccount=%s",
			         l ? ", " : "", m->rule->rootca, m->rule->certmap ? "yes" : "no");
		if (!auth[0])
			snprintf(auth, sizeof auth, "configuration's (PSK, certificates if [ike] ca is set)");
	} else if (!a->matched) {
		snprintf(auth, sizeof auth, "configuration's (PSK, certificates if [ike] ca is set)");
	} else {
		snprintf(auth, sizeof auth, "none (no IKE)");
	}
	snprintf(mm, sizeof mm, "%s",
	         a->matched && a->action == POL_NEGOTIATE && m->pol->mmsec[0] ? m->pol->mmsec
	         : a->matched && a->action != POL_NEGOTIATE                   ? "-"
	                                                                      : "configuration's");
	snprintf(qm, sizeof qm, "%s%s",
	         a->matched && a->action == POL_NEGOTIATE && m->fa->qmsec[0] ? m->fa->qmsec
	         : a->matched && a->action != POL_NEGOTIATE                  ? "-"
	                                                                     : "configuration's",
	         a->matched && a->action == POL_NEGOTIATE && m->fa->qmpfs ? " (PFS required)" : "");
	snprintf(plain, sizeof plain, "%s", a->matched && a->action == POL_PERMIT ? "yes" : "no");
	/* the Main Mode SA's cap the daemon applies (ike_peer_policy.mm_life_s), minutes */
	uint32_t mmlife = a->matched && a->action == POL_NEGOTIATE ? m->pol->mmlifetime : 0;
	if (json) {
		fprintf(f, "{");
		jstr(f, "peer", peer, false);
		jstr(f, "rule", a->matched ? m->rule->name : "", true);
		jstr(f, "store", a->matched ? pol_store_name(m->rule->store) : "", true);
		jstr(f, "policy", a->matched ? m->pol->name : "", true);
		jstr(f, "filter", a->filter, true);
		jstr(f, "action", action, true);
		fprintf(f, ",\"default_response\":%s", a->matched ? "false" : "true");
		jstr(f, "authentication", auth, true);
		jstr(f, "mmsecmethods", mm, true);
		jstr(f, "qmsecmethods", qm, true);
		fprintf(f, ",\"mmlifetime_min\":%u", mmlife); /* 0: the configuration's */
		fprintf(f, ",\"plain_l2tp\":%s", plain[0] == 'y' ? "true" : "false");
		if (q->id)
			jstr(f, "id", q->id, true);
		if (a->cert_given) {
			jstr(f, "cert_subject", a->cert_subject, true);
			jstr(f, "cert_issuer", a->cert_issuer, true);
			jstr(f, "certificate", a->cert_decision, true);
		}
		if (a->account[0]) {
			jstr(f, "account", a->account, true);
			jstr(f, "group", a->group, true);
			jstr(f, "rights", a->rights, true);
			jstr(f, "lease", a->lease, true);
		}
		if (a->dst_given) {
			jstr(f, "dst", dst, true);
			fprintf(f, ",\"proto\":%u,\"port\":%u", q->proto, q->port);
			jstr(f, "dst_verdict", a->dst_permit ? "permit" : "block", true);
			jstr(f, "dst_rule", a->dst_rule, true);
		}
		fprintf(f, "}\n");
		return;
	}
	fprintf(f, "peer: %s\n", peer);
	if (a->matched) {
		fprintf(f, "rule: %s (policy %s, %s store)\n", m->rule->name, m->pol->name,
		        pol_store_name(m->rule->store));
		fprintf(f, "filter: %s\n", a->filter);
		fprintf(f, "action: %s\n", action);
	} else {
		fprintf(
		    f, "rule: none (default response)\naction: negotiate with the configuration's methods\n");
	}
	fprintf(f, "authentication: %s\nmmsecmethods: %s\nqmsecmethods: %s\nplain L2TP: %s\n", auth, mm, qm,
	        plain[0] == 'y' ? "permitted" : "refused");
	if (mmlife)
		fprintf(f, "mmlifetime: %u min\n", mmlife);
	if (q->id)
		fprintf(f, "id: %s\n", q->id);
	if (a->cert_given)
		fprintf(f, "certificate: subject \"%s\" issuer \"%s\": %s\n", a->cert_subject, a->cert_issuer,
		        a->cert_decision);
	if (a->account[0])
		fprintf(f, "account: %s group=%s rights: %s\nlease: %s\n", a->account,
		        a->group[0] ? a->group : "-", a->rights, a->lease[0] ? a->lease : "-");
	if (a->dst_given)
		fprintf(f, "destination: %s %s port %u: %s%s%s\n", dst,
		        pol_proto_str(q->proto, pr, sizeof pr), q->port, a->dst_permit ? "permit" : "block",
		        a->dst_rule[0] ? " by rule " : " (no filter: permitted)", a->dst_rule);
}
