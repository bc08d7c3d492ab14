#ifndef SRV_LOCAL_H
#define SRV_LOCAL_H
#include <uv.h>

#include "srv.h"
#include "srv_core.h"

#define SRV_MMSG 16      /* datagrams per recvmmsg batch */
#define SRV_TUNQ 64      /* packets for the TUN held until the end of a receive batch */
#define SRV_TUNQ_RUN 64  /* at most this many in one coalesced write */
#define SRV_TUN_BATCH 64 /* TUN reads per wakeup: up to one GSO send's worth */
#define SRV_DGRAM 65536  /* libuv's per-datagram slice with UV_UDP_RECVMMSG */
#define SRV_MAX_LISTEN 16

enum srv_udp_kind { SRV_IKE, SRV_NATT, SRV_L2TP, SRV_NUDP };

/* Datagrams queued during one loop iteration and sent with one sendmmsg() when the iteration's
 * I/O is done (a uv_check handle), so a batch of requests read with recvmmsg is answered in a
 * batch too. */
#define SRV_TXQ 32
#define SRV_TXQ_SLOT 2048 /* larger datagrams are sent at once */
/* Transmit slots: the TUN is read straight into one, behind SRV_TX_HEADROOM bytes for PPP, L2TP,
 * inner UDP and ESP headers, and the datagram sendmmsg sends is that memory (srv_udp_queue_buf).
 * A slot is taken when its datagram is queued and every slot is free again once the queues are
 * flushed (srv_flush); when they run out first, the queues are flushed early. */
#define SRV_TX_SLOTS 64
#define SRV_TX_HEADROOM 128
#define SRV_TX_SLOT (SRV_TX_HEADROOM + 9000 + 120)      /* [server] tun_mtu is at most 9000 */
#define SRV_TX_SLOT_GSO (SRV_TX_HEADROOM + 65536 + 128) /* [server] tun_offload: a 64 KiB read */
struct srv_txq {
	unsigned n;
	struct mmsghdr msg[SRV_TXQ];
	/* UDP GSO ([server] udp_gso): runs of msg to one peer, same size, as one message each */
	struct mmsghdr gso[SRV_TXQ];
	unsigned gso_segs[SRV_TXQ];
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} gso_ctl[SRV_TXQ];
	struct iovec iov[SRV_TXQ];
	struct sockaddr_storage to[SRV_TXQ];
	uint8_t data[SRV_TXQ][SRV_TXQ_SLOT];
};

/* [server] udp_gro: the NAT-T socket read by our own recvmmsg (srv_offload.c) */
struct srv_gro {
	uv_poll_t poll;
	int fd; /* a dup of the UDP handle's descriptor */
	struct mmsghdr msg[SRV_MMSG];
	struct iovec iov[SRV_MMSG];
	struct sockaddr_storage from[SRV_MMSG];
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl[SRV_MMSG];
};

struct srv_udp {
	uv_udp_t h;
	struct srv_gro *gro; /* NULL: libuv's receive */
	struct srv *s;
	struct rp_addr local;
	uint8_t *buf; /* SRV_MMSG * SRV_DGRAM bytes, reused for every batch: no per-packet allocation */
	struct srv_txq *txq;
};

struct srv_raw {
	uv_poll_t h;
	int fd;
	struct srv *s;
	struct rp_addr local;
};

struct srv {
	uv_loop_t loop;
	struct conf *conf; /* the snapshot in force (the last one loaded) */
	struct conf *boot; /* the one at start: the keys that need a restart (conf_key_needs_restart) */
	char conf_path[512];
	bool foreground;
	struct rp_log log;
	struct disp disp;
	/* One socket set per local address: a wildcard in listen is expanded to the host's addresses
	 * at start, so that every packet's local address is known (IKE's NAT-D and ID payloads use it)
	 * and replies leave from the address the client talked to. */
	struct rp_addr laddr[SRV_MAX_LISTEN];
	struct srv_udp udp[SRV_MAX_LISTEN][SRV_NUDP];
	struct srv_raw esp[SRV_MAX_LISTEN];
	unsigned n_listen;
	uv_poll_t tun_poll;
	int tun_fd;
	bool tun_open;
	uv_pipe_t ctl;
	bool ctl_open;
	bool ctl_dir_made; /* srv_ctl_start created the socket's directory */
	uv_signal_t sig_term, sig_int, sig_hup;
	uv_timer_t summary;
	uv_timer_t keepalive;  /* [esp] natt_keepalive */
	uv_timer_t core_timer; /* the earliest deadline of any core */
	uv_check_t flush;      /* sends the queued datagrams after each loop iteration's I/O */
	struct srv_core *core;
	struct srv_monitor *mon; /* [monitor] listen; NULL when off */
	bool stopping;
	bool core_due; /* a packet went into the cores since srv_core_run: run it at the batch's end */
	uint64_t tx_batches, tx_datagrams; /* sendmmsg calls and the datagrams they carried */
	uint64_t tx_inplace, tx_copied;    /* queued datagrams sent from their slot / copied into one */
	bool udp_gso;                      /* [server] udp_gso, and the kernel took it */
	uint64_t tx_gso_sends;             /* messages that carried more than one datagram */
	char offloads[128];                /* the data path's choices, as logged at start */
	bool udp_gro;                      /* [server] udp_gro, and the kernel took it */
	char offloads_gro[96];
	uint64_t rx_gro_batches;   /* received messages that carried more than one datagram */
	size_t txslot_size;        /* SRV_TX_SLOT, or SRV_TX_SLOT_GSO with tun_offload */
	bool tun_vnet;             /* [server] tun_offload: IFF_VNET_HDR on the TUN */
	uint8_t *tun_gso;          /* a segmentation offload read, copied out to be cut */
	uint64_t tun_gso_segments; /* packets cut from such reads */
	char offloads_tun[80];
	bool tun_coalesce;           /* [server] tun_coalesce (needs tun_offload's headers) */
	struct iovec tunq[SRV_TUNQ]; /* packets for the TUN from the receive batch (srv_tunq_flush) */
	unsigned tunq_n;
	uint64_t tun_coalesced; /* packets written as part of a coalesced write */
	uint8_t *txslots;       /* SRV_TX_SLOTS * SRV_TX_SLOT */
	unsigned txslot_next;   /* the first free slot */
	uint64_t stop_started_ms;
	uint8_t pktbuf[SRV_DGRAM];
};

