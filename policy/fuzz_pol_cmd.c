/* netsh command lines as rampartctl and the control socket pass them: each input line is split
 * and run (static or dynamic) against one policy set, which is then shown, matched against peers
 * and compiled for the data path. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "policy.h"

static void sink(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

static int resolve(void *ctx, const char *name, uint32_t *ips, size_t max)
{
	(void)ctx;
	if (!max || !name[0])
		return 0;
	ips[0] = (uint32_t)name[0] << 24 | 1;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pol_set s;
	struct pol_env env = {
	    .me = {0xc6120001}, .nme = 1, .dns = {0x08080808}, .ndns = 1, .resolve = resolve};
	pol_set_init(&s);
	char line[1024];
	size_t off = 0;
	while (off < size) {
		size_t n = 0;
		while (off < size && data[off] != '\n' && n < sizeof line - 1)
			line[n++] = (char)data[off++];
		off++;
		line[n] = 0;
		if (strlen(line) != n)
			continue; /* an embedded NUL cannot come through argv or the control socket */
		char *argv[24], err[256];
		int argc = pol_split(line, argv, 24);
		bool changed;
		if (argc > 0)
			(void)pol_cmd_run(&s, argc, argv, strcmp(argv[0], "dynamic") ? 0 : POL_CMD_DYNAMIC,
			                  sink, NULL, &changed, err, sizeof err);
	}
	pol_show_all(&s, 7, sink, NULL);
	pol_show_config(&s, sink, NULL);
	struct pol_match m;
	for (uint32_t peer = 0xc6120000; peer < 0xc6120000 + 512; peer += 37)
		(void)pol_match_peer(&s, &env, peer, &m);
	struct pol_dp *dp = pol_dp_compile(&s, &env);
	struct pol_dp_pkt p = {.src = 0x64730a0a, .dst = 0xc6120505, .proto = 6, .sport = 1000, .dport = 80};
	const char *rule;
	for (int i = 0; i < 64; i++, p.dst += 0x01010101u, p.proto ^= 23)
		(void)pol_dp_permit(dp, &p, i & 1 ? "staff" : "", &rule);
	(void)pol_boot_permit(&s, &p, true, false);
	pol_dp_free(dp);
	pol_set_free(&s);
	return 0;
}
