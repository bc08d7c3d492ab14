/* rampart-load: one client (see load.h). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h> /* before the linux/ headers: their libc-compat guards need it first */
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/udp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "load.h"
#include "natt.h"

#define RETX_MS 2000u  /* IKE retransmission interval (Windows: about 1-2 s, then backing off) */
#define RETX_TRIES 5   /* sends of one message before the client gives up */
#define KA_MS 20000u   /* RFC 3948 §4 NAT keepalive while up */
#define HEAD 64        /* headroom for the inner UDP and ESP headers */
#define L2TP_PORT 1701 /* the server's inner UDP port, and ours by default (RFC 3193 §4) */
#define DPD_MISSES 3   /* unanswered R-U-THEREs before the server is taken for dead */
#define STREAM_PORT 9  /* discard: --stream-to's datagrams, and net_bench.sh --reverse's */

static const char *const waiting_for[] = {[1] = "MM2", [3] = "MM4", [5] = "MM6", [7] = "QM2", [9] = "QM2"};

static uint8_t rxbuf[65536];
static uint8_t txbuf[HEAD + 2048 + ESP_TAILROOM];

static void schedule(struct load_client *c);
static void on_timer(uv_timer_t *tm);
static void goodbye(struct load_client *c, uint64_t now);

static struct sockaddr_in sin_of(const struct rp_addr *a, uint16_t port)
{
	struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = htons(port)};
	memcpy(&s.sin_addr, a->ip, 4);
	return s;
}

static int send_to(struct load_client *c, uint16_t port, const uint8_t *p, size_t n)
{
	struct sockaddr_in s = sin_of(&c->L->o.server, port);
	uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
	int r = uv_udp_try_send(&c->udp, &b, 1, (const struct sockaddr *)&s);
	return r < 0 ? r : 0;
}

/* An IKE message: from 500 until NAT-T floats, then to 4500 behind the non-ESP marker. */
static int send_ike(struct load_client *c, const uint8_t *p, size_t n, bool keep)
{
	bool f = c->ike->use4500;
	int r;
	if (f) {
		uint8_t b[IKE_MAXBUF + 4] = {0};
		if (n > IKE_MAXBUF)
			return -EMSGSIZE;
		memcpy(b + 4, p, n);
		r = send_to(c, NATT_PORT_NATT, b, n + 4);
	} else {
		r = send_to(c, NATT_PORT_IKE, p, n);
	}
	if (keep) {
		if (!c->last_out)
			c->last_out = malloc(IKE_MAXBUF);
		if (c->last_out) {
			memcpy(c->last_out, p, n);
			c->last_out_len = n;
		}
		c->last_4500 = f;
		c->tries = 1;
		c->retx_at = load_now(c->L) + RETX_MS;
	}
	return r;
}

static void on_close(uv_handle_t *h)
{
	(void)h; /* the client array owns the handles */
}

uint64_t load_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The protocol state of one connection (IKE, SA pair, LAC); the socket and timer stay. */
static void client_reset(struct load_client *c)
{
	if (c->sa_installed) {
		esp_sa_del(c->L->sad, c->in_id);
		esp_sa_del(c->L->sad, c->out_id);
		c->sa_installed = false;
	} else if (c->spi_in) {
		esp_spi_release(c->L->sad, c->spi_in);
	}
	c->spi_in = 0;
	if (c->idx == 0 && c->L->tun_fd >= 0) {
		uv_close((uv_handle_t *)&c->L->tun_poll, on_close);
		close(c->L->tun_fd);
		c->L->tun_fd = -1;
	}
	ike_cli_free(c->ike);
	c->ike = NULL;
	free(c->last_out);
	c->last_out = NULL;
	free(c->lac);
	c->lac = NULL;
	free(c->gso_buf);
	c->gso_buf = NULL;
	c->last_in_sum = 0;
	c->last_in_len = 0;
	c->retx_at = 0;
	c->tries = 0;
	c->dpd_miss = 0;
}

void load_client_close(struct load_client *c)
{
	if (c->have_udp && !uv_is_closing((uv_handle_t *)&c->udp))
		uv_close((uv_handle_t *)&c->udp, on_close);
	if (c->have_timer && !uv_is_closing((uv_handle_t *)&c->timer))
		uv_close((uv_handle_t *)&c->timer, on_close);
	client_reset(c);
}

