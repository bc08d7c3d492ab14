/* Main Mode responder with pre-shared keys (RFC 2409 §5, §5.4), NAT-T detection (RFC 3947 §3)
 * and the refusal of Aggressive Mode. Steps as in isakmpd's ike_main_mode.c: one function per
 * message the responder receives (MM1, MM3, MM5), each answering with MM2, MM4, MM6. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ike_local.h"

#define IKE_NONCE_LEN 32

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);
	if (c && n)
		memcpy(c, p, n);
	return c;
}

/* An unencrypted notify answering a first message (no state exists, RFC 2408 §5.5 allows it). */
static void send_clear_notify(struct ike *ike, const struct rp_pkt *pkt, const struct isakmp_msg *m,
                              uint16_t type)
{
	uint8_t buf[256];
	struct isakmp_wr w;
	isakmp_wr_init(&w, buf, sizeof buf);
	isakmp_wr_hdr(&w, m->h.icky, m->h.rcky, ISAKMP_EX_INFO, 0, 0);
	isakmp_wr_notify(&w, ISAKMP_PROTO_ISAKMP, NULL, 0, type, NULL, 0);
	size_t n = isakmp_wr_finish(&w);
	if (n)
		ike_emit_send(ike, &pkt->dst, &pkt->src, buf, n);
}

void ike_refuse_aggressive(struct ike *ike, const struct rp_pkt *pkt, const struct isakmp_msg *m)
{
	/* Aggressive Mode with a PSK sends the hash in the clear to anyone who asks, which allows
	 * offline guessing of the key (ike-scan --aggressive); it is not offered. */
	rp_log_drop(ike->log, ike->now, "ike", &pkt->src, "Aggressive Mode refused",
	            "(not offered: its PSK hash is open to offline guessing); answering NO-PROPOSAL-CHOSEN");
	send_clear_notify(ike, pkt, m, ISAKMP_N_NO_PROPOSAL_CHOSEN);
	ike_count(ike, NULL, IKE_R_AGGRESSIVE);
}

/* ---- PSK lookup ------------------------------------------------------------------------------ */

static bool addr_in(const struct rp_addr *a, const struct rp_addr *net, unsigned plen)
{
	if (a->family != net->family)
		return false;
	unsigned max = a->family == 4 ? 32 : 128;
	if (plen > max)
		plen = max;
	for (unsigned i = 0; i < plen / 8; i++)
		if (a->ip[i] != net->ip[i])
			return false;
	if (plen % 8) {
		uint8_t mask = (uint8_t)(0xff << (8 - plen % 8));
		if ((a->ip[plen / 8] & mask) != (net->ip[plen / 8] & mask))
			return false;
	}
	return true;
}

size_t ike_psk_candidates(const struct ike_conf *c, const struct rp_addr *peer, const struct ike_psk **out,
                          size_t max)
{
	size_t n = 0;
	/* The ID is encrypted in Main Mode (RFC 2409 §5.4), so keys bound to an ID are tried by
	 * decrypting MM5 with each and checking that its ID is the one the key belongs to. */
	for (size_t i = 0; i < c->npsk && n < max; i++)
		if (c->psks[i].kind >= IKE_PSK_ID_IPV4)
			out[n++] = &c->psks[i];
	const struct ike_psk *best = NULL;
	for (size_t i = 0; i < c->npsk; i++)
		if (c->psks[i].kind == IKE_PSK_ADDR && addr_in(peer, &c->psks[i].addr, c->psks[i].plen) &&
		    (!best || c->psks[i].plen > best->plen))
			best = &c->psks[i];
	if (best && n < max)
		out[n++] = best;
	for (size_t i = 0; i < c->npsk && n < max; i++)
		if (c->psks[i].kind == IKE_PSK_ANY) {
			out[n++] = &c->psks[i];
			break;
		}
	return n;
}

