/* The IPsec policy in rampartd (srv_policy.h). Everything that decides is in policy/ (sans-IO);
 * this file feeds it: the store's file (checked once a second and at every peer decision, so a
 * rampartctl change counts from the next negotiation), the control socket's dynamic store, the
 * addresses behind "me", the server types and DNS names (uv_getaddrinfo on libuv's thread pool,
 * never blocking the loop), and it keeps the flows a client started for boot mode "stateful". */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "pol_model.h"
#include "pol_store.h"
#include "policy.h"
#include "srv_local.h"
#include "srv_policy.h"

#include "ike_policy.h"

#define TICK_MS 1000
#define FLOWS 4096 /* boot mode "stateful": flows the clients started (direct-mapped) */

struct pol_name {
	struct pol_name *next;
	struct srv_policy *P; /* NULL: orphaned while its lookup runs; the callback frees it */
	char name[POL_TEXT];
	uint32_t ip[POL_MAX_RESOLVED];
	size_t n;
	bool answered, pending, wanted;
	uv_getaddrinfo_t req;
};

struct flow {
	uint32_t client, remote;
	uint16_t cport, rport;
	uint8_t proto, used;
};

struct grp {
	uint32_t ip; /* 0 = empty slot */
	char group[64];
};

struct srv_policy {
	struct srv *s;
	struct pol_set set;
	int64_t gen;
	bool have_gen, loaded, in_force, was_in_force;
	bool sweep; /* recompiled: the SAs of peers a rule now blocks go at the next tick */
	struct pol_env env;
	struct pol_dp *dp;
	struct pol_name *names;
	uv_timer_t timer;
	uint64_t next_resolve_ms;
	struct timespec mtime[2]; /* the store file's and its -wal's, when the generation was last read */
	off_t size[2];
	struct flow flows[FLOWS];
	struct grp *grp;
	size_t grp_cap, grp_n;
	uint64_t dp_blocked, boot_blocked, boot_passed, peers_refused, plain_permitted;
};

static struct srv_policy *P_of(struct srv *s)
{
	return s->core ? s->core->pol : NULL;
}

/* ---- names ------------------------------------------------------------------------------------ */

static void lookup_start(struct srv_policy *P, struct pol_name *nm);
static void compile(struct srv_policy *P);

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct pol_name *nm = req->data;
	nm->pending = false;
	struct srv_policy *P = nm->P;
	if (!P) {
		uv_freeaddrinfo(res);
		free(nm);
		return;
	}
	uint32_t ip[POL_MAX_RESOLVED];
	size_t n = 0;
	for (struct addrinfo *ai = status ? NULL : res; ai && n < POL_MAX_RESOLVED; ai = ai->ai_next) {
		uint32_t a = ntohl(((struct sockaddr_in *)ai->ai_addr)->sin_addr.s_addr);
		bool dup = false;
		for (size_t i = 0; i < n; i++)
			dup |= ip[i] == a;
		if (!dup)
			ip[n++] = a;
	}
	uv_freeaddrinfo(res);
	if (status == UV_EAI_AGAIN || status == UV_ECANCELED) {
		rp_logf(&P->s->log, RP_LOG_WARN, "policy", "%s: no answer yet (%s); asking again", nm->name,
		        uv_strerror(status));
		return; /* the next round asks again; until one answers, the policy is not in force */
	}
	bool changed = !nm->answered || n != nm->n || memcmp(ip, nm->ip, n * sizeof *ip);
	if (!changed)
		return;
	char list[POL_MAX_RESOLVED * 16 + 8] = "";
	size_t l = 0;
	for (size_t i = 0; i < n && l < sizeof list; i++) {
		struct in_addr in = {htonl(ip[i])};
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &in, a, sizeof a);
		l += (size_t)snprintf(list + l, sizeof list - l, "%s%s", i ? " " : "", a);
	}
	rp_logf(&P->s->log, RP_LOG_NOTICE, "policy", "%s %s %s%s", nm->name,
	        nm->answered ? "now resolves to" : "resolves to", n ? list : "nothing",
	        status ? " (lookup failed)" : "");
	memcpy(nm->ip, ip, sizeof ip);
	nm->n = n;
	nm->answered = true;
	compile(P); /* sessions stay up: only the filters change */
}

