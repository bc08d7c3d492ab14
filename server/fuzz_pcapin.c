/* A frame of any link type the reader knows, then dispatch of whatever it decodes. */
#include <pcap/pcap.h>
#include <stdint.h>

#include "dispatch.h"
#include "pcapin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int dlts[] = {DLT_EN10MB, DLT_RAW, DLT_NULL, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_PPP, DLT_LOOP};
	if (size < 1)
		return 0;
	struct pcapin_pkt o;
	pcapin_decode(dlts[data[0] % (sizeof dlts / sizeof dlts[0])], data + 1, size - 1, 0, &o);
	struct rp_log log;
	rp_log_init(&log, 0, NULL, NULL);
	struct disp d;
	disp_init(&d, &log, 500, 4500, 1701);
	d.deep = true;
	if (o.kind == PI_UDP)
		disp_packet(&d, DT_UDP, &o.pkt);
	else if (o.kind == PI_ESP)
		disp_packet(&d, DT_ESP, &o.pkt);
	return 0;
}
