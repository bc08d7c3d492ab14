/* Configuration parser: INI sections, "key = value", '#' or ';' comment lines. Fed one line at a
 * time so it never does I/O; errors read "name:line: reason" and stop the parse. */
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_local.h"

#define MAX_LINE 1024

struct conf_parser {
	char name[128];
	unsigned lineno;
	char section[32];
	bool failed;
	char err[400];
	unsigned char
	    *seen; /* per key (conf_nkeys): set once, so a repeated key is an error, not a silent override */
	struct conf *c;
};

static const unsigned impl_groups[] = {2, 5, 14, 15, 16, 19, 20, 21};

struct conf *conf_defaults(void)
{
	struct conf *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->refs = 1;
	rp_addr_parse(&c->listen[0], "0.0.0.0");
	c->n_listen = 1;
	c->ike_port = 500;
	c->natt_port = 4500;
	c->l2tp_port = 1701;
	c->raw_esp = true;
	c->udp_gso = true;
	c->udp_gro = true;
	c->tun_offload = true;
	c->tun_coalesce = true;
	snprintf(c->tun_name, sizeof c->tun_name, "rampart0");
	rp_addr_parse(&c->tun_addr, "100.115.92.1");
	c->tun_prefix = 24;
	c->tun_mtu = 1400;
	snprintf(c->control_socket, sizeof c->control_socket, "/run/rampart/rampartd.sock");
	snprintf(c->state_dir, sizeof c->state_dir, "/var/lib/rampart");
	c->ipsecdiagnostics = 3;
	c->ipsecloginterval = 3600;
	/* Windows' own lifetimes (docs/clients.md), so nothing expires under a client at the hour. */
	c->phase1_lifetime = 28800;
	c->phase2_lifetime = 3600;
	c->dpd_delay = 30;
	c->dpd_timeout = 150;
	/* strongest first; 2 and 5 stay for the legacy clients docs/clients.md lists */
	const unsigned groups[] = {21, 20, 19, 16, 15, 14, 5, 2};
	memcpy(c->dh_groups, groups, sizeof groups);
	c->n_dh_groups = RP_ARRAY_LEN(groups);
	c->replay_window = 1024;
	/* limits sized for 250,000 clients (issue 17); each is settable and applies on reload */
	c->ike_max_sa = 262144;
	c->ike_max_halfopen = 16384;
	c->ike_max_halfopen_ip = 1024;
	c->ike_max_sa_payload = 2048;
	c->ike_dh_per_s = 400;
	c->ike_max_child = 16;
	c->ike_frag_per_ip = 262144;
	c->esp_max_sa = 786432;
	c->max_tunnels = 262144;
	c->max_sessions = 262144;
	/* issue 12: what one SA, one account and one guesser may take */
	c->max_tunnels_per_sa = 16;
	c->max_sessions_per_sa = 64;
	c->max_sessions_per_account = 1024;
	c->login_fail_max = 5;
	c->login_peer_fail_max = 10;
	c->login_account_fail_max = 20;
	c->login_fail_window = 300;
	c->login_lockout = 300;
	c->login_account_lockout = 60;
	c->log_line_budget = 500;
	c->natt_keepalive = 20;
	c->hello_interval = 60;
	c->receive_window = 8;
	c->mru = 1400;
	c->mss_clamp = CONF_MSS_AUTO;
	c->auth = CONF_AUTH_MSCHAPV2;
	c->lcp_echo_interval = 30;
	c->lcp_echo_failure = 4;
	c->login_must_match_certificate = true;
	rp_addr_parse(&c->pool[0].first, "100.115.92.10");
	rp_addr_parse(&c->pool[0].last, "100.115.92.250");
	c->n_pool = 1;
	snprintf(c->radius_nas_identifier, sizeof c->radius_nas_identifier, "rampart");
	c->radius_timeout = 3;
	c->radius_retries = 3;
	c->radius_interim = 600;
	c->radius_local_store = CONF_LOCAL_FIRST;
	c->radius_acct_queue = 1024;
	c->policy_resolve_interval = 300;
	return c;
}

struct conf *conf_ref(struct conf *c)
{
	if (c)
		c->refs++;
	return c;
}

void conf_unref(struct conf *c)
{
	if (c && --c->refs == 0) {
		rp_wipe(c, sizeof *c); /* PSK and tunnel secret */
		free(c);
	}
}

