/* Test-only UDP front end for the IKE core: plain sockets on ADDR:500 and ADDR:4500 (non-ESP
 * marker per RFC 3948), a poll loop with the core's deadline, and one line per event on stdout.
 * The daemon wiring is server/'s job; this exists so charon and ike-scan can talk to the core.
 *
 *   ike_udp_peer ADDR PSK [SECONDS] [KEYLOG]   exits after SECONDS (default 30)
 *
 * With IKE_PEER_PKI=DIR (tests/data/ike-pki layout) RSA signatures are accepted too: our chain
 * DIR/server.der, key DIR/server.key.der, CR naming DIR/ca.der; peers are validated with GnuTLS
 * against DIR/ca.der and DIR/ca.crl.der and mapped to their certificate's CN (test validator;
 * auth/ provides the real one).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/x509.h>

#include "ike.h"
#include "isakmp.h"
#include "natt.h"

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int bind_udp(const struct rp_addr *a, uint16_t port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	memcpy(&sin.sin_addr, a->ip, 4);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin)) {
		perror("bind");
		exit(2);
	}
	return fd;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = 0;
}

static int load(const char *dir, const char *name, gnutls_datum_t *d)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (gnutls_load_file(path, d) < 0) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(2);
	}
	return 0;
}

static int validate(void *ctx, const uint8_t *const *chain, const size_t *lens, size_t n,
                    const struct ike_peer_id *id, const struct ike_peer_policy *pol, uint64_t now, struct ike_cert_verdict *out)
{
	(void)pol;
	gnutls_x509_trust_list_t tl = ctx;
	gnutls_x509_crt_t crts[8];
	size_t nc = 0;
	unsigned status = 0;
	(void)id;
	(void)now;
	for (; nc < n && nc < 8; nc++) {
		gnutls_datum_t d = {(unsigned char *)chain[nc], (unsigned)lens[nc]};
		gnutls_x509_crt_init(&crts[nc]);
		if (gnutls_x509_crt_import(crts[nc], &d, GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(crts[nc]);
			break;
		}
	}
	if (!nc || gnutls_x509_trust_list_verify_crt(tl, crts, (unsigned)nc, 0, &status, NULL) < 0)
		status = GNUTLS_CERT_INVALID;
	out->accept = status == 0;
	if (status & GNUTLS_CERT_REVOKED) {
		snprintf(out->reason, sizeof out->reason, "revoked");
		out->notify = ISAKMP_N_INVALID_CERTIFICATE;
	} else if (status & GNUTLS_CERT_EXPIRED) {
		snprintf(out->reason, sizeof out->reason, "expired");
		out->notify = ISAKMP_N_INVALID_CERTIFICATE;
	} else if (status & GNUTLS_CERT_SIGNER_NOT_FOUND) {
		snprintf(out->reason, sizeof out->reason, "unknown CA");
		out->notify = ISAKMP_N_INVALID_CERT_AUTHORITY;
	} else if (status) {
		snprintf(out->reason, sizeof out->reason, "invalid (status 0x%x)", status);
	} else {
		size_t l = sizeof out->account;
		gnutls_x509_crt_get_dn_by_oid(crts[0], GNUTLS_OID_X520_COMMON_NAME, 0, 0, out->account, &l);
	}
	for (size_t i = 0; i < nc; i++)
		gnutls_x509_crt_deinit(crts[i]);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s ADDR PSK [SECONDS] [KEYLOG]\n", argv[0]);
		return 2;
	}
	struct rp_addr me;
	if (rp_addr_parse(&me, argv[1]) || me.family != 4)
		return 2;
	int secs = argc > 3 ? atoi(argv[3]) : 30;
	FILE *kl = argc > 4 ? fopen(argv[4], "w") : NULL;
	struct ike_conf conf;
	ike_conf_defaults(&conf);
	struct ike_psk psk = {
	    .kind = IKE_PSK_ANY, .key = (const uint8_t *)argv[2], .keylen = strlen(argv[2])};
	conf.psks = &psk;
	conf.npsk = 1;
	conf.keylog = kl != NULL;
	const char *pki = getenv("IKE_PEER_PKI");
	gnutls_datum_t crt = {0}, key = {0}, ca = {0}, crl = {0};
	gnutls_x509_trust_list_t tl = NULL;
	const uint8_t *chain[1], *cas[1];
	size_t chain_len[1], ca_len[1];
	if (pki && *pki) {
		load(pki, "server.der", &crt);
		load(pki, "server.key.der", &key);
		load(pki, "ca.der", &ca);
		load(pki, "ca.crl.der", &crl);
		gnutls_x509_crt_t cac;
		gnutls_x509_crl_t crlc;
		gnutls_x509_crt_init(&cac);
		gnutls_x509_crl_init(&crlc);
		gnutls_x509_trust_list_init(&tl, 0);
		if (gnutls_x509_crt_import(cac, &ca, GNUTLS_X509_FMT_DER) < 0 ||
		    gnutls_x509_crl_import(crlc, &crl, GNUTLS_X509_FMT_DER) < 0 ||
		    gnutls_x509_trust_list_add_cas(tl, &cac, 1, 0) != 1 ||
		    gnutls_x509_trust_list_add_crls(tl, &crlc, 1, GNUTLS_TL_VERIFY_CRL, 0) != 1)
			return 2;
		chain[0] = crt.data;
		chain_len[0] = crt.size;
		cas[0] = ca.data;
		ca_len[0] = ca.size;
		conf.cert_chain = chain;
		conf.cert_chain_lens = chain_len;
		conf.ncert_chain = 1;
		conf.key_der = key.data;
		conf.key_der_len = key.size;
		conf.cr_cas = cas;
		conf.cr_ca_lens = ca_len;
		conf.ncr_ca = 1;
		conf.cert_verify = validate;
		conf.cert_ctx = tl;
	}
	struct rp_rng rng;
	rp_rng_gnutls(&rng, 2);
	struct rp_log lg;
	rp_log_init(&lg, RP_LOG_DETAIL, NULL, NULL);
	lg.burst = 100;
	struct ike *ike = ike_new(&conf, &rng, &lg);
	if (!ike)
		return 2;
	int fds[2] = {bind_udp(&me, 500), bind_udp(&me, 4500)};
	uint64_t end = now_ms() + (uint64_t)secs * 1000;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("READY %s\n", argv[1]);

	while (now_ms() < end) {
		uint64_t now = now_ms(), dl = ike_next_deadline(ike);
		int to = (int)((dl < end ? dl : end) > now ? ((dl < end ? dl : end) - now) : 0);
		struct pollfd pf[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
		if (poll(pf, 2, to > 1000 ? 1000 : to) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			if (!(pf[i].revents & POLLIN))
				continue;
			uint8_t buf[65536];
			struct sockaddr_in from;
			socklen_t fl = sizeof from;
			ssize_t n = recvfrom(fds[i], buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
			if (n <= 0)
				continue;
			struct rp_pkt p = {.data = buf, .len = (size_t)n, .rx_ms = now_ms()};
			rp_addr_v4(&p.src, ntohl(from.sin_addr.s_addr), ntohs(from.sin_port));
			p.dst = me;
			p.dst.port = i ? 4500 : 500;
			if (i) {
				size_t skip;
				enum natt_kind k = natt_classify(buf, (size_t)n, &skip);
				if (k != NATT_IKE) {
					printf("UDP4500 %s %zd bytes\n", natt_kind_name(k), n);
					continue;
				}
				p.data += skip;
				p.len -= skip;
			}
			ike_input(ike, &p, p.rx_ms);
		}
		ike_tick(ike, now_ms());
		struct rp_ev *ev;
		while ((ev = ike_next_event(ike))) {
			char a[RP_ADDR_STRLEN], b[RP_ADDR_STRLEN], c[RP_ADDR_STRLEN];
			if (ev->type == IKE_EV_SEND) {
				struct sockaddr_in dst = {.sin_family = AF_INET,
				                          .sin_port = htons(ev->dst.port)};
				memcpy(&dst.sin_addr, ev->dst.ip, 4);
				sendto(fds[ev->src.port == 4500], ev->data, ev->len, 0,
				       (struct sockaddr *)&dst, sizeof dst);
			} else if (ev->type == IKE_EV_SA_INSTALL || ev->type == IKE_EV_SA_DELETE) {
				const struct ike_ev_sa *s = (const void *)ev->data;
				char ein[80], aout[140];
				hex(s->in.enc, s->in.enc_len, ein);
				hex(s->in.auth, s->in.auth_len, aout);
				printf("%s spi_in=%08x spi_out=%08x esp=%u auth=%u bits=%u encap=%u udp=%d "
				       "local=%s peer=%s "
				       "inner=%s id=%s life=%u",
				       ev->type == IKE_EV_SA_INSTALL ? "SA_INSTALL" : "SA_DELETE", s->spi_in,
				       s->spi_out, s->esp_transform, s->auth_alg, s->enc_key_bits, s->encap,
				       s->udp_encap, rp_addr_str(&s->local, a, sizeof a),
				       rp_addr_str(&s->peer, b, sizeof b),
				       rp_addr_str(&s->peer_inner, c, sizeof c), s->peer_id, s->life_s);
				if (ev->type == IKE_EV_SA_INSTALL)
					printf(" in_enc=%s in_auth=%s", ein, aout);
				printf("\n");
			} else if (ev->type == IKE_EV_IKE_UP || ev->type == IKE_EV_IKE_DOWN) {
				const struct ike_ev_ike *e = (const void *)ev->data;
				printf("%s peer=%s id=%s account=%s natt=%d %s\n",
				       ev->type == IKE_EV_IKE_UP ? "IKE_UP" : "IKE_DOWN",
				       rp_addr_str(&e->peer, a, sizeof a), e->peer_id, e->account, e->natt,
				       e->reason);
			} else if (ev->type == IKE_EV_KEYLOG && kl) {
				fprintf(kl, "%.*s\n", (int)ev->len, (const char *)ev->data);
				fflush(kl);
			}
			rp_ev_free(ev);
		}
	}
	ike_free(ike);
	if (tl)
		gnutls_x509_trust_list_deinit(tl, 1);
	gnutls_free(crt.data);
	gnutls_free(key.data);
	gnutls_free(ca.data);
	gnutls_free(crl.data);
	if (kl)
		fclose(kl);
	return 0;
}