bool ike_psk_id_match(const struct ike_psk *p, const struct isakmp_id_pl *id)
{
	switch (p->kind) {
	case IKE_PSK_ID_IPV4: {
		struct rp_addr a;
		return id->type == ISAKMP_ID_IPV4 && p->id && rp_addr_parse(&a, p->id) == 0 &&
		       a.family == 4 && memcmp(a.ip, id->data, 4) == 0;
	}
	case IKE_PSK_ID_FQDN:
		return id->type == ISAKMP_ID_FQDN && p->id && strlen(p->id) == id->len &&
		       strncasecmp(p->id, (const char *)id->data, id->len) == 0;
	case IKE_PSK_ID_USER_FQDN:
		return id->type == ISAKMP_ID_USER_FQDN && p->id && strlen(p->id) == id->len &&
		       memcmp(p->id, id->data, id->len) == 0;
	default:
		return true;
	}
}

/* ---- MM1 -> MM2 -------------------------------------------------------------------------------- */

/* What the client offered: the first thing to look at when a client type fails, so a warning
 * (level 3) beside the drop line of a refused offer, and only when that line was not suppressed;
 * an accepted offer is a session detail (level 4): an MM1 flood must not write a line per packet
 * at the default level (issue 12). */
static void log_offer(struct ike *ike, int level, const char *who, const struct isakmp_sa *sap,
                      const struct ike_vids *vids)
{
	if (!rp_log_on(ike->log, level))
		return;
	char offer[512], v[160];
	ike_p1_offer_str(sap, offer, sizeof offer);
	ike_vids_str(vids, v, sizeof v);
	rp_logf(ike->log, level, "ike", "Main Mode from %s offers %s; VIDs %s", who, offer, v);
}