struct conf_parser *conf_parser_new(const char *name)
{
	struct conf_parser *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	snprintf(p->name, sizeof p->name, "%s", name);
	p->c = conf_defaults();
	p->seen = calloc(conf_nkeys, 1);
	if (!p->c || !p->seen) {
		conf_unref(p->c);
		free(p->seen);
		free(p);
		return NULL;
	}
	return p;
}

void conf_parser_free(struct conf_parser *p)
{
	if (!p)
		return;
	conf_unref(p->c);
	free(p->seen);
	free(p);
}

const char *conf_parser_error(const struct conf_parser *p)
{
	return p->err;
}

static int fail(struct conf_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct conf_parser *p, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(p->err, sizeof p->err, "%s:%u: %s", p->name, p->lineno, msg);
	p->failed = true;
	return -1;
}

static int parse_uint(const char *s, unsigned long *v)
{
	if (!isdigit((unsigned char)*s))
		return -1;
	char *end;
	errno = 0;
	*v = strtoul(s, &end, 10);
	if (errno || *end)
		return -1;
	return 0;
}

static int parse_bool(const char *s, bool *v)
{
	static const char *const yes[] = {"yes", "true", "on", "1"}, *const no[] = {"no", "false", "off",
	                                                                            "0"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *v = true, 0;
		if (strcasecmp(s, no[i]) == 0)
			return *v = false, 0;
	}
	return -1;
}

/* Next word of a list separated by spaces or commas; NULL at the end. */
static char *next_word(char **cur)
{
	char *s = *cur;
	while (*s == ' ' || *s == ',' || *s == '\t')
		s++;
	if (!*s)
		return NULL;
	char *w = s;
	int depth = 0; /* a comma inside brackets belongs to the word: ESP[AES256,SHA1] */
	while (*s && *s != ' ' && (*s != ',' || depth > 0) && *s != '\t') {
		depth += *s == '[' ? 1 : *s == ']' && depth > 0 ? -1 : 0;
		s++;
	}
	if (*s)
		*s++ = 0;
	*cur = s;
	return w;
}

static uint32_t v4(const struct rp_addr *a)
{
	return rp_get_u32(a->ip);
}

/* "198.18.0.1:8443", "[::1]:8443"; an empty value leaves the endpoint unset (off). */
static int parse_endpoint(struct conf_parser *p, const struct conf_key *k, char *val, struct rp_addr *a)
{
	unsigned long u;
	memset(a, 0, sizeof *a);
	if (!*val)
		return 0;
	char *colon = strrchr(val, ':'), *host = val;
	if (!colon || parse_uint(colon + 1, &u) || u < 1 || u > 65535)
		return fail(p, "%s.%s: \"%s\" is not ADDRESS:PORT", k->section, k->key, val);
	*colon = 0;
	if (*host == '[') {
		size_t n = strlen(host);
		if (n < 2 || host[n - 1] != ']')
			return fail(p, "%s.%s: \"%s\" is not [IPv6]:PORT", k->section, k->key, val);
		host[n - 1] = 0;
		host++;
	}
	if (rp_addr_parse(a, host) || (a->family == 6 && host == val))
		return fail(p, "%s.%s: \"%s\" is not an IP address (IPv6 goes in brackets)", k->section,
		            k->key, host);
	a->port = (uint16_t)u;
	return 0;
}

