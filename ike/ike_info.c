/* Informational exchanges (RFC 2408 §4.8, RFC 2409 §5.7): DELETE both ways, INITIAL-CONTACT
 * (RFC 2407 §4.6.3.3), error notifies, and Dead Peer Detection (RFC 3706). Only protected
 * informationals are acted on: an unauthenticated DELETE would let anyone cut a tunnel. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike_local.h"

static int send_info(struct ike *ike, struct ike_sa *sa, bool is_delete, uint8_t proto, const uint8_t *spi,
                     size_t spi_size, uint16_t type, const void *data, size_t len)
{
	struct ike_keys *k = &sa->k;
	uint8_t buf[IKE_MAXBUF], iv[IKE_MAXBLK], mid[4];
	struct isakmp_wr w;
	uint32_t msgid;
	do
		msgid = rp_rng_u32(ike->rng);
	while (msgid == 0);
	/* FAILED with keys: a certificate refusal in MM5 told to the peer under phase-1 keys */
	if ((sa->state != IKE_ST_EST && !(sa->state == IKE_ST_FAILED && k->hlen)) ||
	    ike_iv_p2(k->hash, k->blk, sa->iv, msgid, iv))
		return -1;
	isakmp_wr_init(&w, buf, sizeof buf);
	isakmp_wr_hdr(&w, sa->icky, sa->rcky, ISAKMP_EX_INFO, 0, msgid);
	size_t hs = isakmp_wr_begin(&w, ISAKMP_PL_HASH);
	rp_wr_zero(&w.w, k->hlen);
	isakmp_wr_end(&w, hs);
	size_t after = w.w.len;
	if (is_delete)
		isakmp_wr_delete(&w, proto, spi, spi_size);
	else
		isakmp_wr_notify(&w, proto, spi, spi_size, type, data, len);
	size_t n = isakmp_wr_finish(&w);
	if (!n)
		return -1;
	/* RFC 2409 §5.7: HASH(1) = prf(SKEYID_a, M-ID | N/D) */
	rp_put_u32(mid, msgid);
	struct ike_iov v[] = {{mid, 4}, {buf + after, n - after}};
	if (ike_prf(k->hash, k->a, k->hlen, v, 2, buf + hs + ISAKMP_GEN_LEN))
		return -1;
	n = ike_encrypt(k, iv, buf, n, sizeof buf);
	if (!n)
		return -1;
	ike_emit_send(ike, &sa->local, &sa->peer, buf, n);
	return 0;
}

int ike_info_send_notify(struct ike *ike, struct ike_sa *sa, uint8_t proto, const uint8_t *spi,
                         size_t spi_size, uint16_t type, const void *data, size_t len)
{
	return send_info(ike, sa, false, proto, spi, spi_size, type, data, len);
}

int ike_info_send_delete(struct ike *ike, struct ike_sa *sa, uint8_t proto, const uint8_t *spi,
                         size_t spi_size)
{
	return send_info(ike, sa, true, proto, spi, spi_size, 0, NULL, 0);
}

/* Is (peer, id, id_auth), an SA we hold, the same entity as sa, which sent INITIAL-CONTACT?
 * RFC 2407 §4.6.3.3 lets the receiver delete the SAs of "the sending entity". What proves the
 * entity differs by authentication method:
 *  - certificates: the peer's ID was matched against a validated certificate whose key signed
 *    SIG_I (ike_mm_sig.c), so an equal ID on both SAs is the same key holder; the port may differ.
 *  - pre-shared keys: the ID is self-asserted, and PSK clients behind one NAT commonly share both
 *    the key and the ID (Windows sends its private address, often the same 192.168.1.x on every
 *    home LAN; many deployments hand every user one FQDN). The outer IP is the NAT's, common to
 *    all of them. Only the outer address AND port tell one client from another: matching on IP
 *    and ID alone let any client behind a NAT tear down every other one's SAs.
 * The cost: a PSK client that crashes and comes back through a NAT that gave it a new port (as a
 * NAT may once its old mapping is gone) is indistinguishable from a neighbour, so its old SAs are
 * not replaced; they end through DPD / idle timeouts instead. A stale SA for a while is the safe
 * failure; cutting other users' tunnels is not. A crashed client whose mapping survived (the
 * usual case when it reconnects quickly: same private port, conntrack entry still there) comes
 * back from the same address and port and is replaced at once. */
static bool same_entity(const struct ike_sa *sa, const struct rp_addr *peer, const char *peer_id,
                        bool id_auth)
{
	if (!rp_addr_ipeq(peer, &sa->peer) || strcmp(peer_id, sa->peer_id) != 0)
		return false;
	if (id_auth && sa->id_auth)
		return true;
	return rp_addr_eq(peer, &sa->peer);
}

/* Only SAs that can be the same entity are looked at: with a proven identity every candidate has
 * sa's IP and ID (by_id); without one it has sa's address and port (by_addr). An IPsec SA's ID is
 * its owner's (Quick Mode copies it; heirs and adopters have the same), so the IPsec SAs to check
 * hang off the SAs of that one chain; orphans are found by IP. */
