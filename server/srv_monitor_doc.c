/* What the monitor serves beyond the documents of `rampartctl --json`: the Prometheus text format
 * (exposition format 0.0.4), computed from srv_json_stats/config only, so it reads exactly what
 * rampartctl prints and never the cores' tables. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srv_json.h"
#include "srv_local.h"
#include "srv_monitor.h"

struct out {
	char *p;
	size_t len, cap;
	bool oom;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	for (int tries = 0; tries < 2 && !o->oom; tries++) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(o->p ? o->p + o->len : NULL, o->p ? o->cap - o->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->oom = true;
			return;
		}
		if (o->p && o->len + (size_t)n < o->cap) {
			o->len += (size_t)n;
			return;
		}
		size_t cap = (o->cap ? o->cap * 2 : 8192) + (size_t)n;
		char *np = realloc(o->p, cap);
		if (!np) {
			o->oom = true;
			return;
		}
		o->p = np;
		o->cap = cap;
	}
}

/* A label value: \, " and newline escaped (names come from our own tables, but stay safe). */
static const char *lbl(const char *v, char *buf, size_t n)
{
	size_t j = 0;
	for (; *v && j + 3 < n; v++) {
		if (*v == '\\' || *v == '"' || *v == '\n') {
			buf[j++] = '\\';
			buf[j++] = *v == '\n' ? 'n' : *v;
		} else {
			buf[j++] = *v;
		}
	}
	buf[j] = 0;
	return buf;
}

