/* libFuzzer target: the UDP/4500 classifier and the NAT-OA parser must accept any bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "natt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t skip = 99;
	enum natt_kind k = natt_classify(data, size, &skip);
	/* invariants the dispatcher relies on */
	if (k == NATT_IKE && (skip != 4 || size < 4 + 28))
		abort();
	if (k != NATT_IKE && skip != 0)
		abort();
	if (k == NATT_ESP && (size < 8 || rp_get_u32(data) <= 255))
		abort();
	if (k == NATT_KEEPALIVE && !(size == 1 && data[0] == 0xff))
		abort();
	(void)natt_kind_name(k);
	struct rp_addr a;
	if (natt_oa_parse(data, size, &a) == 0) {
		uint8_t out[24];
		struct rp_wr w;
		rp_wr_init(&w, out, sizeof out);
		/* a parsed NAT-OA must rebuild to the same bytes (reserved bytes aside) */
		if (natt_oa_build(&w, &a) || w.len != size || memcmp(out + 4, data + 4, size - 4))
			abort();
	}
	return 0;
}