/* Down and due to begin again (--reconnect after a failure, --cycles after a disconnect). */
static void client_wait(struct load_client *c, uint64_t delay_ms)
{
	client_reset(c);
	c->state = LC_WAIT;
	c->L->waiting++;
	c->restart_at = load_now(c->L) + delay_ms;
	uv_timer_start(&c->timer, on_timer, delay_ms, 0);
}

static void count_reason(struct load *L, const char *why)
{
	for (unsigned i = 0; i < L->nreasons; i++)
		if (strcmp(L->reasons[i].why, why) == 0) {
			L->reasons[i].n++;
			return;
		}
	unsigned i = L->nreasons < LOAD_MAX_REASONS ? L->nreasons++ : LOAD_MAX_REASONS - 1;
	if (i == LOAD_MAX_REASONS - 1 && L->reasons[i].n && strcmp(L->reasons[i].why, "other"))
		snprintf(L->reasons[i].why, sizeof L->reasons[i].why, "other");
	else if (!L->reasons[i].n)
		snprintf(L->reasons[i].why, sizeof L->reasons[i].why, "%s", why);
	L->reasons[i].n++;
}

void load_client_fail(struct load_client *c, const char *fmt, ...)
{
	char why[80];
	va_list ap;
	if (c->state == LC_FAILED || c->state == LC_DONE)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	for (char *p = why; *p; p++) /* one token per reason in the summary */
		if (*p == ' ' || *p == ',' || *p == '=')
			*p = '_';
	if (c->state == LC_UP) {
		c->L->up--;
		c->L->downs++;
		if (!strncmp(why, "ike:deleted", 11) || !strncmp(why, "l2tp:StopCCN", 12) ||
		    !strncmp(why, "l2tp:CDN", 8) || !strncmp(why, "ppp:terminated", 14)) {
			uint64_t w = load_wall_ms();
			if (!c->L->told++)
				c->L->told_first_wall_ms = w;
			c->L->told_last_wall_ms = w;
		}
	}
	c->L->failed++;
	count_reason(c->L, why);
	if (c->L->o.reconnect && c->L->restart_ok && c->have_timer && c->have_udp && c->local.port) {
		uint32_t j = 0;
		rp_rng_fill(&c->L->rng, &j, sizeof j);
		return client_wait(c, 1000 + j % 1000); /* spread, as real clients' retries are */
	}
	c->state = LC_FAILED;
	load_client_close(c);
}

/* ---- ESP and the LAC ---- */

#define GSO_MAX 65000
#define GSO_SEGS 64

