#ifndef SRV_JSON_H
#define SRV_JSON_H
/* JSON documents of the daemon's state (rampartctl --json, the monitor). The caller owns them. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct srv;
json_t *srv_json_sas(struct srv *s);
json_t *srv_json_stats(struct srv *s);
json_t *srv_json_config(struct srv *s);

/* The entries of the sas document, shared with the monitor's paged lists (srv_monitor_list.c). */
struct srv_child;
struct srv_sess;
struct rp_addr;
json_t *srv_json_pair(struct srv *s, const struct srv_child *ch, uint64_t now);
json_t *srv_json_sess(struct srv *s, const struct srv_sess *se);
json_t *srv_json_addr(const struct rp_addr *a);
void srv_json_transform(const struct srv_child *ch, char *buf, size_t n); /* "aes-cbc-128/hmac-sha1" */
#endif
