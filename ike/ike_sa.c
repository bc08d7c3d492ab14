/* The core: IKE SA table keyed by cookies, input dispatch, timers, events, message protection.
 * Sans-IO: packets and now_ms in, rp_ev events out (DESIGN.md "contract of a core"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "ike_local.h"

static int rng_spi(struct ike *ike, uint32_t *spi)
{
	for (int tries = 0; tries < 64; tries++) {
		uint32_t s = rp_rng_u32(ike->rng);
		bool used = s <= 255 || ike_child_find(ike, s);
		for (struct ike_sa *sa = ike->all; sa && !used; sa = sa->next)
			for (struct ike_qm *q = sa->qms; q && !used; q = q->next)
				used = q->spi_in == s;
		if (!used) {
			*spi = s;
			return 0;
		}
	}
	return -1;
}

int ike_spi_alloc(struct ike *ike, uint32_t *spi)
{
	if (ike->conf.spi_alloc)
		return ike->conf.spi_alloc(ike->conf.spi_ctx, spi);
	return rng_spi(ike, spi);
}

void ike_spi_release(struct ike *ike, uint32_t spi)
{
	if (ike->conf.spi_release && spi)
		ike->conf.spi_release(ike->conf.spi_ctx, spi);
}

/* Unset lists and limits take the defaults, so a caller may fill only what it changes. */
static void conf_fill(struct ike_conf *out, const struct ike_conf *conf)
{
	struct ike_conf d;
	ike_conf_defaults(&d);
	*out = *conf;
	if (!out->np1_groups) {
		out->p1_groups = d.p1_groups;
		out->np1_groups = d.np1_groups;
	}
	if (!out->np2_groups) {
		out->p2_groups = d.p2_groups;
		out->np2_groups = d.np2_groups;
	}
	if (!out->p1_life_max_s)
		out->p1_life_max_s = d.p1_life_max_s;
	if (!out->p2_life_max_s)
		out->p2_life_max_s = d.p2_life_max_s;
	if (!out->halfopen_ms)
		out->halfopen_ms = d.halfopen_ms;
	if (!out->dpd_idle_s)
		out->dpd_idle_s = d.dpd_idle_s;
	if (!out->dpd_timeout_s)
		out->dpd_timeout_s = d.dpd_timeout_s;
	if (!out->max_sa)
		out->max_sa = d.max_sa;
	if (!out->natt_port)
		out->natt_port = d.natt_port;
	if (!out->frag_mtu)
		out->frag_mtu = d.frag_mtu;
	if (!out->frag_timeout_ms)
		out->frag_timeout_ms = d.frag_timeout_ms;
	/* admission control (ike_adm.c); the defaults live here rather than in ike_conf_defaults */
	if (!out->max_halfopen)
		out->max_halfopen = 16384;
	if (!out->max_halfopen_ip)
		out->max_halfopen_ip = 1024;
	if (!out->max_sa_payload)
		out->max_sa_payload = 2048;
	if (!out->dh_per_s)
		out->dh_per_s = 400;
	if (!out->max_child)
		out->max_child = 16;
	if (!out->frag_per_ip)
		out->frag_per_ip = 256 * 1024;
}

struct ike *ike_new(const struct ike_conf *conf, struct rp_rng *rng, struct rp_log *log)
{
	struct ike *ike = calloc(1, sizeof *ike);
	if (!ike)
		return NULL;
	conf_fill(&ike->conf, conf);
	ike->rng = rng;
	ike->log = log;
	rp_evq_init(&ike->evq);
	ike->nb = 256;
	ike->tab = calloc(ike->nb, sizeof *ike->tab);
	if (!ike->tab || ike_idx_init(ike) || ike_adm_init(ike) || ike_cert_init(ike)) {
		ike_adm_free(ike);
		ike_idx_free(ike);
		free(ike->tab);
		free(ike);
		return NULL;
	}
	return ike;
}

/* Reload: later negotiations use the new values; SAs that are up keep what they negotiated.
 * Our key is imported again (it may have been rotated); a key that fails leaves the old
 * configuration in force. */
