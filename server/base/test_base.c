#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "rp_base.h"

START_TEST(buf_headroom_push_pull)
{
	struct rp_buf b;
	ck_assert_int_eq(rp_buf_alloc(&b, 16, 64, 0), 0);
	memcpy(rp_buf_put(&b, 4), "data", 4);
	uint8_t *h = rp_buf_push(&b, 8);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(b.len, 12);
	ck_assert_ptr_null(rp_buf_push(&b, 9)); /* only 8 bytes of headroom left */
	ck_assert_ptr_nonnull(rp_buf_pull(&b, 8));
	ck_assert_mem_eq(rp_buf_data(&b), "data", 4);
	ck_assert_ptr_null(rp_buf_pull(&b, 5));
	ck_assert_ptr_null(rp_buf_put(&b, 64));
	ck_assert_int_eq(rp_buf_trim(&b, 5), -1);
	ck_assert_int_eq(rp_buf_trim(&b, 4), 0);
	rp_buf_release(&b);
	ck_assert_ptr_null(b.base);
}
END_TEST

START_TEST(buf_secret_view_wiped)
{
	uint8_t mem[32];
	memset(mem, 0xaa, sizeof mem);
	struct rp_buf b;
	rp_buf_view(&b, mem, sizeof mem, 0, 32);
	b.flags |= RP_BUF_SECRET;
	rp_buf_release(&b);
	for (size_t i = 0; i < sizeof mem; i++)
		ck_assert_uint_eq(mem[i], 0);
}
END_TEST

