/* ISAKMP codec: real captures (values checked against TShark 4.0's dissection of the same
 * files), the tcpdump malformed-packet corpus, hand-made malformed payloads, builder round trips,
 * and the responder's answer to real first messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "ike_local.h"
#include "natt.h"
#include "test_pcap.h"

struct stats {
	int msgs, ok, enc, exch[40], natd, natoa, ids, ids_ok, notifies, deletes, crs, vids, sa_ok, sa_bad;
	bool have_first;
	struct isakmp_attrs first;
	size_t first_nxf;
	bool any_port;
};

static void on_udp(void *ctx, const struct udp_dgram *u)
{
	struct stats *s = ctx;
	const uint8_t *p = u->data;
	size_t len = u->len;
	bool is500 = u->src.port == 500 || u->dst.port == 500,
	     is4500 = u->src.port == 4500 || u->dst.port == 4500;
	if (!s->any_port && !is500 && !is4500)
		return;
	if (is4500) {
		size_t skip;
		if (natt_classify(p, len, &skip) != NATT_IKE)
			return;
		p += skip;
		len -= skip;
	}
	s->msgs++;
	struct isakmp_msg m;
	if (isakmp_msg_parse(p, len, &m))
		return;
	s->ok++;
	if (m.h.exch < 40)
		s->exch[m.h.exch]++;
	if (m.h.flags & ISAKMP_FLAG_ENC) {
		s->enc++;
		return;
	}
	for (size_t i = 0; i < m.npl; i++) {
		const struct isakmp_pl *pl = &m.pl[i];
		switch (pl->type) {
		case ISAKMP_PL_SA: {
			struct isakmp_sa sa;
			if (isakmp_sa_parse(pl->body, pl->len, &sa)) {
				s->sa_bad++;
				break;
			}
			s->sa_ok++;
			if (!s->have_first) {
				s->have_first = true;
				s->first = sa.xf[0].a;
				s->first_nxf = sa.nxf;
			}
			break;
		}
		case ISAKMP_PL_ID: {
			struct isakmp_id_pl id;
			s->ids++;
			s->ids_ok += isakmp_id_parse(pl->body, pl->len, &id) == 0;
			break;
		}
		case ISAKMP_PL_N: {
			struct isakmp_notify_pl n;
			s->notifies += isakmp_notify_parse(pl->body, pl->len, &n) == 0;
			break;
		}
		case ISAKMP_PL_D: {
			struct isakmp_delete_pl d;
			s->deletes += isakmp_delete_parse(pl->body, pl->len, &d) == 0;
			break;
		}
		case ISAKMP_PL_NATD:
		case ISAKMP_PL_NATD_DRAFT:
			s->natd++;
			break;
		case ISAKMP_PL_CR:
			s->crs++;
			break;
		case ISAKMP_PL_VID:
			s->vids++;
			break;
		}
	}
}

static struct stats walk(const char *name, bool any_port)
{
	char path[512];
	struct stats s;
	memset(&s, 0, sizeof s);
	s.any_port = any_port;
	snprintf(path, sizeof path, "%s/%s", RP_DATA, name);
	ck_assert_msg(pcap_udp_walk(path, on_udp, &s) >= 0, "cannot open %s", path);
	return s;
}

START_TEST(t_cisco_main_mode)
{
	/* TShark: 9 msgs, exchanges 2x6 32x3, 5 encrypted, AES/SHA1/group 1, 128 bits, 86400 s */
	struct stats s = walk("ike-tcpdump-ISAKMP_sa_setup.pcap", false);
	ck_assert_int_eq(s.msgs, 9);
	ck_assert_int_eq(s.ok, 9);
	ck_assert_int_eq(s.exch[2], 6);
	ck_assert_int_eq(s.exch[32], 3);
	ck_assert_int_eq(s.enc, 5);
	ck_assert_int_eq(s.first.enc, 7);
	ck_assert_int_eq(s.first.hash, 2);
	ck_assert_int_eq(s.first.group, 1);
	ck_assert_int_eq(s.first.keylen, 128);
	ck_assert_int_eq(s.first.auth, 1);
	ck_assert_uint_eq(s.first.life_s, 86400);
	ck_assert_int_eq(s.vids, 12);
	ck_assert_int_eq(s.sa_bad, 0);
}
END_TEST

