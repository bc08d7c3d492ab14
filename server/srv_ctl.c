/* The control socket: one request line per connection, answered with "- " body lines and a final
 * "+ok" or "!reason" (etc/ctl.c has the codec). The socket is 0600 for root; with [server] user it
 * becomes 0660 for that user and its group (srv_ctl_hand_over), so operators in the group can connect. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "srv_json.h"
#include "srv_local.h"
#include "srv_policy.h"
#include "srv_radius.h"

struct ctl_conn {
	uv_pipe_t h;
	struct srv_ctl_req r; /* first: the handler's functions see only this */
	char in[CTL_LINE];
	size_t inlen;
	bool answered;
};

static void out_add(struct srv_ctl_req *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_add(struct srv_ctl_req *c, const char *fmt, ...)
{
	va_list ap;
	if (!c->out) { /* vsnprintf(NULL + 0, 0, ...) would be arithmetic on a null pointer */
		c->out = malloc(256);
		if (!c->out)
			return;
		c->outcap = 256;
	}
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(c->out + c->outlen, c->outcap - c->outlen, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < c->outcap - c->outlen) {
			c->outlen += (size_t)n;
			return;
		}
		size_t cap = (c->outcap + (size_t)n + 1) * 2;
		char *nb = realloc(c->out, cap);
		if (!nb)
			return;
		c->out = nb;
		c->outcap = cap;
	}
}

/* Body text may hold several lines: each becomes a "- " line. */
static void out_body(struct srv_ctl_req *c, const char *text)
{
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) : strlen(text);
		out_add(c, "- %.*s\n", (int)n, text);
		text += n + (nl ? 1 : 0);
	}
}

static void show_line(void *ctx, const char *text)
{
	out_add(ctx, "- %s\n", text);
}

void srv_ctl_line(void *r, const char *text)
{
	out_add(r, "- %s\n", text);
}

void srv_ctl_finish(struct srv_ctl_req *r, const char *err)
{
	if (err)
		out_add(r, "!%s\n", err);
	else
		out_add(r, "+ok\n");
	r->deferred = false;
	if (r->done)
		r->done(r);
}

/* "radius test USER PASSWORD": one Access-Request from the running daemon, answered when the
 * server answers or the retries are spent (srv_radius_test). */
static const char *radius_test(struct srv_ctl_req *c, const char *user, const char *pw)
{
	static char err[256];
	if (!c->done)
		return "radius test needs a control connection to wait on";
	if (srv_radius_test(c->s, user, pw, c, err, sizeof err))
		return err;
	c->deferred = true;
	return NULL;
}

/* The values in force: a key read only at start shows the value it started with, and the file's
 * newer one as pending. Secrets are masked. */
static void show_config(struct srv_ctl_req *c)
{
	struct srv *s = c->s;
	char v[1024], nv[1024];
	for (size_t i = 0; i < conf_key_count(); i++) {
		bool pending = conf_key_needs_restart(i) && conf_key_differs(s->boot, s->conf, i);
		conf_key_format(pending ? s->boot : s->conf, i, v, sizeof v);
		if (pending) {
			conf_key_format(s->conf, i, nv, sizeof nv);
			out_add(c, "- %s.%s = %s (pending restart: %s)\n", conf_key_section(i),
			        conf_key_name(i), v, nv);
		} else {
			out_add(c, "- %s.%s = %s\n", conf_key_section(i), conf_key_name(i), v);
		}
	}
}

static const char *prop_value(int argc, char **argv, const char *name)
{
	size_t n = strlen(name);
	for (int i = 0; i < argc; i++)
		if (strncasecmp(argv[i], name, n) == 0 && argv[i][n] == '=')
			return argv[i] + n + 1;
	return NULL;
}

/* "ipsec dynamic set config property=P value=V": netsh's spelling. Runtime only until the
 * persistent store exists; a reload returns to the file's values. */
