/* The IPsec policy in rampartd (issue 13): the persistent and local stores from the account
 * store's file, reloaded when rampartctl changes them; the dynamic store from the control socket;
 * the answer for a peer (block, permit plain L2TP, negotiate with the rule's methods); the
 * clients' packets against the compiled filters, or boot mode until the policy is in force; DNS
 * names resolved with uv_getaddrinfo and re-resolved periodically; server types from the
 * configuration and the host. */
#ifndef SRV_POLICY_H
#define SRV_POLICY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "rp_base.h"

struct srv;
struct pol_set;
struct ike_conf;

int srv_policy_init(struct srv *s, char *err, size_t errlen);
void srv_policy_free(struct srv *s);
/* Server types from a (re)loaded configuration: dns/wins pushed to clients. */
void srv_policy_conf(struct srv *s);
/* Sets ike_conf's per-peer policy callback (when the IKE core has the seam). */
void srv_policy_ike_conf(struct srv *s, struct ike_conf *ic);

enum srv_pol_peer { SRV_POL_DEFAULT = 0, SRV_POL_BLOCK, SRV_POL_PERMIT, SRV_POL_NEGOTIATE };
/* The decision for an outer peer address; for BLOCK/PERMIT a one-line reason naming the rule.
 * fresh: read a changed store first (a negotiation); else the once-a-second check is enough
 * (plain L2TP's every packet). */
enum srv_pol_peer srv_policy_peer(struct srv *s, const struct rp_addr *peer, bool fresh, char *why, size_t n);

/* Counts a peer refused (BLOCK, or IKE from a PERMIT peer) or plain L2TP let in (PERMIT). */
void srv_policy_count_peer(struct srv *s, enum srv_pol_peer d);

/* A client's IPv4 packet: true = let it through. from_client: arriving over the tunnel (else
 * from the TUN towards the client). Dropped packets are counted. */
bool srv_policy_packet(struct srv *s, const uint8_t *ip, size_t n, bool from_client);
/* Sessions: the account's group for group filters, by tunnel address. */
void srv_policy_session(struct srv *s, uint32_t ip, const char *account, bool up);

/* "ipsec dynamic ..." from the control socket: 1 = not a policy command (the caller answers),
 * 0 = done, -1 = refused with err. */
int srv_policy_ctl(struct srv *s, int argc, char **argv, void (*line)(void *ctx, const char *text), void *ctx,
                   char *err, size_t errlen);
/* "ipsec model peer=..." (argv from "model"): what rampartd would do, all stores; 0 or -1 + err. */
int srv_policy_model(struct srv *s, int argc, char **argv, bool json,
                     void (*line)(void *ctx, const char *text), void *ctx, char *err, size_t errlen);
/* The merged objects of every store (NULL before the first load) and whether they are in force
 * yet (else boot mode applies): the monitor's Active Policy. Valid until the next loop turn. */
const struct pol_set *srv_policy_objects(struct srv *s, bool *in_force);
/* The store file's path and when it (or its -wal, where WAL commits land first) last changed. */
const char *srv_policy_store_file(struct srv *s, time_t *mtime);
void srv_policy_show_config(struct srv *s, void (*line)(void *ctx, const char *text), void *ctx);
void srv_policy_print_stats(struct srv *s, FILE *f);
#endif
