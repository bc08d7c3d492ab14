/* The security-association database: one open-addressing table keyed by a 32-bit id (the SPI
 * for inbound SAs, a random handle for outbound ones), SPI reservation, lifetimes and events.
 * Control-path calls may allocate; the per-packet lookup and accounting never do. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "esp_local.h"

#define ESP_LARVAL_MS 60000u
#define ESP_SAD_MIN_CAP 64

static const char *const drop_names[ESP_DROP_MAX] = {
    [ESP_DROP_TRUNCATED] = "truncated", [ESP_DROP_UNKNOWN_SPI] = "unknown SPI",
    [ESP_DROP_ENCAP] = "encapsulation", [ESP_DROP_REPLAY] = "replayed",
    [ESP_DROP_OLD] = "outside window",  [ESP_DROP_ICV] = "ICV mismatch",
    [ESP_DROP_PAD] = "bad padding",     [ESP_DROP_NEXT_HEADER] = "next header",
    [ESP_DROP_DUMMY] = "dummy packet",  [ESP_DROP_SELECTOR] = "inner selector",
    [ESP_DROP_EXPIRED] = "SA expired",  [ESP_DROP_CRYPTO] = "crypto failure",
};

const char *esp_drop_name(enum esp_drop d)
{
	if ((int)d <= 0 || d >= ESP_DROP_MAX)
		return "?";
	return drop_names[d];
}

static size_t home(const struct esp_sad *sad, uint32_t id)
{
	/* multiplicative hashing with a secret odd multiplier: top bits of the 64-bit product */
	return (size_t)(((uint64_t)id * sad->hash_mul) >> (64 - sad->bits));
}

/* ---- timer heap (binary min-heap on esp_sa.due; l2tp/lns.c's is the model) ---- */

static void heap_set(struct esp_sad *sad, size_t i, struct esp_sa *sa)
{
	sad->heap[i] = sa;
	sa->hidx = i;
}

static void heap_up(struct esp_sad *sad, size_t i)
{
	struct esp_sa *sa = sad->heap[i];
	while (i) {
		size_t p = (i - 1) / 2;
		if (sad->heap[p]->due <= sa->due)
			break;
		heap_set(sad, i, sad->heap[p]);
		i = p;
	}
	heap_set(sad, i, sa);
}

static void heap_down(struct esp_sad *sad, size_t i)
{
	struct esp_sa *sa = sad->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= sad->nheap)
			break;
		if (c + 1 < sad->nheap && sad->heap[c + 1]->due < sad->heap[c]->due)
			c++;
		if (sa->due <= sad->heap[c]->due)
			break;
		heap_set(sad, i, sad->heap[c]);
		i = c;
	}
	heap_set(sad, i, sa);
}

/* Room for one more before the SA goes into the table: afterwards nothing can fail. */
static int heap_reserve(struct esp_sad *sad)
{
	if (sad->nheap < sad->heap_cap)
		return 0;
	size_t nc = sad->heap_cap ? sad->heap_cap * 2 : ESP_SAD_MIN_CAP;
	struct esp_sa **nh = realloc(sad->heap, nc * sizeof *nh);
	if (!nh)
		return -ENOMEM;
	sad->heap = nh;
	sad->heap_cap = nc;
	return 0;
}

static void heap_add(struct esp_sad *sad, struct esp_sa *sa)
{
	heap_set(sad, sad->nheap++, sa);
	heap_up(sad, sa->hidx);
}

static void heap_del(struct esp_sad *sad, struct esp_sa *sa)
{
	size_t i = sa->hidx;
	struct esp_sa *last = sad->heap[--sad->nheap];
	if (i == sad->nheap)
		return;
	heap_set(sad, i, last);
	heap_up(sad, i);
	heap_down(sad, last->hidx);
}

/* What esp_tick must look at next for this SA. */
static uint64_t sa_due(const struct esp_sa *sa)
{
	if (sa->state == ESP_SA_LARVAL)
		return sa->hard_at;
	if (sa->hard_pending || (!sa->soft_done && sa->soft_pending))
		return 0;
	return !sa->soft_done && sa->soft_at < sa->hard_at ? sa->soft_at : sa->hard_at;
}