/* --gso: the collected datagrams as one sendmsg with UDP_SEGMENT (all of one size but the last) */
static void gso_flush(struct load_client *c)
{
	uv_os_fd_t fd;
	if (!c->gso_n || uv_fileno((uv_handle_t *)&c->udp, &fd)) {
		c->gso_n = 0;
		c->gso_len = 0;
		return;
	}
	struct sockaddr_in to = sin_of(&c->L->o.server, NATT_PORT_NATT);
	struct iovec iov = {c->gso_buf, c->gso_len};
	union {
		char b[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr a;
	} ctl;
	struct msghdr m = {.msg_name = &to, .msg_namelen = sizeof to, .msg_iov = &iov, .msg_iovlen = 1};
	if (c->gso_n > 1) {
		uint16_t seg = (uint16_t)c->gso_seg;
		m.msg_control = ctl.b;
		m.msg_controllen = sizeof ctl.b;
		struct cmsghdr *h = CMSG_FIRSTHDR(&m);
		h->cmsg_level = SOL_UDP;
		h->cmsg_type = UDP_SEGMENT;
		h->cmsg_len = CMSG_LEN(sizeof seg);
		memcpy(CMSG_DATA(h), &seg, sizeof seg);
	}
	(void)sendmsg(fd, &m, MSG_DONTWAIT);
	c->gso_n = 0;
	c->gso_len = 0;
}

static void lac_send(void *ctx, const uint8_t *p, size_t n)
{
	struct load_client *c = ctx;
	struct rp_buf b;
	struct esp_tx tx;
	if (!c->sa_installed || n > 2048)
		return;
	rp_buf_view(&b, txbuf, sizeof txbuf, HEAD, 0);
	memcpy(rp_buf_put(&b, n), p, n);
	if (natt_udp_push(&b, c->l2tp_port, L2TP_PORT) ||
	    esp_encap(c->L->sad, c->out_id, &b, load_now(c->L), &tx))
		return;
	if (c->gso_collect && (c->gso_buf || (c->gso_buf = malloc(GSO_MAX)))) {
		if (c->gso_n && (b.len > c->gso_seg || c->gso_len % c->gso_seg ||
		                 c->gso_len + b.len > GSO_MAX || c->gso_n == GSO_SEGS))
			gso_flush(c);
		if (!c->gso_n)
			c->gso_seg = b.len;
		memcpy(c->gso_buf + c->gso_len, b.base + b.off, b.len);
		c->gso_len += b.len;
		c->gso_n++;
		return;
	}
	send_to(c, NATT_PORT_NATT, b.base + b.off, b.len);
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	return (uint16_t)~rp_fold16(rp_sum16(0, p, n));
}

/* --tun: what the kernel sends into the TUN goes through the tunnel as client 0's packets. */
static void tun_readable(uv_poll_t *h, int status, int events)
{
	struct load *L = h->data;
	struct load_client *c = &L->c[0];
	uint8_t p[1600];
	(void)events;
	if (status < 0)
		return;
	for (int i = 0; i < 64; i++) {
		ssize_t n = read(L->tun_fd, p, sizeof p);
		if (n <= 0)
			return;
		if (c->state == LC_UP && c->lac && c->lac->nsess) {
			ppp_cli_send_ip(&c->lac->s[0].c, p, (size_t)n);
			L->tx_pkts++;
		}
	}
}

static int tun_attach(struct load *L)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", L->o.tun);
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0 || uv_poll_init(L->loop, &L->tun_poll, fd)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	L->tun_fd = fd;
	L->tun_poll.data = L;
	uv_poll_start(&L->tun_poll, UV_READABLE, tun_readable);
	return 0;
}

/* ICMP echo replies from the server's tunnel address (our identifier: the client number), and
 * net_bench.sh --reverse's datagrams (counted as received); with --tun, every packet of client 0
 * goes to the TUN device instead. */
static void ip_in(void *ctx, const uint8_t *pkt, size_t n)
{
	struct l2tp_lac_sess *s = ctx;
	struct load_client *c = s->tun->ctx;
	if (c->idx == 0 && c->L->tun_fd >= 0) {
		if (write(c->L->tun_fd, pkt, n) == (ssize_t)n)
			c->L->rx_pkts++;
		return;
	}
	size_t ihl = n ? (size_t)(pkt[0] & 15) * 4 : 0;
	if (n >= 28 && n >= ihl + 8 && (pkt[0] >> 4) == 4 && pkt[9] == 17 &&
	    rp_get_u16(pkt + ihl + 2) == STREAM_PORT) {
		c->L->rx_pkts++; /* net_bench.sh --reverse: udp_blast's datagrams from behind the server */
		return;
	}
	if (n < 28 || (pkt[0] >> 4) != 4 || pkt[9] != 1)
		return;
	size_t hl = (size_t)(pkt[0] & 15) * 4;
	if (n < hl + 8 || pkt[hl] != 0 || rp_get_u16(pkt + hl + 4) != (uint16_t)c->idx)
		return;
	c->L->rx_pkts++;
}

static void ping(struct load_client *c)
{
	struct l2tp_lac_sess *s = &c->lac->s[0];
	size_t n = c->L->o.size < 28 ? 28 : c->L->o.size;
	uint8_t p[1500];
	if (n > sizeof p)
		n = sizeof p;
	memset(p, 0, n);
	p[0] = 0x45;
	rp_put_u16(p + 2, (uint16_t)n);
	rp_put_u16(p + 4, c->ping_seq);
	p[8] = 64;
	p[9] = 1;
	rp_put_u32(p + 12, s->c.ip);
	rp_put_u32(p + 16, s->c.peer_ip);
	rp_put_u16(p + 10, csum(p, 20));
	p[20] = 8;
	rp_put_u16(p + 24, (uint16_t)c->idx);
	rp_put_u16(p + 26, c->ping_seq++);
	for (size_t i = 28; i < n; i++)
		p[i] = (uint8_t)i;
	rp_put_u16(p + 22, csum(p + 20, n - 20));
	ppp_cli_send_ip(&s->c, p, n);
	c->L->tx_pkts++;
}

