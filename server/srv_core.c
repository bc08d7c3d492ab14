/* Event routing between the cores, the sockets and the TUN device. Every core call is followed
 * by srv_core_run(), which drains events until all queues are empty (an event of one core may
 * feed another) and rearms the single loop timer at the earliest deadline. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "natt.h"
#include "srv_local.h"
#include "srv_policy.h"
#include "srv_radius.h"

static struct srv_core *C(struct srv *s)
{
	return s->core;
}

/* ---- tables (srv_tab.c) ---- */

struct srv_child *srv_child_by_in(struct srv_core *c, uint32_t spi_in)
{
	return srv_tab_child_by_in(&c->tab, spi_in);
}

/* Something ran out (issue 17): the client that needed it is refused, the others are served,
 * and the log says what, once per RUNOUT_LOG_MS however many clients hit it. */
#define RUNOUT_LOG_MS 10000
void srv_core_short(struct srv *s, const char *what, const char *key)
{
	struct srv_core *c = C(s);
	uint64_t now = srv_now(s);
	const char *k = key ? key : "memory";
	for (size_t i = 0; i < RP_ARRAY_LEN(c->refused); i++)
		if (!c->refused[i].key || !strcmp(c->refused[i].key, k)) {
			c->refused[i].key = k; /* a string literal of the callers */
			c->refused[i].n++;
			break;
		}
	if (c->short_log_ms && now - c->short_log_ms < RUNOUT_LOG_MS)
		return;
	c->short_log_ms = now;
	rp_logf(&s->log, RP_LOG_ERR, "server", "out of %s: new clients are refused (%s%s)", what,
	        key ? "raise " : "", key ? key : "memory");
}

/* The DHCP answer's settings for the session at link with client address ip: [ppp] routes and
 * domain, unless the account's groups set their own (auth/netcfg.c: the union of the groups'
 * routes replaces [ppp] routes; the first group's domain replaces [ppp] domain). The store is
 * read once per session, at its first DHCPINFORM; a session the table does not know (an
 * allocation that failed) and accounts outside the store get the global settings. */
static const struct dhcp_conf *dhcp_conf_for(struct srv_core *c, const struct l2tp_link *link, uint32_t ip,
                                             struct dhcp_conf *dc, struct dhcp_route rt[AUTH_MAX_ROUTES])
{
	struct srv_sess *x = srv_tab_sess_by_ip(&c->tab, link, ip);
	if (!x || !x->account[0])
		return &c->p->dhcp;
	if (!x->net) {
		if (!(x->net = calloc(1, sizeof *x->net)))
			return &c->p->dhcp;
		if (c->db && auth_account_net(c->db, x->account, x->net))
			memset(x->net, 0, sizeof *x->net); /* a store error: the global settings */
	}
	*dc = c->p->dhcp;
	if (x->net->have_routes) {
		for (unsigned i = 0; i < x->net->nroutes; i++)
			rt[i] = (struct dhcp_route){x->net->routes[i].net, x->net->routes[i].len};
		dc->routes = rt;
		dc->nroutes = x->net->nroutes;
	}
	if (x->net->domain[0])
		dc->domain = x->net->domain;
	return dc;
}

/* A DHCPINFORM from a session is answered by us (server/dhcp.c), not forwarded: the answer is
 * queued, since this callback runs inside the L2TP core and must not call back into it. */
static bool dhcp_intercept(struct srv *s, const struct l2tp_link *link, const uint8_t *p, size_t n)
{
	struct srv_core *c = C(s);
	if (n < 24 || p[9] != 17 || rp_get_u16(p + (size_t)(p[0] & 15) * 4 + 2) != 67)
		return false; /* the common case costs these few compares */
	const char *why = "";
	struct srv_dhcp_answer *a = c->ndhcp < RP_ARRAY_LEN(c->dhcp) ? &c->dhcp[c->ndhcp] : NULL;
	uint8_t scratch[DHCP_MAX_ANSWER];
	struct dhcp_conf dc;
	struct dhcp_route rt[AUTH_MAX_ROUTES];
	const struct dhcp_conf *conf = dhcp_conf_for(c, link, rp_get_u32(p + 12), &dc, rt);
	switch (dhcp_inform(conf, p, n, a ? a->pkt : scratch, a ? &a->len : &(size_t){0}, &why)) {
	case DHCP_NOT_DHCP:
		return false;
	case DHCP_ANSWER:
		if (a) {
			a->to = rp_get_u32(p + 12);
			c->ndhcp++;
			c->dhcp_answered++;
			return true;
		}
		why = "too many DHCPINFORMs at once";
		/* fall through */
	case DHCP_DROP:
		break;
	}
	c->dhcp_dropped++;
	rp_log_drop(&s->log, srv_now(s), "dhcp", &link->peer, why, NULL);
	return true;
}

