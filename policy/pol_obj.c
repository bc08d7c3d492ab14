/* The policy object model and its words (netsh's spellings of addresses, masks, protocols, methods). */
#include "pol_local.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *pol_store_name(enum pol_store s)
{
	static const char *const n[] = {"persistent", "local", "dynamic"};
	return (unsigned)s < POL_NSTORES ? n[s] : "?";
}

const char *pol_action_name(enum pol_action a)
{
	static const char *const n[] = {"permit", "block", "negotiate"};
	return (unsigned)a <= POL_NEGOTIATE ? n[a] : "?";
}

const char *pol_bootmode_name(enum pol_bootmode m)
{
	static const char *const n[] = {"stateful", "block", "permit"};
	return (unsigned)m <= POL_BOOT_PERMIT ? n[m] : "?";
}

void pol_set_init(struct pol_set *s)
{
	memset(s, 0, sizeof *s);
	s->location = POL_LOCAL;
	s->bootmode = POL_BOOT_STATEFUL;
}


void pol_set_clear_store(struct pol_set *s, enum pol_store st)
{
	size_t j = 0;
	for (size_t i = 0; i < s->nfl; i++)
		if (s->fl[i].store == st)
			free(s->fl[i].f);
		else
			s->fl[j++] = s->fl[i];
	s->nfl = j;
#define KEEP(arr, cnt)                                                                                       \
	do {                                                                                                 \
		size_t k = 0;                                                                                \
		for (size_t i = 0; i < s->cnt; i++)                                                          \
			if (s->arr[i].store != st)                                                           \
				s->arr[k++] = s->arr[i];                                                     \
		s->cnt = k;                                                                                  \
	} while (0)
	KEEP(fa, nfa);
	KEEP(pol, npol);
	for (size_t i = 0; i < s->nrule; i++)
		if (s->rule[i].store == st)
			rp_wipe(s->rule[i].psk, sizeof s->rule[i].psk);
	KEEP(rule, nrule);
#undef KEEP
}

void pol_set_free(struct pol_set *s)
{
	for (int st = 0; st < POL_NSTORES; st++)
		pol_set_clear_store(s, st);
	free(s->fl);
	free(s->fa);
	free(s->pol);
	free(s->rule);
	pol_set_init(s);
}

/* Appends n elements of size sz to *arr (count *cnt). */
static int grow(void **arr, size_t *cnt, size_t sz, const void *src, size_t n)
{
	if (!n)
		return 0;
	void *p = realloc(*arr, (*cnt + n) * sz);
	if (!p)
		return -ENOMEM;
	memcpy((char *)p + *cnt * sz, src, n * sz);
	*arr = p;
	*cnt += n;
	return 0;
}

int pol_set_copy_store(struct pol_set *dst, const struct pol_set *src, enum pol_store st)
{
	pol_set_clear_store(dst, st);
	for (size_t i = 0; i < src->nfl; i++) {
		if (src->fl[i].store != st)
			continue;
		struct pol_filterlist l = src->fl[i];
		l.f = NULL;
		if (src->fl[i].n && !(l.f = malloc(src->fl[i].n * sizeof *l.f)))
			return -ENOMEM;
		if (l.n)
			memcpy(l.f, src->fl[i].f, l.n * sizeof *l.f);
		if (grow((void **)&dst->fl, &dst->nfl, sizeof l, &l, 1)) {
			free(l.f);
			return -ENOMEM;
		}
	}
#define COPY(arr, cnt)                                                                                       \
	for (size_t i = 0; i < src->cnt; i++)                                                                \
		if (src->arr[i].store == st &&                                                               \
		    grow((void **)&dst->arr, &dst->cnt, sizeof src->arr[i], &src->arr[i], 1))                \
			return -ENOMEM;
	COPY(fa, nfa)
	COPY(pol, npol)
	COPY(rule, nrule)
#undef COPY
	return 0;
}

