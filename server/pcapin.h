#ifndef PCAPIN_H
#define PCAPIN_H
/* Reads pcap/pcapng captures with libpcap and hands each UDP payload or ESP packet, with its
 * addresses, ports and timestamp, to a callback. Link, IP and UDP layers are validated and
 * stripped here; what cannot be decoded is reported with a reason, never read past its end. */
#include <stddef.h>

#include "rp_base.h"

enum pcapin_kind { PI_UDP, PI_ESP, PI_SKIP, PI_BAD };

struct pcapin_pkt {
	enum pcapin_kind kind;
	struct rp_pkt pkt;  /* UDP payload, or the ESP header on */
	const char *reason; /* PI_SKIP / PI_BAD: why */
	unsigned frame;     /* 1-based frame number */
};

typedef void (*pcapin_cb)(void *ctx, const struct pcapin_pkt *p);

/* Number of frames read, or -1 with err set (file missing, not a capture, unknown link type). */
long pcapin_file(const char *path, pcapin_cb cb, void *ctx, char *err, size_t errlen);
/* Decodes one frame of the given DLT link type (exposed for the fuzz target). */
void pcapin_decode(int dlt, const uint8_t *data, size_t caplen, uint64_t ts_ms, struct pcapin_pkt *out);
#endif