void ike_initial_contact(struct ike *ike, struct ike_sa *sa)
{
	const struct ike_htab *t = sa->id_auth ? &ike->by_id : &ike->by_addr;
	uint64_t h =
	    sa->id_auth ? ike_hash_id(ike, &sa->peer, sa->peer_id) : ike_hash_addr(ike, &sa->peer, true);
	for (struct ike_hnode *x = ike_htab_head(t, h), *nx; x; x = nx) {
		nx = x->next;
		struct ike_sa *o = sa->id_auth ? IKE_SA_BY_ID(x) : IKE_SA_BY_ADDR(x);
		if (x->h == h && o != sa && o->state == IKE_ST_EST &&
		    same_entity(sa, &o->peer, o->peer_id, o->id_auth))
			ike_sa_remove(ike, o, "INITIAL-CONTACT from the peer", true);
	}
	/* children of SAs that stay (an IPsec SA inherited with another id_auth than its owner's) */
	for (struct ike_hnode *x = ike_htab_head(t, h); x; x = x->next) {
		struct ike_sa *o = sa->id_auth ? IKE_SA_BY_ID(x) : IKE_SA_BY_ADDR(x);
		if (x->h != h || o == sa)
			continue;
		/* an owned child follows its IKE SA's current endpoint (NAT rebinding) */
		for (struct ike_child *c = o->kids, *n; c; c = n) {
			n = c->snext;
			if (same_entity(sa, &o->peer, c->ev.peer_id, c->id_auth))
				ike_child_delete(ike, c, false, "INITIAL-CONTACT from the peer");
		}
	}
	uint64_t hi = ike_hash_addr(ike, &sa->peer, false);
	for (struct ike_hnode *x = ike_htab_head(&ike->orphans, hi), *nx; x; x = nx) {
		nx = x->next;
		struct ike_child *c = IKE_CHILD_ORPHAN(x);
		if (x->h == hi && same_entity(sa, &c->ev.peer, c->ev.peer_id, c->id_auth))
			ike_child_delete(ike, c, false, "INITIAL-CONTACT from the peer");
	}
}

static void handle_delete(struct ike *ike, struct ike_sa **psa, const struct isakmp_delete_pl *d)
{
	struct ike_sa *sa = *psa;
	if (d->proto == ISAKMP_PROTO_ISAKMP && d->spi_size == 16) {
		for (unsigned i = 0; i < d->nspi; i++)
			if (memcmp(d->spis + 16 * i, sa->icky, 8) == 0 &&
			    memcmp(d->spis + 16 * i + 8, sa->rcky, 8) == 0) {
				ike_sa_remove(ike, sa, "deleted by the peer", false);
				*psa = NULL;
				return;
			}
		return;
	}
	if (d->proto != ISAKMP_PROTO_ESP || d->spi_size != 4)
		return;
	for (unsigned i = 0; i < d->nspi; i++) {
		uint32_t spi = rp_get_u32(d->spis + 4 * i);
		/* The peer names the SPI it receives with (our outbound); accept ours too. Its own
		 * IPsec SAs first, then orphans from its IP (a DELETE after a phase-1 re-key). */
		struct ike_child *hit = NULL;
		for (struct ike_child *c = sa->kids; c && !hit; c = c->snext)
			if (c->ev.spi_out == spi || c->ev.spi_in == spi)
				hit = c;
		uint64_t h = ike_hash_addr(ike, &sa->peer, false);
		for (struct ike_hnode *x = ike_htab_head(&ike->orphans, h); x && !hit; x = x->next) {
			struct ike_child *c = IKE_CHILD_ORPHAN(x);
			if (x->h == h && rp_addr_ipeq(&c->ev.peer, &sa->peer) &&
			    (c->ev.spi_out == spi || c->ev.spi_in == spi))
				hit = c;
		}
		if (hit)
			ike_child_delete(ike, hit, false, "deleted by the peer");
	}
}