int pol_set_append(struct pol_set *s, int kind, const void *obj)
{
	switch (kind) {
	case 0:
		return grow((void **)&s->fl, &s->nfl, sizeof *s->fl, obj, 1);
	case 1:
		return grow((void **)&s->fa, &s->nfa, sizeof *s->fa, obj, 1);
	case 2:
		return grow((void **)&s->pol, &s->npol, sizeof *s->pol, obj, 1);
	default:
		return grow((void **)&s->rule, &s->nrule, sizeof *s->rule, obj, 1);
	}
}

int pol_filter_append(struct pol_filterlist *l, const struct pol_filter *f)
{
	return grow((void **)&l->f, &l->n, sizeof *f, f, 1);
}

/* ---- words ---------------------------------------------------------------------------------- */

static bool dns_name_ok(const char *s)
{
	size_t n = strlen(s), label = 0;
	if (!n || n > 253 || s[0] == '.' || s[0] == '-')
		return false;
	bool alpha = false;
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			if (!label)
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return false;
		if (isalpha((unsigned char)*p))
			alpha = true;
		if (++label > 63)
			return false;
	}
	return alpha; /* all digits and dots would be a malformed address, not a name */
}

int pol_addr_parse(const char *s, struct pol_addr *a)
{
	static const struct {
		const char *w;
		enum pol_addr_kind k;
	} words[] = {{"any", POL_A_ANY},       {"me", POL_A_ME},         {"dns", POL_A_SRV_DNS},
	             {"wins", POL_A_SRV_WINS}, {"dhcp", POL_A_SRV_DHCP}, {"gateway", POL_A_SRV_GATEWAY}};
	memset(a, 0, sizeof *a);
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (!strcasecmp(s, words[i].w)) {
			a->kind = words[i].k;
			return 0;
		}
	struct in_addr in;
	if (inet_pton(AF_INET, s, &in) == 1) {
		a->kind = POL_A_IP;
		a->ip = ntohl(in.s_addr);
		a->mask = 0xffffffffu;
		return 0;
	}
	if (!dns_name_ok(s))
		return -EINVAL;
	a->kind = POL_A_DNS;
	snprintf(a->name, sizeof a->name, "%s", s);
	for (char *p = a->name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return 0;
}

uint32_t pol_prefix_mask(int prefix)
{
	return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1);
}

int pol_mask_parse(const char *s, int *prefix)
{
	char *e;
	if (!*s)
		return -EINVAL;
	if (!strchr(s, '.')) {
		long v = strtol(s, &e, 10);
		if (*e || v < 0 || v > 32 || !isdigit((unsigned char)s[0]))
			return -EINVAL;
		*prefix = (int)v;
		return 0;
	}
	struct in_addr in;
	if (inet_pton(AF_INET, s, &in) != 1)
		return -EINVAL;
	uint32_t m = ntohl(in.s_addr);
	int p = 0;
	while (p < 32 && (m & (1u << (31 - p))))
		p++;
	if (pol_prefix_mask(p) != m) /* not contiguous */
		return -EINVAL;
	*prefix = p;
	return 0;
}

static int prefix_of(uint32_t m)
{
	int p = 0;
	while (p < 32 && (m & (1u << (31 - p))))
		p++;
	return p;
}

const char *pol_addr_str(const struct pol_addr *a, char *buf, size_t n)
{
	static const char *const w[] = {"any", "me", "", "", "dns", "wins", "dhcp", "gateway"};
	if (a->kind == POL_A_IP) {
		struct in_addr in = {htonl(a->ip)};
		char ip[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &in, ip, sizeof ip);
		if (a->mask == 0xffffffffu)
			snprintf(buf, n, "%s", ip);
		else
			snprintf(buf, n, "%s/%d", ip, prefix_of(a->mask));
	} else if (a->kind == POL_A_DNS) {
		snprintf(buf, n, "%s", a->name);
	} else {
		snprintf(buf, n, "%s", w[a->kind]);
	}
	return buf;
}