void srv_core_ip_deliver(void *ctx, const struct l2tp_link *link, const uint8_t *p, size_t n)
{
	struct srv *s = ctx;
	if (dhcp_intercept(s, link, p, n) || !srv_policy_packet(s, p, n, true))
		return;
	/* p is the decrypted datagram in our receive buffer (esp_decap works in place): ours to
	 * rewrite before it leaves */
	srv_tun_write(s, (uint8_t *)p, n);
}

/* A PPP login over a certificate-authenticated SA must be the account the certificate maps to
 * ([ppp] login_must_match_certificate): the IPsec identity and the user are the same person.
 * A link over IPsec without its SA record (an allocation that failed) is refused: we cannot tell
 * what the IPsec layer authenticated, so we must not assume nothing. */
int srv_core_ppp_authorize(void *ctx, const struct l2tp_link *link, const char *account, char *why,
                           size_t whylen)
{
	struct srv *s = ctx;
	if (!link->sa)
		return 0; /* plain L2TP: only with l2tp.allow_plain (debugging), no IPsec identity */
	const struct srv_child *ch = srv_child_by_in(C(s), (uint32_t)(link->sa >> 32));
	if (!ch) {
		snprintf(why, whylen, "no record of the IPsec SA this login arrived over");
		return -1;
	}
	if (!ch->account[0] || !s->conf->login_must_match_certificate || strcmp(ch->account, account) == 0)
		return 0;
	snprintf(why, whylen,
	         "the IPsec certificate maps to account \"%s\" (ppp.login_must_match_certificate)",
	         ch->account);
	return -1;
}

/* The outer address of an IPsec link (l2tp_conf.peer_of): failed logins count per (account,
 * address), so a guesser gains nothing from a new IKE SA. */
int srv_core_peer_of(void *ctx, const struct l2tp_link *link, struct rp_addr *outer)
{
	const struct srv_child *ch = srv_child_by_in(C(ctx), (uint32_t)(link->sa >> 32));
	if (!ch)
		return -ENOENT;
	*outer = ch->peer;
	outer->port = 0;
	return 0;
}

/* ---- PPP logins (the L2TP core's AUTH_REQUEST) ---- */

/* Answered from the local account store at once: the same checks as before the seam existed
 * (password, account enabled, methods, rights; then the core's certificate binding and lease). */
void srv_core_auth_request(struct srv *s, const struct l2tp_ev_auth *q, uint64_t now)
{
	struct srv_core *c = C(s);
	/* With RADIUS: the store first (RADIUS for names it does not know), second (only when no
	 * server answers, srv_radius.c) or never ([radius] local_store). */
	if (srv_radius_auth_enabled(s)) {
		struct l2tp_auth_ans a;
		char why[160];
		/* Over a certificate-authenticated SA the login must be the certificate's account: a
		 * different name is refused here, before any Access-Request, so what RADIUS is asked
		 * about is always the account the certificate maps to (and no credentials of a login
		 * we would refuse anyway leave the server). */
		if (q->link.sa && srv_core_ppp_authorize(s, &q->link, q->user, why, sizeof why)) {
			memset(&a, 0, sizeof a);
			a.result = AUTH_FAIL_NOT_ALLOWED;
			memcpy(a.account, q->user,
			       q->user_len < sizeof a.account ? q->user_len : sizeof a.account - 1);
			snprintf(a.detail, sizeof a.detail, "(%.150s)", why);
			l2tp_auth_answer(c->l2tp, &q->link, q->id, &a, now);
			return;
		}
		if (s->conf->radius_local_store == CONF_LOCAL_FIRST &&
		    (l2tp_auth_store_verdict(c->db, q, &a), a.result != AUTH_FAIL_UNKNOWN_USER)) {
			l2tp_auth_answer(c->l2tp, &q->link, q->id, &a, now);
			rp_wipe(&a, sizeof a);
			return;
		}
		if (srv_radius_auth(s, q, now) == 0)
			return;
		rp_logf(&s->log, RP_LOG_WARN, "radius", "too many requests in flight: login refused");
		memset(&a, 0, sizeof a);
		a.result = AUTH_FAIL_INTERNAL;
		snprintf(a.detail, sizeof a.detail, "RADIUS busy");
		l2tp_auth_answer(c->l2tp, &q->link, q->id, &a, now);
		return;
	}
	l2tp_auth_from_store(c->l2tp, c->db, q, now, NULL);
}

