/* An independent implementation reads what rampart sends: ESP packets built by esp_encap (every
 * transform, UDP-encapsulated as behind a NAT or raw IP protocol 50) are written to a pcap, rampart's key log
 * goes into Wireshark's esp_sa table, and TShark (libgcrypt) must authenticate and decrypt each packet to the
 * inner UDP/1701 L2TP HELLO we put in, field by field. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "natt.h"
#include "test_esp_util.h"

struct xf {
	enum esp_encr e;
	unsigned bits;
	enum esp_auth a;
	bool t96;
};

static const struct xf xfs[] = {
    {ESP_ENCR_AES_CBC, 128, ESP_AUTH_HMAC_SHA1, false},
    {ESP_ENCR_AES_GCM_16, 128, ESP_AUTH_NONE, false},
    {ESP_ENCR_AES_GCM_16, 256, ESP_AUTH_NONE, false},
    {ESP_ENCR_3DES, 192, ESP_AUTH_HMAC_SHA1, false},
    {ESP_ENCR_3DES, 192, ESP_AUTH_HMAC_MD5, false},
    {ESP_ENCR_AES_CBC, 192, ESP_AUTH_HMAC_SHA2_256, false},
    {ESP_ENCR_AES_CBC, 256, ESP_AUTH_HMAC_SHA2_256, true},
    {ESP_ENCR_AES_CBC, 256, ESP_AUTH_HMAC_SHA2_384, false},
    {ESP_ENCR_AES_CBC, 256, ESP_AUTH_HMAC_SHA2_512, false},
};
#define PER_SA 3

static void fill_key(uint8_t *k, size_t n, struct rp_rng *rng)
{
	rp_rng_fill(rng, k, n);
}

/* Ethernet + IPv4 + (UDP/4500 when encapsulated) + the ESP packet in b */
static void frame(pcap_dumper_t *d, struct rp_buf *b, const struct esp_tx *tx, unsigned i)
{
	const struct rp_addr *s = &tx->local, *t = &tx->peer;
	if (tx->encap == ESP_ENCAP_UDP)
		ck_assert_int_eq(natt_udp_push(b, s->port, t->port), 0);
	uint8_t *ip = rp_buf_push(b, 20);
	ck_assert_ptr_nonnull(ip);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	rp_put_u16(ip + 2, (uint16_t)b->len);
	rp_put_u16(ip + 4, (uint16_t)i);
	ip[8] = 64;
	ip[9] = tx->encap == ESP_ENCAP_UDP ? 17 : 50;
	memcpy(ip + 12, s->ip, 4);
	memcpy(ip + 16, t->ip, 4);
	uint32_t sum = 0;
	for (int k = 0; k < 20; k += 2)
		sum += rp_get_u16(ip + k);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	rp_put_u16(ip + 10, (uint16_t)~sum);
	uint8_t *eth = rp_buf_push(b, 14);
	ck_assert_ptr_nonnull(eth);
	memset(eth, 0, 12);
	eth[0] = 2;
	eth[6] = 2;
	eth[5] = 1;
	eth[11] = 2;
	eth[12] = 0x08;
	eth[13] = 0x00;
	struct pcap_pkthdr h = {
	    .ts = {.tv_sec = 1700000000 + i}, .caplen = (bpf_u_int32)b->len, .len = (bpf_u_int32)b->len};
	pcap_dump((u_char *)d, &h, rp_buf_data(b));
}

