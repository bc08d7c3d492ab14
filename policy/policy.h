/* rampart policy: IPsec policy the Windows Server 2003 way (issue 13), sans-IO.
 *
 *   pol_obj.c    the object model: filter lists of filters, filter actions, policies, rules, per
 *                store (persistent, local, dynamic); addresses, masks, protocols, method words
 *   pol_cmd.c    netsh's words: "static|dynamic add|set|delete|show ..." applied to a pol_set
 *   pol_show.c   show commands (text, with the store each object came from)
 *   pol_match.c  the active policy compiled: the rule for a peer, the data-path filters (flat
 *                array by specificity behind a verdict cache), boot mode and exemptions, modelling
 *   pol_store.c  persistence in the account store's SQLite file (tables pol_*)
 *
 * Security methods are kept as netsh's text ("AES256-SHA1-14", "ESP[AES256,SHA1]"); only the
 * server glue turns them into IKE values (ike_policy.h), so the IKE core stays the one authority.
 * IPv4 only: the filters describe the outer IPv4 peers and the clients' IPv4 traffic. */
#ifndef RP_POLICY_H
#define RP_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pol_store { POL_PERSISTENT = 0, POL_LOCAL, POL_DYNAMIC, POL_NSTORES };
const char *pol_store_name(enum pol_store s);

enum pol_addr_kind {
	POL_A_ANY = 0,
	POL_A_ME,  /* any of this host's addresses */
	POL_A_IP,  /* ip/mask */
	POL_A_DNS, /* a DNS name, resolved by the server (resolved[] below) */
	POL_A_SRV_DNS,
	POL_A_SRV_WINS,
	POL_A_SRV_DHCP,
	POL_A_SRV_GATEWAY,
};

#define POL_NAME 64
#define POL_TEXT 256
#define POL_MAX_RESOLVED 8

struct pol_addr {
	enum pol_addr_kind kind;
	uint32_t ip, mask;   /* host order, POL_A_IP */
	char name[POL_TEXT]; /* POL_A_DNS */
};

struct pol_filter {
	struct pol_addr src, dst;
	uint8_t proto;             /* 0 = any */
	uint16_t srcport, dstport; /* 0 = any */
	bool mirrored;
	char desc[POL_TEXT];
};

struct pol_filterlist {
	enum pol_store store;
	char name[POL_NAME], desc[POL_TEXT];
	struct pol_filter *f;
	size_t n;
};

enum pol_action { POL_PERMIT = 0, POL_BLOCK, POL_NEGOTIATE };
const char *pol_action_name(enum pol_action a);

struct pol_filteraction {
	enum pol_store store;
	char name[POL_NAME], desc[POL_TEXT];
	enum pol_action action;
	char qmsec[POL_TEXT]; /* "ESP[AES256,SHA1] ESP[3DES,SHA1]:100000k/3600s"; "" = configuration's */
	bool qmpfs, inpass, soft;
};

struct pol_policy {
	enum pol_store store;
	char name[POL_NAME], desc[POL_TEXT];
	bool assign;
	char mmsec[POL_TEXT]; /* "AES256-SHA1-14 3DES-SHA1-2"; "" = configuration's */
	uint32_t mmlifetime;  /* minutes, 0 = configuration's */
};

enum pol_conntype { POL_CONN_ALL = 0, POL_CONN_LAN, POL_CONN_DIALUP };

struct pol_rule {
	enum pol_store store;
	char name[POL_NAME], desc[POL_TEXT];
	char policy[POL_NAME], filterlist[POL_NAME], filteraction[POL_NAME];
	bool activate;
	/* lan: peers' outer traffic (who may negotiate, plain L2TP); dialup: clients' IP traffic in
	 * the tunnel; all (netsh's default): both */
	enum pol_conntype conntype;
	char group[POL_NAME]; /* dialup filters for this group's accounts only; "" = everyone */
	bool has_psk;
	char psk[POL_TEXT];    /* secret: wiped on free, masked in show */
	char rootca[POL_TEXT]; /* CA subject DN; "" = no certificate authentication */
	bool certmap;          /* certificate-to-account mapping for this rule */
};

enum pol_bootmode { POL_BOOT_STATEFUL = 0, POL_BOOT_BLOCK, POL_BOOT_PERMIT };
const char *pol_bootmode_name(enum pol_bootmode m);

#define POL_MAX_EXEMPT 32
struct pol_exempt {
	uint8_t proto; /* 0 = any */
	uint16_t srcport, dstport;
	bool inbound; /* inbound = from the client through the tunnel; outbound = towards it */
};

/* One set of objects from every store; a rampartctl edit has persistent + local, the daemon adds
 * its dynamic store. Arrays are owned here. */
struct pol_set {
	struct pol_filterlist *fl;
	size_t nfl;
	struct pol_filteraction *fa;
	size_t nfa;
	struct pol_policy *pol;
	size_t npol;
	struct pol_rule *rule;
	size_t nrule;
	enum pol_store location; /* what "static" commands edit: persistent or local (default) */
	enum pol_bootmode bootmode;
	struct pol_exempt exempt[POL_MAX_EXEMPT];
	size_t nexempt;
};

void pol_set_init(struct pol_set *s);
void pol_set_free(struct pol_set *s);
/* Drops every object of one store (the dynamic store at restart, a reload of the others). */
void pol_set_clear_store(struct pol_set *s, enum pol_store st);
/* Copies every object of store st from src into dst (dst's objects of that store first dropped). */
int pol_set_copy_store(struct pol_set *dst, const struct pol_set *src, enum pol_store st);

/* ---- words ---------------------------------------------------------------------------------- */