int ike_info_input(struct ike *ike, struct ike_sa *sa, const struct rp_pkt *pkt, const struct isakmp_msg *m)
{
	struct ike_keys *k = &sa->k;
	uint8_t iv[IKE_MAXBLK], *plain = NULL, h[IKE_MAXHASH], mid[4];
	struct isakmp_msg dm;
	char who[RP_ADDR_STRLEN];
	rp_addr_str(&pkt->src, who, sizeof who);
	if (!(m->h.flags & ISAKMP_FLAG_ENC) || m->h.msgid == 0) {
		rp_log_drop(ike->log, ike->now, "ike", &pkt->src, "unauthenticated informational ignored",
		            NULL);
		return -1;
	}
	if (ike_iv_p2(k->hash, k->blk, sa->iv, m->h.msgid, iv) ||
	    ike_decrypt(k, iv, pkt->data, m->h.len, &plain, &dm)) {
		rp_log_drop(ike->log, ike->now, "ike", &pkt->src, "informational does not decrypt", NULL);
		return -1;
	}
	const struct isakmp_pl *hp = dm.npl ? &dm.pl[0] : NULL;
	if (!hp || hp->type != ISAKMP_PL_HASH || hp->len != k->hlen || dm.npl < 2) {
		rp_log_drop(ike->log, ike->now, "ike", &pkt->src, "informational without HASH(1)", NULL);
		free(plain);
		return -1;
	}
	const struct isakmp_pl *last = &dm.pl[dm.npl - 1];
	const uint8_t *rest = hp->raw + hp->rawlen;
	rp_put_u32(mid, m->h.msgid);
	struct ike_iov v[] = {{mid, 4}, {rest, (size_t)(last->raw + last->rawlen - rest)}};
	if (ike_prf(k->hash, k->a, k->hlen, v, 2, h) || !rp_ct_memeq(h, hp->body, k->hlen)) {
		rp_log_drop(ike->log, ike->now, "ike", &pkt->src, "informational HASH(1) invalid", NULL);
		free(plain);
		return -1;
	}
	for (unsigned i = 0; i < RP_ARRAY_LEN(sa->info_seen); i++)
		if (sa->info_seen[i] == m->h.msgid) {
			/* a replayed (or retransmitted) informational: a replayed INITIAL-CONTACT must
			 * not remove SAs set up since */
			rp_log_drop(ike->log, ike->now, "ike", &pkt->src, "informational replayed", NULL);
			free(plain);
			return -1;
		}
	sa->info_seen[sa->info_next++ % RP_ARRAY_LEN(sa->info_seen)] = m->h.msgid;
	sa->last_rx_ms = ike->now;
	if (!rp_addr_eq(&pkt->src, &sa->peer) && pkt->dst.port == sa->local.port)
		ike_sa_set_peer(
		    ike, sa,
		    &pkt->src); /* authenticated: a NAT rebinding (DPD answers go to the new mapping) */
	for (size_t i = 1; i < dm.npl && sa; i++) {
		const struct isakmp_pl *pl = &dm.pl[i];
		if (pl->type == ISAKMP_PL_D) {
			struct isakmp_delete_pl d;
			if (isakmp_delete_parse(pl->body, pl->len, &d) == 0)
				handle_delete(ike, &sa, &d);
			continue;
		}
		struct isakmp_notify_pl n;
		if (pl->type != ISAKMP_PL_N || isakmp_notify_parse(pl->body, pl->len, &n))
			continue;
		switch (n.type) {
		case ISAKMP_N_INITIAL_CONTACT:
			ike_initial_contact(ike, sa);
			break;
		case ISAKMP_N_DPD_R_U_THERE:
			/* RFC 3706 §5.3: answer with the same sequence number and cookies */
			if (n.len == 4)
				ike_info_send_notify(ike, sa, ISAKMP_PROTO_ISAKMP, n.spi, n.spi_size,
				                     ISAKMP_N_DPD_R_U_THERE_ACK, n.data, 4);
			break;
		case ISAKMP_N_DPD_R_U_THERE_ACK:
			if (n.len == 4 && rp_get_u32(n.data) == sa->dpd_pending)
				sa->dpd_pending = 0;
			break;
		default:
			rp_logf(ike->log, RP_LOG_WARN, "ike", "notify %u from %s (id %s)", n.type, who,
			        sa->peer_id);
			/* An error notify (RFC 2408 §3.14.1, types < 8192) while a Quick Mode waits for
			 * QM3 means the initiator gave up on it (e.g. its SA install failed). */
			if (n.type < 8192)
				for (struct ike_qm *q = sa->qms; q; q = q->next)
					if (!q->done)
						ike_qm_abort(ike, q, "initiator refused the Quick Mode");
		}
	}
	free(plain);
	return 0;
}

void ike_dpd_tick(struct ike *ike, struct ike_sa *sa, uint64_t now)
{
	if (!sa->vids.dpd)
		return; /* Windows does not do DPD; L2TP HELLO and LCP echo cover it (docs/clients.md) */
	uint64_t idle = (uint64_t)ike->conf.dpd_idle_s * 1000,
	         dead = (uint64_t)ike->conf.dpd_timeout_s * 1000;
	if (sa->dpd_pending && now >= sa->last_rx_ms + dead) {
		/* RFC 3706 §5.5: no answer for long enough: the peer is gone (iOS sends no DELETE). */
		ike_sa_remove(ike, sa, "dead peer (DPD)", true);
		return;
	}
	if (now < sa->dpd_next_ms)
		return;
	if (now >= sa->last_rx_ms + idle) {
		uint8_t seq[4], spi[16];
		sa->dpd_seq++;
		if (sa->dpd_seq == 0)
			sa->dpd_seq = 1;
		rp_put_u32(seq, sa->dpd_seq);
		memcpy(spi, sa->icky, 8);
		memcpy(spi + 8, sa->rcky, 8);
		ike_info_send_notify(ike, sa, ISAKMP_PROTO_ISAKMP, spi, 16, ISAKMP_N_DPD_R_U_THERE, seq, 4);
		sa->dpd_pending = sa->dpd_seq;
		sa->dpd_next_ms = now + 5000; /* retry while waiting, until the dead timeout */
	} else {
		sa->dpd_next_ms = sa->last_rx_ms + idle;
	}
}
