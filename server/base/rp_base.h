/* rampart base: the few types every core shares. libc only.
 *
 *   buf.c      rp_buf — packet buffer with headroom, SECRET flag wipes on release
 *   rdwr.c     rp_rd / rp_wr — bounded reader and writer used by every parser and builder
 *   evq.c      rp_evq — FIFO of events a core emits and its caller drains
 *   log.c      rp_log — ipsecdiagnostics levels 0-7, ikelogging switch, rate-limited drop lines,
 *              rp_esc (peer-supplied text made safe for a log line)
 *   fsmode.c   rp_path_private — refuse state directories, stores and secret-holding files others
 *              can write (or read)
 *   rng.c      rp_rng — random-source interface and the seeded deterministic generator for tests
 *   rng_gnutls.c  the production rp_rng over gnutls_rnd (separate library: rp_base is libc only)
 *   addr.c     rp_addr — IPv4/IPv6 address + port, formatting
 *   ct.c       rp_ct_memeq / rp_wipe — constant-time compare and secret wiping
 */
#ifndef RP_BASE_H
#define RP_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- addresses ---------------------------------------------------------------------------- */

struct rp_addr {
	uint8_t family; /* 4 or 6; 0 = unset */
	uint8_t ip[16]; /* IPv4 uses the first 4 bytes */
	uint16_t port;  /* host order */
};

#define RP_ADDR_STRLEN 56 /* "[v6]:port" fits */

int rp_addr_parse(struct rp_addr *a, const char *s); /* "1.2.3.4", "::1"; port left 0 */
const char *rp_addr_str(const struct rp_addr *a, char *out, size_t n); /* "1.2.3.4:500" */
const char *rp_addr_ipstr(const struct rp_addr *a, char *out, size_t n);
bool rp_addr_eq(const struct rp_addr *a, const struct rp_addr *b); /* ip and port */
bool rp_addr_ipeq(const struct rp_addr *a, const struct rp_addr *b);
void rp_addr_v4(struct rp_addr *a, uint32_t ip_host_order, uint16_t port);

/* ---- buffers ------------------------------------------------------------------------------ */

enum { RP_BUF_SECRET = 1u << 0, RP_BUF_OWNED = 1u << 1 };

/* Data lives at base[off .. off+len); [0, off) is headroom for pushing headers in place. */
struct rp_buf {
	uint8_t *base;
	size_t cap;
	size_t off;
	size_t len;
	unsigned flags;
};

int rp_buf_alloc(struct rp_buf *b, size_t headroom, size_t cap, unsigned flags);
void rp_buf_view(struct rp_buf *b, uint8_t *mem, size_t cap, size_t off, size_t len);
void rp_buf_release(struct rp_buf *b); /* wipes if SECRET; frees if OWNED */
/* The Internet checksum (RFC 1071) in two steps, so that pseudo-headers and pieces can be summed
 * separately: rp_sum16 adds big-endian 16-bit words (an odd last byte padded with zero) to a
 * running sum, rp_fold16 folds the carries back in. The checksum field is ~rp_fold16(sum). */
static inline uint32_t rp_sum16(uint32_t s, const uint8_t *p, size_t n)
{
	for (; n > 1; p += 2, n -= 2)
		s += (uint32_t)p[0] << 8 | p[1];
	if (n)
		s += (uint32_t)p[0] << 8;
	return s;
}
static inline uint16_t rp_fold16(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}
/* RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'): the checksum csum after the n bytes old (n even, at an
 * even offset of the summed data) became new_. */
static inline uint16_t rp_csum_replace(uint16_t csum, const uint8_t *old, const uint8_t *new_, size_t n)
{
	uint32_t s = (uint16_t)~csum;
	for (size_t i = 0; i + 1 < n; i += 2) {
		s += (uint16_t) ~((uint32_t)old[i] << 8 | old[i + 1]);
		s += (uint32_t)new_[i] << 8 | new_[i + 1];
	}
	return (uint16_t)~rp_fold16(s);
}

static inline uint8_t *rp_buf_data(const struct rp_buf *b) { return b->base + b->off; }
static inline size_t rp_buf_headroom(const struct rp_buf *b) { return b->off; }
static inline size_t rp_buf_tailroom(const struct rp_buf *b) { return b->cap - b->off - b->len; }
uint8_t *rp_buf_push(struct rp_buf *b, size_t n); /* prepend n bytes; NULL without headroom */
uint8_t *rp_buf_pull(struct rp_buf *b, size_t n); /* strip n bytes in front; NULL if short */
uint8_t *rp_buf_put(struct rp_buf *b, size_t n);  /* append n bytes; NULL without tailroom */
int rp_buf_trim(struct rp_buf *b, size_t n);      /* drop n bytes at the end; -1 if short */

/* ---- bounded reader ----------------------------------------------------------------------- */

/* Every read checks the remaining length first and returns -1 when short, leaving the reader
 * where it was: parsers validate lengths before touching bytes (DESIGN.md convention 4). */
struct rp_rd {
	const uint8_t *p;
	size_t len;
	size_t pos;
};