/* --stream-to: UDP datagrams of --traffic SIZE bytes (IP header included) from the client's tunnel
 * address to a sink behind the server, paced at PPS per client: every timer tick sends what is due
 * since the hold began (at most a few ticks' worth), so a 1 ms timer carries rates far above
 * 1000/s, and a slow client ticks only every STREAM_TICK_PKTS packets (1000 clients, 1000 timers). */
#define STREAM_TICK_PKTS 8
static void stream(struct load_client *c, uint64_t now)
{
	struct l2tp_lac_sess *s = &c->lac->s[0];
	struct load *L = c->L;
	size_t n = L->o.size < 28 ? 28 : L->o.size;
	uint8_t p[1500];
	if (!c->stream_t0)
		c->stream_t0 = now;
	uint64_t due = (now - c->stream_t0 + 1) * L->o.pps / 1000;
	uint64_t burst = (uint64_t)L->o.pps / 250 + 4 * STREAM_TICK_PKTS, k = 0;
	if (n > sizeof p)
		n = sizeof p;
	memset(p, 0, 28);
	p[0] = 0x45;
	rp_put_u16(p + 2, (uint16_t)n);
	p[8] = 64;
	p[9] = 17;
	rp_put_u32(p + 12, s->c.ip);
	rp_put_u32(p + 16, L->o.stream_to);
	rp_put_u16(p + 20, (uint16_t)(10000 + c->idx % 50000));
	rp_put_u16(p + 22, STREAM_PORT);
	rp_put_u16(p + 24, (uint16_t)(n - 20));
	for (size_t i = 28; i < n; i++)
		p[i] = (uint8_t)i;
	c->gso_collect = L->o.gso;
	while (c->stream_sent < due && k++ < burst) {
		rp_put_u16(p + 4, c->ping_seq++);
		p[10] = p[11] = 0;
		rp_put_u16(p + 10, csum(p, 20));
		/* UDP checksum 0: allowed over IPv4 (RFC 768), and the sink only counts */
		ppp_cli_send_ip(&s->c, p, n);
		c->stream_sent++;
		L->tx_pkts++;
	}
	c->gso_collect = false;
	gso_flush(c);
	if (c->stream_sent + burst < due)
		c->stream_sent = due - burst; /* we fell behind: do not burst to catch up */
}

static uint64_t stream_interval(const struct load *L)
{
	uint64_t ms = (uint64_t)STREAM_TICK_PKTS * 1000 / L->o.pps;
	return ms ? ms : 1;
}

static void lac_check(struct load_client *c, uint64_t now)
{
	struct l2tp_lac *t = c->lac;
	struct load *L = c->L;
	if (t->stopccn_rcvd)
		return load_client_fail(c, "l2tp:StopCCN_result_%u", t->stop_result);
	if (t->sccrp && !t->nsess) {
		/* the ICRQ once the tunnel is up (it carries the LNS's tunnel ID) */
		struct l2tp_lac_sess *s = l2tp_lac_add_session(t, 1, c->user, L->o.password, now);
		if (!s)
			return load_client_fail(c, "l2tp:no_session_slot");
		s->c.ip_in = ip_in;
	}
	if (!t->nsess)
		return;
	struct l2tp_lac_sess *s = &t->s[0];
	if (s->cdn_rcvd)
		return load_client_fail(c, "l2tp:CDN");
	if (s->c.auth_failed)
		return load_client_fail(c, "ppp:auth_failed");
	if (s->c.terminated)
		return load_client_fail(c, "ppp:terminated");
	if (c->state == LC_L2TP && s->ppp_started && ppp_cli_up(&s->c)) {
		c->state = LC_UP;
		c->t_up = now;
		L->up++;
		L->ups++;
		L->t_last_up = now;
		if (L->n_up < L->n_cap)
			L->up_ms[L->n_up++] = (uint32_t)(now - c->t_start);
		/* last_out (QM3) stays: the responder resends QM2 until a QM3 arrives, also after PPP is
		 * up over the new SA, and drops the SA if none ever does (RFC 2409 §5.5) */
		c->ping_at = now;
		c->ka_at = now + KA_MS;
		if (c->idx == 0 && L->o.tun && tun_attach(L))
			return load_client_fail(c, "local:tun_%s", L->o.tun);
		c->dpd_at = now + (uint64_t)L->o.dpd_s * 1000;
		if (L->o.cycles && ++c->cycles_done < L->o.cycles && L->restart_ok) {
			/* soak: disconnect politely at once and connect again (the last round stays up) */
			goodbye(c, now);
			L->up--;
			L->cycles++;
			client_wait(c, 20);
		}
	}
}

