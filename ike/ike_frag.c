/* IKEv1 fragmentation (Microsoft/Cisco, not an RFC; payload 132 as Windows, strongSwan and
 * Libreswan implement it). Windows splits Main Mode messages once certificates make them large.
 * A fragment message is an ISAKMP header (the original's, next payload 132, not encrypted)
 * followed by one fragment payload:
 *   next payload (0) | reserved | length (2) | fragment ID (2) | number (1, from 1) | flags (1: last)
 * and the data; the fragments' data in number order is the original message, header included.
 *
 * Receiving is the bug magnet of every IKE stack (docs/clients.md, Windows), so it is strict: only for an IKE
 * SA that exists (cookies known, so never state for a spoofed first packet), one reassembly per
 * IKE SA, at most IKE_FRAG_MAX fragments and IKE_FRAG_TOTAL bytes (IKE_FRAG_GLOBAL over all
 * SAs, ike.frag_per_ip per peer address), a timeout on the SA's timer, duplicates and
 * conflicting copies dropped, a newer fragment ID replaces an older one, an older one is dropped,
 * and the result must be a whole, unfragmented message for the same cookies. */
#include <stdlib.h>
#include <string.h>

#include "ike_local.h"

#define IKE_FRAG_HDR 8

void ike_frag_free(struct ike *ike, struct ike_sa *sa)
{
	if (!sa->frag)
		return;
	ike->frag_bytes -= sa->frag->total;
	if (sa->frag->src) {
		sa->frag->src->frag_bytes -= sa->frag->total;
		ike_src_put(ike, sa->frag->src);
	}
	for (unsigned i = 0; i < IKE_FRAG_MAX; i++)
		free(sa->frag->part[i]);
	free(sa->frag);
	sa->frag = NULL;
}

static int fdrop(struct ike *ike, const struct rp_pkt *pkt, const char *why)
{
	rp_log_drop(ike->log, ike->now, "ike", &pkt->src, "IKE fragment dropped", "(%s)", why);
	return -1;
}

int ike_frag_input(struct ike *ike, const struct rp_pkt *pkt, const struct isakmp_hdr *h)
{
	static const uint8_t zero[8];
	const uint8_t *p = pkt->data + ISAKMP_HDR_LEN;
	size_t len = h->len - ISAKMP_HDR_LEN;
	struct rp_rd r;
	uint8_t np, resv, num, flags;
	uint16_t plen, id;

	if (memcmp(h->rcky, zero, 8) == 0)
		return fdrop(ike, pkt, "no responder cookie: a first message is never fragmented");
	struct ike_sa *sa = ike_sa_find(ike, h->icky, h->rcky);
	if (!sa)
		return fdrop(ike, pkt, "unknown cookies");
	ike_sa_touch(ike, sa); /* a reassembly's timeout is one of its deadlines */
	rp_rd_init(&r, p, len);
	if (rp_rd_u8(&r, &np) || rp_rd_u8(&r, &resv) || rp_rd_u16(&r, &plen) || rp_rd_u16(&r, &id) ||
	    rp_rd_u8(&r, &num) || rp_rd_u8(&r, &flags))
		return fdrop(ike, pkt, "truncated fragment payload");
	/* exactly one fragment payload filling the message */
	if (np != ISAKMP_PL_NONE || plen != len || plen <= IKE_FRAG_HDR)
		return fdrop(ike, pkt, "fragment payload length or chain invalid");
	if (num == 0 || num > IKE_FRAG_MAX)
		return fdrop(ike, pkt, "fragment number out of range");
	const uint8_t *data = p + IKE_FRAG_HDR;
	size_t dlen = plen - IKE_FRAG_HDR;
	bool last = flags & 1;

	struct ike_frag *f = sa->frag;
	if (f && ike->now >= f->expire_ms)
		ike_frag_free(ike, sa); /* timed out: start over */
	else if (f && id != f->id) {
		/* a new message replaces an unfinished one (the peer gave up on it); a stale ID is
		 * a late fragment of something already replaced */
		if ((uint16_t)(id - f->id) >= 0x8000)
			return fdrop(ike, pkt, "fragment of an older message");
		ike_frag_free(ike, sa);
	}
	f = sa->frag;
	if (!f) {
		f = sa->frag = calloc(1, sizeof *f);
		if (!f)
			return -1;
		f->id = id;
		/* checked when the next fragment comes and on the SA's timer (ike_timer.c), so an
		 * abandoned reassembly does not hold its bytes until the half-open SA expires */
		f->expire_ms = ike->now + ike->conf.frag_timeout_ms;
		f->src = ike_src_get(ike, &pkt->src);
	}
	if (f->part[num - 1]) {
		/* RFC-less protocol, first copy wins: a different second copy is an attack or a bug */
		bool same = f->len[num - 1] == dlen && memcmp(f->part[num - 1], data, dlen) == 0;
		return fdrop(ike, pkt, same ? "duplicate fragment" : "conflicting copy of a fragment");
	}
	if (last && f->last && f->last != num)
		return fdrop(ike, pkt, "second last fragment");
	if ((last && f->maxnum > num) || (f->last && num > f->last))
		return fdrop(ike, pkt, "fragment beyond the last one");
	if (f->total + dlen > IKE_FRAG_TOTAL) {
		ike_frag_free(ike, sa);
		return fdrop(ike, pkt, "reassembled message too large");
	}
	/* all reassemblies together: one peer holding many half-open IKE SAs must not pin
	 * 64 KiB in each of them */
	/* per address first (issue 12): otherwise 70 half-open SAs of one peer filled the global
	 * cap and Windows certificate clients, which fragment MM5, could not connect */
	if (f->src && f->src->frag_bytes + dlen > ike->conf.frag_per_ip) {
		ike_adm_note(ike, IKE_A_FRAG_IP, &pkt->src);
		return -1;
	}
	if (ike->frag_bytes + dlen > IKE_FRAG_GLOBAL)
		return fdrop(ike, pkt, "reassembly memory of all IKE SAs at its cap");
	f->part[num - 1] = malloc(dlen);
	if (!f->part[num - 1])
		return -1;
	memcpy(f->part[num - 1], data, dlen);
	f->len[num - 1] = dlen;
	f->total += dlen;
	ike->frag_bytes += dlen;
	if (f->src)
		f->src->frag_bytes += dlen;
	f->count++;
	if (num > f->maxnum)
		f->maxnum = num;
	if (last)
		f->last = num;
	if (!f->last || f->count != f->last)
		return 0;

	/* complete */
	uint8_t *msg = malloc(f->total);
	if (!msg) {
		ike_frag_free(ike, sa);
		return -1;
	}
	size_t off = 0;
	for (unsigned i = 0; i < f->last; i++) {
		memcpy(msg + off, f->part[i], f->len[i]);
		off += f->len[i];
	}
	ike_frag_free(ike, sa);
	struct isakmp_hdr ih;
	int rc;
	if (isakmp_hdr_parse(msg, off, &ih) || ih.np == ISAKMP_PL_FRAG || memcmp(ih.icky, h->icky, 8) ||
	    memcmp(ih.rcky, h->rcky, 8)) {
		rc = fdrop(ike, pkt, "reassembled message invalid (header, cookies or nested fragment)");
	} else {
		struct rp_pkt whole = *pkt;
		whole.data = msg;
		whole.len = off;
		rc = ike_input(ike, &whole, ike->now);
	}
	free(msg);
	return rc;
}