static const char *set_config(struct srv *s, int argc, char **argv)
{
	const char *prop = prop_value(argc, argv, "property"), *val = prop_value(argc, argv, "value");
	char *end;
	if (!prop || !val)
		return "usage: ipsec dynamic set config property=NAME value=VALUE";
	long v = strtol(val, &end, 10);
	if (*end || end == val)
		return "value must be a number";
	if (strcasecmp(prop, "ipsecdiagnostics") == 0) {
		if (v < 0 || v > 7)
			return "ipsecdiagnostics is 0-7";
		s->log.level = (int)v;
	} else if (strcasecmp(prop, "ikelogging") == 0) {
		if (v != 0 && v != 1)
			return "ikelogging is 0 or 1";
		s->log.ikelogging = v;
	} else if (strcasecmp(prop, "ipsecloginterval") == 0) {
		if (v < 60 || v > 86400)
			return "ipsecloginterval is 60-86400";
		s->log.interval_s = (unsigned)v;
		uv_timer_start(&s->summary, s->summary.timer_cb, (uint64_t)v * 1000u, (uint64_t)v * 1000u);
	} else {
		return "unknown property (ipsecdiagnostics, ikelogging, ipsecloginterval)";
	}
	rp_logf(&s->log, RP_LOG_INFO, "ctl", "set %s = %ld", prop, v);
	return NULL;
}

static const char *handle(struct srv_ctl_req *c, int argc, char **argv)
{
	struct srv *s = c->s;
#define IS(i, w) (argc > (i) && strcasecmp(argv[i], (w)) == 0)
	if (argc == 3 && IS(0, "json") && IS(1, "show")) {
		json_t *doc = IS(2, "sas")      ? srv_json_sas(s)
		              : IS(2, "stats")  ? srv_json_stats(s)
		              : IS(2, "config") ? srv_json_config(s)
		                                : NULL;
		if (!doc)
			return "usage: json show sas|stats|config";
		char *txt = json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII); /* one line: one body line */
		json_decref(doc);
		if (!txt)
			return "out of memory";
		out_add(c, "- %s\n", txt);
		free(txt);
		return NULL;
	}
	if (argc == 2 && IS(0, "show") && IS(1, "config")) {
		show_config(c);
		return NULL;
	}
	if (argc == 2 && IS(0, "show") && IS(1, "stats")) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		if (!f)
			return "out of memory";
		disp_print(&s->disp, f);
		fprintf(
		    f,
		    "udp sent: %llu datagrams in %llu sendmmsg batches, %llu GSO sends; %llu sent in place "
		    "from the TUN's buffer, %llu copied into a send slot (%s)\n",
		    (unsigned long long)s->tx_datagrams, (unsigned long long)s->tx_batches,
		    (unsigned long long)s->tx_gso_sends, (unsigned long long)s->tx_inplace,
		    (unsigned long long)s->tx_copied, s->offloads);
		fprintf(f, "udp received: %llu GRO batches (%s)\n", (unsigned long long)s->rx_gro_batches,
		        s->offloads_gro);
		fprintf(
		    f, "tun: %llu packets cut from segmentation offload reads, %llu written coalesced (%s)\n",
		    (unsigned long long)s->tun_gso_segments, (unsigned long long)s->tun_coalesced,
		    s->offloads_tun);
		srv_core_print_stats(s, f);
		fclose(f);
		out_body(c, buf);
		free(buf);
		return NULL;
	}
	if (argc == 2 && IS(0, "show") && IS(1, "sas")) {
		srv_core_show_sas(s, show_line, c);
		return NULL;
	}
	if (argc == 1 && IS(0, "reload")) {
		static char err[512];
		srv_notify("RELOADING=1");
		int rc = srv_reload(s, "rampartctl", show_line, c, err, sizeof err);
		srv_notify("READY=1");
		return rc ? err : NULL;
	}
	if (argc == 2 && IS(0, "disconnect")) {
		static char err[256];
		return srv_core_disconnect(s, argv[1], show_line, c, err, sizeof err) ? err : NULL;
	}
	if (argc == 4 && IS(0, "radius") && IS(1, "test"))
		return radius_test(c, argv[2], argv[3]);
	if (IS(0, "ipsec") && IS(1, "dynamic") && IS(2, "show") && IS(3, "config")) {
		out_add(c, "- ipsecdiagnostics = %d\n- ikelogging = %d\n- ipsecloginterval = %u\n",
		        s->log.level, s->log.ikelogging, s->log.interval_s);
		srv_policy_show_config(s, show_line, c);
		return NULL;
	}
	if ((IS(0, "ipsec") && IS(1, "model")) || (IS(0, "json") && IS(1, "ipsec") && IS(2, "model"))) {
		static char perr[256];
		bool json = IS(0, "json");
		return srv_policy_model(s, argc - (json ? 2 : 1), argv + (json ? 2 : 1), json, show_line, c,
		                        perr, sizeof perr)
		           ? perr
		           : NULL;
	}
	if (IS(0, "ipsec") && IS(1, "dynamic")) {
		static char perr[512];
		int rc = srv_policy_ctl(s, argc, argv, show_line, c, perr, sizeof perr);
		if (rc < 0)
			return perr;
		if (rc == 0)
			return NULL;
	}
	if (IS(0, "ipsec") && IS(1, "dynamic") && IS(2, "set") && IS(3, "config"))
		return set_config(s, argc - 4, argv + 4);
