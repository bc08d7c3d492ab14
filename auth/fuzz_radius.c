/* RADIUS replies and Disconnect-Requests as they arrive: validate, check, read and format every
 * attribute. */
#include "radius.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t secret[] = "fuzz", ra[16] = {1};
	int len = rad_validate(data, size);
	if (len < 0)
		return 0;
	(void)rad_check_response(data, (size_t)len, secret, 4, ra, true);
	(void)rad_check_request(data, (size_t)len, secret, 4);
	const uint8_t *v;
	size_t n, off = RAD_HDR;
	uint8_t t;
	char line[600], small[24]; /* rampartctl radius test's lines, and one cut short */
	while (!rad_next(data, (size_t)len, &off, &t, &v, &n)) {
		(void)rad_attr_str(t, v, n, line, sizeof line);
		(void)rad_attr_str(t, v, n, small, sizeof small);
	}
	(void)rad_find(data, (size_t)len, RAD_VENDOR_MICROSOFT, RAD_MS_CHAP2_SUCCESS, &v, &n);
	uint32_t u;
	(void)rad_find_u32(data, (size_t)len, RAD_FRAMED_IP_ADDRESS, &u);
	return 0;
}