static void lookup_start(struct srv_policy *P, struct pol_name *nm)
{
	if (nm->pending || P->s->stopping)
		return;
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM};
	nm->req.data = nm;
	if (uv_getaddrinfo(&P->s->loop, &nm->req, on_resolved, nm->name, NULL, &hints) == 0)
		nm->pending = true;
}

/* pol_env.resolve: the last answer for name; a name seen for the first time is looked up. */
static int resolve(void *ctx, const char *name, uint32_t *ips, size_t max)
{
	struct srv_policy *P = ctx;
	struct pol_name *nm = P->names;
	while (nm && strcmp(nm->name, name))
		nm = nm->next;
	if (!nm) {
		if (!(nm = calloc(1, sizeof *nm)))
			return 0;
		nm->P = P;
		snprintf(nm->name, sizeof nm->name, "%s", name);
		nm->next = P->names;
		P->names = nm;
		lookup_start(P, nm);
	}
	nm->wanted = true;
	size_t n = nm->n < max ? nm->n : max;
	memcpy(ips, nm->ip, n * sizeof *ips);
	return (int)n;
}

static void names_sweep(struct srv_policy *P, bool all)
{
	for (struct pol_name **pp = &P->names; *pp;) {
		struct pol_name *nm = *pp;
		if (nm->wanted && !all) {
			pp = &nm->next;
			continue;
		}
		*pp = nm->next;
		if (nm->pending) {
			nm->P = NULL;
			uv_cancel((uv_req_t *)&nm->req);
		} else {
			free(nm);
		}
	}
}

/* ---- the host's addresses and servers ---------------------------------------------------------- */

static size_t add_ip(uint32_t *arr, size_t n, size_t max, uint32_t ip)
{
	for (size_t i = 0; i < n; i++)
		if (arr[i] == ip)
			return n;
	if (n < max && ip)
		arr[n++] = ip;
	return n;
}

/* dns/wins: what we push to clients and the host's resolvers; gateway: the host's default route;
 * dhcp: the server of a dhclient lease, where there is one. Small files, read once per round. */
static void env_refresh(struct srv_policy *P)
{
	struct srv *s = P->s;
	const struct conf *cf = s->conf;
	struct pol_env e = {.resolve = resolve, .resolve_ctx = P};
	for (unsigned i = 0; i < s->n_listen; i++)
		if (s->laddr[i].family == 4)
			e.nme = add_ip(e.me, e.nme, RP_ARRAY_LEN(e.me), rp_get_u32(s->laddr[i].ip));
	if (s->boot->tun_addr.family == 4)
		e.nme = add_ip(e.me, e.nme, RP_ARRAY_LEN(e.me), rp_get_u32(s->boot->tun_addr.ip));
	for (unsigned i = 0; i < cf->n_dns; i++)
		e.ndns = add_ip(e.dns, e.ndns, RP_ARRAY_LEN(e.dns), rp_get_u32(cf->dns[i].ip));
	for (unsigned i = 0; i < cf->n_wins; i++)
		e.nwins = add_ip(e.wins, e.nwins, RP_ARRAY_LEN(e.wins), rp_get_u32(cf->wins[i].ip));
	char line[512];
	FILE *f = fopen("/etc/resolv.conf", "r");
	while (f && fgets(line, sizeof line, f)) {
		char a[64];
		struct in_addr in;
		if (sscanf(line, " nameserver %63s", a) == 1 && inet_pton(AF_INET, a, &in) == 1)
			e.ndns = add_ip(e.dns, e.ndns, RP_ARRAY_LEN(e.dns), ntohl(in.s_addr));
	}
	if (f)
		fclose(f);
	f = fopen("/proc/net/route", "r");
	while (f && fgets(line, sizeof line, f)) {
		char ifn[32];
		unsigned dst, gw, flags;
		if (sscanf(line, "%31s %x %x %x", ifn, &dst, &gw, &flags) == 4 && dst == 0 && (flags & 2))
			e.ngateway = add_ip(e.gateway, e.ngateway, RP_ARRAY_LEN(e.gateway), ntohl(gw));
	}
	if (f)
		fclose(f);
	static const char *const leases[] = {"/var/lib/dhcp/dhclient.leases",
	                                     "/var/lib/dhclient/dhclient.leases"};
	for (size_t k = 0; k < RP_ARRAY_LEN(leases); k++) {
		uint32_t last = 0;
		f = fopen(leases[k], "r");
		while (f && fgets(line, sizeof line, f)) {
			char a[64];
			struct in_addr in;
			if (sscanf(line, " option dhcp-server-identifier %63[0-9.]", a) == 1 &&
			    inet_pton(AF_INET, a, &in) == 1)
				last = ntohl(in.s_addr); /* the newest lease is the last */
		}
		if (f)
			fclose(f);
		e.ndhcp = add_ip(e.dhcp, e.ndhcp, RP_ARRAY_LEN(e.dhcp), last);
	}
	bool changed = memcmp(&e, &P->env, sizeof e) != 0;
	P->env = e;
	if (changed && P->loaded)
		compile(P);
}