/* ---- IKE events ---- */

/* ESP keys go to the configured file in Wireshark's esp_sa format; IKEv1 keys to FILE.ikev1 in
 * its ikev1_decryption_table format (two UATs, two files). Event payloads are not necessarily
 * NUL-terminated. */
static void keylog(struct srv *s, const struct rp_ev *ev, bool ike)
{
	char line[512], path[sizeof s->conf->keylog + 8];
	if (!s->conf->keylog[0] || ev->len >= sizeof line)
		return;
	memcpy(line, ev->data, ev->len);
	line[ev->len] = 0;
	line[strcspn(line, "\n")] = 0;
	snprintf(path, sizeof path, "%s%s", s->conf->keylog, ike ? ".ikev1" : "");
	if (esp_keylog_append(path, line))
		rp_logf(&s->log, RP_LOG_WARN, "server", "cannot write key log %s", path);
	rp_wipe(line, sizeof line);
}

void srv_core_sa_install(struct srv *s, const struct ike_ev_sa *e, uint64_t now)
{
	struct srv_core *c = C(s);
	struct esp_sa_params out = {0}, in = {0};
	out.dir = ESP_DIR_OUT;
	out.spi = e->spi_out;
	/* the IKE transform IDs are esp's (esp.h); AES-GCM's key carries its salt (RFC 4106 §8.1) */
	out.encr = (enum esp_encr)e->esp_transform;
	out.encr_keybits = e->esp_transform == IKE_ESP_3DES ? 192 : e->enc_key_bits;
	out.auth = (enum esp_auth)e->auth_alg;
	out.local = e->local;
	out.peer = e->peer;
	out.encap = e->udp_encap ? ESP_ENCAP_UDP : ESP_ENCAP_NONE;
	if (!e->udp_encap)
		out.local.port = out.peer.port = 0;
	if (e->udp_encap && !rp_addr_ipeq(&e->peer_inner, &e->peer))
		out.natoa_peer = e->peer_inner;
	if (e->udp_encap && !rp_addr_ipeq(&e->local_inner, &e->local))
		out.natoa_local = e->local_inner;
	out.inner_local_port = L2TP_PORT;
	out.inner_peer_port = e->peer_inner.port;
	out.hard_ms = (uint64_t)e->life_s * 1000u;
	out.hard_bytes = (uint64_t)e->life_kb * 1024u;
	in = out;
	in.dir = ESP_DIR_IN;
	in.spi = e->spi_in;
	in.replay_window = s->conf->replay_window;
	memcpy(out.enc_key, e->out.enc, e->out.enc_len);
	out.enc_key_len = e->out.enc_len;
	memcpy(out.auth_key, e->out.auth, e->out.auth_len);
	out.auth_key_len = e->out.auth_len;
	memcpy(in.enc_key, e->in.enc, e->in.enc_len);
	in.enc_key_len = e->in.enc_len;
	memcpy(in.auth_key, e->in.auth, e->in.auth_len);
	in.auth_key_len = e->in.auth_len;

	uint32_t out_id = 0, in_id = 0;
	/* the record first: an SA pair without one would be unaccounted for (show sas,
	 * ppp_authorize, deletion) */
	struct srv_child *ch = srv_tab_child_new(&c->tab, e->spi_in, e->icky, e->rcky);
	int rc = ch ? 0 : -ENOMEM;
	if (!rc)
		rc = esp_sa_add(c->sad, &out, now, &out_id);
	in.owner = out_id;
	if (!rc && (rc = esp_sa_add(c->sad, &in, now, &in_id)) != 0)
		esp_sa_del(c->sad, out_id);
	rp_wipe(&in, sizeof in);
	rp_wipe(&out, sizeof out);
	if (rc) {
		if (rc == -ENOSPC)
			srv_core_short(s, "IPsec SAs", "esp.max_sa");
		else if (rc == -ENOMEM)
			srv_core_short(s, "memory for IPsec SAs", NULL);
		rp_logf(&s->log, RP_LOG_ERR, "esp", "cannot install SA pair %08x/%08x: %d", e->spi_in,
		        e->spi_out, rc);
		if (ch)
			srv_tab_child_del(&c->tab, ch);
		ike_delete_child(c->ike, e->spi_in, now);
		return;
	}
	ch->spi_out = e->spi_out;
	ch->out_id = out_id;
	ch->local = e->local;
	ch->peer = e->peer;
	ch->peer_inner = e->peer_inner;
	ch->udp_encap = e->udp_encap;
	ch->local_natd = e->udp_encap && e->local_natd;
	ch->life_s = e->life_s;
	ch->transform = e->esp_transform;
	ch->auth = e->auth_alg;
	ch->keybits = e->enc_key_bits;
	snprintf(ch->peer_id, sizeof ch->peer_id, "%s", e->peer_id);
	snprintf(ch->account, sizeof ch->account, "%s", e->account);
	ch->since_ms = now;
	char a[RP_ADDR_STRLEN];
	rp_logf(&s->log, RP_LOG_INFO, "esp", "SA pair in %08x out %08x with %s (%s) installed", e->spi_in,
	        e->spi_out, rp_addr_str(&e->peer, a, sizeof a),
	        e->udp_encap ? "UDP-encapsulated" : "plain ESP");
}

