#include <pcap/pcap.h>
#include <string.h>

#include "check_main.h"
#include "pcapin.h"

/* Ethernet + IPv4 + UDP 198.18.0.2:4500 -> 198.18.0.1:4500 carrying "\xff" (a NAT keepalive). */
static const uint8_t eth_udp[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,                              /* Ethernet */
	0x45, 0, 0, 29, 0, 1, 0, 0, 64, 17, 0, 0, 198, 18, 0, 2, 198, 18, 0, 1,         /* IPv4 */
	0x11, 0x94, 0x11, 0x94, 0, 9, 0, 0,                                            /* UDP */
	0xff};

START_TEST(ethernet_ipv4_udp)
{
	struct pcapin_pkt o;
	char a[RP_ADDR_STRLEN];
	pcapin_decode(DLT_EN10MB, eth_udp, sizeof eth_udp, 7, &o);
	ck_assert_int_eq(o.kind, PI_UDP);
	ck_assert_uint_eq(o.pkt.len, 1);
	ck_assert_uint_eq(o.pkt.data[0], 0xff);
	ck_assert_str_eq(rp_addr_str(&o.pkt.src, a, sizeof a), "198.18.0.2:4500");
	ck_assert_str_eq(rp_addr_str(&o.pkt.dst, a, sizeof a), "198.18.0.1:4500");
	ck_assert_uint_eq(o.pkt.rx_ms, 7);
}
END_TEST

START_TEST(every_truncation_is_clean)
{
	/* each prefix of a good frame decodes to a reason, never past its end (ASan checks) */
	for (size_t n = 0; n < sizeof eth_udp; n++) {
		struct pcapin_pkt o;
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, eth_udp, n);
		pcapin_decode(DLT_EN10MB, copy, n, 0, &o);
		free(copy);
		ck_assert_int_eq(o.kind, PI_BAD);
		ck_assert_ptr_nonnull(o.reason);
	}
}
END_TEST

START_TEST(bad_lengths_and_fragments)
{
	uint8_t f[sizeof eth_udp];
	struct pcapin_pkt o;
	memcpy(f, eth_udp, sizeof f);
	f[14 + 3] = 200; /* IPv4 total length beyond the frame */
	pcapin_decode(DLT_EN10MB, f, sizeof f, 0, &o);
	ck_assert_str_eq(o.reason, "IPv4 length beyond the captured bytes");
	memcpy(f, eth_udp, sizeof f);
	f[14 + 20 + 5] = 50; /* UDP length beyond the IP payload */
	pcapin_decode(DLT_EN10MB, f, sizeof f, 0, &o);
	ck_assert_str_eq(o.reason, "UDP length beyond the captured bytes");
	memcpy(f, eth_udp, sizeof f);
	f[14 + 6] = 0x20; /* more fragments */
	pcapin_decode(DLT_EN10MB, f, sizeof f, 0, &o);
	ck_assert_int_eq(o.kind, PI_SKIP);
	memcpy(f, eth_udp, sizeof f);
	f[14] = 0x44; /* IHL 16 bytes */
	pcapin_decode(DLT_EN10MB, f, sizeof f, 0, &o);
	ck_assert_str_eq(o.reason, "malformed IPv4 header");
	/* raw IP link type and an IPv6 frame carrying ESP */
	pcapin_decode(DLT_RAW, eth_udp + 14, sizeof eth_udp - 14, 0, &o);
	ck_assert_int_eq(o.kind, PI_UDP);
	uint8_t v6[40 + 8] = {0x60, 0, 0, 0, 0, 8, 50, 64};
	v6[40] = 0x12;
	pcapin_decode(DLT_RAW, v6, sizeof v6, 0, &o);
	ck_assert_int_eq(o.kind, PI_ESP);
	ck_assert_uint_eq(o.pkt.len, 8);
	ck_assert_uint_eq(o.pkt.src.family, 6);
	v6[5] = 9; /* payload length one past the frame */
	pcapin_decode(DLT_RAW, v6, sizeof v6, 0, &o);
	ck_assert_int_eq(o.kind, PI_BAD);
}
END_TEST

struct count {
	unsigned udp, esp, first_len, first_sport;
};

static void on_pkt(void *ctx, const struct pcapin_pkt *p)
{
	struct count *c = ctx;
	if (p->kind == PI_UDP && c->udp++ == 0) {
		c->first_len = (unsigned)p->pkt.len;
		c->first_sport = p->pkt.src.port;
	}
	if (p->kind == PI_ESP)
		c->esp++;
}

START_TEST(real_capture)
{
	/* tcpdump's ISAKMP_sa_setup.pcap: 9 ISAKMP datagrams, 500 -> 500; tshark shows frame 1 with a
	 * UDP length of 156, ISAKMP length 148 (MM1 from a Cisco router). */
	struct count c = {0};
	char err[256];
	long n = pcapin_file(RP_DATA "/replay/tcpdump--ISAKMP_sa_setup.pcap", on_pkt, &c, err, sizeof err);
	ck_assert_int_eq(n, 9);
	ck_assert_uint_eq(c.udp, 9);
	ck_assert_uint_eq(c.first_sport, 500);
	ck_assert_uint_eq(c.first_len, 148);
	/* zeek's ipsec.cap: 16 plain ESP packets */
	memset(&c, 0, sizeof c);
	n = pcapin_file(RP_DATA "/replay/zeek-spicy-ipsec--ipsec.cap", on_pkt, &c, err, sizeof err);
	ck_assert_int_eq(n, 27);
	ck_assert_uint_eq(c.esp, 16);
	ck_assert_int_eq(pcapin_file(RP_DATA "/nope.pcap", on_pkt, &c, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "nope.pcap"));
}
END_TEST

static Suite *pcapin_suite(void)
{
	Suite *s = suite_create("pcapin");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, ethernet_ipv4_udp);
	tcase_add_test(tc, every_truncation_is_clean);
	tcase_add_test(tc, bad_lengths_and_fragments);
	tcase_add_test(tc, real_capture);
	suite_add_tcase(s, tc);
	return s;
}

RP_CHECK_MAIN(pcapin_suite)
