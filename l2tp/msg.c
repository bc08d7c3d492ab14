/* Control message AVPs (RFC 2661 §4.1, §4.4) into struct l2tp_msg: validate each AVP header
 * against what is left, then parse its value by type. */
#include "l2tp_local.h"

#include <string.h>

/* Fixed value sizes of the IETF AVPs we interpret; 0 = variable. */
static int avp_fixed_len(uint16_t type)
{
	switch (type) {
	case L2TP_AVP_MSG_TYPE:
	case L2TP_AVP_PROTO_VER:
	case L2TP_AVP_FIRMWARE:
	case L2TP_AVP_ASSIGNED_TID:
	case L2TP_AVP_RECV_WINDOW:
	case L2TP_AVP_ASSIGNED_SID:
		return 2;
	case L2TP_AVP_FRAMING_CAP:
	case L2TP_AVP_BEARER_CAP:
	case L2TP_AVP_CALL_SERIAL:
	case L2TP_AVP_BEARER_TYPE:
	case L2TP_AVP_FRAMING_TYPE:
	case L2TP_AVP_TX_SPEED:
	case L2TP_AVP_RX_SPEED:
	case L2TP_AVP_MIN_BPS:
	case L2TP_AVP_MAX_BPS:
		return 4;
	case L2TP_AVP_TIE_BREAKER:
		return 8;
	case L2TP_AVP_CHALLENGE_RESP:
		return 16;
	case L2TP_AVP_SEQ_REQUIRED:
		return -1; /* exactly 0 */
	default:
		return 0;
	}
}

static uint32_t get_n(const uint8_t *p, size_t n)
{
	return n == 2 ? rp_get_u16(p) : rp_get_u32(p);
}

/* One known IETF AVP value. Returns 0, or -2 when the value is invalid for its type. */
static int avp_value(struct l2tp_msg *m, uint16_t type, const uint8_t *v, size_t n)
{
	int fl = avp_fixed_len(type);
	if (fl > 0 && (size_t)fl != n)
		return -2;
	if (fl < 0 && n != 0)
		return -2;
	switch (type) {
	case L2TP_AVP_RESULT:
		/* §4.4.2 says Result Code, then optional Error Code and message; MikroTik sends only
		 * the 2-byte result (an 8-byte AVP): accept it (docs/clients.md). */
		if (n < 2)
			return -2;
		m->result = rp_get_u16(v);
		if (n >= 4) {
			m->error = rp_get_u16(v + 2);
			m->result_msg.p = v + 4;
			m->result_msg.len = n - 4;
		}
		break;
	case L2TP_AVP_PROTO_VER:
		m->proto_ver = (uint16_t)get_n(v, 2);
		break;
	case L2TP_AVP_FRAMING_CAP:
		m->framing_cap = get_n(v, 4);
		break;
	case L2TP_AVP_BEARER_CAP:
		m->bearer_cap = get_n(v, 4);
		break;
	case L2TP_AVP_TIE_BREAKER:
		memcpy(m->tie_breaker, v, 8);
		break;
	case L2TP_AVP_FIRMWARE:
		m->firmware = (uint16_t)get_n(v, 2);
		break;
	case L2TP_AVP_HOST_NAME:
		if (n == 0)
			return -2; /* §4.4.3: at least one octet */
		m->host_name = (struct l2tp_bytes){v, n};
		break;
	case L2TP_AVP_VENDOR_NAME:
		m->vendor_name = (struct l2tp_bytes){v, n};
		break;
	case L2TP_AVP_ASSIGNED_TID:
		m->assigned_tid = (uint16_t)get_n(v, 2);
		if (!m->assigned_tid)
			return -2; /* §4.4.3: non-zero */
		break;
	case L2TP_AVP_RECV_WINDOW:
		m->recv_window = (uint16_t)get_n(v, 2);
		if (!m->recv_window)
			return -2;
		break;
	case L2TP_AVP_CHALLENGE:
		if (n == 0)
			return -2;
		m->challenge = (struct l2tp_bytes){v, n};
		break;
	case L2TP_AVP_CHALLENGE_RESP:
		m->challenge_resp = (struct l2tp_bytes){v, n};
		break;
	case L2TP_AVP_ASSIGNED_SID:
		m->assigned_sid = (uint16_t)get_n(v, 2);
		if (!m->assigned_sid)
			return -2;
		break;
	case L2TP_AVP_CALL_SERIAL:
		m->call_serial = get_n(v, 4);
		break;
	case L2TP_AVP_BEARER_TYPE:
		m->bearer_type = get_n(v, 4);
		break;
	case L2TP_AVP_FRAMING_TYPE:
		m->framing_type = get_n(v, 4);
		break;
	case L2TP_AVP_TX_SPEED:
		m->tx_speed = get_n(v, 4);
		break;
	case L2TP_AVP_RX_SPEED:
		m->rx_speed = get_n(v, 4);
		break;
	case L2TP_AVP_CALLING_NUMBER:
		m->calling = (struct l2tp_bytes){v, n};
		break;
	case L2TP_AVP_CALLED_NUMBER:
		m->called = (struct l2tp_bytes){v, n};
		break;
	default:
		break; /* recognised, value not needed by an LNS */
	}
	return 0;
}

