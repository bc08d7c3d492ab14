/* rp_addr: enough of an address type for cores that never see a sockaddr. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "rp_base.h"

int rp_addr_parse(struct rp_addr *a, const char *s)
{
	memset(a, 0, sizeof *a);
	if (inet_pton(AF_INET, s, a->ip) == 1) {
		a->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->ip) == 1) {
		a->family = 6;
		return 0;
	}
	return -1;
}

const char *rp_addr_ipstr(const struct rp_addr *a, char *out, size_t n)
{
	if (a->family == 4 && inet_ntop(AF_INET, a->ip, out, (socklen_t)n))
		return out;
	if (a->family == 6 && inet_ntop(AF_INET6, a->ip, out, (socklen_t)n))
		return out;
	snprintf(out, n, "?");
	return out;
}

const char *rp_addr_str(const struct rp_addr *a, char *out, size_t n)
{
	char ip[INET6_ADDRSTRLEN];
	rp_addr_ipstr(a, ip, sizeof ip);
	snprintf(out, n, a->family == 6 ? "[%s]:%u" : "%s:%u", ip, a->port);
	return out;
}

bool rp_addr_ipeq(const struct rp_addr *a, const struct rp_addr *b)
{
	if (a->family != b->family)
		return false;
	return memcmp(a->ip, b->ip, a->family == 4 ? 4 : 16) == 0;
}

bool rp_addr_eq(const struct rp_addr *a, const struct rp_addr *b)
{
	return rp_addr_ipeq(a, b) && a->port == b->port;
}

void rp_addr_v4(struct rp_addr *a, uint32_t ip, uint16_t port)
{
	memset(a, 0, sizeof *a);
	a->family = 4;
	rp_put_u32(a->ip, ip);
	a->port = port;
}
