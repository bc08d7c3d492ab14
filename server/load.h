/* rampart-load: an L2TP/IPsec client generator built from rampart's own cores in the client role
 * (ike_cli.h, esp.h, l2tp_lac.h, ppp_cli.h) over real UDP sockets, one libuv loop for every
 * client.
 *
 *   load.c         options, the start schedule (--rate), progress and final figures, teardown
 *   load_client.c  one client: its socket, timer, IKE (MM/QM, NAT-T float, DPD answers), ESP SA
 *                  pair in the generator's SAD, LAC + PPP, ICMP echo traffic, NAT keepalives;
 *                  with --tun, the one client's IP packets to and from an existing TUN device, so
 *                  the kernel's own TCP/UDP runs through the tunnel (tests/server/tunnel_tcp.sh)
 *
 * Per-client work is driven by the client's own socket and libuv timer (libuv keeps timers in a
 * heap); ESP is demultiplexed by SPI through the SAD's hash: nothing scans all clients per packet
 * or per timer. */
#ifndef RP_LOAD_H
#define RP_LOAD_H

#include <uv.h>

#include "esp.h"
#include "ike_cli.h"
#include "l2tp_lac.h"

/* LC_WAIT: down (failed, dropped or cycled) and due to start again at restart_at (--reconnect,
 * --cycles); its socket and timer stay open, so it reconnects from the same port. */
enum load_state { LC_IDLE = 0, LC_IKE, LC_L2TP, LC_UP, LC_FAILED, LC_DONE, LC_WAIT };

struct load;

struct load_client {
	struct load *L;
	unsigned idx;
	enum load_state state;
	bool have_udp, have_timer;
	uv_udp_t udp;
	uv_timer_t timer;
	struct rp_addr local; /* our socket's address and port */
	struct ike_cli *ike;
	uint8_t *last_out; /* the last IKE message we sent, for retransmission (until L2TP) */
	size_t last_out_len;
	bool last_4500;
	uint32_t last_in_sum; /* the last IKE message received: resent copies are answered again */
	size_t last_in_len;
	int tries;
	uint64_t retx_at, conn_deadline, ping_at, ka_at;
	uint32_t spi_in, in_id, out_id;
	bool sa_installed;
	struct l2tp_lac *lac;
	char user[48];
	uint64_t t_start, t_mm, t_up; /* ms, loop time */
	uint16_t ping_seq;
	int mm_step;          /* ike->step before the last input */
	unsigned cycles_done; /* --cycles: connect/disconnect rounds finished */
	uint64_t restart_at;  /* LC_WAIT: when to begin again */
	uint64_t dpd_at;      /* --dpd: next R-U-THERE (RFC 3706) while up */
	unsigned dpd_miss;    /* R-U-THEREs sent since the last authenticated answer */
	uint32_t dpd_seq;
	uint64_t stream_t0, stream_sent; /* --stream-to: when the hold began, datagrams sent since */
	uint8_t *gso_buf;                /* --gso: the burst's ESP datagrams back to back */
	size_t gso_len, gso_seg;
	unsigned gso_n;
	bool gso_collect;
	uint16_t l2tp_port; /* our inner L2TP port (1701, or --l2tp-port-base + idx) */
};

struct load_opts {
	struct rp_addr server;
	uint8_t psk[256];
	size_t psklen;
	const char *user, *password; /* user may hold one %d (the client's number from --first) */
	unsigned first;
	unsigned clients;
	/* 0: every client's L2TP on port 1701; else client i uses base + i, as NetworkManager-l2tp
	 * picks its own: a server keeps one transport-mode policy per address and port pair, so
	 * clients sharing an address (and a NAT) need distinct ports (strongSwan + xl2tpd do) */
	unsigned l2tp_port_base;
	double rate;
	unsigned hold_s;
	unsigned pps, size;
	uint32_t stream_to; /* --stream-to: UDP datagrams to this address (host order) instead of echoes */
	const char *esp;    /* --esp aes128sha1|aes128gcm|aes256gcm: offer only that ESP transform in
	                     * Quick Mode (AES-CBC-128 + HMAC-SHA1, AES-GCM-128/256); NULL = the
	                     * profile's */
	bool gso;           /* --gso: a client's stream burst leaves as UDP GSO sends (like a NIC's GRO) */
	const char *profile;
	uint16_t group;          /* 0: the profile's proposals */
	uint32_t src_lo, src_hi; /* host order; 0 = any */
	bool fixed_dh, pap;
	unsigned timeout_s;
	bool quiet;
	const char *tun; /* --tun NAME: an existing TUN device carrying client 0's IP packets */
	bool reconnect;  /* a client that fails or is dropped starts again after a second or two */
	unsigned cycles; /* each client connects and disconnects this many times (soak) */
	unsigned dpd_s;  /* send DPD R-U-THERE every dpd_s while up; 3 unanswered: the server is dead */
};

#define LOAD_MAX_REASONS 32

struct load {
	uv_loop_t *loop;
	struct load_opts o;
	struct esp_sad *sad;
	struct rp_rng rng;
	struct rp_log log;
	struct ike_cli_conf icf;
	struct ike_dh *fdh[8];
	size_t nfdh;
	struct load_client *c;
	unsigned started, up, failed, downs;
	uint64_t tx_pkts, rx_pkts;
	uint64_t t0, t_last_up;
	uint32_t *mm_ms, *up_ms;
	unsigned n_mm, n_up;
	bool traffic_on;
	int tun_fd; /* -1 until client 0 is up with --tun */
	uv_poll_t tun_poll;
	bool restart_ok;   /* load.c's phase still lets LC_WAIT clients begin again */
	unsigned n_cap;    /* entries of mm_ms/up_ms (later ups are counted, not recorded) */
	unsigned ups;      /* times a client came up (n_up stops at n_cap) */
	unsigned waiting;  /* clients in LC_WAIT */
	unsigned restarts; /* begins after the first, per client */
	unsigned cycles;   /* polite disconnects by --cycles */
	unsigned told;     /* up clients the server told it was going (DELETE or StopCCN) */
	uint64_t told_last_wall_ms, told_first_wall_ms; /* CLOCK_REALTIME of the first and last */
	struct {
		char why[80];
		unsigned n;
	} reasons[LOAD_MAX_REASONS];
	unsigned nreasons;
};

uint64_t load_now(const struct load *L);
int load_client_start(struct load *L, struct load_client *c);
/* A new connection from a started client's socket (--reconnect, --cycles). */
int load_client_begin(struct load_client *c);
/* Wall-clock milliseconds (CLOCK_REALTIME): comparable with `date +%s%3N` in the scripts. */
uint64_t load_wall_ms(void);
void load_client_fail(struct load_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Ends an up client politely: StopCCN, ESP and ISAKMP DELETE; then closes its handles. */
void load_client_stop(struct load_client *c);
void load_client_close(struct load_client *c);

#endif