#undef IS
	return "unknown command (show config | show stats | show sas | reload | disconnect WHO | "
	       "radius test USER PASSWORD | ipsec dynamic show config | "
	       "ipsec dynamic set config property=P value=V)";
}

/* One request line: the answer ("- " body lines, then "+ok" or "!reason") goes to r->out. */
void srv_ctl_request(struct srv_ctl_req *r, const char *line, size_t len, bool too_long)
{
	char store[CTL_LINE], *argv[CTL_MAX_ARGS];
	const char *err = NULL;
	int argc = too_long ? 0 : ctl_split(line, len, store, argv);
	if (too_long)
		err = "request line too long";
	else if (argc < 0)
		err = "malformed request (unbalanced quotes or too many words)";
	else if (argc == 0)
		err = "empty request";
	else {
		rp_logf(&r->s->log, RP_LOG_DETAIL, "ctl", "request: %s", argv[0]);
		err = handle(r, argc, argv);
	}
	if (err)
		out_add(r, "!%s\n", err);
	else if (!r->deferred)
		out_add(r, "+ok\n");
}

static void conn_closed(uv_handle_t *h)
{
	struct ctl_conn *c = h->data;
	if (c->r.deferred) /* closed by the daemon's stop while a RADIUS server was being asked */
		srv_radius_test_cancel(c->r.s, &c->r);
	free(c->r.out);
	free(c);
}

static void written(uv_write_t *w, int status)
{
	struct ctl_conn *c = w->data;
	if (status < 0) /* EPIPE: the client left before reading (SIGPIPE is ignored, see srv_new) */
		rp_logf(&c->r.s->log, RP_LOG_DETAIL, "ctl", "answer not delivered: %s", uv_strerror(status));
	free(w);
	uv_close((uv_handle_t *)&c->h, conn_closed);
}

static void answer(struct ctl_conn *c)
{
	c->answered = true;
	uv_read_stop((uv_stream_t *)&c->h);
	uv_write_t *w = malloc(sizeof *w);
	if (!w || !c->r.out) {
		free(w);
		uv_close((uv_handle_t *)&c->h, conn_closed);
		return;
	}
	w->data = c;
	uv_buf_t b = uv_buf_init(c->r.out, (unsigned)c->r.outlen);
	if (uv_write(w, (uv_stream_t *)&c->h, &b, 1, written)) {
		free(w);
		uv_close((uv_handle_t *)&c->h, conn_closed);
	}
}