/* ---- the store and compiling ----------------------------------------------------------------- */

static void compile(struct srv_policy *P)
{
	for (struct pol_name *nm = P->names; nm; nm = nm->next)
		nm->wanted = false;
	struct pol_dp *dp = pol_dp_compile(&P->set, &P->env);
	/* names the peer rules use are wanted too */
	for (size_t i = 0; i < P->set.nfl; i++)
		for (size_t k = 0; k < P->set.fl[i].n; k++) {
			const struct pol_filter *f = &P->set.fl[i].f[k];
			uint32_t tmp[POL_MAX_RESOLVED];
			if (f->src.kind == POL_A_DNS)
				resolve(P, f->src.name, tmp, POL_MAX_RESOLVED);
			if (f->dst.kind == POL_A_DNS)
				resolve(P, f->dst.name, tmp, POL_MAX_RESOLVED);
		}
	names_sweep(P, false);
	if (!dp) {
		rp_logf(&P->s->log, RP_LOG_ERR, "policy",
		        "cannot compile the filters (out of memory): boot mode %s",
		        pol_bootmode_name(P->set.bootmode));
		P->in_force = false;
		return;
	}
	pol_dp_free(P->dp);
	P->dp = dp;
	/* not here: compile runs inside the IKE core too (a peer decision reads a changed store) */
	P->sweep = true;
	bool waiting = false;
	for (struct pol_name *nm = P->names; nm; nm = nm->next)
		waiting |= !nm->answered;
	P->in_force = P->loaded && !waiting;
	if (P->in_force != P->was_in_force)
		rp_logf(&P->s->log, RP_LOG_NOTICE, "policy", "%s",
		        P->in_force ? "policy in force"
		        : waiting   ? "policy waits for DNS names: boot mode applies"
		                    : "policy not in force: boot mode applies");
	P->was_in_force = P->in_force;
}

static void reload(struct srv_policy *P, int64_t gen)
{
	struct srv *s = P->s;
	struct pol_set ns;
	char err[256] = "";
	pol_set_init(&ns);
	int rc = pol_store_load(s->core->db, &ns, err, sizeof err);
	if (!rc)
		rc = pol_set_copy_store(&ns, &P->set, POL_DYNAMIC);
	if (rc) {
		rp_logf(&s->log, RP_LOG_ERR, "policy", "cannot apply the stored policy (%s): boot mode %s",
		        err, pol_bootmode_name(P->set.bootmode));
		pol_set_free(&ns);
		P->loaded = false;
		P->in_force = P->was_in_force = false;
		return;
	}
	pol_set_free(&P->set);
	P->set = ns;
	P->gen = gen;
	P->have_gen = true;
	P->loaded = true;
	size_t nrules = 0;
	const char *assigned[POL_NSTORES] = {"-", "-", "-"};
	for (size_t i = 0; i < P->set.npol; i++)
		if (P->set.pol[i].assign)
			assigned[P->set.pol[i].store] = P->set.pol[i].name;
	for (size_t i = 0; i < P->set.nrule; i++)
		nrules += P->set.rule[i].activate;
	rp_logf(&s->log, RP_LOG_INFO, "policy",
	        "store generation %lld: assigned persistent=%s local=%s dynamic=%s, %zu active rules, "
	        "bootmode %s",
	        (long long)gen, assigned[0], assigned[1], assigned[2], nrules,
	        pol_bootmode_name(P->set.bootmode));
	compile(P);
}

