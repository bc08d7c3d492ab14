/* The event loop: every socket, the TUN device, signals and the summary timer. */
#include <errno.h>
#include <signal.h>
#include <netinet/in.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <linux/virtio_net.h>
#include <unistd.h>

#include "srv_local.h"
#include "srv_policy.h"
#include "srv_monitor.h"
#include "srv_radius.h"

uint64_t srv_now(struct srv *s)
{
	return uv_now(&s->loop);
}

void srv_sockaddr(const struct rp_addr *a, unsigned port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (a->family == 4) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		memcpy(&in->sin_addr, a->ip, 4);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		memcpy(&in6->sin6_addr, a->ip, 16);
	}
}

void srv_from_sockaddr(const struct sockaddr *sa, struct rp_addr *a)
{
	memset(a, 0, sizeof *a);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		a->family = 4;
		memcpy(a->ip, &in->sin_addr, 4);
		a->port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		a->family = 6;
		memcpy(a->ip, &in6->sin6_addr, 16);
		a->port = ntohs(in6->sin6_port);
	}
}

static uint64_t log_clock(void *ctx)
{
	return srv_now(ctx);
}

void srv_apply_log(struct srv *s)
{
	s->log.level = (int)s->conf->ipsecdiagnostics;
	s->log.ikelogging = s->conf->ikelogging;
	s->log.interval_s = s->conf->ipsecloginterval;
	/* issue 12: a global budget of lines per 10 s, whatever floods us */
	rp_log_budget(&s->log, s->conf->log_line_budget, 10000, log_clock, s);
}

/* ---- UDP ---- */

static void udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct srv_udp *u = h->data;
	(void)suggested;
	buf->base = (char *)u->buf;
	buf->len = SRV_MMSG * SRV_DGRAM;
}

/* One datagram from a UDP socket (libuv's receive callback, or a segment of a GRO batch). */
void srv_udp_datagram(struct srv_udp *u, uint8_t *p, size_t n, const struct sockaddr *addr)
{
	struct rp_pkt pkt = {.data = p, .len = n, .rx_ms = srv_now(u->s)};
	srv_from_sockaddr(addr, &pkt.src);
	pkt.dst = u->local;
	enum disp_proto cls = disp_packet(&u->s->disp, DT_UDP, &pkt);
	if (cls != DP_COUNT)
		srv_core_udp(u->s, cls, p, n, &pkt.src, &pkt.dst);
}

static void udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
                     unsigned flags)
{
	struct srv_udp *u = h->data;
	if (nread < 0) {
		rp_logf(&u->s->log, RP_LOG_ERR, "server", "UDP receive error: %s", uv_strerror((int)nread));
		return;
	}
	if (!addr || (flags & UV_UDP_MMSG_FREE)) {
		/* end of a batch (the buffer is reused by the next one), or nothing read */
		srv_tunq_flush(u->s);
		return;
	}
	if (flags & UV_UDP_PARTIAL) {
		disp_drop(&u->s->disp, DP_OTHER, "datagram larger than 64 KiB");
		return;
	}
	srv_udp_datagram(u, (uint8_t *)buf->base, (size_t)nread, addr);
	if (!(flags & UV_UDP_MMSG_CHUNK))
		srv_tunq_flush(u->s); /* a single read: its buffer is reused at once */
}

static void flush_udp(struct srv *s, struct srv_udp *u)
{
	struct srv_txq *q = u->txq;
	int fd;
	if (!q || !q->n || uv_fileno((uv_handle_t *)&u->h, &fd))
		return;
	unsigned done = s->udp_gso && q->n > 1 ? srv_flush_gso(s, fd, q) : 0;
	if (done == q->n) {
		q->n = 0;
		return;
	}
	unsigned start = done;
	while (done < q->n) {
		int k = sendmmsg(fd, q->msg + done, q->n - done, MSG_DONTWAIT);
		if (k < 0) {
			/* UDP: a full socket buffer drops, as the network would; report it once per batch */
			rp_logf(&s->log, RP_LOG_WARN, "server", "UDP send of %u datagrams failed: %s",
			        q->n - done, strerror(errno));
			break;
		}
		done += (unsigned)k;
	}
	s->tx_batches++;
	s->tx_datagrams += done - start;
	q->n = 0;
}