START_TEST(t_openswan_natt_4500)
{
	/* 15 ISAKMP msgs (11 behind the non-ESP marker on 4500), 3DES/MD5/MODP1536 first of 4
	 * transforms, RSA signatures, 3600 s; NAT-D (RFC numbering) x4 */
	struct stats s = walk("ike-tcpdump-isakmp4500.pcap", false);
	ck_assert_int_eq(s.msgs, 15);
	ck_assert_int_eq(s.ok, 15);
	ck_assert_int_eq(s.exch[2], 6);
	ck_assert_int_eq(s.exch[32], 8);
	ck_assert_int_eq(s.exch[5], 1);
	ck_assert_int_eq(s.enc, 11);
	ck_assert_int_eq(s.first_nxf, 4);
	ck_assert_int_eq(s.first.enc, 5);
	ck_assert_int_eq(s.first.hash, 1);
	ck_assert_int_eq(s.first.group, 5);
	ck_assert_int_eq(s.first.auth, 3);
	ck_assert_uint_eq(s.first.life_s, 3600);
	ck_assert_int_eq(s.natd, 4);
}
END_TEST

START_TEST(t_zeek_captures)
{
	struct stats s = walk("ike-zeek-ipsec-ikev1-isakmp-main-mode.pcap", false);
	ck_assert_int_eq(s.ok, 9);
	ck_assert_int_eq(s.natd, 4);
	ck_assert_int_eq(s.first.group, 2);
	ck_assert_int_eq(s.first.keylen, 128);

	s = walk("ike-zeek-ipsec-ikev1-isakmp-aggressive-mode.pcap", false);
	ck_assert_int_eq(s.ok, 6);
	ck_assert_int_eq(s.exch[4], 3);
	ck_assert_int_eq(s.ids, 2);
	ck_assert_int_eq(s.ids_ok, 2);

	s = walk("ike-zeek-ikev1-certs.pcap", false);
	ck_assert_int_eq(s.ok, 10);
	ck_assert_int_eq(s.crs, 1);
	ck_assert_int_eq(s.first.auth, 3);
	ck_assert_uint_eq(s.first.life_s, 28800);

	s = walk("ike-zeek-ipsec.cap", false);
	ck_assert_int_eq(s.ok, 11);
	ck_assert_int_eq(s.exch[5], 1);
	ck_assert_int_eq(s.notifies, 1); /* NO-PROPOSAL-CHOSEN in the clear */
	ck_assert_uint_eq(s.first.life_s, 7800);
	ck_assert_int_eq(s.first.enc, 5);

	/* crafted: corrupted payload length, and header length 0 */
	s = walk("ike-zeek-ipsec-ikev1-payload-bad-length.pcap", false);
	ck_assert_int_eq(s.msgs, 1);
	ck_assert_int_eq(s.ok, 0);
	s = walk("ike-zeek-ipsec-ikev1-zero-length.pcap", false);
	ck_assert_int_eq(s.msgs, 1);
	ck_assert_int_eq(s.ok, 0);

	/* Windows IKEv2: version 2.0 is not ours */
	s = walk("ike-zeek-ipsec_client.pcap", false);
	ck_assert_int_eq(s.msgs, 5);
	ck_assert_int_eq(s.ok, 0);
}
END_TEST

