/* Fuzz the PPP frame and control-packet parsers: address/control and protocol (PFC/ACFC
 * forms), then the packet and option validation every protocol goes through. */
#include "ppp_local.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t proto;
	int off = ppp_frame_parse(data, size, &proto);
	if (off < 0)
		return 0;
	if ((size_t)off > size || !(proto & 1))
		__builtin_trap();
	const uint8_t *d = data + off;
	size_t n = size - (size_t)off;
	int a = ppp_ctl_validate(d, n, false);
	int b = ppp_ctl_validate(d, n, true);
	/* a packet with valid options is a valid packet, of the same length */
	if (b >= 0 && a != b)
		__builtin_trap();
	if (a >= 0 && ((size_t)a > n || a < 4))
		__builtin_trap();
	return 0;
}
