/* RADIUS on the loop: Access-Requests for PPP logins (answered into the L2TP core by id),
 * accounting Start/Interim/Stop with a bounded retry queue, and the RFC 5176 Disconnect-Request
 * listener. The packets are auth/radius.c's; this file owns the sockets, ids and timers. */
#ifndef SRV_RADIUS_H
#define SRV_RADIUS_H
#include <stdbool.h>
#include <stdint.h>

struct srv;
struct conf;
struct l2tp_ev_auth;
struct l2tp_ev_session;
struct srv_ctl_req;

int srv_radius_init(struct srv *s, char *err, size_t errlen);
void srv_radius_reconf(struct srv *s, const struct conf *cf);
void srv_radius_free(struct srv *s);
/* true when auth_servers is set */
bool srv_radius_auth_enabled(const struct srv *s);
/* Sends an Access-Request for a PPP login; the answer reaches l2tp_auth_answer later. -1 when
 * it cannot be sent (no room for another request in flight). */
int srv_radius_auth(struct srv *s, const struct l2tp_ev_auth *q, uint64_t now);
/* Accounting: a session came up (Start), went down (Stop). */
void srv_radius_session_up(struct srv *s, const struct l2tp_ev_session *se, uint64_t now);
void srv_radius_session_down(struct srv *s, const struct l2tp_ev_session *se, uint64_t now);
/* At stop: sends what the accounting queue holds without waiting out an unanswered server's
 * pause. Returns the records still queued or unacknowledged (0: nothing to wait for). */
size_t srv_radius_stopping(struct srv *s);
/* rampartctl radius test: one PAP Access-Request; the answer ("Access-Accept from ADDR" and the
 * attributes, then +ok, or the reply's code or "no RADIUS server answered" as the error) is
 * written to ctl and srv_ctl_finish called. 0 when sent, -1 with err. */
int srv_radius_test(struct srv *s, const char *user, const char *pw, struct srv_ctl_req *ctl, char *err,
                    size_t errlen);
/* The connection went away before the answer: the request is forgotten. */
void srv_radius_test_cancel(struct srv *s, struct srv_ctl_req *ctl);
#endif