static void heap_fix(struct esp_sad *sad, struct esp_sa *sa)
{
	sa->due = sa_due(sa);
	heap_up(sad, sa->hidx);
	heap_down(sad, sa->hidx);
}

void esp_sa_mark(struct esp_sad *sad, struct esp_sa *sa)
{
	heap_fix(sad, sa);
}

struct esp_sad *esp_sad_new(const struct esp_conf *conf, struct rp_rng *rng, struct rp_log *log)
{
	struct esp_sad *sad = calloc(1, sizeof *sad);
	if (!sad)
		return NULL;
	if (conf)
		sad->conf = *conf;
	if (!sad->conf.replay_window)
		sad->conf.replay_window = ESP_REPLAY_DEFAULT;
	if (sad->conf.replay_window > ESP_REPLAY_MAX)
		sad->conf.replay_window = ESP_REPLAY_MAX;
	if (!sad->conf.larval_ms)
		sad->conf.larval_ms = ESP_LARVAL_MS;
	sad->rng = rng;
	sad->log = log;
	sad->cap = ESP_SAD_MIN_CAP;
	sad->bits = 6;
	sad->tab = calloc(sad->cap, sizeof *sad->tab);
	if (!sad->tab || rp_rng_fill(rng, &sad->hash_mul, sizeof sad->hash_mul)) {
		free(sad->tab);
		free(sad);
		return NULL;
	}
	sad->hash_mul |= 1;
	rp_evq_init(&sad->evq);
	if (sad->conf.keylog)
		rp_logf(log, RP_LOG_ERR, "esp",
		        "KEY LOG IS ON: every ESP SA's keys are exported in Wireshark esp_sa format; "
		        "anyone who reads them can decrypt all traffic. Debugging only.");
	return sad;
}

static void sa_free(struct esp_sa *sa)
{
	esp_crypto_deinit(&sa->x);
	rp_wipe(sa, sizeof *sa);
	free(sa);
}

/* Reload: the key log is switched for SAs added from now on. */
void esp_sad_set_keylog(struct esp_sad *sad, bool on)
{
	sad->conf.keylog = on;
}

void esp_sad_free(struct esp_sad *sad)
{
	if (!sad)
		return;
	for (size_t i = 0; i < sad->cap; i++)
		if (sad->tab[i])
			sa_free(sad->tab[i]);
	free(sad->tab);
	free(sad->heap);
	rp_evq_clear(&sad->evq);
	free(sad);
}

static size_t slot_of(const struct esp_sad *sad, uint32_t id)
{
	size_t mask = sad->cap - 1;
	for (size_t i = home(sad, id);; i = (i + 1) & mask) {
		if (!sad->tab[i] || sad->tab[i]->id == id)
			return i;
	}
}

struct esp_sa *esp_sad_find(const struct esp_sad *sad, uint32_t id)
{
	return sad->tab[slot_of(sad, id)];
}

static int grow(struct esp_sad *sad)
{
	size_t ocap = sad->cap;
	struct esp_sa **old = sad->tab, **nt = calloc(ocap * 2, sizeof *nt);
	if (!nt)
		return -ENOMEM;
	sad->tab = nt;
	sad->cap = ocap * 2;
	sad->bits++;
	for (size_t i = 0; i < ocap; i++)
		if (old[i])
			sad->tab[slot_of(sad, old[i]->id)] = old[i];
	free(old);
	return 0;
}

/* Linear probing with backward-shift deletion (no tombstones): later members of the cluster
 * move into the hole when the hole lies on their probe path. */
static void remove_slot(struct esp_sad *sad, size_t i)
{
	size_t mask = sad->cap - 1, j = i;
	heap_del(sad, sad->tab[i]);
	sad->tab[i] = NULL;
	for (;;) {
		j = (j + 1) & mask;
		if (!sad->tab[j])
			break;
		size_t k = home(sad, sad->tab[j]->id);
		bool move = (i <= j) ? (k <= i || k > j) : (k <= i && k > j);
		if (move) {
			sad->tab[i] = sad->tab[j];
			sad->tab[j] = NULL;
			i = j;
		}
	}
	sad->count--;
}