int ike_reconf(struct ike *ike, const struct ike_conf *conf)
{
	struct ike_conf old = ike->conf;
	gnutls_privkey_t old_key = ike->key;
	bool old_sig = ike->sig_ok;
	conf_fill(&ike->conf, conf);
	/* these belong to the daemon's wiring, not to what an operator reloads */
	ike->conf.spi_alloc = old.spi_alloc;
	ike->conf.spi_release = old.spi_release;
	ike->conf.spi_ctx = old.spi_ctx;
	ike->key = NULL;
	ike->sig_ok = false;
	if (ike_cert_init(ike)) {
		ike->conf = old;
		ike->key = old_key;
		ike->sig_ok = old_sig;
		return -1;
	}
	if (old_key)
		gnutls_privkey_deinit(old_key);
	for (struct ike_sa *sa = ike->all; sa; sa = sa->next) /* a reload: DPD timers may move */
		ike_sa_touch(ike, sa);
	return 0;
}

void ike_count(struct ike *ike, struct ike_sa *sa, enum ike_result r)
{
	if (sa) {
		if (sa->counted)
			return;
		sa->counted = true;
	}
	ike->st.result[r]++;
}

const unsigned ike_mm_ms_le[IKE_MM_HIST - 1] = {5, 10, 25, 50, 100, 250, 1000, 5000};

void ike_count_mm_time(struct ike *ike, uint64_t ms)
{
	unsigned b = 0;
	while (b < IKE_MM_HIST - 1 && ms > ike_mm_ms_le[b])
		b++;
	ike->st.mm_ms[b]++;
	ike->st.mm_ms_sum += ms;
}

const char *ike_result_name(enum ike_result r)
{
	static const char *const n[IKE_R_N] = {"ok",           "psk_mismatch",  "no_proposal",
	                                       "cert_refused", "timeout",       "aggressive_refused",
	                                       "limit",        "quick_mode_ok", "quick_mode_no_proposal"};
	return r < IKE_R_N ? n[r] : "?";
}

void ike_get_stats(const struct ike *ike, struct ike_stats *st)
{
	*st = ike->st;
	st->halfopen = ike->halfopen;
	st->frag_bytes = ike->frag_bytes;
}

int ike_sa_get_info(const struct ike *ike, const uint8_t icky[8], const uint8_t rcky[8],
                    struct ike_sa_info *out)
{
	struct ike_sa *sa = ike_sa_find((struct ike *)ike, icky, rcky);
	memset(out, 0, sizeof *out);
	if (!sa || sa->state != IKE_ST_EST)
		return -1;
	if (sa->ch.enc == IKE_ENC_3DES)
		snprintf(out->proposal, sizeof out->proposal, "%s/%s/%s", ike_enc_name(sa->ch.enc),
		         ike_hash_name(sa->ch.hash), ike_dh_name(sa->ch.group));
	else
		snprintf(out->proposal, sizeof out->proposal, "%s-%u/%s/%s", ike_enc_name(sa->ch.enc),
		         sa->ch.keylen, ike_hash_name(sa->ch.hash), ike_dh_name(sa->ch.group));
	out->rsa_sig = sa->ch.auth == IKE_AUTH_RSA_SIG;
	out->life_s = sa->ch.life_s;
	out->established_ms = sa->est_ms;
	out->expire_ms = sa->expire_ms;
	out->peer_natd = sa->nat_peer;
	out->local_natd = sa->nat_local;
	return 0;
}

void ike_free(struct ike *ike)
{
	if (!ike)
		return;
	while (ike->all)
		ike_sa_remove(ike, ike->all, NULL, false);
	while (ike->children) {
		struct ike_child *c = ike->children;
		ike->children = c->next;
		rp_wipe(c, sizeof *c);
		free(c);
	}
	rp_evq_clear(&ike->evq);
	ike_cert_free(ike);
	ike_adm_free(ike);
	ike_idx_free(ike);
	free(ike->tab);
	free(ike->ctab);
	free(ike->sheap.v);
	free(ike->cheap.v);
	free(ike);
}