/* The store file's and its write-ahead log's mtime and size: in WAL mode a commit changes only
 * the -wal file until a checkpoint copies it into the store. */
static void store_stamp(const char *fn, struct timespec st[2], off_t size[2])
{
	char wal[4200];
	struct stat b;
	snprintf(wal, sizeof wal, "%s-wal", fn);
	const char *f[2] = {fn, wal};
	for (int i = 0; i < 2; i++) {
		if (stat(f[i], &b) == 0) {
			st[i] = b.st_mtim;
			size[i] = b.st_size;
		} else {
			st[i] = (struct timespec){0};
			size[i] = -1;
		}
	}
}

/* A changed store is read again. Peers ask at every IKE packet, so that check must neither wait
 * on a writer's lock (a store held by rampartctl would stall the loop for the busy timeout per
 * packet) nor query per packet under a flood: the files' mtimes and sizes say whether anything
 * was written since the last read, and the query does not wait for a lock. The tick forces the
 * query once a second (two writes within one timestamp tick look like one). */
static void check_store(struct srv_policy *P, bool force)
{
	int64_t gen = 0;
	if (!P->s->core->db)
		return;
	sqlite3 *h = auth_db_sqlite(P->s->core->db);
	const char *fn = sqlite3_db_filename(h, "main");
	struct timespec mt[2];
	off_t sz[2];
	bool have_st = fn && *fn;
	if (have_st)
		store_stamp(fn, mt, sz);
	if (!force && have_st && P->have_gen && !memcmp(mt, P->mtime, sizeof mt) && !memcmp(sz, P->size, sizeof sz))
		return;
	sqlite3_busy_timeout(h, 0);
	int rc = pol_store_generation(P->s->core->db, &gen);
	if (rc) {
		char err[256];
		rc = pol_store_init(P->s->core->db, err, sizeof err) ||
		     pol_store_generation(P->s->core->db, &gen);
	}
	sqlite3_busy_timeout(h, AUTH_DB_BUSY_MS);
	if (rc)
		return; /* locked or unreadable: the policy in force stays, the next check tries again */
	if (have_st) {
		memcpy(P->mtime, mt, sizeof mt);
		memcpy(P->size, sz, sizeof sz);
	}
	if (!P->have_gen || gen != P->gen)
		reload(P, gen);
}

/* A block rule added for a peer with SAs up ends them (ike_policy_sweep says why); the
 * sessions over them go with their SAs, as when the peer deletes them. */
static void sweep(struct srv_policy *P)
{
	struct srv *s = P->s;
	P->sweep = false;
	size_t n = ike_policy_sweep(s->core->ike, srv_now(s));
	if (!n)
		return;
	rp_logf(&s->log, RP_LOG_NOTICE, "policy", "%zu SA%s of peers the policy now blocks deleted", n,
	        n == 1 ? "" : "s");
	srv_core_run(s);
}

static void on_tick(uv_timer_t *t)
{
	struct srv_policy *P = t->data;
	check_store(P, true);
	if (P->sweep)
		sweep(P);
	uint64_t now = uv_now(&P->s->loop);
	if (now < P->next_resolve_ms)
		return;
	P->next_resolve_ms =
	    now + (uint64_t)P->s->conf->policy_resolve_interval * 1000u; /* no TTL from getaddrinfo */
	env_refresh(P);
	for (struct pol_name *nm = P->names; nm; nm = nm->next)
		lookup_start(P, nm);
}