START_TEST(t_ipv6_and_duplicates)
{
	struct stats s = walk("ike-arkime-IKEv1.pcap", false);
	ck_assert_int_eq(s.ok, 13);
	ck_assert_int_eq(s.exch[32], 6);
	ck_assert_int_eq(s.first.enc, 7);
	ck_assert_int_eq(s.first.hash, 6);
	ck_assert_int_eq(s.first.group, 20);
	ck_assert_int_eq(s.first.keylen, 256);
	ck_assert_uint_eq(s.first.life_s, 28800);

	/* crafted (Suricata issue 7902): a Life-Duration before any Life-Type, then a second one.
	 * RFC 2409 appendix A has the duration follow its type; the SA is refused, the message
	 * itself is well-formed. */
	s = walk("ike-suricata-generated.pcap", false);
	ck_assert_int_eq(s.ok, 1);
	ck_assert_int_eq(s.sa_ok, 0);
	ck_assert_int_eq(s.sa_bad, 1);
}
END_TEST

static const char *const malformed[] = {
    "ike-malformed-isakmp-3948-oobr-2.pcap",
    "ike-malformed-isakmp-delete-segfault.pcap",
    "ike-malformed-isakmp-identification-segfault.pcap",
    "ike-malformed-isakmp-ikev1_n_print-oobr.pcap",
    "ike-malformed-isakmp-no-none-np.pcapng",
    "ike-malformed-isakmp-pointer-loop.pcap",
    "ike-malformed-isakmp-rfc3948-oobr.pcap",
    "ike-malformed-isakmp-various-oobr.pcap",
    "ike-malformed-isakmpv1-attr-oobr.pcap",
    "ike-malformed-ikev1_id_ipv6_addr_subnet-oobr.pcap",
};

START_TEST(t_tcpdump_malformed)
{
	/* Each of these crashed or over-read a dissector once. Every datagram (any port) goes
	 * through the parsers; ASan/UBSan watch. Those whose flaw is in what we validate must fail. */
	struct stats s = walk(malformed[_i], true);
	if (strstr(malformed[_i], "delete-segfault") || strstr(malformed[_i], "pointer-loop") ||
	    strstr(malformed[_i], "n_print"))
		ck_assert_int_eq(s.ok, 0);
	if (strstr(malformed[_i], "subnet-oobr"))
		ck_assert_int_eq(s.ids_ok, 0);
}
END_TEST

/* ---- hand-made payloads ---------------------------------------------------------------------- */

static size_t mk_sa(uint8_t *b, uint8_t ntf_claim, int ntf_real, uint16_t attr_len)
{
	struct rp_wr w;
	rp_wr_init(&w, b, 512);
	rp_wr_u32(&w, 1);
	rp_wr_u32(&w, 1);
	size_t ps = w.len;
	rp_wr_u8(&w, 0);
	rp_wr_u8(&w, 0);
	rp_wr_u16(&w, 0);
	rp_wr_u8(&w, 1);
	rp_wr_u8(&w, 1);
	rp_wr_u8(&w, 0);
	rp_wr_u8(&w, ntf_claim);
	for (int i = 0; i < ntf_real; i++) {
		size_t ts = w.len;
		rp_wr_u8(&w, i + 1 < ntf_real ? 3 : 0);
		rp_wr_u8(&w, 0);
		rp_wr_u16(&w, 0);
		rp_wr_u8(&w, (uint8_t)(i + 1));
		rp_wr_u8(&w, 1);
		rp_wr_u16(&w, 0);
		rp_wr_u16(&w, 0x8001);
		rp_wr_u16(&w, 7);
		rp_wr_u16(&w, 12); /* life duration TLV */
		rp_wr_u16(&w, attr_len);
		rp_wr_u32(&w, 3600);
		rp_put_u16(b + ts + 2, (uint16_t)(w.len - ts));
	}
	rp_put_u16(b + ps + 2, (uint16_t)(w.len - ps));
	return w.len;
}