int ike_mm_first(struct ike *ike, const struct rp_pkt *pkt, const struct isakmp_msg *m)
{
	struct isakmp_sa sap;
	struct ike_p1_choice ch;
	char why[768], who[RP_ADDR_STRLEN];
	const struct isakmp_pl *sapl = m->npl ? &m->pl[0] : NULL;

	/* RFC 2409 §5: the SA payload comes first, and there is exactly one. */
	if (!sapl || sapl->type != ISAKMP_PL_SA || isakmp_count(m, ISAKMP_PL_SA) != 1 ||
	    isakmp_sa_parse(sapl->body, sapl->len, &sap)) {
		rp_log_drop(ike->log, ike->now, "ike", &pkt->src, "malformed Main Mode SA payload", NULL);
		return -1;
	}
	/* The SA payload is kept until MM5 (HASH_I/HASH_R cover it whole, RFC 2409 §5, under a key
	 * not known before then), so its size is what a half-open SA costs: a junk transform padded
	 * to 64 KiB made each one that big (issue 12). Real offers are a few hundred bytes (Windows'
	 * 14 transforms about 600). */
	if (sapl->len > ike->conf.max_sa_payload) {
		ike_adm_note(ike, IKE_A_SA_PAYLOAD, &pkt->src);
		return -1;
	}
	struct ike_vids vids;
	ike_vid_scan(m, &vids);
	/* The peer's IPsec policy (issue 13): refused outright, or a rule's methods and
	 * authentication instead of the configuration's. Asked again at MM5 and each Quick Mode. */
	struct ike_peer_policy pol;
	ike_pol_ask(ike, &pkt->src, &pol);
	rp_addr_str(&pkt->src, who, sizeof who);
	if (ike_pol_refusal(&pol, why, sizeof why)) {
		if (rp_log_drop(ike->log, ike->now, "ike", &pkt->src, "IPsec policy", "(Main Mode): peer %s %s",
		                who, why))
			log_offer(ike, RP_LOG_WARN, who, &sap, &vids);
		if (pol.action == IKE_POL_PERMIT) /* a BLOCK gets no answer at all */
			send_clear_notify(ike, pkt, m, ISAKMP_N_NO_PROPOSAL_CHOSEN);
		rp_wipe(&pol, sizeof pol);
		ike_count(ike, NULL, IKE_R_NO_PROPOSAL);
		return -1;
	}
	int sel = ike_p1_select(&ike->conf, &pol, &sap, &ch, why, sizeof why);
	rp_wipe(&pol, sizeof pol); /* the rule's PSK: asked for again at MM5 */
	if (sel) {
		bool shown;
		if (strncmp(why, "refused by rule", 15) == 0)
			shown = rp_log_drop(ike->log, ike->now, "ike", &pkt->src, "NO-PROPOSAL-CHOSEN",
			                    "(Main Mode): peer %s %s", who, why);
		else
			shown = rp_log_drop(ike->log, ike->now, "ike", &pkt->src, "NO-PROPOSAL-CHOSEN",
			                    "(Main Mode): %s", why);
		if (shown)
			log_offer(ike, RP_LOG_WARN, who, &sap, &vids);
		send_clear_notify(ike, pkt, m, ISAKMP_N_NO_PROPOSAL_CHOSEN);
		ike_count(ike, NULL, IKE_R_NO_PROPOSAL);
		return -1;
	}
	if (ike->count >= ike->conf.max_sa) {
		/* ran out (issue 17): one line a while however many clients are refused */
		if (!ike->runout_log_ms || ike->now - ike->runout_log_ms >= 10000) {
			ike->runout_log_ms = ike->now ? ike->now : 1;
			rp_logf(ike->log, RP_LOG_ERR, "ike",
			        "out of IKE SAs (%zu): new clients are refused (raise ike.max_sa)",
			        ike->count);
		}
		ike_count(ike, NULL, IKE_R_LIMIT);
		return -1;
	}
	if (ike_adm_mm1(ike, pkt))
		return -1;
	struct ike_sa *sa = ike_sa_add(ike);
	if (!sa)
		return -1;
	memcpy(sa->icky, m->h.icky, 8);
	do {
		if (rp_rng_fill(ike->rng, sa->rcky, 8)) {
			free(sa);
			return -1;
		}
	} while (ike_sa_find(ike, sa->icky, sa->rcky) ||
	         !(sa->rcky[0] | sa->rcky[1] | sa->rcky[2] | sa->rcky[3]));
	sa->state = IKE_ST_MM2;
	sa->local = pkt->dst;
	sa->peer = pkt->src;
	sa->vids = vids;
	sa->natt = ike_natt_best(vids.natt_mask);
	sa->ch = ch;
	sa->ch.xf = NULL; /* points into this message only */
	sa->created_ms = sa->last_rx_ms = ike->now;
	sa->expire_ms = ike->now + ike->conf.halfopen_ms;
	sa->sai_b = dup_bytes(sapl->body, sapl->len);
	sa->sai_len = sapl->len;
	ike_sa_link(ike, sa);
	ike_adm_open(ike, sa);
	if (!sa->sai_b) {
		ike_sa_remove(ike, sa, NULL, false);
		return -1;
	}
	if (!sa->natt && pkt->src.port != 500)
		/* a translated source port means a NAT, and without NAT-T ESP will not pass it */
		rp_logf(ike->log, RP_LOG_WARN, "ike",
		        "Main Mode from %s: client behind a NAT but without NAT-T (expect Windows error 809)",
		        who);
	log_offer(ike, RP_LOG_INFO, who, &sap, &vids);
	rp_log_ike(ike->log, "Main Mode from %s: chose %s-%u/%s/%s, life %u s, NAT-T %s%s", who,
	           ike_enc_name(ch.enc), ch.keylen,
	           ike_hash_name(ch.hash), ike_dh_name(ch.group), ch.life_s, ike_natt_name(sa->natt),
	           vids.ms_nt5 ? ", Windows" : "");

	uint8_t buf[IKE_MAXBUF];
	struct isakmp_wr w;
	size_t vl;
	isakmp_wr_init(&w, buf, sizeof buf);
	isakmp_wr_hdr(&w, sa->icky, sa->rcky, ISAKMP_EX_IDPROT, 0, 0);
	isakmp_wr_sa_reply(&w, sap.doi, sap.sit, ch.pnum, ISAKMP_PROTO_ISAKMP, NULL, 0, ch.xf);
	if (sa->natt) {
		const uint8_t *v = ike_natt_vid(sa->natt, &vl);
		isakmp_wr_pl(&w, ISAKMP_PL_VID, v, vl);
	}
	isakmp_wr_pl(&w, ISAKMP_PL_VID, ike_vid_dpd, sizeof ike_vid_dpd); /* RFC 3706 §5.1: we do DPD */
	if (vids.ms_frag) /* Windows fragments its certificate messages only towards peers that can */
		isakmp_wr_pl(&w, ISAKMP_PL_VID, ike_vid_frag, sizeof ike_vid_frag);
	size_t n = isakmp_wr_finish(&w);
	if (!n) {
		ike_sa_remove(ike, sa, NULL, false);
		return -1;
	}
	ike_sa_send(ike, sa, buf, n, true);
	return 0;
}

