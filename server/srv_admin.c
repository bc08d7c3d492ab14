/* rampartctl disconnect: ending chosen clients the way a clean client logoff would look from
 * their side. PPP first (LCP Terminate, then CDN when the client acknowledges), then StopCCN
 * when the tunnel has no other session, then the IKE DELETEs: deleting the SAs first would cut
 * the path the CDN and StopCCN need. A client that does not answer within KILL_GRACE_MS gets the
 * StopCCN and DELETEs anyway. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "srv_local.h"

#define KILL_GRACE_MS 1000

enum match_kind { M_ALL, M_ACCOUNT, M_IP, M_PEER, M_IKE, M_UNAUTHORIZED };

struct match {
	enum match_kind kind;
	const char *account;
	uint32_t ip;         /* M_IP, host order */
	struct rp_addr peer; /* M_PEER: port 0 = any */
	uint8_t icky[8];     /* M_IKE */
};

/* ADDR, ADDR:PORT or [IPv6]:PORT */
static int parse_peer(const char *v, struct rp_addr *a)
{
	char host[64];
	const char *colon = strrchr(v, ':'), *port = NULL;
	size_t hl = strlen(v);
	if (v[0] == '[') {
		const char *close = strchr(v, ']');
		if (!close || (close[1] && close[1] != ':'))
			return -1;
		v++;
		hl = (size_t)(close - v);
		port = close[1] ? close + 2 : NULL;
	} else if (colon && strchr(v, ':') == colon) { /* one colon: IPv4 with a port */
		hl = (size_t)(colon - v);
		port = colon + 1;
	}
	if (hl >= sizeof host)
		return -1;
	memcpy(host, v, hl);
	host[hl] = 0;
	if (rp_addr_parse(a, host))
		return -1;
	if (port) {
		char *end;
		unsigned long p = strtoul(port, &end, 10);
		if (*end || end == port || p == 0 || p > 65535)
			return -1;
		a->port = (uint16_t)p;
	}
	return 0;
}

static int parse_match(const char *arg, struct match *m, char *err, size_t errlen)
{
	memset(m, 0, sizeof *m);
	const char *eq = strchr(arg, '=');
	const char *v = eq ? eq + 1 : "";
	size_t kl = eq ? (size_t)(eq - arg) : strlen(arg);
	if (!eq && strcasecmp(arg, "all") == 0) {
		m->kind = M_ALL;
		return 0;
	}
	if (!eq && strcasecmp(arg, "unauthorized") == 0) {
		m->kind = M_UNAUTHORIZED;
		return 0;
	}
	if (kl == 7 && strncasecmp(arg, "account", 7) == 0 && *v) {
		m->kind = M_ACCOUNT;
		m->account = v;
		return 0;
	}
	if (kl == 2 && strncasecmp(arg, "ip", 2) == 0) {
		struct in_addr a;
		if (inet_pton(AF_INET, v, &a) != 1) {
			snprintf(err, errlen, "ip=%s is not an IPv4 address", v);
			return -1;
		}
		m->kind = M_IP;
		m->ip = ntohl(a.s_addr);
		return 0;
	}
	if (kl == 4 && strncasecmp(arg, "peer", 4) == 0) {
		if (parse_peer(v, &m->peer)) {
			snprintf(err, errlen, "peer=%s is not ADDR or ADDR:PORT ([ADDR]:PORT for IPv6)", v);
			return -1;
		}
		m->kind = M_PEER;
		return 0;
	}
	if (kl == 3 && strncasecmp(arg, "ike", 3) == 0) {
		unsigned b[8];
		if (strlen(v) != 16 || sscanf(v, "%2x%2x%2x%2x%2x%2x%2x%2x", &b[0], &b[1], &b[2], &b[3],
		                              &b[4], &b[5], &b[6], &b[7]) != 8) {
			snprintf(err, errlen,
			         "ike=%s is not an initiator cookie (16 hex digits, as show sas prints)", v);
			return -1;
		}
		for (int i = 0; i < 8; i++)
			m->icky[i] = (uint8_t)b[i];
		m->kind = M_IKE;
		return 0;
	}
	snprintf(
	    err, errlen,
	    "usage: disconnect account=NAME | ip=ADDR | peer=ADDR[:PORT] | ike=COOKIE | all | unauthorized");
	return -1;
}

static bool child_matches(const struct match *m, const struct srv_child *ch)
{
	switch (m->kind) {
	case M_ALL:
		return true;
	case M_PEER:
		return rp_addr_ipeq(&ch->peer, &m->peer) && (!m->peer.port || ch->peer.port == m->peer.port);
	case M_IKE:
		return memcmp(ch->icky, m->icky, 8) == 0;
	default:
		return false;
	}
}

/* The account as the store has it now: gone, disabled, or refused by the rights (the same check
 * a login passes, auth_rights_check) after `account disable`, `right deny add`, ... */
static bool unauthorized(struct srv_core *c, const char *account)
{
	struct auth_account a;
	if (auth_account_get(c->db, account, &a) || !a.enabled)
		return true;
	return auth_rights_check(c->db, a.id, NULL, NULL, 0) != AUTH_CERT_OK;
}

static bool sess_matches(struct srv_core *c, const struct match *m, const struct srv_sess *se,
                         const struct srv_child *ch)
{
	if (m->kind == M_UNAUTHORIZED)
		return unauthorized(c, se->account);
	if (m->kind == M_ACCOUNT)
		return strcmp(se->account, m->account) == 0;
	if (m->kind == M_IP)
		return se->ip == m->ip;
	return ch ? child_matches(m, ch) : m->kind == M_ALL;
}

