/* Real captures with published keys:
 *   - the harness-reference session (strongSwan 5.9.8 client behind NAT, AES-CBC-256 +
 *     HMAC-SHA1-96, UDP-encapsulated, transport mode): every ESP packet goes through esp_decap
 *     with its real ICV, and the inner UDP/1701 payloads must equal what TShark decrypted;
 *   - tcpdump's KLIPS captures (3DES-CBC and AES-256-CBC, raw and UDP-encapsulated, tunnel
 *     mode): their authentication keys were never published, so the ICV cannot be checked;
 *     rampart's CBC framing decrypts them and the inner packets must match tcpdump's own
 *     decode (.out oracle: addresses, ICMP id and sequence) with a valid IPv4 checksum. */
#include "check_main.h"
#include "natt.h"
#include "test_esp_util.h"

/* ---- harness session ---- */

struct inner_line {
	unsigned frame;
	uint32_t spi, seq;
	unsigned sport, dport;
	uint8_t payload[1600];
	size_t len;
};

static struct inner_line oracle[64];
static size_t n_oracle;

static void load_oracle(void)
{
	FILE *f = fopen(RP_DATA "/esp-harness-inner.txt", "r");
	ck_assert_ptr_nonnull(f);
	static char line[8192];
	n_oracle = 0;
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#')
			continue;
		struct inner_line *o = &oracle[n_oracle];
		char hexs[4000];
		if (sscanf(line, "%u 0x%x %u %u %u %3999s", &o->frame, &o->spi, &o->seq, &o->sport, &o->dport,
		           hexs) != 6)
			continue;
		o->len = unhex(hexs, o->payload, sizeof o->payload);
		ck_assert_uint_lt(++n_oracle, RP_ARRAY_LEN(oracle));
	}
	fclose(f);
}

struct harness {
	struct rp_rng rng;
	struct esp_sad *server, *client; /* each holds the SA for what it receives */
	unsigned ok, seen;
};

static void harness_pkt(void *ctx, unsigned frame, const struct rp_addr *src, const struct rp_addr *dst,
                        const uint8_t *esp, size_t len)
{
	(void)dst;
	struct harness *h = ctx;
	uint32_t spi = rp_get_u32(esp);
	size_t skip = 9;
	ck_assert_int_eq(natt_classify(esp, len, &skip), NATT_ESP);
	ck_assert_uint_eq(skip, 0);
	const struct inner_line *o = NULL;
	for (size_t i = 0; i < n_oracle; i++)
		if (oracle[i].frame == frame)
			o = &oracle[i];
	ck_assert_msg(o != NULL, "frame %u not in the TShark oracle", frame);
	ck_assert_uint_eq(spi, o->spi);
	ck_assert_uint_eq(rp_get_u32(esp + 4), o->seq);
	uint8_t mem[2048];
	ck_assert_uint_le(len, sizeof mem);
	memcpy(mem, esp, len);
	struct rp_buf b;
	rp_buf_view(&b, mem, sizeof mem, 0, len);
	struct esp_rx rx;
	struct esp_sad *sad = spi == 0xc52124a7 ? h->server : h->client;
	h->seen++;
	ck_assert_int_eq(esp_decap(sad, &b, src, 0, &rx), 0);
	ck_assert_uint_eq(rx.sport, o->sport);
	ck_assert_uint_eq(rx.dport, o->dport);
	ck_assert_uint_eq(rx.payload_len, o->len);
	ck_assert_msg(memcmp(rx.payload, o->payload, o->len) == 0,
	              "frame %u: inner payload differs from TShark", frame);
	/* L2TPv2 (RFC 2661 §3.1): version 2 in the low nibble of the second byte */
	ck_assert_uint_eq(rx.payload[1] & 0x0f, 2);
	h->ok++;
}

