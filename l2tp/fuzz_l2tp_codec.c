/* Fuzz the L2TPv2 header and AVP parser, with and without a tunnel secret (hidden AVPs), and
 * re-parse what the builder produces from the parsed fields. */
#include "l2tp_local.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct l2tp_msg m;
	struct l2tp_hdr h;
	if (l2tp_hdr_parse(data, size, &h))
		return 0;
	if (h.payload_off > h.len)
		__builtin_trap();
	if (!h.ctrl)
		return 0;
	const uint8_t *avps = data + h.payload_off;
	size_t n = h.len - h.payload_off;
	int rc = l2tp_msg_parse(&m, avps, n, NULL, 0);
	(void)l2tp_msg_missing(&m);
	rc |= l2tp_msg_parse(&m, avps, n, (const uint8_t *)"secret", 6);
	if (rc == 0 && m.host_name.len) {
		/* rebuild a message from parsed fields: the builder must produce a parsable message */
		uint8_t out[2048];
		static struct l2tp_msg m2;
		struct rp_wr w;
		rp_wr_init(&w, out, sizeof out);
		l2tp_ctl_begin(&w, h.tid, h.sid, h.ns, h.nr);
		l2tp_avp_u16(&w, L2TP_AVP_MSG_TYPE, true, m.type ? m.type : 6);
		l2tp_avp_put(&w, L2TP_AVP_HOST_NAME, true, m.host_name.p, m.host_name.len);
		l2tp_ctl_end(&w);
		if (rp_wr_ok(&w)) {
			struct l2tp_hdr h2;
			if (l2tp_hdr_parse(out, w.len, &h2) ||
			    l2tp_msg_parse(&m2, out + 12, w.len - 12, NULL, 0) ||
			    m2.host_name.len != m.host_name.len)
				__builtin_trap();
		}
	}
	return 0;
}