static size_t bucket(const struct ike *ike, const uint8_t icky[8])
{
	uint64_t h;
	memcpy(&h, icky, 8); /* initiator cookies are random (RFC 2408 §2.5.3) */
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return (size_t)(h & (ike->nb - 1));
}

static void grow(struct ike *ike)
{
	size_t nb = ike->nb * 2;
	struct ike_sa **t = calloc(nb, sizeof *t);
	if (!t)
		return; /* chains just get longer */
	struct ike_sa **old = ike->tab;
	size_t onb = ike->nb;
	ike->tab = t;
	ike->nb = nb;
	for (size_t i = 0; i < onb; i++)
		for (struct ike_sa *s = old[i], *n; s; s = n) {
			n = s->hnext;
			size_t b = bucket(ike, s->icky);
			s->hnext = t[b];
			t[b] = s;
		}
	free(old);
}

struct ike_sa *ike_sa_find(struct ike *ike, const uint8_t icky[8], const uint8_t rcky[8])
{
	for (struct ike_sa *s = ike->tab[bucket(ike, icky)]; s; s = s->hnext)
		if (memcmp(s->icky, icky, 8) == 0 && memcmp(s->rcky, rcky, 8) == 0)
			return s;
	return NULL;
}

struct ike_sa *ike_sa_find_half(struct ike *ike, const uint8_t icky[8], const struct rp_addr *peer)
{
	for (struct ike_sa *s = ike->tab[bucket(ike, icky)]; s; s = s->hnext)
		if (memcmp(s->icky, icky, 8) == 0 && rp_addr_ipeq(&s->peer, peer))
			return s;
	return NULL;
}

struct ike_sa *ike_sa_add(struct ike *ike)
{
	struct ike_sa *sa = calloc(1, sizeof *sa);
	if (!sa)
		return NULL;
	if (ike->count >= ike->nb)
		grow(ike);
	return sa;
}

void ike_sa_link(struct ike *ike, struct ike_sa *sa)
{
	size_t b = bucket(ike, sa->icky);
	sa->hnext = ike->tab[b];
	ike->tab[b] = sa;
	sa->prev = NULL;
	sa->next = ike->all;
	if (sa->next)
		sa->next->prev = sa;
	ike->all = sa;
	ike->count++;
	sa->tm.hidx = SIZE_MAX; /* into the heap when the dirty list is flushed */
	ike_sa_touch(ike, sa);
}

/* A Quick Mode that will not complete: withdraw the SA pair installed at QM2. */
void ike_qm_abort(struct ike *ike, struct ike_qm *q, const char *why)
{
	struct ike_child *c = ike_child_find(ike, q->spi_in);
	if (c)
		ike_child_delete(ike, c, false, why);
	q->done = true;
}

void ike_qm_free(struct ike_qm *q)
{
	free(q->resp);
	free(q->ni);
	free(q->nr);
	rp_wipe(q, sizeof *q);
	free(q);
}