static inline void rp_rd_init(struct rp_rd *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->pos = 0;
}
static inline size_t rp_rd_left(const struct rp_rd *r) { return r->len - r->pos; }
static inline const uint8_t *rp_rd_ptr(const struct rp_rd *r) { return r->p + r->pos; }
int rp_rd_u8(struct rp_rd *r, uint8_t *v);
int rp_rd_u16(struct rp_rd *r, uint16_t *v); /* network byte order */
int rp_rd_u32(struct rp_rd *r, uint32_t *v);
int rp_rd_u64(struct rp_rd *r, uint64_t *v);
int rp_rd_bytes(struct rp_rd *r, void *out, size_t n);
int rp_rd_ref(struct rp_rd *r, const uint8_t **p, size_t n); /* borrow n bytes in place */
int rp_rd_skip(struct rp_rd *r, size_t n);
int rp_rd_sub(struct rp_rd *r, struct rp_rd *sub, size_t n); /* sub-reader over the next n bytes */

/* ---- bounded writer ----------------------------------------------------------------------- */

/* Errors are sticky: build a whole message, then check rp_wr_ok() once. */
struct rp_wr {
	uint8_t *p;
	size_t cap;
	size_t len;
	bool err;
};

static inline void rp_wr_init(struct rp_wr *w, void *p, size_t cap)
{
	w->p = p;
	w->cap = cap;
	w->len = 0;
	w->err = false;
}
static inline bool rp_wr_ok(const struct rp_wr *w) { return !w->err; }
uint8_t *rp_wr_reserve(struct rp_wr *w, size_t n); /* NULL (and err) without room */
void rp_wr_u8(struct rp_wr *w, uint8_t v);
void rp_wr_u16(struct rp_wr *w, uint16_t v);
void rp_wr_u32(struct rp_wr *w, uint32_t v);
void rp_wr_u64(struct rp_wr *w, uint64_t v);
void rp_wr_bytes(struct rp_wr *w, const void *p, size_t n);
void rp_wr_zero(struct rp_wr *w, size_t n);
void rp_wr_put_u16_at(struct rp_wr *w, size_t at, uint16_t v); /* back-patch a length */

static inline uint16_t rp_get_u16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t rp_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void rp_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void rp_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- packets in --------------------------------------------------------------------------- */

/* What server/ (or a pcap replay) hands a core: bytes, both endpoints, the receive time. */
struct rp_pkt {
	const uint8_t *data;
	size_t len;
	struct rp_addr src, dst;
	uint64_t rx_ms;
};

/* ---- events ------------------------------------------------------------------------------- */

/* A core appends events; its caller pulls them after each call, so a core is never re-entered.
 * Each event owns its payload (allocated with the event, released by rp_ev_free). Event types
 * are per-core enums; the meaning of payload is defined by the core's header. */
struct rp_ev {
	struct rp_ev *next;
	int type;
	struct rp_addr src, dst; /* for SEND-like events */
	size_t len;
	uint8_t data[]; /* len bytes */
};

struct rp_evq {
	struct rp_ev *head, **tail;
	size_t count;
};

void rp_evq_init(struct rp_evq *q);
struct rp_ev *rp_ev_new(int type, size_t len); /* zeroed payload; NULL on OOM */
void rp_evq_push(struct rp_evq *q, struct rp_ev *ev);
struct rp_ev *rp_evq_pop(struct rp_evq *q); /* NULL when empty; caller frees */
void rp_ev_free(struct rp_ev *ev);          /* wipes the payload: events may carry keys */
void rp_evq_clear(struct rp_evq *q);

/* ---- logging ------------------------------------------------------------------------------ */

/* Levels follow Windows' ipsecdiagnostics 0-7: 0 off, 1 errors and the daemon's lifecycle (start,
 * stop, reload), 2 + peers' protocol errors
 * (drops), 3 + warnings, 4 + session events (established, deleted), 5 + per-packet classification,
 * 6 + protocol detail, 7 + everything (hex). IKE detail is gated separately by ikelogging, as
 * netsh's "ikelogging 1" is separate from "ipsecdiagnostics". */
enum rp_lvl {
	RP_LOG_OFF = 0,
	RP_LOG_ERR = 1,
	RP_LOG_DROP = 2,
	RP_LOG_WARN = 3,
	RP_LOG_INFO = 4,
	RP_LOG_PKT = 5,
	RP_LOG_DETAIL = 6,
	RP_LOG_TRACE = 7,
	RP_LOG_NOTICE = 8, /* lifecycle lines: shown from level 1 on, labelled "notice" not "error" */
};

typedef void (*rp_log_sink)(void *ctx, int level, const char *module, const char *msg);

#define RP_LOG_RL_SLOTS 64