static int set_value(struct conf_parser *p, const struct conf_key *k, char *val)
{
	uint8_t *field = (uint8_t *)p->c + k->off;
	unsigned *count = k->count_off ? (unsigned *)((uint8_t *)p->c + k->count_off) : NULL;
	unsigned long u;
	char *w, *cur = val;

	switch (k->type) {
	case CT_UINT:
		if (parse_uint(val, &u))
			return fail(p, "%s.%s: \"%s\" is not a number", k->section, k->key, val);
		if (u < k->min || u > k->max)
			return fail(p, "%s.%s: %lu is out of range %u-%u", k->section, k->key, u, k->min,
			            k->max);
		*(unsigned *)field = (unsigned)u;
		return 0;
	case CT_BOOL:
		if (parse_bool(val, (bool *)field))
			return fail(p, "%s.%s: \"%s\" is not yes or no", k->section, k->key, val);
		return 0;
	case CT_STR:
		if (strlen(val) >= k->max)
			return fail(p, "%s.%s: value longer than %u bytes", k->section, k->key, k->max - 1);
		memcpy(field, val, strlen(val) + 1);
		return 0;
	case CT_CIDR: {
		char *slash = strchr(val, '/');
		struct rp_addr *a = (struct rp_addr *)field;
		if (!slash || parse_uint(slash + 1, &u))
			return fail(p, "%s.%s: \"%s\" is not address/prefix", k->section, k->key, val);
		*slash = 0;
		if (rp_addr_parse(a, val) || a->family != 4)
			return fail(p, "%s.%s: \"%s\" is not an IPv4 address", k->section, k->key, val);
		if (u < k->min || u > k->max)
			return fail(p, "%s.%s: prefix /%lu is out of range %u-%u", k->section, k->key, u,
			            k->min, k->max);
		*count = (unsigned)u;
		return 0;
	}
	case CT_AUTH: {
		unsigned bits = 0;
		while ((w = next_word(&cur))) {
			if (strcasecmp(w, "pap") == 0)
				bits |= CONF_AUTH_PAP;
			else if (strcasecmp(w, "chap") == 0)
				bits |= CONF_AUTH_CHAP;
			else if (strcasecmp(w, "mschapv2") == 0)
				bits |= CONF_AUTH_MSCHAPV2;
			else
				return fail(p, "%s.%s: unknown method \"%s\" (pap, chap, mschapv2)",
				            k->section, k->key, w);
		}
		if (!bits)
			return fail(p, "%s.%s: at least one method is needed", k->section, k->key);
		*(unsigned *)field = bits;
		return 0;
	}
	case CT_PREFIX6: {
		/* a /64 per session: the prefix must leave room for more than one */
		char *slash = strchr(val, '/');
		struct rp_addr *a = (struct rp_addr *)field;
		if (!slash || parse_uint(slash + 1, &u))
			return fail(p, "%s.%s: \"%s\" is not prefix/length", k->section, k->key, val);
		*slash = 0;
		if (rp_addr_parse(a, val) || a->family != 6)
			return fail(p, "%s.%s: \"%s\" is not an IPv6 address", k->section, k->key, val);
		if (u < k->min || u > k->max)
			return fail(p, "%s.%s: /%lu is out of range %u-%u (each session gets a /64 of it)",
			            k->section, k->key, u, k->min, k->max);
		for (unsigned b = (unsigned)u; b < 128; b++) /* host bits cleared */
			a->ip[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
		*count = (unsigned)u;
		return 0;
	}
	case CT_ENDPOINT:
		return parse_endpoint(p, k, val, (struct rp_addr *)field);
	case CT_LSTORE:
		if (strcasecmp(val, "first") == 0)
			*(unsigned *)field = CONF_LOCAL_FIRST;
		else if (strcasecmp(val, "second") == 0)
			*(unsigned *)field = CONF_LOCAL_SECOND;
		else if (strcasecmp(val, "never") == 0)
			*(unsigned *)field = CONF_LOCAL_NEVER;
		else
			return fail(p, "%s.%s: \"%s\" is not first, second or never", k->section, k->key,
			            val);
		return 0;
	case CT_MSS:
		if (strcasecmp(val, "auto") == 0)
			*(unsigned *)field = CONF_MSS_AUTO;
		else if (strcasecmp(val, "off") == 0 || strcasecmp(val, "no") == 0)
			*(unsigned *)field = CONF_MSS_OFF;
		else if (parse_uint(val, &u) || u < k->min || u > k->max)
			return fail(p, "%s.%s: \"%s\" is not auto, off or a number %u-%u", k->section, k->key,
			            val, k->min, k->max);
		else
			*(unsigned *)field = (unsigned)u;
		return 0;
	case CT_ADDRS:
	case CT_ADDRS6:
	case CT_RANGES:
	case CT_GROUPS:
	case CT_PREFIXES:
	case CT_HOSTPORTS:
	case CT_MM_METHODS:
	case CT_QM_METHODS:
		break;
	}

	/* lists */
	unsigned n = 0;
	while ((w = next_word(&cur))) {
		if (n == k->max)
			return fail(p, "%s.%s: more than %u entries", k->section, k->key, k->max);
		if (k->type == CT_ADDRS) {
			if (rp_addr_parse((struct rp_addr *)field + n, w))
				return fail(p, "%s.%s: \"%s\" is not an IP address", k->section, k->key, w);
		} else if (k->type == CT_ADDRS6) {
			struct rp_addr *a = (struct rp_addr *)field + n;
			if (rp_addr_parse(a, w) || a->family != 6)
				return fail(p, "%s.%s: \"%s\" is not an IPv6 address", k->section, k->key, w);
		} else if (k->type == CT_PREFIXES) {
			struct conf_prefix *pf = (struct conf_prefix *)field + n;
			struct rp_addr a;
			char *slash = strchr(w, '/');
			if (!slash || parse_uint(slash + 1, &u) || u > 32)
				return fail(p, "%s.%s: \"%s\" is not address/prefix (0-32)", k->section,
				            k->key, w);
			*slash = 0;
			if (rp_addr_parse(&a, w) || a.family != 4)
				return fail(p, "%s.%s: \"%s\" is not an IPv4 address", k->section, k->key, w);
			pf->len = (unsigned)u;
			pf->net = v4(&a) & (u ? ~0u << (32 - u) : 0);
		} else if (k->type == CT_HOSTPORTS) {
			/* a.b.c.d, a.b.c.d:port, [v6] or [v6]:port */
			struct rp_addr *a = (struct rp_addr *)field + n;
			char *host = w, *port = NULL;
			if (*w == '[') {
				char *e = strchr(w, ']');
				if (!e || (e[1] && e[1] != ':'))
					return fail(p, "%s.%s: \"%s\" is not [address]:port", k->section,
					            k->key, w);
				*e = 0;
				host = w + 1;
				port = e[1] ? e + 2 : NULL;
			} else if ((port = strchr(w, ':')) != NULL) {
				*port++ = 0;
			}
			if (rp_addr_parse(a, host))
				return fail(p, "%s.%s: \"%s\" is not an IP address", k->section, k->key,
				            host);
			if (port && (parse_uint(port, &u) || u < 1 || u > 65535))
				return fail(p, "%s.%s: \"%s\" is not a port", k->section, k->key, port);
			a->port = port ? (uint16_t)u : 0;
		} else if (k->type == CT_GROUPS) {
			bool ok = parse_uint(w, &u) == 0;
			for (size_t i = 0; ok && i < RP_ARRAY_LEN(impl_groups); i++)
				if (impl_groups[i] == u)
					goto group_ok;
			return fail(p, "%s.%s: DH group \"%s\" is not one of 2 5 14 15 16 19 20 21",
			            k->section, k->key, w);
		group_ok:
			((unsigned *)field)[n] = (unsigned)u;
		} else if (k->type == CT_MM_METHODS) {
			struct ike_mm_method *m = (struct ike_mm_method *)field + n;
			if (ike_mm_method_parse(w, m))
				return fail(p,
				            "%s.%s: \"%s\" is not a Main Mode method such as AES256-SHA1-14 "
				            "(AES256|AES192|AES128|3DES - SHA512|SHA384|SHA256|SHA1|MD5 - DH group)",
				            k->section, k->key, w);
			if (!ike_mm_method_implemented(m))
				return fail(p, "%s.%s: \"%s\": rampart does not implement single DES or MODP-768",
				            k->section, k->key, w);
		} else if (k->type == CT_QM_METHODS) {
			struct ike_qm_method *m = (struct ike_qm_method *)field + n;
			if (ike_qm_method_parse(w, m))
				return fail(p,
				            "%s.%s: \"%s\" is not a Quick Mode method such as ESP[AES256,SHA1] "
				            "(ESP[AES256|AES192|AES128|3DES,SHA512|SHA384|SHA256|SHA1|MD5] or "
				            "ESP[AESGCM256|AESGCM192|AESGCM128])",
				            k->section, k->key, w);
			if (!ike_qm_method_implemented(m))
				return fail(p, "%s.%s: \"%s\": rampart does not implement single DES", k->section,
				            k->key, w);
		} else {
			struct conf_range *r = (struct conf_range *)field + n;
			char *dash = strchr(w, '-');
			if (!dash)
				return fail(p, "%s.%s: \"%s\" is not first-last", k->section, k->key, w);
			*dash = 0;
			if (rp_addr_parse(&r->first, w) || rp_addr_parse(&r->last, dash + 1) ||
			    r->first.family != 4 || r->last.family != 4)
				return fail(p, "%s.%s: \"%s-%s\" is not an IPv4 range", k->section, k->key, w,
				            dash + 1);
			if (v4(&r->first) > v4(&r->last))
				return fail(p, "%s.%s: range %s-%s ends before it starts", k->section, k->key,
				            w, dash + 1);
		}
		n++;
	}
	if (n == 0)
		return fail(p, "%s.%s: empty list", k->section, k->key);
	*count = n;
	return 0;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = 0;
	return s;
}

int conf_parser_line(struct conf_parser *p, const char *line, size_t len)
{
	char buf[MAX_LINE + 1];
	if (p->failed)
		return -1;
	p->lineno++;
	if (len > MAX_LINE)
		return fail(p, "line longer than %d bytes", MAX_LINE);
	if (memchr(line, 0, len))
		return fail(p, "NUL byte in line");
	memcpy(buf, line, len);
	buf[len] = 0;
	char *s = trim(buf);
	if (!*s || *s == '#' || *s == ';')
		return 0;
	if (*s == '[') {
		char *end = strchr(s, ']');
		if (!end || end[1])
			return fail(p, "malformed section header");
		*end = 0;
		const char *name = trim(s + 1);
		for (size_t i = 0; i < conf_nkeys; i++)
			if (strcmp(conf_keys[i].section, name) == 0) {
				snprintf(p->section, sizeof p->section, "%s", name);
				return 0;
			}
		return fail(p, "unknown section [%.40s]", name);
	}
	char *eq = strchr(s, '=');
	if (!eq)
		return fail(p, "expected key = value");
	*eq = 0;
	char *key = trim(s), *val = trim(eq + 1);
	if (!p->section[0])
		return fail(p, "key \"%.40s\" outside a section", key);
	size_t vlen = strlen(val);
	if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"') {
		val[vlen - 1] = 0;
		val++;
	}
	for (size_t i = 0; i < conf_nkeys; i++) {
		const struct conf_key *k = &conf_keys[i];
		if (strcmp(k->section, p->section) || strcmp(k->key, key))
			continue;
		if (p->seen[i])
			return fail(p, "%s.%s is set twice", k->section, k->key);
		p->seen[i] = 1;
		int rc = set_value(p, k, val);
		rp_wipe(buf, sizeof buf); /* the line may have held a secret */
		return rc;
	}
	return fail(p, "unknown key \"%.40s\" in [%s]", key, p->section);
}

