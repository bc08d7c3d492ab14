/* The TUN device: clients' IP packets leave and enter the host here. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h> /* before the linux/ headers: their libc-compat guards need it first */
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/ipv6.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "srv_local.h"

static int set_ifaddr(int sk, const char *name, unsigned long req, const uint8_t ip[4])
{
	struct ifreq ifr;
	struct sockaddr_in sin = {.sin_family = AF_INET};
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	memcpy(&sin.sin_addr, ip, 4);
	memcpy(&ifr.ifr_addr, &sin, sizeof sin);
	return ioctl(sk, req, &ifr);
}

/* [pool] prefix6: the TUN gets the first address of the server's /64 (number 0 of the prefix)
 * with the whole prefix's length, so the kernel routes every session's /64 to us. */
static int set_ip6(const struct conf *c, char *err, size_t errlen)
{
	int sk = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;
	struct in6_ifreq r6;
	memset(&ifr, 0, sizeof ifr);
	memset(&r6, 0, sizeof r6);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", c->tun_name);
	if (sk < 0 || ioctl(sk, SIOCGIFINDEX, &ifr) < 0)
		goto fail;
	memcpy(&r6.ifr6_addr, c->prefix6.ip, 16);
	r6.ifr6_addr.s6_addr[15] = 1;
	r6.ifr6_prefixlen = c->prefix6_len;
	r6.ifr6_ifindex = ifr.ifr_ifindex;
	if (ioctl(sk, SIOCSIFADDR, &r6) < 0)
		goto fail;
	close(sk);
	return 0;
fail:
	snprintf(err, errlen, "cannot give TUN device %s its IPv6 address (pool.prefix6): %s", c->tun_name,
	         strerror(errno));
	if (sk >= 0)
		close(sk);
	return -1;
}

#define SRV_TUN_TXQLEN 8192

int srv_tun_open(const struct conf *c, int *fdp, char *err, size_t errlen)
{
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open /dev/net/tun: %s", strerror(errno));
		return -1;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	/* [server] tun_offload: virtio-net headers in front of every packet both ways (srv_tun_gso.c) */
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (c->tun_offload ? IFF_VNET_HDR : 0);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", c->tun_name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		snprintf(err, errlen, "cannot create TUN device %s: %s", c->tun_name, strerror(errno));
		close(fd);
		return -1;
	}
	int sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	uint32_t mask = c->tun_prefix ? ~0u << (32 - c->tun_prefix) : 0;
	uint8_t m[4];
	rp_put_u32(m, mask);
	const char *step = "address";
	if (sk < 0 || set_ifaddr(sk, c->tun_name, SIOCSIFADDR, c->tun_addr.ip) < 0 ||
	    (step = "netmask", set_ifaddr(sk, c->tun_name, SIOCSIFNETMASK, m) < 0))
		goto fail;
	step = "mtu";
	ifr.ifr_mtu = (int)c->tun_mtu;
	if (ioctl(sk, SIOCSIFMTU, &ifr) < 0)
		goto fail;
	/* The kernel's answers to a burst (every client's echo on the same tick) queue here until we
	 * read them; the TUN default of 500 dropped ~1% of a 1000-echo burst in tests/load (TX
	 * dropped on the device). Best effort: a smaller queue only costs packets under bursts. */
	ifr.ifr_qlen = SRV_TUN_TXQLEN;
	(void)ioctl(sk, SIOCSIFTXQLEN, &ifr);
	step = "flags";
	if (ioctl(sk, SIOCGIFFLAGS, &ifr) < 0)
		goto fail;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(sk, SIOCSIFFLAGS, &ifr) < 0)
		goto fail;
	close(sk);
	sk = -1;
	if (c->prefix6.family == 6 && set_ip6(c, err, errlen)) {
		close(fd);
		return -1;
	}
	*fdp = fd;
	return 0;
fail:
	snprintf(err, errlen, "cannot set %s of TUN device %s: %s", step, c->tun_name, strerror(errno));
	if (sk >= 0)
		close(sk);
	close(fd);
	return -1;
}
