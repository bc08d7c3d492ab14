/* The operator's ends of RADIUS (see srv_radius.h): the RFC 5176 Disconnect-Request listener, and
 * rampartctl's `radius test`, one PAP Access-Request whose answer goes back to a control
 * connection instead of a PPP session. The request table and its timers are srv_radius.c's. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srv_radius_int.h"

/* ---- rampartctl radius test ---- */

int srv_radius_test(struct srv *s, const char *user, const char *pw, struct srv_ctl_req *ctl, char *err,
                    size_t errlen)
{
	struct srv_radius *r = srad_of(s);
	size_t ul = strlen(user), pl = strlen(pw);
	uint8_t id, b[1024];
	if (!r || !r->nauth || !r->sock_open) {
		snprintf(err, errlen, "no RADIUS authentication server ([radius] auth_servers)");
		return -1;
	}
	if (!ul || ul > 253 || pl > 128) { /* RFC 2865 §5.1, §5.2 */
		snprintf(err, errlen, "user name 1-253 bytes, password up to 128");
		return -1;
	}
	struct rq *q = srad_rq_alloc(r, &id);
	if (!q) {
		snprintf(err, errlen, "too many RADIUS requests in flight");
		return -1;
	}
	rp_rng_fill(&s->core->rng_nonce, q->auth, 16);
	struct rad_wr w;
	rad_begin(&w, b, sizeof b, RAD_ACCESS_REQUEST, id, q->auth);
	rad_put(&w, RAD_USER_NAME, user, ul);
	rad_put_u32(&w, RAD_SERVICE_TYPE, 2);    /* Framed: what a PPP login asks, so the same policy */
	rad_put_u32(&w, RAD_FRAMED_PROTOCOL, 1); /* PPP */
	srad_put_common(r, &w);
	rad_put_password(&w, r->secret, r->sl, q->auth, (const uint8_t *)pw, pl);
	rad_put_msg_auth(&w);
	int n = rad_finish(&w, RAD_SIGN_ACCESS_REQUEST, r->secret, r->sl, NULL);
	q->pkt = n > 0 ? malloc((size_t)n) : NULL;
	if (!q->pkt) {
		rp_wipe(b, sizeof b);
		memset(q, 0, sizeof *q);
		snprintf(err, errlen, "cannot build the Access-Request");
		return -1;
	}
	memcpy(q->pkt, b, (size_t)n);
	rp_wipe(b, sizeof b);
	q->len = (size_t)n;
	q->kind = K_TEST;
	q->ctl = ctl;
	q->server = r->auth_cur % r->nauth;
	char esc[4 * 253 + 1];
	rp_logf(&s->log, RP_LOG_INFO, "radius", "radius test: Access-Request for \"%s\"",
	        rp_esc(user, ul, esc, sizeof esc));
	srad_rq_transmit(r, q, srv_now(s));
	return 0;
}

void srad_test_reply(struct srv_radius *r, struct rq *q, const uint8_t *p, size_t n,
                     const struct rp_addr *from)
{
	char line[600], t[RP_ADDR_STRLEN];
	(void)r;
	snprintf(line, sizeof line, "%s from %s", rad_code_name(p[0]), rp_addr_str(from, t, sizeof t));
	srv_ctl_line(q->ctl, line);
	size_t off = RAD_HDR, vn;
	uint8_t type;
	const uint8_t *v;
	while (!rad_next(p, n, &off, &type, &v, &vn)) {
		rad_attr_str(type, v, vn, line, sizeof line);
		srv_ctl_line(q->ctl, line);
	}
	srv_ctl_finish(q->ctl, p[0] == RAD_ACCESS_ACCEPT ? NULL : rad_code_name(p[0]));
	q->ctl = NULL;
}

void srad_test_give_up(struct srv_radius *r, struct rq *q)
{
	char e[64];
	(void)r;
	snprintf(e, sizeof e, "no RADIUS server answered");
	srv_ctl_finish(q->ctl, e);
	q->ctl = NULL;
}

void srv_radius_test_cancel(struct srv *s, struct srv_ctl_req *ctl)
{
	struct srv_radius *r = srad_of(s);
	for (unsigned i = 0; r && i < RQ_MAX; i++)
		if (r->rq[i].kind == K_TEST && r->rq[i].ctl == ctl)
			srad_rq_free(r, &r->rq[i]);
}

/* ---- RFC 5176 Disconnect-Request ---- */

static void dae_answer(struct srv_radius *r, const uint8_t *req, uint8_t code, uint32_t error_cause,
                       const struct sockaddr *to)
{
	uint8_t b[128];
	struct rad_wr w;
	rad_begin(&w, b, sizeof b, code, req[1], NULL);
	if (error_cause)
		rad_put_u32(&w, RAD_ERROR_CAUSE, error_cause);
	rad_put_msg_auth(&w);
	int n = rad_finish(&w, RAD_SIGN_RESPONSE, r->dae_secret, r->dsl, req + 4);
	if (n > 0) {
		uv_buf_t ub = uv_buf_init((char *)b, (unsigned)n);
		uv_udp_try_send(&r->dae, &ub, 1, to);
	}
}

