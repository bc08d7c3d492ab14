#ifndef DISPATCH_H
#define DISPATCH_H
/* What arrives, classified and counted the same way by rampartd and rampart-replay. Until a core
 * exists for a protocol, its packets are counted as seen and logged at diagnostics level 5. */
#include <stdint.h>
#include <stdio.h>

#include "rp_base.h"

enum disp_proto { DP_IKE, DP_NATT_KEEPALIVE, DP_ESP_UDP, DP_ESP_RAW, DP_L2TP, DP_TUN, DP_OTHER, DP_COUNT };

#define DISP_MAX_REASONS 16

struct disp_stats {
	uint64_t seen[DP_COUNT], parsed[DP_COUNT], dropped[DP_COUNT];
	struct {
		const char *reason; /* static string */
		uint64_t count;
	} reasons[DISP_MAX_REASONS];
};

enum disp_transport { DT_UDP, DT_ESP, DT_TUN };

struct disp {
	struct rp_log *log;
	unsigned ike_port, natt_port, l2tp_port;
	/* rampart-replay: also run the protocol codecs (ISAKMP, L2TP) over each packet, as the
	 * daemon's cores do, and count what they reject. rampartd leaves this to the cores. */
	bool deep;
	struct disp_stats st;
};

void disp_init(struct disp *d, struct rp_log *log, unsigned ike_port, unsigned natt_port, unsigned l2tp_port);
/* One packet: for DT_UDP the UDP payload with addresses and ports; for DT_ESP the ESP header on;
 * for DT_TUN an IP packet from the TUN device. */
/* Returns the class it counted the packet in, or DP_COUNT when it dropped it. */
enum disp_proto disp_packet(struct disp *d, enum disp_transport t, const struct rp_pkt *pkt);
/* Counts a drop that happened before dispatch (e.g. a malformed IP header in a capture). */
void disp_drop(struct disp *d, enum disp_proto p, const char *reason);
void disp_print(const struct disp *d, FILE *out);
const char *disp_proto_name(enum disp_proto p);
#endif