int pol_proto_parse(const char *s, uint8_t *proto)
{
	static const struct {
		const char *w;
		uint8_t p;
	} words[] = {{"any", 0}, {"icmp", 1}, {"tcp", 6}, {"udp", 17}, {"raw", 255}};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (!strcasecmp(s, words[i].w)) {
			*proto = words[i].p;
			return 0;
		}
	char *e;
	long v = strtol(s, &e, 10);
	if (!*s || *e || v < 0 || v > 255 || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	*proto = (uint8_t)v;
	return 0;
}

const char *pol_proto_str(uint8_t p, char *buf, size_t n)
{
	const char *w = p == 0     ? "ANY"
	                : p == 1   ? "ICMP"
	                : p == 6   ? "TCP"
	                : p == 17  ? "UDP"
	                : p == 255 ? "RAW"
	                           : NULL;
	if (w)
		snprintf(buf, n, "%s", w);
	else
		snprintf(buf, n, "%u", p);
	return buf;
}

static bool in_list(const char *w, size_t len, const char *const *list)
{
	for (; *list; list++)
		if (strlen(*list) == len && !strncasecmp(w, *list, len))
			return true;
	return false;
}

static const char *const mm_encs[] = {"DES", "3DES", "AES128", "AES192", "AES256", NULL};
static const char *const mm_hashes[] = {"MD5", "SHA1", "SHA256", "SHA384", "SHA512", NULL};
static const char *const mm_groups[] = {"1", "2", "5", "14", "15", "16", "17", "18", "19", "20", "21", NULL};
static const char *const qm_encs[] = {"DES", "3DES", "AES128", "AES192", "AES256", "NONE", NULL};
static const char *const qm_aeads[] = {"AESGCM128", "AESGCM192", "AESGCM256", NULL};
static const char *const qm_auths[] = {"MD5", "SHA1", "SHA256", "SHA384", "SHA512", "NONE", NULL};

/* Walks a space-separated list; check(word, len) for each. */
static int each_word(const char *list, int (*check)(const char *, size_t), char *why, size_t n)
{
	const char *p = list;
	int count = 0;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		size_t len = strcspn(p, " \t");
		if (check(p, len)) {
			snprintf(why, n, "bad security method \"%.*s\"", (int)(len > 64 ? 64 : len), p);
			return -EINVAL;
		}
		if (++count > 16) {
			snprintf(why, n, "more than 16 security methods");
			return -EINVAL;
		}
		p += len;
	}
	if (!count) {
		snprintf(why, n, "empty list of security methods");
		return -EINVAL;
	}
	return 0;
}

static int mm_word(const char *w, size_t len)
{
	const char *d1 = memchr(w, '-', len);
	if (!d1)
		return -1;
	const char *d2 = memchr(d1 + 1, '-', len - (size_t)(d1 + 1 - w));
	if (!d2)
		return -1;
	return in_list(w, (size_t)(d1 - w), mm_encs) && in_list(d1 + 1, (size_t)(d2 - d1 - 1), mm_hashes) &&
	               in_list(d2 + 1, len - (size_t)(d2 + 1 - w), mm_groups)
	           ? 0
	           : -1;
}

/* "ESP[AES256,SHA1]" with an optional ":100000k/3600s" (either part alone too) */
static int qm_word(const char *w, size_t len)
{
	if (len < 6 || strncasecmp(w, "ESP[", 4))
		return -1;
	const char *close = memchr(w, ']', len);
	if (!close)
		return -1;
	const char *comma = memchr(w + 4, ',', (size_t)(close - w - 4));
	if (!comma && in_list(w + 4, (size_t)(close - w - 4), qm_aeads))
		comma = close; /* "ESP[AESGCM128]": a combined mode names no integrity algorithm */
	else if (!comma || !in_list(w + 4, (size_t)(comma - w - 4), qm_encs) ||
	         !in_list(comma + 1, (size_t)(close - comma - 1), qm_auths))
		return -1;
	if (!strncasecmp(w + 4, "NONE", 4) && !strncasecmp(comma + 1, "NONE", 4))
		return -1;
	size_t rest = len - (size_t)(close + 1 - w);
	const char *r = close + 1;
	if (!rest)
		return 0;
	if (*r != ':' || rest < 3)
		return -1;
	r++, rest--;
	/* NUMk, NUMs or NUMk/NUMs */
	int parts = 0;
	while (rest) {
		size_t d = 0;
		while (d < rest && isdigit((unsigned char)r[d]))
			d++;
		if (!d || d > 10 || d == rest || (r[d] != 'k' && r[d] != 's'))
			return -1;
		r += d + 1, rest -= d + 1;
		if (++parts > 2)
			return -1;
		if (rest) {
			if (*r != '/')
				return -1;
			r++, rest--;
			if (!rest)
				return -1;
		}
	}
	return 0;
}

