/* RADIUS packets for the NAS side: build, sign, validate, check, read attributes (radius.h says
 * why this is not radcli). Every authenticator comparison is constant time. */
#include "radius.h"

#include <nettle/hmac.h>
#include <nettle/md5.h>
#include <stdio.h>
#include <string.h>

void rad_begin(struct rad_wr *w, uint8_t *buf, size_t cap, uint8_t code, uint8_t id, const uint8_t auth[16])
{
	memset(w, 0, sizeof *w);
	w->b = buf;
	w->cap = cap < RAD_MAX ? cap : RAD_MAX;
	if (w->cap < RAD_HDR) {
		w->err = true;
		return;
	}
	buf[0] = code;
	buf[1] = id;
	if (auth)
		memcpy(buf + 4, auth, 16);
	else
		memset(buf + 4, 0, 16);
	w->len = RAD_HDR;
}

void rad_put(struct rad_wr *w, uint8_t type, const void *v, size_t n)
{
	if (w->err || n > 253 || w->len + 2 + n > w->cap) {
		w->err = true;
		return;
	}
	w->b[w->len] = type;
	w->b[w->len + 1] = (uint8_t)(n + 2);
	if (n)
		memcpy(w->b + w->len + 2, v, n);
	w->len += 2 + n;
}

void rad_put_u32(struct rad_wr *w, uint8_t type, uint32_t v)
{
	uint8_t b[4];
	rp_put_u32(b, v);
	rad_put(w, type, b, 4);
}

void rad_put_str(struct rad_wr *w, uint8_t type, const char *s)
{
	size_t n = strlen(s);
	rad_put(w, type, s, n > 253 ? 253 : n);
}

void rad_put_vsa(struct rad_wr *w, uint32_t vendor, uint8_t vtype, const void *v, size_t n)
{
	uint8_t b[253];
	if (n > sizeof b - 6) {
		w->err = true;
		return;
	}
	rp_put_u32(b, vendor);
	b[4] = vtype;
	b[5] = (uint8_t)(n + 2);
	memcpy(b + 6, v, n);
	rad_put(w, RAD_VENDOR_SPECIFIC, b, n + 6);
}

/* RFC 2865 §5.2: c(1) = p1 xor MD5(S + RA), c(i) = p(i) xor MD5(S + c(i-1)); padded with NULs
 * to a multiple of 16, at most 128 bytes. */
void rad_put_password(struct rad_wr *w, const uint8_t *secret, size_t sl, const uint8_t req_auth[16],
                      const uint8_t *pw, size_t pl)
{
	uint8_t c[128];
	if (pl > sizeof c) {
		w->err = true;
		return;
	}
	size_t n = pl ? (pl + 15) / 16 * 16 : 16;
	memset(c, 0, sizeof c);
	memcpy(c, pw, pl);
	const uint8_t *prev = req_auth;
	for (size_t i = 0; i < n; i += 16) {
		struct md5_ctx m;
		uint8_t h[16];
		md5_init(&m);
		md5_update(&m, sl, secret);
		md5_update(&m, 16, prev);
		md5_digest(&m, 16, h);
		for (int k = 0; k < 16; k++)
			c[i + k] ^= h[k];
		prev = c + i;
		rp_wipe(h, sizeof h);
	}
	rad_put(w, RAD_USER_PASSWORD, c, n);
	rp_wipe(c, sizeof c);
}

void rad_put_msg_auth(struct rad_wr *w)
{
	static const uint8_t z[16];
	rad_put(w, RAD_MESSAGE_AUTHENTICATOR, z, 16);
	if (!w->err)
		w->ma_off = w->len - 16;
}

static void hmac_md5(const uint8_t *key, size_t kl, const uint8_t *p, size_t n, uint8_t out[16])
{
	struct hmac_md5_ctx h;
	hmac_md5_set_key(&h, kl, key);
	hmac_md5_update(&h, n, p);
	hmac_md5_digest(&h, 16, out);
}

/* MD5(Code + Identifier + Length + auth + Attributes + Secret) */
static void md5_auth(const uint8_t *p, size_t len, const uint8_t auth[16], const uint8_t *secret, size_t sl,
                     uint8_t out[16])
{
	struct md5_ctx m;
	md5_init(&m);
	md5_update(&m, 4, p);
	md5_update(&m, 16, auth);
	md5_update(&m, len - RAD_HDR, p + RAD_HDR);
	md5_update(&m, sl, secret);
	md5_digest(&m, 16, out);
}