/* ---- MM3 -> MM4 -------------------------------------------------------------------------------- */

static int mm3(struct ike *ike, struct ike_sa *sa, const struct rp_pkt *pkt, const struct isakmp_msg *m)
{
	const struct isakmp_pl *ke = isakmp_find(m, ISAKMP_PL_KE, 0),
	                       *no = isakmp_find(m, ISAKMP_PL_NONCE, 0);
	char who[RP_ADDR_STRLEN];
	if (m->h.flags & ISAKMP_FLAG_ENC || !ke || !no || isakmp_count(m, ISAKMP_PL_KE) != 1) {
		rp_log_drop(ike->log, ike->now, "ike", &pkt->src, "malformed MM3", NULL);
		return -1;
	}
	if (ke->len != ike_dh_publen(sa->ch.group)) {
		rp_log_drop(ike->log, ike->now, "ike", &pkt->src, "MM3 KE length does not match the group",
		            "(%zu bytes for %s)", ke->len, ike_dh_name(sa->ch.group));
		return -1;
	}
	if (no->len < 8 || no->len > 256) { /* RFC 2409 §5: nonces are 8-256 bytes */
		rp_log_drop(ike->log, ike->now, "ike", &pkt->src, "MM3 nonce length out of range", NULL);
		return -1;
	}
	/* Our responder cookie is the proof that the sender received MM2 (RFC 2408 §2.5.3), but only
	 * from the address MM2 went to: anyone else who learnt the cookies gets no DH work. */
	if (!rp_addr_ipeq(&pkt->src, &sa->peer)) {
		ike_adm_note(ike, IKE_A_MM3_SOURCE, &pkt->src);
		return -1;
	}
	ike_adm_proven(ike, sa);
	if (!ike_adm_dh(ike, sa))
		return -1; /* over the DH budget: the peer's retransmission of MM3 comes back here */
	uint8_t gxy[IKE_MAXPUB];
	size_t gxylen = 0;
	struct ike_dh dh;
	memset(&dh, 0, sizeof dh);
	int dhr =
	    ike_dh_init(&dh, sa->ch.group, ike->rng) || ike_dh_shared(&dh, ke->body, ke->len, gxy, &gxylen);
	if (!dhr) {
		sa->gxr = dup_bytes(dh.pub, dh.publen);
		sa->gxrlen = dh.publen;
	}
	ike_dh_clear(&dh); /* the private value is done with once g^xy is known */
	if (dhr) {
		rp_log_drop(ike->log, ike->now, "ike", &pkt->src, "invalid DH public value", "(%s)",
		            ike_dh_name(sa->ch.group));
		ike_sa_remove(ike, sa, NULL, false);
		return -1;
	}
	/* NAT-D (RFC 3947 §3.2): first hash is the receiver (us, as the packet's destination), the
	 * others the sender's own addresses. Payload number by the negotiated NAT-T version. */
	uint8_t natd_t = sa->natt == IKE_NATT_RFC ? ISAKMP_PL_NATD : ISAKMP_PL_NATD_DRAFT;
	size_t nnatd = sa->natt ? isakmp_count(m, natd_t) : 0;
	size_t hl = ike_hash_len(sa->ch.hash);
	uint8_t hme[IKE_MAXHASH], hpeer[IKE_MAXHASH];
	ike_natd_hash(sa->ch.hash, sa->icky, sa->rcky, &pkt->dst, hme);
	ike_natd_hash(sa->ch.hash, sa->icky, sa->rcky, &pkt->src, hpeer);
	if (nnatd >= 2) {
		const struct isakmp_pl *d0 = isakmp_find(m, natd_t, 0);
		sa->nat_local = !(d0->len == hl && memcmp(d0->body, hme, hl) == 0);
		sa->nat_peer = true;
		for (unsigned i = 1; i < nnatd; i++) {
			const struct isakmp_pl *d = isakmp_find(m, natd_t, i);
			if (d->len == hl && memcmp(d->body, hpeer, hl) == 0)
				sa->nat_peer = false;
		}
		if (sa->nat_local && sa->vids.ms_nt5)
			/* docs/clients.md, Windows: Windows talks to a server behind NAT only with this set
			 */
			rp_logf(ike->log, RP_LOG_WARN, "ike",
			        "%s is Windows and this server is behind a NAT: the client needs registry "
			        "AssumeUDPEncapsulationContextOnSendRule=2 (else error 809)",
			        rp_addr_str(&pkt->src, who, sizeof who));
		rp_log_ike(ike->log, "NAT-D with %s: %s%s%s", rp_addr_str(&pkt->src, who, sizeof who),
		           sa->nat_peer ? "peer behind NAT" : "", sa->nat_peer && sa->nat_local ? ", " : "",
		           sa->nat_local ? "we are behind NAT" : (sa->nat_peer ? "" : "no NAT"));
	} else if (sa->natt) {
		sa->natt = IKE_NATT_NONE; /* NAT-T VIDs but no NAT-D: the peer does not do it after all */
	}
	if (isakmp_find(m, ISAKMP_PL_CR, 0))
		sa->peer_cr = true; /* RFC 2409 §5.1: a CR may come in MM3 (Windows) or MM5 */
	sa->gxi = dup_bytes(ke->body, ke->len);
	sa->gxilen = ke->len;
	sa->ni = dup_bytes(no->body, no->len);
	sa->nilen = no->len;
	sa->nr = malloc(IKE_NONCE_LEN);
	sa->nrlen = IKE_NONCE_LEN;
	sa->gxy = dup_bytes(gxy, gxylen);
	sa->gxylen = gxylen;
	rp_wipe(gxy, sizeof gxy);
	if (!sa->gxi || !sa->gxr || !sa->ni || !sa->nr || !sa->gxy ||
	    rp_rng_fill(ike->rng, sa->nr, IKE_NONCE_LEN)) {
		ike_sa_remove(ike, sa, NULL, false);
		return -1;
	}

	uint8_t buf[IKE_MAXBUF];
	struct isakmp_wr w;
	isakmp_wr_init(&w, buf, sizeof buf);
	isakmp_wr_hdr(&w, sa->icky, sa->rcky, ISAKMP_EX_IDPROT, 0, 0);
	isakmp_wr_pl(&w, ISAKMP_PL_KE, sa->gxr, sa->gxrlen);
	isakmp_wr_pl(&w, ISAKMP_PL_NONCE, sa->nr, sa->nrlen);
	if (sa->natt) {
		isakmp_wr_pl(&w, natd_t, hpeer, hl); /* the receiver (the peer) first */
		isakmp_wr_pl(&w, natd_t, hme, hl);
	}
	if (sa->ch.auth == IKE_AUTH_RSA_SIG)
		ike_mm_sig_cr(ike, &w);
	size_t n = isakmp_wr_finish(&w);
	if (!n)
		return -1;
	sa->state = IKE_ST_MM4;
	sa->last_rx_ms = ike->now;
	ike_sa_send(ike, sa, buf, n, true);
	return 0;
}