int l2tp_msg_parse(struct l2tp_msg *m, const uint8_t *avps, size_t len, const uint8_t *secret,
                   size_t secret_len)
{
	struct rp_rd r;
	const uint8_t *rv = NULL;
	size_t rvl = 0;
	bool first = true;
	int verdict = 0;

	memset(m, 0, offsetof(struct l2tp_msg, scratch));
	rp_rd_init(&r, avps, len);
	while (rp_rd_left(&r)) {
		uint16_t fl, vendor, type;
		const uint8_t *val;
		size_t vlen;

		/* validate the header against what is left before touching the value */
		if (rp_rd_u16(&r, &fl) || rp_rd_u16(&r, &vendor) || rp_rd_u16(&r, &type))
			return -1;
		size_t alen = fl & L2TP_AVP_LEN;
		if (alen < L2TP_AVP_HDR_LEN || rp_rd_ref(&r, &val, alen - L2TP_AVP_HDR_LEN))
			return -1;
		vlen = alen - L2TP_AVP_HDR_LEN;
		bool mand = fl & L2TP_AVP_M, hidden = fl & L2TP_AVP_H;

		/* §4.4.1: Message Type first, vendor 0, not hidden. */
		if (first) {
			first = false;
			if (vendor != 0 || type != L2TP_AVP_MSG_TYPE || hidden || vlen != 2)
				return -1;
			m->type = rp_get_u16(val);
			m->type_m = mand;
			continue;
		}
		/* §4.1: reserved bits set -> treat as unrecognised. */
		bool known = vendor == 0 && type <= L2TP_AVP_MAX_KNOWN && type != L2TP_AVP_MSG_TYPE &&
		             !(fl & L2TP_AVP_RSVD);
		if (!known) {
			if (mand && !m->unknown_m) {
				m->unknown_m = true;
				m->unknown_m_vendor = vendor;
				m->unknown_m_type = type;
			}
			continue; /* unknown optional AVPs are skipped */
		}
		if (type == L2TP_AVP_RANDOM_VECTOR) {
			if (hidden || vlen == 0)
				return -1;
			rv = val;
			rvl = vlen;
			m->have |= 1ull << type;
			continue;
		}
		if (hidden) {
			/* §4.3: needs the shared secret and a preceding Random Vector */
			size_t room = sizeof m->scratch - m->scratch_used, plain;
			if (!secret || !rv || vlen > room)
				return -1;
			uint8_t *dst = m->scratch + m->scratch_used;
			if (l2tp_hidden_decrypt(dst, &plain, val, vlen, type, secret, secret_len, rv, rvl))
				return -1;
			m->scratch_used += plain;
			val = dst;
			vlen = plain;
		}
		int rc = avp_value(m, type, val, vlen);
		if (rc) {
			/* an invalid value in a mandatory AVP is fatal for the message's object (§4.1);
			 * an optional one is ignored */
			if (mand)
				verdict = -2;
			continue;
		}
		m->have |= 1ull << type;
	}
	if (first)
		m->type = L2TP_ZLB;
	return verdict;
}

#define B(x) (1ull << (x))
int l2tp_msg_missing(const struct l2tp_msg *m)
{
	uint64_t need = 0;
	switch (m->type) {
	case L2TP_SCCRQ:
		need = B(L2TP_AVP_PROTO_VER) | B(L2TP_AVP_HOST_NAME) | B(L2TP_AVP_FRAMING_CAP) |
		       B(L2TP_AVP_ASSIGNED_TID);
		break;
	case L2TP_SCCRP:
		need = B(L2TP_AVP_PROTO_VER) | B(L2TP_AVP_HOST_NAME) | B(L2TP_AVP_FRAMING_CAP) |
		       B(L2TP_AVP_ASSIGNED_TID);
		break;
	case L2TP_STOPCCN:
		need = B(L2TP_AVP_ASSIGNED_TID) | B(L2TP_AVP_RESULT);
		break;
	case L2TP_ICRQ:
		need = B(L2TP_AVP_ASSIGNED_SID) | B(L2TP_AVP_CALL_SERIAL);
		break;
	case L2TP_ICRP:
		need = B(L2TP_AVP_ASSIGNED_SID);
		break;
	case L2TP_ICCN:
		need = B(L2TP_AVP_TX_SPEED) | B(L2TP_AVP_FRAMING_TYPE);
		break;
	case L2TP_CDN:
		need = B(L2TP_AVP_RESULT) | B(L2TP_AVP_ASSIGNED_SID);
		break;
	case L2TP_WEN:
		need = B(L2TP_AVP_CALL_ERRORS);
		break;
	case L2TP_SLI:
		need = B(L2TP_AVP_ACCM);
		break;
	default:
		break;
	}
	uint64_t miss = need & ~m->have;
	if (!miss)
		return -1;
	for (int i = 0; i < 64; i++)
		if (miss & (1ull << i))
			return i;
	return -1;
}
