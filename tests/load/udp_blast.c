/* udp_blast: the sink side of tests/load/net_bench.sh --reverse. Sends SIZE-byte IPv4 datagrams
 * (IP header included) to port 9 of N consecutive addresses from FIRST, RUN datagrams to one
 * address before the next, PPS in all, for SECONDS, with sendmmsg in batches of 64; with GSO 1 each
 * run is one message cut by UDP_SEGMENT (so it reaches rampartd's TUN as one USO packet when the
 * TUN takes USO, as a local application's or a GRO'd flow would). Prints "blast sent=N".
 *
 *   udp_blast FIRST N PPS SECONDS [SIZE [RUN [GSO]]] */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define BATCH 64

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: udp_blast FIRST N PPS SECONDS [SIZE [RUN]]\n");
		return 2;
	}
	struct in_addr first;
	if (!inet_aton(argv[1], &first))
		return 2;
	unsigned n = (unsigned)atoi(argv[2]), size = argc > 5 ? (unsigned)atoi(argv[5]) : 1400,
	         run = argc > 6 ? (unsigned)atoi(argv[6]) : 16;
	int gso = argc > 7 && atoi(argv[7]);
	union {
		char b[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr a;
	} ctl[BATCH];
	struct iovec gio[BATCH][64];
	double pps = atof(argv[3]), secs = atof(argv[4]);
	if (!n || pps <= 0 || size < 28 || size > 1500 || !run || (gso && run > 64))
		return 2;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int sb = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sb, sizeof sb);
	static unsigned char payload[1500];
	for (unsigned i = 0; i < sizeof payload; i++)
		payload[i] = (unsigned char)i;
	struct sockaddr_in to[BATCH];
	struct iovec iov[BATCH];
	struct mmsghdr m[BATCH];
	unsigned long long sent = 0, k = 0;
	double t0 = now_s(), end = t0 + secs;
	for (;;) {
		double t = now_s();
		if (t >= end)
			break;
		unsigned long long due = (unsigned long long)((t - t0) * pps);
		if (sent >= due) {
			struct timespec ts = {0, 200000}; /* 0.2 ms */
			nanosleep(&ts, NULL);
			continue;
		}
		unsigned b = due - sent > BATCH ? BATCH : (unsigned)(due - sent);
		if (gso) { /* whole runs: one message each */
			unsigned nm = (b + run - 1) / run;
			for (unsigned i = 0; i < nm; i++, k += run) {
				memset(&to[i], 0, sizeof to[i]);
				to[i].sin_family = AF_INET;
				to[i].sin_port = htons(9);
				to[i].sin_addr.s_addr =
				    htonl(ntohl(first.s_addr) + (uint32_t)((k / run) % n));
				for (unsigned j = 0; j < run; j++)
					gio[i][j] = (struct iovec){payload, size - 28};
				memset(&m[i], 0, sizeof m[i]);
				m[i].msg_hdr.msg_name = &to[i];
				m[i].msg_hdr.msg_namelen = sizeof to[i];
				m[i].msg_hdr.msg_iov = gio[i];
				m[i].msg_hdr.msg_iovlen = run;
				m[i].msg_hdr.msg_control = ctl[i].b;
				m[i].msg_hdr.msg_controllen = sizeof ctl[i].b;
				struct cmsghdr *c = CMSG_FIRSTHDR(&m[i].msg_hdr);
				c->cmsg_level = SOL_UDP;
				c->cmsg_type = UDP_SEGMENT;
				c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
				uint16_t sz = (uint16_t)(size - 28);
				memcpy(CMSG_DATA(c), &sz, sizeof sz);
			}
			int r = sendmmsg(fd, m, nm, 0);
			sent += (unsigned long long)(r > 0 ? (unsigned)r : nm) * run;
			continue;
		}
		for (unsigned i = 0; i < b; i++, k++) {
			memset(&to[i], 0, sizeof to[i]);
			to[i].sin_family = AF_INET;
			to[i].sin_port = htons(9);
			to[i].sin_addr.s_addr = htonl(ntohl(first.s_addr) + (uint32_t)((k / run) % n));
			iov[i].iov_base = payload;
			iov[i].iov_len = size - 28;
			memset(&m[i], 0, sizeof m[i]);
			m[i].msg_hdr.msg_name = &to[i];
			m[i].msg_hdr.msg_namelen = sizeof to[i];
			m[i].msg_hdr.msg_iov = &iov[i];
			m[i].msg_hdr.msg_iovlen = 1;
		}
		int r = sendmmsg(fd, m, b, 0);
		sent += r > 0 ? (unsigned)r : b; /* a full queue drops, as the network would */
	}
	printf("blast sent=%llu\n", sent);
	return 0;
}