/* ---- MM5 -> MM6 -------------------------------------------------------------------------------- */

/* HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b), HASH_R swaps (§5). */
int ike_mm_auth_hash(const struct ike_sa *sa, const struct ike_keys *k, bool initiator, const uint8_t *id,
                     size_t idlen, uint8_t *out)
{
	struct ike_iov v[] = {
	    {initiator ? sa->gxi : sa->gxr, initiator ? sa->gxilen : sa->gxrlen},
	    {initiator ? sa->gxr : sa->gxi, initiator ? sa->gxrlen : sa->gxilen},
	    {initiator ? sa->icky : sa->rcky, 8},
	    {initiator ? sa->rcky : sa->icky, 8},
	    {sa->sai_b, sa->sai_len},
	    {id, idlen},
	};
	return ike_prf(k->hash, k->skeyid, k->hlen, v, 6, out);
}

/* IPsec SAs left by an earlier IKE SA of this peer (same address, port and ID) come under sa. */
static void adopt_orphans(struct ike *ike, struct ike_sa *sa)
{
	uint64_t h = ike_hash_addr(ike, &sa->peer, false);
	for (struct ike_hnode *x = ike_htab_head(&ike->orphans, h), *nx; x; x = nx) {
		nx = x->next;
		struct ike_child *c = IKE_CHILD_ORPHAN(x);
		if (x->h == h && !c->owner && rp_addr_eq(&c->ev.peer, &sa->peer) &&
		    strcmp(c->ev.peer_id, sa->peer_id) == 0)
			ike_child_set_owner(ike, c, sa);
	}
}

