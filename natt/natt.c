#include "natt.h"

/* An ESP header is SPI(4) + sequence(4), and an SPI of 1..255 is reserved (RFC 4303 §2.1),
 * so anything shorter than 8 bytes after the marker check cannot be ESP. */
#define ESP_MIN_HDR 8
#define ISAKMP_HDR 28

enum natt_kind natt_classify(const uint8_t *p, size_t len, size_t *skip)
{
	*skip = 0;
	if (len == 1 && p[0] == 0xff)
		return NATT_KEEPALIVE;
	if (len < 4)
		return NATT_DROP;
	if (rp_get_u32(p) == 0) {
		if (len < 4 + ISAKMP_HDR)
			return NATT_DROP;
		*skip = 4;
		return NATT_IKE;
	}
	if (len < ESP_MIN_HDR || rp_get_u32(p) <= 255)
		return NATT_DROP;
	return NATT_ESP;
}

const char *natt_kind_name(enum natt_kind k)
{
	switch (k) {
	case NATT_KEEPALIVE:
		return "keepalive";
	case NATT_IKE:
		return "ike";
	case NATT_ESP:
		return "esp";
	default:
		return "drop";
	}
}
