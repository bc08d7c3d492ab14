/* [server] tun_offload (srv_tun_gso.c): a TSO/USO read cut into MTU-sized IPv4 packets with
 * correct lengths, IDs, sequence numbers, flags and checksums (checked by summing each segment back
 * to 0xffff, as a receiver does), and NEEDS_CSUM packets completed. */
#include <check.h>
#include <linux/virtio_net.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "srv_local.h"

#define MAXSEG 64
static uint8_t seg[MAXSEG][1600];
static size_t seglen[MAXSEG];
static unsigned nseg;

static void collect(struct srv *s, struct rp_buf *b)
{
	(void)s;
	ck_assert_uint_lt(nseg, MAXSEG);
	ck_assert_uint_le(b->len, sizeof seg[0]);
	ck_assert_uint_ge(rp_buf_headroom(b), 64); /* the layers below push their headers here */
	memcpy(seg[nseg], rp_buf_data(b), b->len);
	seglen[nseg++] = b->len;
}

static uint32_t sum(uint32_t s, const uint8_t *p, size_t n)
{
	for (; n > 1; p += 2, n -= 2)
		s += (uint32_t)p[0] << 8 | p[1];
	if (n)
		s += (uint32_t)p[0] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/* IP header and L4 (pseudo-header included) both sum to 0xffff */
static void check_sums(const uint8_t *p, size_t n)
{
	size_t ihl = (size_t)(p[0] & 15) * 4;
	ck_assert_uint_eq(rp_get_u16(p + 2), n);
	ck_assert_uint_eq(sum(0, p, ihl), 0xffff);
	uint32_t ps = sum(0, p + 12, 8) + p[9] + (uint32_t)(n - ihl);
	ck_assert_uint_eq(sum(ps, p + ihl, n - ihl), 0xffff);
}

static struct srv *fake_srv(void)
{
	struct srv *s = calloc(1, sizeof *s);
	s->txslot_size = SRV_TX_SLOT_GSO;
	s->txslots = malloc((size_t)SRV_TX_SLOTS * s->txslot_size);
	return s;
}

static void free_srv(struct srv *s)
{
	free(s->txslots);
	free(s);
}

/* a 20-byte IPv4 header + L4 header + payload (bytes i % 251) */
static size_t build(uint8_t *p, uint8_t proto, size_t l4hl, size_t pay)
{
	memset(p, 0, 20 + l4hl);
	p[0] = 0x45;
	rp_put_u16(p + 2, (uint16_t)(20 + l4hl + pay)); /* what the kernel leaves is not relied on */
	rp_put_u16(p + 4, 0x1234);
	p[8] = 64;
	p[9] = proto;
	rp_put_u32(p + 12, 0x64410002);
	rp_put_u32(p + 16, 0x6440000a);
	rp_put_u16(p + 20, 5001);
	rp_put_u16(p + 22, 9);
	if (proto == 6) {
		rp_put_u32(p + 24, 0xfffff000); /* sequence numbers wrap inside the burst */
		rp_put_u32(p + 28, 77);
		p[32] = (uint8_t)(l4hl / 4) << 4;
		p[33] = 0x18 | 0x01 | 0x80; /* ACK PSH FIN CWR */
		rp_put_u16(p + 34, 512);
	}
	for (size_t i = 0; i < pay; i++)
		p[20 + l4hl + i] = (uint8_t)(i % 251);
	return 20 + l4hl + pay;
}

START_TEST(tso4_cut)
{
	struct srv *s = fake_srv();
	static uint8_t p[65536];
	size_t pay = 10 * 1348 + 500, n = build(p, 6, 32, pay); /* TCP with 12 bytes of options */
	struct virtio_net_hdr h = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
	                           .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
	                           .hdr_len = 52,
	                           .gso_size = 1348,
	                           .csum_start = 20,
	                           .csum_offset = 16};
	nseg = 0;
	ck_assert_int_eq(srv_tun_segment(s, p, n, &h, collect), 0);
	ck_assert_uint_eq(nseg, 11);
	size_t off = 0;
	for (unsigned i = 0; i < nseg; i++) {
		const uint8_t *q = seg[i];
		size_t len = i < 10 ? 1348 : 500;
		ck_assert_uint_eq(seglen[i], 52 + len);
		check_sums(q, seglen[i]);
		ck_assert_uint_eq(rp_get_u16(q + 4), 0x1234 + i);
		ck_assert_uint_eq(rp_get_u32(q + 24), (uint32_t)(0xfffff000u + off));
		ck_assert_uint_eq(rp_get_u32(q + 28), 77);
		ck_assert_uint_eq(q[33] & 0x01, i == 10 ? 0x01 : 0); /* FIN last */
		ck_assert_uint_eq(q[33] & 0x08, i == 10 ? 0x08 : 0); /* PSH last */
		ck_assert_uint_eq(q[33] & 0x80, i == 0 ? 0x80 : 0);  /* CWR first */
		ck_assert_uint_eq(q[33] & 0x10, 0x10);
		ck_assert_mem_eq(q + 52, p + 52 + off, len);
		off += len;
	}
	free_srv(s);
}
END_TEST