static bool in_range(const struct conf_range *r, uint32_t a)
{
	return a >= v4(&r->first) && a <= v4(&r->last);
}

static bool is_loopback(const struct rp_addr *a)
{
	static const uint8_t v6[16] = {[15] = 1};
	return a->family == 4 ? a->ip[0] == 127 : memcmp(a->ip, v6, 16) == 0;
}

struct conf *conf_parser_finish(struct conf_parser *p)
{
	if (p->failed)
		return NULL;
	struct conf *c = p->c;
	uint32_t tun = v4(&c->tun_addr);
	uint32_t mask = c->tun_prefix ? ~0u << (32 - c->tun_prefix) : 0;
	for (unsigned i = 0; i < c->n_pool; i++) {
		if (in_range(&c->pool[i], tun))
			return fail(p, "pool.range: contains the server's tun_address"), NULL;
		/* A pool outside the TUN subnet would need routes rampart does not add. */
		if ((v4(&c->pool[i].first) & mask) != (tun & mask) ||
		    (v4(&c->pool[i].last) & mask) != (tun & mask))
			return fail(p, "pool.range: %u is outside the tun_address subnet /%u", i + 1,
			            c->tun_prefix),
			       NULL;
		for (unsigned j = 0; j < i; j++)
			if (in_range(&c->pool[j], v4(&c->pool[i].first)) ||
			    in_range(&c->pool[i], v4(&c->pool[j].first)))
				return fail(p, "pool.range: ranges %u and %u overlap", j + 1, i + 1), NULL;
	}
	if (!!c->certificate[0] != !!c->private_key[0] || !!c->certificate[0] != !!c->ca[0])
		return fail(p, "ike.certificate, ike.private_key and ike.ca go together"), NULL;
	/* dh_groups filters the configured Main Mode methods (ike.h): a list it empties would refuse
	 * every client */
	bool some = c->n_mm_methods == 0;
	for (unsigned i = 0; i < c->n_mm_methods && !some; i++)
		for (unsigned j = 0; j < c->n_dh_groups; j++)
			some |= c->mm_methods[i].group == c->dh_groups[j];
	if (!some)
		return fail(p, "ike.main_mode_methods: no method has a group of ike.dh_groups"), NULL;
	if (c->dpd_delay && c->dpd_timeout && c->dpd_timeout < c->dpd_delay)
		return fail(p, "ike.dpd_timeout is shorter than ike.dpd_delay"), NULL;
	/* IPCP (RFC 1877) carries IPv4 servers only; IPv6 ones go in ppp.dns6 */
	for (unsigned i = 0; i < c->n_dns; i++)
		if (c->dns[i].family != 4)
			return fail(p,
			            "ppp.dns: IPCP offers IPv4 servers only (IPv6 ones belong in ppp.dns6)"),
			       NULL;
	for (unsigned i = 0; i < c->n_wins; i++)
		if (c->wins[i].family != 4)
			return fail(p, "ppp.wins: WINS servers are IPv4"), NULL;
	if (!!c->monitor_certificate[0] != !!c->monitor_private_key[0])
		return fail(p, "monitor.certificate and monitor.private_key go together"), NULL;
	if (c->monitor_ca[0] && !c->monitor_certificate[0])
		return fail(p, "monitor.ca (client certificates) needs monitor.certificate (HTTPS)"), NULL;
	/* Without TLS the page, the JSON and the metrics (accounts, addresses, peers) would cross the
	 * network in clear and to anyone: plain HTTP stays on this host. */
	if (c->monitor_listen.family && !c->monitor_certificate[0] && !is_loopback(&c->monitor_listen))
		return fail(p, "monitor.listen: plain HTTP only on a loopback address (127.0.0.0/8, ::1); "
		               "set monitor.certificate and monitor.private_key for HTTPS"),
		       NULL;
	p->c = NULL;
	return c;
}

