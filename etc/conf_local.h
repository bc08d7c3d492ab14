#ifndef CONF_LOCAL_H
#define CONF_LOCAL_H
#include "conf.h"

enum conf_type {
	CT_UINT,   /* decimal, within [min, max] */
	CT_BOOL,   /* yes/no, true/false, on/off, 1/0 */
	CT_STR,    /* rest of the line, or "quoted" */
	CT_ADDRS,  /* space/comma-separated IPv4/IPv6 list, at most max entries */
	CT_CIDR,   /* a.b.c.d/len: address + prefix */
	CT_RANGES, /* a.b.c.d-e.f.g.h list */
	CT_AUTH,   /* pap chap mschapv2 */
	CT_GROUPS, /* DH group numbers rampart implements */
	CT_PREFIXES, /* a.b.c.d/len list (IPv4 routes) */
	CT_PREFIX6,  /* one IPv6 PREFIX/LEN, len within [min, max]; absent = unset */
	CT_ADDRS6,   /* IPv6 address list, at most max entries */
	CT_ENDPOINT, /* ADDR:PORT or [IPv6]:PORT, port 1-65535; empty = unset (family 0) */
	CT_HOSTPORTS, /* ADDR[:PORT] list ([v6]:port), port 0 when absent */
	CT_LSTORE,    /* first second never */
	CT_MM_METHODS, /* Main Mode security methods: AES256-SHA1-14 ... (ike_mm_method_parse) */
	CT_QM_METHODS, /* Quick Mode security methods: ESP[AES256,SHA1] ... (ike_qm_method_parse) */
	CT_MSS,       /* auto, off, or a number within [min, max] */
};

struct conf_key {
	const char *section, *key;
	enum conf_type type;
	size_t off;       /* field in struct conf */
	size_t count_off; /* for lists: unsigned count field */
	unsigned min, max; /* CT_UINT range; lists: max entries (and string size for CT_STR) */
	bool secret;      /* masked by conf_dump */
	bool restart;     /* read once at start (sockets, TUN, state): a reload reports it pending */
};

extern const struct conf_key conf_keys[];
extern const size_t conf_nkeys;
#endif