static int add_kill(struct srv_core *c, struct srv_child *ch, struct srv_sess *se, uint64_t deadline)
{
	if ((ch && ch->killing) || (se && se->killing)) /* asked twice: the first deadline stands */
		return 0;
	if (c->nkill == c->capkill) {
		size_t nc = c->capkill ? c->capkill * 2 : 16;
		struct srv_kill *nk = realloc(c->kill, nc * sizeof *nk);
		if (!nk)
			return -1;
		c->kill = nk;
		c->capkill = nc;
	}
	struct srv_kill *k = &c->kill[c->nkill++];
	memset(k, 0, sizeof *k);
	if (ch) {
		ch->killing = true;
		k->spi_in = ch->spi_in;
		memcpy(k->icky, ch->icky, 8);
		memcpy(k->rcky, ch->rcky, 8);
	}
	if (se) {
		se->killing = true;
		k->link = se->link;
		k->tid = se->tid;
		k->sid = se->sid;
	}
	k->deadline = deadline;
	return 0;
}

static void say(struct srv *s, const struct srv_child *ch, const struct srv_sess *se,
                void (*line)(void *ctx, const char *text), void *ctx)
{
	char buf[256], a[RP_ADDR_STRLEN] = "-", ip[INET_ADDRSTRLEN] = "-";
	if (ch)
		rp_addr_str(&ch->peer, a, sizeof a);
	if (se) {
		uint32_t be = htonl(se->ip);
		inet_ntop(AF_INET, &be, ip, sizeof ip);
	}
	snprintf(buf, sizeof buf, "disconnecting account %s ip %s peer %s l2tp %u/%u%s",
	         se ? se->account : "-", ip, a, se ? se->tid : 0, se ? se->sid : 0,
	         se ? "" : " (no PPP session)");
	rp_logf(&s->log, RP_LOG_NOTICE, "ctl", "%s", buf);
	if (line)
		line(ctx, buf);
}

int srv_core_disconnect(struct srv *s, const char *arg, void (*line)(void *ctx, const char *text), void *ctx,
                        char *err, size_t errlen)
{
	struct srv_core *c = s->core;
	struct match m;
	if (parse_match(arg, &m, err, errlen))
		return -1;
	uint64_t now = srv_now(s);
	size_t n = 0, first = c->nkill;
	/* sessions first: they end through PPP and L2TP before their SAs go */
	for (struct srv_sess *se = c->tab.sessions; se; se = se->next) {
		struct srv_child *ch = se->child;
		if (se->killing || !sess_matches(c, &m, se, ch) || add_kill(c, ch, se, now + KILL_GRACE_MS))
			continue;
		say(s, ch, se, line, ctx);
		n++;
	}
	/* SA pairs without a PPP session (not yet logged in, or plain IPsec) go at once */
	if (m.kind == M_ALL || m.kind == M_PEER || m.kind == M_IKE)
		for (struct srv_child *ch = c->tab.children; ch; ch = ch->next) {
			if (ch->nsess || ch->killing || !child_matches(&m, ch) || add_kill(c, ch, NULL, now))
				continue;
			say(s, ch, NULL, line, ctx);
			n++;
		}
	for (size_t i = first; i < c->nkill; i++)
		if (c->kill[i].tid && c->kill[i].deadline > now)
			l2tp_close_session(c->l2tp, &c->kill[i].link, c->kill[i].tid, c->kill[i].sid, now);
	if (!n) {
		snprintf(err, errlen, "no client matches %s", arg);
		return -1;
	}
	srv_core_run(s);
	return 0;
}

/* Kills whose session has ended (CDN sent) or whose grace is over: StopCCN when the tunnel
 * has no other session, then the IKE DELETEs. True when something was done (events to drain). */
bool srv_core_kills_due(struct srv *s, uint64_t now)
{
	struct srv_core *c = s->core;
	bool did = false;
	for (size_t i = 0; i < c->nkill;) {
		struct srv_kill *k = &c->kill[i];
		struct srv_sess *se = k->tid ? srv_tab_sess_find(&c->tab, &k->link, k->tid, k->sid) : NULL;
		bool sess_up = se != NULL;
		bool tunnel_shared = k->tid && srv_tab_tunnel_shared(&c->tab, &k->link, k->tid, k->sid);
		if (sess_up && now < k->deadline) {
			i++;
			continue;
		}
		if (k->tid && !tunnel_shared)
			l2tp_stop_tunnel(c->l2tp, &k->link, k->tid, now);
		else if (sess_up)
			l2tp_close_session(c->l2tp, &k->link, k->tid, k->sid,
			                   now); /* a silent client: CDN now */
		if (se)
			se->killing = false;
		bool ike_shared = k->spi_in && srv_tab_ike_shared(&c->tab, k->icky, k->rcky, k->spi_in);
		struct srv_child *kc = k->spi_in ? srv_tab_child_by_in(&c->tab, k->spi_in) : NULL;
		if (kc)
			kc->killing = false;
		/* the StopCCN/CDN must be encapsulated before the SA goes: drain first */
		while (srv_core_drain(s, now))
			;
		/* an IKE SA the peer deleted or that expired leaves its IPsec SA pair behind: that pair
		 * is deleted alone (DELETE of the IKE SA takes its children only while it exists) */
		if (k->spi_in && (ike_shared || ike_delete_ike(c->ike, k->icky, k->rcky, now)))
			ike_delete_child(c->ike, k->spi_in, now);
		c->kill[i] = c->kill[--c->nkill];
		did = true;
	}
	return did;
}

uint64_t srv_core_kill_deadline(const struct srv_core *c)
{
	uint64_t d = UINT64_MAX;
	for (size_t i = 0; i < c->nkill; i++)
		if (c->kill[i].deadline < d)
			d = c->kill[i].deadline;
	return d;
}