int srv_policy_init(struct srv *s, char *err, size_t errlen)
{
	struct srv_policy *P = calloc(1, sizeof *P);
	if (!P) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->core->pol = P;
	P->s = s;
	pol_set_init(&P->set);
	if (pol_store_init(s->core->db, err, errlen))
		return -1;
	env_refresh(P);
	check_store(P, true);
	uv_timer_init(&s->loop, &P->timer);
	P->timer.data = P;
	P->next_resolve_ms = uv_now(&s->loop) + (uint64_t)s->conf->policy_resolve_interval * 1000u;
	uv_timer_start(&P->timer, on_tick, TICK_MS, TICK_MS);
	uv_unref((uv_handle_t *)&P->timer);
	return 0;
}

void srv_policy_free(struct srv *s)
{
	struct srv_policy *P = P_of(s);
	if (!P)
		return;
	names_sweep(P, true);
	pol_dp_free(P->dp);
	pol_set_free(&P->set);
	free(P->grp);
	free(P);
	s->core->pol = NULL;
}

void srv_policy_conf(struct srv *s)
{
	struct srv_policy *P = P_of(s);
	if (P)
		env_refresh(P);
}

/* ---- peers ------------------------------------------------------------------------------------- */

enum srv_pol_peer srv_policy_peer(struct srv *s, const struct rp_addr *peer, bool fresh, char *why, size_t n)
{
	struct srv_policy *P = P_of(s);
	struct pol_match m;
	if (!P || peer->family != 4)
		return SRV_POL_DEFAULT;
	if (fresh)
		check_store(P, false);
	if (!P->loaded || pol_match_peer(&P->set, &P->env, rp_get_u32(peer->ip), &m))
		return SRV_POL_DEFAULT;
	if (m.action == POL_NEGOTIATE)
		return SRV_POL_NEGOTIATE;
	snprintf(why, n, "rule %s (%s store, policy %s, filterlist %s): %s", m.rule->name,
	         pol_store_name(m.rule->store), m.pol->name, m.fl->name,
	         m.action == POL_BLOCK ? "block" : "permit (plain L2TP only)");
	return m.action == POL_BLOCK ? SRV_POL_BLOCK : SRV_POL_PERMIT;
}

/* ike_conf.policy: the rule's methods and authentication as the IKE core wants them. Method words
 * the IKE core does not parse are skipped with a log line; a rule left with none refuses. */
static void ike_answer(void *ctx, const struct rp_addr *peer, struct ike_peer_policy *out)
{
	struct srv *s = ctx;
	struct srv_policy *P = P_of(s);
	struct pol_match m;
	if (!P || peer->family != 4)
		return;
	/* no store check here: the core asks while handling an IKE packet, and srv_core_udp checked
	 * the store for that packet (srv_policy_peer) before handing it over */
	if (!P->loaded || pol_match_peer(&P->set, &P->env, rp_get_u32(peer->ip), &m))
		return;
	snprintf(out->rule, sizeof out->rule, "%s", m.rule->name);
	snprintf(out->store, sizeof out->store, "%s", pol_store_name(m.rule->store));
	if (m.action != POL_NEGOTIATE) {
		out->action = m.action == POL_BLOCK ? IKE_POL_BLOCK : IKE_POL_PERMIT;
		return;
	}
	out->action = IKE_POL_NEGOTIATE;
	char buf[POL_TEXT], *save = NULL;
	snprintf(buf, sizeof buf, "%s", m.pol->mmsec);
	for (char *w = strtok_r(buf, " \t", &save); w && out->nmm < IKE_POL_MAX_METHODS;
	     w = strtok_r(NULL, " \t", &save))
		if (ike_mm_method_parse(w, &out->mm[out->nmm]) == 0)
			out->nmm++;
		else
			rp_logf(&s->log, RP_LOG_WARN, "policy", "rule %s: main-mode method %s not supported",
			        m.rule->name, w);
	snprintf(buf, sizeof buf, "%s", m.fa->qmsec);
	save = NULL;
	for (char *w = strtok_r(buf, " \t", &save); w && out->nqm < IKE_POL_MAX_METHODS;
	     w = strtok_r(NULL, " \t", &save)) {
		char *life = strchr(w, ':');
		if (life) {
			*life++ = 0;
			if (!out->nqm) /* netsh: each method's lifetime; the IKE core takes one, the first's
			                */
				for (char *p = life; *p;) {
					char *e;
					unsigned long v = strtoul(p, &e, 10);
					if (*e == 'k')
						out->qm_life_kb = (uint32_t)v;
					else if (*e == 's')
						out->qm_life_s = (uint32_t)v;
					p = *e ? e + 1 : e;
					if (*p == '/')
						p++;
				}
		}
		if (ike_qm_method_parse(w, &out->qm[out->nqm]) == 0)
			out->nqm++;
		else
			rp_logf(&s->log, RP_LOG_WARN, "policy", "rule %s: quick-mode method %s not supported",
			        m.rule->name, w);
	}
	if ((m.pol->mmsec[0] && !out->nmm) || (m.fa->qmsec[0] && !out->nqm)) {
		rp_logf(&s->log, RP_LOG_WARN, "policy", "rule %s: no usable security method: refused",
		        m.rule->name);
		out->action = IKE_POL_BLOCK;
		return;
	}
	if (m.pol->mmlifetime) /* minutes, netsh's unit */
		out->mm_life_s = m.pol->mmlifetime > UINT32_MAX / 60 ? UINT32_MAX : m.pol->mmlifetime * 60;
	if (m.fa->qmpfs)
		out->pfs_group = out->nmm               ? out->mm[0].group
		                 : s->conf->n_dh_groups ? (uint16_t)s->conf->dh_groups[0]
		                                        : 14;
	out->auth_psk = m.rule->has_psk || !m.rule->rootca[0];
	if (m.rule->has_psk) {
		out->psk_len = strnlen(m.rule->psk, sizeof out->psk);
		memcpy(out->psk, m.rule->psk, out->psk_len);
	}
	out->auth_cert = m.rule->rootca[0] || !m.rule->has_psk;
	out->certmap = m.rule->rootca[0] ? m.rule->certmap : -1;
	snprintf(out->rootca, sizeof out->rootca, "%s", m.rule->rootca);
}

