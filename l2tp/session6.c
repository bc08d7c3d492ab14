/* IPv6 in a session: the /64 each session gets from [pool] prefix6 once IPV6CP is up, the hash
 * that finds the session owning a destination /64 (as ip_hash does for IPv4 addresses), and the
 * source check on what a session sends: only its own /64 or its link-local address. */
#include "l2tp_local.h"

#include "ppp.h"

#include <errno.h>
#include <string.h>

#define PFX6_TRIES 4096 /* candidates looked at per allocation before giving up */

static uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)rp_get_u32(p) << 32 | rp_get_u32(p + 4);
}

static unsigned pfx6_hash(uint64_t pfx)
{
	return (unsigned)(((pfx ^ pfx >> 29) * 0x9e3779b97f4a7c15ull) >> 52) % L2TP_PFX6_HASH;
}

static struct l2tp_session *pfx6_find(struct l2tp *l, uint64_t pfx)
{
	for (struct l2tp_session *s = l->pfx6_hash[pfx6_hash(pfx)]; s; s = s->pfx6_next)
		if (s->pfx6 == pfx)
			return s;
	return NULL;
}

void session6_release(struct l2tp_session *s)
{
	struct l2tp *l = s->t->l;
	if (!s->pfx6)
		return;
	for (struct l2tp_session **pp = &l->pfx6_hash[pfx6_hash(s->pfx6)]; *pp; pp = &(*pp)->pfx6_next)
		if (*pp == s) {
			*pp = s->pfx6_next;
			break;
		}
	s->pfx6 = 0;
}

/* The next free /64 of the prefix, round robin from the last one given (a /64 given back is not
 * reused at once, so a late packet for the previous owner does not reach the next one). Number 0
 * is the server's own (its TUN address). */
static uint64_t pfx6_alloc(struct l2tp *l)
{
	if (l->conf.prefix6_len < 1 || l->conf.prefix6_len > 63)
		return 0; /* the parser allows 16-63: a /64 per session needs room */
	unsigned bits = 64 - l->conf.prefix6_len;
	uint64_t base = get_u64(l->conf.prefix6) & ~((1ull << bits) - 1);
	uint64_t n = bits >= 32 ? 1ull << 32 : 1ull << bits; /* numbers in use: at most 2^32 */
	for (unsigned i = 0; i < PFX6_TRIES; i++) {
		uint64_t idx = l->pfx6_next++ % n;
		if (!idx)
			continue;
		if (!pfx6_find(l, base | idx))
			return base | idx;
	}
	return 0;
}

void session6_up(void *ctx, uint64_t our_ifid, uint64_t peer_ifid)
{
	struct l2tp_session *s = ctx;
	struct l2tp *l = s->t->l;
	s->our_ifid = our_ifid;
	s->peer_ifid = peer_ifid;
	if (s->pfx6 || !l->conf.prefix6_len)
		return; /* renegotiated: the session keeps its /64 */
	uint64_t p = pfx6_alloc(l);
	if (!p) {
		rp_logf(l->log, RP_LOG_WARN, "l2tp",
		        "session %u/%u (%s): no free /64 in prefix6, IPv6 not routed", s->t->tid, s->sid,
		        s->account);
		return;
	}
	s->pfx6 = p;
	unsigned h = pfx6_hash(p);
	s->pfx6_next = l->pfx6_hash[h];
	l->pfx6_hash[h] = s;
	rp_logf(l->log, RP_LOG_INFO, "l2tp", "session %u/%u (%s): IPv6 prefix %x:%x:%x:%x::/64", s->t->tid,
	        s->sid, s->account, (unsigned)(p >> 48), (unsigned)(p >> 32) & 0xffff,
	        (unsigned)(p >> 16) & 0xffff, (unsigned)p & 0xffff);
}

/* RFC 4861 §6.1.1 / RFC 4862 §5.4: the unspecified source is legitimate only in ICMPv6 (a
 * Router Solicitation before the client has an address). Anything else must come from the
 * session's /64 (any interface identifier: RFC 4941 temporary addresses) or its link-local
 * address fe80::peer-IID, as IPCP's address is the only IPv4 source accepted. */
static bool source_ok(const struct l2tp_session *s, const uint8_t *pkt)
{
	uint64_t hi = get_u64(pkt + 8), lo = get_u64(pkt + 16);
	if (s->pfx6 && hi == s->pfx6)
		return true;
	if (hi == 0xfe80000000000000ull && lo == s->peer_ifid && lo)
		return true;
	return !hi && !lo && pkt[6] == 58;
}

void session6_ip_in(void *ctx, const uint8_t *pkt, size_t n)
{
	struct l2tp_session *s = ctx;
	struct l2tp *l = s->t->l;
	if (!source_ok(s, pkt)) {
		l2tp_drop(l, &s->t->link, "IPv6 source outside the session's prefix (spoofed)");
		return;
	}
	/* the account's rate, counters and idle clock cover IPv6 as they cover IPv4 */
	if (s->tb_in.rate && !limits_tbf_pass(&s->tb_in, n, l->now)) {
		s->ctr.rx_rate_drops++;
		return;
	}
	s->ctr.rx_pkts++;
	s->ctr.rx_bytes += n;
	s->last_data = l->now;
	if (!l->conf.ip6_deliver)
		return;
	pkt = session_mss_clamp(s, pkt, n);
	struct l2tp_ip6_from f = {.link = s->t->link,
	                          .tid = s->t->tid,
	                          .sid = s->sid,
	                          .prefix = s->pfx6,
	                          .our_ifid = s->our_ifid,
	                          .peer_ifid = s->peer_ifid,
	                          .mtu = s->ppp ? ppp_peer_mru(s->ppp) : 0};
	l->conf.ip6_deliver(l->conf.data_ctx, &f, pkt, n);
}

int l2tp_output_ip6(struct l2tp *l, const uint8_t *pkt, size_t n, uint64_t now_ms)
{
	l->now = now_ms;
	if (n < 40)
		return -1;
	struct l2tp_session *s = pfx6_find(l, get_u64(pkt + 24));
	if (!s || s->state != S_ESTABLISHED || !s->ppp)
		return -1;
	return session_output(s, pkt, n, true, now_ms);
}

int l2tp_output_ip6_to(struct l2tp *l, const struct l2tp_link *link, uint16_t tid, uint16_t sid,
                       const uint8_t *pkt, size_t n, uint64_t now_ms)
{
	l->now = now_ms;
	struct l2tp_tunnel *t = tunnel_find(l, link, tid);
	struct l2tp_session *s = t ? session_find(t, sid) : NULL;
	if (!s || s->state != S_ESTABLISHED || !s->ppp)
		return -1;
	return ppp_output_ip6(s->ppp, pkt, n);
}