static uint64_t link_sa(const struct srv_child *ch)
{
	return (uint64_t)ch->spi_in << 32 | ch->out_id;
}

static void sa_delete(struct srv *s, const struct ike_ev_sa *e, uint64_t now)
{
	struct srv_core *c = C(s);
	struct srv_child *ch = srv_child_by_in(c, e->spi_in);
	if (!ch)
		return;
	l2tp_link_gone(c->l2tp, link_sa(ch), now);
	esp_sa_del(c->sad, ch->spi_in);
	esp_sa_del(c->sad, ch->out_id);
	rp_logf(&s->log, RP_LOG_INFO, "esp", "SA pair in %08x out %08x deleted", ch->spi_in, ch->spi_out);
	srv_tab_child_del(&c->tab, ch);
}

static void ike_event(struct srv *s, struct rp_ev *ev, uint64_t now)
{
	char a[RP_ADDR_STRLEN];
	switch (ev->type) {
	case IKE_EV_SEND:
		srv_send_udp(s, ev->src.port == s->boot->natt_port ? SRV_NATT : SRV_IKE, &ev->src, &ev->dst,
		             ev->data, ev->len);
		break;
	case IKE_EV_SA_INSTALL:
		srv_core_sa_install(s, (const struct ike_ev_sa *)ev->data, now);
		break;
	case IKE_EV_SA_DELETE:
		sa_delete(s, (const struct ike_ev_sa *)ev->data, now);
		break;
	case IKE_EV_IKE_UP: {
		const struct ike_ev_ike *i = (const struct ike_ev_ike *)ev->data;
		rp_logf(&s->log, RP_LOG_INFO, "ike", "IKE SA with %s (%s) established%s",
		        rp_addr_str(&i->peer, a, sizeof a), i->peer_id,
		        i->peer_natd ? ", peer behind NAT" : "");
		break;
	}
	case IKE_EV_IKE_DOWN: {
		const struct ike_ev_ike *i = (const struct ike_ev_ike *)ev->data;
		rp_logf(&s->log, RP_LOG_INFO, "ike", "IKE SA with %s (%s) down: %s",
		        rp_addr_str(&i->peer, a, sizeof a), i->peer_id, i->reason);
		break;
	}
	case IKE_EV_KEYLOG:
		keylog(s, ev, true);
		break;
	}
}

/* ---- L2TP events ---- */

