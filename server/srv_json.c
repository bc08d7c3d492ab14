/* The JSON documents of `rampartctl --json show sas|stats|config` (and, later, the monitor):
 * built with jansson from the same tables the text commands print. Field names are documented
 * in docs/operating.md. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "srv_json.h"
#include "srv_local.h"

json_t *srv_json_addr(const struct rp_addr *a)
{
	char ip[RP_ADDR_STRLEN];
	return json_pack("{s:s, s:i}", "address", rp_addr_ipstr(a, ip, sizeof ip), "port", a->port);
}

static json_t *ipv4_json(uint32_t ip)
{
	char s[INET_ADDRSTRLEN];
	uint32_t be = htonl(ip);
	return json_string(inet_ntop(AF_INET, &be, s, sizeof s));
}

static json_t *hex_json(const uint8_t *p, size_t n)
{
	char s[33];
	for (size_t i = 0; i < n && i < 16; i++)
		snprintf(s + 2 * i, 3, "%02x", p[i]);
	return json_stringn(s, 2 * (n < 16 ? n : 16));
}

static json_t *spi_json(uint32_t spi)
{
	char s[9];
	snprintf(s, sizeof s, "%08x", spi);
	return json_string(s);
}

/* the wall-clock time an event of the loop's clock happened at, as RFC 3339 UTC */
static json_t *since_json(struct srv *s, uint64_t since_ms)
{
	time_t t = time(NULL) - (time_t)((srv_now(s) - since_ms) / 1000u);
	struct tm tm;
	char buf[32];
	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

static int64_t left_s(uint64_t now, uint64_t end_ms)
{
	return end_ms > now ? (int64_t)((end_ms - now) / 1000u) : 0;
}

json_t *srv_json_sess(struct srv *s, const struct srv_sess *se)
{
	return json_pack("{s:s, s:o, s:{s:i, s:i}, s:o, s:I}", "account", se->account, "tunnel_ip",
	                 ipv4_json(se->ip), "l2tp", "tunnel", se->tid, "session", se->sid, "up_since",
	                 since_json(s, se->since_ms), "age_s",
	                 (json_int_t)((srv_now(s) - se->since_ms) / 1000u));
}

json_t *srv_json_pair(struct srv *s, const struct srv_child *ch, uint64_t now)
{
	struct srv_core *c = s->core;
	const struct srv_sess *se = ch->sess; /* its first (oldest) session */
	struct esp_stats in = {0}, out = {0};
	esp_sa_stats(c->sad, ch->spi_in, &in);
	esp_sa_stats(c->sad, ch->out_id, &out);
	struct ike_sa_info ii;
	json_t *ike = json_pack("{s:o, s:o}", "initiator_cookie", hex_json(ch->icky, 8), "responder_cookie",
	                        hex_json(ch->rcky, 8));
	if (ike_sa_get_info(c->ike, ch->icky, ch->rcky, &ii) == 0) {
		json_object_set_new(ike, "proposal", json_string(ii.proposal));
		json_object_set_new(ike, "auth", json_string(ii.rsa_sig ? "certificate" : "psk"));
		json_object_set_new(ike, "lifetime_s", json_integer(ii.life_s));
		json_object_set_new(ike, "lifetime_left_s", json_integer(left_s(now, ii.expire_ms)));
		json_object_set_new(ike, "established", json_true());
	} else {
		json_object_set_new(ike, "established", json_false()); /* phase 1 expired or deleted */
	}
	char tf[64];
	srv_json_transform(ch, tf, sizeof tf);
	json_t *esp =
	    json_pack("{s:o, s:o, s:s, s:s, s:i, s:I, s:{s:I, s:I}, s:{s:I, s:I}}", "spi_in",
	              spi_json(ch->spi_in), "spi_out", spi_json(ch->spi_out), "transform", tf,
	              "encapsulation", ch->udp_encap ? "udp" : "none", "lifetime_s", ch->life_s,
	              "lifetime_left_s", (json_int_t)left_s(now, ch->since_ms + (uint64_t)ch->life_s * 1000u),
	              "in", "packets", (json_int_t)in.packets, "bytes", (json_int_t)in.bytes, "out",
	              "packets", (json_int_t)out.packets, "bytes", (json_int_t)out.bytes);
	json_t *o = json_pack("{s:o, s:b, s:b, s:s, s:o, s:o, s:o, s:I}", "peer", srv_json_addr(&ch->peer),
	                      "nat", ch->udp_encap, "server_behind_nat", ch->local_natd, "peer_id",
	                      ch->peer_id, "ike", ike, "esp", esp, "up_since", since_json(s, ch->since_ms),
	                      "age_s", (json_int_t)((now - ch->since_ms) / 1000u));
	json_object_set_new(o, "certificate_account",
	                    ch->account[0] ? json_string(ch->account) : json_null());
	json_object_set_new(o, "session", se ? srv_json_sess(s, se) : json_null());
	return o;
}

void srv_json_transform(const struct srv_child *ch, char *buf, size_t n)
{
	snprintf(buf, n, "%s-%u/%s", srv_esp_name(ch->transform),
	         ch->transform == IKE_ESP_3DES ? 192 : ch->keybits, srv_auth_name(ch->auth));
}

json_t *srv_json_sas(struct srv *s)
{
	struct srv_core *c = s->core;
	uint64_t now = srv_now(s);
	json_t *list = json_array(), *plain = json_array();
	for (const struct srv_child *ch = c->tab.children; ch; ch = ch->next)
		json_array_append_new(list, srv_json_pair(s, ch, now));
	for (const struct srv_sess *se = c->tab.plain; se; se = se->lnext)
		json_array_append_new(plain, srv_json_sess(s, se));
	return json_pack("{s:I, s:I, s:i, s:o, s:o}", "ipsec_sa_pairs", (json_int_t)c->tab.nchild,
	                 "ppp_sessions", (json_int_t)c->tab.nsess, "addresses_leased",
	                 auth_pool_in_use(c->pool), "sas", list, "plain_l2tp", plain);
}

static json_t *esp_dir_json(const struct esp_stats *st)
{
	json_t *drops = json_object();
	for (int d = 0; d < ESP_DROP_MAX; d++)
		json_object_set_new(drops, esp_drop_name((enum esp_drop)d),
		                    json_integer((json_int_t)st->drops[d]));
	return json_pack("{s:I, s:I, s:o}", "packets", (json_int_t)st->packets, "bytes",
	                 (json_int_t)st->bytes, "drops", drops);
}

/* ike_stats' Main Mode durations: bounds, per-bucket counts (the last one above every bound), sum */
static json_t *mm_hist_json(const struct ike_stats *is)
{
	json_t *le = json_array(), *n = json_array();
	for (int b = 0; b < IKE_MM_HIST; b++) {
		if (b < IKE_MM_HIST - 1)
			json_array_append_new(le, json_integer(ike_mm_ms_le[b]));
		json_array_append_new(n, json_integer((json_int_t)is->mm_ms[b]));
	}
	return json_pack("{s:o, s:o, s:I}", "le", le, "counts", n, "sum", (json_int_t)is->mm_ms_sum);
}

json_t *srv_json_stats(struct srv *s)
{
	struct srv_core *c = s->core;
	const struct disp_stats *d = &s->disp.st;
	json_t *pk = json_object(), *reasons = json_object(), *nego = json_object(),
	       *ppp_auth = json_object();
	for (int p = 0; p < DP_COUNT; p++)
		json_object_set_new(pk, disp_proto_name((enum disp_proto)p),
		                    json_pack("{s:I, s:I, s:I}", "seen", (json_int_t)d->seen[p], "parsed",
		                              (json_int_t)d->parsed[p], "dropped",
		                              (json_int_t)d->dropped[p]));
	for (size_t i = 0; i < DISP_MAX_REASONS && d->reasons[i].reason; i++)
		json_object_set_new(reasons, d->reasons[i].reason,
		                    json_integer((json_int_t)d->reasons[i].count));
	struct ike_stats is;
	ike_get_stats(c->ike, &is);
	for (int r = 0; r < IKE_R_N; r++)
		json_object_set_new(nego, ike_result_name((enum ike_result)r),
		                    json_integer((json_int_t)is.result[r]));
	json_t *admc = json_object();
	for (int a = 0; a < IKE_A_N; a++)
		json_object_set_new(admc, ike_adm_name((enum ike_adm)a), json_integer((json_int_t)is.adm[a]));
	json_t *adm = json_pack("{s:I, s:I, s:o}", "halfopen", (json_int_t)is.halfopen, "dh_preferred",
	                        (json_int_t)is.dh_preferred, "counts", admc);
	struct l2tp_stats ls;
	l2tp_get_stats(c->l2tp, &ls);
	for (int r = 0; r < L2TP_AUTH_R_N; r++)
		json_object_set_new(ppp_auth, l2tp_auth_result_name(r), json_integer((json_int_t)ls.auth[r]));
	/* issue 12: what each limit refused, by the key that raises it */
	json_t *refused = json_object();
	for (int r = 0; r < L2TP_LIM_N; r++)
		json_object_set_new(refused, l2tp_limit_name(r), json_integer((json_int_t)ls.refused[r]));
	for (size_t i = 0; i < RP_ARRAY_LEN(c->refused) && c->refused[i].key; i++)
		json_object_set_new(refused, c->refused[i].key, json_integer((json_int_t)c->refused[i].n));
	json_t *doc = json_pack(
	    "{s:o, s:o, s:{s:o, s:I, s:I, s:o, s:o}, s:{s:o, s:o, s:I}, s:{s:i, s:i, s:I, s:I, s:I, s:I, "
	    "s:I, "
	    "s:I, s:I},"
	    " s:{s:o, s:I, s:I, s:I, s:i}, s:{s:I, s:I, s:I, s:I, s:I}, s:{s:I, s:I}, s:{s:I, s:I}}",
	    "packets", pk, "drops", reasons, "ike", "negotiations", nego, "ike_sas",
	    (json_int_t)ike_sa_count(c->ike), "ipsec_sa_pairs", (json_int_t)c->tab.nchild, "main_mode_ms",
	    mm_hist_json(&is), "admission", adm, "esp", "in", esp_dir_json(esp_sad_stats(c->sad, ESP_DIR_IN)),
	    "out", esp_dir_json(esp_sad_stats(c->sad, ESP_DIR_OUT)), "sad_entries",
	    (json_int_t)esp_sad_count(c->sad), "l2tp", "tunnels", ls.tunnels, "sessions", ls.sessions,
	    "control_in", (json_int_t)ls.rx_ctl, "control_out", (json_int_t)ls.tx_ctl, "data_in",
	    (json_int_t)ls.rx_data, "retransmissions", (json_int_t)ls.rexmits, "drops", (json_int_t)ls.drops,
	    "duplicates", (json_int_t)ls.dups, "mss_clamped", (json_int_t)ls.mss_clamped, "ppp",
	    "authentications", ppp_auth, "sessions_up", (json_int_t)c->tab.nsess, "sessions_up_total",
	    (json_int_t)c->sessions_up, "sessions_down_total", (json_int_t)c->sessions_down,
	    "addresses_leased", (int)auth_pool_in_use(c->pool), "udp_sent", "datagrams",
	    (json_int_t)s->tx_datagrams, "batches", (json_int_t)s->tx_batches, "gso_sends",
	    (json_int_t)s->tx_gso_sends, "in_place", (json_int_t)s->tx_inplace, "copied",
	    (json_int_t)s->tx_copied, "dhcp", "informs_answered", (json_int_t)c->dhcp_answered, "dropped",
	    (json_int_t)c->dhcp_dropped, "ipv6", "router_solicitations_answered", (json_int_t)c->ra_answered,
	    "link_scoped_dropped", (json_int_t)c->ip6_link_dropped);
	json_object_set_new(doc, "limits",
	                    json_pack("{s:o, s:i, s:I, s:I}", "refused", refused, "login_throttle_records",
	                              (int)ls.throttle_entries, "log_lines_over_budget",
	                              (json_int_t)s->log.budget_suppressed, "drop_lines_suppressed",
	                              (json_int_t)s->log.total_suppressed));
	return doc;
}

/* A list value as an array: numbers stay numbers. */
static json_t *value_json(enum conf_value_kind k, const char *v)
{
	switch (k) {
	case CONF_VALUE_NUMBER:
		return json_integer(strtoll(v, NULL, 10));
	case CONF_VALUE_BOOL:
		return json_boolean(strcmp(v, "yes") == 0);
	case CONF_VALUE_STRING:
		return json_string(v);
	default: {
		json_t *a = json_array();
		char buf[1024];
		snprintf(buf, sizeof buf, "%s", v);
		for (char *save = NULL, *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
			json_array_append_new(a, k == CONF_VALUE_NUMBERS ? json_integer(strtoll(w, NULL, 10))
			                                                 : json_string(w));
		return a;
	}
	}
}

json_t *srv_json_config(struct srv *s)
{
	json_t *root = json_object(), *pending = json_object();
	char v[1024];
	for (size_t i = 0; i < conf_key_count(); i++) {
		const char *sec = conf_key_section(i);
		json_t *o = json_object_get(root, sec);
		if (!o) {
			o = json_object();
			json_object_set_new(root, sec, o);
		}
		bool p = conf_key_needs_restart(i) && conf_key_differs(s->boot, s->conf, i);
		conf_key_format(p ? s->boot : s->conf, i, v, sizeof v);
		json_object_set_new(o, conf_key_name(i), value_json(conf_key_kind(i), v));
		if (p) {
			char name[96];
			conf_key_format(s->conf, i, v, sizeof v);
			snprintf(name, sizeof name, "%s.%s", sec, conf_key_name(i));
			json_object_set_new(pending, name, value_json(conf_key_kind(i), v));
		}
	}
	json_object_set_new(root, "pending_restart", pending);
	return root;
}
