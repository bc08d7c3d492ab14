/* rp_log: diagnostics levels as netsh's ipsecdiagnostics, and drop lines that cannot flood. */
#include <stdio.h>
#include <string.h>

#include "rp_base.h"

#define RP_LOG_LINE 512

static const char *const lvlnames[] = {"off", "error", "drop", "warn", "info", "packet", "detail", "trace", "notice"};

const char *rp_log_lvlname(int level)
{
	if (level < 0 || level > RP_LOG_NOTICE)
		return "?";
	return lvlnames[level];
}

void rp_log_stderr_sink(void *ctx, int level, const char *module, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s %s: %s\n", rp_log_lvlname(level), module, msg);
}

void rp_log_init(struct rp_log *lg, int level, rp_log_sink sink, void *ctx)
{
	memset(lg, 0, sizeof *lg);
	lg->level = level;
	lg->interval_s = 3600;
	lg->burst = 5;
	lg->sink = sink ? sink : rp_log_stderr_sink;
	lg->sink_ctx = ctx;
}

bool rp_log_on(const struct rp_log *lg, int level)
{
	if (level == RP_LOG_NOTICE)
		level = RP_LOG_ERR;
	return lg && level > 0 && level <= lg->level;
}

static void vemit(struct rp_log *lg, int level, const char *module, const char *fmt, va_list ap)
{
	char line[RP_LOG_LINE];
	vsnprintf(line, sizeof line, fmt, ap);
	lg->sink(lg->sink_ctx, level, module, line);
}

void rp_logf(struct rp_log *lg, int level, const char *module, const char *fmt, ...)
{
	if (!rp_log_on(lg, level))
		return;
	va_list ap;
	va_start(ap, fmt);
	vemit(lg, level, module, fmt, ap);
	va_end(ap);
}

void rp_log_ike(struct rp_log *lg, const char *fmt, ...)
{
	if (!lg || !(lg->ikelogging || lg->level >= RP_LOG_DETAIL))
		return;
	va_list ap;
	va_start(ap, fmt);
	vemit(lg, RP_LOG_DETAIL, "ike", fmt, ap);
	va_end(ap);
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

void rp_log_drop(struct rp_log *lg, uint64_t now_ms, const char *module, const struct rp_addr *peer,
		 const char *reason, const char *fmt, ...)
{
	if (!rp_log_on(lg, RP_LOG_DROP))
		return;
	uint64_t key = fnv1a(0xcbf29ce484222325ull, module, strlen(module));
	key = fnv1a(key, reason, strlen(reason));
	if (peer)
		key = fnv1a(key, peer->ip, sizeof peer->ip);
	struct rp_log_rl *s = &lg->rl[key % RP_LOG_RL_SLOTS];
	uint64_t window = (uint64_t)(lg->interval_s ? lg->interval_s : 60) * 1000u;
	char line[RP_LOG_LINE], who[RP_ADDR_STRLEN] = "-";

	if (s->key != key || now_ms - s->window_start_ms >= window || now_ms < s->window_start_ms) {
		if (s->suppressed) {
			snprintf(line, sizeof line, "%u similar drop lines suppressed", s->suppressed);
			lg->sink(lg->sink_ctx, RP_LOG_DROP, module, line);
		}
		s->key = key;
		s->window_start_ms = now_ms;
		s->emitted = s->suppressed = 0;
	}
	if (s->emitted >= lg->burst) {
		s->suppressed++;
		lg->total_suppressed++;
		return;
	}
	s->emitted++;
	if (peer)
		rp_addr_str(peer, who, sizeof who);
	int n = snprintf(line, sizeof line, "drop from %s: %s", who, reason);
	if (fmt && n > 0 && (size_t)n < sizeof line) {
		line[n++] = ' ';
		line[n] = 0;
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
		va_end(ap);
	}
	lg->sink(lg->sink_ctx, RP_LOG_DROP, module, line);
}
