/* rampart-load: options, start schedule, progress, final figures (see load.h).
 *
 *   rampart-load --server ADDR --psk TEXT --user NAME|PATTERN --password TEXT [--first N]
 *                [--clients N] [--rate R] [--hold S] [--traffic PPS[:SIZE]]
 *                [--profile windows|ios|android] [--group G] [--source ADDR[-ADDR]]
 *                [--fixed-dh] [--pap] [--timeout S] [--quiet] [--tun NAME]
 *                [--reconnect] [--cycles N] [--dpd S] [--l2tp-port-base P]
 *
 * --reconnect: a client that fails or is dropped (DELETE, StopCCN, DPD) connects again after 1-2 s
 * from the same socket, while the run lasts. --cycles N: each client connects and disconnects
 * politely N-1 times, then connects once more and stays for the hold (a soak). --dpd S: up clients
 * send DPD R-U-THERE every S seconds and take the server for dead after 3 unanswered.
 *
 * Prints a progress line each second (cumulative counts) and a final line starting "load ".
 * Exit 0 when every client came up, 1 otherwise, 2 on a usage or local error. */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "load.h"

/* The proposal sets of docs/clients.md's table (the order each client sends). */
static const struct ike_p1_alg p1_windows[] = {{IKE_ENC_AES, 256, IKE_HASH_SHA1, 20},
                                               {IKE_ENC_AES, 128, IKE_HASH_SHA1, 19},
                                               {IKE_ENC_AES, 256, IKE_HASH_SHA1, 14},
                                               {IKE_ENC_3DES, 0, IKE_HASH_SHA1, 14},
                                               {IKE_ENC_3DES, 0, IKE_HASH_SHA1, 2}};
static const struct ike_p1_alg p1_ios[] = {
    {IKE_ENC_AES, 256, IKE_HASH_SHA256, 14}, {IKE_ENC_AES, 256, IKE_HASH_SHA1, 14},
    {IKE_ENC_AES, 128, IKE_HASH_SHA256, 14}, {IKE_ENC_AES, 128, IKE_HASH_SHA1, 14},
    {IKE_ENC_3DES, 0, IKE_HASH_SHA1, 14},    {IKE_ENC_AES, 256, IKE_HASH_SHA256, 5},
    {IKE_ENC_AES, 256, IKE_HASH_SHA1, 5},    {IKE_ENC_AES, 128, IKE_HASH_SHA1, 5},
    {IKE_ENC_3DES, 0, IKE_HASH_SHA1, 5},     {IKE_ENC_AES, 256, IKE_HASH_SHA256, 2},
    {IKE_ENC_AES, 256, IKE_HASH_SHA1, 2},    {IKE_ENC_AES, 128, IKE_HASH_SHA1, 2},
    {IKE_ENC_3DES, 0, IKE_HASH_MD5, 2},      {IKE_ENC_3DES, 0, IKE_HASH_SHA1, 2}};
static const struct ike_p1_alg p1_android[] = {{IKE_ENC_AES, 256, IKE_HASH_SHA1, 20},
                                               {IKE_ENC_AES, 128, IKE_HASH_SHA1, 19}};
static const struct ike_cli_p2 p2_common[] = {{IKE_ESP_AES, 256, IKE_AUTH_HMAC_SHA1},
                                              {IKE_ESP_AES, 128, IKE_AUTH_HMAC_SHA1},
                                              {IKE_ESP_3DES, 0, IKE_AUTH_HMAC_SHA1}};
static const struct ike_cli_p2 p2_android[] = {{IKE_ESP_AES, 256, IKE_AUTH_HMAC_SHA512},
                                               {IKE_ESP_AES, 256, IKE_AUTH_HMAC_SHA256},
                                               {IKE_ESP_AES, 256, IKE_AUTH_HMAC_SHA1},
                                               {IKE_ESP_AES, 128, IKE_AUTH_HMAC_SHA1}};

static struct load L;
static uv_timer_t t_start, t_progress, t_phase;
static uv_signal_t sig;
static unsigned next_client;
static enum { PH_CONNECT, PH_HOLD, PH_DRAIN, PH_STOP } phase;
static struct ike_p1_alg one_group[16];
static unsigned up_at_end; /* clients up when the hold ended */