int rad_finish(struct rad_wr *w, enum rad_sign sign, const uint8_t *secret, size_t sl,
               const uint8_t *req_auth)
{
	static const uint8_t zero[16];
	if (w->err || (sign == RAD_SIGN_RESPONSE && !req_auth))
		return -1;
	rp_put_u16(w->b + 2, (uint16_t)w->len);
	/* RFC 3579 §3.2 / RFC 5176 §3.1: the HMAC is taken with the Authenticator field as it is for
	 * an Access-Request, as the request's authenticator for a reply, as zeros for other
	 * requests; the Message-Authenticator value itself counts as zeros */
	if (sign == RAD_SIGN_RESPONSE)
		memcpy(w->b + 4, req_auth, 16);
	else if (sign == RAD_SIGN_REQUEST)
		memset(w->b + 4, 0, 16);
	if (w->ma_off)
		hmac_md5(secret, sl, w->b, w->len, w->b + w->ma_off);
	if (sign != RAD_SIGN_ACCESS_REQUEST) {
		uint8_t a[16];
		md5_auth(w->b, w->len, sign == RAD_SIGN_RESPONSE ? req_auth : zero, secret, sl, a);
		memcpy(w->b + 4, a, 16);
	}
	return (int)w->len;
}

int rad_validate(const uint8_t *p, size_t n)
{
	if (n < RAD_HDR)
		return -1;
	size_t len = rp_get_u16(p + 2);
	if (len < RAD_HDR || len > RAD_MAX || len > n)
		return -1;
	for (size_t off = RAD_HDR; off < len;) {
		if (off + 2 > len || p[off + 1] < 2 || off + p[off + 1] > len)
			return -1;
		off += p[off + 1];
	}
	return (int)len;
}

int rad_next(const uint8_t *p, size_t len, size_t *off, uint8_t *type, const uint8_t **v, size_t *n)
{
	if (*off + 2 > len || p[*off + 1] < 2 || *off + p[*off + 1] > len)
		return -1;
	*type = p[*off];
	*v = p + *off + 2;
	*n = p[*off + 1] - 2u;
	*off += p[*off + 1];
	return 0;
}

int rad_find(const uint8_t *p, size_t len, uint32_t vendor, uint8_t type, const uint8_t **v, size_t *n)
{
	size_t off = RAD_HDR;
	uint8_t t;
	const uint8_t *a;
	size_t an;
	while (!rad_next(p, len, &off, &t, &a, &an)) {
		if (!vendor && t == type) {
			*v = a;
			*n = an;
			return 0;
		}
		if (!vendor || t != RAD_VENDOR_SPECIFIC || an < 4 || rp_get_u32(a) != vendor)
			continue;
		/* RFC 2865 §5.26's suggested layout: vendor type, vendor length, value; several per VSA */
		for (size_t k = 4; k + 2 <= an && a[k + 1] >= 2 && k + a[k + 1] <= an; k += a[k + 1])
			if (a[k] == type) {
				*v = a + k + 2;
				*n = a[k + 1] - 2u;
				return 0;
			}
	}
	return -1;
}

int rad_find_u32(const uint8_t *p, size_t len, uint8_t type, uint32_t *out)
{
	const uint8_t *v;
	size_t n;
	if (rad_find(p, len, 0, type, &v, &n) || n != 4)
		return -1;
	*out = rp_get_u32(v);
	return 0;
}

/* The Message-Authenticator, when present, over the packet with auth in the Authenticator field. */
static int check_ma(const uint8_t *p, size_t len, const uint8_t *secret, size_t sl, const uint8_t auth[16],
                    bool need)
{
	const uint8_t *v;
	size_t n;
	if (rad_find(p, len, 0, RAD_MESSAGE_AUTHENTICATOR, &v, &n))
		return need ? -1 : 0;
	if (n != 16)
		return -1;
	uint8_t c[RAD_MAX], mac[16];
	memcpy(c, p, len);
	memcpy(c + 4, auth, 16);
	memset(c + (v - p), 0, 16);
	hmac_md5(secret, sl, c, len, mac);
	return rp_ct_memeq(mac, v, 16) ? 0 : -1;
}

int rad_check_response(const uint8_t *p, size_t len, const uint8_t *secret, size_t sl,
                       const uint8_t req_auth[16], bool need_ma)
{
	uint8_t a[16];
	if (rad_validate(p, len) != (int)len)
		return -1;
	md5_auth(p, len, req_auth, secret, sl, a);
	if (!rp_ct_memeq(a, p + 4, 16))
		return -1;
	return check_ma(p, len, secret, sl, req_auth, need_ma);
}

int rad_check_request(const uint8_t *p, size_t len, const uint8_t *secret, size_t sl)
{
	static const uint8_t zero[16];
	uint8_t a[16];
	if (rad_validate(p, len) != (int)len)
		return -1;
	md5_auth(p, len, zero, secret, sl, a);
	if (!rp_ct_memeq(a, p + 4, 16))
		return -1;
	return check_ma(p, len, secret, sl, zero, false);
}

