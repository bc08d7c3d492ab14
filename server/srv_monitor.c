/* The IP Security Monitor's endpoint: libmicrohttpd in "external event loop" mode on the daemon's
 * libuv loop. MHD keeps its sockets in an epoll set of its own (MHD_USE_EPOLL); that one fd is
 * watched by a uv_poll_t and MHD's connection timeouts by a uv_timer_t, and MHD_run does the work on
 * the loop's thread, so a handler may read the cores' state directly (srv_json_*) without locks and
 * no thread is started. Read-only: GET/HEAD (and OPTIONS for CORS), nothing changes state. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "auth.h"
#include "srv_json.h"
#include "srv_local.h"
#include "srv_monitor.h"

#define MON_MAX_FILE (1u << 20) /* a PEM file larger than this is not a certificate or key */
#define MON_MAX_CHAIN 8

struct srv_monitor {
	struct srv *s;
	struct MHD_Daemon *d;
	uv_poll_t poll;
	uv_timer_t timer;
	bool tls;
	char *cert, *key, *ca; /* PEM, NUL-terminated; kept for MHD until it stops; key wiped */
	size_t key_len;
	struct auth_trust *trust; /* [monitor] ca: client certificates must validate against it */
	uint64_t requests, refused;
};

static int slurp(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) || st.st_size <= 0 || st.st_size > MON_MAX_FILE) {
		snprintf(err, errlen, "monitor: %s: %s", path,
		         fd < 0 ? strerror(errno) : "empty or too large");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	char *b = malloc((size_t)st.st_size + 1);
	ssize_t n = b ? read(fd, b, (size_t)st.st_size) : -1;
	close(fd);
	if (n != st.st_size) {
		snprintf(err, errlen, "monitor: %s: short read", path);
		free(b);
		return -1;
	}
	b[n] = 0;
	*out = b;
	*len = (size_t)n;
	return 0;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct srv_monitor *m = cls;
	char line[300];
	vsnprintf(line, sizeof line, fmt, ap);
	size_t n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = 0;
	/* MHD speaks for every failed TLS handshake and broken connection: detail, not warnings */
	rp_logf(&m->s->log, RP_LOG_DETAIL, "monitor", "%s", line);
}

static void rearm(struct srv_monitor *m);

static void on_poll(uv_poll_t *h, int status, int events)
{
	(void)status;
	(void)events;
	struct srv_monitor *m = h->data;
	MHD_run(m->d);
	rearm(m);
}

static void on_timer(uv_timer_t *t)
{
	struct srv_monitor *m = t->data;
	MHD_run(m->d);
	rearm(m);
}

/* MHD's next deadline: idle connections' timeouts, and 0 when it has buffered work (TLS records
 * read but not yet processed) that no fd readiness would announce. */
static void rearm(struct srv_monitor *m)
{
	MHD_UNSIGNED_LONG_LONG ms;
	if (uv_is_closing((uv_handle_t *)&m->timer))
		return;
	if (MHD_get_timeout(m->d, &ms) == MHD_YES)
		uv_timer_start(&m->timer, on_timer, ms, 0);
	else
		uv_timer_stop(&m->timer);
}

/* ---- answers ----------------------------------------------------------------------------------- */

static enum MHD_Result answer(struct srv_monitor *m, struct MHD_Connection *c, unsigned status,
                              struct MHD_Response *r, const char *mime)
{
	(void)m; /* every answer goes through here: the place for per-monitor headers */
	if (!r)
		return MHD_NO;
	if (mime)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, mime);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	/* Another rampartd's page (the "remote computer" field) reads this one's API. It cannot know
	 * whether this one wants a client certificate, so it always fetches with credentials
	 * ("include": the browser presents its certificate), which CORS allows only for a named
	 * origin: the request's own is echoed. Nothing here is a cookie or changes state; who may read
	 * is decided by the listen address and the client certificate, not by the origin. */
	const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	if (origin) {
		MHD_add_response_header(r, "Access-Control-Allow-Origin", origin);
		MHD_add_response_header(r, "Access-Control-Allow-Credentials", "true");
		MHD_add_response_header(r, "Vary", "Origin");
	} else {
		MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
	}
	enum MHD_Result rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result send_text(struct srv_monitor *m, struct MHD_Connection *c, unsigned status,
                                 const char *text)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	return answer(m, c, status, r, "text/plain; charset=utf-8");
}

