/* Fuzz TCP MSS clamping (mss.c): any bytes as an IP packet, the limits from the first four bytes.
 * The input is copied to an exact-size buffer (a read past the end is an ASan error). Oracles:
 * a found option lies inside the packet and is above the limit; once applied, a checksum that was
 * right stays right, and the packet is not clamped twice. */
#include <stdlib.h>
#include <string.h>

#include "mss_test_util.h"
#include "ppp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	uint16_t max4 = (uint16_t)(data[0] << 8 | data[1]), max6 = (uint16_t)(data[2] << 8 | data[3]);
	size_t n = size - 4;
	uint8_t *p = malloc(n ? n : 1);
	if (!p)
		return 0;
	memcpy(p, data + 4, n);
	struct ppp_mss_at at;
	if (ppp_mss_find(p, n, max4, max6, &at)) {
		if (at.val + 2 > n || at.csum + 2 > n || at.mss <= at.max || rp_get_u16(p + at.val) != at.mss)
			__builtin_trap();
		/* the segment the checksum covers: to the end of the IP datagram */
		size_t tcp = at.csum - 16, end = n;
		if (p[0] >> 4 == 4 && rp_get_u16(p + 2) < end)
			end = rp_get_u16(p + 2);
		else if (p[0] >> 4 == 6 && 40u + rp_get_u16(p + 4) < end)
			end = 40u + rp_get_u16(p + 4);
		bool ok = mss_t_verify(p, tcp, end - tcp) == 0xffff;
		ppp_mss_apply(p, &at);
		if (rp_get_u16(p + at.val) != at.max || (ok && mss_t_verify(p, tcp, end - tcp) != 0xffff))
			__builtin_trap();
		if (ppp_mss_clamp(p, n, max4, max6))
			__builtin_trap();
	}
	free(p);
	return 0;
}
