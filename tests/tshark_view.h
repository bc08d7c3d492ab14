/* Check tests: what tshark's dissectors (an independent implementation) make of one raw IPv4 or
 * IPv6 packet, written as a one-packet pcap (LINKTYPE_RAW 101). Returns tshark -V's text. */
#ifndef RP_TSHARK_VIEW_H
#define RP_TSHARK_VIEW_H
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline char *rp_tshark_view(const uint8_t *pkt, size_t n)
{
	char path[] = "/tmp/rp_tshark.XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	FILE *f = fdopen(fd, "wb");
	uint32_t gh[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 101}, ph[4] = {0, 0, (uint32_t)n, (uint32_t)n};
	fwrite(gh, 4, 6, f);
	fwrite(ph, 4, 4, f);
	fwrite(pkt, 1, n, f);
	fclose(f);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "tshark -r %s -V 2>&1", path);
	FILE *t = popen(cmd, "r");
	ck_assert_ptr_nonnull(t);
	static char out[65536];
	size_t got = fread(out, 1, sizeof out - 1, t);
	out[got] = 0;
	int rc = pclose(t);
	unlink(path);
	ck_assert_msg(rc == 0 && got > 0, "tshark failed (is it installed? tests/deps/test.txt): %s", out);
	return out;
}
#endif