static void l2tp_event(struct srv *s, struct rp_ev *ev, uint64_t now)
{
	struct srv_core *c = C(s);
	char ip[INET_ADDRSTRLEN];
	if (ev->type == L2TP_EV_SEND || ev->type == L2TP_EV_IP) {
		const struct l2tp_ev_send *snd = (const struct l2tp_ev_send *)ev->data;
		if (ev->type == L2TP_EV_SEND) {
			srv_send_l2tp(s, &snd->link, snd->pkt, snd->len, now);
		} else if (srv_policy_packet(s, snd->pkt, snd->len, true)) {
			srv_tun_write(s, (uint8_t *)snd->pkt, snd->len);
			if (s->tun_vnet)
				srv_tunq_flush(s); /* the event's memory is gone after this call */
		}
		return;
	}
	if (ev->type == L2TP_EV_AUTH_REQUEST) {
		srv_core_auth_request(s, (const struct l2tp_ev_auth *)ev->data, now);
		return;
	}
	const struct l2tp_ev_session *se = (const struct l2tp_ev_session *)ev->data;
	uint32_t be = htonl(se->ip);
	inet_ntop(AF_INET, &be, ip, sizeof ip);
	if (ev->type == L2TP_EV_PPP_UP) {
		struct srv_sess *x = srv_tab_sess_new(&c->tab, &se->link, se->tid, se->sid);
		if (x) {
			x->ip = se->ip;
			snprintf(x->account, sizeof x->account, "%s", se->account);
			x->since_ms = now;
		}
		c->sessions_up++;
		srv_policy_session(s, se->ip, se->account, true);
		srv_radius_session_up(s, se, now);
		rp_logf(&s->log, RP_LOG_INFO, "ppp", "%s is up with %s (tunnel %u session %u)", se->account,
		        ip, se->tid, se->sid);
	} else if (ev->type == L2TP_EV_SESSION_DOWN) {
		struct srv_sess *x = srv_tab_sess_find(&c->tab, &se->link, se->tid, se->sid);
		if (x) {
			srv_tab_sess_del(&c->tab, x);
			c->sessions_down++;
			srv_policy_session(s, se->ip, se->account, false);
		}
		srv_radius_session_down(s, se, now);
		rp_logf(&s->log, RP_LOG_INFO, "ppp", "session %u/%u (%s, %s) down: %s", se->tid, se->sid,
		        se->account[0] ? se->account : "-", ip, se->text);
	} else if (ev->type == L2TP_EV_TUNNEL_DOWN) {
		rp_logf(&s->log, RP_LOG_INFO, "l2tp", "tunnel %u down: %s", se->tid, se->text);
	}
}

/* ---- ESP events ---- */

static void esp_event(struct srv *s, struct rp_ev *ev, uint64_t now)
{
	struct srv_core *c = C(s);
	if (ev->type == ESP_EV_KEYLOG) {
		keylog(s, ev, false);
		return;
	}
	const struct esp_ev_sa *e = (const struct esp_ev_sa *)ev->data;
	if (ev->type == ESP_EV_HARD_EXPIRE && e->dir == ESP_DIR_IN) {
		/* The client rekeys before this (Windows behind NAT must not be rekeyed by us): an SA
		 * that reaches its hard limit is deleted, and the client re-establishes. */
		ike_delete_child(c->ike, e->spi, now);
	}
}

bool srv_core_drain(struct srv *s, uint64_t now)
{
	struct srv_core *c = C(s);
	struct rp_ev *ev;
	bool any = false;
	while ((ev = ike_next_event(c->ike))) {
		ike_event(s, ev, now);
		rp_ev_free(ev);
		any = true;
	}
	while ((ev = esp_next_event(c->sad))) {
		esp_event(s, ev, now);
		rp_ev_free(ev);
		any = true;
	}
	while ((ev = l2tp_next_event(c->l2tp))) {
		l2tp_event(s, ev, now);
		rp_ev_free(ev);
		any = true;
	}
	return any;
}

/* After each packet: the events it caused (SENDs, SA installs, sessions up) are handled at once,
 * so the next packet of the same batch sees their effect (the client's first ESP packet right
 * behind the QM3 that installs its SA). Cheap when nothing is queued: a few pointer tests. */
