#ifndef SRV_JSON_H
#define SRV_JSON_H
/* JSON documents of the daemon's state (rampartctl --json, the monitor). The caller owns them. */
#include <jansson.h>

struct srv;
json_t *srv_json_sas(struct srv *s);
json_t *srv_json_stats(struct srv *s);
json_t *srv_json_config(struct srv *s);
#endif