static void flush_all(struct srv *s)
{
	for (unsigned i = 0; i < s->n_listen; i++)
		for (int k = 0; k < SRV_NUDP; k++)
			flush_udp(s, &s->udp[i][k]);
	s->txslot_next = 0; /* every queued datagram is sent: the slots are free */
}

/* After each loop iteration's I/O: the cores' ticks and timer for the whole batch of packets just
 * read, then every datagram queued meanwhile in one sendmmsg per socket. */
void srv_flush(uv_check_t *h)
{
	struct srv *s = h->data;
	if (s->core_due && s->core)
		srv_core_run(s);
	srv_tunq_flush(s);
	flush_all(s);
}

static void queue_at(struct srv_txq *q, unsigned i, const struct sockaddr_storage *to, uint8_t *p, size_t n)
{
	q->to[i] = *to;
	q->iov[i].iov_base = p;
	q->iov[i].iov_len = n;
	memset(&q->msg[i], 0, sizeof q->msg[i]);
	q->msg[i].msg_hdr.msg_name = &q->to[i];
	q->msg[i].msg_hdr.msg_namelen =
	    to->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	q->msg[i].msg_hdr.msg_iov = &q->iov[i];
	q->msg[i].msg_hdr.msg_iovlen = 1;
}

void srv_udp_queue_buf(struct srv *s, struct srv_udp *u, const struct sockaddr_storage *to, struct rp_buf *b)
{
	struct srv_txq *q = u->txq;
	if (!s->txslots || s->txslot_next >= SRV_TX_SLOTS ||
	    b->base != s->txslots + (size_t)s->txslot_next * s->txslot_size) {
		srv_udp_queue(s, u, to, rp_buf_data(b), b->len);
		return;
	}
	if (q->n == SRV_TXQ)
		flush_udp(s, u);
	s->txslot_next++;
	s->tx_inplace++;
	queue_at(q, q->n++, to, rp_buf_data(b), b->len);
}

void srv_udp_queue(struct srv *s, struct srv_udp *u, const struct sockaddr_storage *to, const uint8_t *p,
                   size_t n)
{
	struct srv_txq *q = u->txq;
	if (n > SRV_TXQ_SLOT) {
		uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
		int rc = uv_udp_try_send(&u->h, &b, 1, (const struct sockaddr *)to);
		if (rc < 0)
			rp_logf(&s->log, RP_LOG_WARN, "server", "UDP send of %zu bytes failed: %s", n,
			        uv_strerror(rc));
		return;
	}
	if (q->n == SRV_TXQ)
		flush_udp(s, u);
	unsigned i = q->n++;
	memcpy(q->data[i], p, n);
	s->tx_copied++;
	queue_at(q, i, to, q->data[i], n);
}

/* Clients' packets arrive in bursts (every client's keepalive, DPD and echo on the same second,
 * thousands of handshakes after an outage) while the loop may be busy with a DH: the kernel's
 * default 208 KiB holds ~200 small datagrams and dropped a third of a 1000-packet burst in
 * tests/load (Udp RcvbufErrors). 4 MiB (the kernel doubles it), forced past net.core.rmem_max
 * while we still are root; the ordinary call (capped at rmem_max) otherwise. */
#define SRV_UDP_RCVBUF (4 << 20)

static void udp_rcvbuf(uv_udp_t *h)
{
	uv_os_fd_t fd;
	int v = SRV_UDP_RCVBUF;
	if (uv_fileno((uv_handle_t *)h, &fd))
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v))
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
}