/* the keys of esp-harness-natt.esp_sa (the recorded SAs' xfrm state) */
static void harness_sa(struct esp_sad *sad, uint32_t spi, const char *ek, const char *ak, const char *peer,
                       const char *local)
{
	struct esp_sa_params p;
	mkparams(&p, ESP_DIR_IN, spi, ESP_ENCR_AES_CBC, 256, ek, ESP_AUTH_HMAC_SHA1, ak);
	p.encap = ESP_ENCAP_UDP;
	p.inner_local_port = ESP_L2TP_PORT;
	v4(&p.peer, peer, 0);
	v4(&p.local, local, 4500);
	uint32_t id;
	ck_assert_int_eq(esp_sa_add(sad, &p, 0, &id), 0);
}

START_TEST(harness_session)
{
	load_oracle();
	ck_assert_uint_eq(n_oracle, 37);
	struct harness h = {0};
	rp_rng_seeded(&h.rng, 8);
	h.server = esp_sad_new(NULL, &h.rng, NULL);
	h.client = esp_sad_new(NULL, &h.rng, NULL);
	harness_sa(h.server, 0xc52124a7, "bfaa341e35d8299454b9bef55ecf13aa80370197f98fe10ae74b1458bee56465",
	           "5368c3fa4aff78ddb31b5864ed98373c09ab666a", "203.0.113.2", "203.0.113.1");
	harness_sa(h.client, 0xcef5502b, "b65c74b38f4edb8f59394d97246585d34fad73fa5d597f3b8935e0991fbd6291",
	           "fe969fb5426258b4ec0fcc64eb5cb91d74a4e2f3", "203.0.113.1", "100.64.77.10");
	unsigned n = pcap_each_esp(RP_DATA "/esp-harness-natt-wan.pcap", harness_pkt, &h);
	ck_assert_uint_eq(n, 37);
	ck_assert_uint_eq(h.ok, 37);
	/* the recorded NAT port became the SAs' peer (the SA was configured with port 0) */
	struct rp_addr peer;
	ck_assert_int_eq(esp_sa_peer(h.server, 0xc52124a7, &peer), 0);
	ck_assert_uint_eq(peer.port, 7338);
	const struct esp_stats *st = esp_sad_stats(h.server, ESP_DIR_IN);
	for (int d = 1; d < ESP_DROP_MAX; d++)
		ck_assert_uint_eq(st->drops[d], 0);
	esp_sad_free(h.server);
	esp_sad_free(h.client);
}
END_TEST

/* ---- tcpdump KLIPS captures ---- */

struct klips {
	struct esp_crypto x;
	uint32_t spi;
	FILE *oracle; /* tcpdump's decode of the same file, or NULL */
	unsigned n;
};