uint64_t load_now(const struct load *l)
{
	return uv_now(l->loop);
}

static int usage(void)
{
	fprintf(stderr,
	        "usage: rampart-load --server ADDR --psk TEXT --user NAME|PATTERN(%%d) --password TEXT\n"
	        "         [--first N] [--clients N] [--rate R] [--hold S] [--traffic PPS[:SIZE]]\n"
	        "         [--profile windows|ios|android] [--group G] [--source ADDR[-ADDR]]\n"
	        "         [--fixed-dh] [--pap] [--timeout S] [--quiet] [--tun NAME (one client)]\n"
	        "         [--reconnect] [--cycles N] [--dpd S] [--stream-to ADDR [--gso]]\n"
	        "         [--esp aes128sha1|aes128gcm|aes256gcm]\n"
	        "         [--l2tp-port-base P]\n"
	        "  --stream-to: --traffic sends UDP datagrams to ADDR (a sink behind the server), PPS up to "
	        "10^6\n");
	return 2;
}

/* Begins that have neither come up nor failed yet (a begin ends in one of the two). */
static unsigned connecting(void)
{
	return L.started - L.ups - (L.failed - L.downs);
}

static double connect_per_s(void)
{
	double span = (double)(L.t_last_up - L.t0) / 1000.0;
	return L.ups && span > 0 ? (double)L.ups / span : 0;
}

static void progress(uv_timer_t *t)
{
	(void)t;
	if (L.o.quiet)
		return;
	unsigned conn = 0;
	for (unsigned i = 0; i < next_client; i++) /* once a second, not per packet */
		conn += L.c[i].state == LC_IKE || L.c[i].state == LC_L2TP;
	printf("up=%u connecting=%u failed=%u connect_per_s=%.1f tx_pkts=%llu rx_pkts=%llu cycles=%u\n", L.up,
	       conn, L.failed, connect_per_s(), (unsigned long long)L.tx_pkts, (unsigned long long)L.rx_pkts,
	       L.cycles);
	fflush(stdout);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static uint32_t pct(uint32_t *v, unsigned n, unsigned p)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof *v, cmp_u32);
	unsigned i = (unsigned)(((uint64_t)n * p + 99) / 100);
	return v[i ? i - 1 : 0];
}

static void final_line(void)
{
	char fails[1024] = "";
	size_t k = 0;
	for (unsigned i = 0; i < L.nreasons && k < sizeof fails - 100; i++)
		k += (size_t)snprintf(fails + k, sizeof fails - k, "%s%s:%u",
		                      i ? "," : " failures=", L.reasons[i].why, L.reasons[i].n);
	/* up: came up (every time, with --reconnect/--cycles); failed: begins that never did; dropped:
	 * came up, then went down before the end (not counting --cycles' own disconnects); up_now: up
	 * at the end of the hold; told: dropped by the server (DELETE, StopCCN, CDN, LCP Terminate), the
	 * first and last at these CLOCK_REALTIME milliseconds */
	printf("load clients=%u up=%u failed=%u dropped=%u connect_per_s=%.1f mm_p50_ms=%u mm_p99_ms=%u "
	       "ppp_up_p50_ms=%u ppp_up_p99_ms=%u tx_pkts=%llu rx_pkts=%llu lost=%llu up_now=%u starts=%u "
	       "restarts=%u cycles=%u told=%u told_first_ms=%llu told_last_ms=%llu%s\n",
	       L.o.clients, L.ups, L.failed - L.downs, L.downs, connect_per_s(), pct(L.mm_ms, L.n_mm, 50),
	       pct(L.mm_ms, L.n_mm, 99), pct(L.up_ms, L.n_up, 50), pct(L.up_ms, L.n_up, 99),
	       (unsigned long long)L.tx_pkts, (unsigned long long)L.rx_pkts,
	       (unsigned long long)(L.tx_pkts > L.rx_pkts ? L.tx_pkts - L.rx_pkts : 0), up_at_end, L.started,
	       L.restarts, L.cycles, L.told, (unsigned long long)L.told_first_wall_ms,
	       (unsigned long long)L.told_last_wall_ms, fails);
	fflush(stdout);
}