void srv_policy_ike_conf(struct srv *s, struct ike_conf *ic)
{
	ic->policy = ike_answer;
	ic->policy_ctx = s;
}

/* ---- the clients' packets ------------------------------------------------------------------- */

static uint32_t hash32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	return x;
}

static const char *group_of(struct srv_policy *P, uint32_t ip)
{
	if (!P->grp_cap)
		return "";
	for (size_t i = hash32(ip) & (P->grp_cap - 1);; i = (i + 1) & (P->grp_cap - 1)) {
		if (P->grp[i].ip == ip)
			return P->grp[i].group;
		if (!P->grp[i].ip)
			return "";
	}
}

void srv_policy_session(struct srv *s, uint32_t ip, const char *account, bool up)
{
	struct srv_policy *P = P_of(s);
	struct auth_account acc;
	if (!P || !ip)
		return;
	if (!up) {
		if (!P->grp_cap)
			return;
		/* delete with backward shift (linear probing) */
		size_t i = hash32(ip) & (P->grp_cap - 1);
		while (P->grp[i].ip && P->grp[i].ip != ip)
			i = (i + 1) & (P->grp_cap - 1);
		if (!P->grp[i].ip)
			return;
		P->grp[i].ip = 0;
		P->grp_n--;
		for (size_t j = (i + 1) & (P->grp_cap - 1); P->grp[j].ip; j = (j + 1) & (P->grp_cap - 1)) {
			struct grp g = P->grp[j];
			P->grp[j].ip = 0;
			size_t k = hash32(g.ip) & (P->grp_cap - 1);
			while (P->grp[k].ip)
				k = (k + 1) & (P->grp_cap - 1);
			P->grp[k] = g;
		}
		return;
	}
	if (auth_account_get(s->core->db, account, &acc) || !acc.group[0])
		return;
	if ((P->grp_n + 1) * 2 > P->grp_cap) {
		size_t nc = P->grp_cap ? P->grp_cap * 2 : 64;
		struct grp *ng = calloc(nc, sizeof *ng);
		if (!ng)
			return;
		for (size_t i = 0; i < P->grp_cap; i++)
			if (P->grp[i].ip) {
				size_t k = hash32(P->grp[i].ip) & (nc - 1);
				while (ng[k].ip)
					k = (k + 1) & (nc - 1);
				ng[k] = P->grp[i];
			}
		free(P->grp);
		P->grp = ng;
		P->grp_cap = nc;
	}
	size_t k = hash32(ip) & (P->grp_cap - 1);
	while (P->grp[k].ip && P->grp[k].ip != ip)
		k = (k + 1) & (P->grp_cap - 1);
	if (!P->grp[k].ip)
		P->grp_n++;
	P->grp[k].ip = ip;
	snprintf(P->grp[k].group, sizeof P->grp[k].group, "%s", acc.group);
}