START_TEST(reader_bounds)
{
	const uint8_t msg[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
	struct rp_rd r, sub;
	uint8_t v8;
	uint16_t v16;
	uint32_t v32;
	rp_rd_init(&r, msg, sizeof msg);
	ck_assert_int_eq(rp_rd_u8(&r, &v8), 0);
	ck_assert_uint_eq(v8, 1);
	ck_assert_int_eq(rp_rd_u16(&r, &v16), 0);
	ck_assert_uint_eq(v16, 0x0203);
	ck_assert_int_eq(rp_rd_u32(&r, &v32), 0);
	ck_assert_uint_eq(v32, 0x04050607);
	ck_assert_int_eq(rp_rd_u8(&r, &v8), -1); /* empty: fails and stays */
	ck_assert_uint_eq(r.pos, 7);

	rp_rd_init(&r, msg, 3);
	ck_assert_int_eq(rp_rd_u32(&r, &v32), -1);
	ck_assert_uint_eq(r.pos, 0); /* a short read does not advance */
	ck_assert_int_eq(rp_rd_sub(&r, &sub, 4), -1);
	ck_assert_int_eq(rp_rd_sub(&r, &sub, 2), 0);
	ck_assert_uint_eq(rp_rd_left(&sub), 2);
	ck_assert_int_eq(rp_rd_skip(&r, 2), -1);
	ck_assert_int_eq(rp_rd_skip(&r, 1), 0);
	ck_assert_uint_eq(rp_rd_left(&r), 0);
	/* a length near SIZE_MAX must not wrap the bound check */
	ck_assert_int_eq(rp_rd_skip(&r, (size_t)-1), -1);
}
END_TEST

START_TEST(writer_sticky_error)
{
	uint8_t out[6];
	struct rp_wr w;
	rp_wr_init(&w, out, sizeof out);
	rp_wr_u16(&w, 0);
	rp_wr_u32(&w, 0xdeadbeef);
	ck_assert(rp_wr_ok(&w));
	rp_wr_put_u16_at(&w, 0, 6);
	ck_assert_mem_eq(out, "\x00\x06\xde\xad\xbe\xef", 6);
	rp_wr_u8(&w, 1);
	ck_assert(!rp_wr_ok(&w));
	rp_wr_init(&w, out, sizeof out);
	rp_wr_put_u16_at(&w, 5, 1); /* beyond what was written */
	ck_assert(!rp_wr_ok(&w));
}
END_TEST

START_TEST(evq_fifo)
{
	struct rp_evq q;
	rp_evq_init(&q);
	for (int i = 0; i < 3; i++) {
		struct rp_ev *ev = rp_ev_new(i, 4);
		ck_assert_ptr_nonnull(ev);
		rp_evq_push(&q, ev);
	}
	ck_assert_uint_eq(q.count, 3);
	for (int i = 0; i < 2; i++) {
		struct rp_ev *ev = rp_evq_pop(&q);
		ck_assert_int_eq(ev->type, i);
		rp_ev_free(ev);
	}
	rp_evq_push(&q, rp_ev_new(9, 0));
	ck_assert_uint_eq(q.count, 2);
	rp_evq_clear(&q);
	ck_assert_uint_eq(q.count, 0);
	ck_assert_ptr_null(rp_evq_pop(&q));
}
END_TEST

struct cap {
	int n;
	char last[512];
	int lastlvl;
};

static void capture(void *ctx, int level, const char *module, const char *msg)
{
	struct cap *c = ctx;
	(void)module;
	c->n++;
	c->lastlvl = level;
	snprintf(c->last, sizeof c->last, "%s", msg);
}

START_TEST(log_levels_and_ike_switch)
{
	struct cap c = {0};
	struct rp_log lg;
	rp_log_init(&lg, RP_LOG_WARN, capture, &c);
	rp_logf(&lg, RP_LOG_INFO, "t", "hidden");
	ck_assert_int_eq(c.n, 0);
	rp_logf(&lg, RP_LOG_ERR, "t", "shown %d", 1);
	ck_assert_int_eq(c.n, 1);
	ck_assert_str_eq(c.last, "shown 1");
	rp_log_ike(&lg, "mm1");
	ck_assert_int_eq(c.n, 1);
	lg.ikelogging = true;
	rp_log_ike(&lg, "mm2");
	ck_assert_int_eq(c.n, 2);
	rp_logf(&lg, RP_LOG_NOTICE, "t", "lifecycle");
	ck_assert_int_eq(c.n, 3);
	ck_assert_int_eq(c.lastlvl, RP_LOG_NOTICE);
	ck_assert_str_eq(rp_log_lvlname(c.lastlvl), "notice");
	lg.level = RP_LOG_OFF;
	rp_logf(&lg, RP_LOG_ERR, "t", "nothing at level 0");
	rp_logf(&lg, RP_LOG_NOTICE, "t", "nothing at level 0");
	ck_assert_int_eq(c.n, 3);
}
END_TEST

START_TEST(log_drop_rate_limited)
{
	struct cap c = {0};
	struct rp_log lg;
	struct rp_addr peer;
	rp_log_init(&lg, RP_LOG_DROP, capture, &c);
	lg.interval_s = 60;
	rp_addr_v4(&peer, 0xc6120001, 4500);
	for (int i = 0; i < 100; i++)
		rp_log_drop(&lg, 1000 + (uint64_t)i, "esp", &peer, "replayed", "spi %08x", 0x1234u);
	ck_assert_int_eq(c.n, 5);
	ck_assert_str_eq(c.last, "drop from 198.18.0.1:4500: replayed spi 00001234");
	ck_assert_uint_eq(lg.total_suppressed, 95);
	/* the next window reports what was suppressed, then logs again */
	rp_log_drop(&lg, 1000 + 60000, "esp", &peer, "replayed", NULL);
	ck_assert_int_eq(c.n, 7);
	ck_assert_str_eq(c.last, "drop from 198.18.0.1:4500: replayed");
}
END_TEST

/* Issue 12: 20,000 spoofed datagrams, each from another source address, wrote 17,485 lines: a
 * key landing on a busy slot reset it. Now a slot's burst holds until its window ends, so the
 * 64 slots write at most 64 x 5 lines per window whatever the sources. */
START_TEST(log_drop_spoofed_sources)
{
	struct cap c = {0};
	struct rp_log lg;
	rp_log_init(&lg, RP_LOG_DROP, capture, &c);
	lg.interval_s = 60;
	for (uint32_t i = 0; i < 20000; i++) {
		struct rp_addr peer;
		rp_addr_v4(&peer, 0xc6120000 + i, 500);
		rp_log_drop(&lg, 1000 + i / 100, "ike", &peer, "malformed", NULL);
	}
	ck_assert_int_le(c.n, RP_LOG_RL_SLOTS * 5);
	ck_assert_uint_ge(lg.total_suppressed, 20000 - RP_LOG_RL_SLOTS * 5);
}
END_TEST

static uint64_t fake_now;
static uint64_t fake_clock(void *ctx)
{
	(void)ctx;
	return fake_now;
}

struct cnt {
	int n, err, warn_summary;
	char summary[256];
};

static void count_sink(void *ctx, int level, const char *module, const char *msg)
{
	struct cnt *c = ctx;
	c->n++;
	c->err += level == RP_LOG_ERR;
	if (!strcmp(module, "log")) {
		c->warn_summary++;
		snprintf(c->summary, sizeof c->summary, "%s", msg);
	}
}

/* The global budget: 100 lines per 10 s whatever their kind; the last tenth is kept for errors;
 * the interval after a flood begins with one line saying how many were suppressed. */
START_TEST(log_budget)
{
	struct cnt c = {0};
	struct rp_log lg;
	rp_log_init(&lg, RP_LOG_INFO, count_sink, &c);
	fake_now = 5000;
	rp_log_budget(&lg, 100, 10000, fake_clock, NULL);
	for (int i = 0; i < 17485; i++)
		rp_logf(&lg, RP_LOG_WARN, "ike", "flood line %d", i);
	ck_assert_int_eq(c.n, 90);
	for (int i = 0; i < 20; i++)
		rp_logf(&lg, RP_LOG_ERR, "server", "error %d", i);
	ck_assert_int_eq(c.n, 100);
	ck_assert_int_eq(c.err, 10);
	ck_assert_uint_eq(lg.budget_suppressed, 17485 - 90 + 10);
	/* nothing more in this interval; the flush at its end tells */
	fake_now = 9000;
	rp_log_flush(&lg);
	ck_assert_int_eq(c.warn_summary, 0);
	fake_now = 15000;
	rp_log_flush(&lg);
	ck_assert_int_eq(c.warn_summary, 1);
	ck_assert_str_eq(c.summary, "17405 log lines suppressed (10 of them errors) in 10 s: over "
	                            "log.line_budget 100");
	rp_logf(&lg, RP_LOG_WARN, "ike", "a new interval");
	ck_assert_int_eq(c.n, 102);
	/* 0 turns it off */
	rp_log_budget(&lg, 0, 10000, fake_clock, NULL);
	for (int i = 0; i < 500; i++)
		rp_logf(&lg, RP_LOG_WARN, "ike", "x");
	ck_assert_int_eq(c.n, 602);
}
END_TEST

/* Issue 10 item 6: peer-supplied text is escaped (a newline cannot forge a line, a quote cannot
 * end a quoted field), and a line that still holds a control character is neutralised. */
START_TEST(log_escape)
{
	char o[64];
	ck_assert_str_eq(rp_esc("a\nb\"c\\d\xc3\xa9\x7f", 10, o, sizeof o),
	                 "a\\x0ab\\\"c\\\\d\\xc3\\xa9\\x7f");
	ck_assert_str_eq(rp_esc("ab\ncd", 5, o, 6), "ab"); /* never half an escape */
	ck_assert_str_eq(rp_esc("ab\ncd", 5, o, 7), "ab\\x0a");
	ck_assert_str_eq(rp_esc("x\0y", 3, o, sizeof o), "x\\x00y");
	ck_assert_str_eq(rp_escs("CN=vpn.example,O=Ex", o, sizeof o), "CN=vpn.example,O=Ex");
	ck_assert_str_eq(rp_escs(NULL, o, sizeof o), "");

	struct cap c = {0};
	struct rp_log lg;
	struct rp_addr peer;
	rp_log_init(&lg, RP_LOG_INFO, capture, &c);
	rp_logf(&lg, RP_LOG_WARN, "ppp", "user \"%s\" failed", "bob\nwarn ike: forged\r");
	ck_assert_int_eq(c.n, 1);
	ck_assert_str_eq(c.last, "user \"bob\\x0awarn ike: forged\\x0d\" failed");
	rp_addr_v4(&peer, 0xc6120001, 500);
	rp_log_drop(&lg, 1, "ike", &peer, "bad", "id %s", "CN=x\n\x1b[2Jwarn");
	ck_assert_int_eq(c.n, 2);
	ck_assert_str_eq(c.last, "drop from 198.18.0.1:500: bad id CN=x\\x0a\\x1b[2Jwarn");
}
END_TEST

/* Issue 10 item 7: the mode check shared by rampartd and rampartctl */
START_TEST(path_private)
{
	char dir[] = "/tmp/rp-base-XXXXXX", f[64], err[300];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(f, sizeof f, "%s/x.conf", dir);
	FILE *fp = fopen(f, "w");
	ck_assert_ptr_nonnull(fp);
	fclose(fp);
	chmod(f, 0644);
	ck_assert_int_eq(rp_path_private(f, RP_MODE_NO_GROUP_WRITE, err, sizeof err), 0);
	ck_assert_int_eq(rp_path_private(f, RP_MODE_NO_GROUP_WRITE | RP_MODE_NO_OTHER_READ, err, sizeof err),
	                 -EPERM);
	ck_assert_ptr_nonnull(strstr(err, f));
	ck_assert_ptr_nonnull(strstr(err, "mode 0644"));
	chmod(f, 0640);
	ck_assert_int_eq(rp_path_private(f, RP_MODE_NO_GROUP_WRITE | RP_MODE_NO_OTHER_READ, err, sizeof err),
	                 0);
	ck_assert_int_eq(rp_path_private(f, RP_MODE_NO_GROUP_READ, err, sizeof err), -EPERM);
	chmod(f, 0602);
	ck_assert_int_eq(rp_path_private(f, RP_MODE_NO_GROUP_WRITE, err, sizeof err), -EPERM);
	ck_assert_ptr_nonnull(strstr(err, "mode 0602 lets everyone write"));
	ck_assert_int_eq(rp_path_private(f, RP_MODE_DIR, err, sizeof err), -ENOTDIR);
	ck_assert_int_eq(rp_path_private(dir, 0, err, sizeof err), -EISDIR);
	chmod(dir, 01777);
	ck_assert_int_eq(rp_path_private(dir, RP_MODE_DIR | RP_MODE_NO_GROUP_WRITE, err, sizeof err), -EPERM);
	ck_assert_ptr_nonnull(strstr(err, "mode 1777"));
	chmod(dir, 0700);
	ck_assert_int_eq(rp_path_private(dir, RP_MODE_DIR | RP_MODE_NO_GROUP_WRITE, err, sizeof err), 0);
	unlink(f);
	ck_assert_int_eq(rp_path_private(f, 0, err, sizeof err), -ENOENT);
	rmdir(dir);
}
END_TEST

START_TEST(rng_seeded_reproducible)
{
	struct rp_rng a, b, c;
	uint8_t x[37], y[37], z[37];
	rp_rng_seeded(&a, 42);
	rp_rng_seeded(&b, 42);
	rp_rng_seeded(&c, 43);
	rp_rng_fill(&a, x, sizeof x);
	rp_rng_fill(&b, y, sizeof y);
	rp_rng_fill(&c, z, sizeof z);
	ck_assert_mem_eq(x, y, sizeof x);
	ck_assert(memcmp(x, z, sizeof x) != 0);
}
END_TEST

START_TEST(addr_format_and_ct)
{
	struct rp_addr a, b;
	char s[RP_ADDR_STRLEN];
	ck_assert_int_eq(rp_addr_parse(&a, "203.0.113.7"), 0);
	a.port = 1701;
	ck_assert_str_eq(rp_addr_str(&a, s, sizeof s), "203.0.113.7:1701");
	ck_assert_int_eq(rp_addr_parse(&b, "2001:db8::1"), 0);
	b.port = 500;
	ck_assert_str_eq(rp_addr_str(&b, s, sizeof s), "[2001:db8::1]:500");
	ck_assert(!rp_addr_eq(&a, &b));
	ck_assert_int_eq(rp_addr_parse(&b, "203.0.113.777"), -1);
	ck_assert(rp_ct_memeq("abc", "abc", 3));
	ck_assert(!rp_ct_memeq("abc", "abd", 3));
	struct rp_clock clk;
	rp_clock_fake(&clk, 5);
	ck_assert_uint_eq(clk.now_ms(&clk), 5);
}
END_TEST

START_TEST(rng_gnutls_differs)
{
	struct rp_rng r;
	uint8_t a[32] = {0}, b[32] = {0}, zero[32] = {0};
	for (int level = 0; level < 3; level++) {
		rp_rng_gnutls(&r, level);
		ck_assert_int_eq(rp_rng_fill(&r, a, sizeof a), 0);
		ck_assert_int_eq(rp_rng_fill(&r, b, sizeof b), 0);
		ck_assert(memcmp(a, b, sizeof a) != 0);
		ck_assert(memcmp(a, zero, sizeof a) != 0);
	}
}
END_TEST

static Suite *base_suite(void)
{
	Suite *s = suite_create("base");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, buf_headroom_push_pull);
	tcase_add_test(tc, buf_secret_view_wiped);
	tcase_add_test(tc, reader_bounds);
	tcase_add_test(tc, writer_sticky_error);
	tcase_add_test(tc, evq_fifo);
	tcase_add_test(tc, log_levels_and_ike_switch);
	tcase_add_test(tc, log_drop_rate_limited);
	tcase_add_test(tc, log_escape);
	tcase_add_test(tc, log_drop_spoofed_sources);
	tcase_add_test(tc, log_budget);
	tcase_add_test(tc, path_private);
	tcase_add_test(tc, rng_seeded_reproducible);
	tcase_add_test(tc, addr_format_and_ct);
	tcase_add_test(tc, rng_gnutls_differs);
	suite_add_tcase(s, tc);
	return s;
}

RP_CHECK_MAIN(base_suite)