START_TEST(t_sa_framing)
{
	uint8_t b[512];
	struct isakmp_sa sa;
	size_t n = mk_sa(b, 2, 2, 4);
	ck_assert_int_eq(isakmp_sa_parse(b, n, &sa), -1); /* duration without a life type */
	/* counts that lie, attribute lengths that overrun */
	n = mk_sa(b, 3, 2, 4);
	ck_assert_int_eq(isakmp_sa_parse(b, n, &sa), -1);
	n = mk_sa(b, 1, 2, 4);
	ck_assert_int_eq(isakmp_sa_parse(b, n, &sa), -1);
	n = mk_sa(b, 1, 1, 40);
	ck_assert_int_eq(isakmp_sa_parse(b, n, &sa), -1);
	n = mk_sa(b, 0, 0, 4);
	ck_assert_int_eq(isakmp_sa_parse(b, n, &sa), -1);
	/* every truncation of a valid SA fails */
	static const uint8_t good[] = {0, 0,   0,    1,  0,    0, 0, 1,  0, 0,    0, 0x24, 1,    1,    0,
	                               1, 0,   0,    0,  0x1c, 1, 1, 0,  0, 0x80, 1, 0,    7,    0x80, 0x0e,
	                               0, 128, 0x80, 11, 0,    1, 0, 12, 0, 4,    0, 0,    0x0e, 0x10};
	ck_assert_int_eq(isakmp_sa_parse(good, sizeof good, &sa), 0);
	ck_assert_int_eq(sa.xf[0].a.enc, 7);
	ck_assert_int_eq(sa.xf[0].a.keylen, 128);
	ck_assert_uint_eq(sa.xf[0].a.life_s, 3600);
	for (size_t l = 0; l < sizeof good; l++)
		ck_assert_int_eq(isakmp_sa_parse(good, l, &sa), -1);
	uint8_t bad[sizeof good];
	memcpy(bad, good, sizeof good);
	bad[3] = 2; /* DOI */
	ck_assert_int_eq(isakmp_sa_parse(bad, sizeof bad, &sa), -1);
	memcpy(bad, good, sizeof good);
	bad[14] = 17; /* SPI size beyond what is there */
	ck_assert_int_eq(isakmp_sa_parse(bad, sizeof bad, &sa), -1);
}
END_TEST

START_TEST(t_attr_values)
{
	struct isakmp_attrs a;
	static const uint8_t long_life[] = {0x80, 1, 0, 1, 0, 2, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0x80, 5, 0, 2};
	ck_assert_int_eq(isakmp_attrs_parse(ISAKMP_PROTO_ESP, long_life, sizeof long_life, &a), 0);
	ck_assert_uint_eq(a.life_s, UINT32_MAX); /* 2^32: saturated, later capped by policy */
	ck_assert_int_eq(a.authalg, 2);
	static const uint8_t kb[] = {0x80, 1, 0, 2, 0x80, 2, 0x10, 0x00, 0x80, 4, 0xf0, 0x04};
	ck_assert_int_eq(isakmp_attrs_parse(ISAKMP_PROTO_ESP, kb, sizeof kb, &a), 0);
	ck_assert_uint_eq(a.life_kb, 4096);
	ck_assert_int_eq(a.encap, 61444);
	static const uint8_t custom[] = {0x80, 5, 0, 1, 0, 6, 0, 1, 0xff};
	ck_assert_int_eq(isakmp_attrs_parse(ISAKMP_PROTO_ISAKMP, custom, sizeof custom, &a), 0);
	ck_assert(a.custom_group);
	static const uint8_t odd[] = {0x80, 1, 0};
	ck_assert_int_eq(isakmp_attrs_parse(ISAKMP_PROTO_ISAKMP, odd, sizeof odd, &a), -1);
}
END_TEST