static int insert(struct esp_sad *sad, struct esp_sa *sa)
{
	if (sad->max_sa && sad->count >= sad->max_sa)
		return -ENOSPC;
	if (((sad->count + 1) * 2 > sad->cap && grow(sad)) || heap_reserve(sad))
		return -ENOMEM;
	size_t i = slot_of(sad, sa->id);
	if (sad->tab[i])
		return -EEXIST;
	sad->tab[i] = sa;
	sad->count++;
	sa->due = sa_due(sa);
	heap_add(sad, sa);
	return 0;
}

void esp_sad_set_max(struct esp_sad *sad, size_t max_sa)
{
	sad->max_sa = max_sa;
}

size_t esp_sad_count(const struct esp_sad *sad)
{
	return sad->count;
}

/* A random id in 256..2^32-1 that no live or larval SA holds (RFC 4303 §2.1 reserves 1-255). */
static int fresh_id(struct esp_sad *sad, uint32_t *id)
{
	for (int tries = 0; tries < 64; tries++) {
		uint32_t v;
		if (rp_rng_fill(sad->rng, &v, sizeof v))
			return -EIO;
		if (v > 255 && !esp_sad_find(sad, v)) {
			*id = v;
			return 0;
		}
	}
	return -EAGAIN;
}

/* Lifetimes are coarse (seconds in IKE); rounding deadlines up to whole seconds lets esp_tick
 * handle the SAs that expire together in one call (one timer wake-up a second at most). */
static uint64_t deadline(uint64_t now_ms, uint64_t rel_ms)
{
	if (!rel_ms || rel_ms > UINT64_MAX - now_ms - 1000)
		return UINT64_MAX;
	return (now_ms + rel_ms + 999) / 1000 * 1000;
}

int esp_spi_alloc(struct esp_sad *sad, uint64_t now_ms, uint32_t *spi)
{
	struct esp_sa *sa = calloc(1, sizeof *sa);
	if (!sa)
		return -ENOMEM;
	int rc = fresh_id(sad, &sa->id);
	if (!rc) {
		sa->spi = sa->id;
		sa->state = ESP_SA_LARVAL;
		sa->dir = ESP_DIR_IN;
		sa->hard_at = deadline(now_ms, sad->conf.larval_ms);
		rc = insert(sad, sa);
	}
	if (rc) {
		free(sa);
		return rc;
	}
	*spi = sa->id;
	return 0;
}

void esp_spi_release(struct esp_sad *sad, uint32_t spi)
{
	size_t i = slot_of(sad, spi);
	struct esp_sa *sa = sad->tab[i];
	if (sa && sa->state == ESP_SA_LARVAL) {
		remove_slot(sad, i);
		sa_free(sa);
	}
}

static void push_keylog(struct esp_sad *sad, const struct esp_sa_params *p, uint32_t spi)
{
	char line[512];
	int n = esp_keylog_line(p, spi, line, sizeof line);
	if (n > 0) {
		struct rp_ev *ev = rp_ev_new(ESP_EV_KEYLOG, (size_t)n + 1);
		if (ev) {
			memcpy(ev->data, line, (size_t)n + 1);
			rp_evq_push(&sad->evq, ev);
		}
	}
	rp_wipe(line, sizeof line);
}