/* rule: the NEGOTIATE rule whose own PSK is the one candidate (named in the mismatch line, so an
 * administrator sees that the configuration's key was not tried for this peer), or NULL. */
static int mm5_keys(struct ike *ike, struct ike_sa *sa, const struct rp_pkt *pkt, const struct isakmp_msg *m,
                    const struct ike_psk *const *cand, size_t nc, const struct ike_peer_policy *rule)
{
	char who[RP_ADDR_STRLEN];
	int best_fail = 0; /* 0 nothing decrypted, 1 decrypted but HASH_I wrong, 2 ID not the key's */
	struct ike_keys k;
	uint8_t iv[IKE_MAXBLK], *plain = NULL;
	struct isakmp_msg dm;
	struct isakmp_id_pl id;
	const struct ike_psk *psk = NULL;

	rp_addr_str(&pkt->src, who, sizeof who);
	if (!(m->h.flags & ISAKMP_FLAG_ENC)) {
		rp_log_drop(ike->log, ike->now, "ike", &pkt->src, "MM5 not encrypted", NULL);
		return -1;
	}
	for (size_t i = 0; i < nc && !psk; i++) {
		memset(&k, 0, sizeof k);
		k.hash = sa->ch.hash;
		k.enc = sa->ch.enc;
		k.klen = ike_enc_keylen(sa->ch.enc, sa->ch.keylen);
		if (ike_skeyid_psk(&k, cand[i]->key, cand[i]->keylen, sa->ni, sa->nilen, sa->nr, sa->nrlen) ||
		    ike_keys_derive(&k, sa->gxy, sa->gxylen, sa->icky, sa->rcky) ||
		    ike_iv_p1(k.hash, k.blk, sa->gxi, sa->gxilen, sa->gxr, sa->gxrlen, iv))
			continue;
		if (ike_decrypt(&k, iv, pkt->data, m->h.len, &plain, &dm))
			continue;
		const struct isakmp_pl *idp = isakmp_find(&dm, ISAKMP_PL_ID, 0),
		                       *hp = isakmp_find(&dm, ISAKMP_PL_HASH, 0);
		uint8_t h[IKE_MAXHASH];
		if (idp && hp && isakmp_id_parse(idp->body, idp->len, &id) == 0) {
			if (best_fail < 1)
				best_fail = 1;
			if (hp->len == k.hlen &&
			    ike_mm_auth_hash(sa, &k, true, idp->body, idp->len, h) == 0 &&
			    rp_ct_memeq(h, hp->body, k.hlen)) {
				if (ike_psk_id_match(cand[i], &id))
					psk = cand[i];
				else
					best_fail = 2;
			}
		}
		if (!psk) {
			free(plain);
			plain = NULL;
		}
	}
	if (!psk) {
		/* Rate-limited per peer, and no state change: a forged or corrupted MM5 must not
		 * end a handshake the real peer can still complete with its retransmission. */
		rp_log_drop(ike->log, ike->now, "ike", &pkt->src,
		            nc == 0          ? "no pre-shared key configured for this peer"
		            : best_fail == 1 ? "PSK mismatch: HASH_I invalid"
		            : best_fail == 2 ? "PSK matched a key bound to another identity"
		                             : "PSK mismatch: MM5 does not decrypt to a valid message",
		            "(Main Mode, %zu key(s) tried%s%.64s%s%.16s%s)", nc,
		            rule ? ": the pre-shared key of rule " : "", rule ? rule->rule : "",
		            rule ? " (store " : "", rule ? rule->store : "", rule ? ")" : "");
		ike_count(ike, sa, IKE_R_PSK_MISMATCH);
		rp_wipe(&k, sizeof k);
		return -1;
	}
	isakmp_id_str(&id, sa->peer_id, sizeof sa->peer_id);
	sa->id_type = id.type;
	for (size_t i = 0; i < dm.npl; i++) {
		struct isakmp_notify_pl np;
		if (dm.pl[i].type == ISAKMP_PL_N && !isakmp_notify_parse(dm.pl[i].body, dm.pl[i].len, &np) &&
		    np.type == ISAKMP_N_INITIAL_CONTACT)
			sa->initial_contact = true;
	}
	if (sa->vids.ms_ic)
		sa->initial_contact = true;
	sa->k = k;
	rp_wipe(&k, sizeof k);
	memcpy(sa->iv, iv, sizeof iv);
	/* Authenticated: the peer's address may now move (port floating to 4500, NAT rebinding). */
	sa->peer = pkt->src;
	sa->local = pkt->dst;

	/* Our ID: our address (RFC 2407 §4.6.2: protocol/port 0 or UDP/500 in phase 1; mirror the
	 * peer's choice, as Windows sends UDP/500). */
	uint8_t buf[IKE_MAXBUF];
	struct isakmp_wr w;
	uint8_t idb[4 + 16];
	size_t al = sa->local.family == 6 ? 16 : 4;
	idb[0] = sa->local.family == 6 ? ISAKMP_ID_IPV6 : ISAKMP_ID_IPV4;
	idb[1] = id.proto == 17 ? 17 : 0;
	rp_put_u16(idb + 2, id.proto == 17 ? id.port : 0);
	memcpy(idb + 4, sa->local.ip, al);
	uint8_t hr[IKE_MAXHASH];
	ike_mm_auth_hash(sa, &sa->k, false, idb, 4 + al, hr);
	isakmp_wr_init(&w, buf, sizeof buf);
	isakmp_wr_hdr(&w, sa->icky, sa->rcky, ISAKMP_EX_IDPROT, 0, 0);
	isakmp_wr_pl(&w, ISAKMP_PL_ID, idb, 4 + al);
	isakmp_wr_pl(&w, ISAKMP_PL_HASH, hr, sa->k.hlen);
	size_t n = isakmp_wr_finish(&w);
	free(plain);
	return ike_mm_finish(ike, sa, buf, n, sizeof buf);
}