static int install_sa(struct load_client *c, uint64_t now)
{
	struct ike_cli *t = c->ike;
	struct esp_sa_params out = {0}, in;
	out.dir = ESP_DIR_OUT;
	out.spi = t->spi_r;
	out.owner = c->idx;
	out.encr = (enum esp_encr)t->p2chosen.tf; /* IKE's transform IDs are esp's */
	out.encr_keybits = t->p2chosen.tf == IKE_ESP_3DES ? 192 : t->p2chosen.keylen;
	out.auth = (enum esp_auth)t->p2chosen.auth;
	out.local = c->local;
	out.peer = c->L->o.server;
	out.peer.port = NATT_PORT_NATT;
	out.encap = ESP_ENCAP_UDP;
	out.inner_local_port = c->l2tp_port;
	out.inner_peer_port = L2TP_PORT;
	in = out;
	in.dir = ESP_DIR_IN;
	in.spi = t->spi_i;
	memcpy(out.enc_key, t->k_i2r.enc, t->k_i2r.enc_len);
	out.enc_key_len = t->k_i2r.enc_len;
	memcpy(out.auth_key, t->k_i2r.auth, t->k_i2r.auth_len);
	out.auth_key_len = t->k_i2r.auth_len;
	memcpy(in.enc_key, t->k_r2i.enc, t->k_r2i.enc_len);
	in.enc_key_len = t->k_r2i.enc_len;
	memcpy(in.auth_key, t->k_r2i.auth, t->k_r2i.auth_len);
	in.auth_key_len = t->k_r2i.auth_len;
	int r = esp_sa_add(c->L->sad, &out, now, &c->out_id);
	if (!r && (r = esp_sa_add(c->L->sad, &in, now, &c->in_id)) != 0)
		esp_sa_del(c->L->sad, c->out_id);
	rp_wipe(&in, sizeof in);
	rp_wipe(&out, sizeof out);
	if (!r)
		c->sa_installed = true;
	return r;
}

static void start_l2tp(struct load_client *c, uint64_t now)
{
	c->lac = calloc(1, sizeof *c->lac);
	if (!c->lac)
		return load_client_fail(c, "local:ENOMEM");
	c->lac->send = lac_send;
	c->lac->ctx = c;
	c->lac->pap = c->L->o.pap;
	c->state = LC_L2TP;
	/* our tunnel ID: any non-zero number; each client has its own SA, so they may repeat */
	l2tp_lac_start(c->lac, c->in_id, (uint16_t)(c->idx % 65535 + 1), now);
}

static void esp_rx(struct load_client *c, uint8_t *p, size_t n, const struct rp_addr *src, uint64_t now)
{
	struct rp_buf b;
	struct esp_rx rx;
	rp_buf_view(&b, p, n, 0, n);
	if (esp_decap(c->L->sad, &b, src, now, &rx) || rx.owner != c->idx || !c->lac)
		return;
	if (rx.next_header != 17 || rx.sport != L2TP_PORT || rx.dport != c->l2tp_port)
		return;
	l2tp_lac_input(c->lac, rx.payload, rx.payload_len, now);
	lac_check(c, now);
}

/* ---- IKE ---- */

