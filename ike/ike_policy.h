/* Per-peer IPsec policy seam (issue 13): the server's policy engine (policy/, Windows Server 2003
 * vocabulary: rules, filter lists, filter actions, security methods) tells the IKE core, for one
 * peer address, whether to refuse it and with which methods and authentication to negotiate.
 *
 * The core asks again whenever it needs a decision (Main Mode's first message, PSK selection,
 * each Quick Mode) and keeps nothing the answer points to: a policy changed on a running daemon
 * applies from the next negotiation, and nothing dangles when it does. The answer is therefore
 * filled by value into the caller's struct. */
#ifndef RAMPART_IKE_POLICY_H
#define RAMPART_IKE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rp_base.h"

enum ike_pol_action {
	IKE_POL_DEFAULT = 0, /* no rule matched: negotiate with the configuration's methods, as before */
	IKE_POL_BLOCK,       /* refuse: no IKE at all (one log line naming the rule) */
	IKE_POL_PERMIT,      /* plain traffic allowed without IPsec; IKE is refused */
	IKE_POL_NEGOTIATE,   /* negotiate with the methods and authentication below */
};

/* Main-mode security method, netsh's "AES256-SHA1-14": IKE attribute values (RFC 2409 App. A):
 * enc = 1 DES, 5 3DES, 7 AES (keylen 128/192/256); hash = 1 MD5, 2 SHA1, 4 SHA2-256, ...;
 * group = the DH group number. */
struct ike_mm_method {
	uint16_t enc, keylen, hash, group;
};

/* Quick-mode security method, netsh's "ESP[AES256,SHA1]": ESP transform id (RFC 2407: 2 DES,
 * 3 3DES, 12 AES; RFC 4106: 20 AES-GCM with a 16-octet ICV, "ESP[AESGCM128]"), key bits (0 = the
 * transform's fixed size) and auth algorithm (1 HMAC-MD5, 2 HMAC-SHA1, 5 HMAC-SHA2-256, ...; 0 with
 * AES-GCM). */
struct ike_qm_method {
	uint16_t esp_transform, keylen, auth;
};

#define IKE_POL_MAX_METHODS 16
#define IKE_POL_PSK_MAX 256

struct ike_peer_policy {
	enum ike_pol_action action;
	char rule[64];  /* the matching rule's name, for log lines ("" for DEFAULT) */
	char store[16]; /* "persistent", "local" or "dynamic" */
	/* NEGOTIATE: ordered, best first; 0 entries = the configuration's lists */
	struct ike_mm_method mm[IKE_POL_MAX_METHODS];
	size_t nmm;
	struct ike_qm_method qm[IKE_POL_MAX_METHODS];
	size_t nqm;
	uint16_t pfs_group;  /* quick-mode PFS required with this group; 0 = as the client offers */
	uint32_t qm_life_s;  /* 0 = configuration's */
	uint32_t qm_life_kb; /* 0 = configuration's */
	uint32_t mm_life_s;  /* Main Mode SA at most this long (netsh mmlifetime); 0 = configuration's */
	bool auth_psk;       /* PSK authentication allowed with the key below */
	uint8_t psk[IKE_POL_PSK_MAX];
	size_t psk_len; /* 0 with auth_psk = the configuration's PSK lookup */
	bool auth_cert; /* certificate authentication allowed */
	char rootca[256]; /* with auth_cert: only certificates from this CA (a DN); "" = any trusted */
	int certmap;    /* certificate-to-account mapping: -1 configuration's, 0 off, 1 on */
};

/* Fill *out for peer (outer address and port as seen). Called with out zeroed; leaving it zeroed
 * means IKE_POL_DEFAULT. Must not block. */
typedef void (*ike_policy_fn)(void *ctx, const struct rp_addr *peer, struct ike_peer_policy *out);

/* "AES256-SHA1-14", "3DES-MD5-2", "AES128-SHA256-19" (case-insensitive) → 0 or -EINVAL. */
int ike_mm_method_parse(const char *s, struct ike_mm_method *m);
/* "ESP[AES256,SHA1]", "ESP[3DES,MD5]", "ESP[AES128,SHA256]", "ESP[AESGCM128]" → 0 or -EINVAL. */
int ike_qm_method_parse(const char *s, struct ike_qm_method *m);
/* The same words back, for show commands and log lines; returns buf. */
const char *ike_mm_method_str(const struct ike_mm_method *m, char *buf, size_t n);
const char *ike_qm_method_str(const struct ike_qm_method *m, char *buf, size_t n);
/* Weak (DES, MD5, MODP-768/1024): off in the defaults, allowed only when configured or asked for
 * by a rule. Implemented: what rampart can negotiate at all (no single DES, no MODP-768). */
bool ike_mm_method_weak(const struct ike_mm_method *m);
bool ike_qm_method_weak(const struct ike_qm_method *m);
bool ike_mm_method_implemented(const struct ike_mm_method *m);
bool ike_qm_method_implemented(const struct ike_qm_method *m);
/* The default lists, best first (ike_method.c says why each is in it); static storage. */
size_t ike_mm_methods_default(const struct ike_mm_method **out);
size_t ike_qm_methods_default(const struct ike_qm_method **out);

#endif