START_TEST(uso4_cut)
{
	struct srv *s = fake_srv();
	static uint8_t p[65536];
	size_t n = build(p, 17, 8, 3 * 1372);
	struct virtio_net_hdr h = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
	                           .gso_type = 5 /* UDP_L4 */,
	                           .gso_size = 1372,
	                           .csum_start = 20,
	                           .csum_offset = 6};
	nseg = 0;
	ck_assert_int_eq(srv_tun_segment(s, p, n, &h, collect), 0);
	ck_assert_uint_eq(nseg, 3);
	for (unsigned i = 0; i < nseg; i++) {
		ck_assert_uint_eq(seglen[i], 1400);
		ck_assert_uint_eq(rp_get_u16(seg[i] + 24), 1380);
		check_sums(seg[i], seglen[i]);
	}
	/* what the header does not describe is dropped, not cut */
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	ck_assert_int_eq(srv_tun_segment(s, p, n, &h, collect), -1);
	h.gso_size = 0;
	h.gso_type = 5;
	ck_assert_int_eq(srv_tun_segment(s, p, n, &h, collect), -1);
	free_srv(s);
}
END_TEST

START_TEST(uso6_cut)
{
	struct srv *s = fake_srv();
	static uint8_t p[65536];
	size_t pay = 2 * 1352 + 7, n = 48 + pay;
	memset(p, 0, 48);
	p[0] = 0x60;
	rp_put_u16(p + 4, (uint16_t)(8 + pay));
	p[6] = 17;
	p[7] = 64;
	p[8] = 0x20, p[23] = 2;  /* 2000::2 */
	p[24] = 0x20, p[39] = 9; /* 2000::9 */
	rp_put_u16(p + 40, 5001);
	rp_put_u16(p + 42, 9);
	for (size_t i = 0; i < pay; i++)
		p[48 + i] = (uint8_t)(i * 7);
	struct virtio_net_hdr h = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
	                           .gso_type = 5,
	                           .gso_size = 1352,
	                           .csum_start = 40,
	                           .csum_offset = 6};
	nseg = 0;
	ck_assert_int_eq(srv_tun_segment(s, p, n, &h, collect), 0);
	ck_assert_uint_eq(nseg, 3);
	for (unsigned i = 0; i < nseg; i++) {
		const uint8_t *q = seg[i];
		size_t len = i < 2 ? 1352 : 7;
		ck_assert_uint_eq(seglen[i], 48 + len);
		ck_assert_uint_eq(rp_get_u16(q + 4), 8 + len);
		ck_assert_uint_eq(rp_get_u16(q + 44), 8 + len);
		uint32_t ps = sum(0, q + 8, 32) + 17 + (uint32_t)(8 + len);
		ck_assert_uint_eq(sum(ps, q + 40, 8 + len), 0xffff);
		ck_assert_mem_eq(q + 48, p + 48 + i * 1352, len);
	}
	/* an extension header in front of UDP: not cut */
	p[6] = 0;
	ck_assert_int_eq(srv_tun_segment(s, p, n, &h, collect), -1);
	free_srv(s);
}
END_TEST

START_TEST(needs_csum_completed)
{
	static uint8_t p[2000];
	size_t n = build(p, 6, 20, 999);
	/* what the kernel hands over with TUN_F_CSUM: the pseudo-header sum in the checksum field */
	uint32_t ps = sum(0, p + 12, 8) + 6 + (uint32_t)(n - 20);
	while (ps >> 16)
		ps = (ps & 0xffff) + (ps >> 16);
	rp_put_u16(p + 36, (uint16_t)ps);
	p[10] = p[11] = 0;
	rp_put_u16(p + 10, (uint16_t)~sum(0, p, 20));
	struct virtio_net_hdr h = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 20, .csum_offset = 16};
	ck_assert_int_eq(srv_tun_csum(p, n, &h), 0);
	check_sums(p, n);
	h.csum_offset = 2000;
	ck_assert_int_eq(srv_tun_csum(p, n, &h), -1);
}
END_TEST

static Suite *suite(void)
{
	Suite *su = suite_create("tun_gso");
	TCase *tc = tcase_create("segment");
	tcase_add_test(tc, tso4_cut);
	tcase_add_test(tc, uso4_cut);
	tcase_add_test(tc, uso6_cut);
	tcase_add_test(tc, needs_csum_completed);
	suite_add_tcase(su, tc);
	return su;
}

RP_CHECK_MAIN(suite)