void ike_sa_remove(struct ike *ike, struct ike_sa *sa, const char *why, bool delete_children)
{
	if (sa->state == IKE_ST_EST && why)
		ike_emit_ike(ike, sa, IKE_EV_IKE_DOWN, why);
	/* A client that re-keyed phase 1 (a new Main Mode, then DELETE of the old ISAKMP SA, as
	 * racoon-based iOS/macOS/Android do) keeps its IPsec SAs: they move to its newest IKE SA
	 * (same address, port and ID: found in by_addr, not by walking every SA). */
	struct ike_sa *heir = NULL;
	if (!delete_children && sa->state == IKE_ST_EST) {
		uint64_t h = ike_hash_addr(ike, &sa->peer, true);
		for (struct ike_hnode *x = ike_htab_head(&ike->by_addr, h); x; x = x->next) {
			struct ike_sa *o = IKE_SA_BY_ADDR(x);
			if (x->h == h && o != sa && o->state == IKE_ST_EST &&
			    rp_addr_eq(&o->peer, &sa->peer) && strcmp(o->peer_id, sa->peer_id) == 0 &&
			    (!heir || o->created_ms >= heir->created_ms))
				heir = o;
		}
	}
	ike_sa_unindex(ike, sa);
	for (struct ike_child *c = sa->kids, *n; c; c = n) {
		n = c->snext;
		if (delete_children)
			ike_child_delete(ike, c, false, why ? why : "IKE SA gone");
		else
			ike_child_set_owner(ike, c, heir); /* or orphaned until its lifetime or a new IKE
			                                    * SA of the peer */
	}
	while (sa->qms) { /* their SAs (installed at QM2) are children, handled above */
		struct ike_qm *q = sa->qms;
		sa->qms = q->next;
		ike_qm_free(q);
	}
	for (struct ike_sa **pp = &ike->tab[bucket(ike, sa->icky)]; *pp; pp = &(*pp)->hnext)
		if (*pp == sa) {
			*pp = sa->hnext;
			break;
		}
	if (sa->prev)
		sa->prev->next = sa->next;
	else
		ike->all = sa->next;
	if (sa->next)
		sa->next->prev = sa->prev;
	ike->count--;
	ike_adm_close(ike, sa);
	ike_sa_untime(ike, sa);
	ike_mm_forget(sa);
	free(sa->resp);
	ike_frag_free(ike, sa);
	rp_wipe(sa, sizeof *sa);
	free(sa);
}

static void forget(uint8_t **p, size_t *len, bool secret)
{
	if (*p && secret)
		rp_wipe(*p, *len);
	free(*p);
	*p = NULL;
	*len = 0;
}

void ike_mm_forget(struct ike_sa *sa)
{
	forget(&sa->gxy, &sa->gxylen, true);
	forget(&sa->ni, &sa->nilen, true);
	forget(&sa->nr, &sa->nrlen, true);
	forget(&sa->gxi, &sa->gxilen, false);
	forget(&sa->gxr, &sa->gxrlen, false);
	forget(&sa->sai_b, &sa->sai_len, false);
}

void ike_digest(const uint8_t *p, size_t len, uint8_t out[20])
{
	gnutls_hash_fast(GNUTLS_DIG_SHA1, p, len, out);
}

void ike_emit_send(struct ike *ike, const struct rp_addr *src, const struct rp_addr *dst, const uint8_t *p,
                   size_t len)
{
	size_t marker = src->port == ike->conf.natt_port ? 4 : 0; /* RFC 3948 §2.2 non-ESP marker */
	struct rp_ev *ev = rp_ev_new(IKE_EV_SEND, len + marker);
	if (!ev)
		return;
	ev->src = *src;
	ev->dst = *dst;
	memcpy(ev->data + marker, p, len);
	rp_evq_push(&ike->evq, ev);
}

void ike_sa_send(struct ike *ike, struct ike_sa *sa, const uint8_t *p, size_t len, bool remember)
{
	ike_frag_send(ike, sa, p, len);
	if (remember) {
		uint8_t *c = malloc(len);
		if (!c)
			return;
		memcpy(c, p, len);
		free(sa->resp);
		sa->resp = c;
		sa->resplen = len;
		memcpy(sa->req_digest, ike->cur_digest, 20);
	}
}

void ike_emit_ike(struct ike *ike, struct ike_sa *sa, int type, const char *reason)
{
	struct rp_ev *ev = rp_ev_new(type, sizeof(struct ike_ev_ike));
	if (!ev)
		return;
	struct ike_ev_ike *e = (struct ike_ev_ike *)ev->data;
	memcpy(e->icky, sa->icky, 8);
	memcpy(e->rcky, sa->rcky, 8);
	e->local = sa->local;
	e->peer = sa->peer;
	snprintf(e->peer_id, sizeof e->peer_id, "%s", sa->peer_id);
	snprintf(e->account, sizeof e->account, "%s", sa->account);
	e->natt = sa->local.port == ike->conf.natt_port;
	e->peer_natd = sa->nat_peer;
	e->life_s = sa->ch.life_s;
	snprintf(e->reason, sizeof e->reason, "%s", reason ? reason : "");
	ev->src = sa->local;
	ev->dst = sa->peer;
	rp_evq_push(&ike->evq, ev);
	char who[RP_ADDR_STRLEN];
	rp_logf(ike->log, RP_LOG_INFO, "ike", "IKE SA %s %s id %s%s%s", type == IKE_EV_IKE_UP ? "up" : "down",
	        rp_addr_str(&sa->peer, who, sizeof who), sa->peer_id, reason && *reason ? ": " : "",
	        reason ? reason : "");
}

