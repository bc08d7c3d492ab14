/* L2TPv2 header (RFC 2661 §3.1) and AVP building (§4.1). Parsing of AVPs is in msg.c. */
#include "l2tp_local.h"

#include <string.h>

int l2tp_hdr_parse(const uint8_t *p, size_t n, struct l2tp_hdr *h)
{
	struct rp_rd r;
	uint16_t flags, v;

	memset(h, 0, sizeof *h);
	rp_rd_init(&r, p, n);
	if (rp_rd_u16(&r, &flags))
		return -1;
	/* §3.1: Ver 2 only; 1 is L2F, 3 is L2TPv3 (RFC 3931), both dropped here. */
	if ((flags & L2TP_F_VER) != L2TP_VERSION)
		return -1;
	h->ctrl = flags & L2TP_F_T;
	h->has_len = flags & L2TP_F_L;
	h->has_seq = flags & L2TP_F_S;
	h->prio = flags & L2TP_F_P;
	/* §3.1: control messages MUST have L and S set and O and P clear. */
	if (h->ctrl && (!h->has_len || !h->has_seq || (flags & (L2TP_F_O | L2TP_F_P))))
		return -1;
	if (h->has_len) {
		if (rp_rd_u16(&r, &h->len))
			return -1;
		if (h->len > n || h->len < 6)
			return -1;
		/* Trailing bytes beyond Length are padding: read only what Length covers. */
		r.len = h->len;
	} else {
		if (n > UINT16_MAX)
			return -1;
		h->len = (uint16_t)n;
	}
	if (rp_rd_u16(&r, &h->tid) || rp_rd_u16(&r, &h->sid))
		return -1;
	if (h->has_seq && (rp_rd_u16(&r, &h->ns) || rp_rd_u16(&r, &h->nr)))
		return -1;
	if (flags & L2TP_F_O) {
		if (rp_rd_u16(&r, &v) || rp_rd_skip(&r, v))
			return -1;
	}
	h->payload_off = r.pos;
	return 0;
}

void l2tp_ctl_begin(struct rp_wr *w, uint16_t peer_tid, uint16_t peer_sid, uint16_t ns, uint16_t nr)
{
	rp_wr_u16(w, L2TP_F_T | L2TP_F_L | L2TP_F_S | L2TP_VERSION);
	rp_wr_u16(w, 0); /* Length, patched by l2tp_ctl_end */
	rp_wr_u16(w, peer_tid);
	rp_wr_u16(w, peer_sid);
	rp_wr_u16(w, ns);
	rp_wr_u16(w, nr);
}

void l2tp_ctl_end(struct rp_wr *w)
{
	if (w->len > UINT16_MAX) {
		w->err = true;
		return;
	}
	rp_wr_put_u16_at(w, 2, (uint16_t)w->len);
}

void l2tp_avp_put(struct rp_wr *w, uint16_t type, bool mandatory, const void *v, size_t n)
{
	if (n + L2TP_AVP_HDR_LEN > L2TP_AVP_MAX_LEN) {
		w->err = true;
		return;
	}
	rp_wr_u16(w, (uint16_t)((mandatory ? L2TP_AVP_M : 0) | (n + L2TP_AVP_HDR_LEN)));
	rp_wr_u16(w, 0); /* IETF */
	rp_wr_u16(w, type);
	rp_wr_bytes(w, v, n);
}

void l2tp_avp_u16(struct rp_wr *w, uint16_t type, bool mandatory, uint16_t v)
{
	uint8_t b[2];
	rp_put_u16(b, v);
	l2tp_avp_put(w, type, mandatory, b, 2);
}

void l2tp_avp_u32(struct rp_wr *w, uint16_t type, bool mandatory, uint32_t v)
{
	uint8_t b[4];
	rp_put_u32(b, v);
	l2tp_avp_put(w, type, mandatory, b, 4);
}

void l2tp_avp_result(struct rp_wr *w, uint16_t result, uint16_t error, const char *msg)
{
	uint8_t b[4 + 128];
	size_t ml = msg ? strlen(msg) : 0;
	if (ml > 128)
		ml = 128;
	rp_put_u16(b, result);
	rp_put_u16(b + 2, error);
	if (ml)
		memcpy(b + 4, msg, ml);
	l2tp_avp_put(w, L2TP_AVP_RESULT, true, b, 4 + ml);
}

int l2tp_data_hdr(uint8_t *out, size_t cap, uint16_t peer_tid, uint16_t peer_sid, uint16_t len)
{
	if (cap < 8)
		return -1;
	rp_put_u16(out, L2TP_F_L | L2TP_VERSION);
	rp_put_u16(out + 2, len);
	rp_put_u16(out + 4, peer_tid);
	rp_put_u16(out + 6, peer_sid);
	return 8;
}

static const char *const mt_names[] = {
    [L2TP_ZLB] = "ZLB",         [L2TP_SCCRQ] = "SCCRQ", [L2TP_SCCRP] = "SCCRP", [L2TP_SCCCN] = "SCCCN",
    [L2TP_STOPCCN] = "StopCCN", [L2TP_HELLO] = "HELLO", [L2TP_OCRQ] = "OCRQ",   [L2TP_OCRP] = "OCRP",
    [L2TP_OCCN] = "OCCN",       [L2TP_ICRQ] = "ICRQ",   [L2TP_ICRP] = "ICRP",   [L2TP_ICCN] = "ICCN",
    [L2TP_CDN] = "CDN",         [L2TP_WEN] = "WEN",     [L2TP_SLI] = "SLI",
};

const char *l2tp_mt_name(unsigned type)
{
	if (type < RP_ARRAY_LEN(mt_names) && mt_names[type])
		return mt_names[type];
	return "unknown";
}