/* The PSK candidates: a NEGOTIATE rule's own key if it has one, else the configuration's lookup. */
static int mm5(struct ike *ike, struct ike_sa *sa, const struct rp_pkt *pkt, const struct isakmp_msg *m)
{
	const struct ike_psk *cand[16];
	struct ike_peer_policy pol;
	struct ike_psk rule_psk;
	char why[160], who[RP_ADDR_STRLEN];
	size_t nc;
	int rc = -1;

	ike_pol_ask(ike, &pkt->src, &pol);
	if (ike_pol_refusal(&pol, why, sizeof why)) {
		/* the policy changed since MM1: the exchange goes no further */
		rp_log_drop(ike->log, ike->now, "ike", &pkt->src, "IPsec policy", "(Main Mode): peer %s %s",
		            rp_addr_str(&pkt->src, who, sizeof who), why);
		goto out;
	}
	bool by_rule = pol.action == IKE_POL_NEGOTIATE && pol.auth_psk && pol.psk_len;
	if (by_rule) {
		rule_psk = (struct ike_psk){.kind = IKE_PSK_ANY, .key = pol.psk, .keylen = pol.psk_len};
		cand[0] = &rule_psk;
		nc = 1;
	} else {
		nc = ike_psk_candidates(&ike->conf, &pkt->src, cand, RP_ARRAY_LEN(cand));
	}
	rc = mm5_keys(ike, sa, pkt, m, cand, nc, by_rule ? &pol : NULL);
out:
	rp_wipe(&pol, sizeof pol);
	return rc;
}

