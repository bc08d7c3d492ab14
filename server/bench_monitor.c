/* The monitor's cost with many clients, in-process: a daemon without sockets (srv_new_detached)
 * gets N SA pairs with a PPP session each (srv_core_sa_install, srv_tab_sess_new), then the
 * documents are built and printed as the HTTP handlers do, timed on the loop's clock:
 *   full     srv_json_sas + json_dumps (rampartctl --json show sas; what /api/v1/sas was)
 *   page     /api/v1/sas default page (200, table order), sorted (bytes_in desc), filtered
 *   sessions /api/v1/sessions sorted by account
 *   metrics  /metrics
 * usage: bench_monitor N... (prints one line per N; the median of 5 runs per figure) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "srv_json.h"
#include "srv_local.h"
#include "srv_monitor.h"

static double ms_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* median of 5 runs of building doc and printing it; *bytes: its size */
static double timed(struct srv *s, int which, const struct srv_mon_query *q, size_t *bytes)
{
	double t[5];
	for (int i = 0; i < 5; i++) {
		double t0 = ms_now();
		int err = 0;
		char *txt;
		if (which == 3) {
			txt = srv_monitor_metrics(s, bytes);
		} else {
			json_t *d = which == 0   ? srv_json_sas(s)
			            : which == 1 ? srv_monitor_sas(s, q, &err)
			                         : srv_monitor_sessions(s, q, &err);
			txt = d ? json_dumps(d, JSON_COMPACT) : NULL;
			json_decref(d);
			*bytes = txt ? strlen(txt) : 0;
		}
		t[i] = ms_now() - t0;
		if (!txt) {
			fprintf(stderr, "bench_monitor: document %d failed (%d)\n", which, err);
			exit(1);
		}
		free(txt);
	}
	qsort(t, 5, sizeof *t, dbl_cmp);
	return t[2];
}

static struct srv *daemon_new(const char *dir)
{
	char path[128], text[1024], err[512];
	snprintf(path, sizeof path, "%s/rampart.conf", dir);
	snprintf(text, sizeof text,
	         "[server]\nlisten = 127.0.0.1\ntun_address = 100.64.0.1/10\nstate_dir = %s/state\n"
	         "control_socket = %s/ctl.sock\n[ike]\npsk = bench\n[pool]\nrange = "
	         "100.64.0.10-100.127.255.250\n",
	         dir, dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return NULL;
	fputs(text, f);
	fclose(f);
	chmod(path, 0600);
	struct conf *c = srv_load_conf(path, err, sizeof err);
	struct srv *s = c ? srv_new_detached(c, path, err, sizeof err) : NULL;
	if (!s)
		fprintf(stderr, "bench_monitor: %s\n", err);
	return s;
}

static void populate(struct srv *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct ike_ev_sa e;
		memset(&e, 0, sizeof e);
		e.spi_in = 0x10000000u + i * 7919u;
		e.spi_out = 0x20000000u + i;
		e.esp_transform = IKE_ESP_AES;
		e.enc_key_bits = 256;
		e.auth_alg = IKE_AUTH_HMAC_SHA256;
		e.udp_encap = true;
		for (int k = 0; k < 8; k++) {
			e.icky[k] = (uint8_t)(i >> (k % 4 * 8));
			e.rcky[k] = (uint8_t)~e.icky[k];
		}
		rp_addr_v4(&e.local, 0xc6120001, 4500);
		rp_addr_v4(&e.peer, 0xcb007100u + (i % 200), (uint16_t)(1024 + i));
		e.peer_inner = e.peer;
		e.local_inner = e.local;
		snprintf(e.peer_id, sizeof e.peer_id, "client%05u.example.test", i);
		e.life_s = 3600;
		e.in.enc_len = e.out.enc_len = 32;
		e.in.auth_len = e.out.auth_len = 32;
		srv_core_sa_install(s, &e, srv_now(s));
		struct l2tp_link l = {.sa = (uint64_t)e.spi_in << 32 | 1, .peer = e.peer};
		struct srv_sess *se = srv_tab_sess_new(&s->core->tab, &l, (uint16_t)(i + 1), 1);
		if (se) {
			snprintf(se->account, sizeof se->account, "user%05u", (i * 37u) % n);
			se->ip = 0x64400010u + i;
			se->since_ms = srv_now(s);
		}
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_monitor N...\n");
		return 2;
	}
	printf("%8s %12s %10s %12s %12s %12s %10s\n", "pairs", "full_ms", "full_kB", "page_ms", "sorted_ms",
	       "filtered_ms", "sess_ms");
	for (int a = 1; a < argc; a++) {
		char dir[64];
		snprintf(dir, sizeof dir, "/tmp/bench_monitor.XXXXXX");
		if (!mkdtemp(dir))
			return 1;
		struct srv *s = daemon_new(dir);
		if (!s)
			return 1;
		unsigned n = (unsigned)strtoul(argv[a], NULL, 10);
		populate(s, n);
		if (s->core->tab.nchild != n || s->core->tab.nsess != n) {
			fprintf(stderr, "bench_monitor: %zu pairs, %zu sessions installed of %u\n",
			        s->core->tab.nchild, s->core->tab.nsess, n);
			return 1;
		}
		size_t full_b, b;
		struct srv_mon_query q = {.limit = SRV_MON_LIMIT_DEFAULT};
		double full = timed(s, 0, &q, &full_b);
		double pg = timed(s, 1, &q, &b);
		struct srv_mon_query qs = {.limit = SRV_MON_LIMIT_DEFAULT, .sort = "bytes_in", .desc = true};
		double sorted = timed(s, 1, &qs, &b);
		struct srv_mon_query qf = {.limit = SRV_MON_LIMIT_DEFAULT, .sort = "peer", .filter = "user0"};
		double filt = timed(s, 1, &qf, &b);
		struct srv_mon_query qa = {.limit = SRV_MON_LIMIT_DEFAULT, .sort = "account"};
		double sess = timed(s, 2, &qa, &b);
		double met = timed(s, 3, &q, &b);
		printf("%8u %12.1f %10zu %12.1f %12.1f %12.1f %10.1f   metrics %.2f ms\n", n, full,
		       full_b / 1024, pg, sorted, filt, sess, met);
		srv_free(s);
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return 0;
}