static void on_phase(uv_timer_t *t);

static void stop_all(void)
{
	for (unsigned i = 0; i < next_client; i++)
		load_client_stop(&L.c[i]);
	uv_close((uv_handle_t *)&t_start, NULL);
	uv_close((uv_handle_t *)&t_progress, NULL);
	uv_close((uv_handle_t *)&t_phase, NULL);
	if (!uv_is_closing((uv_handle_t *)&sig))
		uv_close((uv_handle_t *)&sig, NULL);
}

static void on_phase(uv_timer_t *t)
{
	(void)t;
	uint64_t now = load_now(&L);
	if (phase == PH_CONNECT) {
		if (next_client < L.o.clients || connecting() || L.waiting)
			return;
		/* everyone is up or failed: hold (traffic flows), then let replies drain */
		phase = PH_HOLD;
		L.traffic_on = true;
		printf("holding up=%u failed=%u for %u s\n", L.up, L.failed, L.o.hold_s);
		uv_timer_start(&t_phase, on_phase, (uint64_t)L.o.hold_s * 1000, 0);
		for (unsigned i = 0; i < next_client; i++)
			if (L.c[i].state == LC_UP) {
				L.c[i].ping_at = now;
				uv_timer_start(&L.c[i].timer, L.c[i].timer.timer_cb, 0, 0);
			}
	} else if (phase == PH_HOLD) {
		phase = PH_DRAIN;
		up_at_end = L.up;
		L.restart_ok = false;
		L.traffic_on = false;
		uv_timer_start(&t_phase, on_phase, 1000, 0);
	} else if (phase == PH_DRAIN) {
		phase = PH_STOP;
		progress(NULL);
		final_line();
		stop_all();
	}
}

static void on_start(uv_timer_t *t)
{
	(void)t;
	uint64_t el = load_now(&L) - L.t0;
	uint64_t due = L.o.rate > 0 ? (uint64_t)((double)el * L.o.rate / 1000.0) + 1 : L.o.clients;
	while (next_client < L.o.clients && next_client < due) {
		struct load_client *c = &L.c[next_client];
		c->idx = next_client++;
		L.started++;
		load_client_start(&L, c);
	}
	if (next_client >= L.o.clients)
		uv_timer_stop(&t_start);
}

static void on_signal(uv_signal_t *s, int signum)
{
	(void)signum;
	uv_close((uv_handle_t *)s, NULL);
	if (phase < PH_DRAIN) {
		phase = PH_HOLD;
		uv_timer_stop(&t_start);
		L.o.clients = next_client;
		on_phase(NULL);
	}
}

static int parse_src(const char *v)
{
	char a[64], *dash;
	struct rp_addr lo, hi;
	snprintf(a, sizeof a, "%s", v);
	dash = strchr(a, '-');
	if (dash)
		*dash++ = 0;
	if (rp_addr_parse(&lo, a) || lo.family != 4 || (dash && (rp_addr_parse(&hi, dash) || hi.family != 4)))
		return -1;
	L.o.src_lo = rp_get_u32(lo.ip);
	L.o.src_hi = dash ? rp_get_u32(hi.ip) : L.o.src_lo;
	return L.o.src_hi < L.o.src_lo ? -1 : 0;
}