int esp_sa_add(struct esp_sad *sad, const struct esp_sa_params *p, uint64_t now_ms, uint32_t *sa_id)
{
	if (p->dir != ESP_DIR_IN && p->dir != ESP_DIR_OUT)
		return -EINVAL;
	if ((p->spi != 0 && p->spi <= 255) || (p->dir == ESP_DIR_OUT && p->spi == 0))
		return -EINVAL;
	if (p->encap != ESP_ENCAP_NONE && p->encap != ESP_ENCAP_UDP)
		return -EINVAL;
	unsigned window = p->replay_window ? p->replay_window : sad->conf.replay_window;
	if (window < 64 || window > ESP_REPLAY_MAX) /* DESIGN.md: never below 64 */
		return -EINVAL;
	window = (window + 63) & ~63u;
	size_t words = p->dir == ESP_DIR_IN ? esp_replay_words(window) : 0;
	struct esp_sa *sa = calloc(1, sizeof *sa + words * sizeof(uint64_t));
	if (!sa)
		return -ENOMEM;
	int rc = esp_crypto_init(&sa->x, p);
	if (rc) {
		free(sa);
		return rc;
	}
	sa->dir = (uint8_t)p->dir;
	sa->encap = (uint8_t)p->encap;
	sa->state = ESP_SA_LIVE;
	sa->owner = p->owner;
	sa->local = p->local;
	sa->peer = p->peer;
	sa->natoa_peer = p->natoa_peer;
	sa->natoa_local = p->natoa_local;
	sa->inner_proto = p->inner_proto ? p->inner_proto : ESP_NH_UDP;
	sa->inner_local_port = p->inner_local_port;
	sa->inner_peer_port = p->inner_peer_port;
	sa->lax_padding = p->lax_padding;
	sa->added_ms = now_ms;
	sa->soft_at = deadline(now_ms, p->soft_ms);
	sa->hard_at = deadline(now_ms, p->hard_ms);
	sa->soft_bytes = p->soft_bytes;
	sa->hard_bytes = p->hard_bytes;
	if (words)
		esp_replay_init(&sa->rp, window, sa->ring, words);

	if (p->dir == ESP_DIR_IN) {
		if (p->spi) {
			size_t i = slot_of(sad, p->spi);
			struct esp_sa *old = sad->tab[i];
			if (old && old->state != ESP_SA_LARVAL) {
				sa_free(sa);
				return -EEXIST;
			}
			sa->id = p->spi;
			if (old) { /* fill the reservation in place: same id, same slot, same heap place */
				size_t h = old->hidx;
				sa_free(old);
				sad->tab[i] = sa;
				sa->due = sa_due(sa);
				heap_set(sad, h, sa);
				heap_up(sad, h);
				heap_down(sad, sa->hidx);
				rc = 0;
			} else {
				rc = insert(sad, sa);
			}
		} else if (!(rc = fresh_id(sad, &sa->id))) {
			rc = insert(sad, sa);
		}
		sa->spi = sa->id;
	} else {
		sa->spi = p->spi;
		if (!(rc = fresh_id(sad, &sa->id)))
			rc = insert(sad, sa);
	}
	if (rc) {
		sa_free(sa);
		return rc;
	}
	if (sad->conf.keylog)
		push_keylog(sad, p, sa->spi);
	char who[RP_ADDR_STRLEN];
	rp_logf(sad->log, RP_LOG_INFO, "esp", "SA %s spi=0x%08x %s%s%s peer %s%s",
	        p->dir == ESP_DIR_IN ? "in" : "out", sa->spi, sa->x.e->name, sa->x.a ? "/" : "",
	        sa->x.a ? sa->x.a->name : "", rp_addr_str(&sa->peer, who, sizeof who),
	        sa->encap == ESP_ENCAP_UDP ? " udp-encap" : "");
	*sa_id = sa->id;
	return 0;
}

int esp_sa_del(struct esp_sad *sad, uint32_t sa_id)
{
	size_t i = slot_of(sad, sa_id);
	struct esp_sa *sa = sad->tab[i];
	if (!sa)
		return -ENOENT;
	remove_slot(sad, i);
	sa_free(sa);
	return 0;
}

void esp_sa_account(struct esp_sad *sad, struct esp_sa *sa, size_t bytes)
{
	sa->bytes_total += bytes;
	if (!sa->soft_done && !sa->soft_pending && sa->soft_bytes && sa->bytes_total >= sa->soft_bytes) {
		sa->soft_pending = true;
		sa->exp_cause = ESP_EXP_BYTES;
		esp_sa_mark(sad, sa);
	}
	if (!sa->hard_pending && sa->hard_bytes && sa->bytes_total >= sa->hard_bytes) {
		sa->hard_pending = true;
		sa->exp_cause = ESP_EXP_BYTES;
		esp_sa_mark(sad, sa);
	}
}

