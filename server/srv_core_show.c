/* The text of `rampartctl show stats` (the cores' counters beyond dispatch's) and `show sas` (one
 * line per IPsec SA pair with its session), from the cores' own state and the server's table. The
 * JSON documents (srv_json.c) carry the same figures. */
#include <arpa/inet.h>
#include <stdio.h>

#include "srv_local.h"
#include "srv_policy.h"

/* The counters of `show stats` beyond dispatch's (the JSON document has the same figures). */
void srv_core_print_stats(struct srv *s, FILE *f)
{
	struct srv_core *c = s->core;
	struct ike_stats is;
	struct l2tp_stats ls;
	ike_get_stats(c->ike, &is);
	l2tp_get_stats(c->l2tp, &ls);
	fprintf(f, "ike negotiations:");
	for (int r = 0; r < IKE_R_N; r++)
		fprintf(f, " %s %llu", ike_result_name((enum ike_result)r), (unsigned long long)is.result[r]);
	fprintf(f, "\nike admission: halfopen %llu dh_preferred %llu", (unsigned long long)is.halfopen,
	        (unsigned long long)is.dh_preferred);
	for (int a = 0; a < IKE_A_N; a++)
		fprintf(f, " %s %llu", ike_adm_name((enum ike_adm)a), (unsigned long long)is.adm[a]);
	fprintf(f, "\nppp authentications:");
	for (int r = 0; r < L2TP_AUTH_R_N; r++)
		fprintf(f, " %s %llu", l2tp_auth_result_name(r), (unsigned long long)ls.auth[r]);
	fprintf(f, "\nsessions: up %zu, up since start %llu, down since start %llu\n", c->tab.nsess,
	        (unsigned long long)c->sessions_up, (unsigned long long)c->sessions_down);
	srv_policy_print_stats(s, f);
	for (int d = ESP_DIR_IN; d <= ESP_DIR_OUT; d++) {
		const struct esp_stats *st = esp_sad_stats(c->sad, (enum esp_dir)d);
		fprintf(f, "esp %s: %llu packets %llu bytes", d == ESP_DIR_IN ? "in" : "out",
		        (unsigned long long)st->packets, (unsigned long long)st->bytes);
		for (int k = 0; k < ESP_DROP_MAX; k++)
			if (st->drops[k])
				fprintf(f, ", dropped %s %llu", esp_drop_name((enum esp_drop)k),
				        (unsigned long long)st->drops[k]);
		fprintf(f, "\n");
	}
	/* in use, so a soak can see each SPI (SAs and reservations) given back */
	fprintf(f, "esp sad: %zu entries (SAs and SPI reservations)\n", esp_sad_count(c->sad));
	fprintf(f, "dhcp: %llu informs answered, %llu dropped\n", (unsigned long long)c->dhcp_answered,
	        (unsigned long long)c->dhcp_dropped);
	fprintf(f, "ipv6: %llu router solicitations answered, %llu link-scoped packets dropped\n",
	        (unsigned long long)c->ra_answered, (unsigned long long)c->ip6_link_dropped);
	fprintf(
	    f, "l2tp: %u tunnels, %u sessions, %llu control in, %llu out, %llu retransmitted, %llu dropped\n",
	    ls.tunnels, ls.sessions, (unsigned long long)ls.rx_ctl, (unsigned long long)ls.tx_ctl,
	    (unsigned long long)ls.rexmits, (unsigned long long)ls.drops);
	/* issue 12: what each limit refused, by the key that raises it */
	fprintf(f, "limits refused:");
	for (int r = 0; r < L2TP_LIM_N; r++)
		fprintf(f, " %s %llu", l2tp_limit_name(r), (unsigned long long)ls.refused[r]);
	for (size_t i = 0; i < RP_ARRAY_LEN(c->refused) && c->refused[i].key; i++)
		fprintf(f, " %s %llu", c->refused[i].key, (unsigned long long)c->refused[i].n);
	fprintf(f,
	        "\nlogin throttle: %u records; log: %llu lines over log.line_budget, %llu drop lines "
	        "suppressed\n",
	        ls.throttle_entries, (unsigned long long)s->log.budget_suppressed,
	        (unsigned long long)s->log.total_suppressed);
	fprintf(f, "tcp: %llu syn mss clamped\n", (unsigned long long)ls.mss_clamped);
}