const char *rad_code_name(unsigned code)
{
	switch (code) {
	case RAD_ACCESS_REQUEST:
		return "Access-Request";
	case RAD_ACCESS_ACCEPT:
		return "Access-Accept";
	case RAD_ACCESS_REJECT:
		return "Access-Reject";
	case RAD_ACCT_REQUEST:
		return "Accounting-Request";
	case RAD_ACCT_RESPONSE:
		return "Accounting-Response";
	case RAD_ACCESS_CHALLENGE:
		return "Access-Challenge";
	case RAD_DISCONNECT_REQUEST:
		return "Disconnect-Request";
	case RAD_DISCONNECT_ACK:
		return "Disconnect-ACK";
	case RAD_DISCONNECT_NAK:
		return "Disconnect-NAK";
	case RAD_COA_REQUEST:
		return "CoA-Request";
	default:
		return "?";
	}
}

const char *rad_attr_name(unsigned t)
{
	switch (t) {
	case RAD_USER_NAME:
		return "User-Name";
	case RAD_SERVICE_TYPE:
		return "Service-Type";
	case RAD_FRAMED_PROTOCOL:
		return "Framed-Protocol";
	case RAD_FRAMED_IP_ADDRESS:
		return "Framed-IP-Address";
	case RAD_REPLY_MESSAGE:
		return "Reply-Message";
	case RAD_CLASS:
		return "Class";
	case RAD_VENDOR_SPECIFIC:
		return "Vendor-Specific";
	case RAD_SESSION_TIMEOUT:
		return "Session-Timeout";
	case RAD_IDLE_TIMEOUT:
		return "Idle-Timeout";
	case RAD_PORT_LIMIT:
		return "Port-Limit";
	case RAD_MESSAGE_AUTHENTICATOR:
		return "Message-Authenticator";
	case RAD_ERROR_CAUSE:
		return "Error-Cause";
	case RAD_NAS_IP_ADDRESS:
		return "NAS-IP-Address";
	case RAD_NAS_IDENTIFIER:
		return "NAS-Identifier";
	case RAD_CALLING_STATION_ID:
		return "Calling-Station-Id";
	case RAD_ACCT_INTERIM_INTERVAL:
		return "Acct-Interim-Interval";
	case RAD_FRAMED_MTU:
		return "Framed-MTU";
	default:
		return NULL;
	}
}

size_t rad_attr_str(uint8_t type, const uint8_t *v, size_t n, char *out, size_t cap)
{
	char name[16];
	const char *nm = rad_attr_name(type);
	if (!cap)
		return 0;
	if (!nm) {
		snprintf(name, sizeof name, "Attr-%u", type);
		nm = name;
	}
	int k;
	switch (type) {
	case RAD_SERVICE_TYPE:
	case RAD_FRAMED_PROTOCOL:
	case RAD_FRAMED_MTU:
	case RAD_SESSION_TIMEOUT:
	case RAD_IDLE_TIMEOUT:
	case RAD_PORT_LIMIT:
	case RAD_ACCT_INTERIM_INTERVAL:
	case RAD_ERROR_CAUSE:
		if (n != 4)
			break;
		k = snprintf(out, cap, "%s = %u", nm, (unsigned)rp_get_u32(v));
		return k < 0 ? 0 : (size_t)k < cap ? (size_t)k : cap - 1;
	case RAD_FRAMED_IP_ADDRESS:
	case RAD_NAS_IP_ADDRESS:
		if (n != 4)
			break;
		k = snprintf(out, cap, "%s = %u.%u.%u.%u", nm, v[0], v[1], v[2], v[3]);
		return k < 0 ? 0 : (size_t)k < cap ? (size_t)k : cap - 1;
	case RAD_USER_NAME:
	case RAD_REPLY_MESSAGE:
	case RAD_NAS_IDENTIFIER:
	case RAD_CALLING_STATION_ID: {
		char esc[4 * 253 + 1];
		k = snprintf(out, cap, "%s = \"%s\"", nm, rp_esc(v, n, esc, sizeof esc));
		return k < 0 ? 0 : (size_t)k < cap ? (size_t)k : cap - 1;
	}
	default:
		break;
	}
	/* the rest, and a number or address of the wrong length: its bytes */
	k = snprintf(out, cap, "%s = 0x", nm);
	size_t len = k < 0 ? 0 : (size_t)k < cap ? (size_t)k : cap - 1;
	for (size_t i = 0; i < n && len + 2 < cap; i++)
		len += (size_t)snprintf(out + len, cap - len, "%02x", v[i]);
	return len;
}