START_TEST(tshark_decrypts_rampart)
{
	char dir[] = "/tmp/esp-tshark-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char wsdir[128], pcapf[160], uat[160], cmd[1024];
	snprintf(wsdir, sizeof wsdir, "%s/wireshark", dir);
	ck_assert_int_eq(mkdir(wsdir, 0700), 0);
	snprintf(uat, sizeof uat, "%s/esp_sa", wsdir);
	snprintf(pcapf, sizeof pcapf, "%s/rampart-esp.pcap", dir);

	struct rp_rng rng;
	rp_rng_seeded(&rng, 2024);
	struct esp_sad *sad = esp_sad_new(&(struct esp_conf){.keylog = true}, &rng, NULL);
	struct rp_addr srv, nat;
	v4(&srv, "198.18.0.1", 4500);
	v4(&nat, "203.0.113.9", 40001);
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *dump = pcap_dump_open(dead, pcapf);
	ck_assert_ptr_nonnull(dump);
	unsigned pkts = 0;
	for (size_t i = 0; i < RP_ARRAY_LEN(xfs); i++) {
		const struct esp_encr_desc *e = esp_encr_find(xfs[i].e, xfs[i].bits);
		const struct esp_auth_desc *a = xfs[i].a ? esp_auth_find(xfs[i].a, xfs[i].t96) : NULL;
		struct esp_sa_params p = {.dir = ESP_DIR_OUT,
		                          .spi = 0x10000 + (uint32_t)i * 0x111,
		                          .encr = xfs[i].e,
		                          .encr_keybits = xfs[i].bits,
		                          .auth = xfs[i].a,
		                          .sha256_96 = xfs[i].t96,
		                          .encap = ESP_ENCAP_UDP,
		                          .local = srv,
		                          .peer = nat};
		if (i % 2) { /* every other SA as plain IP protocol 50 */
			p.encap = ESP_ENCAP_NONE;
			p.local.port = p.peer.port = 0;
		}
		p.enc_key_len = e->key_len;
		fill_key(p.enc_key, p.enc_key_len, &rng);
		if (a) {
			p.auth_key_len = a->key_len;
			fill_key(p.auth_key, p.auth_key_len, &rng);
		}
		uint32_t id;
		ck_assert_int_eq(esp_sa_add(sad, &p, 0, &id), 0);
		struct rp_ev *ev = esp_next_event(sad);
		ck_assert_ptr_nonnull(ev);
		ck_assert_int_eq(ev->type, ESP_EV_KEYLOG);
		ck_assert_int_eq(esp_keylog_append(uat, (const char *)ev->data), 0);
		rp_ev_free(ev);
		for (unsigned k = 0; k < PER_SA; k++) {
			/* L2TPv2 HELLO (RFC 2661 §6.5): T L S, ver 2; tunnel 0x1000+i, Ns k, Nr 7 */
			uint8_t mem[512];
			struct rp_buf b;
			rp_buf_view(&b, mem, sizeof mem, 128, 0);
			uint8_t *l = rp_buf_put(&b, 20);
			const uint8_t hello[20] = {0xc8, 0x02, 0x00,       0x14, 0x10, (uint8_t)i, 0x00,
			                           0x00, 0x00, (uint8_t)k, 0x00, 0x07, 0x80,       0x08,
			                           0x00, 0x00, 0x00,       0x00, 0x00, 0x06};
			memcpy(l, hello, sizeof hello);
			ck_assert_int_eq(natt_udp_push(&b, ESP_L2TP_PORT, ESP_L2TP_PORT), 0);
			struct esp_tx tx;
			ck_assert_int_eq(esp_encap(sad, id, &b, 0, &tx), 0);
			frame(dump, &b, &tx, pkts++);
		}
	}
	pcap_dump_close(dump);
	pcap_close(dead);
	esp_sad_free(sad);

	snprintf(cmd, sizeof cmd,
	         "XDG_CONFIG_HOME=%s tshark -n -r %s -o esp.enable_encryption_decode:TRUE "
	         "-o esp.enable_authentication_check:TRUE -T fields -E separator=\\; -E occurrence=l "
	         "-e esp.spi -e esp.sequence -e esp.icv_good -e udp.srcport -e udp.dstport -e l2tp.tunnel "
	         "-e l2tp.Ns -e l2tp.Nr -e l2tp.avp.message_type 2>&1",
	         dir, pcapf);
	FILE *f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	char line[512];
	unsigned n = 0;
	while (fgets(line, sizeof line, f)) {
		if (strstr(line, "Running as user"))
			continue;
		unsigned spi, seq, sp, dp, tun, ns, nr, mt;
		char good[16];
		int got = sscanf(line, "0x%x;%u;%15[^;];%u;%u;%u;%u;%u;%u", &spi, &seq, good, &sp, &dp, &tun,
		                 &ns, &nr, &mt);
		ck_assert_msg(got == 9, "tshark line %u not decrypted: %s", n, line);
		unsigned i = n / PER_SA, k = n % PER_SA;
		ck_assert_uint_eq(spi, 0x10000 + i * 0x111);
		ck_assert_uint_eq(seq, k + 1);
		/* TShark checks HMAC ICVs; for GCM the tag is verified by the decryption itself */
		if (xfs[i].a)
			ck_assert_msg(strcmp(good, "1") == 0 || strcmp(good, "True") == 0, "ICV not good: %s",
			              line);
		ck_assert_uint_eq(sp, 1701);
		ck_assert_uint_eq(dp, 1701);
		ck_assert_uint_eq(tun, 0x1000 + i);
		ck_assert_uint_eq(ns, k);
		ck_assert_uint_eq(nr, 7);
		ck_assert_uint_eq(mt, 6); /* HELLO */
		n++;
	}
	ck_assert_int_eq(pclose(f), 0);
	ck_assert_uint_eq(n, pkts);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* Inbound key-log lines (source = peer, destination = us) for the two SAs of the recorded
 * strongSwan session, as rampart would log them as either endpoint: TShark must decrypt and
 * authenticate all 37 ESP packets of the capture with them. */
START_TEST(tshark_inbound_keylog_on_capture)
{
	char dir[] = "/tmp/esp-tshark-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char wsdir[128], uat[160], cmd[1024], line[600];
	snprintf(wsdir, sizeof wsdir, "%s/wireshark", dir);
	ck_assert_int_eq(mkdir(wsdir, 0700), 0);
	snprintf(uat, sizeof uat, "%s/esp_sa", wsdir);
	struct esp_sa_params p;
	mkparams(&p, ESP_DIR_IN, 0xc52124a7, ESP_ENCR_AES_CBC, 256,
	         "bfaa341e35d8299454b9bef55ecf13aa80370197f98fe10ae74b1458bee56465", ESP_AUTH_HMAC_SHA1,
	         "5368c3fa4aff78ddb31b5864ed98373c09ab666a");
	v4(&p.peer, "203.0.113.2", 7338);
	v4(&p.local, "203.0.113.1", 4500);
	ck_assert_int_gt(esp_keylog_line(&p, p.spi, line, sizeof line), 0);
	ck_assert_int_eq(esp_keylog_append(uat, line), 0);
	mkparams(&p, ESP_DIR_IN, 0xcef5502b, ESP_ENCR_AES_CBC, 256,
	         "b65c74b38f4edb8f59394d97246585d34fad73fa5d597f3b8935e0991fbd6291", ESP_AUTH_HMAC_SHA1,
	         "fe969fb5426258b4ec0fcc64eb5cb91d74a4e2f3");
	v4(&p.peer, "203.0.113.1", 4500); /* the client's view of its inbound SA, as seen on the wire */
	v4(&p.local, "203.0.113.2", 7338);
	ck_assert_int_gt(esp_keylog_line(&p, p.spi, line, sizeof line), 0);
	ck_assert_int_eq(esp_keylog_append(uat, line), 0);
	snprintf(cmd, sizeof cmd,
	         "XDG_CONFIG_HOME=%s tshark -n -r %s/esp-harness-natt-wan.pcap -o "
	         "esp.enable_encryption_decode:TRUE "
	         "-o esp.enable_authentication_check:TRUE -Y esp -T fields -E separator=\\; -E occurrence=l "
	         "-e esp.icv_good -e l2tp.version 2>&1",
	         dir, RP_DATA);
	FILE *f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	unsigned n = 0;
	while (fgets(line, sizeof line, f)) {
		if (strstr(line, "Running as user"))
			continue;
		char good[16];
		unsigned ver;
		ck_assert_msg(sscanf(line, "%15[^;];%u", good, &ver) == 2, "not decrypted: %s", line);
		ck_assert_msg(strcmp(good, "1") == 0 || strcmp(good, "True") == 0, "ICV not good: %s", line);
		ck_assert_uint_eq(ver, 2);
		n++;
	}
	ck_assert_int_eq(pclose(f), 0);
	ck_assert_uint_eq(n, 37);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *tshark_suite(void)
{
	Suite *s = suite_create("esp-tshark");
	TCase *t = tcase_create("tshark");
	tcase_set_timeout(t, 120);
	tcase_add_test(t, tshark_decrypts_rampart);
	tcase_add_test(t, tshark_inbound_keylog_on_capture);
	suite_add_tcase(s, t);
	return s;
}

RP_CHECK_MAIN(tshark_suite)