int pol_mmsec_check(const char *list, char *why, size_t n)
{
	return each_word(list, mm_word, why, n);
}

int pol_qmsec_check(const char *list, char *why, size_t n)
{
	return each_word(list, qm_word, why, n);
}

int pol_exempt_parse(const char *s, struct pol_exempt *e, size_t max, size_t *n, char *why, size_t wn)
{
	*n = 0;
	if (!*s || !strcasecmp(s, "none"))
		return 0;
	char buf[1024];
	if (snprintf(buf, sizeof buf, "%s", s) >= (int)sizeof buf) {
		snprintf(why, wn, "bootexemptions too long");
		return -EINVAL;
	}
	char *save = NULL;
	for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *f[5] = {0};
		int nf = 0;
		char *s2 = NULL;
		for (char *t = strtok_r(item, ":", &s2); t && nf < 5; t = strtok_r(NULL, ":", &s2))
			f[nf++] = t;
		struct pol_exempt x = {0};
		char *end;
		long sp = nf == 4 ? strtol(f[1], &end, 10) : -1;
		if (nf != 4 || pol_proto_parse(f[0], &x.proto) || *end || sp < 0 || sp > 65535) {
			snprintf(why, wn, "bad exemption \"%.64s\": PROTOCOL:SRCPORT:DSTPORT:DIRECTION",
			         item);
			return -EINVAL;
		}
		long dp = strtol(f[2], &end, 10);
		if (*end || !*f[1] || !*f[2] || dp < 0 || dp > 65535 || !isdigit((unsigned char)f[1][0]) ||
		    !isdigit((unsigned char)f[2][0])) {
			snprintf(why, wn, "bad port in exemption \"%.64s\" (0-65535)", item);
			return -EINVAL;
		}
		if ((sp || dp) && x.proto != 6 && x.proto != 17) {
			snprintf(why, wn, "exemption \"%.64s\": ports only with TCP or UDP", item);
			return -EINVAL;
		}
		if (!strcasecmp(f[3], "inbound"))
			x.inbound = true;
		else if (strcasecmp(f[3], "outbound")) {
			snprintf(why, wn, "exemption direction \"%.32s\" is inbound or outbound", f[3]);
			return -EINVAL;
		}
		if (*n == max) {
			snprintf(why, wn, "more than %zu exemptions", max);
			return -EINVAL;
		}
		x.srcport = (uint16_t)sp;
		x.dstport = (uint16_t)dp;
		e[(*n)++] = x;
	}
	return 0;
}

const char *pol_exempt_str(const struct pol_exempt *e, size_t n, char *buf, size_t len)
{
	size_t l = 0;
	buf[0] = 0;
	if (!n)
		snprintf(buf, len, "none");
	for (size_t i = 0; i < n && l < len; i++) {
		char p[8];
		l += (size_t)snprintf(buf + l, len - l, "%s%s:%u:%u:%s", i ? "," : "",
		                      pol_proto_str(e[i].proto, p, sizeof p), e[i].srcport, e[i].dstport,
		                      e[i].inbound ? "inbound" : "outbound");
	}
	return buf;
}

int pol_split(char *line, char **argv, int max)
{
	int n = 0;
	char *p = line, *w = line;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (n == max)
			return -E2BIG;
		argv[n++] = w;
		bool q = false;
		for (; *p && (q || (*p != ' ' && *p != '\t')); p++)
			if (*p == '"')
				q = !q; /* key="a b": the quotes go, the space stays */
			else
				*w++ = *p;
		if (q)
			return -EINVAL;
		if (*p)
			p++;
		*w++ = 0;
	}
	return n;
}