static json_int_t num(json_t *o, const char *path)
{
	char key[64];
	snprintf(key, sizeof key, "%s", path);
	for (char *save = NULL, *k = strtok_r(key, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		o = json_object_get(o, k);
	return json_is_integer(o) ? json_integer_value(o) : 0;
}

static void head(struct out *o, const char *name, const char *type, const char *help)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void single(struct out *o, const char *name, const char *type, const char *help, json_int_t v)
{
	head(o, name, type, help);
	put(o, "%s %lld\n", name, (long long)v);
}

/* One sample per member of obj (name: number), the member's name as the label's value; extra is
 * a label already set (`direction="in",`) or "". */
static void by(struct out *o, const char *name, const char *label, json_t *obj, const char *extra)
{
	const char *k;
	json_t *v;
	char b[128];
	json_object_foreach(obj, k, v)
	{
		if (json_is_integer(v))
			put(o, "%s{%s%s=\"%s\"} %lld\n", name, extra, label, lbl(k, b, sizeof b),
			    (long long)json_integer_value(v));
	}
}

/* ike.main_mode_ms (per-bucket counts in ms) as a Prometheus histogram in seconds: cumulative
 * buckets, +Inf, _sum and _count. */
static void hist(struct out *o, json_t *h)
{
	const char *name = "rampart_ike_main_mode_duration_seconds";
	json_t *le = json_object_get(h, "le"), *n = json_object_get(h, "counts");
	head(o, name, "histogram", "Main Mode from MM1 received to MM6 sent (round trips and DH included).");
	long long cum = 0;
	for (size_t i = 0; i < json_array_size(n); i++) {
		cum += (long long)json_integer_value(json_array_get(n, i));
		if (i < json_array_size(le))
			put(o, "%s_bucket{le=\"%g\"} %lld\n", name,
			    (double)json_integer_value(json_array_get(le, i)) / 1000.0, cum);
		else
			put(o, "%s_bucket{le=\"+Inf\"} %lld\n", name, cum);
	}
	put(o, "%s_sum %.3f\n%s_count %lld\n", name,
	    (double)json_integer_value(json_object_get(h, "sum")) / 1000.0, name, cum);
}

/* The pool's size from [pool] range ("first-last" strings), for the free addresses. */
static json_int_t pool_size(json_t *conf)
{
	json_t *ranges = json_object_get(json_object_get(conf, "pool"), "range"), *r;
	size_t i;
	json_int_t n = 0;
	json_array_foreach(ranges, i, r)
	{
		unsigned a[4], b[4];
		if (json_is_string(r) && sscanf(json_string_value(r), "%u.%u.%u.%u-%u.%u.%u.%u", &a[0], &a[1],
		                                &a[2], &a[3], &b[0], &b[1], &b[2], &b[3]) == 8) {
			uint32_t x = a[0] << 24 | a[1] << 16 | a[2] << 8 | a[3];
			uint32_t y = b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
			n += y >= x ? (json_int_t)(y - x) + 1 : 0;
		}
	}
	return n;
}

char *srv_monitor_metrics(struct srv *s, size_t *len)
{
	/* not srv_json_sas: its list of every SA pair is not needed for a handful of figures */
	json_t *st = srv_json_stats(s), *conf = srv_json_config(s);
	struct out o = {0};
	const char *k;
	json_t *v;
	char b[128], ex[160];

	single(&o, "rampart_sessions", "gauge", "PPP sessions up (who is connected).",
	       num(st, "ppp.sessions_up"));
	single(&o, "rampart_sessions_started_total", "counter", "PPP sessions that came up.",
	       num(st, "ppp.sessions_up_total"));
	single(&o, "rampart_sessions_ended_total", "counter", "PPP sessions that ended.",
	       num(st, "ppp.sessions_down_total"));
	json_int_t leased = num(st, "ppp.addresses_leased"), size = pool_size(conf);
	head(&o, "rampart_pool_addresses", "gauge", "Client addresses of [pool] range, leased or free.");
	put(&o, "rampart_pool_addresses{state=\"leased\"} %lld\n", (long long)leased);
	put(&o, "rampart_pool_addresses{state=\"free\"} %lld\n",
	    (long long)(size > leased ? size - leased : 0));
	single(&o, "rampart_ike_sas", "gauge", "IKE (Main Mode) SAs in any state.", num(st, "ike.ike_sas"));
	single(&o, "rampart_ipsec_sa_pairs", "gauge", "IPsec (Quick Mode) SA pairs installed.",
	       num(st, "ike.ipsec_sa_pairs"));
	head(&o, "rampart_ike_negotiations_total", "counter", "IKE negotiations by result.");
	by(&o, "rampart_ike_negotiations_total", "result",
	   json_object_get(json_object_get(st, "ike"), "negotiations"), "");
	hist(&o, json_object_get(json_object_get(st, "ike"), "main_mode_ms"));
	single(&o, "rampart_ike_halfopen", "gauge", "Half-open Main Modes (admission control).",
	       num(st, "ike.admission.halfopen"));
	head(&o, "rampart_ike_admission_total", "counter",
	     "IKE admission control: first messages, DH and Quick Modes refused or deferred, by kind.");
	by(&o, "rampart_ike_admission_total", "kind",
	   json_object_get(json_object_get(json_object_get(st, "ike"), "admission"), "counts"), "");
	head(&o, "rampart_ppp_authentications_total", "counter", "PPP authentications by result.");
	by(&o, "rampart_ppp_authentications_total", "result",
	   json_object_get(json_object_get(st, "ppp"), "authentications"), "");

	json_t *esp = json_object_get(st, "esp");
	static const char *const dirs[] = {"in", "out"};
	head(&o, "rampart_esp_packets_total", "counter",
	     "ESP packets by direction (in: decapsulated, out: sent).");
	for (int d = 0; d < 2; d++)
		put(&o, "rampart_esp_packets_total{direction=\"%s\"} %lld\n", dirs[d],
		    (long long)num(json_object_get(esp, dirs[d]), "packets"));
	head(&o, "rampart_esp_bytes_total", "counter", "ESP payload bytes by direction.");
	for (int d = 0; d < 2; d++)
		put(&o, "rampart_esp_bytes_total{direction=\"%s\"} %lld\n", dirs[d],
		    (long long)num(json_object_get(esp, dirs[d]), "bytes"));
	head(&o, "rampart_esp_drops_total", "counter", "ESP packets dropped, by direction and reason.");
	for (int d = 0; d < 2; d++) {
		snprintf(ex, sizeof ex, "direction=\"%s\",", dirs[d]);
		by(&o, "rampart_esp_drops_total", "reason",
		   json_object_get(json_object_get(esp, dirs[d]), "drops"), ex);
	}
	head(&o, "rampart_drops_total", "counter", "Packets dropped by dispatch, by reason.");
	by(&o, "rampart_drops_total", "reason", json_object_get(st, "drops"), "");

	static const char *const pk[] = {"seen", "parsed", "dropped"};
	for (int i = 0; i < 3; i++) {
		char name[64], help[96];
		snprintf(name, sizeof name, "rampart_packets_%s_total", pk[i]);
		snprintf(help, sizeof help, "Packets %s by dispatch, by protocol.", pk[i]);
		head(&o, name, "counter", help);
		json_object_foreach(json_object_get(st, "packets"), k, v) put(
		    &o, "%s{protocol=\"%s\"} %lld\n", name, lbl(k, b, sizeof b), (long long)num(v, pk[i]));
	}

	json_t *l = json_object_get(st, "l2tp");
	single(&o, "rampart_l2tp_tunnels", "gauge", "L2TP tunnels.", num(l, "tunnels"));
	single(&o, "rampart_l2tp_sessions", "gauge", "L2TP sessions.", num(l, "sessions"));
	head(&o, "rampart_l2tp_control_messages_total", "counter", "L2TP control messages by direction.");
	put(&o, "rampart_l2tp_control_messages_total{direction=\"in\"} %lld\n",
	    (long long)num(l, "control_in"));
	put(&o, "rampart_l2tp_control_messages_total{direction=\"out\"} %lld\n",
	    (long long)num(l, "control_out"));
	single(&o, "rampart_l2tp_data_messages_in_total", "counter", "L2TP data messages received.",
	       num(l, "data_in"));
	single(&o, "rampart_l2tp_retransmissions_total", "counter", "L2TP control retransmissions.",
	       num(l, "retransmissions"));
	single(&o, "rampart_l2tp_drops_total", "counter", "L2TP messages dropped.", num(l, "drops"));
	single(&o, "rampart_l2tp_duplicates_total", "counter", "L2TP duplicate control messages.",
	       num(l, "duplicates"));
	json_t *lim = json_object_get(st, "limits");
	head(&o, "rampart_limit_refused_total", "counter",
	     "Refused by a limit, by the configuration key that raises it (issue 12).");
	by(&o, "rampart_limit_refused_total", "limit", json_object_get(lim, "refused"), "");
	single(&o, "rampart_login_throttle_records", "gauge", "Failed-login records held.",
	       num(lim, "login_throttle_records"));
	single(&o, "rampart_log_lines_over_budget_total", "counter",
	       "Log lines suppressed by [log] line_budget.", num(lim, "log_lines_over_budget"));
	single(&o, "rampart_udp_sent_datagrams_total", "counter", "UDP datagrams sent.",
	       num(st, "udp_sent.datagrams"));
	single(&o, "rampart_udp_send_batches_total", "counter", "sendmmsg calls (batches of datagrams).",
	       num(st, "udp_sent.batches"));
	if (s->mon) {
		uint64_t req, refused;
		srv_monitor_counts(s, &req, &refused);
		single(&o, "rampart_monitor_requests_total", "counter", "Requests to this monitor.",
		       (json_int_t)req);
		single(&o, "rampart_monitor_refused_total", "counter",
		       "Monitor requests refused for want of a valid client certificate.",
		       (json_int_t)refused);
	}
	json_decref(st);
	json_decref(conf);
	if (o.oom) {
		free(o.p);
		return NULL;
	}
	*len = o.len;
	return o.p;
}