void srv_core_events(struct srv *s, uint64_t now)
{
	struct srv_core *c = C(s);
	do {
		for (size_t i = 0; i < c->ndhcp; i++) /* answers queued by dhcp_intercept */
			l2tp_output_ip(c->l2tp, c->dhcp[i].to, c->dhcp[i].pkt, c->dhcp[i].len, now);
		c->ndhcp = 0;
		srv_ip6_flush(s, now);
		while (srv_core_drain(s, now))
			;
	} while (c->nkill && srv_core_kills_due(s, now));
}

/* Ticks the cores whose deadline is due, handles events, rearms the loop timer: once per batch of
 * packets (srv.c's check handler, after a loop iteration's I/O), on the timer and after
 * administrative calls, not once per packet. */
void srv_core_run(struct srv *s)
{
	struct srv_core *c = C(s);
	uint64_t now = srv_now(s);
	s->core_due = false;
	/* the log budget's "suppressed" line is due when its interval ends, not at the next line */
	rp_log_flush(&s->log);
	/* a core is ticked only when its deadline is due (each answers that in O(1)) */
	if (ike_next_deadline(c->ike) <= now)
		ike_tick(c->ike, now);
	if (esp_next_deadline(c->sad) <= now)
		esp_tick(c->sad, now);
	if (l2tp_next_deadline(c->l2tp) <= now)
		l2tp_tick(c->l2tp, now);
	srv_core_events(s, now);
	uint64_t d = ike_next_deadline(c->ike), e = esp_next_deadline(c->sad),
	         l = l2tp_next_deadline(c->l2tp), k = srv_core_kill_deadline(c);
	if (e < d)
		d = e;
	if (l < d)
		d = l;
	if (k < d)
		d = k;
	if (d == UINT64_MAX)
		uv_timer_stop(&s->core_timer);
	else
		uv_timer_start(&s->core_timer, srv_core_timer_cb, d > now ? d - now : 0, 0);
}

/* A packet went into a core: its events now, the ticks and the timer at the end of the batch. */
static void after_packet(struct srv *s, uint64_t now)
{
	srv_core_events(s, now);
	s->core_due = true;
}

/* ---- input ---- */

void srv_core_esp(struct srv *s, uint8_t *data, size_t len, const struct rp_addr *src,
                  const struct rp_addr *local)
{
	struct srv_core *c = C(s);
	struct rp_buf b;
	struct esp_rx rx;
	uint64_t now = srv_now(s);
	(void)local;
	rp_buf_view(&b, data, len, 0, len);
	if (esp_decap(c->sad, &b, src, now, &rx))
		return; /* counted and logged by esp */
	if (rx.first && ike_child_proven(c->ike, rx.spi, now) == 0)
		s->core_due = true; /* its IKE SA's timers moved: the timer is re-armed after the batch */
	if (rx.peer_moved) {
		/* RFC 3948 §2.2 NAT rebinding: adopt the new port for the outbound twin as well, only
		 * now that the packet authenticated (DESIGN.md). */
		esp_sa_set_peer(c->sad, (uint32_t)rx.owner, &rx.peer);
		struct srv_child *ch = srv_child_by_in(c, rx.sa_id);
		if (ch)
			ch->peer = rx.peer;
	}
	if (rx.next_header != 17 || rx.dport != L2TP_PORT)
		return;
	struct l2tp_link link = {.sa = (uint64_t)rx.sa_id << 32 | (uint32_t)rx.owner};
	link.peer = rx.peer;
	link.peer.port = rx.sport;
	l2tp_input(c->l2tp, &link, rx.payload, rx.payload_len, now);
	after_packet(s, now);
}