void ike_child_delete(struct ike *ike, struct ike_child *c, bool notify_peer, const char *why)
{
	if (notify_peer && c->owner && c->owner->state == IKE_ST_EST) {
		uint8_t spi[4];
		rp_put_u32(spi, c->ev.spi_in); /* our inbound SPI: the one the peer sends with */
		ike_info_send_delete(ike, c->owner, ISAKMP_PROTO_ESP, spi, 4);
	}
	struct rp_ev *ev = rp_ev_new(IKE_EV_SA_DELETE, sizeof(struct ike_ev_sa));
	if (ev) {
		memcpy(ev->data, &c->ev, sizeof c->ev);
		ev->src = c->ev.local;
		ev->dst = c->ev.peer;
		rp_evq_push(&ike->evq, ev);
	}
	char who[RP_ADDR_STRLEN];
	rp_logf(ike->log, RP_LOG_INFO, "ike", "IPsec SA down %s SPIs in %08x out %08x id %s: %s",
	        rp_addr_str(&c->ev.peer, who, sizeof who), c->ev.spi_in, c->ev.spi_out, c->ev.peer_id, why);
	ike_child_unlink(ike, c);
	rp_wipe(c, sizeof *c);
	free(c);
}

int ike_delete_child(struct ike *ike, uint32_t spi_in, uint64_t now_ms)
{
	ike->now = now_ms;
	struct ike_child *c = ike_child_find(ike, spi_in);
	if (!c)
		return -1;
	if (c->owner)
		ike_sa_touch(ike, c->owner); /* the DELETE may move its DPD timers */
	ike_child_delete(ike, c, true, "deleted locally");
	return 0;
}

int ike_child_proven(struct ike *ike, uint32_t spi_in, uint64_t now_ms)
{
	ike->now = now_ms;
	struct ike_child *c = ike_child_find(ike, spi_in);
	if (!c)
		return -1;
	struct ike_sa *sa = c->owner;
	for (struct ike_qm *q = sa ? sa->qms : NULL; q; q = q->next) {
		if (q->spi_in != spi_in || q->done)
			continue;
		q->done = true;
		sa->last_rx_ms = now_ms;
		ike_sa_touch(ike, sa);
		rp_log_ike(ike->log,
		           "Quick Mode %08x completed by authenticated ESP (no QM3 came), SPI in %08x",
		           q->msgid, q->spi_in);
		return 0;
	}
	return 1;
}

static void delete_ike(struct ike *ike, struct ike_sa *sa, const char *why)
{
	for (struct ike_child *c = sa->kids, *n; c; c = n) {
		n = c->snext;
		ike_child_delete(ike, c, true, why);
	}
	if (sa->state == IKE_ST_EST) {
		uint8_t ck[16];
		memcpy(ck, sa->icky, 8);
		memcpy(ck + 8, sa->rcky, 8);
		ike_info_send_delete(ike, sa, ISAKMP_PROTO_ISAKMP, ck, 16);
	}
	ike_sa_remove(ike, sa, why, true);
}

int ike_delete_ike(struct ike *ike, const uint8_t icky[8], const uint8_t rcky[8], uint64_t now_ms)
{
	ike->now = now_ms;
	struct ike_sa *sa = ike_sa_find(ike, icky, rcky);
	if (!sa)
		return -1;
	delete_ike(ike, sa, "deleted locally");
	return 0;
}

