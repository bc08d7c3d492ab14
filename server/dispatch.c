#include <string.h>

#include "dispatch.h"
#include "isakmp.h"
#include "l2tp.h"
#include "natt.h"

static const char *const names[DP_COUNT] = {"ike", "natt-keepalive", "esp-in-udp", "esp", "l2tp",
                                            "tun", "other"};

const char *disp_proto_name(enum disp_proto p)
{
	return p < DP_COUNT ? names[p] : "?";
}

void disp_init(struct disp *d, struct rp_log *log, unsigned ike_port, unsigned natt_port, unsigned l2tp_port)
{
	memset(d, 0, sizeof *d);
	d->log = log;
	d->ike_port = ike_port;
	d->natt_port = natt_port;
	d->l2tp_port = l2tp_port;
}

void disp_drop(struct disp *d, enum disp_proto p, const char *reason)
{
	d->st.seen[p]++;
	d->st.dropped[p]++;
	for (size_t i = 0; i < DISP_MAX_REASONS; i++) {
		if (!d->st.reasons[i].reason)
			d->st.reasons[i].reason = reason;
		if (d->st.reasons[i].reason == reason || strcmp(d->st.reasons[i].reason, reason) == 0) {
			d->st.reasons[i].count++;
			return;
		}
	}
}

static enum disp_proto drop(struct disp *d, enum disp_proto p, const struct rp_pkt *pkt, const char *reason)
{
	disp_drop(d, p, reason);
	rp_log_drop(d->log, pkt->rx_ms, disp_proto_name(p), &pkt->src, reason, "(%zu bytes)", pkt->len);
	return DP_COUNT;
}

static enum disp_proto seen(struct disp *d, enum disp_proto p, const struct rp_pkt *pkt, const char *what)
{
	char from[RP_ADDR_STRLEN];
	d->st.seen[p]++;
	d->st.parsed[p]++;
	if (rp_log_on(d->log, RP_LOG_PKT))
		rp_logf(d->log, RP_LOG_PKT, disp_proto_name(p), "%s from %s, %zu bytes%s", disp_proto_name(p),
		        rp_addr_str(&pkt->src, from, sizeof from), pkt->len, what);
	return p;
}

/* The codecs' verdicts, for rampart-replay. Encrypted ISAKMP bodies and ESP need keys: only
 * their clear headers are checked. */
static const char *deep_ike(const uint8_t *p, size_t n)
{
	struct isakmp_hdr h;
	static struct isakmp_msg m; /* ~1 KiB: not on the stack of a fuzz target */
	if (isakmp_hdr_parse(p, n, &h))
		return "malformed ISAKMP header";
	if (h.flags & 1)
		return NULL;
	if (isakmp_msg_parse(p, n, &m))
		return "malformed ISAKMP payload chain";
	return NULL;
}

static const char *deep_l2tp(const uint8_t *p, size_t n)
{
	struct l2tp_hdr h;
	static struct l2tp_msg m;
	if (l2tp_hdr_parse(p, n, &h))
		return "malformed L2TP header";
	if (!h.ctrl || h.payload_off == h.len)
		return NULL;
	int rc = l2tp_msg_parse(&m, p + h.payload_off, h.len - h.payload_off, NULL, 0);
	if (rc == -1)
		return "malformed L2TP AVPs";
	return NULL; /* -2 (a bad value in a known AVP) is a protocol answer, not a parse failure */
}

/* The SPI for the diagnostics line, formatted only when that line is printed (level 5). */
static const char *spi_what(struct disp *d, const struct rp_pkt *pkt, char *what, size_t n)
{
	if (!rp_log_on(d->log, RP_LOG_PKT))
		return "";
	snprintf(what, n, ", spi 0x%08x", rp_get_u32(pkt->data));
	return what;
}

enum disp_proto disp_packet(struct disp *d, enum disp_transport t, const struct rp_pkt *pkt)
{
	const char *why;
	char what[64];
	if (t == DT_TUN) {
		if (pkt->len < 20 || (pkt->data[0] >> 4 != 4 && pkt->data[0] >> 4 != 6))
			return drop(d, DP_TUN, pkt, "not an IP packet");
		return seen(d, DP_TUN, pkt, "");
	}
	if (t == DT_ESP) {
		if (pkt->len < 8)
			return drop(d, DP_ESP_RAW, pkt, "ESP shorter than its header");
		return seen(d, DP_ESP_RAW, pkt, spi_what(d, pkt, what, sizeof what));
	}
	/* In rampartd the destination is always our port; in a capture the server's replies carry it
	 * as the source, and they go through the same parsers. */
	unsigned port = pkt->dst.port;
	if (port != d->ike_port && port != d->natt_port && port != d->l2tp_port)
		port = pkt->src.port;
	if (port == d->ike_port) {
		if (pkt->len < 28)
			return drop(d, DP_IKE, pkt, "shorter than an ISAKMP header");
		if (d->deep && (why = deep_ike(pkt->data, pkt->len)))
			return drop(d, DP_IKE, pkt, why);
		return seen(d, DP_IKE, pkt, "");
	}
	if (port == d->natt_port) {
		size_t skip;
		switch (natt_classify(pkt->data, pkt->len, &skip)) {
		case NATT_KEEPALIVE:
			return seen(d, DP_NATT_KEEPALIVE, pkt, "");
		case NATT_IKE:
			if (d->deep && (why = deep_ike(pkt->data + skip, pkt->len - skip)))
				return drop(d, DP_IKE, pkt, why);
			return seen(d, DP_IKE, pkt, " (after the non-ESP marker)");
		case NATT_ESP:
			return seen(d, DP_ESP_UDP, pkt, spi_what(d, pkt, what, sizeof what));
		case NATT_DROP:
			break;
		}
		return drop(d, DP_ESP_UDP, pkt, "neither keepalive, IKE nor ESP");
	}
	if (port == d->l2tp_port) {
		if (pkt->len < 6)
			return drop(d, DP_L2TP, pkt, "shorter than an L2TP header");
		if (d->deep && (why = deep_l2tp(pkt->data, pkt->len)))
			return drop(d, DP_L2TP, pkt, why);
		return seen(d, DP_L2TP, pkt, " (plain, outside IPsec)");
	}
	return drop(d, DP_OTHER, pkt, "not a rampart port");
}

void disp_print(const struct disp *d, FILE *out)
{
	for (int p = 0; p < DP_COUNT; p++)
		if (d->st.seen[p])
			fprintf(out, "%-15s seen %llu parsed %llu dropped %llu\n", names[p],
			        (unsigned long long)d->st.seen[p], (unsigned long long)d->st.parsed[p],
			        (unsigned long long)d->st.dropped[p]);
	for (size_t i = 0; i < DISP_MAX_REASONS && d->st.reasons[i].reason; i++)
		fprintf(out, "  drop: %-40s %llu\n", d->st.reasons[i].reason,
		        (unsigned long long)d->st.reasons[i].count);
}