static uint32_t sum32(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a: tells a resent copy from a new message */
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static void ike_rx(struct load_client *c, const uint8_t *p, size_t n, uint64_t now)
{
	static uint8_t out[IKE_MAXBUF];
	struct ike_cli *t = c->ike;
	if (!t || n < 28)
		return;
	/* another exchange's message (a flood spoofing our NAT's address draws the server's answers
	 * to it): not ours to fail on, a real client ignores it */
	if (memcmp(p, t->icky, 8))
		return;
	uint32_t h = sum32(p, n);
	if (t->step >= 9) {
		size_t ol = 0;
		int k = p[18] == ISAKMP_EX_INFO ? ike_cli_info_input(t, p, n, out, sizeof out, &ol) : -2;
		if (k >= 0)
			c->dpd_miss = 0; /* authenticated: the server is alive (an R-U-THERE-ACK too) */
		if (k == IKE_CLI_INFO_DPD)
			send_ike(c, out, ol, false);
		else if (k == IKE_CLI_INFO_DELETE_IKE || k == IKE_CLI_INFO_DELETE_ESP)
			load_client_fail(c, "ike:deleted_by_server");
		else if (k == -2 && h == c->last_in_sum && n == c->last_in_len && c->last_out)
			send_ike(c, c->last_out, c->last_out_len, false); /* QM2 again: our QM3 was lost */
		return;
	}
	if (h == c->last_in_sum && n == c->last_in_len) {
		/* the responder resends while it waits for our next message: send ours again */
		if (c->last_out)
			send_ike(c, c->last_out, c->last_out_len, false);
		return;
	}
	int step = t->step;
	long r = ike_cli_input(t, p, n, out, sizeof out);
	if (r < 0)
		return load_client_fail(c, "ike:%s_(waiting_for_%s)", t->err, waiting_for[step]);
	c->last_in_sum = h;
	c->last_in_len = n;
	if (r > 0)
		send_ike(c, out, (size_t)r, true);
	if (step == 5 && t->step >= 7) { /* MM6 verified: Main Mode done */
		c->t_mm = now;
		if (c->L->n_mm < c->L->n_cap)
			c->L->mm_ms[c->L->n_mm++] = (uint32_t)(now - c->t_start);
	}
	if (t->step == 9) {
		if (!t->use4500)
			return load_client_fail(c, "ike:no_NAT_(raw_ESP_unsupported)");
		if (install_sa(c, now))
			return load_client_fail(c, "esp:install");
		c->spi_in = 0; /* now the SA's */
		c->retx_at = 0;
		start_l2tp(c, now);
	}
}

static void on_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
	(void)h;
	(void)sz;
	*b = uv_buf_init((char *)rxbuf, sizeof rxbuf);
}

static void on_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
                    unsigned flags)
{
	struct load_client *c = u->data;
	(void)flags;
	if (nread <= 0 || !from || from->sa_family != AF_INET || c->state == LC_FAILED || c->state == LC_DONE)
		return;
	const struct sockaddr_in *s = (const struct sockaddr_in *)from;
	if (memcmp(&s->sin_addr, c->L->o.server.ip, 4))
		return;
	uint64_t now = load_now(c->L);
	uint8_t *p = (uint8_t *)buf->base;
	size_t n = (size_t)nread, skip = 0;
	uint16_t port = ntohs(s->sin_port);
	if (port == NATT_PORT_IKE) {
		ike_rx(c, p, n, now);
	} else if (port == NATT_PORT_NATT) {
		enum natt_kind k = natt_classify(p, n, &skip);
		struct rp_addr src = c->L->o.server;
		src.port = port;
		if (k == NATT_IKE)
			ike_rx(c, p + skip, n - skip, now);
		else if (k == NATT_ESP)
			esp_rx(c, p, n, &src, now);
	}
	if (c->state != LC_FAILED && c->state != LC_DONE)
		schedule(c);
}

/* ---- timers ---- */