/* Field by field: a struct's padding is not part of its value (memcmp compared stack bytes the
 * initializer never wrote, and refused a reply when they differed from the request's). */
static bool flow_eq(const struct flow *a, const struct flow *b)
{
	return a->used && a->client == b->client && a->remote == b->remote && a->cport == b->cport &&
	       a->rport == b->rport && a->proto == b->proto;
}

static struct flow *flow_slot(struct srv_policy *P, const struct flow *f)
{
	uint32_t h = hash32(f->client ^ hash32(f->remote ^ ((uint32_t)f->cport << 16 | f->rport)) ^ f->proto);
	return &P->flows[h & (FLOWS - 1)];
}

bool srv_policy_packet(struct srv *s, const uint8_t *ip, size_t n, bool from_client)
{
	struct srv_policy *P = P_of(s);
	if (!P || (P->in_force && !pol_dp_count(P->dp)))
		return true; /* no filters: the common case costs these compares */
	struct pol_dp_pkt p;
	if (pol_pkt_parse(ip, n, &p))
		return true; /* IPv6 and non-IP: the filters are IPv4 */
	if (P->in_force) {
		const char *rule;
		uint32_t client = from_client ? p.src : p.dst;
		/* the group's table only when a filter is for a group (one probe per packet saved) */
		if (pol_dp_permit(P->dp, &p, pol_dp_has_groups(P->dp) ? group_of(P, client) : "", &rule))
			return true;
		P->dp_blocked++;
		char why[160];
		struct rp_addr a;
		rp_addr_v4(&a, client, 0);
		snprintf(why, sizeof why, "client traffic blocked by rule %s", rule ? rule : "?");
		rp_log_drop(&s->log, srv_now(s), "policy", &a, why, NULL);
		return false;
	}
	struct flow f = {.client = from_client ? p.src : p.dst,
	                 .remote = from_client ? p.dst : p.src,
	                 .cport = from_client ? p.sport : p.dport,
	                 .rport = from_client ? p.dport : p.sport,
	                 .proto = p.proto,
	                 .used = 1};
	struct flow *slot = flow_slot(P, &f);
	bool started = !from_client && flow_eq(slot, &f);
	if (pol_boot_permit(&P->set, &p, from_client, started)) {
		if (from_client && P->set.bootmode == POL_BOOT_STATEFUL)
			*slot = f;
		P->boot_passed++;
		return true;
	}
	P->boot_blocked++;
	struct rp_addr a;
	rp_addr_v4(&a, f.client, 0);
	char why[96];
	snprintf(why, sizeof why, "boot mode %s: policy not in force", pol_bootmode_name(P->set.bootmode));
	rp_log_drop(&s->log, srv_now(s), "policy", &a, why, NULL);
	return false;
}

/* ---- control ---------------------------------------------------------------------------------- */

struct line_ctx {
	void (*line)(void *ctx, const char *text);
	void *ctx;
};

static void out_line(void *ctx, const char *text)
{
	struct line_ctx *l = ctx;
	l->line(l->ctx, text);
}

