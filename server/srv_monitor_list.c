/* The monitor's paged lists (/api/v1/sas and /api/v1/sessions with offset, limit, sort, order,
 * filter): the page of a table is chosen from the server's tables first (one small row per SA
 * pair or session: a sort key, and a line of its text when there is a filter), and only that page
 * goes through jansson (srv_json_pair/srv_json_sess, the builders of `rampartctl --json show sas`).
 * Building the whole document for 10,000 pairs takes ~0.4 s of the loop's time; a page does not
 * grow with the number of pairs beyond a sort of small keys. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srv_json.h"
#include "srv_local.h"
#include "srv_monitor.h"

/* what a table can be sorted by (the page's column headings map onto these) */
static const char *const sa_fields[] = {
    "peer",          "peer_id",           "spi_in",    "spi_out", "transform",
    "encapsulation", "bytes_in",          "bytes_out", "packets", "lifetime_left",
    "account",       "tunnel_ip",         "l2tp",      "age",     "ike_auth",
    "proposal",      "ike_lifetime_left", "nat",       "cookies",
};
static const char *const sess_fields[] = {"account", "tunnel_ip", "transport", "l2tp", "age", "up_since"};

struct row {
	const void *p;
	size_t idx; /* table order: ties keep it, so a page is stable between refreshes */
	uint64_t n; /* K_NUM */
	char k[48]; /* K_STR: lower-cased, or a big-endian binary address; zero-padded */
};

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	int c = memcmp(x->k, y->k, sizeof x->k);
	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int row_cmp_desc(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->n != y->n || memcmp(x->k, y->k, sizeof x->k))
		return -row_cmp(a, b);
	return x->idx < y->idx ? -1 : x->idx > y->idx; /* ties in table order either way */
}

static void key_str(struct row *r, const char *v)
{
	size_t i = 0;
	for (; v[i] && i < sizeof r->k; i++)
		r->k[i] = (char)tolower((unsigned char)v[i]);
}

/* addresses order numerically (IPv4 before IPv6), then by port */
static void key_addr(struct row *r, const struct rp_addr *a)
{
	r->k[0] = (char)a->family;
	memcpy(r->k + 1, a->ip, a->family == 6 ? 16 : 4);
	r->k[17] = (char)(a->port >> 8);
	r->k[18] = (char)a->port;
}

static bool has(const char *hay, const char *needle)
{
	return strcasestr(hay, needle) != NULL;
}

static const char *ip4(uint32_t ip, char *b)
{
	uint32_t be = htonl(ip);
	return inet_ntop(AF_INET, &be, b, INET_ADDRSTRLEN);
}

static const char *ep(const struct rp_addr *a, char *b, size_t n)
{
	char ip[RP_ADDR_STRLEN];
	snprintf(b, n, a->family == 6 ? "[%s]:%u" : "%s:%u", rp_addr_ipstr(a, ip, sizeof ip), a->port);
	return b;
}

static int field_of(const char *const *f, size_t nf, const struct srv_mon_query *q)
{
	if (!q->sort[0])
		return -1;
	for (size_t i = 0; i < nf; i++)
		if (strcmp(f[i], q->sort) == 0)
			return (int)i;
	return -2;
}

/* The SA pair's sort key for field f (a name of sa_fields). */
static void sa_key(struct srv *s, uint64_t now, const struct srv_child *ch, const char *f, struct row *r)
{
	struct srv_core *c = s->core;
	const struct srv_sess *se = ch->sess;
	struct esp_stats in = {0}, out = {0};
	struct ike_sa_info ii;
	char b[64];
	if (!strcmp(f, "peer")) {
		key_addr(r, &ch->peer);
	} else if (!strcmp(f, "peer_id")) {
		key_str(r, ch->peer_id);
	} else if (!strcmp(f, "spi_in")) {
		r->n = ch->spi_in;
	} else if (!strcmp(f, "spi_out")) {
		r->n = ch->spi_out;
	} else if (!strcmp(f, "transform")) {
		srv_json_transform(ch, b, sizeof b);
		key_str(r, b);
	} else if (!strcmp(f, "encapsulation")) {
		r->n = ch->udp_encap;
	} else if (!strcmp(f, "bytes_in") || !strcmp(f, "packets")) {
		esp_sa_stats(c->sad, ch->spi_in, &in);
		esp_sa_stats(c->sad, ch->out_id, &out);
		r->n = f[0] == 'b' ? in.bytes : in.packets + out.packets;
	} else if (!strcmp(f, "bytes_out")) {
		esp_sa_stats(c->sad, ch->out_id, &out);
		r->n = out.bytes;
	} else if (!strcmp(f, "lifetime_left")) {
		r->n = ch->since_ms + (uint64_t)ch->life_s * 1000u;
	} else if (!strcmp(f, "account")) {
		key_str(r, se ? se->account : ch->account);
	} else if (!strcmp(f, "tunnel_ip")) {
		r->n = se ? se->ip : 0;
	} else if (!strcmp(f, "l2tp")) {
		r->n = se ? (uint64_t)se->tid << 16 | se->sid : 0;
	} else if (!strcmp(f, "age")) {
		r->n = now - ch->since_ms;
	} else if (!strcmp(f, "nat")) {
		r->n = (uint64_t)ch->udp_encap << 1 | ch->local_natd;
	} else if (!strcmp(f, "cookies")) {
		memcpy(r->k, ch->icky, 8);
		memcpy(r->k + 8, ch->rcky, 8);
	} else if (ike_sa_get_info(c->ike, ch->icky, ch->rcky, &ii) == 0) { /* the IKE SA's */
		if (!strcmp(f, "ike_auth"))
			key_str(r, ii.rsa_sig ? "certificate" : "psk");
		else if (!strcmp(f, "proposal"))
			key_str(r, ii.proposal);
		else
			r->n = ii.expire_ms > now ? ii.expire_ms - now : 0;
	}
}