/* Ends the sessions a Disconnect-Request names (User-Name, Framed-IP-Address or both), the way
 * `rampartctl disconnect` does: the client gets a CDN, then its SAs are deleted. */
static void on_dae(uv_udp_t *h, ssize_t n, const uv_buf_t *b, const struct sockaddr *sa, unsigned flags)
{
	struct srv_radius *r = h->data;
	struct srv *s = r->s;
	(void)flags;
	if (n <= 0 || !sa)
		return;
	const uint8_t *p = (const uint8_t *)b->base;
	struct rp_addr from;
	char t[RP_ADDR_STRLEN];
	srad_from_sa(sa, &from);
	int len = rad_validate(p, (size_t)n);
	if (len < 0 || !r->dsl || rad_check_request(p, (size_t)len, r->dae_secret, r->dsl)) {
		rp_log_drop(&s->log, srv_now(s), "radius", &from,
		            "Disconnect/CoA request that does not verify", NULL);
		return;
	}
	if (p[0] != RAD_DISCONNECT_REQUEST) {
		if (p[0] == RAD_COA_REQUEST)
			dae_answer(r, p, RAD_COA_NAK, RAD_EC_UNSUPPORTED_SERVICE, sa);
		return;
	}
	const uint8_t *v;
	size_t vn;
	char user[64] = "", sel[128], esc[4 * 64 + 1], err[256];
	uint32_t ip = 0;
	if (!rad_find(p, (size_t)len, 0, RAD_USER_NAME, &v, &vn))
		memcpy(user, v, vn < sizeof user ? vn : sizeof user - 1);
	rad_find_u32(p, (size_t)len, RAD_FRAMED_IP_ADDRESS, &ip);
	rp_esc(user, strlen(user), esc, sizeof esc);
	/* the matching sessions' addresses first: a disconnect may end a session (and change the
	 * table) at once */
	uint32_t ips[64];
	size_t nip = 0, hits = 0;
	for (const struct srv_sess *x = s->core->tab.sessions; x && nip < RP_ARRAY_LEN(ips); x = x->next) {
		if ((!user[0] && !ip) || (user[0] && strcmp(x->account, user) != 0) || (ip && x->ip != ip) ||
		    !x->ip)
			continue;
		ips[nip++] = x->ip;
	}
	for (size_t i = 0; i < nip; i++) {
		struct in_addr ia = {htonl(ips[i])};
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &ia, a, sizeof a);
		snprintf(sel, sizeof sel, "ip=%s", a);
		if (!srv_core_disconnect(s, sel, NULL, NULL, err, sizeof err))
			hits++;
	}
	rp_logf(&s->log, RP_LOG_NOTICE, "radius",
	        "Disconnect-Request from %s for \"%s\"%s%s: %zu session(s) ended",
	        rp_addr_str(&from, t, sizeof t), esc, ip ? " ip " : "",
	        ip ? inet_ntoa((struct in_addr){htonl(ip)}) : "", hits);
	if (hits)
		dae_answer(r, p, RAD_DISCONNECT_ACK, 0, sa);
	else
		dae_answer(r, p, RAD_DISCONNECT_NAK,
		           user[0] || ip ? RAD_EC_SESSION_NOT_FOUND : RAD_EC_MISSING_ATTRIBUTE, sa);
}

static void dae_open(struct srv_radius *r)
{
	struct srv *s = r->s;
	unsigned port = r->dae_port;
	struct sockaddr_in any = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	uv_udp_init(&s->loop, &r->dae);
	r->dae.data = r;
	r->dae_open = true;
	int rc = uv_udp_bind(&r->dae, (const struct sockaddr *)&any, UV_UDP_REUSEADDR);
	if (!rc)
		rc = uv_udp_recv_start(&r->dae, srad_rx_alloc, on_dae);
	if (rc) {
		rp_logf(&s->log, RP_LOG_ERR, "radius", "Disconnect-Request port %u: %s", port,
		        uv_strerror(rc));
		return;
	}
	rp_logf(&s->log, RP_LOG_NOTICE, "radius", "Disconnect-Request listener on UDP %u", port);
}

/* A port changed by a reload: the old handle must finish closing before the new one opens. */
static void dae_closed(uv_handle_t *h)
{
	struct srv_radius *r = h->data;
	r->dae_open = false;
	if (r->dae_port && !r->s->stopping)
		dae_open(r);
}

void srad_dae_apply(struct srv_radius *r, unsigned port)
{
	unsigned old = r->dae_port;
	r->dae_port = port;
	if (port == old || uv_is_closing((uv_handle_t *)&r->dae))
		return;
	if (r->dae_open)
		uv_close((uv_handle_t *)&r->dae, dae_closed); /* reopened there when port != 0 */
	else if (port)
		dae_open(r);
}
