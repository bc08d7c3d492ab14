#ifndef SRV_MONITOR_H
#define SRV_MONITOR_H
/* The IP Security Monitor: a read-only HTTP(S) endpoint on the daemon's libuv loop.
 *
 *   srv_monitor.c      libmicrohttpd driven by the loop (no threads), routes, TLS client certificates
 *   srv_monitor_doc.c  what it serves beyond srv_json_*: /metrics (Prometheus text)
 *   srv_monitor_policy.c  the Active Policy: the configuration and the IPsec policy in force
 *   srv_monitor_list.c the paged, sorted, filtered SA pair and session lists of the page
 *   monitor/           the page (HTML/CSS/JS), embedded at build time (monitor_assets.c)
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct srv;
struct srv_monitor;

/* Opens [monitor] listen (nothing at all when it is empty) and reads the certificate, key and CA
 * files: called at start, as root, before the privilege drop. 0, or -1 with the reason in err. */
int srv_monitor_start(struct srv *s, char *err, size_t errlen);
/* After the loop has closed every handle (srv_free). */
void srv_monitor_free(struct srv *s);

/* Requests served and refused (no valid client certificate) since start. */
void srv_monitor_counts(struct srv *s, uint64_t *requests, uint64_t *refused);

/* The documents (srv_monitor_doc.c, srv_monitor_policy.c). The caller frees. */
char *srv_monitor_metrics(struct srv *s, size_t *len);
json_t *srv_monitor_policy(struct srv *s);

/* One page of a list: ?offset=N&limit=M&sort=FIELD&order=asc|desc&filter=TEXT. */
#define SRV_MON_LIMIT_DEFAULT 200
#define SRV_MON_LIMIT_MAX 1000
struct srv_mon_query {
	size_t offset, limit;
	char sort[32]; /* "" = table order (oldest first) */
	bool desc;
	char filter[128]; /* case-insensitive substring of what the page shows of an entry; "" = all */
};
/* {ipsec_sa_pairs, ppp_sessions, addresses_leased, matched, offset, limit, sas: [page]} and the same
 * with sessions: [page] (each with its transport: the pair's peer and bytes, or null for plain
 * L2TP). NULL with *err -EINVAL (sort names no field) or -ENOMEM. */
json_t *srv_monitor_sas(struct srv *s, const struct srv_mon_query *q, int *err);
json_t *srv_monitor_sessions(struct srv *s, const struct srv_mon_query *q, int *err);

/* The embedded page (monitor_assets.c, generated): NULL when path is not one of them. */
struct srv_monitor_asset {
	const char *path, *mime;
	const unsigned char *data;
	size_t len;
};
const struct srv_monitor_asset *srv_monitor_asset(const char *path);
#endif