START_TEST(t_id_payloads)
{
	struct isakmp_id_pl id;
	char s[128];
	static const uint8_t v4[] = {1, 17, 0x06, 0xa5, 10, 0, 0, 1};
	ck_assert_int_eq(isakmp_id_parse(v4, sizeof v4, &id), 0);
	ck_assert_str_eq(isakmp_id_str(&id, s, sizeof s), "10.0.0.1");
	ck_assert_int_eq(id.port, 1701);
	ck_assert_int_eq(isakmp_id_parse(v4, 7, &id), -1);
	static const uint8_t sub[] = {4, 17, 0, 0, 10, 0, 0, 0, 255, 255, 255, 0};
	ck_assert_int_eq(isakmp_id_parse(sub, sizeof sub, &id), 0);
	ck_assert_str_eq(isakmp_id_str(&id, s, sizeof s), "10.0.0.0/24");
	static const uint8_t fq[] = {2, 0, 0, 0, 'v', 'p', 'n', '.', 'x'};
	ck_assert_int_eq(isakmp_id_parse(fq, sizeof fq, &id), 0);
	ck_assert_str_eq(isakmp_id_str(&id, s, sizeof s), "vpn.x");
	ck_assert_int_eq(isakmp_id_parse(fq, 4, &id), -1);
	static const uint8_t v6sub[] = {6, 0, 0, 0, 1, 2, 3};
	ck_assert_int_eq(isakmp_id_parse(v6sub, sizeof v6sub, &id), -1);
	static const uint8_t unknown[] = {99, 0, 0, 0, 1};
	ck_assert_int_eq(isakmp_id_parse(unknown, sizeof unknown, &id), -1);
}
END_TEST

START_TEST(t_notify_delete_natoa)
{
	struct isakmp_notify_pl n;
	struct isakmp_delete_pl d;
	struct rp_addr a;
	static const uint8_t nt[] = {0, 0, 0, 1,  1,  16, 0x8d, 0x28, 1,  2,  3, 4, 5, 6,
	                             7, 8, 9, 10, 11, 12, 13,   14,   15, 16, 0, 0, 0, 7};
	ck_assert_int_eq(isakmp_notify_parse(nt, sizeof nt, &n), 0);
	ck_assert_int_eq(n.type, ISAKMP_N_DPD_R_U_THERE);
	ck_assert_int_eq(n.len, 4);
	ck_assert_int_eq(isakmp_notify_parse(nt, 20, &n), -1);
	static const uint8_t del[] = {0, 0, 0, 1, 3, 4, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8};
	ck_assert_int_eq(isakmp_delete_parse(del, sizeof del, &d), 0);
	ck_assert_int_eq(d.nspi, 2);
	ck_assert_int_eq(isakmp_delete_parse(del, sizeof del - 1, &d), -1);
	uint8_t many[sizeof del];
	memcpy(many, del, sizeof del);
	many[7] = 200; /* claims 200 SPIs */
	ck_assert_int_eq(isakmp_delete_parse(many, sizeof many, &d), -1);
	static const uint8_t oa[] = {1, 0, 0, 0, 192, 168, 1, 2};
	ck_assert_int_eq(isakmp_natoa_parse(oa, sizeof oa, &a), 0);
	ck_assert_int_eq(a.family, 4);
	ck_assert_int_eq(a.ip[3], 2);
	ck_assert_int_eq(isakmp_natoa_parse(oa, 7, &a), -1);
}
END_TEST

