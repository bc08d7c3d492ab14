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

static const char hexd[] = "0123456789abcdef";

const char *rp_esc(const void *in, size_t len, char *out, size_t n)
{
	const uint8_t *p = in;
	size_t k = 0;
	if (!n)
		return out;
	for (size_t i = 0; p && i < len; i++) {
		uint8_t c = p[i];
		if (c == '\\' || c == '"') {
			if (k + 2 >= n)
				break;
			out[k++] = '\\';
			out[k++] = (char)c;
		} else if (c >= 0x20 && c < 0x7f) {
			if (k + 1 >= n)
				break;
			out[k++] = (char)c;
		} else {
			if (k + 4 >= n)
				break;
			out[k++] = '\\';
			out[k++] = 'x';
			out[k++] = hexd[c >> 4];
			out[k++] = hexd[c & 15];
		}
	}
	out[k] = 0;
	return out;
}

const char *rp_escs(const char *in, char *out, size_t n)
{
	return rp_esc(in, in ? strlen(in) : 0, out, n);
}

void rp_log_budget(struct rp_log *lg, unsigned lines, uint64_t interval_ms, uint64_t (*clock)(void *ctx),
                   void *ctx)
{
	lg->budget = lines;
	lg->budget_ms = interval_ms ? interval_ms : 10000;
	lg->clock = clock;
	lg->clock_ctx = ctx;
	if (clock && !lg->b_start)
		lg->b_start = clock(ctx);
}

/* A new interval: the last one's suppressed lines are told in one line, outside the budget. */
static void budget_roll(struct rp_log *lg, uint64_t now)
{
	if (lg->b_supp) {
		char line[160];
		snprintf(line, sizeof line,
		         "%u log lines suppressed (%u of them errors) in %llu s: over log.line_budget %u",
		         lg->b_supp, lg->b_supp_err, (unsigned long long)(now - lg->b_start) / 1000,
		         lg->budget);
		lg->sink(lg->sink_ctx, RP_LOG_WARN, "log", line);
	}
	lg->b_start = now;
	lg->b_used = lg->b_supp = lg->b_supp_err = 0;
}

/* The interval rolls over (its summary line out) once budget_ms have passed. */
static void budget_tick(struct rp_log *lg, uint64_t now)
{
	if (now - lg->b_start >= lg->budget_ms || now < lg->b_start)
		budget_roll(lg, now);
}

void rp_log_flush(struct rp_log *lg)
{
	if (lg->budget && lg->clock)
		budget_tick(lg, lg->clock(lg->clock_ctx));
}

/* Whether the budget lets this line out. Errors (and lifecycle notices) may use the whole
 * budget, other lines nine tenths of it: a flood of drop or warning lines cannot hide the error
 * that explains it. */
static bool budget_ok(struct rp_log *lg, int level)
{
	if (!lg->budget || !lg->clock)
		return true;
	budget_tick(lg, lg->clock(lg->clock_ctx));
	bool err = level == RP_LOG_ERR || level == RP_LOG_NOTICE;
	unsigned cap = err ? lg->budget : lg->budget - lg->budget / 10;
	if (lg->b_used < cap) {
		lg->b_used++;
		return true;
	}
	lg->b_supp++;
	lg->b_supp_err += err;
	lg->budget_suppressed++;
	return false;
}

/* The last line of defence: whatever a caller forgot to escape, a control character never
 * reaches a sink (syslog, a terminal, a file read line by line) as itself. Lines without one
 * (all of them, when every peer string went through rp_esc) are passed on untouched. */
static void emit(struct rp_log *lg, int level, const char *module, const char *line)
{
	if (!budget_ok(lg, level))
		return;
	const char *p = line;
	while (*p && (uint8_t)*p >= 0x20 && *p != 0x7f)
		p++;
	if (!*p) {
		lg->sink(lg->sink_ctx, level, module, line);
		return;
	}
	char safe[RP_LOG_LINE];
	size_t k = 0;
	for (p = line; *p; p++) {
		uint8_t c = (uint8_t)*p;
		if (c >= 0x20 && c != 0x7f) {
			if (k + 1 >= sizeof safe)
				break;
			safe[k++] = (char)c;
		} else {
			if (k + 4 >= sizeof safe)
				break;
			safe[k++] = '\\';
			safe[k++] = 'x';
			safe[k++] = hexd[c >> 4];
			safe[k++] = hexd[c & 15];
		}
	}
	safe[k] = 0;
	lg->sink(lg->sink_ctx, level, module, safe);
}

static void vemit(struct rp_log *lg, int level, const char *module, const char *fmt, va_list ap)
{
	char line[RP_LOG_LINE];
	vsnprintf(line, sizeof line, fmt, ap);
	emit(lg, level, module, line);
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

bool rp_log_drop(struct rp_log *lg, uint64_t now_ms, const char *module, const struct rp_addr *peer,
		 const char *reason, const char *fmt, ...)
{
	if (!rp_log_on(lg, RP_LOG_DROP))
		return false;
	uint64_t key = fnv1a(0xcbf29ce484222325ull, module, strlen(module));
	key = fnv1a(key, reason, strlen(reason));
	if (peer)
		key = fnv1a(key, peer->ip, sizeof peer->ip);
	struct rp_log_rl *s = &lg->rl[key % RP_LOG_RL_SLOTS];
	uint64_t window = (uint64_t)(lg->interval_s ? lg->interval_s : 60) * 1000u;
	char line[RP_LOG_LINE], who[RP_ADDR_STRLEN] = "-";

	/* A slot is reset only when its window has passed. A different key landing on a busy slot
	 * shares its burst: resetting on collision let reasons or peers that alternate between two
	 * keys of one slot write every line. */
	if ((!s->emitted && !s->suppressed) || now_ms - s->window_start_ms >= window ||
	    now_ms < s->window_start_ms) {
		if (s->suppressed) {
			snprintf(line, sizeof line, "%u similar drop lines suppressed", s->suppressed);
			emit(lg, RP_LOG_DROP, module, line);
		}
		s->key = key;
		s->window_start_ms = now_ms;
		s->emitted = s->suppressed = 0;
	}
	if (s->emitted >= lg->burst) {
		s->suppressed++;
		lg->total_suppressed++;
		return false;
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
	emit(lg, RP_LOG_DROP, module, line);
	return true;
}