/* What the filter text is looked for in: what the page shows of the pair. */
static const char *hex(const uint8_t *p, size_t n, char *b)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		b[2 * i] = d[p[i] >> 4];
		b[2 * i + 1] = d[p[i] & 15];
	}
	b[2 * n] = 0;
	return b;
}

/* What the filter text is looked for in: what the page shows of the pair, field by field (a
 * filter does not span two), the cheap ones first: 10,000 pairs are looked through per request. */
static bool sa_match(struct srv *s, const struct srv_child *ch, const char *q)
{
	const struct srv_sess *se = ch->sess;
	char b[64];
	uint8_t spi[4];
	if (has(ep(&ch->peer, b, sizeof b), q) || has(ch->peer_id, q) || has(ch->account, q))
		return true;
	for (int k = 0; k < 2; k++) {
		uint32_t v = k ? ch->spi_out : ch->spi_in;
		spi[0] = (uint8_t)(v >> 24), spi[1] = (uint8_t)(v >> 16), spi[2] = (uint8_t)(v >> 8);
		spi[3] = (uint8_t)v;
		if (has(hex(spi, 4, b), q))
			return true;
	}
	if (has(hex(ch->icky, 8, b), q) || has(ch->udp_encap ? "udp" : "none", q))
		return true;
	srv_json_transform(ch, b, sizeof b);
	if (has(b, q))
		return true;
	if (se) {
		snprintf(b, sizeof b, "%u/%u", se->tid, se->sid);
		if (has(se->account, q) || has(ip4(se->ip, b + 16), q) || has(b, q))
			return true;
	}
	struct ike_sa_info ii;
	if (ike_sa_get_info(s->core->ike, ch->icky, ch->rcky, &ii))
		return has("deleted", q);
	return has(ii.proposal, q) || has(ii.rsa_sig ? "certificate" : "psk", q);
}

static void sess_key(uint64_t now, const struct srv_sess *se, const char *f, struct row *r)
{
	if (!strcmp(f, "account"))
		key_str(r, se->account);
	else if (!strcmp(f, "tunnel_ip"))
		r->n = se->ip;
	else if (!strcmp(f, "transport"))
		key_addr(r, se->child ? &se->child->peer : &(struct rp_addr){0}); /* plain L2TP first */
	else if (!strcmp(f, "l2tp"))
		r->n = (uint64_t)se->tid << 16 | se->sid;
	else if (!strcmp(f, "up_since"))
		r->n = se->since_ms;
	else
		r->n = now - se->since_ms;
}

static bool sess_match(const struct srv_sess *se, const char *q)
{
	char line[256], a[64], ip[INET_ADDRSTRLEN];
	snprintf(line, sizeof line, "%s\x1f%s\x1f%s%s\x1f%u/%u", se->account, ip4(se->ip, ip),
	         se->child ? "IPsec " : "plain L2TP", se->child ? ep(&se->child->peer, a, sizeof a) : "",
	         se->tid, se->sid);
	return has(line, q);
}