const char *srv_esp_name(uint16_t t)
{
	return t == IKE_ESP_3DES ? "3DES" : t == IKE_ESP_AES_GCM_16 ? "AES-GCM-16" : "AES-CBC";
}
const char *srv_auth_name(uint16_t a)
{
	switch (a) {
	case 0:
		return "AEAD"; /* AES-GCM: the cipher's own tag */
	case IKE_AUTH_HMAC_MD5:
		return "HMAC-MD5-96";
	case IKE_AUTH_HMAC_SHA1:
		return "HMAC-SHA1-96";
	case IKE_AUTH_HMAC_SHA256:
		return "HMAC-SHA2-256-128";
	case IKE_AUTH_HMAC_SHA384:
		return "HMAC-SHA2-384-192";
	default:
		return "HMAC-SHA2-512-256";
	}
}

void srv_core_show_sas(struct srv *s, void (*line)(void *ctx, const char *text), void *ctx)
{
	struct srv_core *c = s->core;
	uint64_t now = srv_now(s);
	char buf[512], a[RP_ADDR_STRLEN], ip[INET_ADDRSTRLEN];
	snprintf(buf, sizeof buf, "%zu IPsec SA pairs, %zu PPP sessions up, %u addresses leased",
	         c->tab.nchild, c->tab.nsess, auth_pool_in_use(c->pool));
	line(ctx, buf);
	for (const struct srv_child *ch = c->tab.children; ch; ch = ch->next) {
		const struct srv_sess *se = ch->sess; /* its first (oldest) session */
		struct esp_stats in = {0}, out = {0};
		esp_sa_stats(c->sad, ch->spi_in, &in);
		esp_sa_stats(c->sad, ch->out_id, &out);
		uint32_t be = se ? htonl(se->ip) : 0;
		inet_ntop(AF_INET, &be, ip, sizeof ip);
		snprintf(buf, sizeof buf,
		         "peer %s nat %s id %s | ike %02x%02x%02x%02x%02x%02x%02x%02x | esp in %08x out %08x "
		         "%s-%u/%s "
		         "in %llu pkts %llu bytes out %llu pkts %llu bytes age %llus | account %s ip %s l2tp "
		         "%u/%u%s%s",
		         rp_addr_str(&ch->peer, a, sizeof a), ch->udp_encap ? "yes" : "no", ch->peer_id,
		         ch->icky[0], ch->icky[1], ch->icky[2], ch->icky[3], ch->icky[4], ch->icky[5],
		         ch->icky[6], ch->icky[7], ch->spi_in, ch->spi_out, srv_esp_name(ch->transform),
		         ch->transform == IKE_ESP_3DES ? 192 : ch->keybits, srv_auth_name(ch->auth),
		         (unsigned long long)in.packets, (unsigned long long)in.bytes,
		         (unsigned long long)out.packets, (unsigned long long)out.bytes,
		         (unsigned long long)((now - ch->since_ms) / 1000u), se ? se->account : "-",
		         se ? ip : "-", se ? se->tid : 0, se ? se->sid : 0,
		         ch->account[0] ? " | certificate account " : "", ch->account);
		line(ctx, buf);
	}
	/* sessions over plain L2TP (l2tp.allow_plain, debugging only) have no SA pair */
	for (const struct srv_sess *se = c->tab.plain; se; se = se->lnext) {
		uint32_t be = htonl(se->ip);
		inet_ntop(AF_INET, &be, ip, sizeof ip);
		snprintf(buf, sizeof buf, "plain L2TP (no IPsec) | account %s ip %s l2tp %u/%u age %llus",
		         se->account, ip, se->tid, se->sid,
		         (unsigned long long)((now - se->since_ms) / 1000u));
		line(ctx, buf);
	}
}
