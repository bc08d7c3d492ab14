/* Test-only UDP front end for the LNS core: a plain UDP socket on port 1701 (plain L2TP allowed,
 * link = the peer's address, sa 0), poll() with the core's next deadline, events printed one per
 * line. The daemon (server/) does the real wiring; this exists so an independent LAC (xl2tpd) can
 * be run against the core in a network namespace.
 *
 *   test_udp_lns BIND_IP STATE_DIR [TUNNEL_SECRET]   (runs until SIGTERM/SIGINT)
 * The account store in STATE_DIR gets the account "vpnuser" / "vpnpass"; pool 198.19.77.10-.50.
 */
#include "auth.h"
#include "l2tp.h"
#include "ppp.h"

#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_sig(int s)
{
	(void)s;
	stop = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int rng_fill(struct rp_rng *r, void *out, size_t n)
{
	(void)r;
	return gnutls_rnd(GNUTLS_RND_NONCE, out, n) < 0 ? -1 : 0;
}

static void sink(void *ctx, int level, const char *module, const char *msg)
{
	(void)ctx;
	printf("LOG %s %s: %s\n", rp_log_lvlname(level), module, msg);
	fflush(stdout);
}

static struct auth_db *udp_db;

static void drain(struct l2tp *l, int fd)
{
	struct rp_ev *ev;
	while ((ev = l2tp_next_event(l))) {
		if (ev->type == L2TP_EV_AUTH_REQUEST)
			l2tp_auth_from_store(l, udp_db, (const struct l2tp_ev_auth *)ev->data, now_ms(),
			                     NULL);
		if (ev->type == L2TP_EV_SEND) {
			struct l2tp_ev_send *e = (struct l2tp_ev_send *)ev->data;
			struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(e->link.peer.port)};
			memcpy(&sa.sin_addr, e->link.peer.ip, 4);
			if (sendto(fd, e->pkt, e->len, 0, (struct sockaddr *)&sa, sizeof sa) < 0)
				perror("sendto");
			/* one line per control message so the test can follow the exchange */
			if (e->len >= 2 && (e->pkt[0] & 0x80))
				printf("SEND ctl len=%u tid=%u\n", e->len, e->tid);
		} else if (ev->type == L2TP_EV_PPP_UP || ev->type == L2TP_EV_SESSION_DOWN ||
		           ev->type == L2TP_EV_TUNNEL_DOWN) {
			struct l2tp_ev_session *e = (struct l2tp_ev_session *)ev->data;
			printf("EV %s tid=%u sid=%u account=%s reason=%d text=%s\n",
			       ev->type == L2TP_EV_PPP_UP         ? "PPP_UP"
			       : ev->type == L2TP_EV_SESSION_DOWN ? "SESSION_DOWN"
			                                          : "TUNNEL_DOWN",
			       e->tid, e->sid, e->account, e->reason, e->text);
		}
		fflush(stdout);
		rp_ev_free(ev);
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s BIND_IP STATE_DIR [TUNNEL_SECRET]\n", argv[0]);
		return 2;
	}
	char err[256];
	struct auth_db *db = auth_db_open(argv[2], err, sizeof err);
	if (!db) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	auth_account_add(db, "vpnuser", "vpnpass", NULL);
	udp_db = db;
	struct auth_pool *pool = auth_pool_new();
	auth_pool_add_range(pool, 0xc6134d0a, 0xc6134d32);

	struct rp_log log;
	rp_log_init(&log, RP_LOG_DETAIL, sink, NULL);
	struct rp_rng rng = {.fill = rng_fill};
	struct ppp_conf pc;
	ppp_conf_defaults(&pc);
	pc.local_ip = 0xc6134d01;
	pc.dns[0] = 0xc6134d01;
	struct l2tp_conf c = {.host_name = "rampart-test", .ppp = &pc, .pool = pool, .log = &log};
	if (argc > 3) {
		c.secret = (const uint8_t *)argv[3];
		c.secret_len = strlen(argv[3]);
	}
	struct l2tp *l = l2tp_new(&c, &rng, now_ms());

	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(L2TP_PORT)};
	if (fd < 0 || inet_pton(AF_INET, argv[1], &me.sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&me, sizeof me)) {
		perror("bind");
		return 1;
	}
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	printf("READY\n");
	fflush(stdout);
	while (!stop) {
		uint64_t now = now_ms(), d = l2tp_next_deadline(l);
		int to = d == UINT64_MAX ? 1000 : d <= now ? 0 : (int)(d - now > 1000 ? 1000 : d - now);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, to);
		if (r > 0) {
			uint8_t buf[4096];
			struct sockaddr_in from;
			socklen_t fl = sizeof from;
			ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
			if (n > 0) {
				struct l2tp_link link = {.sa = 0};
				rp_addr_v4(&link.peer, ntohl(from.sin_addr.s_addr), ntohs(from.sin_port));
				if (buf[0] & 0x80)
					printf("RECV ctl len=%zd\n", n);
				l2tp_input(l, &link, buf, (size_t)n, now_ms());
			}
		}
		l2tp_tick(l, now_ms());
		drain(l, fd);
	}
	l2tp_free(l);
	auth_pool_free(pool);
	auth_db_close(db);
	close(fd);
	return 0;
}