size_t ike_policy_sweep(struct ike *ike, uint64_t now_ms)
{
	size_t n = 0;
	char why[200];
	ike->now = now_ms;
	if (!ike->conf.policy)
		return 0;
	for (struct ike_sa *sa = ike->all, *nx; sa; sa = nx) {
		nx = sa->next;
		struct ike_peer_policy pol;
		ike_pol_ask(ike, &sa->peer, &pol);
		bool blocked = pol.action == IKE_POL_BLOCK && ike_pol_refusal(&pol, why, sizeof why);
		rp_wipe(&pol, sizeof pol);
		if (blocked) { /* counted: established SAs and their pairs (not half-open ones) */
			n += sa->state == IKE_ST_EST;
			for (const struct ike_child *c = sa->kids; c; c = c->snext)
				n++;
			delete_ike(ike, sa, why);
		}
	}
	/* IPsec SA pairs whose IKE SA is gone (the peer deleted it, or it expired) */
	for (struct ike_child *c = ike->children, *nx; c; c = nx) {
		nx = c->next;
		struct ike_peer_policy pol;
		ike_pol_ask(ike, &c->ev.peer, &pol);
		bool blocked = pol.action == IKE_POL_BLOCK && ike_pol_refusal(&pol, why, sizeof why);
		rp_wipe(&pol, sizeof pol);
		if (blocked) {
			ike_child_delete(ike, c, true, why);
			n++;
		}
	}
	return n;
}

void ike_delete_all(struct ike *ike, uint64_t now_ms)
{
	ike->now = now_ms;
	while (ike->all)
		delete_ike(ike, ike->all, "shutting down");
	while (ike->children)
		ike_child_delete(ike, ike->children, false, "shutting down");
}

size_t ike_sa_count(const struct ike *ike)
{
	return ike->count;
}
size_t ike_child_count(const struct ike *ike)
{
	return ike->nchildren;
}

size_t ike_encrypt(const struct ike_keys *k, uint8_t *iv, uint8_t *buf, size_t len, size_t cap)
{
	size_t body = len - ISAKMP_HDR_LEN, pad = (k->blk - body % k->blk) % k->blk;
	if (len < ISAKMP_HDR_LEN || len + pad > cap)
		return 0;
	/* RFC 2408 §3.5: the payloads are padded to the block with zeros; the header length counts
	 * the padding and the receiver finds the end of the chain by next-payload = NONE. */
	memset(buf + len, 0, pad);
	len += pad;
	buf[19] |= ISAKMP_FLAG_ENC;
	rp_put_u32(buf + 24, (uint32_t)len);
	if (ike_cbc(k->enc, k->key, k->klen, iv, buf + ISAKMP_HDR_LEN, len - ISAKMP_HDR_LEN, true))
		return 0;
	return len;
}

int ike_decrypt(const struct ike_keys *k, uint8_t *iv, const uint8_t *msg, size_t len, uint8_t **out,
                struct isakmp_msg *m)
{
	struct isakmp_hdr h;
	*out = NULL;
	if (isakmp_hdr_parse(msg, len, &h) || !(h.flags & ISAKMP_FLAG_ENC))
		return -1;
	size_t blen = h.len - ISAKMP_HDR_LEN;
	if (blen == 0 || blen % k->blk)
		return -1;
	uint8_t *p = malloc(h.len), tiv[IKE_MAXBLK];
	if (!p)
		return -1;
	memcpy(p, msg, h.len);
	memcpy(tiv, iv, k->blk);
	if (ike_cbc(k->enc, k->key, k->klen, tiv, p + ISAKMP_HDR_LEN, blen, false) ||
	    isakmp_chain_parse(h.np, p + ISAKMP_HDR_LEN, blen, true, m)) {
		free(p);
		return -1;
	}
	m->h = h;
	memcpy(iv, tiv, k->blk);
	*out = p;
	return 0;
}