int srv_policy_ctl(struct srv *s, int argc, char **argv, void (*line)(void *ctx, const char *text), void *ctx,
                   char *err, size_t errlen)
{
	struct srv_policy *P = P_of(s);
	if (!P || argc < 4 || strcasecmp(argv[0], "ipsec") || strcasecmp(argv[1], "dynamic"))
		return 1;
	if (!strcasecmp(argv[2], "show") && !strcasecmp(argv[3], "config"))
		return 1;
	struct line_ctx l = {line, ctx};
	bool changed;
	int rc =
	    pol_cmd_run(&P->set, argc - 1, argv + 1, POL_CMD_DYNAMIC, out_line, &l, &changed, err, errlen);
	if (rc == -ENOTSUP)
		return 1; /* set config of a property that is not the policy's (diagnostics, ...) */
	if (rc)
		return -1;
	if (changed) {
		char words[512];
		size_t o = 0;
		for (int i = 2; i < argc && o < sizeof words; i++)
			o += (size_t)snprintf(words + o, sizeof words - o, "%s%s", i > 2 ? " " : "",
			                      strncasecmp(argv[i], "psk=", 4) ? argv[i] : "psk=(set)");
		rp_logf(&s->log, RP_LOG_INFO, "policy", "dynamic store: %s", words);
		compile(P);
	}
	return 0;
}

int srv_policy_model(struct srv *s, int argc, char **argv, bool json,
                     void (*line)(void *ctx, const char *text), void *ctx, char *err, size_t errlen)
{
	struct srv_policy *P = P_of(s);
	struct pol_model_q q;
	struct pol_model_a a;
	const char *cert;
	if (!P) {
		snprintf(err, errlen, "no policy");
		return -1;
	}
	if (pol_model_args(argc - 1, argv + 1, &q, &cert, err, errlen))
		return -1;
	if (cert) {
		snprintf(err, errlen, "cert= is read by rampartctl (ipsec -d STATE_DIR model ...)");
		return -1;
	}
	check_store(P, true);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f || pol_model(&P->set, &P->env, s->core->db, &q, &a)) {
		if (f)
			fclose(f);
		free(buf);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pol_model_print(&q, &a, json, f);
	fclose(f);
	for (char *l = buf, *nl; l && *l; l = nl ? nl + 1 : NULL) {
		if ((nl = strchr(l, '\n')))
			*nl = 0;
		line(ctx, l);
	}
	free(buf);
	return 0;
}

const char *srv_policy_store_file(struct srv *s, time_t *mtime)
{
	const char *fn = s->core && s->core->db ? sqlite3_db_filename(auth_db_sqlite(s->core->db), "main") : NULL;
	struct timespec mt[2];
	off_t sz[2];
	*mtime = 0;
	if (!fn || !*fn)
		return NULL;
	store_stamp(fn, mt, sz);
	*mtime = mt[1].tv_sec > mt[0].tv_sec ? mt[1].tv_sec : mt[0].tv_sec;
	return fn;
}

const struct pol_set *srv_policy_objects(struct srv *s, bool *in_force)
{
	struct srv_policy *P = P_of(s);
	*in_force = P && P->in_force;
	return P && P->loaded ? &P->set : NULL;
}

void srv_policy_show_config(struct srv *s, void (*line)(void *ctx, const char *text), void *ctx)
{
	struct srv_policy *P = P_of(s);
	if (!P)
		return;
	struct line_ctx l = {line, ctx};
	pol_show_config(&P->set, out_line, &l);
	char buf[96];
	snprintf(buf, sizeof buf, "policy in force = %s", P->in_force ? "yes" : "no (boot mode applies)");
	line(ctx, buf);
}

void srv_policy_print_stats(struct srv *s, FILE *f)
{
	struct srv_policy *P = P_of(s);
	if (!P)
		return;
	fprintf(
	    f,
	    "policy: in force %s, %zu data-path filters, client packets blocked %llu, boot mode blocked %llu "
	    "passed %llu, peers refused %llu, plain L2TP permitted %llu\n",
	    P->in_force ? "yes" : "no", pol_dp_count(P->dp), (unsigned long long)P->dp_blocked,
	    (unsigned long long)P->boot_blocked, (unsigned long long)P->boot_passed,
	    (unsigned long long)P->peers_refused, (unsigned long long)P->plain_permitted);
}

void srv_policy_count_peer(struct srv *s, enum srv_pol_peer d)
{
	struct srv_policy *P = P_of(s);
	if (P && d == SRV_POL_PERMIT)
		P->plain_permitted++;
	else if (P)
		P->peers_refused++;
}