struct conf *conf_parse_buffer(const char *name, const char *text, size_t len, char *err, size_t errlen)
{
	struct conf_parser *p = conf_parser_new(name);
	struct conf *c = NULL;
	if (!p) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || text[i] == '\n') {
			if ((i > start || i < len) && conf_parser_line(p, text + start, i - start))
				break;
			start = i + 1;
		}
	}
	c = conf_parser_finish(p);
	if (!c)
		snprintf(err, errlen, "%s", conf_parser_error(p));
	conf_parser_free(p);
	return c;
}

#define OUT(...)                                                                                             \
	do {                                                                                                 \
		int w_ = snprintf(out + (used < n ? used : n), used < n ? n - used : 0, __VA_ARGS__);        \
		if (w_ > 0)                                                                                  \
			used += (size_t)w_;                                                                  \
	} while (0)

static size_t key_format(const struct conf *c, const struct conf_key *k, char *out, size_t n, bool mask)
{
	size_t used = 0;
	char a[RP_ADDR_STRLEN], b[RP_ADDR_STRLEN];
	const uint8_t *f = (const uint8_t *)c + k->off;
	unsigned cnt = k->count_off ? *(const unsigned *)((const uint8_t *)c + k->count_off) : 0;
	if (n)
		out[0] = 0;
	switch (k->type) {
	case CT_UINT:
		OUT("%u", *(const unsigned *)f);
		break;
	case CT_BOOL:
		OUT("%s", *(const bool *)f ? "yes" : "no");
		break;
	case CT_STR:
		OUT("%s", mask && k->secret && *f ? "(set)" : (const char *)f);
		break;
	case CT_CIDR:
		OUT("%s/%u", rp_addr_ipstr((const struct rp_addr *)f, a, sizeof a), cnt);
		break;
	case CT_PREFIX6:
		if (((const struct rp_addr *)f)->family)
			OUT("%s/%u", rp_addr_ipstr((const struct rp_addr *)f, a, sizeof a), cnt);
		break;
	case CT_AUTH: {
		unsigned bits = *(const unsigned *)f;
		OUT("%s%s%s", bits & CONF_AUTH_PAP ? "pap " : "", bits & CONF_AUTH_CHAP ? "chap " : "",
		    bits & CONF_AUTH_MSCHAPV2 ? "mschapv2" : "");
		break;
	}
	case CT_ADDRS:
	case CT_ADDRS6:
		for (unsigned j = 0; j < cnt; j++)
			OUT("%s%s", j ? " " : "", rp_addr_ipstr((const struct rp_addr *)f + j, a, sizeof a));
		break;
	case CT_RANGES:
		for (unsigned j = 0; j < cnt; j++) {
			const struct conf_range *r = (const struct conf_range *)f + j;
			OUT("%s%s-%s", j ? " " : "", rp_addr_ipstr(&r->first, a, sizeof a),
			    rp_addr_ipstr(&r->last, b, sizeof b));
		}
		break;
	case CT_GROUPS:
		for (unsigned j = 0; j < cnt; j++)
			OUT("%s%u", j ? " " : "", ((const unsigned *)f)[j]);
		break;
	case CT_MM_METHODS:
		for (unsigned j = 0; j < cnt; j++)
			OUT("%s%s", j ? " " : "",
			    ike_mm_method_str((const struct ike_mm_method *)f + j, a, sizeof a));
		break;
	case CT_QM_METHODS:
		for (unsigned j = 0; j < cnt; j++)
			OUT("%s%s", j ? " " : "",
			    ike_qm_method_str((const struct ike_qm_method *)f + j, a, sizeof a));
		break;
	case CT_PREFIXES:
		for (unsigned j = 0; j < cnt; j++) {
			const struct conf_prefix *pf = (const struct conf_prefix *)f + j;
			OUT("%s%u.%u.%u.%u/%u", j ? " " : "", pf->net >> 24, pf->net >> 16 & 255,
			    pf->net >> 8 & 255, pf->net & 255, pf->len);
		}
		break;
	case CT_ENDPOINT:
		if (((const struct rp_addr *)f)->family)
			OUT("%s", rp_addr_str((const struct rp_addr *)f, a, sizeof a));
		break;
	case CT_HOSTPORTS:
		for (unsigned j = 0; j < cnt; j++) {
			const struct rp_addr *ad = (const struct rp_addr *)f + j;
			rp_addr_ipstr(ad, a, sizeof a);
			if (!ad->port)
				OUT("%s%s", j ? " " : "", a);
			else if (ad->family == 6)
				OUT("%s[%s]:%u", j ? " " : "", a, ad->port);
			else
				OUT("%s%s:%u", j ? " " : "", a, ad->port);
		}
		break;
	case CT_MSS: {
		unsigned v = *(const unsigned *)f;
		if (v == CONF_MSS_AUTO || v == CONF_MSS_OFF)
			OUT("%s", v ? "auto" : "off");
		else
			OUT("%u", v);
		break;
	}
	case CT_LSTORE: {
		unsigned v = *(const unsigned *)f;
		OUT("%s", v == CONF_LOCAL_FIRST ? "first" : v == CONF_LOCAL_SECOND ? "second" : "never");
		break;
	}
	}
	return used;
}