int ike_keylog_line(char *out, size_t n, const uint8_t icky[8], const uint8_t *key, size_t keylen)
{
	char ck[17], kh[2 * 64 + 1];
	if (keylen > 64)
		return -1;
	for (int i = 0; i < 8; i++)
		snprintf(ck + 2 * i, 3, "%02x", icky[i]);
	for (size_t i = 0; i < keylen; i++)
		snprintf(kh + 2 * i, 3, "%02x", key[i]);
	kh[2 * keylen] = 0;
	/* UAT buffer fields are unquoted hex (tshark refuses quoted ones for this table) */
	int r = snprintf(out, n, "%s,%s", ck, kh);
	return r > 0 && (size_t)r < n ? 0 : -1;
}

static void drop(struct ike *ike, const struct rp_pkt *pkt, const char *reason)
{
	rp_log_drop(ike->log, ike->now, "ike", &pkt->src, reason, NULL);
}

int ike_input(struct ike *ike, const struct rp_pkt *pkt, uint64_t now_ms)
{
	static const uint8_t zero[8];
	struct isakmp_msg *m = &ike->msg;
	ike->now = now_ms;
	struct isakmp_hdr fh;
	if (isakmp_hdr_parse(pkt->data, pkt->len, &fh) == 0 && fh.np == ISAKMP_PL_FRAG)
		return ike_frag_input(ike, pkt, &fh); /* reassembled messages come back here */
	if (isakmp_msg_parse(pkt->data, pkt->len, m)) {
		drop(ike, pkt, "malformed ISAKMP message");
		return -1;
	}
	ike_digest(pkt->data, m->h.len, ike->cur_digest);
	if (m->h.exch == ISAKMP_EX_AGGR && memcmp(m->h.rcky, zero, 8) == 0) {
		ike_refuse_aggressive(ike, pkt, m);
		return -1;
	}
	if (memcmp(m->h.rcky, zero, 8) == 0) {
		if (m->h.exch != ISAKMP_EX_IDPROT || (m->h.flags & ISAKMP_FLAG_ENC) || m->h.msgid) {
			drop(ike, pkt,
			     m->h.exch == ISAKMP_EX_INFO ? "unauthenticated informational ignored"
			                                 : "first message is not Main Mode");
			return -1;
		}
		struct ike_sa *sa = ike_sa_find_half(ike, m->h.icky, &pkt->src);
		if (sa) {
			ike_sa_touch(ike, sa);
			/* RFC 2408 §5: a retransmitted first message gets our stored answer again */
			if (sa->state == IKE_ST_MM2 && sa->resp &&
			    memcmp(sa->req_digest, ike->cur_digest, 20) == 0) {
				ike_emit_send(ike, &pkt->dst, &pkt->src, sa->resp, sa->resplen);
				return 0;
			}
			drop(ike, pkt, "first message for a known initiator cookie");
			return -1;
		}
		return ike_mm_first(ike, pkt, m);
	}
	struct ike_sa *sa = ike_sa_find(ike, m->h.icky, m->h.rcky);
	if (!sa) {
		drop(ike, pkt, "unknown cookies");
		return -1;
	}
	ike_sa_touch(ike, sa); /* whatever it does may move this SA's timers, and only this SA's */
	if (m->h.exch == ISAKMP_EX_IDPROT) {
		if (sa->resp && memcmp(sa->req_digest, ike->cur_digest, 20) == 0) {
			ike_frag_send(ike, sa, sa->resp, sa->resplen);
			return 0;
		}
		return ike_mm_input(ike, sa, pkt, m);
	}
	if (sa->state != IKE_ST_EST) {
		drop(ike, pkt,
		     m->h.exch == ISAKMP_EX_INFO ? "informational before Main Mode completed ignored"
		                                 : "exchange before Main Mode completed");
		return -1;
	}
	if (m->h.exch == ISAKMP_EX_QUICK)
		return ike_qm_input(ike, sa, pkt, m);
	if (m->h.exch == ISAKMP_EX_INFO)
		return ike_info_input(ike, sa, pkt, m);
	drop(ike, pkt,
	     m->h.exch == ISAKMP_EX_TRANSACTION ? "mode-config/XAUTH not supported"
	                                        : "unsupported exchange type");
	return -1;
}

struct rp_ev *ike_next_event(struct ike *ike)
{
	return rp_evq_pop(&ike->evq);
}