static void conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct ctl_conn *c = h->data;
	(void)suggested;
	buf->base = c->in + c->inlen;
	buf->len = sizeof c->in - c->inlen;
}

static void conn_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct ctl_conn *c = st->data;
	(void)buf;
	if (c->answered)
		return;
	if (n < 0) {
		uv_close((uv_handle_t *)&c->h, conn_closed);
		return;
	}
	c->inlen += (size_t)n;
	char *nl = memchr(c->in, '\n', c->inlen);
	if (!nl && c->inlen < sizeof c->in)
		return; /* the rest of the line is still to come */
	srv_ctl_request(&c->r, c->in, nl ? (size_t)(nl - c->in) : c->inlen, !nl);
	if (c->r.deferred) { /* answer() runs from srv_ctl_finish */
		c->answered = true;
		uv_read_stop(st);
		return;
	}
	answer(c);
}

static void conn_done(struct srv_ctl_req *r)
{
	answer((struct ctl_conn *)((char *)r - offsetof(struct ctl_conn, r)));
}

static void on_connection(uv_stream_t *server, int status)
{
	struct srv *s = server->data;
	if (status < 0)
		return;
	struct ctl_conn *c = calloc(1, sizeof *c);
	if (!c)
		return;
	c->r.s = s;
	c->r.done = conn_done;
	uv_pipe_init(&s->loop, &c->h, 0);
	c->h.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->h)) {
		uv_close((uv_handle_t *)&c->h, conn_closed);
		return;
	}
	uv_read_start((uv_stream_t *)&c->h, conn_alloc, conn_read);
}

int srv_ctl_start(struct srv *s, char *err, size_t errlen)
{
	const char *path = s->boot->control_socket;
	char dir[sizeof s->boot->control_socket];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		/* remembered: a directory we made is ours to hand to the service user */
		s->ctl_dir_made = mkdir(dir, 0755) == 0;
	}
	/* A socket file left by a crashed daemon: refuse if something still answers, else replace. */
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sun.sun_path) {
		snprintf(err, errlen, "control socket path too long: %s", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&sun, sizeof sun) == 0) {
		close(probe);
		snprintf(err, errlen, "another rampartd answers on %s", path);
		return -1;
	}
	if (probe >= 0)
		close(probe);
	unlink(path);
	uv_pipe_init(&s->loop, &s->ctl, 0);
	s->ctl.data = s;
	mode_t old = umask(0177);
	int rc = uv_pipe_bind(&s->ctl, path);
	umask(old);
	if (!rc)
		rc = uv_listen((uv_stream_t *)&s->ctl, 8, on_connection);
	if (rc) {
		snprintf(err, errlen, "cannot listen on control socket %s: %s", path, uv_strerror(rc));
		return -1;
	}
	s->ctl_open = true;
	return 0;
}

int srv_ctl_hand_over(struct srv *s, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	const char *path = s->conf->control_socket;
	/* 0660 and the service user's group: the socket is the only way in, so membership of that
	 * group is what makes an operator. */
	if (chown(path, uid, gid) || chmod(path, 0660)) {
		snprintf(err, errlen, "cannot hand the control socket %s over: %s", path, strerror(errno));
		return -1;
	}
	if (s->ctl_dir_made) {
		/* The daemon unlinks the socket at stop, as the service user: that needs the directory.
		 * A directory that already existed (systemd's RuntimeDirectory, /tmp) is left alone. */
		char dir[sizeof s->conf->control_socket];
		snprintf(dir, sizeof dir, "%s", path);
		*strrchr(dir, '/') = 0;
		if (chown(dir, uid, gid) || chmod(dir, 0750)) {
			snprintf(err, errlen, "cannot hand %s over: %s", dir, strerror(errno));
			return -1;
		}
	}
	return 0;
}