int srv_tun_open(const struct conf *c, int *fd, char *err, size_t errlen);
int srv_ctl_start(struct srv *s, char *err, size_t errlen);
/* The control protocol's handler, apart from its socket (rampartd's connections, fuzz_srv_ctl). */
struct srv_ctl_req {
	struct srv *s;
	char *out; /* the answer, grown as needed; the caller frees it */
	size_t outlen, outcap;
	/* A request answered later (radius test waits for a RADIUS server): the handler sets
	 * deferred and, once the answer is complete, srv_ctl_finish calls done. Only a caller that
	 * sets done (a connection) can wait; without it such a request is refused. */
	void (*done)(struct srv_ctl_req *r);
	bool deferred;
};
void srv_ctl_request(struct srv_ctl_req *r, const char *line, size_t len, bool too_long);
/* For a deferred request: a body line, then the end of the answer ("+ok" when err is NULL). */
void srv_ctl_line(void *r, const char *text);
void srv_ctl_finish(struct srv_ctl_req *r, const char *err);
/* Loads the file again and hands it to the cores. Reports "applied: KEY ..." and "restart
 * needed: KEY ..." through line (may be NULL) and the log; -1 (running configuration kept) when
 * the file is invalid or cannot be applied, with the reason in err. */
int srv_reload(struct srv *s, const char *why, void (*line)(void *ctx, const char *text), void *ctx,
               char *err, size_t errlen);
int srv_ctl_hand_over(struct srv *s, uid_t uid, gid_t gid, char *err, size_t errlen);
void srv_stop(struct srv *s, const char *why);
void srv_apply_log(struct srv *s);
uint64_t srv_now(struct srv *s);
void srv_sockaddr(const struct rp_addr *a, unsigned port, struct sockaddr_storage *ss);
void srv_core_timer_cb(uv_timer_t *t);
void srv_udp_queue(struct srv *s, struct srv_udp *u, const struct sockaddr_storage *to, const uint8_t *p,
                   size_t n);
/* The same for a datagram built in b: when b is the current transmit slot it is sent from there
 * (the slot is taken), otherwise copied. */
void srv_udp_queue_buf(struct srv *s, struct srv_udp *u, const struct sockaddr_storage *to, struct rp_buf *b);
void srv_flush(uv_check_t *h);
void srv_from_sockaddr(const struct sockaddr *sa, struct rp_addr *a);
void srv_udp_datagram(struct srv_udp *u, uint8_t *p, size_t n, const struct sockaddr *addr);
/* srv_offload.c */
void srv_offloads_setup(struct srv *s);
unsigned srv_flush_gso(struct srv *s, int fd, struct srv_txq *q);
int srv_gro_start(struct srv *s, struct srv_udp *u); /* -1: use libuv's receive */
void srv_gro_free(struct srv_udp *u);
/* The next transmit slot (the TUN is read into it, or a segment built there); when every slot
 * holds a queued datagram, the queues are sent first. */
uint8_t *srv_tx_slot(struct srv *s);
/* srv_tun_gso.c */
struct virtio_net_hdr;
int srv_tun_offload_setup(int fd, char *what, size_t n);
void srv_tunq_add(struct srv *s, uint8_t *pkt, size_t n);
void srv_tunq_flush(struct srv *s); /* at the end of every receive batch */
int srv_tun_csum(uint8_t *pkt, size_t n, const struct virtio_net_hdr *h);
int srv_tun_segment(struct srv *s, const uint8_t *gso, size_t n, const struct virtio_net_hdr *h,
                    void (*one)(struct srv *s, struct rp_buf *b));
#endif