/* "me", "any", "198.18.63.0", "dns", "wins", "dhcp", "gateway", or a DNS name; mask applied by the
 * caller. 0 or -EINVAL. */
int pol_addr_parse(const char *s, struct pol_addr *a);
/* A prefix length "24" or a contiguous dotted mask "255.255.255.0" → prefix; -EINVAL otherwise. */
int pol_mask_parse(const char *s, int *prefix);
uint32_t pol_prefix_mask(int prefix);
const char *pol_addr_str(const struct pol_addr *a, char *buf, size_t n); /* "198.18.63.0/24" */
int pol_proto_parse(const char *s, uint8_t *proto);                      /* ANY ICMP TCP UDP RAW or 0-255 */
const char *pol_proto_str(uint8_t proto, char *buf, size_t n);
/* Syntax of netsh's method lists, checked against the words the IKE core knows. 0 or -EINVAL
 * with the offending word in why. */
int pol_mmsec_check(const char *list, char *why, size_t n);
int pol_qmsec_check(const char *list, char *why, size_t n);
/* "TCP:0:80:inbound,ICMP:0:0:outbound" → exempt[]; 0 or -EINVAL with the reason. */
int pol_exempt_parse(const char *s, struct pol_exempt *e, size_t max, size_t *n, char *why, size_t wn);
const char *pol_exempt_str(const struct pol_exempt *e, size_t n, char *buf, size_t len);

/* ---- netsh commands -------------------------------------------------------------------------- */

typedef void (*pol_out_fn)(void *ctx, const char *line); /* one line, no newline */

enum pol_cmd_flags {
	POL_CMD_DYNAMIC = 1u << 0, /* "ipsec dynamic ...": objects go to the dynamic store */
};

/* argv after "ipsec": "static add filter filterlist=lab srcaddr=..." etc. Applies the command to
 * set, printing show output to out. Returns 0, or negative errno with a one-line reason in err
 * (-EINVAL malformed, -ENOENT not found, -EEXIST exists). *changed tells the caller to persist. */
int pol_cmd_run(struct pol_set *set, int argc, char **argv, unsigned flags, pol_out_fn out, void *ctx,
                bool *changed, char *err, size_t errlen);
/* Splits a request line into words in place: spaces separate, double quotes group ("a b" stays one
 * word, the quotes go). Returns the count, -E2BIG beyond max, -EINVAL on an open quote. */
int pol_split(char *line, char **argv, int max);
/* show: every object (of stores whose bit is in mask), each with its store */
void pol_show_all(const struct pol_set *s, unsigned store_mask, pol_out_fn out, void *ctx);
void pol_show_config(const struct pol_set *s, pol_out_fn out, void *ctx);

/* ---- the active policy ------------------------------------------------------------------------ */

/* Server addresses for "me" and the server types; set by the server (resolvers, routes). */
struct pol_env {
	uint32_t me[8];
	size_t nme; /* 0: "me" matches any destination (the server sees only its own traffic) */
	uint32_t dns[4], wins[4], dhcp[2], gateway[2];
	size_t ndns, nwins, ndhcp, ngateway;
	/* DNS names: the server's resolver results, looked up by name */
	int (*resolve)(void *ctx, const char *name, uint32_t *ips, size_t max);
	void *resolve_ctx;
};

/* What one filter of one rule says, for a peer's negotiation or a client's packet. */
struct pol_match {
	const struct pol_rule *rule; /* NULL: no rule matched (default response) */
	const struct pol_filteraction *fa;
	const struct pol_policy *pol;
	const struct pol_filterlist *fl;
	size_t filter; /* index in fl */
	enum pol_action action;
};

/* Rule i of s is in force: its store's assigned policy holds it, it is active, and its filter
 * list and filter action exist; m gets rule, pol, fl, fa and action. Rules are weighed store by
 * store (persistent, local, dynamic), then in the order they were added. */
bool pol_rule_active(const struct pol_set *s, size_t i, struct pol_match *m);

/* The rule that decides for traffic from peer (outer, host order) to this server: the L2TP
 * tuple UDP peer:1701 -> me:1701 against the assigned policies' lan/all rules, most specific
 * filter first, ties by store (persistent, local, dynamic) then rule order. */
int pol_match_peer(const struct pol_set *s, const struct pol_env *env, uint32_t peer, struct pol_match *m);

/* Compiled data-path filters (dialup/all rules with permit or block). */
struct pol_dp;
struct pol_dp_pkt {
	uint32_t src, dst; /* host order */
	uint8_t proto;
	uint16_t sport, dport;
};
struct pol_dp *pol_dp_compile(const struct pol_set *s, const struct pol_env *env);
void pol_dp_free(struct pol_dp *dp);
size_t pol_dp_count(const struct pol_dp *dp);
/* Some filter is for a group's accounts only: the caller needs the client's group. */
bool pol_dp_has_groups(const struct pol_dp *dp);
/* Verdict for a client's packet; group = the account's group ("" none). true = permit. The
 * matching rule's name is written to rule (may be NULL) when a filter matched. */
bool pol_dp_permit(struct pol_dp *dp, const struct pol_dp_pkt *p, const char *group, const char **rule);

/* An IPv4 packet's 5-tuple (ports of TCP/UDP first fragments); -EINVAL when not IPv4. */
int pol_pkt_parse(const uint8_t *ip, size_t n, struct pol_dp_pkt *p);

/* Boot mode for a client's packet before the policy is in force: from_client says the
 * direction. Stateful answers need the caller's flow memory: started = the client started this
 * flow (its reverse was seen leaving the client). */
bool pol_boot_permit(const struct pol_set *s, const struct pol_dp_pkt *p, bool from_client, bool started);

#endif