void srv_core_udp(struct srv *s, enum disp_proto cls, uint8_t *data, size_t len, const struct rp_addr *src,
                  const struct rp_addr *local)
{
	struct srv_core *c = C(s);
	uint64_t now = srv_now(s);
	struct rp_pkt pkt = {.data = data, .len = len, .src = *src, .dst = *local, .rx_ms = now};
	/* dispatch classified the datagram (disp_packet, natt_classify on 4500): not again here */
	char why[256];
	/* the IPsec policy's block and permit rules: no IKE at all for those peers (issue 13) */
	if (local->port == s->boot->ike_port || (local->port == s->boot->natt_port && cls == DP_IKE)) {
		enum srv_pol_peer d = srv_policy_peer(s, src, true, why, sizeof why);
		if (d == SRV_POL_BLOCK || d == SRV_POL_PERMIT) {
			srv_policy_count_peer(s, SRV_POL_BLOCK);
			char r[300];
			snprintf(r, sizeof r, "IKE refused by %s", why);
			rp_log_drop(&s->log, now, "policy", src, r, NULL);
			return;
		}
	}
	if (local->port == s->boot->ike_port) {
		ike_input(c->ike, &pkt, now);
	} else if (local->port == s->boot->natt_port) {
		switch (cls) {
		case DP_IKE: /* behind the 4-byte non-ESP marker (RFC 3948 §2.2), natt_classify's skip */
			pkt.data += 4;
			pkt.len -= 4;
			ike_input(c->ike, &pkt, now);
			break;
		case DP_ESP_UDP:
			srv_core_esp(s, data, len, src, local);
			return;
		default:
			return; /* keepalives need no answer; garbage was counted by dispatch */
		}
	} else if (local->port == s->boot->l2tp_port) {
		/* a control message (T bit, RFC 2661 §3.1) may set up a tunnel: a changed store first */
		bool ctrl = len && (data[0] & 0x80);
		enum srv_pol_peer d = srv_policy_peer(s, src, ctrl, why, sizeof why);
		if (d == SRV_POL_BLOCK) {
			char r[300];
			snprintf(r, sizeof r, "plain L2TP refused by %s", why);
			rp_log_drop(&s->log, now, "policy", src, r, NULL);
			return;
		}
		if (d == SRV_POL_PERMIT)
			srv_policy_count_peer(s, SRV_POL_PERMIT);
		else if (!s->conf->allow_plain_l2tp) {
			rp_log_drop(&s->log, now, "l2tp", src,
			            "plain L2TP outside IPsec refused (l2tp.allow_plain = no)", NULL);
			return;
		}
		struct l2tp_link link = {.sa = 0, .peer = *src};
		l2tp_input(c->l2tp, &link, data, len, now);
	}
	after_packet(s, now);
}

void srv_core_tun(struct srv *s, struct rp_buf *b)
{
	uint8_t *pkt = rp_buf_data(b);
	size_t len = b->len;
	uint64_t now = srv_now(s);
	if (len < 20)
		return;
	if (pkt[0] >> 4 == 6)
		srv_ip6_tun(s, pkt, len);
	else if (pkt[0] >> 4 == 4) {
		if (!srv_policy_packet(s, pkt, len, false))
			return;
		l2tp_output_ip_buf(C(s)->l2tp, rp_get_u32(pkt + 16), b, now); /* in place, no copy */
	} else {
		return;
	}
	after_packet(s, now);
}

/* ---- life cycle ---- */

static int pool_apply(struct auth_pool *pool, const struct conf *cf)
{
	uint32_t r[CONF_MAX_ADDRS][2];
	for (unsigned i = 0; i < cf->n_pool; i++) {
		r[i][0] = rp_get_u32(cf->pool[i].first.ip);
		r[i][1] = rp_get_u32(cf->pool[i].last.ip);
	}
	return auth_pool_set_ranges(pool, (const uint32_t(*)[2])r, cf->n_pool);
}

int srv_core_init(struct srv *s, char *err, size_t errlen)
{
	const struct conf *cf = s->conf;
	struct srv_core *c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->core = c;
	rp_rng_gnutls(&c->rng_nonce, 0);
	rp_rng_gnutls(&c->rng_random, 1);
	rp_rng_gnutls(&c->rng_key, 2);

	struct esp_conf ec = {.replay_window = cf->replay_window, .keylog = cf->keylog[0] != 0};
	c->sad = esp_sad_new(&ec, &c->rng_nonce, &s->log);
	if (c->sad)
		esp_sad_set_max(c->sad, cf->esp_max_sa);
	if (srv_tab_init(&c->tab)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}

	/* The state directory holds NT hashes (password equivalents): created 0700. */
	char dir[sizeof cf->state_dir];
	snprintf(dir, sizeof dir, "%s", cf->state_dir);
	for (char *p = dir + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			mkdir(dir, 0755);
			*p = '/';
		}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "cannot create state directory %s: %s", dir, strerror(errno));
		return -1;
	}
	c->db = auth_db_open(cf->state_dir, err, errlen);
	if (!c->db)
		return -1;
	c->pool = auth_pool_new();
	if (!c->pool || pool_apply(c->pool, cf)) {
		snprintf(err, errlen, "cannot set up the address pool");
		return -1;
	}
	if (srv_policy_init(s, err, errlen))
		return -1;
	c->p = srv_params_new(s, s->conf, err, errlen);
	if (!c->p)
		return -1;
	/* IKE draws DH private values too: the key-level generator */
	c->ike = ike_new(&c->p->ike, &c->rng_key, &s->log);
	if (!c->ike) {
		snprintf(err, errlen, "cannot start IKE%s",
		         cf->certificate[0] ? " (is the private key RSA and usable?)" : "");
		return -1;
	}
	c->ra = c->p->ra;
	c->l2tp = l2tp_new(&c->p->l2tp, &c->rng_random, srv_now(s));
	if (!c->sad || !c->l2tp) {
		snprintf(err, errlen, "cannot create the protocol cores (out of memory?)");
		return -1;
	}
	if (srv_radius_init(s, err, errlen))
		return -1;
	return 0;
}