START_TEST(t_builder_roundtrip)
{
	uint8_t buf[512], ick[8] = {1, 2, 3, 4, 5, 6, 7, 8}, rck[8] = {9};
	struct isakmp_wr w;
	isakmp_wr_init(&w, buf, sizeof buf);
	isakmp_wr_hdr(&w, ick, rck, ISAKMP_EX_INFO, 0, 0x01020304);
	isakmp_wr_notify(&w, ISAKMP_PROTO_ISAKMP, ick, 8, ISAKMP_N_INITIAL_CONTACT, NULL, 0);
	isakmp_wr_delete(&w, ISAKMP_PROTO_ESP, rck, 4);
	isakmp_wr_id(&w, ISAKMP_ID_FQDN, 17, 500, "a.b", 3);
	size_t n = isakmp_wr_finish(&w);
	ck_assert_uint_gt(n, 0);
	struct isakmp_msg m;
	ck_assert_int_eq(isakmp_msg_parse(buf, n, &m), 0);
	ck_assert_int_eq(m.npl, 3);
	ck_assert_int_eq(m.h.msgid, 0x01020304);
	ck_assert_int_eq(m.pl[0].type, ISAKMP_PL_N);
	ck_assert_int_eq(m.pl[1].type, ISAKMP_PL_D);
	ck_assert_int_eq(m.pl[2].type, ISAKMP_PL_ID);
	/* no room: the writer fails instead of writing past the end */
	isakmp_wr_init(&w, buf, 40);
	isakmp_wr_hdr(&w, ick, rck, ISAKMP_EX_INFO, 0, 0);
	isakmp_wr_pl(&w, ISAKMP_PL_VID, buf + 100, 64);
	ck_assert_uint_eq(isakmp_wr_finish(&w), 0);
	/* a chain whose last payload points at another one */
	ck_assert_int_eq(isakmp_msg_parse(buf, 0, &m), -1);
}
END_TEST

/* ---- the responder's answer to real first messages ------------------------------------------- */

struct replay {
	struct ike *ike;
	int sent, dropped;
	uint8_t first_reply_exch;
	uint16_t notify, chosen_group;
	bool natt_vid, dpd_vid;
	char log[8192];
};

static void rsink(void *ctx, int level, const char *module, const char *msg)
{
	struct replay *r = ctx;
	(void)level;
	(void)module;
	size_t l = strlen(r->log);
	snprintf(r->log + l, sizeof r->log - l, "%s\n", msg);
}

static void feed(void *ctx, const struct udp_dgram *u)
{
	struct replay *r = ctx;
	if (u->dst.port != 500 && u->dst.port != 4500)
		return;
	struct rp_pkt p = {.data = u->data, .len = u->len, .src = u->src, .dst = u->dst, .rx_ms = 1000};
	size_t skip = 0;
	if (u->dst.port == 4500 && natt_classify(u->data, u->len, &skip) != NATT_IKE)
		return;
	p.data += skip;
	p.len -= skip;
	if (ike_input(r->ike, &p, 1000))
		r->dropped++;
	struct rp_ev *ev;
	while ((ev = ike_next_event(r->ike))) {
		if (ev->type == IKE_EV_SEND) {
			struct isakmp_msg m;
			ck_assert_int_eq(isakmp_msg_parse(ev->data, ev->len, &m), 0);
			if (!r->sent++) {
				r->first_reply_exch = m.h.exch;
				struct ike_vids v;
				ike_vid_scan(&m, &v);
				r->natt_vid = v.natt_mask != 0;
				const struct isakmp_pl *sp = isakmp_find(&m, ISAKMP_PL_SA, 0);
				struct isakmp_sa sa;
				if (sp && isakmp_sa_parse(sp->body, sp->len, &sa) == 0)
					r->chosen_group = sa.xf[0].a.group;
				r->dpd_vid = v.dpd;
				const struct isakmp_pl *np = isakmp_find(&m, ISAKMP_PL_N, 0);
				struct isakmp_notify_pl n;
				if (np && !isakmp_notify_parse(np->body, np->len, &n))
					r->notify = n.type;
			}
		}
		rp_ev_free(ev);
	}
}

static void replay(const char *name, struct replay *r)
{
	char path[512];
	struct ike_conf c;
	struct rp_rng rng;
	struct rp_log lg;
	static const uint8_t k[] = "x";
	struct ike_psk psk = {.kind = IKE_PSK_ANY, .key = k, .keylen = 1};
	memset(r, 0, sizeof *r);
	ike_conf_defaults(&c);
	c.psks = &psk;
	c.npsk = 1;
	rp_rng_seeded(&rng, 7);
	rp_log_init(&lg, RP_LOG_WARN, rsink, r);
	r->ike = ike_new(&c, &rng, &lg);
	snprintf(path, sizeof path, "%s/%s", RP_DATA, name);
	ck_assert_int_gt(pcap_udp_walk(path, feed, r), 0);
	ike_free(r->ike);
}