static int open_udp(struct srv *s, struct srv_udp *u, const struct rp_addr *addr, unsigned port, char *err,
                    size_t errlen)
{
	struct sockaddr_storage ss;
	char a[RP_ADDR_STRLEN];
	u->s = s;
	u->local = *addr;
	u->local.port = (uint16_t)port;
	u->buf = malloc(SRV_MMSG * SRV_DGRAM);
	u->txq = calloc(1, sizeof *u->txq);
	if (!u->buf || !u->txq) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rc = uv_udp_init_ex(&s->loop, &u->h, (addr->family == 4 ? AF_INET : AF_INET6) | UV_UDP_RECVMMSG);
	if (rc) {
		free(u->buf);
		u->buf = NULL;
		snprintf(err, errlen, "UDP socket: %s", uv_strerror(rc));
		return -1;
	}
	u->h.data = u;
	srv_sockaddr(addr, port, &ss);
	/* No SO_REUSEADDR: a port that another daemon holds must be a clear error, not a silent split. */
	rc = uv_udp_bind(&u->h, (const struct sockaddr *)&ss, addr->family == 6 ? UV_UDP_IPV6ONLY : 0);
	if (!rc) {
		udp_rcvbuf(&u->h);
		/* [server] udp_gro on the NAT-T port: our own recvmmsg, which sees the GRO control
		 * message libuv does not pass on; libuv's receive otherwise (or when the kernel says no) */
		if (port != s->conf->natt_port || srv_gro_start(s, u))
			rc = uv_udp_recv_start(&u->h, udp_alloc, udp_recv);
	}
	if (rc) {
		snprintf(err, errlen, "cannot listen on UDP %s: %s%s", rp_addr_str(&u->local, a, sizeof a),
		         uv_strerror(rc),
		         rc == UV_EADDRINUSE ? " (is another IPsec/L2TP daemon running?)" : "");
		return -1;
	}
	return 0;
}

/* ---- raw ESP (IP protocol 50), for clients that are not behind a NAT ---- */

static void raw_readable(uv_poll_t *h, int status, int events)
{
	struct srv_raw *r = h->data;
	struct srv *s = r->s;
	(void)events;
	if (status < 0)
		return;
	for (int i = 0; i < SRV_MMSG; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		ssize_t n = recvfrom(r->fd, s->pktbuf, sizeof s->pktbuf, 0, (struct sockaddr *)&ss, &sl);
		if (n < 0)
			return; /* EAGAIN: drained */
		struct rp_pkt pkt = {.data = s->pktbuf, .len = (size_t)n, .rx_ms = srv_now(s)};
		srv_from_sockaddr((struct sockaddr *)&ss, &pkt.src);
		pkt.dst = r->local;
		if (r->local.family == 4) {
			/* IPv4 raw sockets hand us the IP header too (raw(7)); IPv6 ones do not. */
			size_t ihl = n > 0 ? (size_t)(s->pktbuf[0] & 0x0f) * 4 : 0;
			if (ihl < 20 || (size_t)n < ihl) {
				disp_drop(&s->disp, DP_ESP_RAW, "malformed IPv4 header");
				continue;
			}
			pkt.data += ihl;
			pkt.len -= ihl;
		}
		if (disp_packet(&s->disp, DT_ESP, &pkt) != DP_COUNT)
			srv_core_esp(s, s->pktbuf + (pkt.data - s->pktbuf), pkt.len, &pkt.src, &pkt.dst);
		srv_tunq_flush(s); /* pktbuf is read into again */
	}
}

static int open_raw_esp(struct srv *s, struct srv_raw *r, const struct rp_addr *addr, char *err,
                        size_t errlen)
{
	struct sockaddr_storage ss;
	char a[RP_ADDR_STRLEN];
	r->s = s;
	r->local = *addr;
	r->fd = socket(addr->family == 4 ? AF_INET : AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	               IPPROTO_ESP);
	if (r->fd < 0) {
		snprintf(err, errlen, "cannot open the raw ESP socket: %s", strerror(errno));
		return -1;
	}
	srv_sockaddr(addr, 0, &ss);
	if (bind(r->fd, (struct sockaddr *)&ss,
	         addr->family == 4 ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6))) {
		snprintf(err, errlen, "cannot bind the raw ESP socket to %s: %s",
		         rp_addr_ipstr(addr, a, sizeof a), strerror(errno));
		close(r->fd);
		r->fd = -1;
		return -1;
	}
	uv_poll_init(&s->loop, &r->h, r->fd);
	r->h.data = r;
	uv_poll_start(&r->h, UV_READABLE, raw_readable);
	return 0;
}