static enum MHD_Result send_json(struct srv_monitor *m, struct MHD_Connection *c, json_t *doc)
{
	char *txt = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (!txt)
		return send_text(m, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(txt), txt, MHD_RESPMEM_MUST_FREE);
	if (!r)
		free(txt);
	return answer(m, c, MHD_HTTP_OK, r, "application/json");
}

/* A page of a list (srv_monitor_list.c): never the whole 10,000-entry document, which would hold
 * the loop for the time jansson takes to build and print it. */
static enum MHD_Result send_list(struct srv_monitor *m, struct MHD_Connection *c, bool sas)
{
	struct srv_mon_query q = {.limit = SRV_MON_LIMIT_DEFAULT};
	const char *v;
	char *end;
	if ((v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "offset")) != NULL) {
		errno = 0;
		unsigned long long n = strtoull(v, &end, 10);
		if (!*v || *end || errno || *v == '-')
			return send_text(m, c, MHD_HTTP_BAD_REQUEST, "400 offset: a number\n");
		q.offset = n > SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)n;
	}
	if ((v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit")) != NULL) {
		errno = 0;
		unsigned long long n = strtoull(v, &end, 10);
		if (!*v || *end || errno || *v == '-' || n == 0)
			return send_text(m, c, MHD_HTTP_BAD_REQUEST, "400 limit: a number from 1\n");
		q.limit = n > SRV_MON_LIMIT_MAX ? SRV_MON_LIMIT_MAX : (size_t)n;
	}
	if ((v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "order")) != NULL) {
		if (strcmp(v, "asc") && strcmp(v, "desc"))
			return send_text(m, c, MHD_HTTP_BAD_REQUEST, "400 order: asc or desc\n");
		q.desc = v[0] == 'd';
	}
	if ((v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "sort")) != NULL &&
	    strlen(v) >= sizeof q.sort)
		return send_text(m, c, MHD_HTTP_BAD_REQUEST, "400 sort: no such field\n");
	snprintf(q.sort, sizeof q.sort, "%s", v ? v : "");
	if ((v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "filter")) != NULL &&
	    strlen(v) >= sizeof q.filter)
		return send_text(m, c, MHD_HTTP_BAD_REQUEST, "400 filter: too long\n");
	snprintf(q.filter, sizeof q.filter, "%s", v ? v : "");
	int err;
	json_t *d = sas ? srv_monitor_sas(m->s, &q, &err) : srv_monitor_sessions(m->s, &q, &err);
	if (!d && err == -EINVAL)
		return send_text(m, c, MHD_HTTP_BAD_REQUEST, "400 sort: no such field\n");
	return send_json(m, c, d);
}

/* With [monitor] ca: the TLS peer's chain through auth/'s validator, the code IKE's certificates go
 * through (chain to the anchors, validity time, key usage/EKU). 0 when it validates. */
static int check_client(struct srv_monitor *m, struct MHD_Connection *c, char *why, size_t whylen)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	unsigned n = 0;
	const gnutls_datum_t *peers =
	    ci && ci->tls_session ? gnutls_certificate_get_peers((gnutls_session_t)ci->tls_session, &n)
	                          : NULL;
	if (!peers || n == 0) {
		snprintf(why, whylen, "no client certificate");
		return -1;
	}
	struct auth_der chain[MON_MAX_CHAIN];
	if (n > MON_MAX_CHAIN)
		n = MON_MAX_CHAIN;
	for (unsigned i = 0; i < n; i++)
		chain[i] = (struct auth_der){peers[i].data, peers[i].size};
	static struct auth_cert_info info; /* large; the loop's one thread only */
	char reason[200] = "";
	int r = auth_cert_validate(m->trust, chain, n, (int64_t)time(NULL), &info, reason, sizeof reason);
	if (r == AUTH_CERT_OK)
		return 0;
	char subj[160];
	snprintf(why, whylen, "client certificate \"%s\": %s%s%s", rp_escs(info.subject, subj, sizeof subj),
	         auth_cert_result_str(r), reason[0] ? ": " : "", reason);
	return -1;
}