static void on_timer(uv_timer_t *tm)
{
	struct load_client *c = tm->data;
	struct load *L = c->L;
	uint64_t now = load_now(L);
	if (c->state == LC_FAILED || c->state == LC_DONE)
		return;
	if (c->state == LC_WAIT) {
		if (now < c->restart_at)
			return schedule(c);
		L->waiting--;
		if (!L->restart_ok) { /* the run is ending */
			c->state = LC_FAILED;
			return load_client_close(c);
		}
		L->started++;
		L->restarts++;
		load_client_begin(c);
		return;
	}
	if (c->state != LC_UP && now >= c->conn_deadline) {
		const char *ph = c->state == LC_IKE ? waiting_for[c->ike->step] : "PPP";
		if (c->state == LC_L2TP && !c->lac->sccrp)
			ph = "SCCRP";
		else if (c->state == LC_L2TP && (!c->lac->nsess || !c->lac->s[0].icrp))
			ph = "ICRP";
		return load_client_fail(c, "timeout_waiting_for_%s", ph);
	}
	if (c->retx_at && now >= c->retx_at && c->last_out) {
		if (c->tries >= RETX_TRIES)
			return load_client_fail(c, "timeout_waiting_for_%s",
			                        waiting_for[c->ike->step] ? waiting_for[c->ike->step] : "?");
		send_ike(c, c->last_out, c->last_out_len, false);
		c->tries++;
		c->retx_at = now + RETX_MS;
	}
	if (c->lac && l2tp_lac_deadline(c->lac) <= now) {
		l2tp_lac_tick(c->lac, now);
		lac_check(c, now);
		if (c->state == LC_FAILED)
			return;
	}
	if (c->state == LC_UP && L->traffic_on && L->o.pps && now >= c->ping_at) {
		if (L->o.stream_to) {
			stream(c, now);
			c->ping_at = now + stream_interval(L);
		} else {
			ping(c);
			c->ping_at = now + 1000 / L->o.pps;
		}
	}
	if (c->state == LC_UP && L->o.dpd_s && now >= c->dpd_at) {
		if (c->dpd_miss >= DPD_MISSES)
			return load_client_fail(c, "dpd:server_dead");
		static uint8_t out[IKE_MAXBUF];
		uint8_t ck[16], seq[4];
		memcpy(ck, c->ike->icky, 8);
		memcpy(ck + 8, c->ike->rcky, 8);
		rp_put_u32(seq, ++c->dpd_seq);
		size_t n = ike_cli_info(c->ike, false, ISAKMP_PROTO_ISAKMP, ck, 16, ISAKMP_N_DPD_R_U_THERE,
		                        seq, 4, out, sizeof out);
		if (n)
			send_ike(c, out, n, false);
		c->dpd_miss++;
		/* RFC 3706 §5.5: retries come faster than the idle interval */
		c->dpd_at = now + (c->dpd_miss ? 1000 : (uint64_t)L->o.dpd_s * 1000);
	}
	if (c->state == LC_UP && now >= c->ka_at) {
		static const uint8_t ka = NATT_KEEPALIVE_BYTE;
		send_to(c, NATT_PORT_NATT, &ka, 1);
		c->ka_at = now + KA_MS;
	}
	schedule(c);
}

static void schedule(struct load_client *c)
{
	uint64_t now = load_now(c->L), d = UINT64_MAX;
	if (c->state == LC_WAIT) {
		uv_timer_start(&c->timer, on_timer, c->restart_at > now ? c->restart_at - now : 0, 0);
		return;
	}
	if (c->state != LC_UP)
		d = c->conn_deadline;
	if (c->retx_at && c->last_out && c->retx_at < d)
		d = c->retx_at;
	if (c->lac) {
		uint64_t x = l2tp_lac_deadline(c->lac);
		d = x < d ? x : d;
	}
	if (c->state == LC_UP) {
		if (c->L->traffic_on && c->L->o.pps && c->ping_at < d)
			d = c->ping_at;
		if (c->ka_at < d)
			d = c->ka_at;
		if (c->L->o.dpd_s && c->dpd_at < d)
			d = c->dpd_at;
	}
	if (d == UINT64_MAX)
		return;
	uv_timer_start(&c->timer, on_timer, d > now ? d - now : 0, 0);
}