/* ---- TUN ---- */

/* One IP packet from the TUN in a transmit slot: dispatch, then the session (in place). */
static void tun_packet(struct srv *s, struct rp_buf *b)
{
	const uint8_t *p = rp_buf_data(b);
	size_t n = b->len;
	struct rp_pkt pkt = {.data = p, .len = n, .rx_ms = srv_now(s)};
	if (n >= 20 && p[0] >> 4 == 4) {
		rp_addr_v4(&pkt.src, rp_get_u32(p + 12), 0);
		rp_addr_v4(&pkt.dst, rp_get_u32(p + 16), 0);
	} else if (n >= 40 && p[0] >> 4 == 6) {
		pkt.src.family = pkt.dst.family = 6;
		memcpy(pkt.src.ip, p + 8, 16);
		memcpy(pkt.dst.ip, p + 24, 16);
	}
	if (disp_packet(&s->disp, DT_TUN, &pkt) != DP_COUNT)
		srv_core_tun(s, b);
}

static void tun_readable(uv_poll_t *h, int status, int events)
{
	struct srv *s = h->data;
	(void)events;
	if (status < 0)
		return;
	for (int i = 0; i < SRV_TUN_BATCH; i++) {
		/* straight into the next transmit slot: the layers push their headers in front */
		uint8_t *slot = srv_tx_slot(s);
		size_t cap = s->txslot_size - SRV_TX_HEADROOM - ESP_TAILROOM;
		struct virtio_net_hdr vh;
		struct iovec iov[2] = {{&vh, sizeof vh}, {slot + SRV_TX_HEADROOM, cap}};
		ssize_t n = s->tun_vnet ? readv(s->tun_fd, iov, 2) - (ssize_t)sizeof vh
		                        : read(s->tun_fd, slot + SRV_TX_HEADROOM, cap);
		if (n <= 0)
			return;
		struct rp_buf b;
		rp_buf_view(&b, slot, s->txslot_size, SRV_TX_HEADROOM, (size_t)n);
		if (s->tun_vnet && vh.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
			/* cut into MTU-sized packets, each built in a slot of its own: copied out first,
			 * since the segments take this slot too */
			memcpy(s->tun_gso, rp_buf_data(&b), (size_t)n);
			if (srv_tun_segment(s, s->tun_gso, (size_t)n, &vh, tun_packet))
				disp_drop(&s->disp, DP_TUN, "malformed segmentation offload packet");
			continue;
		}
		if (s->tun_vnet && srv_tun_csum(rp_buf_data(&b), (size_t)n, &vh)) {
			disp_drop(&s->disp, DP_TUN, "bad checksum offsets");
			continue;
		}
		tun_packet(s, &b);
	}
}

uint8_t *srv_tx_slot(struct srv *s)
{
	if (s->txslot_next >= SRV_TX_SLOTS)
		flush_all(s); /* every slot holds a queued datagram: send them now */
	return s->txslots + (size_t)s->txslot_next * s->txslot_size;
}

/* ---- signals, timers, lifecycle ---- */

static void on_signal(uv_signal_t *h, int signum)
{
	struct srv *s = h->data;
	char err[512];
	if (signum == SIGHUP) {
		srv_notify("RELOADING=1");
		srv_reload(s, "SIGHUP", NULL, NULL, err, sizeof err);
		srv_notify("READY=1");
	} else {
		srv_notify("STOPPING=1");
		srv_stop(s, signum == SIGTERM ? "SIGTERM" : "SIGINT");
	}
}