size_t conf_key_count(void)
{
	return conf_nkeys;
}
const char *conf_key_section(size_t i)
{
	return conf_keys[i].section;
}
const char *conf_key_name(size_t i)
{
	return conf_keys[i].key;
}
bool conf_key_needs_restart(size_t i)
{
	return conf_keys[i].restart;
}

enum conf_value_kind conf_key_kind(size_t i)
{
	switch (conf_keys[i].type) {
	case CT_UINT:
		return CONF_VALUE_NUMBER;
	case CT_BOOL:
		return CONF_VALUE_BOOL;
	case CT_STR:
	case CT_CIDR:
	case CT_PREFIX6:
	case CT_ENDPOINT:
	case CT_LSTORE:
	case CT_MSS:
		return CONF_VALUE_STRING;
	case CT_GROUPS:
		return CONF_VALUE_NUMBERS;
	default:
		return CONF_VALUE_STRINGS;
	}
}

size_t conf_key_format(const struct conf *c, size_t i, char *out, size_t n)
{
	return key_format(c, &conf_keys[i], out, n, true);
}

/* Compared through the unmasked text, so a changed secret counts and padding never does. */
bool conf_key_differs(const struct conf *a, const struct conf *b, size_t i)
{
	char va[CONF_STR * 2], vb[CONF_STR * 2];
	key_format(a, &conf_keys[i], va, sizeof va, false);
	key_format(b, &conf_keys[i], vb, sizeof vb, false);
	bool d = strcmp(va, vb) != 0;
	rp_wipe(va, sizeof va);
	rp_wipe(vb, sizeof vb);
	return d;
}

size_t conf_dump(const struct conf *c, char *out, size_t n)
{
	size_t used = 0;
	for (size_t i = 0; i < conf_nkeys; i++) {
		const struct conf_key *k = &conf_keys[i];
		OUT("%s.%s = ", k->section, k->key);
		used += key_format(c, k, out + (used < n ? used : n), used < n ? n - used : 0, true);
		OUT("\n");
	}
	return used;
}
#undef OUT