size_t ike_frag_limit(const struct ike *ike, const struct ike_sa *sa)
{
	/* the IP packet must stay within conf.frag_mtu: IP, UDP and the non-ESP marker on 4500 */
	size_t over = (sa->peer.family == 6 ? 40 : 20) + 8 + (sa->local.port == ike->conf.natt_port ? 4 : 0);
	size_t l = ike->conf.frag_mtu > over + 64 ? ike->conf.frag_mtu - over : 64;
	return l < IKE_MAXBUF ? l : IKE_MAXBUF; /* a fragment is built in an IKE_MAXBUF buffer */
}

void ike_frag_send(struct ike *ike, struct ike_sa *sa, const uint8_t *p, size_t len)
{
	size_t limit = ike_frag_limit(ike, sa);
	if (!sa->vids.ms_frag || len <= limit || len < ISAKMP_HDR_LEN) {
		ike_emit_send(ike, &sa->local, &sa->peer, p, len);
		return;
	}
	size_t chunk = limit - ISAKMP_HDR_LEN - IKE_FRAG_HDR;
	size_t nfrag = (len + chunk - 1) / chunk;
	if (nfrag > IKE_FRAG_MAX) { /* cannot be said in fragments: send whole, IP may fragment it */
		ike_emit_send(ike, &sa->local, &sa->peer, p, len);
		return;
	}
	uint16_t id = ++sa->frag_out_id;
	uint8_t buf[IKE_MAXBUF];
	for (size_t i = 0, off = 0; i < nfrag; i++, off += chunk) {
		size_t dl = len - off < chunk ? len - off : chunk;
		struct rp_wr w;
		rp_wr_init(&w, buf, sizeof buf);
		rp_wr_bytes(&w, p, 16); /* cookies */
		rp_wr_u8(&w, ISAKMP_PL_FRAG);
		rp_wr_bytes(&w, p + 17, 2); /* version, exchange type */
		rp_wr_u8(&w, (uint8_t)(p[19] & ~ISAKMP_FLAG_ENC));
		rp_wr_bytes(&w, p + 20, 4); /* message ID */
		rp_wr_u32(&w, (uint32_t)(ISAKMP_HDR_LEN + IKE_FRAG_HDR + dl));
		rp_wr_u8(&w, ISAKMP_PL_NONE);
		rp_wr_u8(&w, 0);
		rp_wr_u16(&w, (uint16_t)(IKE_FRAG_HDR + dl));
		rp_wr_u16(&w, id);
		rp_wr_u8(&w, (uint8_t)(i + 1));
		rp_wr_u8(&w, i + 1 == nfrag ? 1 : 0);
		rp_wr_bytes(&w, p + off, dl);
		if (rp_wr_ok(&w))
			ike_emit_send(ike, &sa->local, &sa->peer, buf, w.len);
	}
}