static void on_summary(uv_timer_t *t)
{
	struct srv *s = t->data;
	const struct disp_stats *st = &s->disp.st;
	rp_log_flush(&s->log);
	rp_logf(&s->log, RP_LOG_INFO, "server",
	        "summary: ike %llu, esp-in-udp %llu, esp %llu, l2tp %llu, tun %llu packets; %llu drop lines "
	        "suppressed",
	        (unsigned long long)st->seen[DP_IKE], (unsigned long long)st->seen[DP_ESP_UDP],
	        (unsigned long long)st->seen[DP_ESP_RAW], (unsigned long long)st->seen[DP_L2TP],
	        (unsigned long long)st->seen[DP_TUN], (unsigned long long)s->log.total_suppressed);
}

static void on_keepalive(uv_timer_t *t)
{
	srv_core_keepalives(t->data);
}

static void restart_summary(struct srv *s)
{
	uint64_t ms = (uint64_t)s->conf->ipsecloginterval * 1000u;
	uv_timer_start(&s->summary, on_summary, ms, ms);
	ms = (uint64_t)s->conf->natt_keepalive * 1000u;
	if (ms)
		uv_timer_start(&s->keepalive, on_keepalive, ms, ms);
	else
		uv_timer_stop(&s->keepalive);
}

/* One report line of keys ("applied: ike.psk ppp.dns"), cut at the buffer's end with "...". */
static void report_keys(struct srv *s, const struct conf *a, const struct conf *b, bool restart,
                        const char *label, void (*line)(void *ctx, const char *text), void *ctx)
{
	char buf[1024];
	size_t n = (size_t)snprintf(buf, sizeof buf, "%s:", label), start = n;
	for (size_t i = 0; i < conf_key_count(); i++) {
		if (conf_key_needs_restart(i) != restart || !conf_key_differs(a, b, i))
			continue;
		int w = snprintf(buf + n, sizeof buf - n, " %s.%s", conf_key_section(i), conf_key_name(i));
		if (w < 0 || (size_t)w >= sizeof buf - n) {
			snprintf(buf + sizeof buf - 5, 5, " ...");
			break;
		}
		n += (size_t)w;
	}
	if (n == start) {
		if (restart)
			return; /* nothing pending: no line */
		snprintf(buf + n, sizeof buf - n, " nothing changed");
	}
	rp_logf(&s->log, RP_LOG_NOTICE, "server", "reload %s", buf);
	if (line)
		line(ctx, buf);
}

int srv_reload(struct srv *s, const char *why, void (*line)(void *ctx, const char *text), void *ctx,
               char *err, size_t errlen)
{
	struct conf *c = srv_load_conf(s->conf_path, err, errlen);
	if (!c || srv_core_reconf(s, c, err, errlen)) {
		rp_logf(&s->log, RP_LOG_ERR, "server",
		        "reload (%s) refused, keeping the running configuration: %s", why, err);
		conf_unref(c);
		return -1;
	}
	struct conf *old = s->conf;
	s->conf = c;
	srv_policy_conf(s); /* dns/wins server types follow [ppp] dns, wins */
	/* applied: what changed since the last snapshot; restart needed: what differs from start */
	report_keys(s, old, c, false, "applied", line, ctx);
	report_keys(s, s->boot, c, true, "restart needed", line, ctx);
	conf_unref(old);
	srv_apply_log(s);
	restart_summary(s);
	rp_logf(&s->log, RP_LOG_NOTICE, "server", "configuration reloaded from %s (%s)", s->conf_path, why);
	return 0;
}

static void close_cb(uv_handle_t *h)
{
	(void)h;
}

static void close_all(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, close_cb);
}

static void finish_stop(struct srv *s)
{
	srv_core_delete_sas(s);
	srv_flush(&s->flush); /* the DELETEs go out before the sockets close */
	if (s->ctl_open)
		unlink(s->boot->control_socket);
	uv_walk(&s->loop, close_all, NULL);
}