int srv_core_reconf(struct srv *s, struct conf *cf, char *err, size_t errlen)
{
	struct srv_core *c = C(s);
	struct srv_params *np = srv_params_new(s, cf, err, errlen);
	if (!np)
		return -1;
	if (pool_apply(c->pool, cf)) {
		snprintf(err, errlen, "the new address pool cannot be set up (overlapping ranges?)");
		srv_params_free(np);
		return -1;
	}
	if (ike_reconf(c->ike, &np->ike)) {
		snprintf(err, errlen,
		         "IKE refused the new configuration (is the private key RSA and usable?)");
		pool_apply(c->pool, c->p->cf);
		srv_params_free(np);
		return -1;
	}
	l2tp_reconf(c->l2tp, &np->l2tp);
	srv_radius_reconf(s, cf);
	esp_sad_set_keylog(c->sad, cf->keylog[0] != 0);
	esp_sad_set_max(c->sad, cf->esp_max_sa);
	srv_params_free(c->p);
	c->p = np;
	c->ra = np->ra;
	return 0;
}

size_t srv_core_close_sessions(struct srv *s)
{
	struct srv_core *c = C(s);
	uint64_t now = srv_now(s);
	if (!c || !c->l2tp)
		return 0;
	for (struct srv_sess *se = c->tab.sessions; se; se = se->next)
		l2tp_close_session(c->l2tp, &se->link, se->tid, se->sid, now);
	srv_core_run(s);
	return c->tab.nsess;
}

void srv_core_delete_sas(struct srv *s)
{
	struct srv_core *c = C(s);
	uint64_t now = srv_now(s);
	if (!c || !c->ike)
		return;
	l2tp_stop_all(c->l2tp, now); /* StopCCN while the SAs still carry it */
	srv_core_run(s);
	ike_delete_all(c->ike, now); /* DELETE for every IPsec SA and IKE SA */
	srv_core_run(s);
}

/* RFC 3948 §2.3: the side behind a NAT keeps its mapping open with one-byte 0xFF datagrams.
 * Clients behind NAT send their own; these are for SA pairs where we are the one behind NAT. */
void srv_core_keepalives(struct srv *s)
{
	struct srv_core *c = C(s);
	static const uint8_t ka = 0xff;
	for (struct srv_child *ch = c ? c->tab.children : NULL; ch; ch = ch->next)
		if (ch->local_natd)
			srv_send_udp(s, SRV_NATT, &ch->local, &ch->peer, &ka, 1);
}

size_t srv_core_sessions(struct srv *s)
{
	return C(s) ? C(s)->tab.nsess : 0;
}

void srv_core_free(struct srv *s)
{
	struct srv_core *c = C(s);
	if (!c)
		return;
	srv_radius_free(s);
	srv_policy_free(s);
	if (c->l2tp)
		l2tp_free(c->l2tp);
	if (c->ike)
		ike_free(c->ike);
	if (c->sad)
		esp_sad_free(c->sad);
	srv_params_free(c->p);
	auth_pool_free(c->pool);
	auth_db_close(c->db);
	srv_tab_free(&c->tab);
	free(c->kill);
	rp_wipe(c, sizeof *c);
	free(c);
	s->core = NULL;
}