struct rp_log {
	int level;          /* ipsecdiagnostics 0-7 */
	bool ikelogging;    /* IKE exchange detail regardless of level */
	unsigned interval_s; /* ipsecloginterval: summary period and drop-log window, 60-86400 */
	rp_log_sink sink;
	void *sink_ctx;
	/* Rate limiting of drop lines: per key (a hash of module+reason+peer), at most `burst`
	 * lines per interval, then one "N similar lines suppressed" when the window rolls. */
	unsigned burst;
	struct rp_log_rl {
		uint64_t key;
		uint64_t window_start_ms;
		unsigned emitted, suppressed;
	} rl[RP_LOG_RL_SLOTS];
	uint64_t total_suppressed;
	/* A global budget (issue 12): at most budget lines per budget_ms, whatever their kind, then
	 * one "N log lines suppressed" line when the next interval begins. The last tenth of the
	 * budget is kept for errors. Off while budget or clock is 0. */
	unsigned budget;
	uint64_t budget_ms;
	uint64_t (*clock)(void *ctx);
	void *clock_ctx;
	uint64_t b_start;
	unsigned b_used, b_supp, b_supp_err;
	uint64_t budget_suppressed; /* since start (show stats) */
};

void rp_log_init(struct rp_log *lg, int level, rp_log_sink sink, void *ctx);
bool rp_log_on(const struct rp_log *lg, int level);
void rp_logf(struct rp_log *lg, int level, const char *module, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* IKE-exchange detail: shown when ikelogging is on, or at level >= DETAIL. */
void rp_log_ike(struct rp_log *lg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A dropped packet from the network: one line per (module, reason, peer) per burst, counted. */
bool rp_log_drop(struct rp_log *lg, uint64_t now_ms, const char *module, const struct rp_addr *peer,
		 const char *reason, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Escapes peer-supplied bytes (user names, host names, certificate DNs, IDs) for a log line, so
 * that a newline cannot forge a second line and a quote cannot end a quoted field: printable ASCII
 * is copied, '\\' and '"' get a backslash, every other byte (control characters, DEL, and bytes
 * >= 0x80, which could be C1 controls or bidirectional overrides once decoded) becomes \xNN. The
 * output is always NUL-terminated (n > 0) and cut before an escape that would not fit. Returns out.
 * rp_logf also turns any control character left in a line into \xNN, as a last line of defence. */
const char *rp_esc(const void *in, size_t len, char *out, size_t n);
const char *rp_escs(const char *in, char *out, size_t n); /* a NUL-terminated string; NULL gives "" */
/* The stderr sink: "LEVEL module: msg". */
void rp_log_stderr_sink(void *ctx, int level, const char *module, const char *msg);
const char *rp_log_lvlname(int level);
/* The global line budget: lines per interval_ms (0 = none), time from clock(ctx). */
void rp_log_budget(struct rp_log *lg, unsigned lines, uint64_t interval_ms, uint64_t (*clock)(void *ctx),
                   void *ctx);
/* Writes the "suppressed" line of an interval that has ended (a timer calls it: the summary
 * must not wait for the next line). */
void rp_log_flush(struct rp_log *lg);

/* ---- randomness and time ------------------------------------------------------------------ */

/* Cores never call a random source directly: production passes a GnuTLS-backed one (server/),
 * tests a seeded one so a recorded session replays exactly. fill returns 0 or -1. */
struct rp_rng {
	int (*fill)(struct rp_rng *r, void *out, size_t n);
	uint64_t state[4]; /* for the deterministic generator */
};

void rp_rng_seeded(struct rp_rng *r, uint64_t seed); /* xoshiro256** — tests and replay only */
static inline int rp_rng_fill(struct rp_rng *r, void *out, size_t n) { return r->fill(r, out, n); }
uint32_t rp_rng_u32(struct rp_rng *r);
/* rng_gnutls.c (library rp_rng_gnutls): GnuTLS-backed; level 0 nonce, 1 random, 2 key. */
void rp_rng_gnutls(struct rp_rng *r, int level);

/* Time is a parameter too; this interface exists for the few places (server/) that read it. */
struct rp_clock {
	uint64_t (*now_ms)(struct rp_clock *c);
	uint64_t fake_ms; /* for the fake clock */
};
void rp_clock_fake(struct rp_clock *c, uint64_t start_ms);
void rp_clock_monotonic(struct rp_clock *c);

/* ---- file modes (fsmode.c) ---------------------------------------------------------------- */

enum {
	RP_MODE_NO_GROUP_WRITE = 1u << 0, /* refuse S_IWGRP | S_IWOTH */
	RP_MODE_NO_OTHER_READ = 1u << 1,  /* refuse S_IROTH too (files holding secrets) */
	RP_MODE_NO_GROUP_READ = 1u << 2,  /* refuse S_IRGRP too */
	RP_MODE_DIR = 1u << 3,            /* must be a directory (else a regular file) */
};
/* Checks an existing path (following symlinks) against what its use allows: 0 when it is fine,
 * -ENOENT when it does not exist (the caller creates it with the right mode), -EPERM when the mode
 * is refused, -ENOTDIR/-EISDIR/-EIO otherwise. err gets one line naming the path and the mode,
 * e.g. "/var/lib/rampart/accounts.db: mode 0666 lets others write it; chmod go-w it". */
int rp_path_private(const char *path, unsigned flags, char *err, size_t errlen);

/* ---- secrets ------------------------------------------------------------------------------ */

bool rp_ct_memeq(const void *a, const void *b, size_t n); /* constant time in n */
void rp_wipe(void *p, size_t n);                           /* not optimised away */

#define RP_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