void esp_drop(struct esp_sad *sad, struct esp_sa *sa, enum esp_drop why, const struct rp_addr *peer,
              uint32_t spi, uint32_t seq, uint64_t now_ms)
{
	struct esp_stats *st = (!sa || sa->dir == ESP_DIR_IN) ? &sad->st : &sad->st_out;
	st->drops[why]++;
	if (sa)
		sa->st.drops[why]++;
	rp_log_drop(sad->log, now_ms, "esp", peer, esp_drop_name(why), "spi=0x%08x seq=%u", spi, seq);
}

static void push_expire(struct esp_sad *sad, struct esp_sa *sa, int type, uint8_t cause)
{
	struct rp_ev *ev = rp_ev_new(type, sizeof(struct esp_ev_sa));
	if (!ev)
		return;
	struct esp_ev_sa e = {sa->id, sa->spi, sa->owner, sa->dir, cause};
	memcpy(ev->data, &e, sizeof e);
	ev->src = sa->local;
	ev->dst = sa->peer;
	rp_evq_push(&sad->evq, ev);
	rp_logf(sad->log, RP_LOG_INFO, "esp", "SA spi=0x%08x %s %s-expired (%s)", sa->spi,
	        sa->dir == ESP_DIR_IN ? "in" : "out", type == ESP_EV_SOFT_EXPIRE ? "soft" : "hard",
	        cause == ESP_EXP_TIME    ? "time"
	        : cause == ESP_EXP_BYTES ? "bytes"
	                                 : "sequence space");
}

/* Only the SAs whose time has come: O(1) when nothing is due, O(log n) per SA that is. */
int esp_tick(struct esp_sad *sad, uint64_t now_ms)
{
	while (sad->nheap && sad->heap[0]->due <= now_ms) {
		struct esp_sa *sa = sad->heap[0];
		if (sa->state == ESP_SA_LARVAL) {
			remove_slot(sad, slot_of(sad, sa->id));
			sa_free(sa);
			continue;
		}
		if (!sa->soft_done && (sa->soft_pending || now_ms >= sa->soft_at)) {
			push_expire(sad, sa, ESP_EV_SOFT_EXPIRE,
			            sa->soft_pending ? sa->exp_cause : ESP_EXP_TIME);
			sa->soft_done = true;
			sa->soft_pending = false;
		}
		if (sa->hard_pending || now_ms >= sa->hard_at) {
			push_expire(sad, sa, ESP_EV_HARD_EXPIRE,
			            sa->hard_pending ? sa->exp_cause : ESP_EXP_TIME);
			remove_slot(sad, slot_of(sad, sa->id));
			sa_free(sa);
			continue;
		}
		heap_fix(sad, sa);
	}
	return 0;
}

uint64_t esp_next_deadline(const struct esp_sad *sad)
{
	return sad->nheap ? sad->heap[0]->due : UINT64_MAX;
}

struct rp_ev *esp_next_event(struct esp_sad *sad)
{
	return rp_evq_pop(&sad->evq);
}

int esp_sa_stats(const struct esp_sad *sad, uint32_t sa_id, struct esp_stats *out)
{
	const struct esp_sa *sa = esp_sad_find(sad, sa_id);
	if (!sa || sa->state == ESP_SA_LARVAL)
		return -ENOENT;
	*out = sa->st;
	return 0;
}

const struct esp_stats *esp_sad_stats(const struct esp_sad *sad, enum esp_dir dir)
{
	return dir == ESP_DIR_OUT ? &sad->st_out : &sad->st;
}

int esp_sa_peer(const struct esp_sad *sad, uint32_t sa_id, struct rp_addr *peer)
{
	const struct esp_sa *sa = esp_sad_find(sad, sa_id);
	if (!sa || sa->state == ESP_SA_LARVAL)
		return -ENOENT;
	*peer = sa->peer;
	return 0;
}

int esp_sa_seq(const struct esp_sad *sad, uint32_t sa_id, uint64_t *seq)
{
	const struct esp_sa *sa = esp_sad_find(sad, sa_id);
	if (!sa || sa->state == ESP_SA_LARVAL)
		return -ENOENT;
	*seq = sa->dir == ESP_DIR_OUT ? sa->seq_out : sa->rp.top;
	return 0;
}