int load_client_start(struct load *L, struct load_client *c)
{
	uint64_t now = load_now(L);
	c->L = L;
	c->t_start = now;
	c->conn_deadline = now + (uint64_t)L->o.timeout_s * 1000;
	c->state = LC_IKE;
	snprintf(c->user, sizeof c->user, L->o.user, L->o.first + c->idx);
	if (uv_timer_init(L->loop, &c->timer) == 0)
		c->have_timer = true;
	c->timer.data = c;
	int r = uv_udp_init(L->loop, &c->udp);
	if (r) {
		load_client_fail(c, "local:socket_%s", uv_err_name(r));
		return r;
	}
	c->have_udp = true;
	c->udp.data = c;
	struct sockaddr_in me = {.sin_family = AF_INET};
	if (L->o.src_lo) {
		uint32_t span = L->o.src_hi - L->o.src_lo + 1;
		me.sin_addr.s_addr = htonl(L->o.src_lo + c->idx % span);
	}
	int len = sizeof me;
	if ((r = uv_udp_bind(&c->udp, (const struct sockaddr *)&me, 0)) ||
	    (r = uv_udp_getsockname(&c->udp, (struct sockaddr *)&me, &len)) ||
	    (r = uv_udp_recv_start(&c->udp, on_alloc, on_recv))) {
		load_client_fail(c, "local:bind_%s", uv_err_name(r));
		return r;
	}
	rp_addr_v4(&c->local, ntohl(me.sin_addr.s_addr), ntohs(me.sin_port));
	uv_os_fd_t ufd;
	if (L->o.stream_to && uv_fileno((uv_handle_t *)&c->udp, &ufd) == 0) {
		/* a stream from behind the server (net_bench.sh --reverse) arrives in bursts while the
		 * loop sends: 4 MiB instead of ~90 datagrams (the default 208 KiB) */
		int v = 4 << 20;
		if (setsockopt(ufd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v))
			(void)setsockopt(ufd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
	}
	if (!L->o.src_lo) {
		/* bound to any: the source address the kernel would pick towards the server */
		struct sockaddr_in sv = sin_of(&L->o.server, NATT_PORT_IKE), pm;
		socklen_t pl = sizeof pm;
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd >= 0 && connect(fd, (const struct sockaddr *)&sv, sizeof sv) == 0 &&
		    getsockname(fd, (struct sockaddr *)&pm, &pl) == 0)
			memcpy(c->local.ip, &pm.sin_addr, 4);
		if (fd >= 0)
			close(fd);
	}
	return load_client_begin(c);
}

/* One connection from the client's socket: a fresh SPI, IKE SA and MM1. */
int load_client_begin(struct load_client *c)
{
	struct load *L = c->L;
	uint64_t now = load_now(L);
	c->t_start = now;
	c->conn_deadline = now + (uint64_t)L->o.timeout_s * 1000;
	c->state = LC_IKE;
	if (esp_spi_alloc(L->sad, now, &c->spi_in)) {
		load_client_fail(c, "local:no_SPI");
		return -ENOSPC;
	}
	struct ike_cli_conf cf = L->icf;
	c->l2tp_port = L->o.l2tp_port_base ? (uint16_t)(L->o.l2tp_port_base + c->idx) : L2TP_PORT;
	cf.client_port = c->l2tp_port;
	cf.local = c->local;
	cf.remote = L->o.server;
	cf.remote.port = NATT_PORT_IKE;
	cf.spi_in = c->spi_in;
	c->ike = ike_cli_new(&cf, &L->rng);
	static uint8_t out[IKE_MAXBUF];
	size_t n = c->ike ? ike_cli_start(c->ike, out, sizeof out) : 0;
	if (!n) {
		load_client_fail(c, "local:ike_start");
		return -ENOMEM;
	}
	send_ike(c, out, n, true);
	schedule(c);
	return 0;
}

/* StopCCN, then ESP and ISAKMP DELETE: what a client says when the user disconnects. */
static void goodbye(struct load_client *c, uint64_t now)
{
	static uint8_t out[IKE_MAXBUF];
	{
		if (c->lac && c->lac->sccrp)
			l2tp_lac_stopccn(c->lac, now);
		struct ike_cli *t = c->ike;
		uint8_t spi[16];
		rp_put_u32(spi, t->spi_i);
		size_t n = ike_cli_info(t, true, ISAKMP_PROTO_ESP, spi, 4, 0, NULL, 0, out, sizeof out);
		if (n)
			send_ike(c, out, n, false);
		memcpy(spi, t->icky, 8);
		memcpy(spi + 8, t->rcky, 8);
		n = ike_cli_info(t, true, ISAKMP_PROTO_ISAKMP, spi, 16, 0, NULL, 0, out, sizeof out);
		if (n)
			send_ike(c, out, n, false);
	}
}

void load_client_stop(struct load_client *c)
{
	uint64_t now = load_now(c->L);
	if (c->state == LC_UP || c->state == LC_L2TP)
		goodbye(c, now);
	if (c->state == LC_WAIT)
		c->L->waiting--;
	if (c->state == LC_UP)
		c->L->up--;
	if (c->state != LC_FAILED)
		c->state = LC_DONE;
	load_client_close(c);
}
