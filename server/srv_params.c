/* What the protocol cores are handed from one configuration snapshot (struct srv_params in
 * srv_core.h): IKE's, PPP's, L2TP's, DHCPINFORM's and the Router Advertisements' settings, our
 * certificate and key, and the callbacks that tie each core to the server. Built whole before
 * anything changes, so a reload that cannot be applied leaves the running one as it was. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srv_local.h"
#include "srv_policy.h"

static int spi_alloc(void *ctx, uint32_t *spi)
{
	struct srv *s = ctx;
	int rc = esp_spi_alloc(s->core->sad, srv_now(s), spi);
	if (rc == -ENOSPC)
		srv_core_short(s, "IPsec SAs (no SPI reserved for Quick Mode)", "esp.max_sa");
	else if (rc == -EAGAIN)
		srv_core_short(s, "SPIs (no free one found)", "esp.max_sa");
	else if (rc)
		srv_core_short(s, "memory for IPsec SAs", NULL);
	return rc;
}

static void spi_release(void *ctx, uint32_t spi)
{
	esp_spi_release(((struct srv *)ctx)->core->sad, spi);
}

void srv_params_free(struct srv_params *p)
{
	if (!p)
		return;
	srv_cert_free(&p->cert);
	conf_unref(p->cf);
	rp_wipe(p, sizeof *p);
	free(p);
}

struct srv_params *srv_params_new(struct srv *s, struct conf *cf, char *err, size_t errlen)
{
	struct srv_core *c = s->core;
	struct srv_params *p = calloc(1, sizeof *p);
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->cf = conf_ref(cf);
	if (srv_cert_load(&p->cert, cf, c->db, &s->log, err, errlen)) {
		srv_params_free(p);
		return NULL;
	}
	struct ike_conf *ic = &p->ike;
	ike_conf_defaults(ic);
	p->psk.kind = IKE_PSK_ANY;
	p->psk.key = (const uint8_t *)cf->psk;
	p->psk.keylen = strlen(cf->psk);
	ic->psks = &p->psk;
	ic->npsk = cf->psk[0] ? 1 : 0;
	for (unsigned i = 0; i < cf->n_dh_groups && i < RP_ARRAY_LEN(p->groups); i++)
		p->groups[i] = (uint16_t)cf->dh_groups[i];
	/* dh_groups bounds Quick Mode's PFS exchange as well as Main Mode's: a weak group must not
	 * come back through PFS */
	ic->p1_groups = ic->p2_groups = p->groups;
	ic->np1_groups = ic->np2_groups = cf->n_dh_groups;
	/* security methods (0 = the core's defaults); cf is held by p, so the arrays outlive ic */
	ic->mm_methods = cf->mm_methods;
	ic->nmm_methods = cf->n_mm_methods;
	ic->qm_methods = cf->qm_methods;
	ic->nqm_methods = cf->n_qm_methods;
	ic->p1_life_max_s = cf->phase1_lifetime;
	ic->p2_life_max_s = cf->phase2_lifetime;
	/* 0 in the config disables DPD; the core reads 0 as "default", so never is UINT32_MAX s */
	ic->dpd_idle_s = cf->dpd_delay ? cf->dpd_delay : UINT32_MAX;
	ic->dpd_timeout_s = cf->dpd_delay && cf->dpd_timeout ? cf->dpd_timeout : UINT32_MAX;
	ic->spi_alloc = spi_alloc;
	ic->spi_release = spi_release;
	ic->spi_ctx = s;
	ic->keylog = cf->keylog[0] != 0;
	ic->natt_port = (uint16_t)s->boot->natt_port;
	ic->max_sa = cf->ike_max_sa;
	ic->max_halfopen = cf->ike_max_halfopen;
	ic->max_halfopen_ip = cf->ike_max_halfopen_ip;
	ic->max_sa_payload = cf->ike_max_sa_payload;
	ic->dh_per_s = cf->ike_dh_per_s;
	ic->max_child = cf->ike_max_child;
	ic->frag_per_ip = cf->ike_frag_per_ip;
	srv_cert_ike_conf(&p->cert, cf, ic);
	srv_policy_ike_conf(s, ic);

	struct ppp_conf *pc = &p->ppp;
	ppp_conf_defaults(pc);
	pc->mru = (uint16_t)cf->mru;
	pc->auth_methods = cf->auth; /* conf's bits are auth/'s: PAP 1, CHAP 2, MS-CHAPv2 4 */
	pc->local_ip = rp_get_u32(s->boot->tun_addr.ip);
	for (unsigned i = 0; i < cf->n_dns; i++)
		pc->dns[i] = rp_get_u32(cf->dns[i].ip);
	for (unsigned i = 0; i < cf->n_wins; i++)
		pc->nbns[i] = rp_get_u32(cf->wins[i].ip);
	pc->echo_interval_s = cf->lcp_echo_interval;
	pc->echo_fails = cf->lcp_echo_failure;

	struct dhcp_conf *dc = &p->dhcp;
	dc->server = pc->local_ip;
	for (unsigned i = 0; i < cf->n_routes; i++)
		p->routes[i] = (struct dhcp_route){cf->routes[i].net, (uint8_t)cf->routes[i].len};
	dc->routes = p->routes;
	dc->nroutes = cf->n_routes;
	dc->domain = cf->domain;
	memcpy(dc->dns, pc->dns, sizeof dc->dns);
	memcpy(dc->wins, pc->nbns, sizeof dc->wins);

	struct l2tp_conf *lc = &p->l2tp;
	lc->host_name = "rampart";
	lc->secret = (const uint8_t *)cf->tunnel_secret;
	lc->secret_len = strlen(cf->tunnel_secret);
	lc->recv_window = (uint16_t)cf->receive_window;
	lc->hello_s = cf->hello_interval;
	lc->idle_setup_s = 120; /* a tunnel left without sessions is closed after 2 min */
	lc->max_tunnels = cf->max_tunnels;
	lc->max_sessions_total = cf->max_sessions;
	lc->max_tunnels_per_sa = cf->max_tunnels_per_sa;
	lc->max_sessions_per_sa = cf->max_sessions_per_sa;
	lc->max_sessions_per_account = cf->max_sessions_per_account;
	lc->login_fail_max = cf->login_fail_max;
	lc->login_peer_fail_max = cf->login_peer_fail_max;
	lc->login_account_fail_max = cf->login_account_fail_max;
	lc->login_fail_window_s = cf->login_fail_window;
	lc->login_lockout_s = cf->login_lockout;
	lc->login_account_lockout_s = cf->login_account_lockout;
	lc->ppp = pc;
	lc->pool = c->pool;
	lc->log = &s->log;
	lc->data_send = srv_l2tp_data_send;
	lc->data_send_buf = srv_l2tp_data_send_buf;
	lc->ip_deliver = srv_core_ip_deliver;
	lc->data_ctx = s;
	lc->ppp_authorize = srv_core_ppp_authorize;
	lc->peer_of = srv_core_peer_of;
	/* [ppp] mss_clamp: auto is the TUN's MTU (read at start) less the IP and TCP headers; the
	 * core lowers it further to each session's MRU */
	unsigned mtu = s->boot->tun_mtu, mss = cf->mss_clamp;
	lc->mss_clamp4 = (uint16_t)(mss == CONF_MSS_AUTO ? mtu - 40 : mss);
	lc->mss_clamp6 = (uint16_t)(mss == CONF_MSS_AUTO ? mtu - 60 : mss);
	srv_ip6_conf(s, cf, lc, &p->ra);
	return p;
}