/* Checks every 20 ms whether the sessions have closed and their accounting records (RADIUS
 * Stops, and what an outage held back) are acknowledged; gives up after STOP_GRACE_MS so that
 * SIGTERM always ends rampartd within a second. */
#define STOP_GRACE_MS 600
static void stop_poll(uv_timer_t *t)
{
	struct srv *s = t->data;
	bool done = srv_core_sessions(s) == 0 && srv_radius_stopping(s) == 0;
	if (done || srv_now(s) - s->stop_started_ms >= STOP_GRACE_MS) {
		uv_timer_stop(t);
		finish_stop(s);
	}
}

void srv_stop(struct srv *s, const char *why)
{
	if (s->stopping)
		return;
	s->stopping = true;
	rp_logf(&s->log, RP_LOG_NOTICE, "server", "stopping (%s)", why);
	s->stop_started_ms = srv_now(s);
	if (srv_core_close_sessions(s) == 0 && srv_radius_stopping(s) == 0) {
		finish_stop(s);
		return;
	}
	uv_timer_start(&s->summary, stop_poll, 20, 20); /* the summary timer is not needed any more */
}

static bool is_any(const struct rp_addr *a)
{
	static const uint8_t zero[16];
	return memcmp(a->ip, zero, a->family == 4 ? 4 : 16) == 0;
}

/* The configured addresses, with 0.0.0.0 / :: replaced by the host's addresses of that family
 * (interfaces that are up; IPv6 link-local ones left out, they would need a scope). Addresses
 * added later need a restart. */
static unsigned expand_listen(const struct conf *c, struct rp_addr *out)
{
	unsigned n = 0;
	struct ifaddrs *ifs = NULL;
	for (unsigned i = 0; i < c->n_listen; i++) {
		const struct rp_addr *a = &c->listen[i];
		if (!is_any(a)) {
			if (n < SRV_MAX_LISTEN)
				out[n++] = *a;
			continue;
		}
		if (!ifs && getifaddrs(&ifs))
			continue;
		for (struct ifaddrs *f = ifs; f; f = f->ifa_next) {
			struct rp_addr x;
			if (!f->ifa_addr || !(f->ifa_flags & IFF_UP))
				continue;
			srv_from_sockaddr(f->ifa_addr, &x);
			if (x.family != a->family ||
			    (x.family == 6 && x.ip[0] == 0xfe && (x.ip[1] & 0xc0) == 0x80))
				continue;
			x.port = 0;
			bool dup = false;
			for (unsigned j = 0; j < n; j++)
				dup |= rp_addr_ipeq(&out[j], &x);
			if (!dup && n < SRV_MAX_LISTEN)
				out[n++] = x;
		}
	}
	if (ifs)
		freeifaddrs(ifs);
	return n;
}

/* What every daemon object has, sockets or not: the snapshots, the loop, the log, dispatch and the
 * timers. Takes conf (released on failure too). */
static struct srv *srv_alloc(struct conf *conf, const char *conf_path, char *err, size_t errlen)
{
	struct srv *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		conf_unref(conf);
		return NULL;
	}
	s->conf = conf;
	s->boot = conf_ref(conf);
	s->tun_fd = -1;
	for (unsigned i = 0; i < SRV_MAX_LISTEN; i++)
		s->esp[i].fd = -1;
	snprintf(s->conf_path, sizeof s->conf_path, "%s", conf_path);
	uv_loop_init(&s->loop);
	rp_log_init(&s->log, (int)conf->ipsecdiagnostics, NULL, NULL);
	srv_apply_log(s);
	disp_init(&s->disp, &s->log, conf->ike_port, conf->natt_port, conf->l2tp_port);
	uv_timer_t *timers[] = {&s->core_timer, &s->summary, &s->keepalive};
	for (int i = 0; i < 3; i++) {
		uv_timer_init(&s->loop, timers[i]);
		timers[i]->data = s;
	}
	return s;
}

