/* server: wires the sans-IO cores to libuv. The only code that includes <uv.h>.
 *
 *   main.c      rampartd: options, config loading, privilege checks, start/stop
 *   srv.c       the loop: sockets (UDP 500/4500/1701, raw ESP), TUN, signals, reload
 *   srv_tun.c   TUN device open and address set-up
 *   srv_ctl.c   the Unix control socket and its commands
 *   srv_priv.c  the switch to [server] user without capabilities; systemd notifications
 *   srv_monitor.c, srv_monitor_doc.c, monitor/  the IP Security Monitor (HTTP(S), page, /metrics)
 *   dispatch.c  classification and counting of what arrives (shared with rampart-replay)
 *   pcapin.c    libpcap reader that strips link/IP/UDP layers (rampart-replay, tests)
 *   replay.c    rampart-replay
 *   rampartctl.c the control client
 */
#ifndef SRV_H
#define SRV_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "dispatch.h"
#include "rp_base.h"

struct srv;

/* Reads a config file and parses it; NULL with "file:line: reason" (or the I/O error) in err. */
struct conf *srv_load_conf(const char *path, char *err, size_t errlen);

/* Opens every socket and the TUN device; a clear message in err on failure. */
struct srv *srv_new(struct conf *conf, const char *conf_path, bool foreground, char *err, size_t errlen);
/* After srv_new: hands the state, key logs and control socket to [server] user and becomes it with
 * no capability and no_new_privs (only no_new_privs when user is empty). */
int srv_drop_privileges(struct srv *s, char *err, size_t errlen);
/* sd_notify(3) state ("READY=1", ...); a no-op outside systemd. */
void srv_notify(const char *state);
void srv_set_log_sink(struct srv *s, rp_log_sink sink, void *ctx);
int srv_run(struct srv *s); /* until SIGTERM/SIGINT; 0 on a clean stop */
void srv_free(struct srv *s);
struct srv *srv_new_detached(struct conf *conf, const char *conf_path, char *err, size_t errlen);

#endif