static void peer_addr(struct MHD_Connection *c, struct rp_addr *a)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	memset(a, 0, sizeof *a);
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		a->family = 4;
		memcpy(a->ip, &in->sin_addr, 4);
		a->port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		a->family = 6;
		memcpy(a->ip, &in6->sin6_addr, 16);
		a->port = ntohs(in6->sin6_port);
	}
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_len, void **req)
{
	(void)version;
	(void)upload;
	struct srv_monitor *m = cls;
	struct srv *s = m->s;
	/* The first call has the headers only; answering there makes MHD close the connection (it
	 * cannot know the body is empty), so the answer waits for the second, and a page's refreshes
	 * keep their connection (and TLS session). Nothing is read from a body. */
	static int marker;
	if (!*req) {
		*req = &marker;
		return MHD_YES;
	}
	if (*upload_len)
		return MHD_NO;
	m->requests++;
	if (m->trust) {
		char why[400];
		if (check_client(m, c, why, sizeof why)) {
			struct rp_addr a;
			peer_addr(c, &a);
			m->refused++;
			rp_log_drop(&s->log, srv_now(s), "monitor", &a, "client certificate", "refused: %s",
			            why);
			return send_text(m, c, MHD_HTTP_FORBIDDEN,
			                 "403 a valid client certificate is required\n");
		}
	}
	if (strcmp(method, "OPTIONS") == 0) { /* CORS preflight */
		struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		if (r)
			MHD_add_response_header(r, "Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
		return answer(m, c, MHD_HTTP_NO_CONTENT, r, NULL);
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		static const char ro[] = "405 read-only: GET\n";
		struct MHD_Response *r =
		    MHD_create_response_from_buffer(strlen(ro), (void *)ro, MHD_RESPMEM_PERSISTENT);
		if (r)
			MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD, OPTIONS");
		return answer(m, c, MHD_HTTP_METHOD_NOT_ALLOWED, r, "text/plain; charset=utf-8");
	}
	if (strcmp(url, "/api/v1/sas") == 0 || strcmp(url, "/api/v1/sessions") == 0)
		return send_list(m, c, strcmp(url, "/api/v1/sas") == 0);
	if (strcmp(url, "/api/v1/stats") == 0)
		return send_json(m, c, srv_json_stats(s));
	if (strcmp(url, "/api/v1/config") == 0)
		return send_json(m, c, srv_json_config(s));
	if (strcmp(url, "/api/v1/policy") == 0)
		return send_json(m, c, srv_monitor_policy(s));
	if (strcmp(url, "/metrics") == 0) {
		size_t len;
		char *txt = srv_monitor_metrics(s, &len);
		if (!txt)
			return send_text(m, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
		struct MHD_Response *r = MHD_create_response_from_buffer(len, txt, MHD_RESPMEM_MUST_FREE);
		if (!r)
			free(txt);
		return answer(m, c, MHD_HTTP_OK, r, "text/plain; version=0.0.4; charset=utf-8");
	}
	const struct srv_monitor_asset *a = srv_monitor_asset(url);
	if (!a)
		return send_text(m, c, MHD_HTTP_NOT_FOUND, "404 not found\n");
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
	if (r && strncmp(a->mime, "text/html", 9) == 0)
		/* the page's script fetches from other monitors (connect-src), loads nothing else */
		MHD_add_response_header(r, "Content-Security-Policy",
		                        "default-src 'self'; connect-src *; img-src 'self' data:; "
		                        "frame-ancestors 'none'");
	return answer(m, c, MHD_HTTP_OK, r, a->mime);
}

/* ---- start and stop ---------------------------------------------------------------------------- */

static void free_mon(struct srv_monitor *m)
{
	if (m->d)
		MHD_stop_daemon(m->d);
	if (m->key) {
		rp_wipe(m->key, m->key_len);
		free(m->key);
	}
	free(m->cert);
	free(m->ca);
	if (m->trust)
		auth_trust_free(m->trust);
	free(m);
}

int srv_monitor_start(struct srv *s, char *err, size_t errlen)
{
	const struct conf *cf = s->boot;
	if (!cf->monitor_listen.family)
		return 0; /* off: no socket, no handle, nothing on the loop */
	struct srv_monitor *m = calloc(1, sizeof *m);
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	m->s = s;
	size_t len;
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	if (cf->monitor_certificate[0]) {
		if (slurp(cf->monitor_certificate, &m->cert, &len, err, errlen) ||
		    slurp(cf->monitor_private_key, &m->key, &m->key_len, err, errlen))
			goto fail;
		m->tls = true;
		flags |= MHD_USE_TLS;
	}
	if (cf->monitor_ca[0]) {
		m->trust = auth_trust_new();
		int rc = m->trust ? auth_trust_add_ca_file(m->trust, cf->monitor_ca) : -ENOMEM;
		if (rc <= 0) {
			snprintf(err, errlen, "monitor.ca: %s: no CA certificate loaded (%s)", cf->monitor_ca,
			         strerror(-rc));
			goto fail;
		}
		if (slurp(cf->monitor_ca, &m->ca, &len, err, errlen))
			goto fail;
	}
	struct sockaddr_storage ss;
	srv_sockaddr(&cf->monitor_listen, cf->monitor_listen.port, &ss);
	if (cf->monitor_listen.family == 6)
		flags |= MHD_USE_IPv6;
	struct MHD_OptionItem tls_opts[] = {
	    {MHD_OPTION_HTTPS_MEM_CERT, 0, m->cert},
	    {MHD_OPTION_HTTPS_MEM_KEY, 0, m->key},
	    /* names the CA in the CertificateRequest: GnuTLS asks for, but does not itself check,
	     * a client certificate; check_client does, on every request */
	    {m->ca ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0, m->ca},
	    {MHD_OPTION_END, 0, NULL},
	};
	m->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, m, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	                        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, m, MHD_OPTION_CONNECTION_LIMIT, 64u,
	                        MHD_OPTION_PER_IP_CONNECTION_LIMIT, 16u, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
	                        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768, MHD_OPTION_ARRAY,
	                        m->tls ? tls_opts : tls_opts + 3, MHD_OPTION_END);
	char a[RP_ADDR_STRLEN];
	if (!m->d) {
		snprintf(err, errlen, "monitor.listen %s: cannot serve there (address in use or not local?)",
		         rp_addr_str(&cf->monitor_listen, a, sizeof a));
		goto fail;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_EPOLL_FD);
	if (!di || di->epoll_fd < 0) {
		snprintf(err, errlen, "monitor: libmicrohttpd has no epoll descriptor");
		goto fail;
	}
	uv_poll_init(&s->loop, &m->poll, di->epoll_fd);
	m->poll.data = m;
	uv_poll_start(&m->poll, UV_READABLE, on_poll);
	uv_timer_init(&s->loop, &m->timer);
	m->timer.data = m;
	s->mon = m;
	rp_logf(&s->log, RP_LOG_NOTICE, "monitor", "IP Security Monitor on %s://%s/%s",
	        m->tls ? "https" : "http", rp_addr_str(&cf->monitor_listen, a, sizeof a),
	        m->trust ? " (client certificates required)" : "");
	return 0;
fail:
	free_mon(m);
	return -1;
}

void srv_monitor_free(struct srv *s)
{
	if (!s->mon)
		return;
	free_mon(s->mon); /* the poll and timer handles were closed with the loop's others */
	s->mon = NULL;
}

void srv_monitor_counts(struct srv *s, uint64_t *requests, uint64_t *refused)
{
	*requests = s->mon ? s->mon->requests : 0;
	*refused = s->mon ? s->mon->refused : 0;
}
