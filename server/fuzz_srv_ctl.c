/* libFuzzer target: whole control requests through rampartd's handler (srv_ctl_request), not
 * only the codec: show/json/disconnect/set/reload against a daemon built without sockets
 * (srv_new_detached), with reloads of fuzzed configuration files in between. Input: records of
 * [len][request line], or [0xff][len][a new rampart.conf] followed by a reload. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "srv_local.h"

static char dir[64], conf_path[96];

static const char base_conf[] = "[server]\n"
                                "listen = 127.0.0.1\n"
                                "tun_address = 198.18.5.1/24\n"
                                "state_dir = %s/state\n"
                                "control_socket = %s/ctl.sock\n"
                                "[log]\n"
                                "ipsecdiagnostics = 7\n"
                                "[ike]\n"
                                "psk = fuzz-psk\n"
                                "[l2tp]\n"
                                "allow_plain = yes\n"
                                "[pool]\n"
                                "range = 198.18.5.10-198.18.5.20\n";

static void quiet(void *ctx, int level, const char *module, const char *msg)
{
	(void)ctx;
	(void)level;
	(void)module;
	(void)msg;
}

static void write_file(const char *text, size_t n)
{
	FILE *f = fopen(conf_path, "w");
	if (!f)
		abort();
	fwrite(text, 1, n, f);
	fclose(f);
	chmod(conf_path, 0600);
}

static void request(struct srv *s, const char *line, size_t n)
{
	struct srv_ctl_req r = {.s = s};
	srv_ctl_request(&r, line, n, false);
	/* every answer ends with exactly one "+ok" or "!reason" line */
	if (!r.out || r.outlen == 0 || (r.out[r.outlen - 1] != '\n'))
		abort();
	free(r.out);
}

static void cleanup(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "fuzz_srv_ctl: could not remove %s\n", dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dir[0]) {
		snprintf(dir, sizeof dir, "/tmp/fuzz_srv_ctl.%d", (int)getpid());
		mkdir(dir, 0700);
		atexit(cleanup);
		snprintf(conf_path, sizeof conf_path, "%s/rampart.conf", dir);
	}
	char text[1024];
	int tl = snprintf(text, sizeof text, base_conf, dir, dir);
	write_file(text, (size_t)tl);
	char err[512];
	struct conf *c = srv_load_conf(conf_path, err, sizeof err);
	if (!c)
		abort();
	struct srv *s = srv_new_detached(c, conf_path, err, sizeof err);
	if (!s)
		abort();
	srv_set_log_sink(s, quiet, NULL);
	size_t i = 0;
	for (int ops = 0; ops < 32 && i < size; ops++) {
		uint8_t op = data[i++];
		if (op == 0xff && i < size) {
			size_t n = data[i++];
			if (n > size - i)
				n = size - i;
			write_file((const char *)data + i, n);
			i += n;
			request(s, "reload", 6);
			continue;
		}
		size_t n = op > size - i ? size - i : op;
		request(s, (const char *)data + i, n);
		i += n;
	}
	srv_free(s);
	return 0;
}