static int setup_profile(void)
{
	struct ike_cli_conf *c = &L.icf;
	const char *p = L.o.profile;
	c->natt = IKE_NATT_RFC;
	c->client_port = 1701;
	c->p2 = p2_common;
	c->np2 = RP_ARRAY_LEN(p2_common);
	if (!strcmp(p, "windows")) {
		c->p1 = p1_windows;
		c->np1 = RP_ARRAY_LEN(p1_windows);
		c->windows = true;
	} else if (!strcmp(p, "ios")) {
		c->p1 = p1_ios;
		c->np1 = RP_ARRAY_LEN(p1_ios);
		c->dpd = true;
	} else if (!strcmp(p, "android")) {
		c->p1 = p1_android;
		c->np1 = RP_ARRAY_LEN(p1_android);
		c->p2 = p2_android;
		c->np2 = RP_ARRAY_LEN(p2_android);
		c->dpd = true;
	} else {
		return -1;
	}
	if (L.o.esp) {
		static const struct {
			const char *name;
			struct ike_cli_p2 p2;
		} esps[] = {{"aes128sha1", {IKE_ESP_AES, 128, IKE_AUTH_HMAC_SHA1}},
		            {"aes128gcm", {IKE_ESP_AES_GCM_16, 128, 0}},
		            {"aes256gcm", {IKE_ESP_AES_GCM_16, 256, 0}}};
		size_t i = 0;
		while (i < RP_ARRAY_LEN(esps) && strcmp(esps[i].name, L.o.esp))
			i++;
		if (i == RP_ARRAY_LEN(esps))
			return -1;
		c->p2 = &esps[i].p2;
		c->np2 = 1;
	}
	if (L.o.group) { /* only the profile's proposals of that group */
		size_t n = 0;
		for (size_t i = 0; i < c->np1 && n < RP_ARRAY_LEN(one_group); i++)
			if (c->p1[i].group == L.o.group)
				one_group[n++] = c->p1[i];
		if (!n)
			one_group[n++] = (struct ike_p1_alg){IKE_ENC_AES, 256, IKE_HASH_SHA1, L.o.group};
		c->p1 = one_group;
		c->np1 = n;
	}
	c->psk = L.o.psk;
	c->psklen = L.o.psklen;
	if (L.o.fixed_dh) {
		for (size_t i = 0; i < c->np1; i++) {
			bool have = false;
			for (size_t j = 0; j < L.nfdh; j++)
				have |= L.fdh[j]->group == c->p1[i].group;
			if (have || L.nfdh == RP_ARRAY_LEN(L.fdh))
				continue;
			if (!(L.fdh[L.nfdh] = ike_cli_dh_new(c->p1[i].group, &L.rng)))
				return -1;
			L.nfdh++;
		}
		c->fixed_dh = L.fdh;
		c->nfixed_dh = L.nfdh;
	}
	return 0;
}