/* Sorts rows[0..n) when asked and appends rows[offset..offset+limit) built by mk to an array. */
static json_t *page(struct row *rows, size_t n, const struct srv_mon_query *q, bool sorted,
                    json_t *(*mk)(void *ctx, const void *p), void *ctx)
{
	if (sorted)
		qsort(rows, n, sizeof *rows, q->desc ? row_cmp_desc : row_cmp);
	else if (q->desc) /* no field: table order (oldest first), or newest first */
		for (size_t i = 0; i < n / 2; i++) {
			struct row t = rows[i];
			rows[i] = rows[n - 1 - i];
			rows[n - 1 - i] = t;
		}
	json_t *a = json_array();
	for (size_t i = q->offset; a && i < n && i < q->offset + q->limit; i++)
		json_array_append_new(a, mk(ctx, rows[i].p));
	return a;
}

struct sa_ctx {
	struct srv *s;
	uint64_t now;
};

static json_t *mk_pair(void *ctx, const void *p)
{
	struct sa_ctx *c = ctx;
	return srv_json_pair(c->s, p, c->now);
}

static json_t *mk_sess(void *ctx, const void *p)
{
	struct sa_ctx *c = ctx;
	const struct srv_sess *se = p;
	json_t *o = srv_json_sess(c->s, se);
	const struct srv_child *ch = se->child;
	if (!ch) {
		json_object_set_new(o, "transport", json_null());
		return o;
	}
	struct esp_stats in = {0}, out = {0};
	esp_sa_stats(c->s->core->sad, ch->spi_in, &in);
	esp_sa_stats(c->s->core->sad, ch->out_id, &out);
	char spi[9];
	snprintf(spi, sizeof spi, "%08x", ch->spi_in);
	/* the pair's byte counters: the page's per-session throughput, also off the SA page */
	json_object_set_new(o, "transport",
	                    json_pack("{s:o, s:b, s:s, s:I}", "peer", srv_json_addr(&ch->peer), "nat",
	                              ch->udp_encap, "spi_in", spi, "bytes",
	                              (json_int_t)(in.bytes + out.bytes)));
	return o;
}

static json_t *doc(struct srv *s, const struct srv_mon_query *q, size_t matched, const char *key,
                   json_t *list)
{
	struct srv_core *c = s->core;
	if (!list)
		return NULL;
	return json_pack("{s:I, s:I, s:i, s:I, s:I, s:I, s:o}", "ipsec_sa_pairs", (json_int_t)c->tab.nchild,
	                 "ppp_sessions", (json_int_t)c->tab.nsess, "addresses_leased",
	                 auth_pool_in_use(c->pool), "matched", (json_int_t)matched, "offset",
	                 (json_int_t)q->offset, "limit", (json_int_t)q->limit, key, list);
}

json_t *srv_monitor_sas(struct srv *s, const struct srv_mon_query *q, int *err)
{
	struct srv_core *c = s->core;
	int f = field_of(sa_fields, sizeof sa_fields / sizeof *sa_fields, q);
	*err = f == -2 ? -EINVAL : 0;
	if (f == -2)
		return NULL;
	struct sa_ctx ctx = {s, srv_now(s)};
	struct row *rows = calloc(c->tab.nchild + 1, sizeof *rows);
	if (!rows) {
		*err = -ENOMEM;
		return NULL;
	}
	size_t n = 0, i = 0;
	for (const struct srv_child *ch = c->tab.children; ch; ch = ch->next, i++) {
		if (q->filter[0] && !sa_match(s, ch, q->filter))
			continue;
		rows[n] = (struct row){.p = ch, .idx = i};
		if (f >= 0)
			sa_key(s, ctx.now, ch, sa_fields[f], &rows[n]);
		n++;
	}
	json_t *d = doc(s, q, n, "sas", page(rows, n, q, f >= 0, mk_pair, &ctx));
	free(rows);
	*err = d ? 0 : -ENOMEM;
	return d;
}

json_t *srv_monitor_sessions(struct srv *s, const struct srv_mon_query *q, int *err)
{
	struct srv_core *c = s->core;
	int f = field_of(sess_fields, sizeof sess_fields / sizeof *sess_fields, q);
	*err = f == -2 ? -EINVAL : 0;
	if (f == -2)
		return NULL;
	struct sa_ctx ctx = {s, srv_now(s)};
	struct row *rows = calloc(c->tab.nsess + 1, sizeof *rows);
	if (!rows) {
		*err = -ENOMEM;
		return NULL;
	}
	size_t n = 0, i = 0;
	for (const struct srv_sess *se = c->tab.sessions; se; se = se->next, i++) {
		if (q->filter[0] && !sess_match(se, q->filter))
			continue;
		rows[n] = (struct row){.p = se, .idx = i};
		if (f >= 0)
			sess_key(ctx.now, se, sess_fields[f], &rows[n]);
		n++;
	}
	json_t *d = doc(s, q, n, "sessions", page(rows, n, q, f >= 0, mk_sess, &ctx));
	free(rows);
	*err = d ? 0 : -ENOMEM;
	return d;
}