static bool ipv4_csum_ok(const uint8_t *ip)
{
	uint32_t s = 0;
	for (int i = 0; i < 20; i += 2)
		s += rp_get_u16(ip + i);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

static void klips_pkt(void *ctx, unsigned frame, const struct rp_addr *src, const struct rp_addr *dst,
                      const uint8_t *esp, size_t len)
{
	(void)frame;
	(void)src;
	(void)dst;
	struct klips *k = ctx;
	const size_t ivl = k->x.e->iv_len;
	ck_assert_uint_eq(rp_get_u32(esp), k->spi);
	size_t ctl = len - 8 - ivl - 12; /* 96-bit ICV (hmac96), not checkable: key unpublished */
	ck_assert_uint_eq(ctl % k->x.e->block, 0);
	uint8_t buf[2048];
	memcpy(buf, esp + 8 + ivl, ctl);
	ck_assert_int_eq(esp_crypto_cbc(&k->x, false, esp + 8, buf, ctl), 0);
	uint8_t padlen = buf[ctl - 2], nh = buf[ctl - 1];
	ck_assert_uint_eq(nh, 4); /* tunnel mode: IPv4 inside */
	for (unsigned i = 0; i < padlen; i++)
		ck_assert_uint_eq(buf[ctl - 2 - padlen + i], i + 1);
	const uint8_t *ip = buf;
	ck_assert_uint_eq(ip[0], 0x45);
	ck_assert(ipv4_csum_ok(ip));
	ck_assert_uint_eq(rp_get_u16(ip + 2), ctl - 2 - padlen);
	ck_assert_uint_eq(ip[9], 1);  /* ICMP */
	ck_assert_uint_eq(ip[20], 8); /* echo request */
	if (k->oracle) {
		char line[512], s[64], d[64];
		unsigned seq, id, iseq, ilen;
		ck_assert_ptr_nonnull(fgets(line, sizeof line, k->oracle));
		const char *p = strstr(line, "seq=0x");
		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(sscanf(p, "seq=0x%x", &seq), 1);
		p = strstr(p, ": IP ");
		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(sscanf(p, ": IP %63s > %63[^:]: ICMP echo request, id %u, seq %u, length %u",
		                        s, d, &id, &iseq, &ilen),
		                 5);
		ck_assert_uint_eq(rp_get_u32(esp + 4), seq);
		char is[RP_ADDR_STRLEN], id_[RP_ADDR_STRLEN];
		struct rp_addr a, b;
		rp_addr_v4(&a, rp_get_u32(ip + 12), 0);
		rp_addr_v4(&b, rp_get_u32(ip + 16), 0);
		ck_assert_str_eq(rp_addr_ipstr(&a, is, sizeof is), s);
		ck_assert_str_eq(rp_addr_ipstr(&b, id_, sizeof id_), d);
		ck_assert_uint_eq(rp_get_u16(ip + 24), id);
		ck_assert_uint_eq(rp_get_u16(ip + 26), iseq);
		ck_assert_uint_eq(rp_get_u16(ip + 2) - 20, ilen);
	}
	k->n++;
}

struct klips_case {
	const char *pcap, *oracle;
	uint32_t spi;
	enum esp_encr e;
	unsigned bits;
	const char *key;
};

static const struct klips_case klips_cases[] = {
    {"esp-tcpdump-02-sunrise-sunset-esp.pcap", "esp-tcpdump-esp1.out", 0x12345678, ESP_ENCR_3DES, 192,
     "4043434545464649494a4a4c4c4f4f515152525454575758"},
    {"esp-tcpdump-08-sunrise-sunset-aes.pcap", "esp-tcpdump-esp5.out", 0xd1234567, ESP_ENCR_AES_CBC, 256,
     "aaaabbbbccccdddd4043434545464649494a4a4c4c4f4f515152525454575758"},
    {"esp-tcpdump-espudp1.pcap", NULL, 0x12345678, ESP_ENCR_3DES, 192,
     "4043434545464649494a4a4c4c4f4f515152525454575758"},
};

START_TEST(tcpdump_klips)
{
	const struct klips_case *c = &klips_cases[_i];
	struct klips k = {.spi = c->spi};
	struct esp_sa_params p;
	mkparams(&p, ESP_DIR_IN, c->spi, c->e, c->bits, c->key, ESP_AUTH_HMAC_SHA1,
	         "0000000000000000000000000000000000000000");
	ck_assert_int_eq(esp_crypto_init(&k.x, &p), 0);
	char path[512];
	if (c->oracle) {
		snprintf(path, sizeof path, "%s/%s", RP_DATA, c->oracle);
		k.oracle = fopen(path, "r");
		ck_assert_ptr_nonnull(k.oracle);
	}
	snprintf(path, sizeof path, "%s/%s", RP_DATA, c->pcap);
	ck_assert_uint_eq(pcap_each_esp(path, klips_pkt, &k), 8);
	ck_assert_uint_eq(k.n, 8);
	if (k.oracle)
		fclose(k.oracle);
	esp_crypto_deinit(&k.x);
}
END_TEST

static Suite *pcap_suite(void)
{
	Suite *s = suite_create("esp-pcap");
	TCase *t = tcase_create("captures");
	tcase_add_test(t, harness_session);
	tcase_add_loop_test(t, tcpdump_klips, 0, RP_ARRAY_LEN(klips_cases));
	suite_add_tcase(s, t);
	return s;
}

RP_CHECK_MAIN(pcap_suite)