int main(int argc, char **argv)
{
	bool have_server = false, have_psk = false;
	L.o.clients = 1;
	L.o.rate = 50;
	L.o.hold_s = 5;
	L.o.profile = "ios";
	L.o.timeout_s = 30;
	L.o.size = 64;
	L.o.first = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--fixed-dh")) {
			L.o.fixed_dh = true;
			continue;
		}
		if (!strcmp(a, "--pap")) {
			L.o.pap = true;
			continue;
		}
		if (!strcmp(a, "--quiet")) {
			L.o.quiet = true;
			continue;
		}
		if (!strcmp(a, "--gso")) {
			L.o.gso = true;
			continue;
		}
		if (!strcmp(a, "--reconnect")) {
			L.o.reconnect = true;
			continue;
		}
		if (!v)
			return usage();
		i++;
		if (!strcmp(a, "--server")) {
			if (rp_addr_parse(&L.o.server, v) || L.o.server.family != 4)
				return usage();
			have_server = true;
		} else if (!strcmp(a, "--psk")) {
			L.o.psklen = strlen(v);
			if (L.o.psklen > sizeof L.o.psk)
				return usage();
			memcpy(L.o.psk, v, L.o.psklen);
			have_psk = true;
		} else if (!strcmp(a, "--user")) {
			L.o.user = v;
		} else if (!strcmp(a, "--password")) {
			L.o.password = v;
		} else if (!strcmp(a, "--first")) {
			L.o.first = (unsigned)atoi(v);
		} else if (!strcmp(a, "--clients")) {
			L.o.clients = (unsigned)atoi(v);
		} else if (!strcmp(a, "--rate")) {
			L.o.rate = atof(v);
		} else if (!strcmp(a, "--hold")) {
			L.o.hold_s = (unsigned)atoi(v);
		} else if (!strcmp(a, "--traffic")) {
			if (sscanf(v, "%u:%u", &L.o.pps, &L.o.size) < 1 || L.o.pps > 1000000 ||
			    L.o.size > 1400)
				return usage();
		} else if (!strcmp(a, "--stream-to")) {
			struct rp_addr sa;
			if (rp_addr_parse(&sa, v) || sa.family != 4)
				return usage();
			L.o.stream_to = rp_get_u32(sa.ip);
		} else if (!strcmp(a, "--esp")) {
			if (strcmp(v, "aes128sha1") && strcmp(v, "aes128gcm") && strcmp(v, "aes256gcm"))
				return usage();
			L.o.esp = v;
		} else if (!strcmp(a, "--profile")) {
			L.o.profile = v;
		} else if (!strcmp(a, "--group")) {
			L.o.group = (uint16_t)atoi(v);
		} else if (!strcmp(a, "--source")) {
			if (parse_src(v))
				return usage();
		} else if (!strcmp(a, "--tun")) {
			L.o.tun = v;
		} else if (!strcmp(a, "--timeout")) {
			L.o.timeout_s = (unsigned)atoi(v);
		} else if (!strcmp(a, "--cycles")) {
			L.o.cycles = (unsigned)atoi(v);
		} else if (!strcmp(a, "--dpd")) {
			L.o.dpd_s = (unsigned)atoi(v);
		} else if (!strcmp(a, "--l2tp-port-base")) {
			L.o.l2tp_port_base = (unsigned)atoi(v);
			if (!L.o.l2tp_port_base || L.o.l2tp_port_base > 65535)
				return usage();
		} else {
			return usage();
		}
	}
	if (!have_server || !have_psk || !L.o.user || !L.o.password || !L.o.clients || !L.o.timeout_s ||
	    (L.o.tun && L.o.clients != 1) ||
	    (L.o.l2tp_port_base && L.o.l2tp_port_base + L.o.clients - 1 > 65535))
		return usage();
	L.tun_fd = -1;
	if (L.o.pps > 1000 && !L.o.stream_to)
		return usage(); /* echoes: one per timer tick */
	/* a user pattern holds at most one %d */
	const char *pc = strchr(L.o.user, '%');
	if (pc && (strncmp(pc, "%d", 2) || strchr(pc + 2, '%')))
		return usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	/* one socket per client */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	rp_rng_gnutls(&L.rng, 2);
	rp_log_init(&L.log, 0, NULL, NULL);
	/* an SPI stays reserved for the whole connect (Quick Mode comes seconds later under load) */
	struct esp_conf ec = {.larval_ms = (uint64_t)L.o.timeout_s * 1000 + 5000};
	L.loop = uv_default_loop();
	L.sad = esp_sad_new(&ec, &L.rng, &L.log);
	L.c = calloc(L.o.clients, sizeof *L.c);
	L.n_cap = L.o.clients * (L.o.cycles > 1 ? (L.o.cycles < 16 ? L.o.cycles : 16) : 1);
	L.restart_ok = true;
	L.mm_ms = calloc(L.n_cap, sizeof *L.mm_ms);
	L.up_ms = calloc(L.n_cap, sizeof *L.up_ms);
	if (!L.sad || !L.c || !L.mm_ms || !L.up_ms) {
		fprintf(stderr, "rampart-load: out of memory\n");
		return 2;
	}
	if (setup_profile()) {
		fprintf(stderr, "rampart-load: bad --profile or --group\n");
		return 2;
	}
	L.t0 = load_now(&L);
	uv_signal_init(L.loop, &sig);
	uv_signal_start(&sig, on_signal, SIGINT);
	uv_timer_init(L.loop, &t_start);
	uv_timer_init(L.loop, &t_progress);
	uv_timer_init(L.loop, &t_phase);
	uv_timer_start(&t_start, on_start, 0, 10);
	uv_timer_start(&t_progress, progress, 1000, 1000);
	uv_timer_start(&t_phase, on_phase, 100, 100);
	uv_run(L.loop, UV_RUN_DEFAULT);
	bool all = L.failed == 0 && L.ups >= L.o.clients;
	for (size_t i = 0; i < L.nfdh; i++)
		ike_cli_dh_free(L.fdh[i]);
	esp_sad_free(L.sad);
	free(L.c);
	free(L.mm_ms);
	free(L.up_ms);
	uv_loop_close(L.loop);
	return all ? 0 : 1;
}