struct srv *srv_new(struct conf *conf, const char *conf_path, bool foreground, char *err, size_t errlen)
{
	struct srv *s = srv_alloc(conf, conf_path, err, errlen);
	if (!s)
		return NULL;
	s->foreground = foreground;
	/* A write to a peer that has gone must fail with EPIPE, not end the daemon: libuv writes
	 * stream sockets with write(2), so a control client that closes before reading its answer
	 * (rampartctl show sas | head -1) raised SIGPIPE, whose default action killed rampartd and
	 * every tunnel with it (issue 10). Nothing here wants the signal: every writer checks errors. */
	struct sigaction ign = {.sa_handler = SIG_IGN};
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, NULL);

	const unsigned ports[SRV_NUDP] = {conf->ike_port, conf->natt_port, conf->l2tp_port};
	s->udp_gro = conf->udp_gro; /* open_udp starts it on the NAT-T sockets, or says why not */
	snprintf(s->offloads_gro, sizeof s->offloads_gro, "udp_gro=%s", conf->udp_gro ? "on" : "off(config)");
	unsigned n = expand_listen(conf, s->laddr);
	if (n == 0) {
		snprintf(err, errlen, "no local address to listen on");
		goto fail;
	}
	for (unsigned i = 0; i < n; i++, s->n_listen++) {
		for (int k = 0; k < SRV_NUDP; k++)
			if (open_udp(s, &s->udp[i][k], &s->laddr[i], ports[k], err, errlen))
				goto fail;
		if (conf->raw_esp && open_raw_esp(s, &s->esp[i], &s->laddr[i], err, errlen))
			goto fail;
	}
	srv_offloads_setup(s);
	if (srv_tun_open(conf, &s->tun_fd, err, errlen))
		goto fail;
	snprintf(s->offloads_tun, sizeof s->offloads_tun, "tun_offload=off(config)");
	if (conf->tun_offload) {
		s->tun_vnet = true; /* srv_tun_open asked for IFF_VNET_HDR */
		srv_tun_offload_setup(s->tun_fd, s->offloads_tun, sizeof s->offloads_tun);
	}
	s->tun_coalesce = conf->tun_coalesce && s->tun_vnet;
	size_t ol = strlen(s->offloads_tun);
	snprintf(s->offloads_tun + ol, sizeof s->offloads_tun - ol, " tun_coalesce=%s",
	         s->tun_coalesce      ? "on"
	         : conf->tun_coalesce ? "off(needs:tun_offload)"
	                              : "off(config)");
	/* with offloads one read may carry 64 KiB, so every slot can take one */
	s->txslot_size = s->tun_vnet ? SRV_TX_SLOT_GSO : SRV_TX_SLOT;
	if (s->tun_vnet && !(s->tun_gso = malloc(SRV_TX_SLOT_GSO))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (!(s->txslots = malloc((size_t)SRV_TX_SLOTS * s->txslot_size))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	uv_poll_init(&s->loop, &s->tun_poll, s->tun_fd);
	s->tun_poll.data = s;
	uv_poll_start(&s->tun_poll, UV_READABLE, tun_readable);
	s->tun_open = true;
	if (srv_ctl_start(s, err, errlen))
		goto fail;
	if (srv_core_init(s, err, errlen))
		goto fail;
	if (srv_monitor_start(s, err, errlen))
		goto fail;
	uv_check_init(&s->loop, &s->flush);
	s->flush.data = s;
	uv_check_start(&s->flush, srv_flush);

	uv_signal_t *sigs[] = {&s->sig_term, &s->sig_int, &s->sig_hup};
	const int nums[] = {SIGTERM, SIGINT, SIGHUP};
	for (int i = 0; i < 3; i++) {
		uv_signal_init(&s->loop, sigs[i]);
		sigs[i]->data = s;
		uv_signal_start(sigs[i], on_signal, nums[i]);
	}
	restart_summary(s);
	return s;
fail:
	srv_free(s);
	return NULL;
}

/* The cores and the control handler without sockets, TUN, signals or control socket: what a
 * fuzz target and the glue's unit tests drive. Packets the cores send go nowhere. */
struct srv *srv_new_detached(struct conf *conf, const char *conf_path, char *err, size_t errlen)
{
	struct srv *s = srv_alloc(conf, conf_path, err, errlen);
	if (s && srv_core_init(s, err, errlen)) {
		srv_free(s);
		return NULL;
	}
	return s;
}

void srv_core_timer_cb(uv_timer_t *t)
{
	srv_core_run(t->data);
}

void srv_set_log_sink(struct srv *s, rp_log_sink sink, void *ctx)
{
	s->log.sink = sink;
	s->log.sink_ctx = ctx;
}

int srv_run(struct srv *s)
{
	char a[RP_ADDR_STRLEN];
	for (unsigned i = 0; i < s->n_listen; i++)
		rp_logf(&s->log, RP_LOG_NOTICE, "server", "listening on %s UDP %u/%u/%u%s",
		        rp_addr_ipstr(&s->laddr[i], a, sizeof a), s->boot->ike_port, s->boot->natt_port,
		        s->boot->l2tp_port, s->boot->raw_esp ? " and ESP" : "");
	rp_logf(&s->log, RP_LOG_NOTICE, "server", "TUN %s %s/%u, control socket %s", s->boot->tun_name,
	        rp_addr_ipstr(&s->boot->tun_addr, a, sizeof a), s->boot->tun_prefix, s->boot->control_socket);
	rp_logf(&s->log, RP_LOG_NOTICE, "server", "data path: %s %s %s", s->offloads, s->offloads_gro,
	        s->offloads_tun);
	uv_run(&s->loop, UV_RUN_DEFAULT);
	return 0;
}

void srv_free(struct srv *s)
{
	if (!s)
		return;
	if (!s->stopping) {
		s->stopping = true;
		if (s->ctl_open)
			unlink(s->boot->control_socket);
		uv_walk(&s->loop, close_all, NULL);
	}
	uv_run(&s->loop, UV_RUN_DEFAULT); /* let the close callbacks run */
	uv_loop_close(&s->loop);
	srv_monitor_free(s);
	for (unsigned i = 0; i < SRV_MAX_LISTEN; i++) {
		for (int k = 0; k < SRV_NUDP; k++) {
			srv_gro_free(&s->udp[i][k]);
			free(s->udp[i][k].buf);
			free(s->udp[i][k].txq);
		}
		if (s->esp[i].fd >= 0)
			close(s->esp[i].fd);
	}
	if (s->tun_fd >= 0)
		close(s->tun_fd);
	free(s->txslots);
	free(s->tun_gso);
	srv_core_free(s);
	conf_unref(s->conf);
	conf_unref(s->boot);
	free(s);
}

struct conf *srv_load_conf(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct conf_parser *p = conf_parser_new(path);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while (p && (n = getline(&line, &cap, f)) >= 0)
		if (conf_parser_line(p, line, (size_t)n && line[n - 1] == '\n' ? (size_t)n - 1 : (size_t)n))
			break;
	if (line) {
		rp_wipe(line, cap);
		free(line);
	}
	fclose(f);
	struct conf *c = p ? conf_parser_finish(p) : NULL;
	if (!c)
		snprintf(err, errlen, "%s", p ? conf_parser_error(p) : "out of memory");
	conf_parser_free(p);
	/* Whoever can write the file decides who gets in; whoever can read a PSK or tunnel secret
	 * can impersonate the server. Refused (also on reload), naming the path and the mode. */
	unsigned need =
	    RP_MODE_NO_GROUP_WRITE | (c && (c->psk[0] || c->tunnel_secret[0]) ? RP_MODE_NO_OTHER_READ : 0);
	int pm = c ? rp_path_private(path, need, err, errlen) : 0;
	if (pm && pm != -EISDIR) { /* a pipe (--config /dev/stdin) keeps nothing for others to read */
		conf_unref(c);
		c = NULL;
	}
	return c;
}