START_TEST(t_responder_real_first_messages)
{
	struct replay r;
	/* Cisco IOS, AES-128/SHA1/MODP1024 PSK, NAT-T drafts + RFC: accepted */
	replay("ike-zeek-ipsec-ikev1-isakmp-main-mode.pcap", &r);
	ck_assert_int_ge(r.sent, 1);
	ck_assert_int_eq(r.first_reply_exch, ISAKMP_EX_IDPROT);
	ck_assert(r.natt_vid && r.dpd_vid);
	/* strongSwan 3DES/SHA1/MODP1024: accepted (its second MM1 retransmission is answered too) */
	replay("ike-zeek-ipsec.cap", &r);
	ck_assert_int_eq(r.first_reply_exch, ISAKMP_EX_IDPROT);
	/* FortiGate over IPv6, AES-256/SHA2-512/ECP384 */
	replay("ike-arkime-IKEv1.pcap", &r);
	ck_assert_int_eq(r.first_reply_exch, ISAKMP_EX_IDPROT);
	/* MODP768 (group 1): refused, and the log says why */
	replay("ike-tcpdump-ISAKMP_sa_setup.pcap", &r);
	ck_assert_int_eq(r.notify, ISAKMP_N_NO_PROPOSAL_CHOSEN);
	ck_assert_ptr_nonnull(strstr(r.log, "client offered only DH groups we do not allow"));
	/* RSA signatures with certificates: refused (no certificate configured) */
	replay("ike-zeek-ikev1-certs.pcap", &r);
	ck_assert_int_eq(r.notify, ISAKMP_N_NO_PROPOSAL_CHOSEN);
	ck_assert_ptr_nonnull(strstr(r.log, "RSA signatures"));
	/* Aggressive Mode: refused */
	replay("ike-zeek-ipsec-ikev1-isakmp-aggressive-mode.pcap", &r);
	ck_assert_int_eq(r.notify, ISAKMP_N_NO_PROPOSAL_CHOSEN);
	ck_assert_ptr_nonnull(strstr(r.log, "Aggressive Mode refused"));
	/* the stock Linux client (strongSwan) through a NAT: AES-256/SHA1/MODP1024 first, then
	 * AES-128/SHA1/MODP2048: we prefer the bigger group; its later messages (other cookies,
	 * our rcky differs) are dropped without effect */
	replay("ike-harness-natt-wan-ike.pcap", &r);
	ck_assert_int_eq(r.first_reply_exch, ISAKMP_EX_IDPROT);
	ck_assert(r.natt_vid);
	ck_assert_int_eq(r.chosen_group, 14);
	ck_assert_int_eq(r.sent, 1);
	/* Windows IKEv2: nothing answered */
	replay("ike-zeek-ipsec_client.pcap", &r);
	ck_assert_int_eq(r.sent, 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("isakmp");
	TCase *tc = tcase_create("captures");
	tcase_add_test(tc, t_cisco_main_mode);
	tcase_add_test(tc, t_openswan_natt_4500);
	tcase_add_test(tc, t_zeek_captures);
	tcase_add_test(tc, t_ipv6_and_duplicates);
	tcase_add_loop_test(tc, t_tcpdump_malformed, 0, RP_ARRAY_LEN(malformed));
	tcase_add_test(tc, t_responder_real_first_messages);
	suite_add_tcase(s, tc);
	tc = tcase_create("codec");
	tcase_add_test(tc, t_sa_framing);
	tcase_add_test(tc, t_attr_values);
	tcase_add_test(tc, t_id_payloads);
	tcase_add_test(tc, t_notify_delete_natoa);
	tcase_add_test(tc, t_builder_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}

RP_CHECK_MAIN(suite)