int ike_mm_finish(struct ike *ike, struct ike_sa *sa, uint8_t *buf, size_t n, size_t cap)
{
	char who[RP_ADDR_STRLEN];
	rp_addr_str(&sa->peer, who, sizeof who);
	if (!n || !(n = ike_encrypt(&sa->k, sa->iv, buf, n, cap))) {
		ike_sa_remove(ike, sa, NULL, false);
		return -1;
	}
	sa->state = IKE_ST_EST;
	ike_adm_close(ike, sa);
	ike_adm_success(ike, &sa->peer);
	ike_sa_index(ike, sa);
	sa->est_ms = ike->now;
	sa->counted = false; /* a PSK candidate that failed before the one that worked */
	ike_count(ike, sa, IKE_R_OK);
	ike_count_mm_time(ike, sa->est_ms - sa->created_ms);
	sa->last_rx_ms = ike->now;
	sa->expire_ms = ike->now + (uint64_t)sa->ch.life_s * 1000;
	sa->dpd_next_ms = ike->now + (uint64_t)ike->conf.dpd_idle_s * 1000;
	ike_mm_forget(sa); /* no longer needed: SKEYID_d carries phase 2 */
	ike_sa_send(ike, sa, buf, n, true);
	rp_logf(ike->log, RP_LOG_INFO, "ike",
	        "Main Mode with %s established: id %s%s%s, %s-%u/%s/%s, life %u s%s%s%s", who, sa->peer_id,
	        *sa->account ? ", account " : "", sa->account, ike_enc_name(sa->ch.enc), sa->ch.keylen,
	        ike_hash_name(sa->ch.hash), ike_dh_name(sa->ch.group), sa->ch.life_s,
	        sa->nat_peer ? ", peer behind NAT" : "",
	        sa->local.port == ike->conf.natt_port ? ", NAT-T port" : "",
	        sa->vids.ms_nt5 ? ", Windows" : "");
	if (ike->conf.keylog) {
		char line[200];
		if (ike_keylog_line(line, sizeof line, sa->icky, sa->k.key, sa->k.klen) == 0) {
			struct rp_ev *ev = rp_ev_new(IKE_EV_KEYLOG, strlen(line));
			if (ev) {
				memcpy(ev->data, line, strlen(line));
				rp_evq_push(&ike->evq, ev);
			}
		}
	}
	ike_emit_ike(ike, sa, IKE_EV_IKE_UP, NULL);
	if (sa->initial_contact)
		ike_initial_contact(ike, sa);
	adopt_orphans(ike, sa);
	return 0;
}

int ike_mm_input(struct ike *ike, struct ike_sa *sa, const struct rp_pkt *pkt, const struct isakmp_msg *m)
{
	if (m->h.msgid != 0) {
		rp_log_drop(ike->log, ike->now, "ike", &pkt->src, "Main Mode message with a message ID",
		            NULL);
		return -1;
	}
	switch (sa->state) {
	case IKE_ST_MM2:
		return mm3(ike, sa, pkt, m);
	case IKE_ST_MM4:
		return sa->ch.auth == IKE_AUTH_RSA_SIG ? ike_mm5_sig(ike, sa, pkt, m) : mm5(ike, sa, pkt, m);
	case IKE_ST_FAILED:
		return -1;
	default:
		rp_log_drop(ike->log, ike->now, "ike", &pkt->src, "unexpected Main Mode message", NULL);
		return -1;
	}
}
