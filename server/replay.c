/* rampart-replay FILE...: runs captures through the same dispatch as rampartd and prints what was
 * parsed and dropped, per protocol, with reasons. Exit 0 when every file could be read, 1 when one
 * could not be opened, 2 on bad usage. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "dispatch.h"
#include "pcapin.h"

struct replay {
	struct disp disp;
	unsigned long frames_skipped;
};

static void on_pkt(void *ctx, const struct pcapin_pkt *p)
{
	struct replay *r = ctx;
	switch (p->kind) {
	case PI_UDP:
		disp_packet(&r->disp, DT_UDP, &p->pkt);
		break;
	case PI_ESP:
		disp_packet(&r->disp, DT_ESP, &p->pkt);
		break;
	case PI_BAD:
		disp_drop(&r->disp, DP_OTHER, p->reason);
		break;
	case PI_SKIP:
		r->frames_skipped++;
		break;
	}
}

int main(int argc, char **argv)
{
	int level = RP_LOG_DROP, o, rc = 0;
	while ((o = getopt(argc, argv, "d:h")) != -1) {
		if (o == 'd') {
			level = atoi(optarg);
		} else {
			fprintf(o == 'h' ? stdout : stderr,
				"usage: rampart-replay [-d DIAGNOSTICS_LEVEL] FILE.pcap|pcapng...\n");
			return o == 'h' ? 0 : 2;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "usage: rampart-replay [-d DIAGNOSTICS_LEVEL] FILE.pcap|pcapng...\n");
		return 2;
	}
	struct rp_log log;
	rp_log_init(&log, level, NULL, NULL);
	log.interval_s = 60;
	for (int i = optind; i < argc; i++) {
		struct replay r = {0};
		char err[512];
		disp_init(&r.disp, &log, 500, 4500, 1701);
		r.disp.deep = true;
		long frames = pcapin_file(argv[i], on_pkt, &r, err, sizeof err);
		if (frames < 0) {
			fprintf(stderr, "rampart-replay: %s\n", err);
			rc = 1;
			continue;
		}
		printf("%s: %ld frames, %lu not UDP/ESP over IP\n", argv[i], frames, r.frames_skipped);
		if (err[0])
			printf("  capture damaged after the last frame: %s\n", err);
		disp_print(&r.disp, stdout);
	}
	return rc;
}
